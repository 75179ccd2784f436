"""Progress of a running verb, printed on stderr so a long run is visibly alive."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from coursekit.authoring.types import NotebookProof
from coursekit.cli.progress import ProgressMeter
from coursekit.cli.render import render_progress, render_progress_bar, render_progress_log_line
from coursekit.cli.terminal import fit, output_width
from coursekit.grading.types import Status, StudentOutcome


def print_message(message: str) -> None:
    """Show a long-running step on stderr, so it is visibly alive."""
    print(message, file=sys.stderr, flush=True)


def print_release_progress(done: int, total: int, proof: NotebookProof) -> None:
    """Show each proven notebook on stderr: a release runs every notebook twice."""
    state = "proven" if proof.ok else "NOT proven"
    print(f"[{done}/{total}] {proof.notebook_id}: {state}", file=sys.stderr, flush=True)


def print_progress(done: int, total: int, outcome: StudentOutcome) -> None:
    """Show each graded student on stderr, so a long run is visibly alive."""
    print(render_progress(done, total, outcome), file=sys.stderr, flush=True)


@dataclass
class AutogradeProgressPrinter:
    """Autograde progress on stderr: a bar redrawn in place on a terminal, else one line each."""

    meter: ProgressMeter = field(default_factory=ProgressMeter, compare=False)

    def __call__(self, done: int, total: int, outcome: StudentOutcome) -> None:
        progress = self.meter.update(done, total, outcome)
        stream = sys.stderr
        if not stream.isatty():  # a CI log: lines, never carriage returns
            print(render_progress_log_line(progress), file=stream, flush=True)
            return
        clear = "\r\x1b[K"  # back to the line's start, erase it
        # A bar wider than the terminal would wrap, and \r would redraw only its last part.
        width = output_width(stream)
        if outcome.status is not Status.GRADED:  # who failed stays on screen above the bar
            stream.write(f"{clear}{fit(render_progress(done, total, outcome), width)}\n")
        end = "\n" if done == total else ""
        stream.write(f"{clear}{fit(render_progress_bar(progress), width)}{end}")
        stream.flush()


def print_cell_progress(started: int, total: int) -> None:
    """Show which code cell runs: one line rewritten in place on a terminal, else one line."""
    if sys.stderr.isatty():
        end = "\n" if started == total else ""
        print(f"\r\x1b[Krunning cell {started}/{total}", end=end, file=sys.stderr, flush=True)
    elif started == 1:  # a log file gets no carriage returns
        print(f"running {total} code cells in a fresh kernel", file=sys.stderr, flush=True)
