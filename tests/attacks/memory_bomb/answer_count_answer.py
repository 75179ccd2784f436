chunks = []
for _ in range(30):
    chunks.append(b"\x01" * (100 * 2**20))
del chunks


def count_positive(xs):
    return sum(1 for x in xs if x > 0)
