"""Errors meant for the person running the course: specific, actionable, no traceback."""


class CourseError(Exception):
    """A problem the user can fix (config, paths, arguments); the CLI prints it and exits 1."""


class NbgraderError(CourseError):
    """nbgrader reported failure; the message says what failed, log_tail says why."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(f"{message}\n{log_tail}" if log_tail else message)
        self.summary = message
        self.log_tail = log_tail
