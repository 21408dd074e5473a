"""``export(model, example_input, path)``: trace a Module and write it as an ONNX graph, each
composite call (conv2d, max_pool2d, batch_norm, linear, ...) as one ONNX node, parameters and
buffers as initializers under their state-dict names, the batch dimension symbolic."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..graph import post_order
from ..tensor import Tensor
from ._composites import COMPOSITES
from ._plan import Context, Node, Prev, Unsupported
from ._primitives import PRIMITIVES
from ._trace import as_tensors, owner, run_traced


def require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "tinygrad_cnn.onnx needs the onnx package: pip install 'tinygrad-cnn[onnx]'"
        ) from None
    return onnx


class _Builder:
    """Collects nodes, initializers and value names while the traced graph is walked."""

    def __init__(self, model: Any, opset: int) -> None:
        self.opset = opset
        self.names: dict[int, str] = {}
        self.batch: dict[int, int | None] = {}
        self.nodes: list[Any] = []
        self.inits: dict[str, np.ndarray] = {}
        named = [*model.named_parameters(), *model.named_buffers()]
        self.state = {id(t): name for name, t in named}
        self.module_names = {id(m): name for name, m in model.named_modules()}
        self.count = 0

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def batch_axis(self, t: Tensor) -> int | None:
        return self.batch.get(id(t))

    def value(self, x: Any) -> str:
        """The ONNX name of an op input: a graph value, a named parameter or a constant."""
        if x is None:
            return ""
        if isinstance(x, Tensor):
            if id(x) in self.names:
                return self.names[id(x)]
            if x._ctx is None and id(x) in self.state:
                name = self.state[id(x)]
                self.inits[name] = x.data
                self.names[id(x)] = name
                return name
            if x._ctx is not None:  # made inside a composite call and used outside it
                raise Unsupported(f"a value of shape {x.shape} from inside a composite op")
            x = x.data
        # NOTE: a Constant node, not an initializer: a loaded model's parameters are then
        # exactly the original's state-dict entries
        name = self.fresh("const")
        self.nodes.append(("Constant", [], [name], {"value": _tensor_proto(np.asarray(x))}))
        return name

    def emit(self, plan: list[Node], out: Tensor, stem: str, batch: Any) -> None:
        outs: list[str] = []
        for node in plan:
            ins = [outs[i.index] if isinstance(i, Prev) else self.value(i) for i in node.inputs]
            while ins and ins[-1] == "":
                ins.pop()
            outs.append(self.fresh(f"{stem}/{node.op}"))
            self.nodes.append((node.op, ins, [outs[-1]], node.attrs))
        self.names[id(out)] = outs[-1]
        if batch == "auto":
            batch = _same_batch(self, plan, out)
        self.batch[id(out)] = batch

    def stem(self, module: Any) -> str:
        name = self.module_names.get(id(module)) if module is not None else None
        return name or "model"


def _tensor_proto(arr: np.ndarray) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.ascontiguousarray(arr))


def _same_batch(b: _Builder, plan: list[Node], out: Tensor) -> int | None:
    """The output keeps an input's batch axis when its size there is unchanged."""
    for node in plan:
        for t in node.inputs:
            if isinstance(t, Tensor):
                axis = b.batch_axis(t)
                offset = out.ndim - t.ndim
                if axis is not None and 0 <= axis + offset < out.ndim:
                    if out.shape[axis + offset] == t.shape[axis]:
                        return axis + offset
    return None


def _walk(b: _Builder, roots: list[Any]) -> list[str]:
    """Convert every recorded op; returns the ops that have no mapping (empty when all do)."""
    plans: dict[int, Any] = {}
    missing: list[str] = []

    def accepts(call: Any) -> bool:
        if call.name not in COMPOSITES:
            return False
        if id(call) not in plans:
            plans[id(call)] = _try(COMPOSITES[call.name], b, call)
        return not isinstance(plans[id(call)], str)

    for fn in post_order(roots):
        call = owner(fn, accepts)
        if call is not None:
            if call.output is fn.output:
                cx, plan = plans[id(call)]
                b.emit(plan, fn.output, b.stem(fn.module), cx.out_batch)
            continue
        conv = PRIMITIVES.get(fn.name)
        got = _try(conv, b, fn) if conv is not None else "no ONNX mapping"
        if not isinstance(got, str):
            try:
                b.emit(got[1], fn.output, b.stem(fn.module), got[0].out_batch)
                continue
            except Unsupported as e:
                got = str(e)
        missing.append(_describe_missing(b, fn, got))
        b.names[id(fn.output)] = b.fresh("missing")
    return list(dict.fromkeys(missing))


def _try(conv: Any, b: _Builder, item: Any) -> tuple[Context, list[Node]] | str:
    """The converter's plan, or why it cannot convert ``item``."""
    cx = Context(b.batch_axis, b.opset)
    try:
        return cx, conv(cx, item)
    except Unsupported as e:
        return str(e)


