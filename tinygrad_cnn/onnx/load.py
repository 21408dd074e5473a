"""``load(path)``: an ONNX file as a Module that runs its graph with this framework's ops, its
float initializers as named trainable Parameters (so it can be drawn, gradient-checked and
fine-tuned). Everything is checked before anything runs: unsupported ops are listed together,
and the file is read defensively (see _reader.py)."""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from ..nn.module import Module, Parameter
from ..tensor import Tensor
from . import _runtime_tensor  # noqa: F401 - registers the tensor ops in OPS
from ._reader import read_model, tensor_to_array
from ._runtime_nn import OPS

_MIN_OPSET = 13  # Softmax, Squeeze, Unsqueeze, ReduceSum changed meaning at 13


class OnnxModel(Module):
    """A Module running an ONNX graph. Parameters are named after the initializers
    (``conv1.weight`` stays ``conv1.weight``; other characters become ``_``);
    ``onnx_names`` maps each state-dict key back to its ONNX name. Built by ``load``.

    >>> import tinygrad_cnn as tg, tinygrad_cnn.onnx, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.onnx")
    >>> tg.onnx.export(tg.nn.Sequential(tg.nn.Conv2d(1, 2, 3)), tg.ones(1, 1, 5, 5), path)
    >>> model = tg.onnx.load(path)
    >>> model.onnx_names, model(tg.ones(3, 1, 5, 5)).shape
    ({'0.weight': '0.weight', '0.bias': '0.bias'}, (3, 2, 3, 3))
    """

    def __init__(self, graph: Any, base_dir: str) -> None:
        super().__init__()
        self.onnx_names: dict[str, str] = {}
        self._keys: dict[str, str] = {}  # ONNX name -> state-dict key
        for init in graph.initializer:
            self._add_initializer(init.name, tensor_to_array(init, base_dir, "initializer"))
        known = set(self._keys)
        self._inputs = [(i.name, _dims(i)) for i in graph.input if i.name not in known]
        self._outputs = [o.name for o in graph.output]
        self._nodes = [_node(n, base_dir) for n in graph.node]
        _check_order(self._nodes, known | {n for n, _ in self._inputs}, self._outputs)

    def _add_initializer(self, name: str, arr: np.ndarray) -> None:
        key = _unique_key(self, name)
        *path, leaf = key.split(".")
        owner: Module = self
        for part in path:
            if part not in owner._modules:
                owner.add_module(part, Module())
            owner = owner._modules[part]
        if arr.dtype.kind == "f":
            owner.register_parameter(leaf, Parameter(arr.copy()))
        else:
            owner.register_buffer(leaf, Tensor(arr.copy()))
        self._keys[name], self.onnx_names[key] = key, name

    def forward(self, *inputs: Any) -> Any:
        if len(inputs) != len(self._inputs):
            names = [n for n, _ in self._inputs]
            raise TypeError(
                f"OnnxModel: the graph takes {len(names)} input(s) {names}, got {len(inputs)}"
            )
        env: dict[str, Any] = {}
        tensors = {**dict(self.named_parameters()), **dict(self.named_buffers())}
        for name, key in self._keys.items():
            env[name] = tensors[key]
        for (name, dims), x in zip(self._inputs, inputs):
            env[name] = _check_input(name, dims, x)
        for op_type, name, ins, outs, attrs in self._nodes:
            args = [env[i] if i else None for i in ins]
            try:
                out = OPS[op_type](args, attrs)
            except KeyError as e:
                raise ValueError(
                    f"OnnxModel: node {name!r} ({op_type}) lacks the required attribute {e}"
                ) from None
            except (ValueError, TypeError, IndexError) as e:
                raise ValueError(f"OnnxModel: node {name!r} ({op_type}) failed: {e}") from None
            env[outs[0]] = out
        results = tuple(env[o] for o in self._outputs)
        return results[0] if len(results) == 1 else results

    def extra_repr(self) -> str:
        ops = sorted({n[0] for n in self._nodes})
        return f"{len(self._nodes)} nodes: {', '.join(ops)}"


def _unique_key(model: OnnxModel, name: str) -> str:
    parts = [re.sub(r"\W", "_", p) or "_" for p in name.split(".")]
    parts = [p if not (p.startswith("_") or hasattr(Module, p)) else "p" + p for p in parts]
    key = ".".join(parts)
    taken = set(model.onnx_names)
    prefixes = {".".join(k.split(".")[:i]) for k in taken for i in range(1, k.count(".") + 1)}
    base, n = key, 1
    while key in taken or key in prefixes or any(t.startswith(key + ".") for t in taken):
        key, n = f"{base}_{n}", n + 1
    return key


