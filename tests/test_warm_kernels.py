"""Warm kernels: every notebook still gets a fresh process, forked from a server that no student
can change, and grades equal the cold kernels' to the bit.

The fast tests use a light kernelspec (the server preloads NumPy only) installed in tmp_path;
the slow ones use the installed python3-warm, which preloads TensorFlow and Keras. Each test has
its own server folder, so no test shares a server with another test or another user's grading.
Every warm kernel is sandboxed by the default policy (tests/test_sandboxed_kernels.py): what it
writes stays in its private copy of its folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
import numpy as np
import pytest
from helpers.course import TINY_ASSIGNMENT, TINY_NOTEBOOK, tiny_source_notebook
from helpers.warm_kernels import (
    LIGHT_IDLE_SECONDS,
    is_running,
    logged_server_pids,
    stock_autograde_scores,
    wait_until_gone,
    with_kernel,
)
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager, start_new_kernel
from jupyter_client.provisioning import KernelProvisionerFactory
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

from coursekit.authoring.cohort import (
    fill_release,
    solution_answers,
    write_submission,
    written_answers,
)
from coursekit.core.course import Course, locate_course
from coursekit.isolation.warm import COLD_KERNEL_NAME, KERNEL_NAME, PROVISIONER_NAME, client
from coursekit.isolation.warm.confinement import policy_of
from coursekit.isolation.warm.kernel_dir import make_kernel_dir, remove_kernel_dir, use_ipc_channels
from coursekit.isolation.warm.provisioner import in_thread
from coursekit.nbgrader import api as nbgrader_api

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_cells(kernel_name: str, cwd: Path, sources: Sequence[str], **options: object) -> list[str]:
    """Execute a notebook of these cells in cwd; each cell's printed text."""
    nb = new_notebook(cells=[new_code_cell(source) for source in sources])
    options.setdefault("timeout", 60)
    client_ = NotebookClient(
        nb, kernel_name=kernel_name, resources={"metadata": {"path": str(cwd)}}, **options
    )
    client_.execute()
    return [
        "".join(out.get("text", "") or out.get("ename", "") for out in cell.outputs)
        for cell in nb.cells
    ]


PRINT_PROCESS = "import os; print(os.getpid(), os.getppid())"


def process_ids(printed: str) -> tuple[int, int]:
    """(pid, parent pid) as PRINT_PROCESS printed them."""
    pid, ppid = printed.split()
    return int(pid), int(ppid)


@pytest.mark.parametrize("kernel_name", [KERNEL_NAME, COLD_KERNEL_NAME])
def test_warm_and_cold_kernelspecs_name_the_registered_provisioner(kernel_name: str) -> None:
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME
    assert spec.metadata["kernel_provisioner"]["config"]["fork"] == (kernel_name == KERNEL_NAME)
    assert KernelProvisionerFactory.instance().is_provisioner_available(spec)
    assert spec.argv == KernelSpecManager().get_kernel_spec("python3").argv


def test_each_notebook_gets_a_fresh_process_with_nothing_of_the_previous_one(
    light_kernel: str, tmp_path: Path
) -> None:
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    draw = "import numpy as np, random; print(np.random.random(), random.random())"
    first = run_cells(
        light_kernel,
        first_dir,
        [
            PRINT_PROCESS,
            draw,
            "secret = 42\nopen('left_behind.txt', 'w').write('x')\n"
            "np.random.seed(0); random.seed(0)\nimport sys; sys.modules['planted'] = sys",
        ],
    )
    second = run_cells(
        light_kernel,
        second_dir,
        [
            PRINT_PROCESS,
            draw,
            "import sys\n"
            "print('secret' in globals(), 'planted' in sys.modules, sorted(os.listdir('.')), "
            "os.getcwd())",
        ],
    )
    first_pid, server = process_ids(first[0])
    second_pid, second_server = process_ids(second[0])
    assert second_server == server, "both kernels were forked by the same warm server"
    assert second_pid != first_pid
    first_draws, second_draws = first[1].split(), second[1].split()
    assert first_draws[0] != second_draws[0], "NumPy's global generator was copied, not fresh"
    assert first_draws[1] != second_draws[1], "Python's random was copied, not fresh"
    seeded = f"{np.random.RandomState(0).random_sample()}"
    assert seeded not in second[1], "the first student's seed reached the second"
    assert second[2] == f"False False [] {second_dir}\n"
    assert not (first_dir / "left_behind.txt").exists(), "the sandbox kept the write private"


