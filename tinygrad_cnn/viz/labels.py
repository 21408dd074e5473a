"""The words in a graph drawing: tensor names, shapes, settings, value and gradient summaries
(one label per node of a traced :class:`~tinygrad_cnn.viz.trace.Graph`).

>>> fmt_shape((1, 6, 24, 24)), fmt_shape((3,))
('(1, 6, 24, 24)', '(3,)')
"""

from __future__ import annotations

import functools
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import CompositeCall
from ..tensor import Tensor

# attributes of a Function that are bookkeeping, not state kept for backward
_CTX_BOOKKEEPING = frozenset(
    {"inputs", "needs_input_grad", "module", "composite", "_output_ref", "_saved", "_freed"}
)


@dataclass
class Names:
    """What the model tree says about tensors and modules: ``tensors`` id -> dotted name,
    the ids of buffers and parameters, module id -> path, and path -> Module."""

    tensors: dict[int, str] = field(default_factory=dict)
    buffers: set[int] = field(default_factory=set)
    params: set[int] = field(default_factory=set)
    paths: dict[int, str] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=4096)
def fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_num(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v):.4g}"


def nonfinite(arr: Any) -> str:
    """'' when every value is finite, else 'NaN' / 'Inf' (what the drawing says)."""
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fc" or arr.size == 0:
        return ""
    if np.isfinite(arr).all():
        return ""
    return "NaN" if np.isnan(arr).any() else "Inf"


def split_settings(text: str, width: int = 32) -> list[str]:
    """Break 'a=1, b=(2, 3), c=4' at top-level commas into lines of at most ~width chars."""
    if len(text) <= width:
        return [text]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    lines: list[str] = []
    for p in parts:
        if lines and len(lines[-1]) + len(p) + 2 <= width:
            lines[-1] += ", " + p
        else:
            lines.append(p)
    return lines


