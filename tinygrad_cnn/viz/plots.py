"""Plots with matplotlib (the ``plot`` extra): filters, feature maps, training curves.

Figures are built on matplotlib's Agg canvas directly (no pyplot, no global backend switch), so
they work headless and still show inline in Jupyter. Each function saves a PNG when given a
path and returns the figure.

>>> import numpy as np
>>> fig = plot_history({"train_loss": [1.0, 0.5], "test_loss": [1.1, 0.7]})
>>> [ax.get_title() for ax in fig.axes]
['loss']
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["plot_filters", "plot_feature_maps", "plot_history"]


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'tinygrad-cnn[plot]'") from None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike | None) -> Any:
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        fig.savefig(path, format="png")
    return fig


def _array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    return np.asarray(x)


def _grid(n: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(n)))
    return math.ceil(n / cols), cols


def _unit(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    lo, hi = np.nanmin(a), np.nanmax(a)
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def _first_conv_weight(obj: Any) -> Any:
    if hasattr(obj, "named_modules"):
        for _, m in obj.named_modules():
            w = getattr(m, "weight", None)
            if isinstance(w, Tensor) and w.ndim == 4:
                return w
        raise ValueError(
            f"plot_filters: {type(obj).__name__} has no layer with a 4-d weight (a Conv2d)"
        )
    return obj


def plot_filters(
    weight: Any,
    path: str | os.PathLike | None = None,
    *,
    max_filters: int = 64,
    title: str | None = None,
) -> Any:
    """Draw a convolution's filters, weight shape ``(out, in, kh, kw)``, as a grid of images,
    each labelled with its index: in colour when ``in == 3``, one grey image per filter when
    ``in == 1``, else one row per output channel and one column per input channel. All filters
    share one scale (grey: a colour bar gives the weight values; colour: mid-grey is 0), so
    they can be compared. ``weight`` may also be a model (its first Conv2d is used). Saves a
    PNG at ``path`` if given; returns the figure.

    >>> import numpy as np
    >>> fig = plot_filters(np.random.default_rng(0).normal(size=(6, 3, 5, 5)))
    >>> len(fig.axes)
    6
    """
    w = _array(_first_conv_weight(weight)).astype(np.float64)
    if w.ndim != 4:
        raise ValueError(
            f"plot_filters: expected a weight of shape (out, in, kh, kw), got shape {w.shape}"
        )
    n_out, n_in, kh, kw = w.shape
    scale = float(np.nanmax(np.abs(w))) or 1.0
    if n_in == 3:
        n = min(n_out, max_filters)
        images = [0.5 + w[i].transpose(1, 2, 0) / (2 * scale) for i in range(n)]
        labels, (rows, cols) = [str(i) for i in range(n)], _grid(n)
    elif n_in == 1:
        n = min(n_out, max_filters)
        images, labels, (rows, cols) = (
            [w[i, 0] for i in range(n)],
            [str(i) for i in range(n)],
            _grid(n),
        )
    else:
        rows, cols = min(n_out, max_filters), min(n_in, max_filters)
        images = [w[i, j] for i in range(rows) for j in range(cols)]
        labels = [f"{i},{j}" for i in range(rows) for j in range(cols)]
    fig = _figure(*_grid_size(rows, cols, colorbar=n_in != 3))
    axes = _image_grid(fig, rows, cols, images, labels, vmin=-scale, vmax=scale, cmap="gray")
    if n_in == 3:
        note = "colour: 0.5 + w / (2 max|w|), mid-grey = 0"
    else:
        fig.colorbar(axes[0].images[0], ax=axes, shrink=0.8, label="weight")
        note = "one scale for all filters"
    fig.suptitle(f"{title or f'filters {tuple(w.shape)}'} ({note})", fontsize=9)
    return _save(fig, path)


def _grid_size(rows: int, cols: int, colorbar: bool, extra_cols: int = 0) -> tuple[float, float]:
    """Figure size in inches: 1.1 inch per image (readable at 5x5), room for a colour bar."""
    cell = 1.1
    width = cell * (cols + extra_cols) + (1.0 if colorbar else 0.3)
    return max(3.0, width), max(2.2, cell * rows + 0.6)


def _image_grid(
    fig: Any,
    rows: int,
    cols: int,
    images: list[np.ndarray],
    labels: list[str],
    *,
    vmin: float,
    vmax: float,
    cmap: str,
) -> list[Any]:
    """One small captioned image per cell of a rows x cols grid; all share vmin..vmax."""
    gs = fig.add_gridspec(rows, cols, wspace=0.15, hspace=0.35)
    axes = []
    for k, (img, label) in enumerate(zip(images, labels)):
        r, c = divmod(k, cols)
        ax = fig.add_subplot(gs[r, c])
        ax.imshow(
            np.clip(img, 0, 1) if img.ndim == 3 else img,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
        )
        ax.set_title(label, fontsize=7, pad=2)
        ax.set_xticks([])
        ax.set_yticks([])
        axes.append(ax)
    return axes


def _find_layer(model: Any, layer: Any) -> tuple[str, Any]:
    if isinstance(layer, str):
        named = dict(model.named_modules())
        if layer not in named:
            choices = ", ".join(n for n in named if n) or "(none)"
            raise ValueError(
                f"plot_feature_maps: {type(model).__name__} has no layer {layer!r}; "
                f"choose one of: {choices}"
            )
        return layer, named[layer]
    if isinstance(layer, int):
        children = list(model.named_children())
        if not -len(children) <= layer < len(children):
            raise ValueError(
                f"plot_feature_maps: layer index {layer} is out of range for a model with "
                f"{len(children)} child modules"
            )
        return children[layer]
    for name, m in model.named_modules():
        if m is layer:
            return name, m
    raise ValueError("plot_feature_maps: layer is not a submodule of model")


def plot_feature_maps(
    model: Any,
    image: Any,
    layer: Any,
    path: str | os.PathLike | None = None,
    *,
    max_maps: int = 64,
) -> Any:
    """Draw the activations of ``layer`` (a name like ``"conv1"``, an index into the model's
    children, or the module itself) for one ``image`` of shape (C, H, W) or (1, C, H, W),
    the input beside one image per channel (indexed, one colour scale, with a colour bar).
    Runs the model in eval mode under no_grad with a forward hook.

    >>> import tinygrad_cnn as tg
    >>> m = tg.nn.Sequential(tg.nn.Conv2d(1, 4, 3), tg.nn.ReLU())
    >>> fig = plot_feature_maps(m, tg.randn(1, 8, 8), "0")
    >>> [ax.get_title() for ax in fig.axes]  # the input, its 4 maps, the colour bar
    ['input (1, 8, 8)', '0', '1', '2', '3', '']
    """
    name, mod = _find_layer(model, layer)
    x = _array(image)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(
            f"plot_feature_maps: expected one image of shape (C, H, W) or (1, C, H, W), got "
            f"shape {_array(image).shape}"
        )
    captured: list[Any] = []
    handle = mod.register_forward_hook(lambda m, inp, out: captured.append(out))
    was_training = getattr(model, "training", None)
    try:
        if hasattr(model, "eval"):
            model.eval()
        with no_grad():
            model(Tensor(x.astype(np.float32, copy=False) if x.dtype.kind != "f" else x))
    finally:
        handle.remove()
        if was_training is not None and hasattr(model, "train"):
            model.train(was_training)
    if not captured:
        raise ValueError(f"plot_feature_maps: layer {name!r} did not run in model's forward")
    act = _array(captured[0])[0]
    if act.ndim == 1:
        act = act[:, None, None]
    elif act.ndim == 2:
        act = act[None]
    act = act[:max_maps]
    fig = _maps_figure(x[0], act, f"{name}: {type(mod).__name__}")
    return _save(fig, path)


def _maps_figure(image: np.ndarray, act: np.ndarray, title: str) -> Any:
    """The input image on the left, its feature maps in a grid on the right (indexed, one
    colour scale, with a colour bar)."""
    rows, cols = _grid(act.shape[0])
    fig = _figure(*_grid_size(rows, cols, colorbar=True, extra_cols=1))
    gs = fig.add_gridspec(rows, cols + 1, wspace=0.15, hspace=0.35)
    ax = fig.add_subplot(gs[:, 0] if rows < 3 else gs[0:2, 0])
    shown = image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0]
    ax.imshow(_unit(shown) if shown.ndim == 3 else shown, cmap="gray", interpolation="nearest")
    ax.set_title(f"input {tuple(image.shape)}", fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    lo, hi = float(np.nanmin(act)), float(np.nanmax(act))
    axes = []
    for k in range(act.shape[0]):
        r, c = divmod(k, cols)
        a = fig.add_subplot(gs[r, c + 1])
        a.imshow(act[k], cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
        a.set_title(str(k), fontsize=7, pad=2)
        a.set_xticks([])
        a.set_yticks([])
        axes.append(a)
    fig.colorbar(axes[0].images[0], ax=axes, shrink=0.8, label="activation")
    fig.suptitle(f"{title} -> {act.shape[0]} maps of {act.shape[1]}x{act.shape[2]}", fontsize=9)
    return fig


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}_{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _columns(metrics: Any) -> dict[str, list[float]]:
    """Accept a list of per-epoch dicts or a dict of per-epoch lists; return dict of lists."""
    if isinstance(metrics, Mapping):
        flat = _flatten(metrics)
        cols = {k: list(v) for k, v in flat.items() if isinstance(v, (list, tuple, np.ndarray))}
    elif isinstance(metrics, Sequence) and all(isinstance(r, Mapping) for r in metrics):
        rows = [_flatten(r) for r in metrics]
        keys: list[str] = []
        for r in rows:
            keys.extend(k for k in r if k not in keys)
        cols = {k: [r.get(k) for r in rows] for k in keys}
    else:
        raise TypeError(
            "plot_history: metrics must be a list of per-epoch dicts or a dict of per-epoch "
            f"lists, got {type(metrics).__name__}"
        )

    def num(v: Any) -> float:
        try:
            return float(v)
        except (TypeError, ValueError):
            return float("nan")

    return {k: [num(v) for v in vals] for k, vals in cols.items()}


def plot_history(metrics: Any, path: str | os.PathLike | None = None) -> Any:
    """Loss and accuracy curves per epoch, train and test, from ``metrics``: a list of
    per-epoch dicts (``[{"train_loss": .., "test_acc": ..}, ..]``) or a dict of lists. Keys
    containing ``loss`` go to the loss panel, keys containing ``acc`` to the accuracy panel;
    an ``epoch`` key sets the x axis. Saves a PNG at ``path`` if given; returns the figure.

    >>> fig = plot_history([{"epoch": 1, "train_loss": 1.0, "train_acc": 0.5},
    ...                     {"epoch": 2, "train_loss": 0.6, "train_acc": 0.8}])
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    cols = _columns(metrics)
    panels = [
        ("loss", [k for k in cols if "loss" in k.lower()]),
        ("accuracy", [k for k in cols if "acc" in k.lower() and "loss" not in k.lower()]),
    ]
    panels = [(t, keys) for t, keys in panels if keys]
    if not panels:
        raise ValueError(
            "plot_history: no loss or accuracy series found; keys were "
            f"{sorted(cols)} (expected names containing 'loss' or 'acc')"
        )
    n = max(len(v) for v in cols.values())
    epochs = cols.get("epoch") or list(range(1, n + 1))
    from matplotlib.ticker import MaxNLocator

    fig = _figure(5.0 * len(panels), 3.6)
    for p, (title, keys) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), p + 1)
        for k in keys:
            ys = cols[k]
            style = "--" if any(w in k.lower() for w in ("test", "val")) else "-"
            ax.plot(epochs[: len(ys)], ys, style, marker="o", markersize=3, label=k)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
