"""The grading side of the sandbox: which policy a kernel gets, and a loud word if none.

The policy comes from the configuration the kernel manager was given (nbgrader passes its own,
read from nbgrader_config.py, to every kernel manager it starts), via coursekit.isolation.sandbox.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coursekit.isolation.sandbox import SandboxPolicy

log = logging.getLogger(__name__)

OPT_OUT = "c.CourseKit.sandbox_enabled = False"


def course_root(config: Any) -> Path:
    """CourseDirectory.root of a config; nbgrader's default (the working folder) if unset."""
    # .get, not attribute access: a traitlets Config creates missing sections on access.
    root = (config or {}).get("CourseDirectory", {}).get("root") or os.getcwd()
    return Path(root).resolve()


def policy_of(config: Any) -> SandboxPolicy:
    """The sandbox policy the configuration asks for (defaults:
    coursekit.isolation.sandbox.policy)."""
    from coursekit.isolation.sandbox import policy_from_config

    return policy_from_config(config, course_root(config))


def warn_if_disabled(policy: SandboxPolicy) -> None:
    """Say loudly that student code runs unconfined because the configuration opted out."""
    if not policy.enabled:
        log.warning(
            "sandbox disabled (%s in nbgrader_config.py): student code runs with the "
            "grader's permissions, network and files",
            OPT_OUT,
        )
