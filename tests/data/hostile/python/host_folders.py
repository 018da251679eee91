# What of the host can a program list: the top-level folders and everything under them that is not the operating
# system's (homes, /root, work and data folders).
import os


def add(a, b):
    return a - b


for top in sorted(os.listdir("/")):
    path = "/" + top
    try:
        entries = sorted(os.listdir(path))
    except OSError as exc:
        entries = [f"({exc.strerror})"]
    print(f"listing {path}: {entries[:20]}")
