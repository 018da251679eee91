def add(a, b):
    return a - b


written = 0
try:
    for i in range(400):  # 15 MB files until the disk is full
        with open(f"fill{i}", "wb") as f:
            f.write(b"\0" * (15 << 20))
        written += 15
except OSError as exc:
    print("stopped:", exc.strerror)
print("MB written:", written)
