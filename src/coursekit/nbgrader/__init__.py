"""The one place that talks to nbgrader: its API, its course directory and its gradebook.

The steps in coursekit.steps subclass nbgrader's preprocessors (that is how nbgrader_config.py
plugs them in); every other module reaches nbgrader through this package.
"""
