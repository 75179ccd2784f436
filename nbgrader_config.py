"""nbgrader configuration of the deep-learning basics course (lecture 1).

Both stock ``nbgrader`` commands and ``course`` read this file, so everything that changes
a grade is set here once.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (injected by traitlets when it loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "dlb"
c.CourseDirectory.root = str(COURSE_ROOT)
# The embedded default: one SQLite file in gradebook/ (made here: SQLite will not create the
# folder, and a copied course may lack it). A PostgreSQL URL works here too.
GRADEBOOK_DIR = COURSE_ROOT / "gradebook"
GRADEBOOK_DIR.mkdir(exist_ok=True)
c.CourseDirectory.db_url = f"sqlite:///{GRADEBOOK_DIR / 'gradebook.db'}"

# Students' notebooks train small Keras models; 30 s (nbgrader's default) is too tight for
# a cell that trains three models on a loaded machine.
c.Execute.timeout = 180

# No wait without a bound (docs/grading.md, "No wait without a bound"); past each, the notebook
# or the student is tried once more, then failed with the reason, never left waiting:
# - a kernel's start, until it answers (nbclient's default). A warm kernel that stays silent is
#   replaced by a python3-cold one for the retry, noted on the student's outcome.
c.Execute.startup_timeout = 60
# - the warm fork server's launch of one kernel; past it that kernel starts cold (noted):
# c.WarmProvisioner.launch_timeout = 120
# - a kernel's shutdown: asked, then SIGTERM, then SIGKILL within
#   c.KernelManager.shutdown_wait_time (5 s); a cell: c.Execute.timeout above; a whole notebook:
#   c.ContainedExecute.notebook_timeout (1800 s).
# - one student's job on a `--workers N` pool worker, the worker's start included: past it the
#   worker is killed and the student tried once more on a fresh worker (as when a worker dies,
#   killed for memory or by kill -9; its other students are unaffected):
# c.CourseKit.grading_job_timeout = 7200

# Kernels start with an in-memory history (nbgrader's own default for Python) and log only
# errors: ipykernel 7 warns at every start that its loopback TCP is unencrypted, which
# buried the grading output in noise. Student output is unaffected (it is not kernel logging).
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]

# Warm kernels (docs/warm_kernels.md): each notebook still runs
# in a fresh process of its own, forked from a server that imported NumPy, TensorFlow and Keras
# once (src/coursekit/isolation/warm), instead of a new kernel importing them for seconds. Stock
# `nbgrader autograde` and `course` both start kernels by this name. Grades equal the cold
# kernels' to the bit of every trained weight (tests/test_warm_kernels.py). Cold kernels,
# sandboxed alike: "python3-cold". Stock nbgrader's "python3" runs unconfined, and `course
# autograde` refuses it (its canary, below) unless the sandbox is turned off.
c.Execute.kernel_name = "python3-warm"

# Sandbox (docs/security.md): every kernel of python3-warm and python3-cold runs student code
# confined (src/coursekit/isolation/sandbox): no network; the course folder, the gradebook, this
# file and the
# homes hidden; writes only to a private, size-capped copy of its own folder and /tmp; limits on
# memory, CPU time, processes and file size; a user id of its own, without capabilities, so it
# cannot signal the grader, the fork server or another kernel. When its notebook ends, every process
# it started is killed (its cgroup). Its channels to the grader are Unix sockets (ZMQ ipc) in a
# folder of its own, /run/coursekit-kernels/k-*, set up by the provisioner
# (src/coursekit/isolation/warm):
# this file sets no c.KernelManager.transport, which would also break stock "python3" kernels (their
# ipc paths are relative to two different folders). Before a batch, `course autograde` grades a
# canary notebook in the configured kernel and stops, saying which check failed, if the kernel
# cannot start or is not confined as set here (src/coursekit/isolation/canary.py). Defaults and
# every setting:
# src/coursekit/isolation/sandbox/policy.py; set one with c.CourseKit.sandbox_<name>, e.g.:
# c.CourseKit.sandbox_memory_mb = 2048
# c.CourseKit.sandbox_network = False
# The only way to grade unconfined (logged at every kernel start; the canary then checks only
# that a correct answer gets full marks):
# c.CourseKit.sandbox_enabled = False

c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student who deletes a test cell must not lose (or dodge) its points: nbgrader puts the
# instructor's version back, hidden tests included, and runs it like every other test.
c.OverwriteCells.add_missing_cells = True

# nbgrader's sanitize steps (0.9.6's defaults), after one of coursekit's: a cell copied with its
# grade_id (Jupyter's copy and paste keeps it) makes nbgrader fail the whole notebook; this
# step leaves one copy per grade_id, runs the instructor's test once and notes each copy in the
# feedback (src/coursekit/steps/duplicated_cells.py, docs/grading.md). Stock `nbgrader
# autograde` and `course autograde` both grade such a student.
c.Autograde.sanitize_preprocessors = [
    "coursekit.steps.duplicated_cells.ResolveDuplicatedCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.ResolveDuplicatedCells.release_folder = str(COURSE_ROOT / "release" / "{assignment_id}")

# nbconvert validates a notebook against the nbformat schema after every step (16 times per
# notebook in autograde); once, after the last step, finds the same invalid notebook, and saves
# about 0.05 CPU s per notebook graded (benchmarks/overhead.py).
c.Exporter.optimistic_validation = True

# nbgrader's autograde steps, in nbgrader 0.9.6's order, two replaced. SaveAutoGradesPerNotebook
# writes each notebook's grades in one transaction (nbgrader commits every cell) and no longer
# flags again a written answer a TA graded unless the answer changed
# (src/coursekit/steps/gradebook_writes.py; tests/test_nothing_lost.py checks it stays in this
# list).
c.Autograde.autograde_preprocessors = [
    # Before Execute: each test cell gets a check that it ran to its end, and known-answer
    # probes go after the notebook (in the executed copy only). After it: tests whose verdict
    # cannot be confirmed score 0 and are flagged (src/coursekit/steps/verdicts.py,
    # docs/verdicts.md).
    "coursekit.steps.verdicts.ArmVerdictChecks",
    # nbgrader's Execute, except that a kernel that dies or hangs costs only its cell and the
    # grade cells after it (not run), and stderr of a grade cell that raised nothing costs no
    # points (src/coursekit/steps/execution.py; c.Execute settings apply to it).
    "coursekit.steps.execution.ContainedExecute",
    "coursekit.steps.verdicts.CheckVerdicts",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    # nbgrader cuts a cell's streams to 1000 lines, but one line can be 30 MB: each output's
    # text is cut to 100 000 characters too (src/coursekit/steps/output_limits.py; grades
    # unchanged).
    "coursekit.steps.output_limits.LimitOutputCharacters",
    "coursekit.steps.gradebook_writes.SaveAutoGradesPerNotebook",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Students read their feedback while they may still resubmit: keep hidden tests hidden there.
# nbgrader's ClearHiddenTests drops the hidden region from each test cell's source; before it,
# coursekit's step shortens tracebacks, which quote the failing hidden line and its neighbours,
# and removes any output line that quotes a hidden line (student code can print the source of
# the cells that run after it).
# `course feedback ASSIGNMENT --show-hidden-tests` turns both off for that run only (after the
# deadline, say), with ClearHiddenTests.enabled and HideHiddenTestTracebacks.enabled = False.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "coursekit.steps.redaction.HideHiddenTestTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The kernels nbgrader starts inherit this process's environment (a student's own run never
# sees it). nbgrader counts any stderr output of a grade cell as a failure, and TensorFlow's
# C++ core logs to stderr: silence it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Repeatable grades: the same submission gets the same bits on every run and every machine.
# The notebooks seed Python, NumPy and Keras themselves (keras.utils.set_random_seed). What is
# set here was measured on exercise 1.2's reference, comparing every trained weight's bits
# (tests/test_repeatable_grades.py; docs/grading.md, "Repeatable to the bit"):
# - A fixed hash seed fixes the iteration order of sets of strings in student code. (Exercise
#   1.2 gave the same bits without it.)
# - oneDNN, on by default on x86, picks its kernels by the CPU's instruction set at run time:
#   limited to SSE4.1 (ONEDNN_MAX_CPU_ISA, as on an older CPU) it trained the 10-input models a
#   few float32 ulps apart. Off, TensorFlow runs its Eigen kernels, compiled into the wheel for
#   one instruction set, at no cost (kernel CPU time 19.3 s vs 20.3 s, mean of 3 runs), and
#   stops logging "oneDNN custom operations are on" to stderr.
# - The Keras backend is TensorFlow unless a machine's ~/.keras/keras.json says otherwise
#   (torch is installed too): with torch every trained weight differed. Pin it.
# - Threads need no pinning for the bits: 1 or 2 cores (taskset), OMP_NUM_THREADS=1,
#   TF_NUM_INTRAOP_THREADS=TF_NUM_INTEROP_THREADS=1 and TF_DETERMINISTIC_OPS=1 all gave the
#   same bits; these models are too small for TensorFlow to split a sum between threads.
os.environ["PYTHONHASHSEED"] = "0"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["KERAS_BACKEND"] = "tensorflow"
# One thread per TensorFlow pool in each grading kernel, for speed: kernels are graded one per
# core, and the models are too small to split an op between threads, so a second pool thread
# only hands work back and forth. On 2 cores, 2 workers, 12 students of exercise 1.2 (the same
# bits, docs/performance.md): 113.0 and 110.5 s against 118.6 and 116.9 s with TensorFlow's
# defaults, 14.2-14.8 CPU s per notebook against 15.4-15.6. An instructor whose course trains
# bigger models sets these before grading; the kernels inherit what is set.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

# Fast grading, read by `course autograde` only (stock nbgrader ignores this section): how many
# students to grade at once (default: every core this process may use), or the Dask scheduler
# whose workers see this folder (docs/scale_out.md). The command line's --workers and
# --scheduler win.
# c.CourseKit.autograde_workers = 8
# c.CourseKit.dask_scheduler = "tcp://head-node:8786"
