"""Tracing a model for export: run it once in eval mode with recording on, and say which
recorded op each Function belongs to (the outermost composite call with an ONNX mapping, or
the Function itself)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd import Function, enable_grad
from ..tensor import Tensor


def as_tensors(example: Any, what: str) -> tuple[Tensor, ...]:
    """The example input(s) as a tuple of Tensors, with a clear error for anything else."""
    items = example if isinstance(example, (tuple, list)) else (example,)
    out = []
    for i, x in enumerate(items):
        if isinstance(x, np.ndarray):
            x = Tensor(x)
        if not isinstance(x, Tensor):
            raise TypeError(
                f"export: {what} {i} must be a Tensor or numpy array, got {type(x).__name__}"
            )
        out.append(x)
    if not out:
        raise ValueError(f"export: {what} is empty; pass at least one example Tensor")
    return tuple(out)


def run_traced(model: Any, inputs: Sequence[Tensor]) -> tuple[tuple[Tensor, ...], Any]:
    """Run ``model`` in eval mode on fresh leaf copies of ``inputs``, recording every op (every
    parameter temporarily requires grad). Returns (the leaf inputs, the model's output)."""
    was_training = model.training
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    leaves = tuple(Tensor(np.array(x.data, copy=True), requires_grad=True) for x in inputs)
    try:
        model.eval()
        for p in params:
            p.requires_grad_(True)
        with enable_grad():
            out = model(*leaves)
    finally:
        model.train(was_training)
        for p, f in zip(params, flags):
            p.requires_grad_(f)
    return leaves, out


def owner(fn: Function, accepts: Callable[[Any], bool]) -> Any:
    """The outermost composite call around ``fn`` that ``accepts`` (has an ONNX mapping for
    these arguments), else None: then ``fn`` is exported as a primitive."""
    found = None
    call = fn.composite
    while call is not None:
        if accepts(call):
            found = call
        call = call.parent
    return found