def _describe_missing(b: _Builder, fn: Any, reason: str) -> str:
    what = fn.name
    if fn.composite is not None:
        what = f"{fn.composite.outermost.name} (its {fn.name} op)"
    where = ""
    if fn.module is not None:
        where = f" in module {b.stem(fn.module)!r} ({type(fn.module).__name__})"
    return f"{what}{where}: {reason}"


def _names(given: Any, n: int, stem: str, what: str) -> list[str]:
    if given is None:
        return [stem] if n == 1 else [f"{stem}{i}" for i in range(n)]
    names = list(given)
    if len(names) != n or not all(isinstance(s, str) and s for s in names):
        raise ValueError(f"export: {what} must be {n} non-empty strings, got {given!r}")
    return names


def _outputs(out: Any) -> tuple[Tensor, ...]:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    if not outs or not all(isinstance(o, Tensor) for o in outs):
        raise TypeError(
            f"export: the model must return a Tensor or a tuple of Tensors, got {type(out)!r}"
        )
    return tuple(outs)


def export(
    model: Any,
    example_input: Any,
    path: str | os.PathLike,
    opset: int = 17,
    dynamic_batch: bool = True,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
) -> None:
    """Write ``model`` as an ONNX file, traced (in eval mode) on ``example_input`` (a Tensor or
    a tuple of Tensors, one per forward argument).

    Each composite op becomes its ONNX node (conv2d -> Conv, max_pool2d -> MaxPool, linear ->
    Gemm, ...), parameters and buffers are initializers named as in ``state_dict()``, and with
    ``dynamic_batch`` dim 0 of the inputs is the symbolic ``batch``, so a model traced at batch
    1 runs at any batch size. The file is checked with ``onnx.checker``. An op with no ONNX
    mapping raises ValueError naming it and the module it ran in.

    >>> import tinygrad_cnn as tg, tinygrad_cnn.onnx, tempfile, os, onnx
    >>> path = os.path.join(tempfile.mkdtemp(), "lenet.onnx")
    >>> tg.onnx.export(tg.models.LeNet5(), tg.zeros(1, 1, 28, 28), path)
    >>> [n.op_type for n in onnx.load(path).graph.node][:3]
    ['Conv', 'Relu', 'MaxPool']
    """
    onnx = require_onnx()
    if not isinstance(opset, int) or not 13 <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(
            f"export: opset must be an int from 13 to {onnx.defs.onnx_opset_version()}, "
            f"got {opset!r}"
        )
    inputs = as_tensors(example_input, "example_input")
    leaves, out = run_traced(model, inputs)
    outs = _outputs(out)
    b = _Builder(model, opset)
    in_names = _names(input_names, len(leaves), "input", "input_names")
    out_names = _names(output_names, len(outs), "output", "output_names")
    for t, name in zip(leaves, in_names):
        b.names[id(t)], b.batch[id(t)] = name, (0 if dynamic_batch else None)
    missing = _walk(b, [o._ctx for o in outs if o._ctx is not None])
    if missing:
        raise ValueError(
            f"export: {len(missing)} op(s) of {type(model).__name__} have no ONNX mapping: "
            + "; ".join(missing)
        )
    proto = _make_model(onnx, b, leaves, in_names, outs, out_names, dynamic_batch)
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, os.fspath(path))


def _make_model(onnx, b, leaves, in_names, outs, out_names, dynamic) -> Any:
    from onnx import helper, numpy_helper

    results = [b.value(o) for o in outs]
    produced = {o: i for i, (_, _, outs_, _) in enumerate(b.nodes) for o in outs_}
    nodes = list(b.nodes)
    for name, got in zip(out_names, results):
        i = produced.pop(got, None)
        if i is not None:  # rename the producing node's output (and its later uses)
            nodes = [_rename(n, got, name) for n in nodes]
        else:
            nodes.append(("Identity", [got], [name], {}))
    protos = [helper.make_node(op, ins, o, name=o[0], **attrs) for op, ins, o, attrs in nodes]

    def info(name: str, t: Tensor, batch: int | None) -> Any:
        dims: list[Any] = list(t.shape)
        if dynamic and batch is not None:
            dims[batch] = "batch"
        return helper.make_tensor_value_info(
            name, helper.np_dtype_to_tensor_dtype(t.data.dtype), dims
        )

    graph = helper.make_graph(
        protos,
        "tinygrad_cnn",
        [info(n, t, 0) for n, t in zip(in_names, leaves)],
        [info(n, o, b.batch.get(id(o))) for n, o in zip(out_names, outs)],
        [numpy_helper.from_array(np.ascontiguousarray(a), n) for n, a in b.inits.items()],
    )
    opsets = [helper.make_opsetid("", b.opset)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="tinygrad_cnn")


def _rename(node: tuple, old: str, new: str) -> tuple:
    op, ins, outs, attrs = node
    return op, [new if i == old else i for i in ins], [new if o == old else o for o in outs], attrs