def test_a_kernel_that_crashes_leaves_the_server_serving(light_kernel: str, tmp_path: Path) -> None:
    with pytest.raises(DeadKernelError):
        run_cells(light_kernel, tmp_path, [PRINT_PROCESS, "import os; os._exit(1)"])
    first = run_cells(light_kernel, tmp_path, [PRINT_PROCESS])
    second = run_cells(light_kernel, tmp_path, [PRINT_PROCESS])
    assert process_ids(first[0])[1] == process_ids(second[0])[1]


def test_an_endless_cell_is_interrupted_at_the_timeout_and_the_notebook_goes_on(
    light_kernel: str, tmp_path: Path
) -> None:
    printed = run_cells(
        light_kernel,
        tmp_path,
        ["while True:\n    pass", "print('after')"],
        timeout=3,
        interrupt_on_timeout=True,
        allow_errors=True,
    )
    assert printed == ["KeyboardInterrupt", "after\n"]


def test_killing_a_kernel_kills_what_the_student_spawned_and_the_server_serves_on(
    light_kernel: str, tmp_path: Path
) -> None:
    printed: list[str] = []
    km, kc = start_new_kernel(kernel_name=light_kernel, cwd=str(tmp_path))
    try:
        kc.execute_interactive(
            "import os, signal, subprocess\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)  # deaf to interrupts\n"
            "helper = subprocess.Popen(['sleep', '600'])\n"
            "print(os.getpid(), helper.pid, flush=True)",
            output_hook=lambda msg: printed.append(msg["content"].get("text", "")),
            timeout=30,
        )
        kernel_pid, helper_pid = map(int, "".join(printed).split())
        kc.execute("while True:\n    pass")
        time.sleep(0.5)
        assert is_running(kernel_pid) and is_running(helper_pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert wait_until_gone(kernel_pid, 10) and wait_until_gone(helper_pid, 10)
    assert run_cells(light_kernel, tmp_path, ["print('next')"]) == ["next\n"]


def test_a_server_that_died_is_replaced_on_the_next_kernel(
    light_kernel: str, tmp_path: Path, warm_dir: Path
) -> None:
    _, server = process_ids(run_cells(light_kernel, tmp_path, [PRINT_PROCESS])[0])
    os.kill(server, signal.SIGKILL)
    assert wait_until_gone(server, 10)
    assert list(warm_dir.glob("*.sock")), "the killed server's socket is left, stale"
    _, replacement = process_ids(run_cells(light_kernel, tmp_path, [PRINT_PROCESS])[0])
    assert replacement != server


def test_the_kernel_gets_the_cpu_set_and_umask_of_the_grading_thread(
    light_kernel: str, tmp_path: Path
) -> None:
    every_core = os.sched_getaffinity(0)
    old_umask = os.umask(0o027)
    os.sched_setaffinity(0, {min(every_core)})
    try:
        printed = run_cells(
            light_kernel, tmp_path, ["import os; print(os.sched_getaffinity(0), os.umask(0))"]
        )
    finally:
        os.sched_setaffinity(0, every_core)
        os.umask(old_umask)
    assert printed == [f"{ {min(every_core)} } {0o027}\n"]


def test_the_server_exits_once_the_last_grading_process_has_gone(
    light_kernel: str, tmp_path: Path, warm_dir: Path
) -> None:
    script = (
        "from nbclient import NotebookClient\n"
        "from nbformat.v4 import new_notebook, new_code_cell\n"
        f"nb = new_notebook(cells=[new_code_cell({PRINT_PROCESS!r})])\n"
        f"NotebookClient(nb, kernel_name={light_kernel!r}, "
        f"resources={{'metadata': {{'path': {str(tmp_path)!r}}}}}).execute()\n"
        "print(nb.cells[0].outputs[0].text, end='')\n"
    )
    grader = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    _, server = process_ids(grader.stdout)
    assert logged_server_pids(warm_dir) == [server]
    assert wait_until_gone(server), "the server outlived the grading process"
    assert not list(warm_dir.glob("*.sock"))


def test_a_launch_without_a_sandbox_policy_is_refused(warm_dir: Path, tmp_path: Path) -> None:
    # Turning the sandbox off is a policy too; a request that says nothing gets no kernel.
    spec = client.ServerSpec.for_kernel(sys.executable, [], os.environ, LIGHT_IDLE_SECONDS)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "k.json")]
    with open(os.devnull, "r+b") as devnull:
        fds = [devnull.fileno()] * 3
        with pytest.raises(client.WarmKernelError, match="needs a sandbox policy"):
            client.launch_kernel(
                spec, argv, os.environ, str(tmp_path), fds, client.calling_thread_attributes()
            )


