"""Graph extraction: walk the recorded autograd graph into plain nodes, edges and clusters.

One node per tensor leaf and one per op as the user wrote it: a composite call such as
``F.conv2d`` or ``F.cross_entropy`` is one node (its arguments in, its NCHW result out) unless
``expand`` opens it into its primitives. The walk is iterative (a 100,000-op chain works) and
numbers nodes in the order it finishes them (inputs before the ops that use them), so the same
program always gives the same graph: no node id ever comes from ``id()`` or a memory address.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([1.0, -2.0], requires_grad=True)
>>> g = trace((x * x).sum(), params={"x": x})
>>> [(n.kind, n.label.split(chr(10))[0]) for n in g.nodes]
[('parameter', 'x'), ('op', 'Mul'), ('op', 'Sum'), ('output', 'output')]
>>> [(e.src, e.dst, e.label) for e in g.edges]
[(0, 1, '(2,)'), (0, 1, '(2,)'), (1, 2, '(2,)'), (2, 3, '()')]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import CompositeCall
from ..graph import post_order
from ..tensor import Tensor
from .collapse import collapse_modules
from .labels import Names, fmt_shape, label_nodes, nonfinite, output_label

__all__ = ["Node", "Edge", "Graph", "trace"]


@dataclass
class Node:
    """One box of the drawing. ``kind`` is parameter, buffer, input, constant, op, output,
    module (a collapsed module) or truncated; ``path`` the module path it belongs to; ``obj``
    the Function, the CompositeCall, the leaf Tensor, or None; ``members`` the primitive
    Functions drawn as this node."""

    kind: str
    label: str = ""
    path: str | None = None
    nonfinite: bool = False
    obj: Any = None
    module: Any = None
    members: list = field(default_factory=list)


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
    show_grad: bool = False


@dataclass
class _Walk:
    events: list[tuple[str, Any]] = field(default_factory=list)  # ("leaf"|"op", obj)
    truncated: bool = False
    max_nodes: int | None = None


# -- module paths and tensor names ---------------------------------------------------------
def _walk_module(root: Any, prefix: str, names: Names) -> None:
    for name, m in root.named_modules():
        full = f"{prefix}.{name}" if prefix and name else (prefix or name)
        if id(m) not in names.paths:
            names.paths[id(m)] = full
            names.modules.setdefault(full, m)


def _walk_names(root: Any, prefix: str, names: Names) -> None:
    def full(n: str) -> str:
        return f"{prefix}.{n}" if prefix else n

    for n, p in root.named_parameters():
        names.tensors.setdefault(id(p), full(n))
        names.params.add(id(p))
    if hasattr(root, "named_buffers"):
        for n, b in root.named_buffers():
            names.tensors.setdefault(id(b), full(n))
            names.buffers.add(id(b))


def _param_roots(params: Any, names: Names) -> list[tuple[Any, str]]:
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        return [(params, "")]
    if not isinstance(params, Mapping):
        raise TypeError(
            f"draw_graph: params must be a Module or a dict of name -> Tensor, got "
            f"{type(params).__name__}"
        )
    roots = []
    for k, v in params.items():
        if isinstance(v, Tensor):
            names.tensors.setdefault(id(v), str(k))
        elif hasattr(v, "named_parameters"):
            roots.append((v, str(k)))
        else:
            raise TypeError(
                f"draw_graph: params[{k!r}] is a {type(v).__name__}; expected a Tensor or a Module"
            )
    return roots


def _resolve_names(params: Any, seen_modules: list[Any]) -> Names:
    """Tensor names (params first, then the module tree) and module paths."""
    names = Names()
    roots = _param_roots(params, names)
    for m, prefix in roots:
        _walk_module(m, prefix, names)
    # modules that ran but that params does not cover: the outermost of them name the rest
    unknown = [m for m in seen_modules if id(m) not in names.paths]
    inner: set[int] = set()
    for m in unknown:
        inner.update(id(x) for _, x in m.named_modules() if x is not m)
    outer = [m for m in unknown if id(m) not in inner]
    taken = set(names.modules)
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
        _walk_module(m, prefix, names)
    for m, prefix in roots:
        _walk_names(m, prefix, names)
    return names


# -- the walk --------------------------------------------------------------------------------
def _check_options(
    roots: tuple, direction: str, rankdir: str, collapse: Any, expand: Any, max_nodes: Any
) -> tuple[Tensor, ...]:
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
    if not isinstance(expand, (bool, int)) or (not isinstance(expand, bool) and expand < 0):
        raise ValueError(
            f"draw_graph: expand must be True, False or an int >= 0 (levels of composite ops "
            f"to open), got {expand!r}"
        )
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be None or >= 1, got {max_nodes!r}")
    return roots


def _walk(roots: tuple[Tensor, ...], backward: bool, max_nodes: int | None) -> _Walk:
    """Every primitive op behind ``roots`` (inputs first) and the leaves met, in walk order."""
    limit = max_nodes if max_nodes is not None else float("inf")
    w = _Walk()
    count = [0]  # leaves and ops taken, against max_nodes
    leaf_ids: set[int] = set()

    def on_leaf(t: Tensor) -> None:
        if id(t) not in leaf_ids:
            if count[0] >= limit:
                w.truncated = True
                return
            count[0] += 1
            leaf_ids.add(id(t))
            w.events.append(("leaf", t))

    def admit(ctx: Any) -> bool:
        if count[0] >= limit:
            w.truncated = True
            return False
        count[0] += 1
        return True

    follow = (lambda t: t.requires_grad) if backward else None
    seen: set[int] = set()
    for r in roots:
        if r._ctx is None:
            on_leaf(r)
        elif id(r._ctx) not in seen:
            count[0] += 1
            for ctx in post_order([r._ctx], follow, on_leaf, admit, seen):
                w.events.append(("op", ctx))
    return w


def _unit_of(ctx: Any, depth: int | None) -> Any:
    """What ``ctx`` is drawn as: itself (a primitive), or the composite call around it at
    nesting level ``depth`` (0: the call the user wrote)."""
    call = ctx.composite
    if call is None or depth is None:
        return ctx
    chain = []
    while call is not None:
        chain.append(call)
        call = call.parent
    return chain[-1 - depth] if depth < len(chain) else ctx


class _Builder:
    """Turns a walk into nodes and edges, one node per drawn unit (op or composite call) and
    per tensor leaf; a leaf used only inside a composite call that does not take it as an
    argument (an unrecorded im2col matrix, a constant) is not drawn."""

    def __init__(self, g: Graph, walk: _Walk, depth: int | None, backward: bool) -> None:
        self.g, self.walk, self.depth, self.backward = g, walk, depth, backward
        self.unit: dict[int, Any] = {}  # id(Function) -> its unit
        self.index: dict[int, int] = {}  # id(unit or leaf Tensor) -> node index
        self.alias: dict[int, Tensor] = {}  # unrecorded leaf -> the argument it came from
        self.edges: list[tuple[int, int, Tensor]] = []
        self._truncated: int | None = None
        self.exposed: set[int] = set()  # leaves some drawn unit takes as an input
        self.modules: list[Any] = []  # modules that ran, first seen first
        self.consumer_module: dict[int, Any] = {}  # constant leaf -> module of its user
        self.data_args: dict[int, list[Tensor]] = {}  # id(Function) -> integer data inputs

    def follows(self, t: Any) -> bool:
        return isinstance(t, Tensor) and (t.requires_grad or not self.backward)

    def call_inputs(self, u: Any) -> list[Tensor]:
        return [t for t in u.inputs if self.follows(t)] if isinstance(u, CompositeCall) else []

    def classify(self) -> None:
        consumed: set[int] = set()
        for kind, obj in self.walk.events:
            if kind != "op":
                continue
            u = self.unit[id(obj)] = _unit_of(obj, self.depth)
            for t in obj.inputs:
                if self.follows(t) and t._ctx is None:
                    consumed.add(id(t))
                    if u is obj or any(x is t for x in u.inputs):
                        self.exposed.add(id(t))
                        if obj.module is not None:
                            self.consumer_module.setdefault(id(t), obj.module)
            self.exposed.update(id(t) for t in self.call_inputs(u) if t._ctx is None)
            m = obj.module
            if m is not None and all(m is not x for x in self.modules):
                self.modules.append(m)
        for kind, obj in self.walk.events:
            if kind == "op" and self.unit[id(obj)] is obj and obj.composite is not None:
                self._find_aliases(obj, consumed)
                self._find_data_arguments(obj, consumed)

    def _find_data_arguments(self, ctx: Any, consumed: set[int]) -> None:
        """In an opened composite call, integer tensors handed to a primitive as plain data
        (cross_entropy's targets) are drawn going into the primitive that gives the result."""
        call = ctx.composite
        if call.output is None or call.output is not ctx.output:
            return
        for t in call.inputs:
            if t._ctx is None and id(t) not in consumed and t.data.dtype.kind in "iub":
                self.data_args.setdefault(id(ctx), []).append(t)
                self.exposed.add(id(t))

    def _find_aliases(self, ctx: Any, consumed: set[int]) -> None:
        """In an opened composite call, a leaf that the call made without recording (its
        input did not require grad) is drawn as that input."""
        taken = {id(a) for a in self.alias.values()}
        args = [
            t
            for t in ctx.composite.inputs
            if t._ctx is None and id(t) not in consumed and id(t) not in taken
        ]
        for t in ctx.inputs:
            if not self.follows(t) or t._ctx is not None or t.ndim == 0 or t.requires_grad:
                continue
            if any(t is a for a in ctx.composite.inputs):
                continue
            same = [a for a in args if np.shares_memory(a.data, t.data)]
            pick = same or (args if len(args) == 1 else [])
            if pick:
                self.alias[id(t)] = pick[0]
                self.exposed.add(id(pick[0]))

    def append(self, node: Node) -> int:
        self.g.nodes.append(node)
        return len(self.g.nodes) - 1

    def add_node(self, key: Any, node: Node) -> int:
        k = self.index[id(key)] = self.append(node)
        return k

    def truncated_node(self) -> int:
        if self._truncated is None:
            self.g.truncated = True
            text = f"... graph truncated at max_nodes={self.walk.max_nodes}"
            self._truncated = self.add_node(self, Node("truncated", text))
        return self._truncated

    def leaf_node(self, t: Tensor) -> int:
        k = self.index.get(id(t))
        return k if k is not None else self.add_node(t, Node("leaf", obj=t))

    def source(self, t: Tensor) -> int | None:
        """The node that produced ``t`` (None: a leaf that is not drawn)."""
        if t._ctx is None:
            t = self.alias.get(id(t), t)
            if id(t) not in self.exposed:
                return None
            k = self.index.get(id(t))
            return k if k is not None else self.truncated_node()
        u = self.unit.get(id(t._ctx))
        return self.index[id(u)] if u is not None else self.truncated_node()

    def build_nodes(self) -> None:
        """Nodes in topological order: a unit's leaves, then the unit, when its last
        primitive is finished."""
        last: dict[int, Any] = {}
        for kind, obj in self.walk.events:
            if kind == "op":
                last[id(self.unit[id(obj)])] = obj
        for kind, obj in self.walk.events:
            if kind != "op":
                continue
            u = self.unit[id(obj)]
            if last[id(u)] is not obj:
                continue
            leaves = self.call_inputs(u) if u is not obj else list(obj.inputs)
            leaves += self.data_args.get(id(obj), [])
            for t in leaves:
                if self.follows(t) and t._ctx is None:
                    t = self.alias.get(id(t), t)
                    if id(t) in self.exposed:
                        self.leaf_node(t)
            self.add_node(u, Node("op", obj=u, module=obj.module))
        for kind, obj in self.walk.events:  # which primitives each node stands for
            if kind == "op":
                self.g.nodes[self.index[id(self.unit[id(obj)])]].members.append(obj)
        if self.walk.truncated:
            self.truncated_node()

    def build_edges(self) -> None:
        started: set[int] = set()
        for kind, ctx in self.walk.events:
            if kind != "op":
                continue
            u = self.unit[id(ctx)]
            dst = self.index[id(u)]
            if u is ctx:
                for t in [*ctx.inputs, *self.data_args.get(id(ctx), [])]:
                    self.add_edge(t, dst, once=False)
                continue
            if id(u) not in started:  # the call's arguments, in call order
                started.add(id(u))
                for t in self.call_inputs(u):
                    self.add_edge(t, dst, once=True)
            for t in ctx.inputs:  # tensors from outside that are not arguments
                if self.follows(t) and t._ctx is not None and self.unit.get(id(t._ctx)) is not u:
                    if all(t is not a for a in u.inputs):
                        self.add_edge(t, dst, once=True)

    def add_edge(self, t: Any, dst: int, once: bool) -> None:
        if not self.follows(t):
            return
        src = self.source(t)
        if src is None or src == dst:
            return
        if once and any(s == src and d == dst and x is t for s, d, x in self.edges):
            return
        self.edges.append((src, dst, t))


def trace(
    *roots: Tensor,
    params: Any = None,
    show_shapes: bool = True,
    show_grad: bool = False,
    show_data: bool = False,
    show_saved: bool = False,
    group_modules: bool = True,
    collapse: int | None = None,
    expand: bool | int = False,
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
    roots = _check_options(roots, direction, rankdir, collapse, expand, max_nodes)
    backward = direction == "backward"
    depth = None if expand is True else (0 if expand is False else int(expand))
    walk = _walk(roots, backward, max_nodes)
    walk.max_nodes = max_nodes
    g = Graph(direction=direction, rankdir=rankdir, group_modules=group_modules)
    g.show_grad = show_grad
    b = _Builder(g, walk, depth, backward)
    b.classify()
    b.build_nodes()
    b.build_edges()
    root_nodes = _add_roots(b, roots)
    if g.truncated:
        warnings.warn(
            f"draw_graph: the graph has more than max_nodes={max_nodes} nodes and was cut "
            "short; pass a larger max_nodes (or None), or collapse=0 to fold modules",
            stacklevel=3,
        )
    names = _resolve_names(params, b.modules)
    g.modules = names.modules
    root_ids = {id(t) for t in roots}
    label_nodes(g, names, root_ids, backward, show_grad, show_data, show_saved, b.consumer_module)
    _label_roots(g, root_nodes, backward, show_grad, show_data)
    _finish_edges(g, b.edges, show_shapes, backward)
    if collapse is not None:
        collapse_modules(g, collapse)
    return g


def _add_roots(b: _Builder, roots: tuple[Tensor, ...]) -> list[tuple[int, Tensor]]:
    out = []
    for r in roots:
        if r._ctx is None:
            out.append((b.leaf_node(r), r))
            continue
        u = b.unit.get(id(r._ctx))
        k = b.append(Node("output", obj=r))
        if u is not None:
            b.edges.append((b.index[id(u)], k, r))
        out.append((k, r))
    return out


def _label_roots(
    g: Graph, root_nodes: list, backward: bool, show_grad: bool, show_data: bool
) -> None:
    n = len(root_nodes)
    for j, (k, t) in enumerate(root_nodes):
        node = g.nodes[k]
        if node.kind == "output":
            node.label = output_label(t, j, n, backward, show_grad, show_data)
            node.nonfinite = bool(nonfinite(t.data))
        else:  # a leaf drawn as a root: keep its name, colour it as an output
            node.kind = "output"


def _finish_edges(g: Graph, raw: list, show_shapes: bool, backward: bool) -> None:
    to_truncated: set[tuple[int, int]] = set()
    for src, dst, t in raw:
        bad = bool(nonfinite(t.data))
        label = fmt_shape(t.shape) if show_shapes else ""
        if backward:
            src, dst = dst, src
        if g.nodes[src].kind == "truncated" or g.nodes[dst].kind == "truncated":
            if (src, dst) in to_truncated:  # one edge per op into the cut-off part
                continue
            to_truncated.add((src, dst))
        g.edges.append(Edge(src, dst, label, bad))
