import os


def add(a, b):
    return a - b


for d in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock", "/var/lock", "/etc", "/usr", "/root", "/"):
    try:
        with open(os.path.join(d, "@NAME@"), "w") as f:
            f.write("x" * 1000)
        print("wrote", d)
    except OSError as exc:
        print("refused", d, exc.strerror)
