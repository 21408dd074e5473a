"""Assertions for users' test suites (pytest or unittest): gradient checks that fail with the
full report as the message.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn.testing import assert_gradcheck
>>> x = tg.randn(2, 3, dtype="float64", requires_grad=True)
>>> assert_gradcheck(lambda t: t.sigmoid() * t, x).ok
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .gradcheck import (
    GradcheckResult,
    ModelGradCheck,
    check_gradients,
    check_model_grads,
    gradgradcheck,
)

__all__ = ["assert_gradcheck", "assert_gradgradcheck", "assert_model_grads"]


def assert_gradcheck(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    fast_mode: bool = False,
    kinks: bool = True,
) -> GradcheckResult:
    """Assert that ``fn``'s backward matches finite differences; return the GradcheckResult.

    Raises AssertionError whose message is the report: for each (output, input) pair that
    disagrees, the input, the worst element and the analytic and numerical values there.

    >>> import numpy as np, tinygrad_cnn as tg
    >>> class Twice(tg.Function):          # a wrong backward: forgets the factor 2
    ...     def forward(self, x):
    ...         return 2 * x
    ...     def backward(self, g):
    ...         return g
    >>> x = tg.Tensor(np.ones(3), requires_grad=True)
    >>> assert_gradcheck(Twice.apply, x)
    Traceback (most recent call last):
    ...
    AssertionError: gradcheck: FAILED (1 of 1 pairs) ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    result = check_gradients(fn, inputs, eps, atol, rtol, fast_mode=fast_mode, kinks=kinks)
    if not result.ok:
        raise AssertionError(str(result))
    return result


def assert_gradgradcheck(
    fn: Callable,
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    fast_mode: bool = False,
    kinks: bool = True,
) -> GradcheckResult:
    """Assert that second derivatives (of the vector-Jacobian product) match finite differences.

    >>> import tinygrad_cnn as tg
    >>> x = tg.randn(3, dtype="float64", requires_grad=True)
    >>> assert_gradgradcheck(lambda t: t.tanh(), x).ok
    True
    """
    __tracebackhide__ = True
    result = gradgradcheck(
        fn,
        inputs,
        grad_outputs,
        eps,
        atol,
        rtol,
        raise_exception=False,
        fast_mode=fast_mode,
        kinks=kinks,
        return_result=True,
    )
    if not result.ok:
        raise AssertionError(str(result))
    return result


def assert_model_grads(
    model: Any,
    inputs: Any,
    target: Any,
    loss_fn: Callable | None = None,
    num_checks: int = 10,
    seed: int = 0,
) -> ModelGradCheck:
    """Assert that no parameter tensor of ``model`` gets a "WRONG" verdict in check_model_grads.

    >>> import numpy as np, tinygrad_cnn as tg
    >>> from tinygrad_cnn.nn.module import Module, Parameter
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.s = Parameter(tg.ones(3))
    ...     def forward(self, x):
    ...         return x * self.s
    >>> assert_model_grads(Scale(), np.eye(3), np.array([0, 1, 2])).ok
    True
    """
    __tracebackhide__ = True
    report = check_model_grads(model, inputs, target, loss_fn, num_checks, seed)
    if not report.ok:
        raise AssertionError(str(report))
    return report
