"""DOT text from a traced graph, the graphviz.Digraph wrapper, and rendering through ``dot``.

``to_dot`` needs neither the graphviz Python package nor the dot binary; ``draw_graph`` returns a
``graphviz.Digraph`` (shown inline by Jupyter) whose ``source`` is the same text.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
>>> print(to_dot((x * 2).sum(), params={"x": x}))  # doctest: +ELLIPSIS
digraph tinygrad_cnn {
        graph [rankdir=TB ...]
        ...
        n0 [label="x\\n(2,) float32" ...]
        ...
        n0 -> n2 [label="(2,)"]
        ...
}
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..tensor import Tensor
from .labels import module_summary, wrap
from .trace import Graph, trace

__all__ = ["to_dot", "draw_graph", "render", "DotNotFoundError", "install_hint"]

GRAPH_NAME = "tinygrad_cnn"
FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps", "json", "dot", "gv")

# kind -> (shape, style, fill colour)
_STYLE = {
    "parameter": ("box", "rounded,filled", "#a6cee3"),
    "buffer": ("box", "rounded,filled", "#cab2d6"),
    "input": ("box", "rounded,filled", "#fff2ae"),
    "constant": ("box", "rounded,filled", "#eeeeee"),
    "op": ("box", "filled", "#e0e0e0"),
    "output": ("box", "rounded,filled,bold", "#b2df8a"),
    "module": ("box3d", "filled", "#fdd0a2"),
    "truncated": ("plaintext", "", ""),
}
_BAD_FILL, _BAD_LINE = "#ff7070", "#cc0000"
_FONT = "Helvetica"


def _quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r\n", "\n").replace("\n", "\\n") + '"'


def _node_line(i: int, node: Any, indent: str) -> str:
    shape, style, fill = _STYLE[node.kind]
    attrs = [f"label={_quote(node.label)}", f"shape={shape}"]
    if style:
        attrs.append(f'style="{style}"')
    if node.nonfinite:
        attrs.append(f'fillcolor="{_BAD_FILL}" color="{_BAD_LINE}" penwidth=2')
    elif fill:
        attrs.append(f'fillcolor="{fill}"')
    if node.kind == "constant":
        attrs.append("fontsize=8 height=0.2")
    return f"{indent}n{i} [{' '.join(attrs)}]\n"


def _cluster_tree(g: Graph) -> dict[str, list[Any]]:
    """A module path's items (node indices and child paths) in first-seen order; '' is the
    top level."""
    items: dict[str, list[Any]] = {"": []}
    clustered = g.group_modules and bool(g.modules)

    def parent_of(path: str) -> str:
        parts = path.split(".")
        for d in range(len(parts) - 1, 0, -1):
            p = ".".join(parts[:d])
            if p in g.modules:
                return p
        return ""

    for i, node in enumerate(g.nodes):
        path = node.path if clustered and node.path in g.modules else None
        if not path:
            items[""].append(i)
            continue
        missing, p = [], path
        while p and p not in items:
            missing.append(p)
            p = parent_of(p)
        for p in reversed(missing):
            items[p] = []
            items[parent_of(p)].append(p)
        items[path].append(i)
    return items


def _cluster_lines(g: Graph) -> list[str]:
    items = _cluster_tree(g)
    lines: list[str] = []
    cluster_no = 0
    stack: list[tuple[list[Any], int, int]] = [(items[""], 0, 1)]  # (items, next, depth)
    while stack:
        its, pos, depth = stack[-1]
        if pos == len(its):
            stack.pop()
            if stack:
                lines.append("\t" * (depth - 1) + "}\n")
            continue
        stack[-1] = (its, pos + 1, depth)
        item = its[pos]
        ind = "\t" * depth
        if isinstance(item, int):
            lines.append(_node_line(item, g.nodes[item], ind))
            continue
        label = wrap(f"{item}: {module_summary(g.modules[item])}")
        lines.append(f"{ind}subgraph cluster_{cluster_no} {{\n")
        cluster_no += 1
        lines.append(
            f'{ind}\tgraph [label={_quote(label)} style="rounded,dashed" color="#777777" '
            f"fontsize=9 labeljust=l]\n"
        )
        stack.append((items[item], 0, depth + 1))
    return lines


def _body(g: Graph) -> list[str]:
    """The lines between ``digraph tinygrad_cnn {`` and ``}``, graphviz's own layout of them."""
    lines = [
        f'\tgraph [rankdir={g.rankdir} fontname="{_FONT}" fontsize=10 nodesep=0.25 ranksep=0.35]\n',
        f'\tnode [fontname="{_FONT}" fontsize=10 height=0.3 margin="0.1,0.04"]\n',
        f'\tedge [fontname="{_FONT}" fontsize=8 arrowsize=0.7]\n',
    ]
    lines.extend(_cluster_lines(g))
    for e in g.edges:
        attrs = []
        if e.label:
            attrs.append(f"label={_quote(e.label)}")
        if e.nonfinite:
            attrs.append(f'color="{_BAD_LINE}" fontcolor="{_BAD_LINE}" penwidth=2')
        if g.nodes[e.src].kind == "truncated" or g.nodes[e.dst].kind == "truncated":
            attrs.append("style=dotted")
        tail = f" [{' '.join(attrs)}]" if attrs else ""
        lines.append(f"\tn{e.src} -> n{e.dst}{tail}\n")
    return lines


