"""Submissions in: LMS downloads and their formats, the roster, inspection before grading."""
