"""`tinygrad-cnn bench`: the benchmark suite against PyTorch CPU, each side in its own process."""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = "time training/inference workloads against PyTorch CPU, each side in its own process"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..bench import add_arguments

    add_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ..bench import run

    return run(args)
