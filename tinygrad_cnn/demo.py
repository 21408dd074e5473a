"""The `make demo` job until `tinygrad-cnn train` lands: a small model in the tensor API,
trained with backward on generated data, printing its loss as it falls."""

from __future__ import annotations

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F


def make_data(n: int = 512, seed: int = 0) -> tuple[tg.Tensor, tg.Tensor]:
    """Two interleaved spirals: not linearly separable, so the hidden layer has work to do."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.25, 1.0, n) * 3 * np.pi
    label = rng.integers(0, 2, n)
    r = t / (3 * np.pi)
    angle = t + label * np.pi
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], 1) + rng.normal(0, 0.02, (n, 2))
    return tg.Tensor(x.astype(np.float32)), tg.Tensor(label)


def main(steps: int = 300, lr: float = 0.5) -> list[float]:
    tg.manual_seed(0)
    x, y = make_data()
    w1 = (tg.randn(2, 64) * 1.0).requires_grad_()
    b1 = tg.zeros(64, requires_grad=True)
    w2 = (tg.randn(64, 2) * 0.1).requires_grad_()
    b2 = tg.zeros(2, requires_grad=True)
    params = [w1, b1, w2, b2]
    losses = []
    for step in range(steps + 1):
        logits = (x @ w1 + b1).tanh() @ w2 + b2
        loss = F.cross_entropy(logits, y)
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p.data -= lr * p.grad.data
        losses.append(loss.item())
        if step % 50 == 0:
            acc = (logits.argmax(1) == y).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  accuracy {acc:.3f}")
    return losses


if __name__ == "__main__":
    main()
