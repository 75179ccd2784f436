"""Errors meant for the person running the course: specific, actionable, no traceback."""


class CourseError(Exception):
    """A problem the user can fix (config, paths, arguments); the CLI prints it and exits 1."""


class NbgraderError(CourseError):
    """nbgrader reported failure; the message carries the tail of its log."""
