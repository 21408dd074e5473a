"""Higher-order gradients: a Hessian-vector product and a gradient penalty.

Every backward in tinygrad_cnn is written with Tensor ops, so with ``create_graph=True`` the
gradient is itself a differentiable tensor. Two uses:

1. Hessian-vector product H v = grad(grad(f) . v): curvature along v for the price of two
   backward passes, checked against the explicit Hessian and against finite differences.
2. A gradient penalty (as in WGAN-GP): a loss that contains ||d out / d input||, trained with
   plain backward() through both the model and its own gradient.

Run: python examples/higher_order.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def hessian_vector_product(f, x: tg.Tensor, v: tg.Tensor) -> tg.Tensor:
    (g,) = tg.grad(f(x), x, create_graph=True)  # grad f, with its own graph
    (hv,) = tg.grad((g * v).sum(), x)  # grad (grad f . v) = H v
    return hv


def hvp_demo() -> None:
    print("1. Hessian-vector product")
    tg.manual_seed(0)
    n = 6
    A = tg.randn(n, n, dtype="float64")

    def f(x: tg.Tensor) -> tg.Tensor:  # a smooth non-quadratic function
        return (A @ x).tanh().pow(2).sum() + x.exp().sum() / n

    x = tg.randn(n, dtype="float64", requires_grad=True)
    v = tg.randn(n, dtype="float64")
    hv = hessian_vector_product(f, x, v)

    # the full Hessian, one row per backward of a gradient component (n passes)
    (g,) = tg.grad(f(x), x, create_graph=True)
    H = np.stack([tg.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(n)])
    # central differences of the gradient along v
    eps = 1e-6

    def grad_at(p: np.ndarray) -> np.ndarray:
        t = tg.Tensor(p, requires_grad=True)
        return tg.grad(f(t), t)[0].numpy()

    fd = (grad_at(x.numpy() + eps * v.numpy()) - grad_at(x.numpy() - eps * v.numpy())) / (2 * eps)
    err_h = np.abs(hv.numpy() - H @ v.numpy()).max()
    err_fd = np.abs(hv.numpy() - fd).max()
    print(f"   H v            = {np.round(hv.numpy(), 4)}")
    print(f"   |Hv - H @ v|   = {err_h:.2e}   (H symmetric: {np.allclose(H, H.T)})")
    print(f"   |Hv - finite differences| = {err_fd:.2e}")
    if err_h > 1e-10 or err_fd > 1e-5:
        raise SystemExit("Hessian-vector product disagrees with its checks")


def gradient_penalty_demo(weight: float, steps: int = 150) -> float:
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
    )
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)
    xs = tg.linspace(-2, 2, 64).reshape(64, 1)
    ys = tg.Tensor(np.sin(3 * xs.numpy()))  # the target needs no gradient
    for step in range(steps + 1):
        x = xs.detach().requires_grad_()
        out = model(x)
        (slope,) = tg.grad(out.sum(), x, create_graph=True)  # d out / d x for every sample
        penalty = (slope.abs() - 1.0).relu().pow(2).mean()  # only slopes steeper than 1 cost
        fit = F.mse_loss(out, ys)
        loss = fit + weight * penalty
        opt.zero_grad()
        loss.backward()  # differentiates through the gradient too
        opt.step()
        if step % 50 == 0 and weight:
            print(
                f"   step {step:3d}: fit {fit.item():.4f}  penalty {penalty.item():.4f}  "
                f"max |slope| {slope.abs().max().item():.2f}"
            )
    grads = [p.grad for p in model.parameters()]
    if any(g is None or not np.isfinite(g.numpy()).all() for g in grads):
        raise SystemExit("a parameter received no finite gradient")
    return slope.abs().max().item()


def main() -> int:
    hvp_demo()
    print("2. Gradient penalty: fit y = sin(3x) (slope up to 3) while penalising |dy/dx| > 1")
    steep = gradient_penalty_demo(weight=1.0)
    free = gradient_penalty_demo(weight=0.0)
    print(f"   max |slope| after training: {steep:.2f} with the penalty, {free:.2f} without")
    if not steep < free:
        raise SystemExit("the gradient penalty did not reduce the slope")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
