def count_positive(xs):
    return len(xs) - 1
