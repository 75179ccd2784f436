import sqlite3

try:
    db = sqlite3.connect("file:grades.db?mode=ro", uri=True)
    print(db.execute("SELECT * FROM student").fetchall())
except sqlite3.Error as error:
    print("no gradebook:", error)


def mean(xs):
    return 0.0  # wrong on purpose
