"""The plan a converter makes for one recorded op (see _composites.py and _primitives.py).

A converter returns a plan: a list of ``Node`` whose inputs are Tensors (graph values), numpy
arrays (constants), ``Prev(i)`` (the output of the plan's node i) or None (an omitted optional
input). The last node's output is the op's output. A converter raises ``Unsupported`` when it
cannot express these arguments; the exporter then tries the ops the call is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..tensor import Tensor


class Unsupported(Exception):
    """This op (or these arguments of it) has no ONNX mapping."""


@dataclass(frozen=True)
class Prev:
    index: int


@dataclass
class Node:
    op: str
    inputs: list[Any]
    attrs: dict[str, Any] = field(default_factory=dict)


class Context:
    """What converters may ask the exporter: the batch axis of a value, whether a leaf is a
    constant, the opset; ``out_batch`` may be set to override the output's batch axis."""

    def __init__(self, batch_axis: Callable[[Tensor], int | None], opset: int) -> None:
        self.batch = batch_axis
        self.opset = opset
        self.out_batch: int | None | str = "auto"


Converter = Callable[[Context, Any], list[Node]]


def register(table: dict, *names: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        for n in names:
            table[n] = fn
        return fn

    return wrap


def pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    return int(v[0]), int(v[-1])


def i64(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def image(x: Tensor, op: str) -> Tensor:
    if x.ndim != 4:
        raise Unsupported(f"{op} of a {x.ndim}-D input (only batched 4-D NCHW is exported)")
    return x
