"""How a kernel fails to start, in nbclient's words, and how often a start is worth trying.

A kernel can die before it answers at all when processes start kernels at the same moment:
jupyter_client picks each kernel's ports by binding free ones and releasing them, and another
process can take a port in between (nteract/papermill#511). Seen once in 3 runs of 32 students
on 8 workers, and once in a full CI run among the calibration's concurrent kernels. No code of
the notebook has run by then, so starting again is safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbclient costs a second to import; this module's constants do not
    from nbclient import NotebookClient

START_ATTEMPTS = 3
# nbclient's message when the kernel process ended before its first answer.
DIED_AT_START = "Kernel died before replying to kernel_info"
# nbclient's message when the kernel started but never answered within c.Execute.startup_timeout.
SILENT_AT_START = "Kernel didn't respond in"
STARTUP_TIMEOUT_DEFAULT_S = 60  # nbclient's own default for c.Execute.startup_timeout


async def start_kernel(client: NotebookClient, attempts: int = START_ATTEMPTS) -> None:
    """Start client's kernel (and its channels), again when it died or stayed silent before its
    first answer (no code has run yet, so another start is safe).

    client.async_execute() then runs the notebook in this kernel and shuts it down."""
    for attempt in range(1, attempts + 1):
        client.km = client.create_kernel_manager()
        try:
            await client.async_start_new_kernel()
            await client.async_start_new_kernel_client()  # cleans the kernel up if it raises
            return
        except RuntimeError as error:
            failed_at_start = DIED_AT_START in str(error) or SILENT_AT_START in str(error)
            if not failed_at_start or attempt == attempts:
                raise
