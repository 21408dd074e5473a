"""The walk back through the recorded graph: one iterative post-order traversal (used by
backward and by the graph renderer), reverse-mode accumulation in named steps, and ``grad()``.

The walk never recurses (a 100,000-op chain works), visits each op once, accumulates gradients
per tensor, writes ``.grad`` only on leaves and on tensors that called ``retain_grad()``, and
frees each op's saved state as it goes unless ``retain_graph=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import autograd
from .autograd import Function, check_backward_anomaly, freed_message, set_grad_enabled
from .ops.reduce import SumTo

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor


def post_order(
    roots: Iterable[Function],
    follow: Callable[[Tensor], bool] | None = None,
    on_leaf: Callable[[Tensor], None] | None = None,
    admit: Callable[[Function], bool] | None = None,
    seen: set[int] | None = None,
) -> Iterator[Function]:
    """Every op reachable from ``roots``, each once, an op after the ops that made its inputs
    (yielded as each is finished, so callers can interleave their own work).

    ``follow(t)`` says whether to walk through input tensor t, ``on_leaf(t)`` is called for each
    leaf input met (in input order), ``admit(op)`` may refuse to enter an op not yet seen, and
    ``seen`` (ids of ops) is shared between calls to continue one walk.
    """
    Tensor = autograd.Tensor
    seen = set() if seen is None else seen
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[Function, int]] = [(root, 0)]
        while stack:
            ctx, i = stack[-1]
            inputs = ctx.inputs
            parents = ctx._parents
            while i < len(inputs):
                t = inputs[i]
                i += 1
                if not isinstance(t, Tensor) or (follow is not None and not follow(t)):
                    continue
                # NOTE: the op that made t when ctx ran (t may have been changed in place since)
                c = parents[i - 1] if parents else t._ctx
                if c is None:
                    if on_leaf is not None:
                        on_leaf(t)
                elif id(c) not in seen and (admit is None or admit(c)):
                    seen.add(id(c))
                    stack[-1] = (ctx, i)
                    stack.append((c, 0))
                    break
            else:
                stack.pop()
                yield ctx


def run_backward(
    roots: Sequence[Tensor],
    grad_roots: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
) -> list[Tensor | None] | None:
    """Propagate grad_roots from roots. With ``inputs`` given, return their gradients instead
    of accumulating into leaves' ``.grad`` (what ``grad()`` does)."""
    # NOTE: gradients wait per op (the op that made a tensor when it was used), not per tensor
    # object: an in-place op gives the object a new op, while earlier uses need the old one
    pending: dict[int, Tensor] = {}
    wanted = {id(t) for t in inputs} if inputs is not None else None
    captured: dict[int, Tensor] = {}
    leaves: dict[int, tuple[Tensor, Tensor]] = {}  # summed first: hooks see the whole gradient
    tracer = autograd._state.tracer
    if tracer is not None:  # tg.compile is recording a step (tinygrad_cnn/jit)
        tracer.backward(create_graph, inputs is not None)
    with set_grad_enabled(create_graph):
        for r, g in zip(roots, grad_roots):
            if r._ctx is not None:
                _accumulate(pending, r._ctx, g)
            elif r.requires_grad:
                _add_leaf(leaves, r, g)
        ops = list(post_order(r._ctx for r in roots if r._ctx is not None))
        for ctx in reversed(ops):
            g = pending.pop(id(ctx), None)
            if g is None:
                continue
            node = ctx._output_ref()  # (not .output: that checks the version, for backward)
            if node is not None:
                g = _run_hooks(node, g)
                if wanted is not None:
                    if id(node) in wanted:
                        captured[id(node)] = g
                elif node._retains_grad:
                    node._g = g if create_graph else g.detach()
            in_grads = _call_backward(ctx, g)
            if not retain_graph:
                ctx.release()
            for inp, ig, parent, need in zip(
                ctx.inputs, in_grads, ctx._parents, ctx.needs_input_grad
            ):
                if ig is None or not need:
                    continue
                ig = _fit_gradient(ig, inp, ctx.name)
                if parent is None:
                    _add_leaf(leaves, inp, ig)
                else:
                    _accumulate(pending, parent, ig)
        _finish_leaves(leaves, wanted, captured, create_graph)
    return None if inputs is None else _collect(inputs, captured, allow_unused)


def _accumulate(pending: dict[int, Tensor], op: Function, g: Tensor) -> None:
    prev = pending.get(id(op))
    pending[id(op)] = g if prev is None else prev + g


