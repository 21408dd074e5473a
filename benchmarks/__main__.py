"""`python -m benchmarks`: the benchmark suite against PyTorch CPU (benchmarks/cli.py)."""

import sys

from benchmarks.cli import main

sys.exit(main())
