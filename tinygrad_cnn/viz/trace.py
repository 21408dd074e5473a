"""Graph extraction: walk the recorded autograd graph into plain nodes, edges and clusters.

The walk is iterative (a 100,000-op chain works) and numbers nodes in the order it finishes
them (inputs before the ops that use them), so the same program always gives the same graph:
no node id ever comes from ``id()`` or a memory address.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([1.0, -2.0], requires_grad=True)
>>> g = trace((x * x).sum(), params={"x": x})
>>> [(n.kind, n.label.split(chr(10))[0]) for n in g.nodes]
[('parameter', 'x'), ('op', 'Mul'), ('op', 'Sum'), ('output', 'output')]
>>> [(e.src, e.dst, e.label) for e in g.edges]
[(0, 1, '(2,)'), (0, 1, '(2,)'), (1, 2, '(2,)'), (2, 3, '()')]
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import post_order
from ..tensor import Tensor

__all__ = ["Node", "Edge", "Graph", "trace"]

# attributes of a Function that are bookkeeping, not state kept for backward
_CTX_BOOKKEEPING = frozenset(
    {
        "inputs",
        "needs_input_grad",
        "module",
        "composite",
        "_output_ref",
        "_saved",
        "_freed",
        "_trace",
    }
)


@dataclass
class Node:
    """One box of the drawing. ``kind`` is parameter, buffer, input, constant, op, output,
    module (a collapsed module) or truncated; ``path`` the module path it belongs to."""

    kind: str
    label: str = ""
    path: str | None = None
    nonfinite: bool = False
    obj: Any = None  # the Function, the leaf Tensor, or None


@dataclass
class Edge:
    """src -> dst (indices into ``Graph.nodes``) carrying a tensor of shape ``label``."""

    src: int
    dst: int
    label: str = ""
    nonfinite: bool = False


@dataclass
class Graph:
    """The traced graph: nodes in traversal order, edges, and the module tree for clusters.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0], requires_grad=True)
    >>> g = trace((x * 2).sum(), params={'x': x})
    >>> [n.kind for n in g.nodes], len(g.edges)
    (['parameter', 'constant', 'op', 'op', 'output'], 4)
    """

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    modules: dict[str, Any] = field(default_factory=dict)  # path -> Module
    direction: str = "forward"
    rankdir: str = "TB"
    group_modules: bool = True
    truncated: bool = False


# -- small formatting helpers ----------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def fmt_shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _fmt_num(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v):.4g}"


def _nonfinite(arr: Any, cache: dict[int, str] | None = None) -> str:
    """'' when every value is finite, else 'NaN' / 'Inf' (what the drawing says).
    ``cache`` (keyed by id, valid while the arrays are alive) saves re-checking an array."""
    if cache is not None:
        hit = cache.get(id(arr))
        if hit is not None:
            return hit
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "fc" or arr.size == 0:
        out = ""
    elif np.isfinite(arr).all():
        out = ""
    else:
        out = "NaN" if np.isnan(arr).any() else "Inf"
    if cache is not None:
        cache[id(arr)] = out
    return out


def _split_settings(text: str, width: int = 32) -> list[str]:
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


def module_summary(module: Any) -> str:
    """One line for a module: its repr, or just its class name when the repr spans lines."""
    text = repr(module)
    if "\n" in text:
        return type(module).__name__
    return text


def _data_line(arr: np.ndarray) -> str:
    if arr.size == 0:
        return "empty"
    if arr.size <= 4:
        return "[" + ", ".join(_fmt_num(v) for v in arr.reshape(-1)) + "]"
    if arr.dtype.kind in "fc":
        a = arr.astype(np.float64) if arr.dtype.kind == "f" else np.abs(arr)
        return f"mean={_fmt_num(a.mean())} std={_fmt_num(a.std())}"
    return f"min={_fmt_num(arr.min())} max={_fmt_num(arr.max())}"


def _grad_line(t: Tensor) -> str:
    g = t.grad
    if g is None:
        return "grad: None"
    arr = g.data if isinstance(g, Tensor) else np.asarray(g)
    norm = float(np.sqrt(np.sum(np.abs(arr.astype(np.float64)) ** 2))) if arr.size else 0.0
    return f"grad {fmt_shape(arr.shape)} norm={_fmt_num(norm)}"


# -- module paths and tensor names ---------------------------------------------------------
def _walk_module(root: Any, prefix: str, paths: dict[int, str], mods: dict[str, Any]) -> None:
    for name, m in root.named_modules():
        full = f"{prefix}.{name}" if prefix and name else (prefix or name)
        if id(m) not in paths:
            paths[id(m)] = full
            mods.setdefault(full, m)


def _walk_names(
    root: Any, prefix: str, names: dict[int, str], buffers: set[int], params: set[int]
) -> None:
    def full(n: str) -> str:
        return f"{prefix}.{n}" if prefix else n

    for n, p in root.named_parameters():
        names.setdefault(id(p), full(n))
        params.add(id(p))
    if hasattr(root, "named_buffers"):
        for n, b in root.named_buffers():
            names.setdefault(id(b), full(n))
            buffers.add(id(b))


def _resolve_names(params: Any, seen_modules: list[Any]) -> tuple[dict, set, set, dict, dict]:
    """Tensor names (params first, then the module tree) and module paths."""
    names: dict[int, str] = {}
    buffers: set[int] = set()
    param_ids: set[int] = set()
    paths: dict[int, str] = {}
    mods: dict[str, Any] = {}
    roots: list[tuple[Any, str]] = []
    if params is not None:
        if hasattr(params, "named_parameters"):
            roots.append((params, ""))
        elif isinstance(params, Mapping):
            for k, v in params.items():
                if isinstance(v, Tensor):
                    names.setdefault(id(v), str(k))
                elif hasattr(v, "named_parameters"):
                    roots.append((v, str(k)))
                else:
                    raise TypeError(
                        f"draw_graph: params[{k!r}] is a {type(v).__name__}; expected a Tensor "
                        "or a Module"
                    )
        else:
            raise TypeError(
                f"draw_graph: params must be a Module or a dict of name -> Tensor, got "
                f"{type(params).__name__}"
            )
    for m, prefix in roots:
        _walk_module(m, prefix, paths, mods)
    # modules that ran but that params does not cover: the outermost of them name the rest
    unknown = [m for m in seen_modules if id(m) not in paths]
    if unknown:
        inner: set[int] = set()
        for m in unknown:
            inner.update(id(x) for _, x in m.named_modules() if x is not m)
        outer = [m for m in unknown if id(m) not in inner]
        taken = set(mods)
        for m in outer:
            if len(outer) == 1 and not roots:
                prefix = ""
            else:
                base = type(m).__name__.lower()
                prefix, k = base, 1
                while prefix in taken:
                    prefix, k = f"{base}_{k}", k + 1
            taken.add(prefix)
            roots.append((m, prefix))
            _walk_module(m, prefix, paths, mods)
    for m, prefix in roots:
        _walk_names(m, prefix, names, buffers, param_ids)
    return names, buffers, param_ids, paths, mods


# -- the walk --------------------------------------------------------------------------------
def trace(
    *roots: Tensor,
    params: Any = None,
    show_shapes: bool = True,
    show_grad: bool = False,
    show_data: bool = False,
    show_saved: bool = False,
    group_modules: bool = True,
    collapse: int | None = None,
    direction: str = "forward",
    rankdir: str = "TB",
    max_nodes: int | None = 2000,
) -> Graph:
    """Walk the graph behind ``roots`` into a :class:`Graph` (see ``draw_graph`` for options).

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    >>> len(trace((w * 3).sum()).nodes)
    5
    """
    if not roots:
        raise ValueError("draw_graph: pass at least one Tensor to draw")
    if len(roots) == 1 and isinstance(roots[0], (list, tuple)):
        roots = tuple(roots[0])
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"draw_graph: roots must be Tensors, got {type(r).__name__}")
    if direction not in ("forward", "backward"):
        raise ValueError(
            f"draw_graph: direction must be 'forward' or 'backward', got {direction!r}"
        )
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"draw_graph: rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    if collapse is not None and (not isinstance(collapse, int) or collapse < 0):
        raise ValueError(f"draw_graph: collapse must be None or an int >= 0, got {collapse!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be None or >= 1, got {max_nodes!r}")
    backward = direction == "backward"
    limit = max_nodes if max_nodes is not None else float("inf")

    g = Graph(direction=direction, rankdir=rankdir, group_modules=group_modules)
    nodes = g.nodes
    raw_edges: list[tuple[int, int, Tensor]] = []  # (producer, consumer, tensor) in forward sense
    index: dict[int, int] = {}  # id(Function) or id(leaf Tensor) -> node index
    seen_modules: list[Any] = []
    seen_module_ids: set[int] = set()
    consumer_module: dict[int, Any] = {}  # constant leaf -> module of the op that used it
    truncated_at: list[int] = []
    count = [0]  # leaves added + ops discovered, against max_nodes

    def truncated_node() -> int:
        if not truncated_at:
            g.truncated = True
            nodes.append(Node("truncated", f"... graph truncated at max_nodes={max_nodes}"))
            truncated_at.append(len(nodes) - 1)
        return truncated_at[0]

    def add_leaf(t: Tensor) -> int:
        k = index.get(id(t))
        if k is None:
            if count[0] >= limit:
                return truncated_node()
            count[0] += 1
            nodes.append(Node("leaf", obj=t))
            k = index[id(t)] = len(nodes) - 1
        return k

    def finish_op(ctx: Any) -> None:
        nodes.append(Node("op", obj=ctx))
        k = index[id(ctx)] = len(nodes) - 1
        m = getattr(ctx, "module", None)
        if m is not None and id(m) not in seen_module_ids:
            seen_module_ids.add(id(m))
            seen_modules.append(m)
        for t in ctx.inputs:
            if not isinstance(t, Tensor) or (backward and not t.requires_grad):
                continue
            c = t._ctx
            if c is None:
                src = index.get(id(t))
                if src is None:
                    src = truncated_node()
                elif m is not None:
                    consumer_module.setdefault(id(t), m)
            else:
                src = index.get(id(c))
                if src is None:
                    src = truncated_node()
            raw_edges.append((src, k, t))

    def admit(ctx: Any) -> bool:
        if count[0] >= limit:
            truncated_node()
            return False
        count[0] += 1
        return True

    follow = (lambda t: t.requires_grad) if backward else None
    seen: set[int] = set()
    root_nodes: list[tuple[int, Tensor]] = []
    for r in roots:
        if r._ctx is None:
            root_nodes.append((add_leaf(r), r))
            continue
        if id(r._ctx) not in seen:
            count[0] += 1
            for ctx in post_order([r._ctx], follow, add_leaf, admit, seen):
                finish_op(ctx)
        nodes.append(Node("output", obj=r))
        raw_edges.append((index[id(r._ctx)], len(nodes) - 1, r))
        root_nodes.append((len(nodes) - 1, r))
    if g.truncated:
        warnings.warn(
            f"draw_graph: the graph has more than max_nodes={max_nodes} nodes and was cut "
            "short; pass a larger max_nodes (or None), or collapse=0 to fold modules",
            stacklevel=3,
        )

    names, buffer_ids, param_ids, paths, mods = _resolve_names(params, seen_modules)
    bad_cache: dict[int, str] = {}
    g.modules = mods
    root_ids = {id(t) for _, t in root_nodes}
    _label_nodes(
        g,
        names,
        buffer_ids,
        param_ids,
        paths,
        consumer_module,
        root_ids,
        backward,
        show_grad=show_grad,
        show_data=show_data,
        show_saved=show_saved,
        bad_cache=bad_cache,
    )
    n_roots = len(root_nodes)
    for j, (k, t) in enumerate(root_nodes):
        node = nodes[k]
        if node.kind == "output":
            node.label = _output_label(t, j, n_roots, backward, show_grad, show_data)
            node.nonfinite = bool(_nonfinite(t.data, bad_cache))
        else:  # a leaf drawn as a root: keep its name, colour it as an output
            node.kind = "output"

    to_truncated: set[int] = set()
    for src, dst, t in raw_edges:
        bad = bool(_nonfinite(t.data, bad_cache))
        label = fmt_shape(t.shape) if show_shapes else ""
        if backward:
            src, dst = dst, src
        if src == dst:
            continue
        if nodes[src].kind == "truncated" or nodes[dst].kind == "truncated":
            if (src, dst) in to_truncated:  # one edge per op into the cut-off part
                continue
            to_truncated.add((src, dst))
        g.edges.append(Edge(src, dst, label, bad))
    if collapse is not None:
        collapse_modules(g, collapse)
    return g


def _label_nodes(
    g: Graph,
    names: dict[int, str],
    buffer_ids: set[int],
    param_ids: set[int],
    paths: dict[int, str],
    consumer_module: dict[int, Any],
    root_ids: set[int],
    backward: bool,
    *,
    show_grad: bool,
    show_data: bool,
    show_saved: bool,
    bad_cache: dict[int, str],
) -> None:
    names_known = bool(param_ids) or bool(names)
    for node in g.nodes:
        obj = node.obj
        if node.kind == "leaf":
            t = obj
            name = names.get(id(t))
            lines: list[str] = []
            if name is not None:
                if id(t) in buffer_ids:
                    node.kind = "buffer"
                elif id(t) in param_ids or t.requires_grad:
                    node.kind = "parameter"
                else:
                    node.kind = "input"
                lines.append(name)
                owner = name.rsplit(".", 1)[0] if "." in name else ""
                node.path = owner if owner in g.modules and owner else None
            elif t.data.ndim == 0 and not t.requires_grad and id(t) not in root_ids:
                node.kind = "constant"
                lines.append(_fmt_num(t.data.reshape(())) if t.data.size else "const")
                m = consumer_module.get(id(t))
                node.path = (paths.get(id(m)) or None) if m is not None else None
            else:
                node.kind = "parameter" if (t.requires_grad and not names_known) else "input"
                lines.append("input" if node.kind == "input" else "tensor")
            if node.kind != "constant":
                lines.append(f"{fmt_shape(t.shape)} {t.data.dtype}")
            bad = _nonfinite(t.data, bad_cache)
            if bad:
                node.nonfinite = True
                lines.append(f"contains {bad}")
            if show_data and node.kind != "constant":
                lines.append(_data_line(t.data))
            if show_grad and t.requires_grad:
                lines.append(_grad_line(t))
            if backward and node.kind == "parameter":
                lines[0] += " (grad)"
            node.label = "\n".join(lines)
        elif node.kind == "op":
            ctx = obj
            m = getattr(ctx, "module", None)
            node.path = (paths.get(id(m)) or None) if m is not None else None
            lines = [ctx.name + ("Backward" if backward else "")]
            try:
                settings = ctx.extra_repr()
            except Exception:  # NOTE: a broken extra_repr must not stop the drawing
                settings = ""
            if settings:
                lines.extend(_split_settings(settings))
            ref = ctx._output_ref
            out = ref() if ref is not None else None
            if out is not None:
                bad = _nonfinite(out.data, bad_cache)
                if bad:
                    node.nonfinite = True
                    lines.append(f"output contains {bad}")
                if show_data:
                    lines.append(_data_line(out.data))
                if show_grad and out._retains_grad:
                    lines.append(_grad_line(out))
            if show_saved:
                lines.extend(_saved_lines(ctx))
            node.label = "\n".join(lines)


def _saved_lines(ctx: Any) -> list[str]:
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


def _output_label(
    t: Tensor, j: int, n: int, backward: bool, show_grad: bool, show_data: bool
) -> str:
    title = "output" if n == 1 else f"output {j}"
    if backward:
        title = f"grad of {title}"
    lines = [title, f"{fmt_shape(t.shape)} {t.data.dtype}"]
    if t.data.size == 1 and t.data.dtype.kind in "fiub":
        lines.append(f"= {_fmt_num(t.data.reshape(()))}")
    elif show_data:
        lines.append(_data_line(t.data))
    bad = _nonfinite(t.data)
    if bad:
        lines.append(f"contains {bad}")
    if show_grad and t._retains_grad:
        lines.append(_grad_line(t))
    return "\n".join(lines)


# -- collapsing modules ----------------------------------------------------------------------
def collapse_modules(g: Graph, depth: int) -> None:
    """Fold every module deeper than ``depth`` into one node per module at depth ``depth + 1``
    (its parameters and ops inside), labelled with the shapes that enter and leave it; then
    fold chains of identical modules (same repr, same shapes) into one node marked x N."""

    def ancestor(path: str | None) -> str | None:
        if not path:
            return None
        parts = path.split(".")
        return ".".join(parts[: depth + 1]) if len(parts) > depth else None

    nodes: list[Node] = []
    remap: list[int] = []
    groups: dict[str, int] = {}
    for node in g.nodes:
        a = ancestor(node.path)
        if a is None:
            remap.append(len(nodes))
            nodes.append(node)
            continue
        k = groups.get(a)
        if k is None:
            parent = a.rsplit(".", 1)[0] if "." in a else None
            k = groups[a] = len(nodes)
            nodes.append(Node("module", a, parent, obj=g.modules.get(a)))
        nodes[k].nonfinite = nodes[k].nonfinite or node.nonfinite
        remap.append(k)
    edges = _dedupe_edges(g.edges, remap)
    ins: dict[int, list[str]] = {}
    outs: dict[int, list[str]] = {}
    for e in edges:
        if e.label and e.label not in ins.setdefault(e.dst, []):
            ins[e.dst].append(e.label)
        if e.label and e.label not in outs.setdefault(e.src, []):
            outs[e.src].append(e.label)

    # chains of identical modules, each feeding only the next: keep the first, count the rest
    preds: dict[int, list[int]] = {}
    succs: dict[int, list[int]] = {}
    for e in edges:
        preds.setdefault(e.dst, []).append(e.src)
        succs.setdefault(e.src, []).append(e.dst)

    def signature(k: int) -> tuple:
        n = nodes[k]
        return (repr(n.obj), n.path, tuple(ins.get(k, ())), tuple(outs.get(k, ())))

    head: dict[int, int] = {}
    chain: dict[int, list[int]] = {}
    for k, n in enumerate(nodes):
        if n.kind != "module":
            continue
        p = preds.get(k, [])
        if len(p) == 1 and nodes[p[0]].kind == "module" and succs.get(p[0]) == [k]:
            if signature(p[0]) == signature(k):
                h = head.get(p[0], p[0])
                head[k] = h
                chain.setdefault(h, [h]).append(k)
    for k, n in enumerate(nodes):
        if n.kind != "module" or k in head:
            continue
        members = chain.get(k, [k])
        last = members[-1]
        title = n.label if len(members) == 1 else f"{n.label} .. {nodes[last].label}"
        summary = module_summary(n.obj) if n.obj is not None else "module"
        if len(members) > 1:
            summary += f" x {len(members)}"
        lines = [f"{title}: {summary}"]
        if ins.get(k):
            lines.append("in: " + ", ".join(ins[k]))
        if outs.get(last):
            lines.append("out: " + ", ".join(outs[last]))
        n.label = "\n".join(lines)
        n.nonfinite = any(nodes[m].nonfinite for m in members)
    if head:
        keep = [k for k in range(len(nodes)) if k not in head]
        new_index = {k: i for i, k in enumerate(keep)}
        final = [new_index[head.get(k, k)] for k in range(len(nodes))]
        edges = _dedupe_edges(edges, final)
        nodes = [nodes[k] for k in keep]
    g.nodes, g.edges = nodes, edges


def _dedupe_edges(edges: list[Edge], remap: list[int]) -> list[Edge]:
    out: list[Edge] = []
    seen: dict[tuple[int, int, str], Edge] = {}
    for e in edges:
        src, dst = remap[e.src], remap[e.dst]
        if src == dst:
            continue
        key = (src, dst, e.label)
        prev = seen.get(key)
        if prev is not None:
            prev.nonfinite = prev.nonfinite or e.nonfinite
            continue
        seen[key] = new = Edge(src, dst, e.label, e.nonfinite)
        out.append(new)
    return out
