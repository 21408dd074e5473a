"""Whole-model gradient checks: every parameter tensor's backprop gradient against central
differences of the loss at a few random entries, in float64, with a verdict band per tensor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._tables import html_table, markdown_table
from .autograd import enable_grad, no_grad
from .graph import grad
from .tensor import Tensor


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


GOOD_REL_ERROR = 1e-7  # below: the gradient is right
KINK_REL_ERROR = 1e-4  # below: fine where relu/max-pool kinks are near; above: wrong
_TINY = float(np.finfo(np.float64).tiny)


@dataclass
class ParamGradCheck:
    """One parameter tensor in check_model_grads: the worst of its checked entries."""

    name: str
    shape: tuple[int, ...]
    checked: int
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numerical: float
    verdict: str  # "good", "fine at kinks", "at a kink" or "WRONG"
    kinks: int = 0  # entries above KINK_REL_ERROR excused because a perturbation crossed a kink

    @property
    def ok(self) -> bool:
        return self.verdict != "WRONG"


@dataclass
class ModelGradCheck:
    """The report of check_model_grads; ``str()`` gives one table row per parameter tensor."""

    params: list[ParamGradCheck]
    eps: float
    loss: float

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.params)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def max_rel_error(self) -> float:
        return max((p.max_rel_error for p in self.params), default=0.0)

    def __str__(self) -> str:
        w = max([len("parameter")] + [len(p.name) for p in self.params])
        wi = max([len("worst at")] + [len(str(p.worst_index)) for p in self.params])
        ws = max([len("shape")] + [len(str(p.shape)) for p in self.params])
        status = "passed" if self.ok else "FAILED"
        lines = [
            f"model gradient check: {status} (loss {self.loss:.6g}, eps {self.eps:g}; relative "
            "error |a - n| / max(|a| + |n|, tiny): < 1e-7 good, < 1e-4 fine at kinks, above "
            "wrong)",
            f"  {'parameter':<{w}}  {'shape':<{ws}}  {'checked':>7}  {'max rel err':>11}  "
            f"{'analytic':>12}  {'numerical':>12}  {'worst at':<{wi}}  verdict",
        ]
        for p in self.params:
            verdict = p.verdict + (f" ({p.kinks} at a kink)" if p.kinks and p.ok else "")
            lines.append(
                f"  {p.name:<{w}}  {str(p.shape):<{ws}}  {p.checked:>7}  {p.max_rel_error:>11.2e}  "
                f"{p.analytic:>12.5g}  {p.numerical:>12.5g}  {p.worst_index!s:<{wi}}  {verdict}"
            )
        return "\n".join(lines)

    # -- notebooks: Jupyter shows the report as a table ---------------------------------------
    _HEADERS = (
        "parameter",
        "shape",
        "checked",
        "max rel err",
        "analytic",
        "numerical",
        "worst at",
        "verdict",
    )

    def _table(self) -> tuple[str, list[list[Any]]]:
        rows = []
        for p in self.params:
            verdict = p.verdict + (f" ({p.kinks} at a kink)" if p.kinks and p.ok else "")
            rows.append(
                [
                    p.name,
                    p.shape,
                    p.checked,
                    f"{p.max_rel_error:.2e}",
                    f"{p.analytic:.5g}",
                    f"{p.numerical:.5g}",
                    p.worst_index,
                    verdict if p.ok else "!" + verdict,
                ]
            )
        return str(self).split("\n", 1)[0], rows

    def _repr_html_(self) -> str:
        """The report as an HTML table, one row per parameter (what Jupyter shows)."""
        title, rows = self._table()
        return html_table(title, self._HEADERS, rows)

    def _repr_markdown_(self) -> str:
        title, rows = self._table()
        return markdown_table(title, self._HEADERS, rows)


def _named_params(model: Any) -> list[tuple[str, Tensor]]:
    if hasattr(model, "named_parameters"):
        named = list(model.named_parameters())
    elif hasattr(model, "parameters"):
        named = [(f"param{i}", p) for i, p in enumerate(model.parameters())]
    else:
        raise TypeError(
            f"check_model_grads: model must be an nn.Module (with named_parameters()), got "
            f"{type(model).__name__}"
        )
    return [(n, p) for n, p in named if p.requires_grad]


def _to_float64(x: Any) -> Any:
    if isinstance(x, Tensor):
        return Tensor(x.data.astype(np.float64)) if x.dtype.kind == "f" else x
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return Tensor(x.astype(np.float64))
    if isinstance(x, (tuple, list)):
        return type(x)(_to_float64(v) for v in x)
    return x


def _verdict(rel: float) -> str:
    return "good" if rel < GOOD_REL_ERROR else "fine at kinks" if rel < KINK_REL_ERROR else "WRONG"


def _check_param(
    name: str, p: Tensor, ga: np.ndarray, picks: np.ndarray, loss: Callable, base: float, eps: float
) -> ParamGradCheck:
    """Central differences of the loss at the picked entries of one parameter."""
    rows = []
    for flat in picks:
        idx = np.unravel_index(int(flat), p.shape)
        orig = p.data[idx]
        p.data[idx] = orig + eps
        lp = float(loss().data)
        p.data[idx] = orig - eps
        lm = float(loss().data)
        p.data[idx] = orig
        a, n = float(ga[idx]), (lp - lm) / (2 * eps)
        fwd, bwd = (lp - base) / eps, (base - lm) / eps
        rel = abs(a - n) / max(abs(a) + abs(n), _TINY)
        slack = KINK_REL_ERROR * (abs(fwd) + abs(bwd)) + 1e-12
        kink = bool(rel >= KINK_REL_ERROR) and bool(
            min(fwd, bwd) - slack <= a <= max(fwd, bwd) + slack
        )
        rows.append((kink, rel, tuple(int(v) for v in idx), a, n))
    counted = [r for r in rows if not r[0]] or rows
    _, rel, idx, a, n = max(counted, key=lambda r: r[1])
    n_kinks = int(sum(r[0] for r in rows))
    verdict = "at a kink" if all(r[0] for r in rows) else _verdict(rel)
    return ParamGradCheck(name, tuple(p.shape), len(rows), rel, idx, a, n, verdict, n_kinks)


def check_model_grads(
    model: Any,
    inputs: Any,
    target: Any,
    loss_fn: Callable | None = None,
    num_checks: int = 10,
    seed: int = 0,
    eps: float = 1e-6,
) -> ModelGradCheck:
    """Compare backprop gradients of every parameter with central differences of the loss.

    The model is cast to float64 for the check and restored afterwards (parameters, buffers,
    ``.grad`` and the random generator, so dropout draws the same masks in every evaluation).
    In each parameter tensor ``num_checks`` entries are drawn at random (seeded); each gets the
    relative error ``|a - n| / max(|a| + |n|, tiny)``, and the tensor the band of its worst
    entry: < 1e-7 good, < 1e-4 fine at kinks, above that wrong, unless that entry's
    perturbation crossed a kink (its one-sided differences bracket the analytic value).
    ``loss_fn(output, target)`` defaults to cross_entropy.

    >>> import numpy as np, tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.module import Module, Parameter
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Parameter(tg.randn(3, 2))
    ...     def forward(self, x):
    ...         return x @ self.w
    >>> report = check_model_grads(Affine(), np.ones((4, 3)), np.array([0, 1, 1, 0]))
    >>> report.ok, report.params[0].verdict
    (True, 'good')
    """
    from . import random as _random

    if loss_fn is None:
        from .nn.functional import cross_entropy as loss_fn
    params = _named_params(model)
    if not params:
        raise ValueError("check_model_grads: the model has no parameters that require grad")
    buffers = list(model.named_buffers()) if hasattr(model, "named_buffers") else []
    state = [(t, t.data, t.grad) for _, t in params + buffers if t is not None]
    rng_state = _random.get_rng_state()
    xs, tgt = _as_tuple(_to_float64(inputs)), _to_float64(target)

    def loss() -> Tensor:
        _random.set_rng_state(rng_state)  # same dropout masks in every evaluation
        out = loss_fn(model(*xs), tgt)
        if not isinstance(out, Tensor) or out.data.size != 1:
            shape = getattr(out, "shape", type(out).__name__)
            raise ValueError(
                f"check_model_grads: loss_fn must return a scalar Tensor, got {shape}; "
                "reduce it (e.g. reduction='mean')"
            )
        return out

    rng = np.random.default_rng(seed)
    try:
        for t, data, _ in state:
            if data.dtype.kind == "f":
                t.data = np.array(data, dtype=np.float64)
        with enable_grad():
            total = loss()
            grads = grad(total, [p for _, p in params], allow_unused=True)
        reports = []
        with no_grad():
            base = float(loss().data)
            for (name, p), g in zip(params, grads):
                ga = np.zeros(p.shape) if g is None else g.data
                picks = np.sort(rng.choice(p.data.size, min(num_checks, p.data.size), False))
                reports.append(_check_param(name, p, ga, picks, loss, base, eps))
    finally:
        for t, data, g in state:
            t.data, t.grad = data, g
        _random.set_rng_state(rng_state)
    return ModelGradCheck(reports, eps, base)
