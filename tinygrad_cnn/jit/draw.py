"""The replayed program as DOT text in the renderer's style (viz/dot.py): step inputs, tensors
read from outside the step and constants as rounded boxes, each op kernel as a box, host calls
and live parts as 3-D boxes, gradients left on leaves and the output in green, and an edge for
each array an instruction reads from the one that made it."""

from __future__ import annotations

from typing import Any

from ..viz.dot import _FONT, _STYLE, _quote
from ..viz.labels import fmt_shape
from .program import CONST, INPUT, TENSOR, Kernel, LeafGrad, Program, _flat_outputs

_SOURCE_STYLE = {INPUT: "input", TENSOR: "parameter", CONST: "constant"}


def _node(name: str, label: str, kind: str) -> str:
    shape, style, fill = _STYLE[kind]
    attrs = [f"label={_quote(label)}", f"shape={shape}"]
    if style:
        attrs.append(f'style="{style}"')
    if fill:
        attrs.append(f'fillcolor="{fill}"')
    return f"  {name} [{' '.join(attrs)}]"


def _source_label(kind: str, value: Any) -> str:
    if kind == INPUT:
        return f"input {value}"
    if kind == TENSOR:
        return f"tensor {fmt_shape(tuple(value.shape))}"
    shape = getattr(value, "shape", None)
    return f"constant {fmt_shape(tuple(shape))}" if shape is not None else "constant"


def program_dot(prog: Program, name: str) -> str:
    """DOT source of ``prog`` (constants that are not arrays are left out)."""
    lines = [
        f"digraph {_quote(name)} {{",
        f'  graph [rankdir=TB fontname="{_FONT}" label={_quote(name + " (replayed program)")}]',
        f'  node [fontname="{_FONT}" fontsize=10]',
    ]
    maker: dict[int, str] = {}
    used = {s for ins in prog.instrs for s in ins.reads()}
    for s, (kind, value) in enumerate(zip(prog.kinds, prog.values)):
        if s in used and kind in _SOURCE_STYLE and (kind != CONST or hasattr(value, "shape")):
            maker[s] = f"s{s}"
            lines.append(_node(f"s{s}", _source_label(kind, value), _SOURCE_STYLE[kind]))
    for n, ins in enumerate(prog.instrs):
        kind = (
            "op" if isinstance(ins, Kernel) else "output" if isinstance(ins, LeafGrad) else "module"
        )
        lines.append(_node(f"i{n}", f"{n}: {ins.label}", kind))
        for s in sorted(set(ins.reads())):
            if s in maker:
                lines.append(f"  {maker[s]} -> i{n}")
        for s in ins.makes():
            maker[s] = f"i{n}"
    for s in _flat_outputs(prog.outputs):
        lines.append(_node(f"out{s}", "step output", "output"))
        if s in maker:
            lines.append(f"  {maker[s]} -> out{s}")
    lines.append("}")
    return "\n".join(lines) + "\n"
