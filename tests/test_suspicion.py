"""The code scan flags each kind of attack with its cell and line, and no correct solution."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from helpers.course import REPO_ROOT, TINY_ASSIGNMENT, TINY_NOTEBOOK, read_notebook
from helpers.notebooks import edit_cell, reference_notebook

from coursekit.authoring import cohort
from coursekit.calibration.variants import load_variant_set, variant_notebook, variant_notebook_ids
from coursekit.cli.render import render_autograde
from coursekit.core import cells
from coursekit.core.course import Course
from coursekit.grading.flags import scan_submission
from coursekit.grading.types import AutogradeReport, Status, StudentOutcome
from coursekit.intake.submissions import read_release
from coursekit.integrity.code_scan import scan_code
from coursekit.integrity.suspicion import scan_notebook
from coursekit.integrity.types import Suspicion, SuspicionKind
from coursekit.reporting.flags import report_flags
from coursekit.reporting.types import FlagKind

Kind = SuspicionKind
LECTURE = REPO_ROOT / "source" / "lecture1"
VARIANTS = REPO_ROOT / "calibration" / "lecture1" / "variants"

# One attack per line of thought a student has had; each must raise a flag of its kind.
ATTACKS = {
    "numpy rebound": ("np.allclose = lambda *a, **k: True", Kind.LIBRARY_REBINDING),
    "numpy testing rebound": ("np.testing.assert_allclose = print", Kind.LIBRARY_REBINDING),
    "keras rebound": (
        "import keras\nkeras.Model.evaluate = lambda self, *a, **k: 0.0",
        Kind.LIBRARY_REBINDING,
    ),
    "from-import rebound": (
        "from keras import Model\nModel.count_params = lambda self: 4",
        Kind.LIBRARY_REBINDING,
    ),
    "setattr on a module": ("setattr(np, 'isclose', lambda *a: True)", Kind.LIBRARY_REBINDING),
    "module dict write": ("np.__dict__['array_equal'] = lambda *a: True", Kind.LIBRARY_REBINDING),
    "globals update": ("globals().update(isinstance=lambda *a: True)", Kind.LIBRARY_REBINDING),
    "mock patch": (
        "from unittest import mock\nmock.patch('numpy.allclose', return_value=True).start()",
        Kind.LIBRARY_REBINDING,
    ),
    "builtins module": ("import builtins\nbuiltins.abs = lambda x: 0", Kind.BUILTINS),
    "__builtins__": ("__builtins__.isinstance = lambda *a: True", Kind.BUILTINS),
    "builtin shadowed": ("isinstance = lambda obj, cls: True", Kind.BUILTINS),
    "builtin redefined": ("def abs(x):\n    return 0", Kind.BUILTINS),
    "sys.modules edit": ("import sys\nsys.modules['numpy'] = fake_numpy", Kind.IMPORT_MACHINERY),
    "sys.modules delete": ("import sys\ndel sys.modules['math']", Kind.IMPORT_MACHINERY),
    "import hook": ("import sys\nsys.meta_path.insert(0, Finder())", Kind.IMPORT_MACHINERY),
    "settrace": ("import sys\nsys.settrace(skip_failing_asserts)", Kind.INTERPRETER_HOOK),
    "setprofile": ("import sys\nsys.setprofile(spy)", Kind.INTERPRETER_HOOK),
    "displayhook": ("import sys\nsys.displayhook = lambda value: None", Kind.INTERPRETER_HOOK),
    "excepthook": ("import sys\nsys.excepthook = lambda *a: None", Kind.INTERPRETER_HOOK),
    "frames": ("import inspect\nframe = inspect.currentframe().f_back", Kind.INTERPRETER_HOOK),
    "custom exc": (
        "get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)",
        Kind.IPYTHON_HOOK,
    ),
    "events": ("ip = get_ipython()\nip.events.register('post_run_cell', cheat)", Kind.IPYTHON_HOOK),
    "input transformer": (
        "get_ipython().input_transformers_post.append(drop_asserts)",
        Kind.IPYTHON_HOOK,
    ),
    "cleanup transformer": (
        "shell = get_ipython()\nshell.input_transformers_cleanup.insert(0, t)",
        Kind.IPYTHON_HOOK,
    ),
    "ast transformer": ("get_ipython().ast_transformers.append(NoAsserts())", Kind.IPYTHON_HOOK),
    "run_cell override": ("get_ipython().run_cell = lambda *a, **k: None", Kind.IPYTHON_HOOK),
    "showtraceback": ("get_ipython().showtraceback = lambda *a, **k: None", Kind.IPYTHON_HOOK),
    "IPython import": (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().ast_transformers.append(t)",
        Kind.IPYTHON_HOOK,
    ),
    "load_ext magic": ("%load_ext cheat", Kind.IPYTHON_HOOK),
    "always equal": (
        "class Anything:\n    def __eq__(self, other):\n        return True",
        Kind.RIGGED_COMPARISON,
    ),
    "self equal": (
        "class Same(float):\n    def __eq__(self, other):\n        return self is self",
        Kind.RIGGED_COMPARISON,
    ),
    "lambda ne": ("class A:\n    __ne__ = lambda self, other: False", Kind.RIGGED_COMPARISON),
    "always true": (
        "class Yes:\n    def __bool__(self):\n        return True",
        Kind.RIGGED_COMPARISON,
    ),
    "ordering": (
        "class Small:\n    def __le__(self, other):\n        return 1 if other else 1",
        Kind.RIGGED_COMPARISON,
    ),
    "array ufunc": (
        "class Any:\n    def __array_ufunc__(self, *a, **k):\n        return True",
        Kind.RIGGED_COMPARISON,
    ),
    "fake class": ("class Fake:\n    __class__ = list", Kind.RIGGED_COMPARISON),
    "gradebook": ("open('../gradebook/gradebook.db', 'rb').read()", Kind.GRADER_ACCESS),
    "source notebook": (
        "text = open('/course/source/lecture1/exercise_1_2.ipynb').read()",
        Kind.GRADER_ACCESS,
    ),
    "config": ("open('nbgrader_config.py', 'a').write('c = 1')", Kind.GRADER_ACCESS),
    "autograded": ("import glob\nglob.glob('autograded/*/ps1/*')", Kind.GRADER_ACCESS),
    "submitted": ("open('submitted/bob/ps1/arith.ipynb')", Kind.GRADER_ACCESS),
    "traversal": ("import os\nos.listdir(os.path.join(os.getcwd(), '..'))", Kind.GRADER_ACCESS),
    "pardir": ("import os\nos.listdir(os.pardir)", Kind.GRADER_ACCESS),
    "grading env": (
        "import os\ncheating = os.environ.get('NBGRADER_EXECUTION') == 'autograde'",
        Kind.GRADER_ACCESS,
    ),
    "os._exit": ("import os\nos._exit(0)", Kind.PROCESS_CONTROL),
    "os.kill": ("import os\nos.kill(os.getppid(), 9)", Kind.PROCESS_CONTROL),
    "signal": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)", Kind.PROCESS_CONTROL),
    "sys.exit": ("import sys\nsys.exit(0)", Kind.PROCESS_CONTROL),
    "thread": ("import threading\nthreading.Thread(target=later).start()", Kind.PROCESS_CONTROL),
    "subprocess": ("import subprocess\nsubprocess.Popen(['sleep', '1000'])", Kind.SYSTEM_ACCESS),
    "socket": ("import socket\nsocket.create_connection(('example.org', 80))", Kind.SYSTEM_ACCESS),
    "multiprocessing": ("from multiprocessing import Process", Kind.SYSTEM_ACCESS),
    "ctypes": ("import ctypes\nctypes.memmove(a, b, 8)", Kind.SYSTEM_ACCESS),
    "os.system": ("import os\nos.system('sleep 1000 &')", Kind.SYSTEM_ACCESS),
    "shell escape": ("!cat ../gradebook/gradebook.db", Kind.SYSTEM_ACCESS),
    "shell assignment": ("files = !ls /", Kind.SYSTEM_ACCESS),
    "bash cell": ("%%bash\nsleep 1000 &", Kind.SYSTEM_ACCESS),
    "exec": ("exec(code_from_somewhere)", Kind.DYNAMIC_CODE),
    "eval": ("eval('1 + 1')", Kind.DYNAMIC_CODE),
    "compile": ("compile(text, 'x', 'exec')", Kind.DYNAMIC_CODE),
    "__import__": ("__import__('os')", Kind.DYNAMIC_CODE),
    "importlib": ("import importlib\nimportlib.import_module('numpy')", Kind.DYNAMIC_CODE),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_each_attack_raises_a_flag_of_its_kind(name: str) -> None:
    code, kind = ATTACKS[name]
    assert kind in {finding.kind for finding in scan_code(code)}


def test_every_kind_of_suspicion_has_an_attack() -> None:
    static = set(Kind) - {Kind.UNTRUSTED_VERDICT}
    assert {kind for _, kind in ATTACKS.values()} == static


def test_the_flag_names_the_line_and_quotes_it() -> None:
    code = "x = 1\n\nnp.allclose = lambda *a, **k: True\ny = 2"
    (finding,) = scan_code(code)
    assert finding.line == 3
    assert "np.allclose = lambda" in finding.detail and "numpy.allclose" in finding.detail


def test_attacks_hidden_in_exec_strings_are_flagged_with_what_they_do() -> None:
    kinds = {f.kind for f in scan_code("exec('np.allclose = lambda *a: True')")}
    assert kinds == {Kind.DYNAMIC_CODE, Kind.LIBRARY_REBINDING}


def test_syntax_errors_and_magics_do_not_hide_the_other_lines() -> None:
    code = (
        "%matplotlib inline\n"
        "def broken(:\n"
        "    pass\n"
        "x = !ls\n"
        "np.allclose = lambda *a, **k: True\n"
        "value?\n"
        "sys.settrace(t"
    )
    lines = {(f.line, f.kind) for f in scan_code(code)}
    assert (5, Kind.LIBRARY_REBINDING) in lines
    assert (7, Kind.INTERPRETER_HOOK) in lines
    assert (4, Kind.SYSTEM_ACCESS) in lines
    assert not any(line == 1 for line, _ in lines)  # %matplotlib is harmless


@pytest.mark.parametrize(
    "code",
    [
        "class Point:\n    def __eq__(self, other):\n"
        "        if not isinstance(other, Point):\n            return NotImplemented\n"
        "        return (self.x, self.y) == (other.x, other.y)",
        "total = sum(values)\nmaximum = max(values)\nsum = 0  # shadowing by a value is no rigging",
        "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'",
        "import pandas as pd\npd.options.display.max_rows = 5",
        "import sys\nsys.setrecursionlimit(5000)",
        "print('Your answer was submitted for grading')",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])",
        "from IPython.display import display\ndisplay(table)",
        "%%time\nresult = [n * n for n in range(10)]",
    ],
)
def test_ordinary_student_code_raises_no_flag(code: str) -> None:
    assert scan_code(code) == []


def lecture_notebooks() -> list[Path]:
    return sorted(LECTURE.glob("*.ipynb"))


@pytest.mark.parametrize("path", lecture_notebooks(), ids=lambda p: p.stem)
def test_reference_solutions_raise_no_flag(path: Path) -> None:
    source = read_notebook(path)
    release = read_notebook(REPO_ROOT / "release" / "lecture1" / path.name)
    # With the release, and without it (every cell the student could edit, given code included).
    assert scan_notebook(path.stem, source, release) == ()
    assert scan_notebook(path.stem, source) == ()


def correct_variants() -> list[tuple[str, str]]:
    return [
        (notebook_id, variant.name)
        for notebook_id in variant_notebook_ids(VARIANTS)
        for variant in load_variant_set(VARIANTS, notebook_id).correct
    ]


@pytest.mark.parametrize(("notebook_id", "name"), correct_variants(), ids=lambda v: str(v))
def test_correct_answer_variants_raise_no_flag(notebook_id: str, name: str) -> None:
    variant_set = load_variant_set(VARIANTS, notebook_id)
    variant = next(v for v in variant_set.correct if v.name == name)
    source = read_notebook(LECTURE / f"{notebook_id}.ipynb")
    nb = variant_notebook(source, variant, variant_set.unscored)
    assert scan_notebook(notebook_id, nb) == ()


def test_wrong_answer_variants_are_mistakes_not_attacks() -> None:
    flagged = []
    for notebook_id in variant_notebook_ids(VARIANTS):
        variant_set = load_variant_set(VARIANTS, notebook_id)
        source = read_notebook(LECTURE / f"{notebook_id}.ipynb")
        for variant in variant_set.wrong:
            found = scan_notebook(
                notebook_id, variant_notebook(source, variant, variant_set.unscored)
            )
            flagged.extend(f"{variant.name}: {s.detail}" for s in found)
    assert flagged == []


def test_locked_cells_are_not_scanned_because_nbgrader_restores_them() -> None:
    release = read_notebook(REPO_ROOT / "release" / "lecture1" / "exercise_0_python.ipynb")
    nb = nbformat.from_dict(release)
    setup = next(c for c in nb.cells if cells.grade_id(c) == "setup_imports")
    setup.source = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    assert scan_notebook("exercise_0_python", nb, release) == ()
    given = next(c for c in nb.cells if c.cell_type == "code" and not cells.grade_id(c))
    given.source += "\nnp.allclose = lambda *a, **k: True"
    (found,) = scan_notebook("exercise_0_python", nb, release)
    assert found.cell == nb.cells.index(given) + 1 and found.grade_id is None
    assert found.line == len(given.source.split("\n"))


def test_a_new_cell_is_scanned_with_its_position(released_tiny_course: Course) -> None:
    course = released_tiny_course
    nb = reference_notebook(course)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(0)"))
    nb = edit_cell(
        nb,
        "add_answer",
        "def add(a, b):\n"
        "    get_ipython().set_custom_exc((AssertionError,), lambda *a, **k: None)\n"
        "    return a + b",
    )
    cohort.write_submission(course, TINY_ASSIGNMENT, "mallory", {TINY_NOTEBOOK: nb})
    release = read_release(course, TINY_ASSIGNMENT)
    found = scan_submission(course, TINY_ASSIGNMENT, "mallory", release)
    where = {(s.cell, s.grade_id, s.line, s.kind) for s in found}
    answer_cell = next(i for i, c in enumerate(nb.cells, 1) if cells.grade_id(c) == "add_answer")
    assert (4, None, 2, Kind.PROCESS_CONTROL) in where
    assert (answer_cell, "add_answer", 2, Kind.IPYTHON_HOOK) in where
    (flag,) = report_flags(course, TINY_ASSIGNMENT, ["mallory"], release)
    assert (
        flag.kind is FlagKind.SUSPICIOUS
        and f"cell {answer_cell} (add_answer) line 2" in flag.detail
    )


def test_a_reference_submission_raises_no_flag(released_tiny_course: Course) -> None:
    course = released_tiny_course
    cohort.write_submission(
        course, TINY_ASSIGNMENT, "alice", {TINY_NOTEBOOK: reference_notebook(course)}
    )
    release = read_release(course, TINY_ASSIGNMENT)
    assert scan_submission(course, TINY_ASSIGNMENT, "alice", release) == ()
    assert report_flags(course, TINY_ASSIGNMENT, ["alice"], release) == []


def test_the_autograde_table_lists_each_flag_with_cell_and_line() -> None:
    flagged = Suspicion("arith", 3, "add_answer", 2, Kind.IPYTHON_HOOK, "uses set_custom_exc")
    outcome = StudentOutcome("ps1", "mallory", Status.GRADED, suspicions=(flagged,))
    clean = StudentOutcome("ps1", "alice", Status.GRADED)
    text = render_autograde(AutogradeReport("ps1", (clean, outcome)))
    assert "mallory: arith cell 3 (add_answer) line 2: hooks IPython's execution" in text
    (row,) = [line for line in text.splitlines() if line.startswith("mallory ")]
    assert row.endswith("graded  1 flag for a TA (below)")  # counted on the row, said below
    assert "alice" not in text.split("Flagged for a TA")[1]
