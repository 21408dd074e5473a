"""`tinygrad-cnn train`: train a CNN (by default on the built-in digits) and write a run dir."""

from __future__ import annotations

import argparse
import sys

from ..training import DEFAULT_MODELS, OPTIMIZERS, TrainConfig, fit
from ._args import finite_non_negative_float, non_negative_int, positive_float, positive_int
from ._model import add_model_arguments

NAME = "train"
HELP = "train a CNN (default: a small CNN on scikit-learn's digits, no download needed)"
# flags a resumed run takes from its checkpoint instead (name on the command line -> field)
_FROM_CHECKPOINT = {"--lr": "lr", "--optimizer": "optimizer", "--batch-size": "batch_size"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    p.add_argument("--data", choices=list(DEFAULT_MODELS), default=d.data, help="dataset")
    p.add_argument("--data-dir", default=None, help="directory holding the dataset files")
    p.add_argument("--download", action="store_true", help="fetch missing dataset files")
    p.add_argument("--mirror", default=None, metavar="URL", help="base URL to download from")
    p.add_argument(
        "--download-timeout",
        type=positive_float,
        default=d.download_timeout,
        metavar="S",
        help="seconds to wait on a silent connection before giving up (default 60)",
    )
    add_model_arguments(p, "the one made for --data", shape=False)
    p.add_argument("--epochs", type=positive_int, default=d.epochs)
    p.add_argument("--batch-size", type=positive_int, default=None, help=f"default {d.batch_size}")
    p.add_argument(
        "--lr",
        type=finite_non_negative_float,
        default=None,
        help=f"learning rate (finite, >= 0; default {d.lr})",
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help=f"default {d.optimizer}")
    p.add_argument("--seed", type=non_negative_int, default=d.seed)
    p.add_argument("--out", default=None, help="run directory (default: runs/<timestamp>/)")
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        default=None,
        help="continue the run saved in CHECKPOINT up to --epochs (its model, data, "
        "optimizer, learning rate and batch size are the run's own)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars (default: only when the output is a terminal)",
    )


def run(args: argparse.Namespace) -> int:
    d = TrainConfig()
    if args.resume is not None:
        ignored = [flag for flag, key in _FROM_CHECKPOINT.items() if getattr(args, key) is not None]
        if ignored:
            print(
                f"tinygrad-cnn train: warning: --resume continues the saved run with its own "
                f"settings; ignoring {', '.join(ignored)}",
                file=sys.stderr,
            )
    config = TrainConfig(
        data=args.data,
        data_dir=args.data_dir,
        download=args.download,
        mirror=args.mirror,
        download_timeout=args.download_timeout,
        model=args.model,
        model_args=args.model_args,
        epochs=args.epochs,
        batch_size=args.batch_size or d.batch_size,
        lr=d.lr if args.lr is None else args.lr,
        optimizer=args.optimizer or d.optimizer,
        seed=args.seed,
        out=args.out,
    )
    summary = fit(config, resume=args.resume, progress=args.progress)
    for kind, path in summary.get("artifacts", {}).items():
        print(f"{kind}: {path}")
    return 0
