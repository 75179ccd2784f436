"""coursekit: release, autograde, feedback and grade export for an nbgrader course."""

__version__ = "0.1.0"

from coursekit import compat as _compat

# Old flat dotted paths (coursekit.execution, coursekit.verdicts, ...) keep working for one
# release: see coursekit.compat.
_compat.install()
