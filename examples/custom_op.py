"""Write your own differentiable op and check its gradients.

A custom op subclasses ``tinygrad_cnn.Function``: ``forward`` computes on numpy arrays,
``backward`` returns the input's gradient written with Tensor ops (so it can be differentiated
again). Before trusting it, compare it with finite differences: ``gradcheck`` (first
derivatives), ``gradgradcheck`` (second), or ``tinygrad_cnn.testing.assert_gradcheck`` inside
a pytest suite. The second half shows the report for a backward with a bug.

Run: python examples/custom_op.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.testing import assert_gradcheck, assert_gradgradcheck


class LogCosh(tg.Function):
    """log(cosh(x)): quadratic near 0, linear far away (a smooth L1 loss)."""

    # d/dx log(cosh(x)) = tanh(x)
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.save_for_backward(x)
        a = np.abs(x)  # NOTE: log(cosh x) = |x| + log1p(exp(-2|x|)) - log 2 never overflows
        return a + np.log1p(np.exp(-2 * a)) - np.log(2.0)

    def backward(self, grad: tg.Tensor) -> tg.Tensor:
        (x,) = self.saved_tensors
        return grad * x.tanh()


class BuggyLogCosh(LogCosh):
    """The same op with a typical bug: a gradient clipped by mistake."""

    def backward(self, grad: tg.Tensor) -> tg.Tensor:
        (x,) = self.saved_tensors
        return grad * x.tanh().clamp(-0.9, 0.9)  # wrong wherever |tanh x| > 0.9


def log_cosh_loss(pred: tg.Tensor, target: tg.Tensor) -> tg.Tensor:
    return LogCosh.apply(pred - target).mean()


def main() -> int:
    tg.manual_seed(0)
    # float64 inputs: finite differences in float32 are too coarse to judge a gradient
    x = tg.randn(3, 4, dtype="float64", requires_grad=True)
    target = tg.randn(3, 4, dtype="float64", requires_grad=True)

    print("gradcheck(LogCosh):", tg.gradcheck(LogCosh.apply, x))
    print("gradgradcheck(LogCosh):", tg.gradgradcheck(LogCosh.apply, x))
    # the same checks as a test suite would write them, through a composite loss
    assert_gradcheck(log_cosh_loss, (x, target))
    assert_gradgradcheck(log_cosh_loss, (x, target))
    print(
        "fast mode (one random projection per pair):",
        tg.gradcheck(LogCosh.apply, x, fast_mode=True),
    )

    x.data[1, 2] = 2.5  # tanh(2.5) = 0.987: the clipped gradient is wrong here only
    result = tg.check_gradients(BuggyLogCosh.apply, x)
    print("\nBuggyLogCosh, one input element outside the clip range:")
    print(result)
    worst = result.failures[0]
    print(
        f"\n-> the bug is at input {worst.input_index}, element {worst.worst_input_element}: "
        f"backward gave {worst.analytic:.4f}, finite differences {worst.numerical:.4f}"
    )
    return 0 if not result.ok else 1  # the demo succeeds when the bug is caught


if __name__ == "__main__":
    raise SystemExit(main())
