"""What the integrity checks produce: suspicions for a TA, similar pairs.

Plain frozen dataclasses: no rendering, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SuspicionKind(StrEnum):
    """What a suspicious piece of a submission does; a TA decides whether it is cheating."""

    LIBRARY_REBINDING = "rebinds a library"  # np.allclose = ..., setattr(keras.Model, ...)
    BUILTINS = "rebinds builtins"  # builtins.x = ..., __builtins__, isinstance = lambda ...
    IMPORT_MACHINERY = "edits the import machinery"  # sys.modules, sys.meta_path
    INTERPRETER_HOOK = "hooks the interpreter"  # sys.settrace, sys.displayhook, frames
    IPYTHON_HOOK = "hooks IPython's execution"  # set_custom_exc, transformers, events
    RIGGED_COMPARISON = "rigs comparisons"  # __eq__ that ignores what it is compared with
    GRADER_ACCESS = "reaches for the grader's files"  # gradebook, source/, '..', NBGRADER_*
    PROCESS_CONTROL = "controls processes"  # os._exit, os.kill, signal, threads
    SYSTEM_ACCESS = "uses processes, network or native code"  # subprocess, socket, ctypes
    DYNAMIC_CODE = "runs code from strings"  # exec, eval, compile, importlib
    UNTRUSTED_VERDICT = "verdict not trustworthy"  # the executed tests could not be confirmed


@dataclass(frozen=True)
class Suspicion:
    """One suspicious thing in one notebook, for a TA to look at: where it is and what it does.

    cell is 1-based in the submitted notebook (None: the notebook as a whole), line 1-based in
    that cell (None: the whole cell, as for verdict checks).
    """

    notebook_id: str
    cell: int | None
    grade_id: str | None
    line: int | None
    kind: SuspicionKind
    detail: str
    # A test under review: the points it would have earned (held back until a TA decides).
    review_points: float | None = None
    max_points: float | None = None

    @property
    def needs_review(self) -> bool:
        """Whether a TA must decide on points held back from the grade."""
        return self.review_points is not None

    @property
    def where(self) -> str:
        """`notebook cell 3 (grade_id) line 2`, as far as known."""
        parts = [self.notebook_id]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.grade_id:
            parts.append(f"({self.grade_id})")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return " ".join(parts)


@dataclass(frozen=True)
class SimilarPair:
    """Two students whose own answer code in one notebook is alike (for a TA to look at)."""

    notebook_id: str
    student_a: str
    student_b: str
    similarity: float
    own_tokens_a: int
    own_tokens_b: int