def to_dot(*roots: Tensor, **options: Any) -> str:
    """The DOT text of the graph behind ``roots`` (same options as :func:`draw_graph`).

    Needs neither the graphviz package nor the dot binary, and is byte-for-byte the same for
    the same program.

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([3.0], requires_grad=True)
    >>> text = to_dot(w.exp().sum(), params={"w": w})
    >>> text.count("->"), "Exp" in text
    (3, True)
    """
    g = trace(*roots, **options)
    return f"digraph {GRAPH_NAME} {{\n" + "".join(_body(g)) + "}\n"


# -- rendering -------------------------------------------------------------------------------
class DotNotFoundError(FileNotFoundError):
    """Graphviz's ``dot`` program is not on PATH; the message says how to install it."""


def install_hint() -> str:
    """The command that installs Graphviz's ``dot`` on this platform.

    >>> "graphviz" in install_hint()
    True
    """
    if sys.platform == "darwin":
        return "brew install graphviz"
    if sys.platform.startswith("win"):
        return "winget install graphviz  (or: choco install graphviz)"
    if os.environ.get("CONDA_PREFIX"):
        return "conda install -c conda-forge graphviz"
    ids = ""
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                if line.startswith(("ID=", "ID_LIKE=")):
                    ids += " " + line.split("=", 1)[1].strip().strip('"').lower()
    except OSError:
        pass
    words = ids.split()
    if any(w in ("debian", "ubuntu") for w in words):
        return "sudo apt-get install graphviz"
    if any(w in ("fedora", "rhel", "centos") for w in words):
        return "sudo dnf install graphviz"
    if "arch" in words:
        return "sudo pacman -S graphviz"
    if "alpine" in words:
        return "apk add graphviz"
    if any(w.startswith(("suse", "opensuse")) for w in words):
        return "sudo zypper install graphviz"
    return "install Graphviz from https://graphviz.org/download/ (it provides 'dot')"


