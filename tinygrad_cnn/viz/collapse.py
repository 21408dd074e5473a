"""Folding modules: every module deeper than a depth becomes one node labelled with the shapes
that enter and leave it (and, with ``show_grad``, its parameters' gradient norms); chains of
identical modules become one node marked x N.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> from tinygrad_cnn.viz import trace
>>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
>>> g = trace(m(tg.ones(4, 2)), params=m, collapse=0)
>>> [n.label.split(chr(10))[0].split(":")[0] for n in g.nodes]
['input', '0', '1', 'output']
>>> g.nodes[1].label.split(chr(10))[-2:]
['in: (4, 2)', 'out: (4, 3)']
"""

from __future__ import annotations

from typing import Any

from .labels import grad_norm, module_summary, wrap


def collapse_modules(g: Any, depth: int) -> None:
    """Fold modules deeper than ``depth`` of ``g`` (a traced Graph) in place."""
    nodes, remap, members = _fold(g, depth)
    edges = dedupe_edges(g.edges, remap)
    ins, outs = _io_shapes(edges)
    head, chain = _identical_chains(nodes, edges, ins, outs)
    for k, n in enumerate(nodes):
        if n.kind != "module" or k in head:
            continue
        group = chain.get(k, [k])
        last = group[-1]
        title = n.label if len(group) == 1 else f"{n.label} .. {nodes[last].label}"
        summary = module_summary(n.obj) if n.obj is not None else "module"
        if len(group) > 1:
            summary += f" x {len(group)}"
        lines = [wrap(f"{title}: {summary}")]
        if ins.get(k):
            lines.append("in: " + ", ".join(ins[k]))
        if outs.get(last):
            lines.append("out: " + ", ".join(outs[last]))
        if getattr(g, "show_grad", False):
            lines.extend(_grad_lines(n.label, [p for m in group for p in members.get(m, [])]))
        n.label = "\n".join(lines)
        n.nonfinite = any(nodes[m].nonfinite for m in group)
    if head:
        keep = [k for k in range(len(nodes)) if k not in head]
        new_index = {k: i for i, k in enumerate(keep)}
        final = [new_index[head.get(k, k)] for k in range(len(nodes))]
        edges = dedupe_edges(edges, final)
        nodes = [nodes[k] for k in keep]
    g.nodes, g.edges = nodes, edges


def _fold(g: Any, depth: int) -> tuple[list, list[int], dict[int, list]]:
    """New node list with one module node per folded module, old index -> new index, and the
    parameter nodes folded into each module node."""
    from .trace import Node

    def ancestor(path: str | None) -> str | None:
        if not path:
            return None
        parts = path.split(".")
        return ".".join(parts[: depth + 1]) if len(parts) > depth else None

    nodes: list = []
    remap: list[int] = []
    groups: dict[str, int] = {}
    members: dict[int, list] = {}
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
        if node.kind == "parameter":
            members.setdefault(k, []).append(node)
        remap.append(k)
    return nodes, remap, members


def _grad_lines(path: str, params: list) -> list[str]:
    """'weight grad norm=...' for each parameter folded into the module at ``path``."""
    lines = []
    for p in params:
        name = p.label.split("\n", 1)[0].replace(" (grad)", "")
        short = name[len(path) + 1 :] if name.startswith(path + ".") else name
        lines.append(f"{short} grad {grad_norm(p.obj)}")
    return lines


def _io_shapes(edges: list) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    ins: dict[int, list[str]] = {}
    outs: dict[int, list[str]] = {}
    for e in edges:
        if e.label and e.label not in ins.setdefault(e.dst, []):
            ins[e.dst].append(e.label)
        if e.label and e.label not in outs.setdefault(e.src, []):
            outs[e.src].append(e.label)
    return ins, outs


def _identical_chains(nodes: list, edges: list, ins: dict, outs: dict) -> tuple[dict, dict]:
    """Chains of identical modules, each feeding only the next: head of each member, and the
    members of each chain (first one first)."""
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
    return head, chain


def dedupe_edges(edges: list, remap: list[int]) -> list:
    """Edges moved through ``remap``, without self loops and without repeats."""
    from .trace import Edge

    out: list = []
    seen: dict[tuple[int, int, str], Any] = {}
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
