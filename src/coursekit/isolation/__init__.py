"""Where student code runs: the sandbox, warm kernels forked from a server, and the canary that
proves both before a batch."""
