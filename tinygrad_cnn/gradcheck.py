"""Gradient checking: analytic Jacobians from backward against central differences.

``gradcheck`` compares every (output, input) pair in float64 and, when they disagree, says which
input and output, which element, both values there, and the absolute and relative errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd import enable_grad, grad, is_grad_enabled, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck; ``.result`` holds the full GradcheckResult."""

    def __init__(self, result: GradcheckResult) -> None:
        super().__init__(str(result))
        self.result = result


@dataclass
class PairResult:
    """The comparison of d(output k)/d(input i)."""

    output_index: int
    input_index: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    worst_input_element: tuple[int, ...]
    worst_output_element: tuple[int, ...]
    analytic: float
    numerical: float
    ok: bool
    kinks: int = 0  # Jacobian entries excused because a perturbation crossed a kink

    def describe(self) -> str:
        status = "ok" if self.ok else "MISMATCH"
        return (
            f"output {self.output_index} {self.output_shape} w.r.t. input {self.input_index} "
            f"{self.input_shape}: {status}; worst at input element {self.worst_input_element}, "
            f"output element {self.worst_output_element}: analytic {self.analytic:.6g} vs "
            f"numerical {self.numerical:.6g} (abs error {self.max_abs_error:.3g}, rel error "
            f"{self.max_rel_error:.3g})"
            + (f"; {self.kinks} entries at a kink not counted" if self.kinks else "")
        )


