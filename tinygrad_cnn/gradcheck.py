"""Gradient checking: analytic derivatives from backward against finite differences, in float64.

``check_gradients`` compares the analytic Jacobian of every (output, input) pair with central
differences and returns a GradcheckResult: for each pair the largest absolute and relative
errors, the worst input and output elements and both values there. ``gradcheck`` and
``gradgradcheck`` (second derivatives) return True or raise with that report.
``check_model_grads`` compares every parameter gradient of a model against central differences
of its loss at a few random entries.

Kinks. relu, abs, clamp, max, max_pool2d, ... are not differentiable everywhere. Each
perturbation x +- eps is also compared one-sidedly: when (f(x+eps) - f(x))/eps and
(f(x) - f(x-eps))/eps disagree and the analytic value lies between them, the perturbation
crossed a kink (or changed which element wins a max), so central differences mean nothing there.
Such Jacobian entries are reported "at a kink" and not counted as failures. A wrong backward is
still caught: there the one-sided differences agree with each other, but not with it.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._tables import html_table, markdown_table
from .autograd import enable_grad, is_grad_enabled, no_grad
from .graph import grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck/gradgradcheck; ``.result`` holds the full GradcheckResult.

    >>> x = tg.randn(3, dtype='float64', requires_grad=True)
    >>> class Wrong(tg.Function):
    ...     def forward(self, a):
    ...         return a * 2
    ...     def backward(self, g):
    ...         return g * 3
    >>> try:
    ...     tg.gradcheck(Wrong.apply, x)
    ... except GradcheckError as e:
    ...     print(e.result.ok, e.result.failures[0].input_index)
    False 0
    """

    def __init__(self, result: GradcheckResult) -> None:
        super().__init__(str(result))
        self.result = result


@dataclass
class PairResult:
    """The comparison of d(output k)/d(input i).

    In a full check the errors are over the whole Jacobian block and ``analytic``/``numerical``
    are its entries at the worst (output element, input element). In fast mode (``mode ==
    "fast"``) they are the projections v^T J u for random unit vectors u and v.
    """

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
    mismatches: int = 0  # Jacobian entries out of tolerance (kinks excluded)
    kink_elements: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    mode: str = "full"

    def describe(self) -> str:
        """A header line, then indented details (the worst entry, errors, kinks)."""
        status = "ok" if self.ok else "MISMATCH"
        lines = [
            f"d(output {self.output_index})/d(input {self.input_index}): {status} "
            f"(output shape {self.output_shape}, input shape {self.input_shape})"
        ]
        if self.mode == "fast":
            lines.append(
                f"fast mode, v^T J u for random unit u, v: analytic {self.analytic:.6g}, "
                f"numerical {self.numerical:.6g} (abs error {self.max_abs_error:.3g})"
            )
        else:
            lines.append(
                f"worst at input {self.input_index} element {self.worst_input_element} -> "
                f"output {self.output_index} element {self.worst_output_element}: analytic "
                f"{self.analytic:.6g}, numerical {self.numerical:.6g}"
            )
            more = f"max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g}"
            if self.mismatches:
                more += f"; {self.mismatches} Jacobian entries out of tolerance"
            lines.append(more)
        if self.kinks:
            where = ", ".join(
                f"input element {e} -> output element {m}" for m, e in self.kink_elements
            )
            more = "..." if self.kinks > len(self.kink_elements) else ""
            lines.append(f"{self.kinks} entries at a kink, not counted: {where}{more}")
        return "\n    ".join(lines)


