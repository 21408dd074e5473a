"""What a CNN learns: train a small CNN on the built-in 8x8 digits for a few epochs and draw its
first-layer filters before and after training, and the feature maps of one test digit.

Writes filters_initial.png, filters_trained.png and feature_maps.png into --out
(default: runs/filters/). Needs matplotlib (pip install 'tinygrad-cnn[plot]').

Run: python examples/visualize_filters.py [--epochs 3] [--out runs/filters]
"""

from __future__ import annotations

import argparse
import os

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn, viz
from tinygrad_cnn.data import DataLoader, get_dataset


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--filters", type=int, default=8, help="number of 5x5 filters in conv1")
    p.add_argument("--out", default=os.path.join("runs", "filters"))
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    tg.manual_seed(0)
    train_set, test_set = get_dataset("digits", train=True), get_dataset("digits", train=False)
    k = args.filters
    model = nn.Sequential(
        nn.Conv2d(1, k, 5, padding=2),  # 5x5 filters, padding keeps 8x8
        nn.ReLU(),
        nn.MaxPool2d(2),  # 8x8 -> 4x4
        nn.Flatten(),
        nn.Linear(k * 4 * 4, 10),
    )
    viz.plot_filters(model, os.path.join(args.out, "filters_initial.png"), title="initial")
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(1, args.epochs + 1):
        for x, y in DataLoader(train_set, batch_size=64, shuffle=True, seed=epoch):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with tg.no_grad():
            x, y = next(iter(DataLoader(test_set, batch_size=len(test_set))))
            acc = (model(x).argmax(1) == y).float().mean().item()
        model.train()
        print(f"epoch {epoch}: test accuracy {acc:.4f}")

    viz.plot_filters(
        model, os.path.join(args.out, "filters_trained.png"), title=f"trained ({acc:.0%})"
    )
    image, label = test_set[0]
    viz.plot_feature_maps(model, image, "0", os.path.join(args.out, "feature_maps.png"))
    for name in ("filters_initial.png", "filters_trained.png", "feature_maps.png"):
        print(f"wrote {os.path.join(args.out, name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
