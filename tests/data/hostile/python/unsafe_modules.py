# CPython's test modules reach raw memory and interpreter internals: import them and poke the runner.
import sys


def add(a, b):
    return a - b


found = []
for name in ("_testcapi", "_testinternalcapi", "_xxsubinterpreters", "_ctypes_test"):
    try:
        __import__(name)
        found.append(name)
    except Exception as exc:
        print(name, "refused:", exc)
print("imported:", found)
if found:
    raise SystemExit(0)
