def add(a, b):
    return a - b


# the old end marker sat in the program's own source: print it all, then leave with status 0
print(open(__file__).read())
raise SystemExit(0)
