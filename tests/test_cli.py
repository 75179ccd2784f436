"""`course` maps argv to one function call each and exits 0, 1 (usage/config) or 2 (partial)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.course import TINY_ASSIGNMENT

from coursekit.authoring.types import NotebookProof, ProofCheck, ReleaseReport
from coursekit.calibration.types import CalibrationReport, NotebookCalibration, ToleranceCalibration
from coursekit.cli.answers import announce_url
from coursekit.cli.app import main
from coursekit.cli.parser import VERBS, build_parser
from coursekit.cli.printers import (
    AutogradeProgressPrinter,
    print_cell_progress,
    print_message,
    print_progress,
    print_release_progress,
)
from coursekit.cli.verb import EXIT_BROKEN_PIPE, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE
from coursekit.demo import DemoResult
from coursekit.grading.types import (
    AutogradeReport,
    CellCheck,
    CheckStatus,
    NotebookCheck,
    Status,
    StudentOutcome,
)
from coursekit.grading.workers import ExecutorSpec
from coursekit.intake.types import CollectReport, RosterImport, SkippedEntry
from coursekit.reporting.types import FeedbackReport, LmsExport, ReportData, ReportFiles

Calls = list[tuple[str, tuple, dict]]

# The one stage function each verb calls, where it lives: a verb imports its stage when it runs,
# so a stand-in put there is the function the verb calls.
STAGE_FUNCTIONS = {
    "release_assignment": "coursekit.authoring.release.release_assignment",
    "summarize_assignment": "coursekit.authoring.summary.summarize_assignment",
    "run_demo": "coursekit.demo.run_demo",
    "collect_submissions": "coursekit.intake.collect.collect_submissions",
    "import_roster": "coursekit.intake.roster.import_roster",
    "autograde_assignment": "coursekit.grading.autograde.autograde_assignment",
    "check_notebook": "coursekit.grading.check.check_notebook",
    "read_outcomes": "coursekit.grading.status.read_outcomes",
    "generate_feedback": "coursekit.reporting.feedback.generate_feedback",
    "export_grades": "coursekit.reporting.export.export_grades",
    "export_cell_grades": "coursekit.reporting.export.export_cell_grades",
    "export_lms": "coursekit.reporting.export.export_lms",
    "write_report": "coursekit.reporting.report_html.write_report",
    "calibrate_assignment": "coursekit.calibration.calibrate.calibrate_assignment",
    "serve_answers": "coursekit.answers.server.serve_answers",
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Replace each subcommand's function with a recorder returning a clean result."""
    recorded: Calls = []

    def recorder(name: str, result: object):
        def record(*args: object, **kwargs: object) -> object:
            recorded.append((name, args, kwargs))
            return result

        return record

    clean = {
        "release_assignment": ReleaseReport(TINY_ASSIGNMENT, "release", ()),
        "autograde_assignment": AutogradeReport(TINY_ASSIGNMENT, ()),
        "read_outcomes": AutogradeReport(TINY_ASSIGNMENT, ()),
        "generate_feedback": FeedbackReport(TINY_ASSIGNMENT, ()),
        "export_grades": (),
        "export_cell_grades": (),
        "export_lms": LmsExport("moodle", "grades_moodle.csv", 0),
        "write_report": ReportFiles(
            "report/ps1.html", (), ReportData(TINY_ASSIGNMENT, (), (), (), (), (), (), 0.8)
        ),
        "run_demo": DemoResult("demo", (), (), (), "demo/grades.csv", ()),
        "summarize_assignment": (),
        "calibrate_assignment": CalibrationReport(TINY_ASSIGNMENT, ()),
        "collect_submissions": CollectReport(TINY_ASSIGNMENT, "subs.zip", "plain", ()),
        "import_roster": RosterImport("students.csv", ("s1",), (), ()),
        "serve_answers": None,
    }
    for name, result in clean.items():
        monkeypatch.setattr(STAGE_FUNCTIONS[name], recorder(name, result))
    return recorded


