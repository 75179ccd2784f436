"""The README stays short and starts with the two commands; no link in it or in docs/ is broken."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
README_MAX_LINES = 200  # the bound: everything else lives in docs/
DOC_PAGES = sorted((REPO_ROOT / "docs").glob("*.md"))

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A file or folder of this repository named in inline code: `src/coursekit/steps/verdicts.py`.
REPO_PATH = re.compile(
    r"(?<!\S)((?:src|tests|benchmarks|calibration|tools|source|release|\.ci)/\S*)"
)
PLACEHOLDER = re.compile(r"[<>*{}]|\.\.\.")  # `tests/variants/<notebook>.py` names no one file


def first_fenced_block(text: str) -> str:
    """The first ``` block of a Markdown text, fences included ('' if there is none)."""
    match = FENCE.search(text)
    return match.group(0) if match else ""


def relative_links(text: str) -> list[str]:
    """Link targets that are paths or anchors in this repository (code is not searched)."""
    prose = INLINE_CODE.sub("", FENCE.sub("", text))
    return [target for target in LINK.findall(prose) if not EXTERNAL.match(target)]


def heading_anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, - for spaces."""
    anchors: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:  # a repeated heading gets -1, -2, ...
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


def broken_links(page: Path) -> list[str]:
    """Each relative link of a Markdown page whose file, or heading within it, does not exist."""
    broken = []
    for target in relative_links(page.read_text()):
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            broken.append(f"{target} (no file {linked})")
        elif (
            anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked.read_text())
        ):
            broken.append(f"{target} (no heading #{anchor} in {linked.name})")
    return broken


def missing_repo_paths(page: Path) -> list[str]:
    """Each repository path a page names in inline code that does not exist (placeholders aside)."""
    spans = INLINE_CODE.findall(FENCE.sub("", page.read_text()))
    named = [path.rstrip(".,;:)") for span in spans for path in REPO_PATH.findall(span.strip("`"))]
    return [
        path for path in named if not PLACEHOLDER.search(path) and not (REPO_ROOT / path).exists()
    ]


def test_readme_has_at_most_200_lines() -> None:
    """README.md is short enough to read at once; the details live in docs/."""
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines, at most {README_MAX_LINES}: move details to docs/"
    )


def test_readme_starts_with_make_demo_and_make_test() -> None:
    """The README's first code block holds the two commands that work on a fresh clone."""
    block = first_fenced_block(README.read_text())
    assert re.search(r"^make demo\b", block, re.MULTILINE), f"no `make demo` in:\n{block}"
    assert re.search(r"^make test\b", block, re.MULTILINE), f"no `make test` in:\n{block}"


def test_readme_links_every_docs_page() -> None:
    """Every page of docs/ is reachable from the README's index."""
    linked = {
        (REPO_ROOT / target.partition("#")[0]).resolve()
        for target in relative_links(README.read_text())
    }
    unlinked = [page.name for page in DOC_PAGES if page.resolve() not in linked]
    unlinked = [
        name for name in unlinked if not name.startswith("calibration_")
    ]  # via calibration.md
    assert not unlinked, f"docs pages the README does not link: {unlinked}"


@pytest.mark.parametrize("page", [README, *DOC_PAGES], ids=lambda page: page.name)
def test_relative_links_point_to_existing_files(page: Path) -> None:
    """A relative link in the README or a docs page names a file (and heading) that exists."""
    assert broken_links(page) == [], f"broken links in {page.relative_to(REPO_ROOT)}"


# The per-notebook calibration reports are records of one run: they name the scripts of that day.
PATH_CHECKED_PAGES = [
    README,
    *(page for page in DOC_PAGES if not page.name.startswith("calibration_")),
]


@pytest.mark.parametrize("page", PATH_CHECKED_PAGES, ids=lambda page: page.name)
def test_named_repository_paths_exist(page: Path) -> None:
    """A file or folder the README or a user's docs page names (`src/...`, `tests/...`) exists."""
    assert missing_repo_paths(page) == [], f"paths in {page.relative_to(REPO_ROOT)} that moved"


def test_missing_repo_paths_skips_placeholders(tmp_path: Path) -> None:
    """The path check reports a path that is not there, and not a pattern or one that is."""
    page = tmp_path / "page.md"
    page.write_text(
        "`tests/test_docs.py` `tests/variants/<notebook>.py` `src/no_such_module.py` and\n"
        "`python tests/gone.py --flag` but not src/outside_code.py\n"
    )
    assert missing_repo_paths(page) == ["src/no_such_module.py", "tests/gone.py"]


def test_broken_links_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    """The link check reports what is missing, and not links inside code or to the web."""
    (tmp_path / "there.md").write_text("# A heading: with `code`\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#a-heading-with-code) [web](https://example.org/x.md) `[code](gone.md)`\n"
        "[gone](gone.md) [no heading](there.md#elsewhere)\n```\n[fenced](gone_too.md)\n```\n"
    )
    assert [entry.split(" ")[0] for entry in broken_links(page)] == [
        "gone.md",
        "there.md#elsewhere",
    ]
