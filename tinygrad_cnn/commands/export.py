"""`tinygrad-cnn export CHECKPOINT OUT.onnx`: a checkpoint written by `train` as an ONNX file."""

from __future__ import annotations

import argparse
import json

NAME = "export"
HELP = "export a checkpoint written by `train` as an ONNX file (runs in onnxruntime)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="a checkpoint.npz written by `tinygrad-cnn train`")
    p.add_argument("out", help="the .onnx file to write")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")
    p.add_argument(
        "--static-batch",
        action="store_true",
        help="fix the batch size to 1 instead of a symbolic batch dimension",
    )


def run(args: argparse.Namespace) -> int:
    from ..creation import zeros
    from ..models import get_model
    from ..onnx import export
    from ..serialization import load
    from ..training import TrainConfig

    state = load(args.checkpoint)
    config = TrainConfig(**json.loads(str(state["config"])))
    model = get_model(config.resolved_model())
    model.load_state_dict(state["model"])
    example = zeros(1, *model.input_shape)
    try:
        export(model, example, args.out, opset=args.opset, dynamic_batch=not args.static_batch)
    except ImportError as e:  # the onnx extra is not installed: one line, exit status 2
        raise ValueError(str(e)) from None
    batch = "1" if args.static_batch else "any"
    print(
        f"wrote {args.out}: {config.resolved_model()} (input 'input' of shape "
        f"({batch}, {', '.join(map(str, model.input_shape))}), output 'output')"
    )
    return 0
