"""Grading written answers by question: answer groups, rubric items, a page for TAs."""