def wrap(text: str, width: int = 44) -> str:
    """``text`` broken at spaces into lines of about ``width`` characters, so that a box is
    never wider than a short paragraph (a left-to-right LeNet-5 stays readable)."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


def module_summary(module: Any) -> str:
    """One line for a module: its repr, or just its class name when the repr spans lines."""
    text = repr(module)
    if "\n" in text:
        return type(module).__name__
    return text


def data_line(arr: np.ndarray) -> str:
    if arr.size == 0:
        return "empty"
    if arr.size <= 4:
        return "[" + ", ".join(fmt_num(v) for v in arr.reshape(-1)) + "]"
    if arr.dtype.kind in "fc":
        a = arr.astype(np.float64) if arr.dtype.kind == "f" else np.abs(arr)
        return f"mean={fmt_num(a.mean())} std={fmt_num(a.std())}"
    return f"min={fmt_num(arr.min())} max={fmt_num(arr.max())}"


def grad_norm(t: Tensor) -> str:
    """'norm=...' of ``t.grad`` (or 'None')."""
    g = t.grad
    if g is None:
        return "None"
    arr = g.data if isinstance(g, Tensor) else np.asarray(g)
    norm = float(np.sqrt(np.sum(np.abs(arr.astype(np.float64)) ** 2))) if arr.size else 0.0
    return f"norm={fmt_num(norm)}"


def grad_line(t: Tensor) -> str:
    if t.grad is None:
        return "grad: None"
    return f"grad {fmt_shape(t.grad.shape)} {grad_norm(t)}"


# -- per-node labels -------------------------------------------------------------------------
def label_nodes(
    g: Any,
    names: Names,
    root_ids: set[int],
    backward: bool,
    show_grad: bool,
    show_data: bool,
    show_saved: bool,
    consumer_module: dict[int, Any],
) -> None:
    names_known = bool(names.params) or bool(names.tensors)
    for node in g.nodes:
        if node.kind == "leaf":
            _label_leaf(node, g, names, names_known, root_ids, consumer_module)
            t = node.obj
            lines = [node.label]
            if show_data and node.kind != "constant":
                lines.append(data_line(t.data))
            if show_grad and t.requires_grad:
                lines.append(grad_line(t))
            if backward and node.kind == "parameter":
                lines[0] = lines[0].replace("\n", " (grad)\n", 1)
            node.label = "\n".join(lines)
        elif node.kind == "op":
            m = node.module
            node.path = (names.paths.get(id(m)) or None) if m is not None else None
            _label_op(node, backward, show_grad, show_data, show_saved)


def _label_leaf(
    node: Any, g: Any, names: Names, names_known: bool, root_ids: set[int], consumers: dict
) -> None:
    t = node.obj
    name = names.tensors.get(id(t))
    lines: list[str] = []
    if name is not None:
        if id(t) in names.buffers:
            node.kind = "buffer"
        elif id(t) in names.params or t.requires_grad:
            node.kind = "parameter"
        else:
            node.kind = "input"
        lines.append(name)
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        node.path = owner if owner and owner in g.modules else None
    elif t.data.ndim == 0 and not t.requires_grad and id(t) not in root_ids:
        node.kind = "constant"
        lines.append(fmt_num(t.data.reshape(())) if t.data.size else "const")
        m = consumers.get(id(t))
        node.path = (names.paths.get(id(m)) or None) if m is not None else None
    else:
        node.kind = "parameter" if (t.requires_grad and not names_known) else "input"
        lines.append("input" if node.kind == "input" else "tensor")
    if node.kind != "constant":
        lines.append(f"{fmt_shape(t.shape)} {t.data.dtype}")
    bad = nonfinite(t.data)
    if bad:
        node.nonfinite = True
        lines.append(f"contains {bad}")
    node.label = "\n".join(lines)


def _label_op(node: Any, backward: bool, show_grad: bool, show_data: bool, saved: bool) -> None:
    obj = node.obj
    call = isinstance(obj, CompositeCall)
    lines = [obj.name + ("Backward" if backward else "")]
    try:
        settings = call_settings(obj) if call else obj.extra_repr()
    except Exception:  # NOTE: a broken extra_repr must not stop the drawing
        settings = ""
    if settings:
        lines.extend(split_settings(settings))
    out = obj.output if call else (obj._output_ref() if obj._output_ref is not None else None)
    if out is not None:
        bad = nonfinite(out.data)
        if bad:
            node.nonfinite = True
            lines.append(f"output contains {bad}")
        if show_data:
            lines.append(data_line(out.data))
        if show_grad and out._retains_grad:
            lines.append(grad_line(out))
    if saved:
        lines.extend(saved_lines(obj) if not call else _members_saved(node.members))
    node.label = "\n".join(lines)


def _members_saved(members: list) -> list[str]:
    """What the primitives of a composite call keep, each line naming its primitive."""
    return [f"saved: {m.name}: {x[len('saved: ') :]}" for m in members for x in saved_lines(m)]


def call_settings(call: CompositeCall) -> str:
    """The non-tensor arguments of a composite call that differ from their defaults."""
    params = inspect.signature(call.fn).parameters
    parts = []
    for name, v in call.arguments.items():
        p = params[name]
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or v is None or isinstance(v, Tensor):
            continue
        if isinstance(v, np.ndarray) or (isinstance(v, (list, tuple)) and len(v) > 4):
            continue
        if p.default is not p.empty and _same(v, p.default):
            continue
        parts.append(f"{name}={v!r}")
    return ", ".join(parts)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, int) and a and all(_same(x, b) for x in a):
        return True  # stride=(1, 1) is the default stride=1
    try:
        return bool(a == b)
    except Exception:  # NOTE: an argument whose == is not a bool is shown
        return False


def saved_lines(ctx: Any) -> list[str]:
    if getattr(ctx, "_freed", False):
        return ["saved: freed by backward()"]
    # backward reads the op's inputs (held by the graph) and what save_for_backward kept
    lines = []
    for pos, x in enumerate(ctx.inputs):
        if isinstance(x, Tensor):
            lines.append(f"saved: input {pos} {fmt_shape(x.shape)}")
    for s in ctx._saved:
        arr = s.data if isinstance(s, Tensor) else s
        if any(_array_of(x) is arr for x in ctx.inputs):
            continue
        if isinstance(arr, np.ndarray):
            lines.append(f"saved: {fmt_shape(arr.shape)} {arr.dtype}")
        else:
            lines.append(f"saved: {type(s).__name__}")
    for name, v in ctx.__dict__.items():
        if name in _CTX_BOOKKEEPING or name.startswith("_"):
            continue
        if isinstance(v, Tensor):
            v = v.data
        if isinstance(v, np.ndarray) and v.ndim > 0:
            lines.append(f"saved: {name} {fmt_shape(v.shape)} {v.dtype}")
    return lines


def _array_of(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def output_label(
    t: Tensor, j: int, n: int, backward: bool, show_grad: bool, show_data: bool
) -> str:
    title = "output" if n == 1 else f"output {j}"
    if backward:
        title = f"grad of {title}"
    lines = [title, f"{fmt_shape(t.shape)} {t.data.dtype}"]
    if t.data.size == 1 and t.data.dtype.kind in "fiub":
        lines.append(f"= {fmt_num(t.data.reshape(()))}")
    elif show_data:
        lines.append(data_line(t.data))
    bad = nonfinite(t.data)
    if bad:
        lines.append(f"contains {bad}")
    if show_grad and t._retains_grad:
        lines.append(grad_line(t))
    return "\n".join(lines)