# argv -> (function, its arguments after the course given the course root, its kwargs)
MAPPINGS = [
    (
        ["release", "ps1"],
        "release_assignment",
        lambda root: ["ps1"],
        {"execute": True, "progress": print_release_progress},
    ),
    (
        ["release", "ps1", "--no-execute"],
        "release_assignment",
        lambda root: ["ps1"],
        {"execute": False, "progress": print_release_progress},
    ),
    (
        ["release", "ps1", "--quiet"],
        "release_assignment",
        lambda root: ["ps1"],
        {"execute": True, "progress": None},
    ),
    (
        ["autograde", "ps1"],
        "autograde_assignment",
        lambda root: ["ps1", None],
        {
            "force": True,
            "progress": AutogradeProgressPrinter(),
            "executor": ExecutorSpec(),
            "notice": print_message,
        },
    ),
    (
        ["autograde", "ps1", "--no-force"],
        "autograde_assignment",
        lambda root: ["ps1", None],
        {
            "force": False,
            "progress": AutogradeProgressPrinter(),
            "executor": ExecutorSpec(),
            "notice": print_message,
        },
    ),
    (
        ["autograde", "ps1", "--workers", "3", "--scheduler", "tcp://h:1", "--executor", "dask"],
        "autograde_assignment",
        lambda root: ["ps1", None],
        {
            "force": True,
            "progress": AutogradeProgressPrinter(),
            "executor": ExecutorSpec(name="dask", workers=3, scheduler="tcp://h:1"),
            "notice": print_message,
        },
    ),
    (
        ["autograde", "ps1", "--quiet"],
        "autograde_assignment",
        lambda root: ["ps1", None],
        {
            "force": True,
            "progress": None,
            "executor": ExecutorSpec(),
            "notice": print_message,
        },
    ),
    (
        ["autograde", "ps1", "--student", "a", "--student", "b"],
        "autograde_assignment",
        lambda root: ["ps1", ["a", "b"]],
        {
            "force": True,
            "progress": AutogradeProgressPrinter(),
            "executor": ExecutorSpec(),
            "notice": print_message,
        },
    ),
    (["feedback", "ps1"], "generate_feedback", lambda root: ["ps1"], {"show_hidden_tests": False}),
    (
        ["feedback", "ps1", "--show-hidden-tests"],
        "generate_feedback",
        lambda root: ["ps1"],
        {"show_hidden_tests": True},
    ),
    (["export"], "export_grades", lambda root: [None, root / "grades.csv"], {}),
    (
        ["export", "ps1", "--to", "out/g.csv"],
        "export_grades",
        lambda root: ["ps1", Path("out/g.csv")],
        {},
    ),
    (
        ["export", "ps1", "--format", "cells"],
        "export_cell_grades",
        lambda root: ["ps1", root / "grades_cells.csv"],
        {},
    ),
    (
        ["export", "ps1", "--format", "moodle"],
        "export_lms",
        lambda root: ["ps1", "moodle", root / "grades_moodle.csv", None],
        {},
    ),
    (
        ["export", "ps1", "--format", "canvas", "--column", "L1 (42)", "--to", "c.csv"],
        "export_lms",
        lambda root: ["ps1", "canvas", Path("c.csv"), "L1 (42)"],
        {},
    ),
    (["status", "ps1"], "read_outcomes", lambda root: ["ps1", None], {}),
    (
        ["status", "ps1", "--student", "s1", "--json"],
        "read_outcomes",
        lambda root: ["ps1", ["s1"]],
        {},
    ),
    (["report", "ps1"], "write_report", lambda root: ["ps1", None], {}),
    (["report", "ps1", "--to", "out"], "write_report", lambda root: ["ps1", Path("out")], {}),
    (
        ["answers", "ps1"],
        "serve_answers",
        lambda root: ["ps1", "127.0.0.1", 8765, announce_url],
        {},
    ),
    (
        ["answers", "ps1", "--ip", "0.0.0.0", "--port", "9000"],
        "serve_answers",
        lambda root: ["ps1", "0.0.0.0", 9000, announce_url],
        {},
    ),
    (["demo"], "run_demo", lambda root: [None], {"progress": print_progress}),
    (["demo", "--quiet"], "run_demo", lambda root: [None], {"progress": None}),
    (["--quiet", "demo"], "run_demo", lambda root: [None], {"progress": None}),
    (["-q", "demo"], "run_demo", lambda root: [None], {"progress": None}),
    (["summary", "ps1"], "summarize_assignment", lambda root: ["ps1"], {}),
    (
        ["calibrate", "ps1"],
        "calibrate_assignment",
        lambda root: ["ps1", None],
        {"notebook_id": None, "variants": True, "progress": print_message},
    ),
    (
        ["calibrate", "ps1", "--seeds", "5", "--notebook", "arith", "--no-variants"],
        "calibrate_assignment",
        lambda root: ["ps1", 5],
        {"notebook_id": "arith", "variants": False, "progress": print_message},
    ),
    (
        ["demo", "--dir", "elsewhere"],
        "run_demo",
        lambda root: [Path("elsewhere")],
        {"progress": print_progress},
    ),
    (
        ["collect", "ps1", "subs.zip"],
        "collect_submissions",
        lambda root: ["ps1", Path("subs.zip")],
        {"roster": None, "timezone": "UTC"},
    ),
    (
        ["collect", "ps1", "downloads", "--roster", "r.csv", "--timezone", "Europe/Berlin"],
        "collect_submissions",
        lambda root: ["ps1", Path("downloads")],
        {"roster": Path("r.csv"), "timezone": "Europe/Berlin"},
    ),
    (["roster", "import", "s.csv"], "import_roster", lambda root: [Path("s.csv")], {}),
    (["--quiet", "roster", "import", "s.csv"], "import_roster", lambda root: [Path("s.csv")], {}),
    (
        ["--quiet", "release", "ps1"],
        "release_assignment",
        lambda root: ["ps1"],
        {"execute": True, "progress": None},
    ),
    (
        ["calibrate", "ps1", "-q"],
        "calibrate_assignment",
        lambda root: ["ps1", None],
        {"notebook_id": None, "variants": True, "progress": None},
    ),
    (
        ["export", "ps1", "--format", "canvas"],
        "export_lms",
        lambda root: ["ps1", "canvas", root / "grades_canvas.csv", None],
        {},
    ),
    (["summary", "ps1", "--quiet"], "summarize_assignment", lambda root: ["ps1"], {}),
    (
        ["collect", "ps1", "subs.zip", "--quiet"],
        "collect_submissions",
        lambda root: ["ps1", Path("subs.zip")],
        {"roster": None, "timezone": "UTC"},
    ),
]


