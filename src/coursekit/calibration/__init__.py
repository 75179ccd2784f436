"""Calibration of the hidden tests' tolerances and the answer variants that prove them."""

from typing import Any


def __getattr__(name: str) -> Any:
    # coursekit 0.1's module coursekit.calibration is now coursekit.calibration.tolerances:
    # its names stay reachable here for one release (calibration scripts import them).
    import warnings

    from coursekit.calibration import tolerances

    if name.startswith("__") or not hasattr(tolerances, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"coursekit.calibration.{name} moved to coursekit.calibration.tolerances.{name}",
        FutureWarning,
        stacklevel=2,
    )
    return getattr(tolerances, name)
