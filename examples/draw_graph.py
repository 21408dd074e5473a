"""Draw computation graphs with Graphviz: LeNet-5's forward pass grouped by layer (each conv2d,
linear, cross_entropy one node; then expanded into primitives), one node per layer, the gradient
flow of its loss, and a small expression with values and saved tensors.

Writes SVG files into --out (default: runs/graphs/). Where Graphviz's `dot` program is missing it
writes the DOT sources (.gv) instead and prints the command that installs dot.

Run: python examples/draw_graph.py [--out runs/graphs] [--format svg|png|pdf]
"""

from __future__ import annotations

import argparse
import os

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import viz
from tinygrad_cnn.models import LeNet5


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join("runs", "graphs"))
    p.add_argument("--format", default="svg", choices=["svg", "png", "pdf"])
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    tg.manual_seed(0)
    model = LeNet5()
    x = tg.randn(2, 1, 28, 28)
    loss = F.cross_entropy(model(x), tg.Tensor([3, 7]))
    loss.backward(retain_graph=True)  # so show_grad has gradients to show

    a = tg.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = tg.Tensor([0.5, 0.5, 0.5], requires_grad=True)
    expr = ((a * b).relu() + b.exp()).sum()

    graphs = {
        "lenet5_layers": viz.draw_graph(loss, params=model),
        "lenet5_primitives": viz.draw_graph(loss, params=model, expand=True),
        "lenet5_collapsed": viz.draw_graph(loss, params=model, collapse=0, rankdir="LR"),
        "lenet5_grads": viz.draw_graph(loss, params=model, collapse=1, show_grad=True),
        "lenet5_backward": viz.draw_graph(loss, params=model, collapse=0, direction="backward"),
        "expression": viz.draw_graph(
            expr, params={"a": a, "b": b}, show_data=True, show_saved=True
        ),
    }
    for name, graph in graphs.items():
        path = os.path.join(args.out, f"{name}.{args.format}")
        try:
            written = graph.render(path, cleanup=True)
            print(f"wrote {written}")
        except viz.DotNotFoundError as e:
            gv = os.path.join(args.out, f"{name}.gv")
            with open(gv, "w", encoding="utf-8") as f:
                f.write(graph.source)
            print(f"wrote {gv} (DOT source only): {e}")
    traced = viz.trace(loss, params=model)
    opened = viz.trace(loss, params=model, expand=True)
    print(
        f"LeNet-5's loss graph: {len(traced.nodes)} nodes, {len(traced.edges)} edges "
        f"({len(opened.nodes)} nodes with composite ops expanded); "
        f"open the files in {args.out}/ to see them"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
