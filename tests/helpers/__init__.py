"""What more than one test module uses (pytest's pythonpath puts tests/ on sys.path).

course          the tiny pure-Python course: its notebook, its folder, reading notebooks
notebooks       a student's edits: answers filled in, cells edited, deleted, pasted
cohorts         cohorts of the tiny course whose expected scores the test points determine
graded_cohort   one small cohort released and autograded once per session (the kernel layer)
feedback        feedback HTML read as a student reads it
lecture         the lecture 1 notebooks of source/ as committed
warm_kernels    warm kernel servers and stock nbgrader runs (fixtures, via conftest.py)
kernel_guard    no kernel starts in a test of the no-kernel layer
report_cohort, lms_archives, editor_formats, headless_chromium   one subject each
adversarial, adversarial_course, adversarial_checks   the attack suite (also a script)
"""
