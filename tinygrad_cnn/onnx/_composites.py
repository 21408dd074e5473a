"""Composite ops as single ONNX nodes: conv2d -> Conv, max_pool2d -> MaxPool, batch_norm ->
BatchNormalization, linear -> Gemm, ... (the call's arguments give the node's attributes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ._plan import Context, Converter, Node, Prev, Unsupported, i64, image, pair, register

COMPOSITES: dict[str, Converter] = {}

# -- composite ops ------------------------------------------------------------------------------


@register(COMPOSITES, "conv2d")
def _conv2d(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x, w = image(a["input"], "conv2d"), a["weight"]
    kernel = w.shape[2:]
    s, d = pair(a["stride"]), pair(a["dilation"])
    padding = a["padding"]
    if padding == "valid":
        pads = [0, 0, 0, 0]
    elif padding == "same":
        th, tw = d[0] * (kernel[0] - 1), d[1] * (kernel[1] - 1)
        pads = [th // 2, tw // 2, th - th // 2, tw - tw // 2]
    else:
        ph, pw = pair(padding)
        pads = [ph, pw, ph, pw]
    attrs = dict(kernel_shape=list(kernel), strides=list(s), dilations=list(d), pads=pads)
    attrs["group"] = int(a["groups"])
    return [Node("Conv", [x, w, a["bias"]], attrs)]


@register(COMPOSITES, "conv_transpose2d")
def _conv_transpose2d(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x, w = image(a["input"], "conv_transpose2d"), a["weight"]
    ph, pw = pair(a["padding"])
    attrs = dict(
        kernel_shape=list(w.shape[2:]),
        strides=list(pair(a["stride"])),
        dilations=list(pair(a["dilation"])),
        pads=[ph, pw, ph, pw],
        output_padding=list(pair(a["output_padding"])),
        group=int(a["groups"]),
    )
    return [Node("ConvTranspose", [x, w, a["bias"]], attrs)]


def _pool_attrs(a: dict, with_dilation: bool) -> dict[str, Any]:
    k = pair(a["kernel_size"])
    stride = a["stride"]
    s = k if stride is None or stride in ((), []) else pair(stride)
    ph, pw = pair(a["padding"])
    attrs: dict[str, Any] = dict(
        kernel_shape=list(k), strides=list(s), pads=[ph, pw, ph, pw], ceil_mode=int(a["ceil_mode"])
    )
    if with_dilation:
        attrs["dilations"] = list(pair(a["dilation"]))
    return attrs


@register(COMPOSITES, "max_pool2d")
def _max_pool2d(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x = image(a["input"], "max_pool2d")
    return [Node("MaxPool", [x], _pool_attrs(a, True))]


@register(COMPOSITES, "avg_pool2d")
def _avg_pool2d(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x = image(a["input"], "avg_pool2d")
    if a["divisor_override"] is not None:
        raise Unsupported("avg_pool2d with divisor_override")
    attrs = _pool_attrs(a, False)
    attrs["count_include_pad"] = int(a["count_include_pad"])
    return [Node("AveragePool", [x], attrs)]


@register(COMPOSITES, "adaptive_avg_pool2d")
def _adaptive_avg_pool2d(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x = image(a["input"], "adaptive_avg_pool2d")
    size = a["output_size"]
    size = (size, size) if isinstance(size, int) else tuple(size)
    h, w = x.shape[2:]
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    if (oh, ow) == (1, 1):
        return [Node("GlobalAveragePool", [x])]
    if h % oh or w % ow:  # unequal windows: the averaging matrices (MatMul) are exported
        raise Unsupported(f"adaptive_avg_pool2d from {h}x{w} to {oh}x{ow}")
    k = [h // oh, w // ow]
    return [Node("AveragePool", [x], dict(kernel_shape=k, strides=k))]


@register(COMPOSITES, "batch_norm")
def _batch_norm(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x = a["input"]
    if a["training"] or a["running_mean"] is None or a["running_var"] is None:
        raise Unsupported("batch_norm with batch statistics (training=True)")
    c = x.shape[1]
    scale = a["weight"] if a["weight"] is not None else np.ones(c, dtype=x.dtype)
    bias = a["bias"] if a["bias"] is not None else np.zeros(c, dtype=x.dtype)
    ins = [x, scale, bias, a["running_mean"], a["running_var"]]
    return [Node("BatchNormalization", ins, dict(epsilon=float(a["eps"])))]


@register(COMPOSITES, "linear")
def _linear(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    return linear_nodes(a["input"], a["weight"], a["bias"])


def linear_nodes(x: Tensor, w: Tensor, b: Any) -> list[Node]:
    if x.ndim == 2:
        return [Node("Gemm", [x, w, b], dict(transB=1))]
    nodes = [Node("Transpose", [w], dict(perm=[1, 0])), Node("MatMul", [x, Prev(0)])]
    if b is not None:
        nodes.append(Node("Add", [Prev(1), b]))
    return nodes


@register(COMPOSITES, "pad")
def _pad(cx: Context, call: Any) -> list[Node]:
    a = call.arguments
    x = a["input"]
    if a["mode"] != "constant":
        raise Unsupported(f"pad with mode={a['mode']!r}")
    value = 0.0 if a["value"] is None else a["value"]
    return [Node("Pad", [x, _onnx_pads(x.ndim, a["pad"]), np.asarray(value, dtype=x.dtype)])]


def _onnx_pads(ndim: int, pad: Any) -> np.ndarray:
    """F.pad's (last_lo, last_hi, prev_lo, prev_hi, ...) as ONNX's (begins..., ends...)."""
    begins, ends = [0] * ndim, [0] * ndim
    for i in range(len(pad) // 2):
        begins[ndim - 1 - i], ends[ndim - 1 - i] = int(pad[2 * i]), int(pad[2 * i + 1])
    return i64(begins + ends)


@register(COMPOSITES, "dropout")
def _dropout(cx: Context, call: Any) -> list[Node]:
    # NOTE: only reached for an explicit training=True call (in eval, dropout records nothing);
    # an exported model is for inference, where dropout is the identity
    return [Node("Identity", [call.inputs[0]])]


# composites the Tensor methods are expected to be marked as (names as in torch)
@register(COMPOSITES, "flatten")
def _flatten(cx: Context, call: Any) -> list[Node]:
    a, x = call.arguments, call.inputs[0]
    start, end = a.get("start_dim", 0) % max(x.ndim, 1), a.get("end_dim", -1) % max(x.ndim, 1)
    if x.ndim < 2 or end != x.ndim - 1:
        raise Unsupported("flatten not ending at the last dim")  # exported as its Reshape
    cx.out_batch = 0 if start >= 1 and cx.batch(x) == 0 else None
    return [Node("Flatten", [x], dict(axis=start))]


@register(COMPOSITES, "softmax", "log_softmax")
def _softmax(cx: Context, call: Any) -> list[Node]:
    a, x = call.arguments, call.inputs[0]
    dim = a.get("dim", -1)
    op = "Softmax" if call.name == "softmax" else "LogSoftmax"
    return [Node(op, [x], dict(axis=int(dim if dim is not None else -1)))]


@register(COMPOSITES, "leaky_relu")
def _leaky_relu(cx: Context, call: Any) -> list[Node]:
    slope = call.arguments.get("negative_slope", 0.01)
    return [Node("LeakyRelu", [call.inputs[0]], dict(alpha=float(slope)))]


@register(COMPOSITES, "elu")
def _elu(cx: Context, call: Any) -> list[Node]:
    return [Node("Elu", [call.inputs[0]], dict(alpha=float(call.arguments.get("alpha", 1.0))))]


@register(COMPOSITES, "softplus")
def _softplus(cx: Context, call: Any) -> list[Node]:
    x, beta = call.inputs[0], float(call.arguments.get("beta", 1.0))
    if beta == 1.0:
        return [Node("Softplus", [x])]
    b = np.asarray(beta, dtype=x.dtype)
    return [Node("Mul", [x, b]), Node("Softplus", [Prev(0)]), Node("Div", [Prev(1), b])]
