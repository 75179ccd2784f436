"""coursekit: release, autograde, feedback and grade export for an nbgrader course."""

__version__ = "0.1.0"