@dataclass
class GradcheckResult:
    """What a gradient check found: ``ok``, and one PairResult per (output, input) pair."""

    pairs: list[PairResult] = field(default_factory=list)
    order: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.pairs)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def max_abs_error(self) -> float:
        return max((p.max_abs_error for p in self.pairs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((p.max_rel_error for p in self.pairs), default=0.0)

    def __str__(self) -> str:
        kind = "gradcheck" if self.order == 1 else "gradgradcheck"
        head = f"{kind}: {'passed' if self.ok else 'FAILED'}"
        lines = [head] + [("  " if p.ok else "  ! ") + p.describe() for p in self.pairs]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _prepare_inputs(inputs: Any, name: str) -> tuple[list[Any], list[int]]:
    prepared, diff = [], []
    warned = False
    for i, x in enumerate(_as_tuple(inputs)):
        if isinstance(x, Tensor) and x.requires_grad:
            if x.dtype != np.float64:
                if not warned:
                    warnings.warn(
                        f"{name}: input {i} is {x.dtype}; checking in float64 instead (finite "
                        "differences in float32 are too coarse to be trusted)",
                        stacklevel=3,
                    )
                    warned = True
                x = Tensor(x.data.astype(np.float64), requires_grad=True)
            elif not x.is_leaf:
                x = x.detach().requires_grad_()
            diff.append(i)
        prepared.append(x)
    if not diff:
        raise ValueError(f"{name}: none of the inputs requires grad; nothing to check")
    return prepared, diff


def _outputs(fn: Callable, inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    outs = _as_tuple(fn(*inputs))
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def _numerical_jacobians(
    fn: Callable, inputs: list[Any], diff: list[int], eps: float, n_out: int
) -> list[list[np.ndarray]]:
    """jac[k][j] has shape (outputs[k].size, inputs[diff[j]].size)."""
    jac: list[list[np.ndarray]] = [[None] * len(diff) for _ in range(n_out)]  # type: ignore
    with no_grad():
        for j, i in enumerate(diff):
            x = inputs[i].data  # perturbed in place, so non-contiguous views work too
            cols: list[list[np.ndarray]] = [[] for _ in range(n_out)]
            for e in range(x.size):
                idx = np.unravel_index(e, x.shape)
                orig = x[idx]
                x[idx] = orig + eps
                plus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                x[idx] = orig - eps
                minus = [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                x[idx] = orig
                for k in range(n_out):
                    cols[k].append((plus[k] - minus[k]) / (2 * eps))
            for k in range(n_out):
                jac[k][j] = np.stack(cols[k], axis=1) if cols[k] else np.zeros((0, 0))
    return jac


def _analytic_jacobians(
    outs: tuple[Tensor, ...], inputs: list[Any], diff: list[int]
) -> list[list[np.ndarray]]:
    targets = [inputs[i] for i in diff]
    jac = []
    for o in outs:
        rows = [np.zeros((o.data.size, t.data.size)) for t in targets]
        if o.requires_grad:
            for m in range(o.data.size):
                onehot = np.zeros(o.data.size, dtype=o.dtype)
                onehot[m] = 1
                gs = grad(
                    o,
                    targets,
                    Tensor(onehot.reshape(o.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for j, g in enumerate(gs):
                    if g is not None:
                        rows[j][m] = g.data.reshape(-1)
        jac.append(rows)
    return jac


def _compare(
    analytic: np.ndarray,
    numerical: np.ndarray,
    atol: float,
    rtol: float,
    k: int,
    i: int,
    in_shape: tuple,
    out_shape: tuple,
    excused: np.ndarray | None = None,
) -> PairResult:
    err = np.abs(analytic - numerical)
    rel = err / np.maximum(np.abs(analytic) + np.abs(numerical), 1e-300)
    bad = err > atol + rtol * np.abs(numerical)
    kinks = 0
    if excused is not None:
        kinks = int((bad & excused).sum())
        bad &= ~excused
    if err.size == 0:
        return PairResult(k, i, in_shape, out_shape, 0.0, 0.0, (), (), 0.0, 0.0, True)
    score = np.where(bad, err + 1e300, err)  # report a failing entry first, else the largest
    flat = int(np.argmax(score))
    m, e = np.unravel_index(flat, err.shape)
    return PairResult(
        output_index=k,
        input_index=i,
        input_shape=in_shape,
        output_shape=out_shape,
        max_abs_error=float(err.max()),
        max_rel_error=float(rel.max()),
        worst_input_element=tuple(int(v) for v in np.unravel_index(e, in_shape)),
        worst_output_element=tuple(int(v) for v in np.unravel_index(m, out_shape)),
        analytic=float(analytic[m, e]),
        numerical=float(numerical[m, e]),
        ok=not bool(bad.any()),
        kinks=kinks,
    )


def check_gradients(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
) -> GradcheckResult:
    """Run the full Jacobian comparison and return a GradcheckResult (never raises on mismatch).

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> check_gradients(lambda t: t * t, x).ok
    True
    """
    inputs, diff = _prepare_inputs(inputs, "gradcheck")
    outs = _outputs(fn, inputs)
    analytic = _analytic_jacobians(outs, inputs, diff)
    numerical = _numerical_jacobians(fn, inputs, diff, eps, len(outs))
    result = GradcheckResult(order=order)
    for k, o in enumerate(outs):
        for j, i in enumerate(diff):
            result.pairs.append(
                _compare(
                    analytic[k][j],
                    numerical[k][j],
                    atol,
                    rtol,
                    k,
                    i,
                    tuple(inputs[i].shape),
                    tuple(o.shape),
                )
            )
    return result


def gradcheck(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check backward against central differences for every (output, input) pair.

    Returns True; on a mismatch raises GradcheckError (a RuntimeError) naming the input, the
    output, the worst element and both values there, or returns False if
    ``raise_exception=False``.

    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(3, 4, dtype="float64", requires_grad=True)
    >>> gradcheck(lambda t: t.tanh().sum(1), x)
    True
    """
    result = check_gradients(fn, inputs, eps, atol, rtol)
    if not result.ok and raise_exception:
        raise GradcheckError(result)
    return result.ok


def _grad_fn(fn: Callable, n_inputs: int, diff_positions: list[int]) -> Callable:
    """Return f(*inputs, *grad_outputs) -> the vector-Jacobian products, differentiable."""

    def vjp(*args: Any) -> tuple[Tensor, ...]:
        ins, gos = list(args[:n_inputs]), list(args[n_inputs:])
        targets = [ins[i] for i in diff_positions]
        outer = is_grad_enabled()
        with enable_grad():  # the numerical pass runs under no_grad; this inner grad needs a graph
            outs = _outputs(fn, ins)
            gs = grad(list(outs), targets, gos, create_graph=outer, allow_unused=True)
        return tuple(
            g if g is not None else Tensor(np.zeros(t.shape, dtype=t.dtype))
            for g, t in zip(gs, targets)
        )

    return vjp


def gradgradcheck(
    fn: Callable,
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of the vector-Jacobian product of ``fn``.

    ``grad_outputs`` default to seeded random tensors shaped like the outputs.

    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(3, dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda t: (t ** 3).sum(), x)
    True
    """
    inputs, diff = _prepare_inputs(inputs, "gradgradcheck")
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(1234)
        gos = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        gos = [
            Tensor(
                np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64),
                requires_grad=True,
            )
            for g in _as_tuple(grad_outputs)
        ]
    result = check_gradients(
        _grad_fn(fn, len(inputs), diff), (*inputs, *gos), eps, atol, rtol, order=2
    )
    if not result.ok and raise_exception:
        raise GradcheckError(result)
    return result.ok
