"""Every attack of tests/attacks/ is contained and no honest student loses a grade.

One `course autograde` of a cohort holding every attack and two honest students (real kernels,
the repo's nbgrader_config.py with a 10 s cell timeout); each attack is checked against its
expected.json. An attack whose defence has not landed yet says so in expected.json ("xfail":
"needs <piece>: ..."): its test is a strict xfail, so the suite turns red when it starts to pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.adversarial import ATTACKS_DIR, SuiteResult, run_suite
from helpers.adversarial_course import HONEST, load_attacks

ATTACKS = load_attacks(ATTACKS_DIR)


@pytest.fixture(scope="module")
def suite(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[SuiteResult]:
    """The cohort built, autograded once and checked; the summary line goes to the terminal."""
    result = run_suite(tmp_path_factory.mktemp("adversarial"))
    yield result
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # teardown output is captured otherwise
            reporter.write_line(
                f"\nadversarial suite: {result.summary_line()} "
                f"(autograde {result.autograde_seconds:.0f} s, suite {result.total_seconds:.0f} s)"
            )


def attack_param(attack) -> object:
    """One pytest parameter per attack, a strict xfail while its defence is missing."""
    marks = [pytest.mark.xfail(strict=True, reason=attack.xfail)] if attack.xfail else []
    return pytest.param(attack.name, id=attack.name, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize("name", [attack_param(attack) for attack in ATTACKS])
def test_attack_is_contained(suite: SuiteResult, name: str) -> None:
    failures = suite.attacks[name]
    assert not failures, f"{name} was not contained:\n" + "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("student_id", sorted(HONEST))
def test_honest_student_gets_exactly_what_the_answers_earn(
    suite: SuiteResult, student_id: str
) -> None:
    failures = suite.honest[student_id]
    assert not failures, f"{student_id} lost a grade:\n" + "\n".join(failures)


@pytest.mark.slow
def test_summary_line_counts_attacks_contained_and_grades_lost(suite: SuiteResult) -> None:
    contained = sum(1 for failures in suite.attacks.values() if not failures)
    assert suite.summary_line() == (
        f"{len(ATTACKS)} attacks, {contained} contained, {suite.grades_lost} grades lost"
    )
    assert suite.grades_lost == 0


def test_every_attack_folder_states_its_expectation() -> None:
    """Each expected.json names the attack, its defence and a status a grader can check."""
    assert len(ATTACKS) >= 30
    for attack in ATTACKS:
        assert attack.spec["attack"] and attack.spec["defence"], attack.name
        assert attack.expect["status"] in {"graded", "rejected", "failed"}, attack.name
        if attack.xfail:
            assert attack.xfail.startswith("needs "), attack.name
        for path in attack.folder.iterdir():
            assert path.name == "expected.json" or path.name.startswith(("answer_", "handed_in")), (
                f"{attack.name}: unexpected file {path.name}"
            )


def test_attack_folders_are_all_loaded() -> None:
    folders = {p.name for p in Path(ATTACKS_DIR).iterdir() if p.is_dir()}
    assert folders == {attack.name for attack in ATTACKS}
