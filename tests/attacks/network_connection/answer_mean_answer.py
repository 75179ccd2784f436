import socket

try:
    with socket.create_connection(("127.0.0.1", int("{{PORT}}")), timeout=3) as conn:
        conn.sendall(b"student code reached the grading machine")
except OSError as error:
    print("no network:", error)


def mean(xs):
    return float(sum(xs)) / len(xs)
