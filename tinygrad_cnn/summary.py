"""summary(model, input_shape): a table of layers with output shapes, parameter counts and
forward FLOPs, traced by running one forward pass on zeros (in eval mode, without grad).

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> s = tg.summary(nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.ReLU()), (1, 2, 2))
>>> s.total_params, s.rows[1]["output_shape"]
(10, '(N, 2)')
>>> s.flops
20
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd import no_grad
from .nn.conv import _BatchNorm, _Conv, _ConvTranspose
from .nn.layers import Linear, Pointwise
from .nn.module import Module
from .nn.normalization import GroupNorm, LayerNorm
from .nn.pooling import (
    _AdaptiveAvgPoolNd,
    _AdaptiveMaxPoolNd,
    _AvgPoolNd,
    _LPPoolNd,
    _MaxPoolNd,
)
from .tensor import Tensor


def layer_flops(module: Module, inp: Tensor, out: Tensor) -> int:
    """Forward FLOPs of one layer call: a multiply-add counts 2; elementwise ops 1 per output
    element; pooling one per window element; normalization (eval) 2 per element.

    >>> conv = nn.Conv2d(1, 2, 3, bias=False)
    >>> x = tg.zeros(1, 1, 5, 5)
    >>> layer_flops(conv, x, conv(x))  # 2 x (2*3*3 outputs) x 9 multiply-adds
    324
    """
    n_out = int(out.data.size)
    bias = n_out if getattr(module, "bias", None) is not None else 0
    if isinstance(module, _Conv):
        macs = n_out * (module.in_channels // module.groups) * math.prod(module.kernel_size)
        return 2 * macs + bias
    if isinstance(module, _ConvTranspose):
        per_input = (module.out_channels // module.groups) * math.prod(module.kernel_size)
        return 2 * int(inp.data.size) * per_input + bias
    if isinstance(module, Linear):
        return 2 * n_out * module.in_features + bias
    if isinstance(module, (_BatchNorm, LayerNorm, GroupNorm)):
        return 2 * n_out
    if isinstance(module, (_MaxPoolNd, _AvgPoolNd, _LPPoolNd)):
        k = module.kernel_size
        return n_out * (k ** _spatial_dims(out) if isinstance(k, int) else math.prod(k))
    if isinstance(module, (_AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd)):
        return int(inp.data.size)
    if isinstance(module, Pointwise):
        return n_out
    return 0


def _spatial_dims(out: Tensor) -> int:
    return max(out.ndim - 2, 1)


@dataclass
class ModelSummary:
    """The result of summary(): ``rows`` (dicts with name, type, output_shape, params, flops),
    ``total_params``, ``trainable_params`` and ``flops``; ``str()`` is the table.

    >>> s = summary(nn.Sequential(nn.Linear(3, 2)), (3,))
    >>> s.total_params, s.rows[0]['type'], s.flops
    (8, 'Linear', 14)
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    flops: int = 0
    input_shape: tuple[int, ...] = ()
    batch_size: int = 1

    def __str__(self) -> str:
        head = ("Layer", "Type", "Output shape", "Params")
        body = [(r["name"], r["type"], r["output_shape"], f"{r['params']:,}") for r in self.rows]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]

        def fmt(cells: Sequence[str]) -> str:
            parts = [str(c).ljust(w) for c, w in zip(cells[:3], widths[:3])]
            return "  ".join(parts + [str(cells[3]).rjust(widths[3])])

        rule = "-" * len(fmt(head))
        lines = [rule, fmt(head), "=" * len(rule)]
        lines += [fmt(b) for b in body]
        lines += ["=" * len(rule)] + [f"{k}: {v}" for k, v in self._footer()] + [rule]
        return "\n".join(lines)

    __repr__ = __str__

    def _footer(self) -> list[tuple[str, str]]:
        per = "sample" if self.batch_size == 1 else f"batch of {self.batch_size}"
        return [
            ("Input shape", f"(N, {', '.join(map(str, self.input_shape))})"),
            ("Total params", f"{self.total_params:,}"),
            ("Trainable params", f"{self.trainable_params:,}"),
            ("Non-trainable params", f"{self.total_params - self.trainable_params:,}"),
            (f"Forward FLOPs (per {per})", f"{self.flops:,} ({_human(self.flops)})"),
        ]

    def _repr_markdown_(self) -> str:
        """The table as Markdown (Jupyter shows this)."""
        lines = ["| Layer | Type | Output shape | Params |", "| --- | --- | --- | ---: |"]
        lines += [
            f"| {r['name']} | {r['type']} | {r['output_shape']} | {r['params']:,} |"
            for r in self.rows
        ]
        lines += [""] + [f"- **{k}:** {v}" for k, v in self._footer()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The table as HTML (Jupyter shows this)."""
        esc = html.escape
        head = "<tr><th>Layer</th><th>Type</th><th>Output shape</th><th>Params</th></tr>"
        rows = "".join(
            f"<tr><td>{esc(str(r['name']))}</td><td>{esc(str(r['type']))}</td>"
            f"<td>{esc(str(r['output_shape']))}</td><td style='text-align:right'>"
            f"{r['params']:,}</td></tr>"
            for r in self.rows
        )
        foot = "".join(f"<li><b>{esc(k)}:</b> {esc(v)}</li>" for k, v in self._footer())
        return f"<table>{head}{rows}</table><ul>{foot}</ul>"


def _human(n: float) -> str:
    for unit in ("", "K", "M", "G", "T"):
        if abs(n) < 1000:
            return f"{n:.3g} {unit}FLOP".replace("  ", " ")
        n /= 1000.0
    return f"{n:.3g} PFLOP"


def _shape_str(shape: tuple[int, ...]) -> str:
    if not shape:
        return "()"
    return "(" + ", ".join(["N", *map(str, shape[1:])]) + ")"


def summary(model: Module, input_shape: Sequence[int], batch_size: int = 1) -> ModelSummary:
    """Trace ``model`` on a zero input of shape ``(batch_size, *input_shape)`` (input_shape
    excludes the batch dim) and tabulate each leaf layer: dotted name, type, output shape
    with the batch dim shown as N, and parameter count; then totals and forward FLOPs.

    >>> import tinygrad_cnn as tg
    >>> s = tg.summary(tg.models.LeNet5(), (1, 28, 28))
    >>> s.rows[0]["output_shape"], s.total_params
    ('(N, 6, 24, 24)', 44426)
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a Module, got {type(model).__name__}")
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(
            f"summary: input_shape must be a per-sample shape of positive sizes such as "
            f"(1, 28, 28), got {tuple(input_shape)}"
        )
    names = {id(m): n for n, m in model.named_modules()}
    rows: list[dict[str, Any]] = []

    def hook(mod: Module, inputs: tuple, out: Any) -> None:
        first = out[0] if isinstance(out, (tuple, list)) else out
        inp = inputs[0] if inputs else None
        if not isinstance(first, Tensor):
            return
        rows.append(
            {
                "name": names.get(id(mod), "") or type(mod).__name__,
                "type": type(mod).__name__,
                "output_shape": _shape_str(first.shape),
                "params": sum(p.numel() for p in mod.parameters()),
                "flops": layer_flops(mod, inp, first) if isinstance(inp, Tensor) else 0,
            }
        )

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    modes = {id(m): m.training for m in model.modules()}
    try:
        model.eval()
        with no_grad():
            model(Tensor(np.zeros((batch_size, *shape), np.float32)))
    finally:
        for h in handles:
            h.remove()
        for m in model.modules():
            m.__dict__["training"] = modes[id(m)]
        model.__dict__["training"] = was_training
    params = list(model.parameters())
    return ModelSummary(
        rows=rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        flops=int(sum(r["flops"] for r in rows)),
        input_shape=shape,
        batch_size=batch_size,
    )


__all__ = ["summary", "ModelSummary", "layer_flops"]
