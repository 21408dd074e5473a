"""ONNX's tensor ops run with this framework's ops: elementwise arithmetic and comparisons,
Reshape/Flatten/Transpose/Concat/Squeeze/Unsqueeze/Slice/Pad/Expand, reductions, Cast, and the
shape arithmetic exporters write for dynamic batch sizes (Shape, Gather, Constant, ...).

Values that need no gradient (shapes, indices) are computed directly on their arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import tensor as T
from ..nn import functional as F
from ..tensor import Tensor
from ._runtime_nn import OPS, arg, ints, op


def _plain(*ts: Any) -> bool:
    return all(t is None or not t.requires_grad for t in ts)


def _const(arr: Any) -> Tensor:
    return Tensor(np.asarray(arr))


_ARITH = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}


def _arith(name: str) -> Any:
    def run(ins: list[Any], attrs: dict) -> Tensor:
        a, b = ins
        if _plain(a, b) and a.dtype.kind in "iu" and b.dtype.kind in "iu":
            if name == "Div":  # integer division truncates toward zero in ONNX
                return _const(np.trunc(a.data / b.data).astype(a.dtype))
            return _const(_ARITH[name](a.data, b.data).astype(a.dtype))
        return {"Add": a.__add__, "Sub": a.__sub__, "Mul": a.__mul__, "Div": a.__truediv__}[name](b)

    return run


for _name in _ARITH:
    OPS[_name] = _arith(_name)


@op("Pow")
def _pow(ins: list[Any], attrs: dict) -> Tensor:
    a, b = ins
    if not b.requires_grad and b.data.size == 1:
        return a ** float(b.data.reshape(()))
    return a**b


OPS["Max"] = lambda ins, attrs: _fold(ins, "maximum")
OPS["Min"] = lambda ins, attrs: _fold(ins, "minimum")


def _fold(ins: list[Any], method: str) -> Tensor:
    out = ins[0]
    for t in ins[1:]:
        out = getattr(out, method)(t)
    return out


_COMPARE = {"Equal": np.equal, "Greater": np.greater, "Less": np.less}
_COMPARE.update({"GreaterOrEqual": np.greater_equal, "LessOrEqual": np.less_equal})
for _name, _fn in _COMPARE.items():
    OPS[_name] = lambda ins, attrs, f=_fn: _const(f(ins[0].data, ins[1].data))
OPS["Not"] = lambda ins, attrs: _const(np.logical_not(ins[0].data))


@op("Where")
def _where(ins: list[Any], attrs: dict) -> Tensor:
    return T.where(ins[0].data.astype(bool), ins[1], ins[2])


@op("Cast")
def _cast(ins: list[Any], attrs: dict) -> Tensor:
    from onnx import helper

    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(int(attrs["to"])))
    x = ins[0]
    return _const(x.data.astype(dtype)) if _plain(x) else x.astype(dtype)


@op("Constant")
def _constant(ins: list[Any], attrs: dict) -> Tensor:
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            v = attrs[key]
            if key.startswith("value_float"):
                return _const(np.asarray(v, dtype=np.float32))
            return _const(np.asarray(v, dtype=np.int64) if key != "value" else v)
    raise ValueError(f"onnx Constant: unsupported attributes {sorted(attrs)}")


@op("ConstantOfShape")
def _constant_of_shape(ins: list[Any], attrs: dict) -> Tensor:
    value = attrs.get("value", np.zeros(1, dtype=np.float32))
    shape = ints(ins[0])
    _check_size("ConstantOfShape", shape)
    return _const(np.full(shape, value.reshape(-1)[0], dtype=value.dtype))


_MAX_ELEMENTS = 1 << 31


def _check_size(name: str, shape: list[int]) -> None:
    """Refuse a tensor the graph asks to create from nothing when it is absurdly large."""
    if any(s < 0 for s in shape) or math.prod(shape) > _MAX_ELEMENTS:
        raise ValueError(f"{name} asks for a tensor of shape {tuple(shape)}; refusing to create it")


@op("Shape")
def _shape(ins: list[Any], attrs: dict) -> Tensor:
    shape = ins[0].shape
    start, end = attrs.get("start", 0), attrs.get("end", len(shape))
    return _const(np.asarray(shape[start:end], dtype=np.int64))


@op("Gather")
def _gather(ins: list[Any], attrs: dict) -> Tensor:
    x, idx = ins
    axis = int(attrs.get("axis", 0)) % max(x.ndim, 1)
    index = idx.data.astype(np.int64)
    if _plain(x):
        return _const(np.take(x.data, index, axis=axis))
    return x[(slice(None),) * axis + (index,)]


def _axes(ins: list[Any], attrs: dict, i: int) -> list[int] | None:
    if arg(ins, i) is not None:
        return ints(ins[i])
    return list(attrs["axes"]) if "axes" in attrs else None


@op("Unsqueeze")
def _unsqueeze(ins: list[Any], attrs: dict) -> Tensor:
    x, axes = ins[0], _axes(ins, attrs, 1) or []
    rank = x.ndim + len(axes)
    shape = list(x.shape)
    for a in sorted(a % rank for a in axes):
        shape.insert(a, 1)
    return _const(x.data.reshape(shape)) if _plain(x) else x.reshape(*shape)


@op("Squeeze")
def _squeeze(ins: list[Any], attrs: dict) -> Tensor:
    x, axes = ins[0], _axes(ins, attrs, 1)
    drop = (
        {a % x.ndim for a in axes}
        if axes is not None
        else {i for i, s in enumerate(x.shape) if s == 1}
    )
    shape = [s for i, s in enumerate(x.shape) if i not in drop]
    return _const(x.data.reshape(shape)) if _plain(x) else x.reshape(*shape)


@op("Concat")
def _concat(ins: list[Any], attrs: dict) -> Tensor:
    axis = int(attrs["axis"])
    if _plain(*ins):
        return _const(np.concatenate([t.data for t in ins], axis=axis))
    return T.cat(list(ins), dim=axis)


@op("Reshape")
def _reshape(ins: list[Any], attrs: dict) -> Tensor:
    x, shape = ins[0], ints(ins[1])
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return _const(x.data.reshape(shape)) if _plain(x) else x.reshape(*shape)


@op("Flatten")
def _flatten(ins: list[Any], attrs: dict) -> Tensor:
    x = ins[0]
    axis = int(attrs.get("axis", 1)) % (x.ndim + 1) if x.ndim else 0
    return x.reshape(math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))


@op("Transpose")
def _transpose(ins: list[Any], attrs: dict) -> Tensor:
    x = ins[0]
    perm = list(attrs.get("perm", range(x.ndim - 1, -1, -1)))
    return x.permute(*perm)


@op("Expand")
def _expand(ins: list[Any], attrs: dict) -> Tensor:
    x = ins[0]
    shape = np.broadcast_shapes(x.shape, tuple(ints(ins[1])))
    return x.expand(*shape)


@op("Slice")
def _slice(ins: list[Any], attrs: dict) -> Tensor:
    x, starts, ends = ins[0], ints(ins[1]), ints(ins[2])
    axes = ints(ins[3]) if arg(ins, 3) is not None else list(range(len(starts)))
    steps = ints(ins[4]) if arg(ins, 4) is not None else [1] * len(starts)
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx[a % x.ndim] = slice(s, e, st)
    return _const(x.data[tuple(idx)]) if _plain(x) else x[tuple(idx)]


@op("Pad")
def _pad(ins: list[Any], attrs: dict) -> Tensor:
    x = ins[0]
    mode = attrs.get("mode", b"constant")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant":
        raise ValueError(f"onnx Pad: only mode 'constant' is supported, got {mode!r}")
    pads = ints(ins[1]) if arg(ins, 1) is not None else list(attrs.get("pads", []))
    value = arg(ins, 2)
    value = float(value.data.reshape(-1)[0]) if value is not None else attrs.get("value", 0.0)
    axes = ints(ins[3]) if arg(ins, 3) is not None else list(range(x.ndim))
    n = len(axes)
    order = [0] * (2 * x.ndim)  # F.pad's order: last dim first, (lo, hi) pairs
    for k, a in enumerate(axes):
        d = a % x.ndim
        order[2 * (x.ndim - 1 - d)], order[2 * (x.ndim - 1 - d) + 1] = pads[k], pads[n + k]
    return F.pad(x, tuple(order), value=value)


def _reduce(method: str) -> Any:
    def run(ins: list[Any], attrs: dict) -> Tensor:
        x, axes = ins[0], _axes(ins, attrs, 1)
        keep = bool(attrs.get("keepdims", 1))
        if not axes:
            if attrs.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.ndim))
        return getattr(x, method)(tuple(a % x.ndim for a in axes), keepdim=keep)

    return run


OPS["ReduceMean"] = _reduce("mean")
OPS["ReduceSum"] = _reduce("sum")
OPS["ReduceMax"] = _reduce("amax")


@op("Range")
def _range(ins: list[Any], attrs: dict) -> Tensor:
    start, limit, delta = (t.data.reshape(()) for t in ins)
    if delta == 0:
        raise ValueError("Range with delta 0")
    _check_size("Range", [max(0, math.ceil((limit - start) / delta))])
    return _const(np.arange(start, limit, delta, dtype=ins[0].dtype))
