"""`tinygrad-cnn graph`: draw a model's computation graph (LeNet5 on a dummy batch by default)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from ._args import non_negative_int
from ._model import add_model_arguments, batch_shape

NAME = "graph"
HELP = "draw a model's computation graph with Graphviz (default: LeNet5 -> graph.svg)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p, "lenet5, or the checkpoint's model", shape=True)
    p.add_argument(
        "--out",
        default="graph.svg",
        help="output file (default: graph.svg); a .gv/.dot path writes only the DOT text",
    )
    p.add_argument(
        "--format",
        default=None,
        choices=["svg", "png", "pdf", "gv", "dot"],
        help="output format (default: from --out's suffix, else svg)",
    )
    p.add_argument(
        "--collapse",
        type=int,
        default=None,
        metavar="K",
        help="fold modules deeper than K into one node each (0: one node per layer)",
    )
    p.add_argument(
        "--expand",
        nargs="?",
        type=_depth,
        const=True,
        default=False,
        metavar="DEPTH",
        help="open composite ops (conv2d, batch_norm, linear, ...) into their primitives; "
        "with DEPTH, only that many levels of nesting",
    )
    p.add_argument(
        "--backward", action="store_true", help="draw the backward graph of a cross-entropy loss"
    )
    p.add_argument(
        "--show-grad",
        action="store_true",
        help="run backward on a cross-entropy loss and show gradient shapes and norms",
    )
    p.add_argument("--show-saved", action="store_true", help="show what each op keeps for backward")
    p.add_argument("--no-group", action="store_true", help="no module boxes")
    p.add_argument("--rankdir", default="TB", choices=["TB", "LR", "BT", "RL"])
    p.add_argument(
        "--checkpoint",
        default=None,
        help="draw a trained model: a checkpoint written by `tinygrad-cnn train`",
    )
    p.add_argument(
        "--keep-source", action="store_true", help="keep the .gv DOT source next to the picture"
    )
    p.add_argument("--seed", type=non_negative_int, default=0)


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid depth (an integer >= 0): {text!r}")
    return value


def _load_checkpoint(path: str) -> tuple[dict, str | None, dict | None]:
    """(state dict, model spec, model args) of a checkpoint or a bare state-dict file."""
    from ..serialization import load

    state = load(path)
    name, margs = None, None
    if isinstance(state, dict) and "model" in state:
        if "config" in state:  # written by `tinygrad-cnn train`: it names its model
            try:
                cfg = json.loads(str(state["config"]))
                from ..training import DEFAULT_MODELS

                name = cfg.get("model") or DEFAULT_MODELS.get(cfg.get("data"))
                margs = cfg.get("model_args")
            except (ValueError, TypeError, AttributeError, ImportError):
                name = None
        state = state["model"]
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} does not hold a state dict")
    return state, name, margs


def build(args: argparse.Namespace) -> tuple[Any, Any]:
    """(root tensor, model) for the options in ``args``."""
    from .. import manual_seed
    from ..tensor import Tensor
    from ..training import load_model

    manual_seed(args.seed)
    state, spec, margs = (None, None, None)
    if args.checkpoint is not None:
        state, spec, margs = _load_checkpoint(args.checkpoint)
    model = load_model(args.model or spec or "lenet5", args.model_args or margs)
    if state is not None:
        model.load_state_dict(state)
    model.eval()
    shape = batch_shape(model, args.input_shape, "graph")
    rng = np.random.default_rng(args.seed)
    x = Tensor(rng.standard_normal(shape).astype(np.float32))  # drawn as draw_graph draws it
    try:
        out = model(x)
    except ValueError as e:
        raise ValueError(f"--input-shape {shape} does not fit {type(model).__name__}: {e}") from e
    if args.backward or args.show_grad:
        import tinygrad_cnn.nn.functional as F

        target = Tensor(np.zeros(out.shape[0], dtype=np.int64))
        out = F.cross_entropy(out.reshape(out.shape[0], -1), target)
        if args.show_grad:
            out.backward(retain_graph=True)
    return out, model


def run(args: argparse.Namespace) -> int:
    from ..viz import render, to_dot

    root, model = build(args)
    text = to_dot(
        root,
        params=model,
        show_grad=args.show_grad,
        show_saved=args.show_saved,
        group_modules=not args.no_group,
        collapse=args.collapse,
        expand=args.expand,
        direction="backward" if args.backward else "forward",
        rankdir=args.rankdir,
        max_nodes=None,
    )
    out = render(text, args.out, args.format, keep_source=args.keep_source)
    print(f"wrote {out}")
    return 0
