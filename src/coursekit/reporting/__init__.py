"""Grades out: feedback HTML, CSV and LMS exports, the grade report (data, then HTML)."""
