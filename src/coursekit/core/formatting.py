"""How numbers read in every rendering (terminal, Markdown, HTML): one spelling of a score."""


def points(value: float | None) -> str:
    """A score without a pointless '.0'; '-' when there is none."""
    return "-" if value is None else f"{value:g}"
