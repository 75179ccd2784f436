block = b"\0" * (8 * 2**20)
for target in ["fill-{{TOKEN}}.bin", "/tmp/fill-{{TOKEN}}.bin"]:
    try:
        with open(target, "wb") as handle:
            for _ in range(128):
                handle.write(block)
    except OSError as error:
        print("disk full:", error)


def mean(xs):
    return float(sum(xs)) / len(xs)
