"""`tinygrad-cnn eval CHECKPOINT`: accuracy and a confusion matrix on the test split."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

NAME = "eval"
HELP = "evaluate a checkpoint written by `train`: test accuracy and a confusion matrix"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="a checkpoint.npz written by `tinygrad-cnn train`")
    p.add_argument("--data-dir", default=None, help="directory holding the dataset files")


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
    from ..serialization import load
    from ..training import TrainConfig, build, evaluate

    state = load(args.checkpoint)
    if not isinstance(state, dict) or "config" not in state or "model" not in state:
        raise ValueError(
            f"{args.checkpoint} holds no training config and model (eval needs a checkpoint "
            "written by `tinygrad-cnn train`)"
        )
    config = TrainConfig.from_json(state["config"], args.checkpoint)
    if args.data_dir is not None:
        config = dataclasses.replace(config, data_dir=args.data_dir)
    model, _, test_set = build(config)
    model.load_state_dict(state["model"])
    result = evaluate(model, test_set)
    print(f"{config.resolved_model()} on {config.data} test split ({len(test_set)} samples)")
    print(f"accuracy {result['accuracy']:.4f}  loss {result['loss']:.4f}")
    print(format_confusion(result["confusion"]))
    return 0
