"""A PyTorch user's script, run on tinygrad_cnn by changing only the imports.

It is written as PyTorch code: swap the three imports below for ``import torch``,
``import torch.nn as nn`` and ``import torch.nn.functional as F`` and it runs on PyTorch,
printing the same numbers (tests/test_pytorch_style.py checks both). It uses creation
functions, shape ops, gather/scatter, scans and order statistics, einsum and linalg, and trains
a small classifier. Every value is deterministic (no random draws), so the two runs can agree.

Run: python examples/pytorch_style.py
"""

from __future__ import annotations

import tinygrad_cnn as torch
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F


def fmt(t) -> str:
    """A tensor's values, rounded, as text that is the same for both libraries."""
    return str([round(float(v), 4) for v in t.detach().reshape(-1).tolist()])


def data() -> tuple:
    x = torch.linspace(-1.0, 1.0, 48).reshape(8, 6)
    wiggle = torch.tensor([(i * 7) % 11 / 10 - 0.5 for i in range(48)]).reshape(8, 6)
    x = x + wiggle
    y = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1])
    return x, y


def tensor_ops(x: torch.Tensor, y: torch.Tensor) -> None:
    print("topk", fmt(torch.topk(x[0], 2).values), torch.topk(x[0], 2).indices.tolist())
    values, order = torch.sort(x[:, 0], descending=True)
    print("sort", fmt(values), order.tolist())
    print("cumsum", fmt(x[1].cumsum(dim=0)), "cumprod", fmt(torch.cumprod(x[2], 0)))
    print("median", fmt(x.median(dim=1).values), "kthvalue", fmt(x.kthvalue(2, dim=0).values))
    picked = x.gather(1, y.unsqueeze(1))
    print("gather", fmt(picked))
    counts = torch.zeros(3).scatter_add(0, y, torch.ones(8))
    print("scatter_add", fmt(counts))
    uniq, inverse, n = torch.unique(y, return_inverse=True, return_counts=True)
    print("unique", uniq.tolist(), inverse.tolist(), n.tolist())
    gram = torch.einsum("ik,jk->ij", x, x)
    print("einsum", fmt(gram.diagonal()), "trace", fmt(torch.trace(gram)))
    print("tril", fmt(gram[:3, :3].tril()), "roll", fmt(torch.roll(x[0], 2)))
    masked = x.masked_fill(x < 0, 0.0)
    print("masked_fill", fmt(masked.sum(dim=1)), "where", torch.where(y == 2)[0].tolist())
    std, mean = torch.std_mean(x, dim=0)
    print("std_mean", fmt(std), fmt(mean))
    print("norm", fmt(torch.linalg.vector_norm(x, ord=2, dim=1)), fmt(x.norm(p=1)))
    a = gram[:3, :3] + 3 * torch.eye(3)
    print(
        "solve",
        fmt(torch.linalg.solve(a, torch.ones(3))),
        "det",
        round(torch.linalg.det(a).item(), 2),
    )
    gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
    print("meshgrid", gx.tolist(), gy.tolist())
    print("repeat_interleave", y[:3].repeat_interleave(2).tolist())
    parts = torch.tensor_split(torch.arange(7), 3)
    print("tensor_split", [p.tolist() for p in parts])
    print("argmax", x.argmax(dim=1, keepdim=True).reshape(-1).tolist())


def deterministic_init(model: nn.Module) -> None:
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            ramp = torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape)
            p.copy_(ramp * (1.0 if i % 2 == 0 else 0.2))


def train(x: torch.Tensor, y: torch.Tensor) -> None:
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    deterministic_init(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for step in range(30):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    print("accuracy", (pred == y).float().mean().item())


def main() -> None:
    x, y = data()
    tensor_ops(x, y)
    train(x, y)


if __name__ == "__main__":
    main()
