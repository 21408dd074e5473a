"""`tinygrad-cnn bench`: the benchmark suite against PyTorch CPU (ratios skipped without it)."""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = "time training/inference workloads against PyTorch CPU in the same process"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    p.add_argument("--only", action="append", help="run only this workload (repeatable)")
    p.add_argument("--no-memory", action="store_true", help="skip peak-memory measurement")
    p.add_argument("--markdown", metavar="PATH", help="also write the table to this file")


def run(args: argparse.Namespace) -> int:
    from ..bench import WORKLOADS, main

    unknown = [n for n in args.only or [] if n not in {w.name for w in WORKLOADS}]
    if unknown:
        raise ValueError(
            f"--only: unknown workload {', '.join(map(repr, unknown))}; valid names: "
            f"{', '.join(w.name for w in WORKLOADS)}"
        )
    argv = ["--quick"] if args.quick else []
    for name in args.only or []:
        argv += ["--only", name]
    if args.no_memory:
        argv.append("--no-memory")
    if args.markdown:
        argv += ["--markdown", args.markdown]
    return main(argv)
