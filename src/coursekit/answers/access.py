"""Who may open the grading page: the graders the course lists, and the leads among them.

In nbgrader_config.py (stock nbgrader ignores the section):

    c.CourseKit.graders = ["ta_anna", "ta_ben"]       # Jupyter/JupyterHub user names
    c.CourseKit.lead_graders = ["ta_anna"]            # may also edit the rubric items

Anyone else gets 403, students included: a page that shows every student's answer is for
graders only. `course answers` alone serves one person holding its token, as the lead.
"""

from __future__ import annotations

from dataclasses import dataclass

from coursekit.core.course import Course

CONFIG_SECTION = "CourseKit"
TOKEN_GRADER = "lead (token)"  # who `course answers` serves: whoever holds its printed token


@dataclass(frozen=True)
class Grader:
    """A person allowed to grade; a lead may also change the rubric items."""

    name: str
    lead: bool


def configured_names(course: Course, setting: str) -> frozenset[str]:
    """The user names of one CourseKit setting (graders or lead_graders), empty when unset."""
    section = course.config.get(CONFIG_SECTION, {})
    names = section.get(setting, ()) if hasattr(section, "get") else ()
    return frozenset(str(name) for name in names)


def grader_of(course: Course, username: str | None) -> Grader | None:
    """The grader a logged-in user is, or None when the course does not list them."""
    if not username:
        return None
    leads = configured_names(course, "lead_graders")
    if username not in configured_names(course, "graders") | leads:
        return None
    return Grader(username, lead=username in leads)
