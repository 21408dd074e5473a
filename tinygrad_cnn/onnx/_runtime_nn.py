"""ONNX's network ops run with this framework's differentiable ops: Conv, ConvTranspose,
MaxPool, AveragePool, global pools, BatchNormalization, Gemm, MatMul, activations, softmax.

Each op is ``fn(inputs, attrs) -> Tensor`` (inputs: Tensors, None for an omitted optional one;
attrs: the node's attributes as Python values). Errors name the ONNX op and the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor

OpFn = Callable[[list[Any], dict[str, Any]], Any]
OPS: dict[str, OpFn] = {}


def op(*names: str) -> Callable[[OpFn], OpFn]:
    def wrap(fn: OpFn) -> OpFn:
        for n in names:
            OPS[n] = fn
        return fn

    return wrap


def arg(ins: list[Any], i: int) -> Any:
    return ins[i] if i < len(ins) else None


def ints(t: Any) -> list[int]:
    """A shape-like input (a 1-D int64 tensor) as Python ints."""
    return [int(v) for v in np.asarray(t.data if isinstance(t, Tensor) else t).reshape(-1)]


def _image(x: Tensor, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"onnx {name}: only 2-D (4-D NCHW input) is supported, got {x.shape}")


def _pads(attrs: dict, x: Tensor, kernel: list[int], stride: list[int], dil: list[int], name):
    """ONNX pads (top, left, bottom, right) from ``pads`` or ``auto_pad``."""
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        return list(attrs.get("pads", [0, 0, 0, 0]))
    if auto == "VALID":
        return [0, 0, 0, 0]
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise ValueError(f"onnx {name}: unknown auto_pad {auto!r}")
    lo, hi = [], []
    for a in range(2):
        size = x.shape[2 + a]
        out = -(-size // stride[a])
        total = max(0, (out - 1) * stride[a] + dil[a] * (kernel[a] - 1) + 1 - size)
        small, big = total // 2, total - total // 2
        lo.append(small if auto == "SAME_UPPER" else big)
        hi.append(big if auto == "SAME_UPPER" else small)
    return lo + hi


def _window(attrs: dict, x: Tensor, kernel: list[int], name: str, value: float = 0.0):
    """(x padded where the pads are uneven, symmetric padding, stride, dilation)."""
    stride = list(attrs.get("strides", [1, 1]))
    dil = list(attrs.get("dilations", [1, 1]))
    pads = _pads(attrs, x, kernel, stride, dil, name)
    if pads[0] == pads[2] and pads[1] == pads[3]:
        return x, (pads[0], pads[1]), stride, dil
    x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]), value=value)
    return x, (0, 0), stride, dil


@op("Conv")
def _conv(ins: list[Any], attrs: dict) -> Tensor:
    x, w, b = ins[0], ins[1], arg(ins, 2)
    _image(x, "Conv")
    x, padding, stride, dil = _window(attrs, x, list(w.shape[2:]), "Conv")
    return F.conv2d(x, w, b, stride, padding, dil, int(attrs.get("group", 1)))


@op("ConvTranspose")
def _conv_transpose(ins: list[Any], attrs: dict) -> Tensor:
    x, w, b = ins[0], ins[1], arg(ins, 2)
    _image(x, "ConvTranspose")
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if "output_shape" in attrs or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("onnx ConvTranspose: output_shape/auto_pad are not supported; use pads")
    if pads[0] != pads[2] or pads[1] != pads[3]:
        raise ValueError(f"onnx ConvTranspose: uneven pads {pads} are not supported")
    return F.conv_transpose2d(
        x,
        w,
        b,
        list(attrs.get("strides", [1, 1])),
        (pads[0], pads[1]),
        list(attrs.get("output_padding", [0, 0])),
        int(attrs.get("group", 1)),
        list(attrs.get("dilations", [1, 1])),
    )


@op("MaxPool")
def _max_pool(ins: list[Any], attrs: dict) -> Tensor:
    x, kernel = ins[0], list(attrs["kernel_shape"])
    _image(x, "MaxPool")
    x, padding, stride, dil = _window(attrs, x, kernel, "MaxPool", value=-np.inf)
    ceil = bool(attrs.get("ceil_mode", 0))
    return F.max_pool2d(x, kernel, stride, padding, dil, ceil)


@op("AveragePool")
def _avg_pool(ins: list[Any], attrs: dict) -> Tensor:
    x, kernel = ins[0], list(attrs["kernel_shape"])
    _image(x, "AveragePool")
    stride = list(attrs.get("strides", [1, 1]))
    pads = _pads(attrs, x, kernel, stride, [1, 1], "AveragePool")
    if pads[0] != pads[2] or pads[1] != pads[3]:
        raise ValueError(f"onnx AveragePool: uneven pads {pads} are not supported")
    include = bool(attrs.get("count_include_pad", 0))
    ceil = bool(attrs.get("ceil_mode", 0))
    return F.avg_pool2d(x, kernel, stride, (pads[0], pads[1]), ceil, include)


@op("GlobalAveragePool")
def _global_avg(ins: list[Any], attrs: dict) -> Tensor:
    return ins[0].mean(tuple(range(2, ins[0].ndim)), keepdim=True)


@op("GlobalMaxPool")
def _global_max(ins: list[Any], attrs: dict) -> Tensor:
    return ins[0].amax(tuple(range(2, ins[0].ndim)), keepdim=True)


@op("BatchNormalization")
def _batch_norm(ins: list[Any], attrs: dict) -> Tensor:
    if attrs.get("training_mode", 0):
        raise ValueError("onnx BatchNormalization: training_mode=1 is not supported")
    x, scale, bias, mean, var = ins[:5]
    return F.batch_norm(x, mean, var, scale, bias, False, 0.1, float(attrs.get("epsilon", 1e-5)))


@op("Gemm")
def _gemm(ins: list[Any], attrs: dict) -> Tensor:
    a, b, c = ins[0], ins[1], arg(ins, 2)
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    ta, tb = int(attrs.get("transA", 0)), int(attrs.get("transB", 0))
    if tb and not ta and alpha == beta == 1.0 and (c is None or c.ndim == 1):
        return F.linear(a, b, c)  # drawn and checked as one linear op
    out = (a.T if ta else a) @ (b.T if tb else b)
    if alpha != 1.0:
        out = out * alpha
    if c is not None:
        out = out + (c * beta if beta != 1.0 else c)
    return out


@op("MatMul")
def _matmul(ins: list[Any], attrs: dict) -> Tensor:
    return ins[0] @ ins[1]


_UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log"}
_UNARY.update({"Sqrt": "sqrt", "Neg": "neg", "Abs": "abs", "Erf": "erf", "Softplus": "softplus"})


def _unary(method: str) -> OpFn:
    return lambda ins, attrs: getattr(ins[0], method)()


for _name, _method in _UNARY.items():
    OPS[_name] = _unary(_method)


@op("LeakyRelu")
def _leaky_relu(ins: list[Any], attrs: dict) -> Tensor:
    return ins[0].leaky_relu(float(attrs.get("alpha", 0.01)))


@op("Elu")
def _elu(ins: list[Any], attrs: dict) -> Tensor:
    return ins[0].elu(float(attrs.get("alpha", 1.0)))


OPS["Softmax"] = lambda ins, attrs: ins[0].softmax(int(attrs.get("axis", -1)))
OPS["LogSoftmax"] = lambda ins, attrs: ins[0].log_softmax(int(attrs.get("axis", -1)))


@op("Clip")
def _clip(ins: list[Any], attrs: dict) -> Tensor:
    lo, hi = arg(ins, 1), arg(ins, 2)
    lo = float(lo.data) if lo is not None else attrs.get("min")
    hi = float(hi.data) if hi is not None else attrs.get("max")
    return ins[0].clamp(lo, hi)


@op("Dropout", "Identity")
def _identity(ins: list[Any], attrs: dict) -> Tensor:
    return ins[0]  # Dropout runs as in inference: the identity
