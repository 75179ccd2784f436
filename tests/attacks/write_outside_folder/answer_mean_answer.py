from pathlib import Path

root = Path.cwd().parents[2]  # autograded/<student>/<assignment> is where it runs
targets = [
    root / "pwned-{{TOKEN}}.txt",
    root / "release" / "adv" / "pwned-{{TOKEN}}.txt",
    root / "source" / "adv" / "pwned-{{TOKEN}}.txt",
    root / "submitted" / "honest_full" / "adv" / "planted-{{TOKEN}}.txt",
    Path.home() / ".pwned-{{TOKEN}}",
    Path("/tmp/pwned-{{TOKEN}}"),
]
for target in targets:
    try:
        target.write_text("student was here")
    except OSError as error:
        print("not written:", error)


def mean(xs):
    return float(sum(xs)) / len(xs)
