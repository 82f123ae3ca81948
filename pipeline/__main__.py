"""Entry point for ``python -m pipeline``: the command line lives in pipeline.cli."""

import sys

from pipeline.cli import main

sys.exit(main())
