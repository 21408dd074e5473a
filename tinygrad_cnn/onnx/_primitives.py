"""Primitive Functions as ONNX nodes (the ops recorded outside any mapped composite call):
elementwise maths, matmul, reshape/permute/expand/cat/pad, sums and maxima, log_softmax."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from ._plan import Context, Converter, Node, Prev, Unsupported, i64, register

PRIMITIVES: dict[str, Converter] = {}

_SAME_NAME = ("Neg", "Exp", "Log", "Sqrt", "Abs", "Relu", "Sigmoid", "Tanh", "Erf", "MatMul")
_BINARY = {"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Pow": "Pow"}
_BINARY.update({"Maximum": "Max", "Minimum": "Min"})
_IDENTITY = ("Contiguous", "BatchLast")


def _operand(t: Any, dtype: np.dtype) -> Any:
    """A graph value stays a Tensor; a constant operand becomes an array of ``dtype``, since
    ONNX's elementwise ops need both sides of one type."""
    if isinstance(t, Tensor) and (t._ctx is not None or t.requires_grad):
        return t
    arr = t.data if isinstance(t, Tensor) else np.asarray(t)
    return arr.astype(dtype)


@register(PRIMITIVES, *_SAME_NAME)
def _unary(cx: Context, fn: Any) -> list[Node]:
    return [Node(fn.name, list(fn.inputs))]


@register(PRIMITIVES, *_BINARY)
def _binary(cx: Context, fn: Any) -> list[Node]:
    dtype = fn.output.data.dtype
    return [Node(_BINARY[fn.name], [_operand(t, dtype) for t in fn.inputs])]


@register(PRIMITIVES, *_IDENTITY)
def _identity(cx: Context, fn: Any) -> list[Node]:  # memory-layout copies
    return [Node("Identity", [fn.inputs[0]])]


@register(PRIMITIVES, "PowScalar")
def _pow_scalar(cx: Context, fn: Any) -> list[Node]:
    x = fn.inputs[0]
    return [Node("Pow", [x, np.asarray(fn.exponent, dtype=x.data.dtype)])]


@register(PRIMITIVES, "Clamp")
def _clamp(cx: Context, fn: Any) -> list[Node]:
    x = fn.inputs[0]
    lo = None if fn.lo is None else np.asarray(fn.lo, dtype=x.data.dtype)
    hi = None if fn.hi is None else np.asarray(fn.hi, dtype=x.data.dtype)
    return [Node("Clip", [x, lo, hi])]


@register(PRIMITIVES, "Where")
def _where(cx: Context, fn: Any) -> list[Node]:
    cond, x, y = fn.inputs
    if isinstance(cond, Tensor):
        cond = _operand(cond, np.dtype(bool))
        return [Node("Where", [cond, x, y])]
    # NOTE: leaky_relu and elu pass their mask as a raw array, computed as x > 0 from their
    # input; that is the one data-dependent mask exported (until they are marked composite)
    if isinstance(x, Tensor) and np.array_equal(np.asarray(cond), x.data > 0):
        zero = np.zeros((), dtype=x.data.dtype)
        return [Node("Greater", [x, zero]), Node("Where", [Prev(0), x, y])]
    raise Unsupported("Where with a mask computed outside the graph")


@register(PRIMITIVES, "Cast")
def _cast(cx: Context, fn: Any) -> list[Node]:
    from onnx import helper

    to = helper.np_dtype_to_tensor_dtype(fn.output.data.dtype)
    return [Node("Cast", [fn.inputs[0]], dict(to=int(to)))]


@register(PRIMITIVES, "Linear")
def _linear(cx: Context, fn: Any) -> list[Node]:
    from ._composites import linear_nodes

    x, w, b = fn.inputs
    return linear_nodes(x, w, b)


@register(PRIMITIVES, "LogSoftmax")
def _log_softmax(cx: Context, fn: Any) -> list[Node]:
    return [Node("LogSoftmax", [fn.inputs[0]], dict(axis=int(fn.dim)))]


@register(PRIMITIVES, "Permute")
def _permute(cx: Context, fn: Any) -> list[Node]:
    dims = [int(d) for d in fn.dims]
    b = cx.batch(fn.inputs[0])
    cx.out_batch = None if b is None else dims.index(b)
    return [Node("Transpose", [fn.inputs[0]], dict(perm=dims))]


@register(PRIMITIVES, "Cat")
def _cat(cx: Context, fn: Any) -> list[Node]:
    return [Node("Concat", list(fn.inputs), dict(axis=int(fn.dim)))]


@register(PRIMITIVES, "Pad")
def _pad(cx: Context, fn: Any) -> list[Node]:
    x = fn.inputs[0]
    widths = [tuple(int(v) for v in w) for w in fn.pad_width]
    pads = i64([w[0] for w in widths] + [w[1] for w in widths])
    value = np.zeros((), dtype=x.data.dtype)  # Pad records no value: read it off the output
    if any(lo or hi for lo, hi in widths):
        idx = tuple(0 if lo else -1 if hi else 0 for lo, hi in widths)
        value = np.asarray(fn.output.data[idx], dtype=x.data.dtype)
    return [Node("Pad", [x, pads, value])]


@register(PRIMITIVES, "Reshape", "FlattenBatchLast")
def _reshape(cx: Context, fn: Any) -> list[Node]:
    x, out = fn.inputs[0], fn.output
    shape = list(out.shape)
    b = cx.batch(x)
    if b is not None:
        nb = _batch_position(x.shape, out.shape, b)
        if nb is None:
            raise Unsupported(
                f"reshape from {x.shape} to {out.shape} mixes the batch dim (axis {b}) with "
                "others; export with dynamic_batch=False"
            )
        shape[nb] = -1
        cx.out_batch = nb
    return [Node("Reshape", [x, i64(shape)])]


def _batch_position(old: tuple, new: tuple, b: int) -> int | None:
    """Where batch axis ``b`` of ``old`` is in ``new``, if the reshape keeps it whole."""
    before = math.prod(old[:b])
    for nb in range(len(new)):
        if math.prod(new[:nb]) == before and new[nb] == old[b]:
            return nb
    return None


@register(PRIMITIVES, "Expand")
def _expand(cx: Context, fn: Any) -> list[Node]:
    x, shape = fn.inputs[0], list(fn.output.shape)
    b = cx.batch(x)
    if b is not None:  # ONNX's Expand broadcasts both ways: 1 keeps the input's batch size
        shape[len(shape) - x.ndim + b] = 1
    return [Node("Expand", [x, i64(shape)])]


@register(PRIMITIVES, "Sum", "Max")
def _reduce(cx: Context, fn: Any) -> list[Node]:
    x = fn.inputs[0]
    axes = [int(d) for d in fn.dims]
    b = cx.batch(x)
    if b is not None and b not in axes:
        kept = [d for d in range(x.ndim) if fn.keepdim or d not in axes]
        cx.out_batch = kept.index(b)
    else:
        cx.out_batch = None
    op = "ReduceSum" if fn.name == "Sum" else "ReduceMax"
    keep = int(bool(fn.keepdim))
    if op == "ReduceSum" or cx.opset >= 18:
        return [Node(op, [x, i64(axes)], dict(keepdims=keep))]
    return [Node(op, [x], dict(axes=axes, keepdims=keep))]