def _dims(value_info: Any) -> list[Any]:
    dims = value_info.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in dims]


def _check_input(name: str, dims: list[Any], x: Any) -> Tensor:
    if isinstance(x, np.ndarray):
        x = Tensor(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"OnnxModel: input {name!r} must be a Tensor, got {type(x).__name__}")
    fixed = [d if isinstance(d, int) and d > 0 else None for d in dims]
    if dims and (
        len(dims) != x.ndim or any(f is not None and f != s for f, s in zip(fixed, x.shape))
    ):
        raise ValueError(
            f"OnnxModel: input {name!r} has shape {x.shape} but the graph expects {tuple(dims)}"
        )
    return x


def _node(n: Any, base_dir: str) -> tuple:
    from onnx import AttributeProto, helper

    attrs: dict[str, Any] = {}
    for a in n.attribute:
        if a.type == AttributeProto.TENSOR:
            attrs[a.name] = tensor_to_array(a.t, base_dir, f"attribute {a.name} of node")
        else:
            attrs[a.name] = helper.get_attribute_value(a)
    return n.op_type, n.name or n.output[0], list(n.input), list(n.output), attrs


def _check_order(nodes: list[tuple], known: set[str], outputs: list[str]) -> None:
    defined = set(known)
    for op_type, name, ins, outs, _ in nodes:
        for i in ins:
            if i and i not in defined:
                raise ValueError(
                    f"onnx.load: node {name!r} ({op_type}) reads {i!r}, which no earlier node, "
                    "input or initializer produces; the file is truncated or not sorted"
                )
        defined.update(o for o in outs if o)
    missing = [o for o in outputs if o not in defined]
    if missing:
        raise ValueError(f"onnx.load: graph outputs {missing} are never produced")


def _unsupported(model: Any) -> list[str]:
    """Every op type in the graph this loader cannot run, with counts, sorted."""
    used = {i for n in model.graph.node for i in n.input} | {o.name for o in model.graph.output}
    counts: dict[str, int] = {}
    for n in model.graph.node:
        label = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}"
        if n.op_type not in OPS or n.domain not in ("", "ai.onnx"):
            counts[label] = counts.get(label, 0) + 1
        elif any(o in used for o in n.output[1:]):
            label = f"{label} (with its second output)"
            counts[label] = counts.get(label, 0) + 1
    return [f"{k} (x{v})" if v > 1 else k for k, v in sorted(counts.items())]


def load(path: str | os.PathLike) -> OnnxModel:
    """Read an ONNX file (written by ``export`` or by ``torch.onnx.export``) as a Module.

    Its float initializers become trainable Parameters, so gradients reach every one: draw it
    with ``viz.draw_graph``, check it with ``check_model_grads``, fine-tune it with an
    optimizer. A file with ops this loader cannot run raises one ValueError listing all of
    them; a malformed file raises ValueError without allocating what it declares.

    >>> import tinygrad_cnn as tg, tinygrad_cnn.onnx, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.onnx")
    >>> net = tg.nn.Sequential(tg.nn.Linear(3, 2), tg.nn.ReLU())
    >>> tg.onnx.export(net, tg.ones(1, 3), path)
    >>> model = tg.onnx.load(path)
    >>> sorted(k for k, _ in model.named_parameters())
    ['0.bias', '0.weight']
    >>> bool((model(tg.ones(4, 3)) == net(tg.ones(4, 3))).all())
    True
    """
    from .export import require_onnx

    require_onnx()
    model = read_model(path)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < _MIN_OPSET:
        raise ValueError(
            f"onnx.load: {os.fspath(path)!r} uses opset {opset}; opset {_MIN_OPSET} or newer is "
            "supported (convert it with onnx.version_converter)"
        )
    bad = _unsupported(model)
    if bad:
        raise ValueError(
            f"onnx.load: {os.fspath(path)!r} uses {len(bad)} unsupported op type(s): "
            f"{', '.join(bad)}. Supported: {', '.join(sorted(OPS))}"
        )
    return OnnxModel(model.graph, os.path.dirname(os.path.abspath(os.fspath(path))))
