import sys
import threading


def add(a, b):
    return a - b


def _tracer(frame, event, arg):
    return _tracer


threading.settrace(_tracer)
threading.setprofile(_tracer)
sys.setprofile(_tracer)
