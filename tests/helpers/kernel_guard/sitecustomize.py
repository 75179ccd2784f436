"""A test that did not ask for kernels cannot start one, in its own process or in one it runs.

tests/conftest.py calls `refuse_kernel_launches` in the test process and, around each test of
the no-kernel layer, sets NO_KERNELS_VARIABLE and puts this folder on PYTHONPATH: Python imports
this module at the start of every process the test runs (`course autograde`, `nbgrader
autograde`), and it refuses kernel launches there too, once jupyter_client is imported.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

NO_KERNELS_VARIABLE = "COURSEKIT_TESTS_NO_KERNELS"
MESSAGE = "this test starts a kernel: request the `kernels` fixture (tests/conftest.py)"
MANAGER_MODULE = "jupyter_client.manager"


class KernelLaunchRefused(RuntimeError):
    """A test of the no-kernel layer tried to start a kernel."""


def refuse_kernel_launches(manager_module: ModuleType) -> None:
    """Make KernelManager (and every subclass) raise on launch while NO_KERNELS_VARIABLE is set."""
    manager_class = manager_module.KernelManager
    launch = manager_class._async_launch_kernel
    if getattr(launch, "refuses_kernels", False):
        return

    async def launch_unless_refused(self: Any, kernel_cmd: list[str], **kw: Any) -> None:
        if os.environ.get(NO_KERNELS_VARIABLE):
            raise KernelLaunchRefused(f"{MESSAGE}; it launched {' '.join(kernel_cmd)}")
        await launch(self, kernel_cmd, **kw)

    launch_unless_refused.refuses_kernels = True  # type: ignore[attr-defined]
    manager_class._async_launch_kernel = launch_unless_refused


class RefuseOnImport(importlib.abc.MetaPathFinder):
    """Patches jupyter_client's KernelManager as soon as a process imports it."""

    def find_spec(
        self, name: str, path: Any, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != MANAGER_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            refuse_kernel_launches(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if os.environ.get(NO_KERNELS_VARIABLE):
    if MANAGER_MODULE in sys.modules:
        refuse_kernel_launches(sys.modules[MANAGER_MODULE])
    else:
        sys.meta_path.insert(0, RefuseOnImport())
