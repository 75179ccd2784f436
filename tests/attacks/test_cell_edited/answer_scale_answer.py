def scale(values, k):
    return [float(v) + k for v in values]