def _output_path(path: str | os.PathLike, format: str | None) -> tuple[Path, str]:
    p = Path(path)
    suffix = p.suffix.lstrip(".").lower()
    fmt = (format or (suffix if suffix in FORMATS else "svg")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"render: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    alike = suffix == fmt or {suffix, fmt} in ({"jpg", "jpeg"}, {"gv", "dot"})
    if suffix in FORMATS and not alike:
        raise ValueError(
            f"render: the path {str(p)!r} ends in .{suffix} but format is {fmt!r}; "
            f"make them agree (e.g. {p.with_suffix('.' + fmt).name})"
        )
    if suffix not in FORMATS:
        p = p.with_name(p.name + "." + fmt)
    return p, fmt


def render(
    source: str | Any,
    path: str | os.PathLike,
    format: str | None = None,
    keep_source: bool = True,
) -> Path:
    """Write ``source`` (DOT text or a Digraph) to ``path`` as svg/png/pdf through ``dot``.

    The DOT source always goes next to it as ``<name>.gv`` (a path ending .gv or .dot writes
    only the source). Where dot is missing, raises :class:`DotNotFoundError` naming the install
    command, after writing the .gv file. ``keep_source=False`` removes the .gv once the
    picture is written.

    >>> import tempfile, pathlib
    >>> d = tempfile.mkdtemp()
    >>> render("digraph { a -> b }", pathlib.Path(d) / "g.gv").name
    'g.gv'
    """
    text = source if isinstance(source, str) else source.source
    out, fmt = _output_path(path, format)
    out.parent.mkdir(parents=True, exist_ok=True)
    gv = out if fmt in ("dot", "gv") else out.with_suffix(".gv")
    gv.write_text(text, encoding="utf-8")
    if fmt in ("dot", "gv"):
        return out
    dot = shutil.which("dot")
    if dot is None:
        raise DotNotFoundError(
            f"render: Graphviz's 'dot' program was not found on PATH, so {out} was not written. "
            f"Install it with: {install_hint()} . The DOT source was saved to {gv}; once dot "
            f"is installed, run: dot -T{fmt} {gv} -o {out}"
        )
    proc = subprocess.run(
        [dot, f"-T{fmt}", "-o", str(out), str(gv)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"render: dot failed on {gv} (exit {proc.returncode}): {proc.stderr}")
    if not keep_source:
        gv.unlink(missing_ok=True)
    return out


_digraph_cls: Any = None


def _digraph_class() -> Any:
    global _digraph_cls
    if _digraph_cls is not None:
        return _digraph_cls
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw_graph needs the graphviz Python package: pip install 'tinygrad-cnn[viz]' "
            "(or use to_dot(), which needs nothing)"
        ) from None

    class ComputationGraph(graphviz.Digraph):
        """A graphviz.Digraph whose ``render(path)`` writes exactly ``path`` (format from
        its suffix) and explains how to install dot where it is missing."""

        def render(
            self,
            filename: Any = None,
            directory: Any = None,
            view: bool = False,
            cleanup: bool = False,
            format: Any = None,
            **kwargs: Any,
        ) -> Any:
            if filename is not None and directory is None and not view and not kwargs:
                return str(render(self.source, filename, format, keep_source=not cleanup))
            try:
                return super().render(
                    filename, directory, view=view, cleanup=cleanup, format=format, **kwargs
                )
            except graphviz.ExecutableNotFound as e:
                raise DotNotFoundError(
                    f"render: Graphviz's 'dot' program was not found on PATH. Install it with: "
                    f"{install_hint()}"
                ) from e

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kw: Any) -> Any:
            try:
                return super()._repr_mimebundle_(include, exclude, **kw)
            except graphviz.ExecutableNotFound:
                return {"text/plain": f"(dot not found: {install_hint()})\n{self.source}"}

    _digraph_cls = ComputationGraph
    return _digraph_cls


def draw_graph(
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
) -> Any:
    """Draw the computation graph behind ``roots`` as a ``graphviz.Digraph``.

    ``params`` (a Module or a name -> Tensor dict) names leaf tensors (``conv1.weight``,
    ``bn1.running_mean``). Each composite op (``conv2d``, ``batch_norm``, ``linear``,
    ``cross_entropy``, ...) is one node named as you wrote it, with NCHW shapes on its edges;
    ``expand=True`` shows the primitives inside (an int opens that many levels of nesting).
    Ops that ran inside a module sit in a box labelled with its path and repr; ``collapse=k``
    folds modules deeper than k into one node each (with ``show_grad``, listing its
    parameters' gradient norms). ``show_grad`` adds each gradient's shape
    and norm, ``show_data`` a value summary, ``show_saved`` what each op keeps for backward;
    ``direction="backward"`` draws the gradient flow. Tensors holding NaN or Inf are red.
    ``g.render("graph.svg")`` writes the picture (and ``graph.gv``) through ``dot``.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> g = draw_graph((x * x).sum(), params={"x": x})
    >>> g.source == to_dot((x * x).sum(), params={"x": x})
    True
    """
    g = trace(
        *roots,
        params=params,
        show_shapes=show_shapes,
        show_grad=show_grad,
        show_data=show_data,
        show_saved=show_saved,
        group_modules=group_modules,
        collapse=collapse,
        expand=expand,
        direction=direction,
        rankdir=rankdir,
        max_nodes=max_nodes,
    )
    cls = _digraph_class()
    return cls(GRAPH_NAME, body=_body(g), format="svg")
