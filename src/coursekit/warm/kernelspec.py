"""The kernelspec `python3-warm`: the stock Python kernel, launched by the warm provisioner."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager

from coursekit.warm import KERNEL_NAME, PROVISIONER_NAME
from coursekit.warm.provisioner import DEFAULT_IDLE_SECONDS, DEFAULT_PRELOAD


def kernel_json(
    preload: Sequence[str] = DEFAULT_PRELOAD, idle_seconds: float = DEFAULT_IDLE_SECONDS
) -> dict[str, Any]:
    """kernel.json of the warm kernel: python3's command line, the provisioner in metadata."""
    return {
        # The same command as ipykernel's python3 spec: a spec whose provisioner is missing
        # is hidden by jupyter_client, and the command is what the fork server checks.
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (warm kernels for grading)",
        "language": "python",
        "metadata": {
            "debugger": True,
            "supported_encryption": ["curve"],
            "kernel_provisioner": {
                "provisioner_name": PROVISIONER_NAME,
                "config": {
                    "preload": list(preload),
                    "idle_seconds": idle_seconds,
                },
            },
        },
        "kernel_protocol_version": "5.5",
    }


def install_kernelspec(
    prefix: Path | None = None, name: str = KERNEL_NAME, spec: dict[str, Any] | None = None
) -> Path:
    """Install python3-warm under prefix/share/jupyter/kernels (default: this environment)."""
    with tempfile.TemporaryDirectory() as folder:
        text = json.dumps(spec or kernel_json(), indent=1) + "\n"
        Path(folder, "kernel.json").write_text(text)
        installed = KernelSpecManager().install_kernel_spec(
            folder, name, prefix=str(prefix or sys.prefix), replace=True
        )
    return Path(installed)
