"""`tinygrad-cnn bench`: finds the source checkout's benchmarks/ package and runs its suite.

The suite (benchmarks/: workloads, the per-process child, the harness and the report) runs each
side in its own process, so it is not part of the installed package; it needs a checkout (an
editable install, `pip install -e .`, finds it next to this package).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def _suite():
    """The benchmarks.cli module of the checkout this package was installed from."""
    if not (CHECKOUT / "benchmarks" / "child.py").is_file():
        raise FileNotFoundError(
            f"no benchmarks/ folder next to the package in {CHECKOUT}; "
            "run it from a source checkout installed with `pip install -e .`"
        )
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    from benchmarks import cli

    return cli


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The suite's options (--quick, --rounds, --only, --markdown, ...) on parser `p`; none
    without a checkout (then `run` says where the suite is), so other commands still work."""
    if (CHECKOUT / "benchmarks" / "child.py").is_file():
        _suite().add_arguments(p)


def run(args: argparse.Namespace) -> int:
    """Run the suite with parsed options; returns the exit status."""
    return _suite().run(args)


def main(argv: list[str] | None = None) -> int:
    """`python -m tinygrad_cnn.bench [options]`, the same as `python -m benchmarks`."""
    return _suite().main(argv)


if __name__ == "__main__":
    sys.exit(main())
