"""Train a small CNN on scikit-learn's 8x8 handwritten digits (no download), written out as a
plain training loop: DataLoader, forward, cross-entropy, backward, Adam step, evaluation.

Run: python examples/train_digits.py [--epochs 3] [--out runs/digits_example]
With --out it also saves a checkpoint (tg.save) and the loss/accuracy curves.
"""

from __future__ import annotations

import argparse
import os
import time

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.data import DataLoader, get_dataset
from tinygrad_cnn.models import DigitsCNN


def evaluate(model: tg.nn.Module, dataset) -> float:
    model.eval()  # dropout off
    correct = 0
    with tg.no_grad():  # no graph: evaluation needs no gradients
        for x, y in DataLoader(dataset, batch_size=512):
            correct += int((model(x).argmax(1) == y).sum().item())
    model.train()
    return correct / len(dataset)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="directory for checkpoint.npz and curves.png")
    args = p.parse_args(argv)

    tg.manual_seed(args.seed)
    train_set, test_set = get_dataset("digits", train=True), get_dataset("digits", train=False)
    model = DigitsCNN()
    opt = tg.optim.Adam(model.parameters(), lr=args.lr)
    print(f"{len(train_set)} training / {len(test_set)} test digits; model:")
    print(tg.summary(model, (1, 8, 8)))

    history = []
    for epoch in range(1, args.epochs + 1):
        t0, total, loss_sum = time.perf_counter(), 0, 0.0
        loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=epoch)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(y)
            total += len(y)
        acc = evaluate(model, test_set)
        history.append({"epoch": epoch, "train_loss": loss_sum / total, "test_acc": acc})
        print(
            f"epoch {epoch}: train loss {loss_sum / total:.4f}  test accuracy {acc:.4f}  "
            f"({time.perf_counter() - t0:.1f} s)"
        )

    if args.out:
        os.makedirs(args.out, exist_ok=True)
        ckpt = os.path.join(args.out, "checkpoint.npz")
        tg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, ckpt)
        print(f"saved {ckpt}")
        try:
            from tinygrad_cnn.viz import plot_history

            plot_history(history, os.path.join(args.out, "curves.png"))
            print(f"saved {os.path.join(args.out, 'curves.png')}")
        except ImportError:
            print("matplotlib is not installed: no curves.png (pip install 'tinygrad-cnn[plot]')")
    print(f"final test accuracy: {history[-1]['test_acc']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
