"""`python -m coursekit.warm install [--prefix P]`: install the python3-warm kernelspec."""

from __future__ import annotations

import argparse
from pathlib import Path

from coursekit.warm.kernelspec import install_kernelspec


def main() -> None:
    """Parse the arguments and install the kernelspec."""
    parser = argparse.ArgumentParser(prog="python -m coursekit.warm", description=__doc__)
    parser.add_argument("action", choices=["install"])
    parser.add_argument("--prefix", type=Path, help="environment prefix (default: this one)")
    args = parser.parse_args()
    print(f"installed {install_kernelspec(args.prefix)}")


if __name__ == "__main__":
    main()
