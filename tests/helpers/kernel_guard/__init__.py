"""See sitecustomize.py: the folder goes on PYTHONPATH of the no-kernel layer's commands."""
