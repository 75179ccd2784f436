"""The kernelspecs `python3-warm` (forked from the warm server) and `python3-cold` (started
cold, through the sandbox launcher): the stock Python kernel, launched by the warm provisioner,
confined either way."""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager

from coursekit.isolation.warm import COLD_KERNEL_NAME, KERNEL_NAME, PROVISIONER_NAME
from coursekit.isolation.warm.provisioner import DEFAULT_IDLE_SECONDS, DEFAULT_PRELOAD


def kernel_json(
    preload: Sequence[str] = DEFAULT_PRELOAD,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    fork: bool = True,
) -> dict[str, Any]:
    """kernel.json of the warm kernel (or, fork False, the cold one): python3's command line,
    the provisioner in metadata."""
    kind = "warm kernels" if fork else "cold kernels"
    return {
        # The same command as ipykernel's python3 spec: a spec whose provisioner is missing
        # is hidden by jupyter_client, and the command is what the fork server checks.
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({kind} for grading, sandboxed)",
        "language": "python",
        "metadata": {
            "debugger": True,
            "supported_encryption": ["curve"],
            "kernel_provisioner": {
                "provisioner_name": PROVISIONER_NAME,
                "config": {
                    "preload": list(preload),
                    "idle_seconds": idle_seconds,
                    "fork": fork,
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


def install_kernelspecs(prefix: Path | None = None) -> list[Path]:
    """Install python3-warm and python3-cold under prefix (default: this environment)."""
    return [
        install_kernelspec(prefix),
        install_kernelspec(prefix, COLD_KERNEL_NAME, kernel_json(fork=False)),
    ]
