import sys

block = ("y" * 1023 + "\n") * 1024
for _ in range(100):
    sys.stdout.write(block)


def count_positive(xs):
    return sum(1 for x in xs if x > 0)