def _add_leaf(leaves: dict[int, tuple[Tensor, Tensor]], t: Tensor, g: Tensor) -> None:
    prev = leaves.get(id(t))
    leaves[id(t)] = (t, g if prev is None else prev[1] + g)


def _call_backward(ctx: Function, g: Tensor) -> tuple[Any, ...]:
    """One op's backward, with the freed-graph, arity and (in anomaly mode) finiteness checks."""
    if ctx._freed:
        raise RuntimeError(freed_message(ctx))
    state = autograd._state
    inputs = ctx.inputs
    if ctx.stale_inputs():  # reading an input changed in place raises PyTorch's error
        ctx.inputs = autograd._CheckedInputs(inputs)
        ctx.inputs.ctx = ctx
    ctx._in_backward = True
    anomaly = state.anomaly
    # NOTE: in anomaly mode, blame the op whose backward went non-finite (checked below), not
    # the primitive inside that backward that happened to compute the inf
    state.anomaly = False
    tracer = state.tracer
    if tracer is not None:  # tg.compile is recording a step (tinygrad_cnn/jit)
        tracer.enter_backward(ctx, g)
    try:
        in_grads = ctx.backward(g)
    finally:
        if tracer is not None:
            tracer.exit_backward()
        state.anomaly = anomaly
        ctx._in_backward = False
        ctx.inputs = inputs
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if len(in_grads) != len(ctx.inputs):
        raise RuntimeError(
            f"{ctx.name}.backward returned {len(in_grads)} gradients but forward took "
            f"{len(ctx.inputs)} positional inputs"
        )
    if state.anomaly:
        check_backward_anomaly(ctx, in_grads)
    return in_grads


def _fit_gradient(ig: Any, inp: Tensor, opname: str) -> Tensor:
    """A gradient made to match its input: a Tensor, summed to the input's shape, its dtype."""
    Tensor = autograd.Tensor
    if not isinstance(ig, Tensor):
        ig = Tensor(ig)
    if ig.shape != inp.shape:
        ig = reduce_to_shape(ig, inp.shape, opname)
    if ig.data.dtype != inp.data.dtype:
        ig = ig.astype(inp.data.dtype)
    return ig


def _finish_leaves(
    leaves: dict[int, tuple[Tensor, Tensor]],
    wanted: set[int] | None,
    captured: dict[int, Tensor],
    create_graph: bool,
) -> None:
    """Run leaf hooks, then capture (for grad()) or accumulate into ``.grad``."""
    tracer = autograd._state.tracer
    for t, g in leaves.values():
        g = _run_hooks(t, g)
        if g.dtype != t.dtype:  # a root's gradient given in another dtype
            g = g.astype(t.dtype)
        if tracer is not None and wanted is None:
            tracer.leaf_grad(t, g.data)
        if wanted is not None:
            if id(t) in wanted:
                captured[id(t)] = g
        elif not create_graph:
            accumulate_leaf_grad(t, g.data)
        elif t._g is None:
            t._g = g
        else:
            _check_grad_shape(t)
            t._g = t._g + g


def accumulate_leaf_grad(t: Tensor, g: np.ndarray, owned: bool = False) -> None:
    """``t.grad += g`` for a gradient array outside any graph (a copy of g when .grad is None,
    g itself where the caller ``owned`` it alone); the one rule that backward and a replayed
    step (tinygrad_cnn/jit) both follow."""
    Tensor = autograd.Tensor
    if t._g is None:
        # NOTE: copy, since one gradient array may be shared by several inputs (add)
        t._g = Tensor._wrap(g if owned else np.array(g, copy=True), False)
    else:
        _check_grad_shape(t)
        t._g = Tensor._wrap(t._g.data + g, False)


def _check_grad_shape(t: Tensor) -> None:
    if t._g.shape != t.shape:
        raise RuntimeError(
            f"backward: the existing .grad has shape {t._g.shape} but the tensor has shape "
            f"{t.shape}; set .grad = None before backward"
        )


