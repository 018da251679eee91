# Flush-chain variant: sys.modules and globals. Every module, global and builtin the runner might look up after the
# program ended is replaced by the C-level chain (os._exit, socket, traceback, the runner's own globals, builtins).
import builtins
import functools
import operator
import os
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


sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
chain = functools.partial(set().union, map(operator.call, [functools.partial(sock.connect, _verdict_address()),
                                                           functools.partial(sock.sendall, MESSAGE)]))
fake = types.ModuleType("fake")
fake.__getattr__ = lambda name: chain
for name in ("_socket", "socket", "traceback", "io", "json", "importlib"):
    sys.modules[name] = fake
for name in ("_exit", "write", "close", "read", "fork", "waitpid"):
    setattr(os, name, chain)
frame = sys._getframe()
while frame is not None:  # the runner's globals: its helpers, constants and message
    for key, value in list(frame.f_globals.items()):
        if callable(value) and not isinstance(value, type) and key not in ("chain", "_verdict_address"):
            frame.f_globals[key] = chain
    frame = frame.f_back
for name in ("isinstance", "str", "tuple", "type", "getattr", "int", "compile", "exec", "print"):
    setattr(builtins, name, chain)
sys.stdout.flush = chain
raise SystemExit(0)
