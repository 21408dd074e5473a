"""The options that name a model on the command line, shared by train, eval, graph and
gradcheck: ``--model`` (a built-in name, ``package.module:Class`` or ``file.py:Class``),
``--model-args`` (constructor keywords as JSON) and ``--input-shape``."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any


def add_model_arguments(p: argparse.ArgumentParser, default_help: str, shape: bool) -> None:
    p.add_argument(
        "--model",
        default=None,
        metavar="MODEL",
        help="a built-in model (lenet5, digits_cnn, cifar_vgg) or your own: "
        f"package.module:Class or path/to/file.py:Class (default: {default_help})",
    )
    p.add_argument(
        "--model-args",
        type=model_args,
        default=None,
        metavar="JSON",
        help="constructor keyword arguments as a JSON object, e.g. '{\"num_classes\": 10}'",
    )
    if shape:
        p.add_argument(
            "--input-shape",
            type=input_shape,
            default=None,
            metavar="N,C,H,W",
            help="the batch to run the model on, e.g. 1,1,28,28 (default: 1 x the model's "
            "input_shape attribute)",
        )


def model_args(text: str) -> dict[str, Any]:
    """argparse type of --model-args: a JSON object."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"invalid JSON ({e}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f'expected a JSON object like {{"width": 16}}: {text!r}')
    return value


# a dummy batch only needs to show the graph or check gradients; larger would exhaust memory
_MAX_DIMS = 8
_MAX_ELEMENTS = 1 << 22


def input_shape(text: str) -> tuple[int, ...]:
    """argparse type of --input-shape: positive sizes separated by commas (or x)."""
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        shape = ()
    if not shape or any(s <= 0 for s in shape):
        raise argparse.ArgumentTypeError(f"expected positive sizes like 1,1,28,28, got {text!r}")
    if len(shape) > _MAX_DIMS or math.prod(shape) > _MAX_ELEMENTS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is too large for a dummy batch (at most {_MAX_DIMS} dimensions and "
            f"{_MAX_ELEMENTS:,} elements; got {len(shape)} and {math.prod(shape):,})"
        )
    return shape


def batch_shape(model: Any, given: tuple[int, ...] | None, command: str) -> tuple[int, ...]:
    """--input-shape, else a batch of one of the model's declared ``input_shape``."""
    if given is not None:
        return given
    declared = getattr(model, "input_shape", None)
    if declared is None:
        raise ValueError(
            f"{command}: {type(model).__name__} has no input_shape attribute; pass "
            "--input-shape N,C,H,W (e.g. --input-shape 1,3,32,32)"
        )
    return (1, *tuple(declared))
