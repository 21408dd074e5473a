"""`tinygrad-cnn train`: train a CNN (by default on the built-in digits) and write a run dir."""

from __future__ import annotations

import argparse

from ..training import DEFAULT_MODELS, OPTIMIZERS, TrainConfig, fit
from ._args import finite_non_negative_float, non_negative_int, positive_float, positive_int

NAME = "train"
HELP = "train a CNN (default: a small CNN on scikit-learn's digits, no download needed)"


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
    p.add_argument(
        "--model",
        default=None,
        help="model name (default: digits_cnn for digits, lenet5 for (fashion-)mnist, "
        "cifar_vgg for cifar10)",
    )
    p.add_argument("--epochs", type=positive_int, default=d.epochs)
    p.add_argument("--batch-size", type=positive_int, default=d.batch_size)
    p.add_argument(
        "--lr", type=finite_non_negative_float, default=d.lr, help="learning rate (finite, >= 0)"
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--seed", type=non_negative_int, default=d.seed)
    p.add_argument("--out", default=None, help="run directory (default: runs/<timestamp>/)")
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        default=None,
        help="continue the run saved in CHECKPOINT up to --epochs",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    config = TrainConfig(
        data=args.data,
        data_dir=args.data_dir,
        download=args.download,
        mirror=args.mirror,
        download_timeout=args.download_timeout,
        model=args.model,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        out=args.out,
    )
    summary = fit(config, resume=args.resume, progress=not args.no_progress)
    for kind, path in summary.get("artifacts", {}).items():
        print(f"{kind}: {path}")
    return 0
