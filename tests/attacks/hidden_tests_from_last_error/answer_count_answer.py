def count_positive(xs):
    return -1  # wrong on purpose: its test fails, and the failure is remembered
