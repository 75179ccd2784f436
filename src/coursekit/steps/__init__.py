"""The preprocessors nbgrader_config.py plugs into nbgrader's autograde and feedback pipelines:
execute (a crash costs one cell), verdict checks, output limits, per-notebook gradebook writes,
hidden-test redaction. Each is a small nbgrader step; the logic they apply lives in its stage."""