def test_the_provisioner_reads_the_kernel_managers_config_and_sets_up_ipc_channels(
    light_kernel: str,
) -> None:
    config = Config()
    config.CourseDirectory.root = "/nonexistent/course"
    config.CourseKit.sandbox_memory_mb = 123
    manager = KernelManager(kernel_name=light_kernel, config=config)
    provisioner = KernelProvisionerFactory.instance().create_provisioner_instance(
        "kernel-id", manager.kernel_spec, parent=manager
    )
    policy = policy_of(provisioner.config)
    assert policy.memory_mb == 123 and "/nonexistent/course" in policy.hidden_paths
    folder = make_kernel_dir()
    try:
        use_ipc_channels(manager, folder)
        manager.write_connection_file()
        info = json.loads(Path(manager.connection_file).read_text())
        mode = folder.stat().st_mode & 0o777
    finally:
        remove_kernel_dir(folder)
    assert Path(manager.connection_file) == folder / "kernel.json" and mode == 0o700
    # Absolute socket paths: the kernel binds and the grader connects from different folders.
    assert info["transport"] == "ipc" and info["ip"] == str(folder / "ipc")
    ports = {info[f"{channel}_port"] for channel in ("shell", "iopub", "stdin", "control", "hb")}
    assert ports == {1, 2, 3, 4, 5}
    assert not folder.exists()


def test_a_launch_thread_ends_with_the_launch() -> None:
    # A grading process with a thread left over cannot fork its workers (workers/local.py).
    before = threading.active_count()
    assert asyncio.run(in_thread(sum, [1, 2])) == 3
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before
    with pytest.raises(ZeroDivisionError):
        asyncio.run(in_thread(divmod, 1, 0))


# Slow: the real kernelspec, with TensorFlow and Keras preloaded.


@pytest.mark.slow
def test_keras_state_of_one_student_does_not_reach_the_next(warm_dir: Path, tmp_path: Path) -> None:
    build = (
        "import keras\n"
        "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), "
        "keras.layers.Dense(1)])\n"
        "print([layer.name for layer in model.layers], keras.config.floatx())"
    )
    first = run_cells(
        KERNEL_NAME,
        tmp_path,
        [PRINT_PROCESS, "import keras; keras.utils.set_random_seed(7)", build,
         "keras.config.set_floatx('float64')"],
    )  # fmt: skip
    second = run_cells(KERNEL_NAME, tmp_path, [PRINT_PROCESS, build])
    assert process_ids(first[0])[1] == process_ids(second[0])[1], "forked by one server"
    assert first[2] == second[1] == "['dense', 'dense_1'] float32\n"


