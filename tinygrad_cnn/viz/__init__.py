"""Pictures of models: the computation graph through Graphviz, and matplotlib plots.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import viz
>>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
>>> "Mul" in viz.to_dot((x * 3).sum())
True
"""

from __future__ import annotations

from typing import Any

from .dot import DotNotFoundError, draw_graph, install_hint, render, to_dot
from .trace import Graph, trace

__all__ = [
    "draw_graph",
    "to_dot",
    "render",
    "trace",
    "Graph",
    "DotNotFoundError",
    "install_hint",
    "plot_filters",
    "plot_feature_maps",
    "plot_history",
]


def __getattr__(name: str) -> Any:
    # NOTE: matplotlib is imported only when a plot is asked for (it is an optional extra)
    if name in ("plot_filters", "plot_feature_maps", "plot_history"):
        from . import plots

        return getattr(plots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
