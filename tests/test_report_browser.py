"""The report in a real headless Chromium: it renders, logs no error, loads nothing from the web."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.course import REPO_ROOT
from helpers.headless_chromium import headless_chromium, required_chromium
from helpers.report_cohort import GradedCohort

from coursekit.reporting.types import ReportFiles

pytestmark = pytest.mark.slow  # shares the graded cohort; starts a browser

ARTEFACT = REPO_ROOT / "test-artifacts" / "report.png"  # git-ignored; CI may keep it


@pytest.fixture(scope="module")
def chromium() -> str:
    """The chromium command (a loud skip without it, a failure under CI)."""
    return required_chromium("the report")


def test_report_renders_in_chromium_without_console_errors(
    chromium: str, graded_cohort: GradedCohort, cohort_report: ReportFiles, tmp_path: Path
) -> None:
    page = Path(cohort_report.page)
    with headless_chromium() as browser:
        log = browser.open(page.as_uri())
        images = browser.evaluate(
            "[...document.images].map(i => [i.complete, i.naturalWidth, i.src.split(',')[0]])"
        )
        links = browser.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        headings = browser.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
        flagged = browser.evaluate(
            "[...document.querySelectorAll('tr')].filter(r => r.querySelector('.kind')).length"
        )
        shot = browser.screenshot(tmp_path / "report.png")

    assert log.errors == []
    assert {url.split(":", 1)[0] for url in log.requested} <= {"file", "data"}
    assert len(images) == len(cohort_report.figures)
    assert all(done and width > 0 and src == "data:image/png;base64" for done, width, src in images)
    assert len(headings) == 6  # scores, pass rates, timings, written answers, flags, alike
    assert flagged == len(cohort_report.data.flags)
    feedback = {Path(f.feedback) for f in cohort_report.data.flags if f.feedback}
    assert set(links) == {path.as_uri() for path in feedback}
    assert all(path.is_file() for path in feedback)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    ARTEFACT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTEFACT)