@dataclass
class GradcheckResult:
    """What a gradient check found: ``ok``, and one PairResult per (output, input) pair.

    ``str(result)`` is the readable report that GradcheckError and assert_gradcheck show.

    >>> x = tg.randn(3, dtype='float64', requires_grad=True)
    >>> result = tg.check_gradients(lambda t: t.exp(), x)
    >>> result.ok, len(result.pairs), result.max_abs_error < 1e-6
    (True, 1, True)
    """

    pairs: list[PairResult] = field(default_factory=list)
    order: int = 1
    notes: list[str] = field(default_factory=list)
    fast_mode: bool = False
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.pairs)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[PairResult]:
        return [p for p in self.pairs if not p.ok]

    @property
    def max_abs_error(self) -> float:
        return max((p.max_abs_error for p in self.pairs), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((p.max_rel_error for p in self.pairs), default=0.0)

    @property
    def kinks(self) -> int:
        return sum(p.kinks for p in self.pairs)

    def __str__(self) -> str:
        kind = "gradcheck" if self.order == 1 else "gradgradcheck"
        if self.fast_mode:
            kind += " (fast mode)"
        n_bad = len(self.failures)
        status = "passed" if self.ok else f"FAILED ({n_bad} of {len(self.pairs)} pairs)"
        lines = [f"{kind}: {status} (eps {self.eps:g}, atol {self.atol:g}, rtol {self.rtol:g})"]
        lines += [("  " if p.ok else "  ! ") + p.describe() for p in self.pairs]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    # -- notebooks: Jupyter shows the report as a table ---------------------------------------
    _HEADERS = ("output", "input", "status", "max abs err", "max rel err", "worst entry", "kinks")

    def _table(self) -> tuple[str, list[list[Any]]]:
        title = str(self).split("\n", 1)[0]
        rows = []
        for p in self.pairs:
            worst = f"analytic {p.analytic:.6g}, numerical {p.numerical:.6g}" + (
                "" if p.mode == "fast" else f" at {p.worst_input_element}"
            )
            status = "ok" if p.ok else "!MISMATCH"
            rows.append(
                [
                    f"{p.output_index} {p.output_shape}",
                    f"{p.input_index} {p.input_shape}",
                    status,
                    f"{p.max_abs_error:.3g}",
                    f"{p.max_rel_error:.3g}",
                    worst,
                    p.kinks,
                ]
            )
        return title, rows

    def _repr_html_(self) -> str:
        """The report as an HTML table (what Jupyter shows).

        >>> x = tg.randn(2, dtype='float64', requires_grad=True)
        >>> "<table>" in tg.check_gradients(lambda t: t * t, x)._repr_html_()
        True
        """
        title, rows = self._table()
        notes = "".join(f"<br><i>note: {html.escape(n)}</i>" for n in self.notes)
        return html_table(title, self._HEADERS, rows) + notes

    def _repr_markdown_(self) -> str:
        title, rows = self._table()
        return markdown_table(title, self._HEADERS, rows) + "".join(
            f"\n\nnote: {n}" for n in self.notes
        )


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _check_args(name: str, fn: Any, eps: Any, atol: Any, rtol: Any) -> None:
    """TypeError/ValueError naming ``name`` for a non-callable fn or a bad tolerance."""
    if not callable(fn) or isinstance(fn, Tensor):
        raise TypeError(
            f"{name}: fn must be a function of the inputs returning Tensors, got "
            f"{type(fn).__name__}"
        )
    for what, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: {what} must be a number, got {type(v).__name__}")
        if not (math.isfinite(v) and v >= 0) or (what == "eps" and v == 0):
            raise ValueError(
                f"{name}: {what} must be a finite number, "
                f"{'> 0' if what == 'eps' else '>= 0'}, got {v}"
            )


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


def _flat_outputs(fn: Callable, inputs: Sequence[Any]) -> list[np.ndarray]:
    return [o.data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]


def _numerical_jacobians(
    fn: Callable, inputs: list[Any], diff: list[int], eps: float
) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Central, forward and backward difference Jacobians; [k][j] has shape
    (outputs[k].size, inputs[diff[j]].size)."""
    with no_grad():
        base = _flat_outputs(fn, inputs)
        n_out = len(base)
        central = [[np.zeros(0)] * len(diff) for _ in range(n_out)]
        fwd = [[np.zeros(0)] * len(diff) for _ in range(n_out)]
        bwd = [[np.zeros(0)] * len(diff) for _ in range(n_out)]
        for j, i in enumerate(diff):
            x = inputs[i].data  # perturbed in place, so non-contiguous views work too
            blocks = [[np.zeros((b.size, x.size)) for b in base] for _ in range(3)]
            for e in range(x.size):
                idx = np.unravel_index(e, x.shape)
                orig = x[idx]
                x[idx] = orig + eps
                plus = _flat_outputs(fn, inputs)
                x[idx] = orig - eps
                minus = _flat_outputs(fn, inputs)
                x[idx] = orig
                for k in range(n_out):
                    blocks[0][k][:, e] = (plus[k] - minus[k]) / (2 * eps)
                    blocks[1][k][:, e] = (plus[k] - base[k]) / eps
                    blocks[2][k][:, e] = (base[k] - minus[k]) / eps
            for k in range(n_out):
                central[k][j], fwd[k][j], bwd[k][j] = (blocks[t][k] for t in range(3))
    return central, fwd, bwd


def _analytic_jacobians(outs: Sequence[Tensor], targets: list[Tensor]) -> list[list[np.ndarray]]:
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
    fwd: np.ndarray | None = None,
    bwd: np.ndarray | None = None,
) -> PairResult:
    """Compare one Jacobian block; with one-sided differences given, excuse kink crossings."""
    if analytic.size == 0:
        return PairResult(k, i, in_shape, out_shape, 0.0, 0.0, (), (), 0.0, 0.0, True)
    err = np.abs(analytic - numerical)
    err = np.where(np.isnan(err), np.inf, err)  # NaN must fail, not slip through a comparison
    bad = err > atol + rtol * np.abs(numerical)
    excused = np.zeros_like(bad)
    if fwd is not None and bwd is not None:
        slack = atol + rtol * np.maximum(np.abs(fwd), np.abs(bwd))
        lo, hi = np.minimum(fwd, bwd) - slack, np.maximum(fwd, bwd) + slack
        # not differentiable within eps, and backward gave one of the one-sided slopes
        at_kink = (np.abs(fwd - bwd) > slack) & (analytic >= lo) & (analytic <= hi)
        excused = bad & at_kink
        bad &= ~at_kink
    counted = np.where(excused, 0.0, err)
    with np.errstate(invalid="ignore"):
        rel = counted / np.maximum(np.abs(analytic) + np.abs(numerical), atol)
    rel = np.where(np.isnan(rel), np.inf, rel)
    # report the worst failing entry if any fails, else the largest error (NOTE: not
    # `err + 1e300`, which rounds every failing error to the same number)
    score = np.where(bad, counted, -np.inf) if bad.any() else np.where(excused, -1.0, counted)
    m, e = np.unravel_index(int(np.argmax(score)), err.shape)
    kink_at = [
        (
            tuple(int(v) for v in np.unravel_index(mm, out_shape)),
            tuple(int(v) for v in np.unravel_index(ee, in_shape)),
        )
        for mm, ee in np.argwhere(excused)[:3]
    ]
    return PairResult(
        output_index=k,
        input_index=i,
        input_shape=in_shape,
        output_shape=out_shape,
        max_abs_error=float(counted.max()),
        max_rel_error=float(rel.max()),
        worst_input_element=tuple(int(v) for v in np.unravel_index(e, in_shape)),
        worst_output_element=tuple(int(v) for v in np.unravel_index(m, out_shape)),
        analytic=float(analytic[m, e]),
        numerical=float(numerical[m, e]),
        ok=not bool(bad.any()),
        kinks=int(excused.sum()),
        mismatches=int(bad.sum()),
        kink_elements=kink_at,
    )


def _full_pairs(
    fn: Callable,
    inputs: list[Any],
    diff: list[int],
    outs: Sequence[Tensor],
    out_ids: list[int],
    eps: float,
    atol: float,
    rtol: float,
    kinks: bool,
) -> list[PairResult]:
    """Full Jacobian comparison for outputs ``out_ids`` against inputs ``diff``."""
    analytic = _analytic_jacobians([outs[k] for k in out_ids], [inputs[i] for i in diff])
    central, fwd, bwd = _numerical_jacobians(fn, inputs, diff, eps)
    pairs = []
    for a, k in enumerate(out_ids):
        for j, i in enumerate(diff):
            pairs.append(
                _compare(
                    analytic[a][j],
                    central[k][j],
                    atol,
                    rtol,
                    k,
                    i,
                    tuple(inputs[i].shape),
                    tuple(outs[k].shape),
                    fwd[k][j] if kinks else None,
                    bwd[k][j] if kinks else None,
                )
            )
    return pairs


def _unit(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    v = rng.standard_normal(shape)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _fast_pairs(
    fn: Callable,
    inputs: list[Any],
    diff: list[int],
    outs: Sequence[Tensor],
    eps: float,
    atol: float,
    rtol: float,
    kinks: bool,
    seed: int,
    notes: list[str],
) -> list[PairResult]:
    """v^T J u per pair from one backward per output and two forwards per input; a pair that
    fails is checked again in full, and that verdict stands."""
    rng = np.random.default_rng(seed)
    us = [_unit(rng, inputs[i].shape) for i in diff]
    vs = [_unit(rng, o.shape) for o in outs]
    targets = [inputs[i] for i in diff]
    analytic = np.zeros((len(outs), len(diff)))
    for k, o in enumerate(outs):
        if o.requires_grad:
            gs = grad(o, targets, Tensor(vs[k]), retain_graph=True, allow_unused=True)
            for j, g in enumerate(gs):
                if g is not None:
                    analytic[k, j] = float(np.sum(g.data * us[j]))
    numerical = np.zeros_like(analytic)
    with no_grad():
        for j, i in enumerate(diff):
            x = inputs[i].data
            orig = x.copy()
            x[...] = orig + eps * us[j]
            plus = _flat_outputs(fn, inputs)
            x[...] = orig - eps * us[j]
            minus = _flat_outputs(fn, inputs)
            x[...] = orig
            for k in range(len(outs)):
                numerical[k, j] = float(vs[k].reshape(-1) @ (plus[k] - minus[k])) / (2 * eps)
    pairs = []
    for k, o in enumerate(outs):
        for j, i in enumerate(diff):
            a, n = analytic[k, j], numerical[k, j]
            err = abs(a - n) if np.isfinite(a - n) else np.inf
            ok = err <= atol + rtol * abs(n)
            if ok:
                rel = err / max(abs(a) + abs(n), atol)
                shapes = (tuple(inputs[i].shape), tuple(o.shape))
                pairs.append(PairResult(k, i, *shapes, err, rel, (), (), a, n, True, mode="fast"))
                continue
            notes.append(
                f"fast check of d(output {k})/d(input {i}) failed (v^T J u: analytic {a:.6g} vs "
                f"numerical {n:.6g}); ran the full check of that pair"
            )
            pairs += _full_pairs(fn, inputs, [i], outs, [k], eps, atol, rtol, kinks)
    return pairs


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def check_gradients(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    *,
    fast_mode: bool = False,
    kinks: bool = True,
    seed: int = 0,
) -> GradcheckResult:
    """Compare backward with finite differences and return a GradcheckResult (never raises on
    a mismatch).

    An entry passes when ``|analytic - numerical| <= atol + rtol * |numerical|``. ``kinks=True``
    excuses entries whose perturbation crossed a kink (see the module docstring).
    ``fast_mode=True`` compares one random projection v^T J u per pair (seeded by ``seed``)
    instead of the whole Jacobian, and checks a failing pair again in full.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    >>> r = check_gradients(lambda t: t * t, x)
    >>> r.ok, len(r.pairs), r.max_abs_error < 1e-8
    (True, 1, True)
    """
    _check_args("gradcheck", fn, eps, atol, rtol)
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise TypeError(f"gradcheck: order must be a positive int, got {order!r:.40}")
    inputs, diff = _prepare_inputs(inputs, "gradcheck")
    with enable_grad():
        outs = _outputs(fn, inputs)
    result = GradcheckResult(order=order, fast_mode=fast_mode, eps=eps, atol=atol, rtol=rtol)
    if fast_mode:
        result.pairs = _fast_pairs(
            fn, inputs, diff, outs, eps, atol, rtol, kinks, seed, result.notes
        )
    else:
        out_ids = list(range(len(outs)))
        result.pairs = _full_pairs(fn, inputs, diff, outs, out_ids, eps, atol, rtol, kinks)
    return result


def gradcheck(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    *,
    fast_mode: bool = False,
    kinks: bool = True,
    return_result: bool = False,
) -> Any:
    """Check backward against central differences for every (output, input) pair.

    Returns True; on a mismatch raises GradcheckError (a RuntimeError) naming the input, the
    output, the worst element and both values there, or returns False if
    ``raise_exception=False``. With ``return_result=True`` it returns the GradcheckResult
    instead of a bool (truthy when the check passed).

    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(3, 4, dtype="float64", requires_grad=True)
    >>> gradcheck(lambda t: t.tanh().sum(1), x)
    True
    >>> gradcheck(lambda t: t.relu(), x, fast_mode=True)
    True
    """
    result = check_gradients(fn, inputs, eps, atol, rtol, fast_mode=fast_mode, kinks=kinks)
    if not result.ok and raise_exception:
        raise GradcheckError(result)
    return result if return_result else result.ok


def _grad_outputs(grad_outputs: Any, outs: Sequence[Tensor]) -> list[Tensor]:
    """gradgradcheck's grad_outputs as float64 leaves, one per output and of its shape."""
    gos = []
    for g, o in zip(_as_tuple(grad_outputs), outs):
        try:
            arr = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
        if arr is None or arr.shape != tuple(o.shape):
            raise TypeError(
                f"gradgradcheck: each grad_output must be a tensor of its output's shape "
                f"{tuple(o.shape)}, got {type(g).__name__}"
                + ("" if arr is None else f" of shape {arr.shape}")
            )
        gos.append(Tensor(arr, requires_grad=True))
    if len(_as_tuple(grad_outputs)) != len(outs):
        raise ValueError(
            f"gradgradcheck: got {len(_as_tuple(grad_outputs))} grad_outputs for {len(outs)} "
            "outputs; give one per output"
        )
    return gos


def _grad_fn(fn: Callable, n_inputs: int, diff_positions: list[int]) -> Callable:
    """Return f(*inputs, *grad_outputs) -> the vector-Jacobian products, differentiable."""

    def vjp(*args: Any) -> tuple[Tensor, ...]:
        ins, gos = list(args[:n_inputs]), list(args[n_inputs:])
        targets = [ins[i] for i in diff_positions]
        outer = is_grad_enabled()
        with enable_grad():  # the numerical pass runs under no_grad; this inner grad needs a graph
            outs = _outputs(fn, ins)
            live = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
            gs: Sequence[Tensor | None] = [None] * len(targets)
            if live:
                gs = grad(
                    [o for o, _ in live],
                    targets,
                    [g for _, g in live],
                    create_graph=outer,
                    allow_unused=True,
                )
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
    *,
    fast_mode: bool = False,
    kinks: bool = True,
    return_result: bool = False,
) -> Any:
    """Check second derivatives: gradcheck of the vector-Jacobian product of ``fn``.

    ``grad_outputs`` default to seeded random tensors shaped like the outputs. Options as in
    ``gradcheck``.

    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(3, dtype="float64", requires_grad=True)
    >>> gradgradcheck(lambda t: (t ** 3).sum(), x)
    True
    """
    _check_args("gradgradcheck", fn, eps, atol, rtol)
    inputs, diff = _prepare_inputs(inputs, "gradgradcheck")
    with enable_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(1234)
        gos = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        gos = _grad_outputs(grad_outputs, outs)
    result = check_gradients(
        _grad_fn(fn, len(inputs), diff),
        (*inputs, *gos),
        eps,
        atol,
        rtol,
        order=2,
        fast_mode=fast_mode,
        kinks=kinks,
    )
    if gos:
        result.notes.append(
            f"second order: outputs are the gradients w.r.t. inputs {diff}; inputs "
            f"{len(inputs)}..{len(inputs) + len(gos) - 1} are the grad_outputs"
        )
    if not result.ok and raise_exception:
        raise GradcheckError(result)
    return result if return_result else result.ok


# whole-model checks live in model_check.py; re-exported here for one import place
from .model_check import ModelGradCheck, ParamGradCheck, check_model_grads  # noqa: E402, F401
