"""`tinygrad-cnn train`: train a CNN (by default on the built-in digits) and write a run dir."""

from __future__ import annotations

import argparse

from ..training import DEFAULT_MODELS, OPTIMIZERS, TrainConfig, fit

NAME = "train"
HELP = "train a CNN (default: a small CNN on scikit-learn's digits, no download needed)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    p.add_argument("--data", choices=list(DEFAULT_MODELS), default=d.data, help="dataset")
    p.add_argument("--data-dir", default=None, help="directory holding the dataset files")
    p.add_argument("--download", action="store_true", help="fetch missing dataset files")
    p.add_argument(
        "--model",
        default=None,
        help="model name (default: digits_cnn for digits, lenet5 for (fashion-)mnist, "
        "cifar_vgg for cifar10)",
    )
    p.add_argument("--epochs", type=_positive_int, default=d.epochs)
    p.add_argument("--batch-size", type=_positive_int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", default=None, help="run directory (default: runs/<timestamp>/)")
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        default=None,
        help="continue the run saved in CHECKPOINT up to --epochs",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _positive_int(text: str) -> int:
    v = int(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return v


def run(args: argparse.Namespace) -> int:
    config = TrainConfig(
        data=args.data,
        data_dir=args.data_dir,
        download=args.download,
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