@pytest.mark.slow
def test_stock_nbgrader_autograde_grades_the_tiny_course_warm_exactly_as_cold(
    warm_dir: Path, released_template: Path, tmp_path: Path
) -> None:
    scores = {}
    for kernel_name in ("python3", KERNEL_NAME):
        root = shutil.copytree(released_template, tmp_path / kernel_name)
        course = with_kernel(locate_course(root), kernel_name)
        release = nbformat.read(course.release_dir(TINY_ASSIGNMENT) / f"{TINY_NOTEBOOK}.ipynb", 4)
        reference = solution_answers(tiny_source_notebook())
        wrong = reference | {"add_answer": "def add(a, b):\n    return a - b"}
        for student_id, answers in (("reference", reference), ("wrong", wrong)):
            submission = fill_release(release, answers)
            write_submission(course, TINY_ASSIGNMENT, student_id, {TINY_NOTEBOOK: submission})
        scores[kernel_name] = stock_autograde_scores(course, TINY_ASSIGNMENT)
    assert logged_server_pids(warm_dir), "the warm run went through a fork server"
    assert scores[KERNEL_NAME] == scores["python3"]
    (reference_score,), (wrong_score,) = scores["python3"]["reference"], scores["python3"]["wrong"]
    assert reference_score.auto_score == reference_score.max_auto_score > wrong_score.auto_score


EXERCISE = "exercise_1_2_linear_regression"
# Every model the notebook and its hidden tests train, as float32 bits (see
# tests/test_repeatable_grades.py): the comparison is of what was trained.
PRINT_PARAMETERS = """\
for name in ("model", "model_u", "model_n", "trained", "fitted"):
    print(name, [float(v).hex() for w in globals()[name].get_weights() for v in w.ravel()])"""


def exercise_1_2_course(root: Path) -> Course:
    """A course of exercise 1.2 alone, released."""
    (root / "source" / "lecture1").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root)
    shutil.copy(
        REPO_ROOT / "source" / "lecture1" / f"{EXERCISE}.ipynb", root / "source" / "lecture1"
    )
    course = locate_course(root)
    nbgrader_api.generate_assignment(course, "lecture1")
    return course


def printed_weights(course: Course, student_id: str) -> list[str]:
    """What the scratch cell at the end of a student's autograded notebook printed."""
    graded = course.autograded_dir("lecture1", student_id) / f"{EXERCISE}.ipynb"
    return [out.get("text", "") for out in nbformat.read(graded, 4).cells[-1].outputs]


@pytest.mark.slow
def test_stock_nbgrader_autograde_grades_exercise_1_2_warm_exactly_as_cold(
    warm_dir: Path, tmp_path: Path
) -> None:
    # The reference alone (a mistake is graded by the tiny-course test): each run trains for
    # about 20 CPU seconds, and the scratch cell's weights are compared to the bit.
    grades = {}
    for kernel_name in ("python3", KERNEL_NAME):
        course = with_kernel(exercise_1_2_course(tmp_path / kernel_name), kernel_name)
        source = nbformat.read(course.source_dir("lecture1") / f"{EXERCISE}.ipynb", 4)
        release = nbformat.read(course.release_dir("lecture1") / f"{EXERCISE}.ipynb", 4)
        submission = fill_release(release, solution_answers(source) | written_answers(source))
        submission.cells.append(new_code_cell(PRINT_PARAMETERS))
        write_submission(course, "lecture1", "reference", {EXERCISE: submission})
        (score,) = stock_autograde_scores(course, "lecture1")["reference"]
        grades[kernel_name] = (score, printed_weights(course, "reference"))
    assert logged_server_pids(warm_dir), "the warm run went through a fork server"
    assert grades[KERNEL_NAME] == grades["python3"]
    score, weights = grades["python3"]
    assert score.auto_score == score.max_auto_score, "the reference keeps every point"
    assert "".join(weights).count("0x") > 20, "the scratch cell printed the trained weights"