def test_every_verb_has_its_argv_mapped() -> None:
    """A new verb needs its argv -> arguments cases above (check has its own test, below)."""
    mapped = {build_parser().parse_args(argv).command for argv, *_ in MAPPINGS}
    assert mapped | {"check"} == set(VERBS)


@pytest.mark.parametrize(
    ("argv", "name", "args", "kwargs"), MAPPINGS, ids=[" ".join(m[0]) for m in MAPPINGS]
)
def test_argv_maps_to_one_function_call(
    calls: Calls, tiny_course_dir: Path, argv: list[str], name: str, args, kwargs: dict
) -> None:
    assert main(["--course-dir", str(tiny_course_dir), *argv]) == EXIT_OK

    ((called, (course, *rest), called_kwargs),) = calls
    assert called == name
    assert course.root == tiny_course_dir.resolve()
    assert rest == args(course.root)
    assert called_kwargs == kwargs


def test_course_is_found_from_a_subfolder(
    calls: Calls, tiny_course_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_course_dir / "source" / TINY_ASSIGNMENT)
    assert main(["feedback", TINY_ASSIGNMENT]) == EXIT_OK
    assert calls[0][1][0].root == tiny_course_dir.resolve()


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus"],
        ["release"],
        ["autograde", "ps1", "--x"],
        ["autograde", "ps1", "--workers", "0"],
    ],
)
def test_usage_error_exits_1(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == EXIT_USAGE
    assert "usage: course" in capsys.readouterr().err


def test_missing_config_exits_1_with_a_message_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--course-dir", str(tmp_path), "export"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "No nbgrader_config.py" in err and "--course-dir" in err
    assert "Traceback" not in err


def test_help_shows_an_example_per_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in VERBS:
        assert f"course {command}" in out


@pytest.mark.parametrize(
    ("name", "argv", "result"),
    [
        (
            "autograde_assignment",
            ["autograde", "ps1"],
            AutogradeReport(
                "ps1",
                (
                    StudentOutcome("ps1", "a", Status.GRADED),
                    StudentOutcome("ps1", "b", Status.REJECTED, reason="empty"),
                ),
            ),
        ),
        (
            "release_assignment",
            ["release", "ps1"],
            ReleaseReport(
                "ps1",
                "release",
                (NotebookProof("nb", (ProofCheck("no leak", False, ("leaked: x",)),)),),
            ),
        ),
        ("run_demo", ["demo"], DemoResult("demo", (), (), (), "g.csv", ("demo_blank: 3 points",))),
        (
            "collect_submissions",
            ["collect", "ps1", "subs.zip"],
            CollectReport("ps1", "subs.zip", "moodle", (), unmapped=(SkippedEntry("x", "who"),)),
        ),
        (
            "calibrate_assignment",
            ["calibrate", "ps1"],
            CalibrationReport(
                "ps1",
                (
                    NotebookCalibration(
                        "arith",
                        "benchmarks/calibrate_arith.py",
                        30,
                        (ToleranceCalibration("arith", "t", "A_TOL", 0.1, "q", 30, 0, 0, 0.2),),
                        (),
                        (),
                        1.0,
                    ),
                ),
            ),
        ),
    ],
)
def test_partial_failure_exits_2(
    calls: Calls,
    monkeypatch: pytest.MonkeyPatch,
    tiny_course_dir: Path,
    name: str,
    argv: list[str],
    result: object,
) -> None:
    monkeypatch.setattr(STAGE_FUNCTIONS[name], lambda *args, **kwargs: result)
    assert main(["--course-dir", str(tiny_course_dir), *argv]) == EXIT_PARTIAL


def test_main_puts_its_interpreters_folder_first_on_path(
    calls: Calls, tiny_course_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    main(["--course-dir", str(tiny_course_dir), "feedback", "ps1"])
    assert os.environ["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_check_maps_to_check_notebook_without_looking_for_a_course(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded: list[tuple[tuple, dict]] = []

    def record(*args: object, **kwargs: object) -> NotebookCheck:
        recorded.append((args, kwargs))
        return NotebookCheck("nb.ipynb", ())

    monkeypatch.setattr(STAGE_FUNCTIONS["check_notebook"], record)
    monkeypatch.chdir(tmp_path)  # no nbgrader_config.py here or above: a student's folder

    assert main(["check", "nb.ipynb"]) == EXIT_OK
    assert main(["check", "--quiet", "nb.ipynb"]) == EXIT_OK
    assert recorded == [
        ((Path("nb.ipynb"),), {"progress": print_cell_progress}),
        ((Path("nb.ipynb"),), {"progress": None}),
    ]
    assert "error" not in capsys.readouterr().err


def test_failed_check_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = CellCheck("add_is_sum", 2.0, "add sums.", CheckStatus.FAILED, "AssertionError: x")
    monkeypatch.setattr(
        STAGE_FUNCTIONS["check_notebook"], lambda *a, **k: NotebookCheck("nb", (failed,))
    )
    assert main(["check", "nb.ipynb"]) == EXIT_PARTIAL


@pytest.mark.parametrize("command", sorted(VERBS))
def test_every_subcommand_help_shows_an_example_and_quiet(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == EXIT_OK
    out = capsys.readouterr().out
    assert f"example: course {command}" in out
    assert "--quiet" in out


def test_help_imports_no_stage() -> None:
    """`course --help` and each `course VERB --help` import no nbgrader, nbformat, NumPy or
    matplotlib: a verb imports its stage only when it runs."""
    script = (
        "import sys\n"
        "from coursekit.cli.app import main\n"
        "from coursekit.cli.parser import VERBS\n"
        "for argv in [['--help'], *[[verb, '--help'] for verb in VERBS]]:\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('nbgrader', 'nbformat', 'numpy', 'matplotlib', 'coursekit.grading.autograde')\n"
        "print(sorted(name for name in heavy if name in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert "usage: course roster" in done.stdout  # every help was printed
    assert done.stderr.splitlines()[-1] == "[]"


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    codes = out.split("exit codes:", 1)[1]
    for code in (EXIT_OK, EXIT_USAGE, EXIT_PARTIAL):
        assert f"  {code}  " in codes


def test_quiet_never_silences_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--quiet", "--course-dir", str(tmp_path), "export"]) == EXIT_USAGE
    assert "No nbgrader_config.py" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["autograde", "ps1"], "Run `course release ps1`"),
        (["feedback", "ps1"], "run `course autograde ps1` first"),
        (["summary", "nope"], "Put the instructor notebooks in"),
    ],
)
def test_command_before_its_prerequisite_exits_1_with_what_to_do(
    tiny_course_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert main(["--course-dir", str(tiny_course_dir), *argv]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_damaged_source_notebook_exits_1_naming_it(
    tiny_course_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tiny_course_dir / "source" / TINY_ASSIGNMENT / "damaged.ipynb"
    damaged.write_text("{")
    assert main(["--course-dir", str(tiny_course_dir), "summary", TINY_ASSIGNMENT]) == 1
    err = capsys.readouterr().err
    assert str(damaged) in err and "Fix or restore it" in err and "Traceback" not in err


def test_output_into_a_closed_pipe_ends_quietly(tiny_course_dir: Path) -> None:
    """`course summary ps1 | head -0`: the reader is gone before the first line is written."""
    course = Path(sys.executable).with_name("course")
    with subprocess.Popen(
        [str(course), "--course-dir", str(tiny_course_dir), "summary", TINY_ASSIGNMENT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # before the command can have printed anything
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == EXIT_BROKEN_PIPE, stderr
    assert stderr == ""


def noisy_feedback(*args: object, **kwargs: object) -> FeedbackReport:
    """A stage whose child process prints as a kernel does: to the stdout and stderr it got."""
    child = "import sys; print('child out'); print('[IPKernelApp] ERROR | noise', file=sys.stderr)"
    subprocess.run([sys.executable, "-c", child], check=True, timeout=60)
    return FeedbackReport(TINY_ASSIGNMENT, ())


@pytest.mark.parametrize("quiet", [False, True])
def test_a_childs_output_goes_to_the_verbs_log_and_the_end_says_where(
    monkeypatch: pytest.MonkeyPatch,
    tiny_course_dir: Path,
    capfd: pytest.CaptureFixture[str],
    quiet: bool,
) -> None:
    monkeypatch.setattr(STAGE_FUNCTIONS["generate_feedback"], noisy_feedback)
    argv = ["--course-dir", str(tiny_course_dir), "feedback", TINY_ASSIGNMENT]
    assert main([*argv, *(["--quiet"] if quiet else [])]) == EXIT_OK

    out, err = capfd.readouterr()
    assert "Feedback of ps1" in out
    assert "noise" not in out + err and "child out" not in out
    log = tiny_course_dir / "logs" / "course-feedback.log"
    assert "child out" in log.read_text() and "[IPKernelApp] ERROR | noise" in log.read_text()
    # Said once at the end; --quiet says it only when something went wrong.
    assert err.count("course-feedback.log") == (0 if quiet else 1)


def test_a_log_that_cannot_be_written_leaves_the_output_where_it_was(
    calls: Calls, tiny_course_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny_course_dir / "logs").write_text("a file where the folder would go")
    assert main(["--course-dir", str(tiny_course_dir), "feedback", TINY_ASSIGNMENT]) == EXIT_OK
    assert "Feedback of ps1" in capsys.readouterr().out
