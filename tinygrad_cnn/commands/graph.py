"""`tinygrad-cnn graph`: draw a model's computation graph (LeNet5 on a dummy batch by default)."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from ._args import non_negative_int

NAME = "graph"
HELP = "draw a model's computation graph with Graphviz (default: LeNet5 -> graph.svg)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", default=None, help="model name (default: lenet5, or the checkpoint's model)"
    )
    p.add_argument(
        "--input-shape",
        default=None,
        metavar="N,C,H,W",
        help="dummy batch shape, e.g. 1,1,28,28 (default: 1 x the model's input_shape)",
    )
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


# a dummy batch only needs to show the graph; larger ones would only exhaust memory
_MAX_DIMS = 8
_MAX_ELEMENTS = 1 << 22


def _parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise ValueError(f"--input-shape: expected sizes like 1,1,28,28, got {text!r}") from None
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"--input-shape: sizes must be positive integers, got {text!r}")
    if len(shape) > _MAX_DIMS or math.prod(shape) > _MAX_ELEMENTS:
        raise ValueError(
            f"--input-shape: {text!r} is too large for a dummy batch (at most {_MAX_DIMS} "
            f"dimensions and {_MAX_ELEMENTS:,} elements; got {len(shape)} and "
            f"{math.prod(shape):,})"
        )
    return shape


def _load_checkpoint(path: str) -> tuple[dict, str | None]:
    from ..serialization import load

    state = load(path)
    name = None
    if isinstance(state, dict) and "model" in state:
        if "config" in state:  # written by `tinygrad-cnn train`: it names its model
            try:
                cfg = json.loads(str(state["config"]))
                from ..training import DEFAULT_MODELS

                name = cfg.get("model") or DEFAULT_MODELS.get(cfg.get("data"))
            except (ValueError, TypeError, AttributeError, ImportError):
                name = None
        state = state["model"]
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} does not hold a state dict")
    return state, name


def build(args: argparse.Namespace) -> tuple[Any, Any]:
    """(root tensor, model) for the options in ``args``."""
    from .. import manual_seed
    from ..models import get_model
    from ..tensor import Tensor

    manual_seed(args.seed)
    state, ckpt_model = (None, None)
    if args.checkpoint is not None:
        state, ckpt_model = _load_checkpoint(args.checkpoint)
    model = get_model(args.model or ckpt_model or "lenet5")
    if state is not None:
        model.load_state_dict(state)
    model.eval()
    if args.input_shape is not None:
        shape = _parse_shape(args.input_shape)
    else:
        shape = (1, *getattr(model, "input_shape", (1, 28, 28)))
    rng = np.random.default_rng(args.seed)
    # NOTE: the input requires grad so that the first layer's ops on it are recorded too
    x = Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
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
        direction="backward" if args.backward else "forward",
        rankdir=args.rankdir,
        max_nodes=None,
    )
    out = render(text, args.out, args.format, keep_source=args.keep_source)
    print(f"wrote {out}")
    return 0
