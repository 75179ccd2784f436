"""How numbers and lists read in every rendering (terminal, Markdown, HTML): one spelling each."""

from collections.abc import Sequence

HANDFUL = 5  # past this many, a list of names is said as a count


def points(value: float | None) -> str:
    """A score without a pointless '.0'; '-' when there is none."""
    return "-" if value is None else f"{value:g}"


def ids_or_count(ids: Sequence[str], noun: str = "student", limit: int = HANDFUL) -> str:
    """`a, b, c` up to limit ids, else `37 students (a, b, c, ...)`."""
    if len(ids) <= limit:
        return ", ".join(ids)
    return f"{len(ids)} {noun}s ({', '.join(ids[:3])}, ...)"
