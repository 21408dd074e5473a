"""`python -m benchmarks` (and `tinygrad-cnn bench`): run the suite, print it, write the page.

python -m benchmarks                       # 3 rounds of every workload and batch size
python -m benchmarks --quick               # 1 round of 3 steps: checks the harness runs
python -m benchmarks --markdown docs/performance.md
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks import harness, report, workloads


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    return p


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="1 round of 3 steps (a smoke run)")
    p.add_argument("--rounds", type=positive, help="fresh processes per side (default 3; quick 1)")
    p.add_argument(
        "--only", action="append", choices=sorted(workloads.WORKLOADS), metavar="NAME",
        help=f"run only this workload (repeatable): {', '.join(workloads.WORKLOADS)}",
    )  # fmt: skip
    p.add_argument("--no-scaling", action="store_true", help="skip the batch-size table")
    p.add_argument("--markdown", metavar="PATH", help="also write the report to this file")
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    p.add_argument("--threads", type=positive, default=2, help="PyTorch threads (default 2)")
    p.add_argument(
        "--keep-openblas-env", action="store_true",
        help="leave OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE set in the child processes",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    opts = harness.Options(
        rounds=rounds, quick=args.quick, threads=args.threads,
        keep_openblas_env=args.keep_openblas_env,
    )  # fmt: skip
    result = harness.run_all(opts, only=args.only, scaling=not args.no_scaling)
    text = report.render(result)
    print("\n" + text)
    if args.markdown:
        write_page(args.markdown, text)
    if args.json:
        raw = {k: v for k, v in result.items() if k != "opts"}
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
    return 0


def write_page(path: str, text: str) -> None:
    """Write the generated report to `path`, keeping the hand-written section an earlier page
    has from its heading (report.HAND_WRITTEN) to the end."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    at = old.find(report.HAND_WRITTEN)
    with open(path, "w") as f:
        f.write(text if at < 0 else text.rstrip("\n") + "\n\n" + old[at:])


def main(argv: list[str] | None = None) -> int:
    return run(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
