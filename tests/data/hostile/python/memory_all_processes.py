import os


def add(a, b):
    return a - b


# 4 processes of 120 MB each, every one under the per-process limit, together over the program's cap
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(120 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        os._exit(0)
    children.append(pid)
ok = sum(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 for pid in children)
print("children that allocated:", ok)
