"""`python -m coursekit.cli`: the `course` command."""

import sys

from coursekit.cli.app import main

sys.exit(main())
