"""`tinygrad-cnn eval CHECKPOINT`: accuracy and a confusion matrix on the test split."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import numpy as np

from ..training import DEFAULT_MODELS
from ._model import add_model_arguments

NAME = "eval"
HELP = "evaluate a checkpoint written by `train`: test accuracy and a confusion matrix"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "checkpoint",
        help="a checkpoint.npz written by `tinygrad-cnn train` (or a tg.save(model.state_dict()) "
        "file, with --model and --data)",
    )
    p.add_argument("--data-dir", default=None, help="directory holding the dataset files")
    p.add_argument(
        "--data",
        choices=list(DEFAULT_MODELS),
        default=None,
        help="dataset (default: the checkpoint's)",
    )
    add_model_arguments(p, "the checkpoint's", shape=False)


def format_confusion(confusion: np.ndarray) -> str:
    """Rows are true classes, columns predicted classes."""
    n = confusion.shape[0]
    width = max(5, len(str(int(confusion.max()))) + 1)
    head = "true\\pred".ljust(10) + "".join(str(j).rjust(width) for j in range(n))
    rows = [
        str(i).ljust(10) + "".join(str(int(v)).rjust(width) for v in confusion[i]) for i in range(n)
    ]
    return "\n".join([head, *rows])


def run(args: argparse.Namespace) -> int:
    from ..training import build, evaluate

    state, config = _read(args)
    model, _, test_set = build(config)
    model.load_state_dict(state)
    result = evaluate(model, test_set)
    print(f"{config.resolved_model()} on {config.data} test split ({len(test_set)} samples)")
    print(f"accuracy {result['accuracy']:.4f}  loss {result['loss']:.4f}")
    print(format_confusion(result["confusion"]))
    return 0


def _read(args: argparse.Namespace) -> tuple[dict, Any]:
    """(model state dict, the TrainConfig to evaluate with) from the file and the flags."""
    from ..serialization import load
    from ..training import TrainConfig

    state = load(args.checkpoint)
    if isinstance(state, dict) and "config" in state and "model" in state:
        config = TrainConfig.from_json(state["config"], args.checkpoint)
        state = state["model"]
    elif args.model is None or args.data is None:
        raise ValueError(
            f"{args.checkpoint} holds no training config, only a model's weights (as "
            "tg.save(model.state_dict()) writes, not a run written by `tinygrad-cnn train`), so "
            "it does not say which model "
            "and data it is for: pass --model NAME (or package.module:Class, with --model-args "
            "JSON) and --data DATASET"
        )
    else:
        config = TrainConfig(data=args.data)
    changes = {
        k: v
        for k, v in {
            "data_dir": args.data_dir,
            "data": args.data,
            "model": args.model,
            "model_args": args.model_args,
        }.items()
        if v is not None
    }
    return state, dataclasses.replace(config, **changes)