def _collect(
    inputs: Sequence[Tensor], captured: dict[int, Tensor], allow_unused: bool
) -> list[Tensor | None]:
    result: list[Tensor | None] = []
    for t in inputs:
        g = captured.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(
                "grad: one of the differentiated tensors (shape "
                f"{tuple(t.shape)}) was not used in the graph; pass allow_unused=True to get None"
            )
        result.append(g)
    return result


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    if not t._hooks:
        return g
    if autograd._state.tracer is not None:
        autograd._state.tracer.unsupported("a tensor hook (register_hook) runs in backward")
    for hook in list(t._hooks.values()):
        new = hook(g)
        if new is None:
            continue
        if not isinstance(new, autograd.Tensor) or new.shape != g.shape:
            got = new.shape if isinstance(new, autograd.Tensor) else type(new).__name__
            raise RuntimeError(
                f"register_hook: a hook on a tensor of shape {tuple(t.shape)} returned {got}; "
                f"a hook must return None or a Tensor of the gradient's shape {tuple(g.shape)}"
            )
        g = new
    return g


def reduce_to_shape(g: Tensor, shape: tuple[int, ...], opname: str) -> Tensor:
    """The one place where a broadcast gradient is summed back to its input's shape."""
    try:
        fits = np.broadcast_shapes(shape, g.shape) == tuple(g.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"{opname}.backward returned a gradient of shape {tuple(g.shape)} for an input of "
            f"shape {tuple(shape)}"
        )
    return SumTo.apply(g, shape=tuple(shape))


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> (dx,) = tg.grad(x ** 3, x, create_graph=True)
    >>> (d2x,) = tg.grad(dx, x)
    >>> dx.item(), d2x.item()
    (12.0, 12.0)
    """
    Tensor = autograd.Tensor
    outs = _tensor_list(outputs, "outputs", Tensor)
    ins = _tensor_list(inputs, "inputs", Tensor)
    if grad_outputs is None:
        gos: list[Tensor | None] = [None] * len(outs)
    elif isinstance(grad_outputs, Tensor):
        gos = [grad_outputs]
    elif isinstance(grad_outputs, (list, tuple)):
        gos = list(grad_outputs)
    else:
        raise TypeError(
            f"grad: grad_outputs must be a Tensor, a sequence of Tensors (or None) or None, got "
            f"{type(grad_outputs).__name__}"
        )
    if len(gos) != len(outs):
        raise RuntimeError(
            f"grad: got {len(outs)} outputs but {len(gos)} grad_outputs; pass one grad_output "
            "(or None) per output"
        )
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError(
                f"grad: an input of shape {tuple(t.shape)} does not require grad; "
                "create it with requires_grad=True"
            )
    roots, groots = [], []
    for o, go in zip(outs, gos):
        if not o.requires_grad:
            raise RuntimeError(
                f"grad: output of shape {tuple(o.shape)} does not require grad (it was computed "
                "under no_grad or from tensors that do not require grad)"
            )
        roots.append(o)
        groots.append(default_grad(o, go, "grad"))
    if retain_graph is None:
        retain_graph = create_graph
    return tuple(run_backward(roots, groots, retain_graph, create_graph, ins, allow_unused))


def _tensor_list(value: Any, what: str, tensor_type: type) -> list[Any]:
    """``value`` (a Tensor or a non-empty sequence of Tensors) as a list, or a TypeError."""
    if isinstance(value, tensor_type):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(t, tensor_type) for t in value):
        if not value:
            raise RuntimeError(f"grad: {what} is empty; give at least one Tensor")
        return list(value)
    got = type(value).__name__
    if isinstance(value, (list, tuple)):
        got = f"a {got} holding " + ", ".join(sorted({type(t).__name__ for t in value}))
    raise TypeError(
        f"grad: {what} must be a Tensor or a sequence of Tensors, got {got}; wrap arrays with "
        "tg.Tensor(..., requires_grad=True) and compute the outputs from them"
    )


def default_grad(out: Tensor, gradient: Any, opname: str) -> Tensor:
    """The gradient to start backward with: ones for a one-element output, else checked."""
    Tensor = autograd.Tensor
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{opname}: gradient can be implicitly created only for scalar outputs, but the "
                f"output has shape {tuple(out.shape)}; pass gradient=<tensor of that shape> "
                "(or reduce the output, e.g. .sum())"
            )
        return Tensor._wrap(np.ones_like(out.data), False)
    if not isinstance(gradient, Tensor):
        try:
            gradient = Tensor(np.asarray(gradient, dtype=out.data.dtype))
        except (TypeError, ValueError):
            raise TypeError(
                f"{opname}: gradient must be a Tensor (or numbers) of the output's shape "
                f"{tuple(out.shape)}, got {type(gradient).__name__}"
            ) from None
    if gradient.shape != out.shape:
        raise RuntimeError(
            f"{opname}: gradient has shape {tuple(gradient.shape)} but the output has shape "
            f"{tuple(out.shape)}; they must match"
        )
    return gradient
