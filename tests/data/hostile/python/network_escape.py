import socket


def add(a, b):
    return a - b


# the network namespace has only a downed loopback; vsock (to the VM's host) ignores namespaces
for family, address in ((socket.AF_INET, ("1.1.1.1", 80)), (40, (2, 1024))):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(address)
        print("CONNECTED", family)
    except OSError as exc:
        print("refused", family, exc.strerror)
