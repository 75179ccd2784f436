"""`python -m coursekit.isolation.warm install [--prefix P]`: install the python3-warm and
python3-cold
kernelspecs."""

from __future__ import annotations

import argparse
from pathlib import Path

from coursekit.isolation.warm.kernelspec import install_kernelspecs


def main() -> None:
    """Parse the arguments and install the kernelspecs."""
    parser = argparse.ArgumentParser(prog="python -m coursekit.isolation.warm", description=__doc__)
    parser.add_argument("action", choices=["install"])
    parser.add_argument("--prefix", type=Path, help="environment prefix (default: this one)")
    args = parser.parse_args()
    for folder in install_kernelspecs(args.prefix):
        print(f"installed {folder}")


if __name__ == "__main__":
    main()
