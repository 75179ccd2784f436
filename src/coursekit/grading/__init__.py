"""Autograde: jobs per student, the run lock, the in-flight journal, executors, student check."""
