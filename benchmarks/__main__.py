"""`python -m benchmarks`: the benchmark suite (tinygrad_cnn.bench) against PyTorch CPU."""

import sys

from tinygrad_cnn.bench import main

sys.exit(main())
