import ctypes
import os


def add(a, b):
    return a - b


# C calls: a trace function at the C level, raw memory, a libc exit
for attack in (
    lambda: ctypes.pythonapi.PyEval_SetTrace(None, None),
    lambda: ctypes.string_at(id(add), 64),
    lambda: (ctypes.c_char * 8).from_address(id(add)),
    lambda: ctypes.CDLL(None)._exit(0),
):
    try:
        attack()
    except Exception as exc:
        print("refused:", exc, flush=True)
os._exit(0)
