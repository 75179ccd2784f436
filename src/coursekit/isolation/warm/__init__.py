"""Warm kernels: a fork server imports the heavy libraries once, each notebook gets a fresh fork.

Plugged in as a jupyter_client kernel provisioner (`coursekit-warm`) named by the kernelspec
`python3-warm`, so any executor that starts kernels by name (nbgrader's Execute, nbclient,
`course autograde`, stock `nbgrader autograde`) uses it through configuration alone.

- protocol.py: the wire format between the provisioner and the server
- server.py: the long-lived server process (preload, fork, reap, idle exit)
- child.py: what a forked child does to become a fresh ipykernel
- client.py: finding, starting and talking to a server from the grading process
- provisioner.py: the jupyter_client provisioner
- kernelspec.py: the kernelspecs that select the provisioner
- kernel_dir.py: the folder of one kernel's connection file and IPC sockets
- confinement.py: the sandbox policy a kernel gets from the grader's configuration
"""

KERNEL_NAME = "python3-warm"
COLD_KERNEL_NAME = "python3-cold"  # the same provisioner, without the fork server
PROVISIONER_NAME = "coursekit-warm"
