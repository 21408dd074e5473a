"""Train LeNet-5 on MNIST (28x28 handwritten digits): the classic CONV-RELU-POOL x2, FC x3.

MNIST is not bundled. Put its four IDX files (train-images-idx3-ubyte[.gz], ...) in --data-dir
(default: $TINYGRAD_CNN_DATA or ~/.cache/tinygrad_cnn/data), or pass --download to fetch them
(checksums are verified). Without them the script says so and exits with status 1.

By default it trains one epoch on the first 6000 training images, which takes well under a
minute and reaches about 95% test accuracy; --limit 0 uses all 60000.

Run: python examples/train_lenet_mnist.py [--download] [--epochs 1] [--limit 6000]
"""

from __future__ import annotations

import argparse
import sys
import time

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.data import DataLoader, DatasetNotFoundError, Subset, get_dataset
from tinygrad_cnn.models import LeNet5


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=None, help="directory with the MNIST files")
    p.add_argument("--download", action="store_true", help="fetch missing MNIST files")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--limit", type=int, default=6000, help="training images used (0: all)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    try:
        train_set = get_dataset("mnist", root=args.data_dir, train=True, download=args.download)
        test_set = get_dataset("mnist", root=args.data_dir, train=False, download=args.download)
    except DatasetNotFoundError as e:
        print(
            f"MNIST files not found.\n{e}\n\nTo get them, run this script with --download "
            "(or: tinygrad-cnn train --data mnist --download), or copy the four IDX files "
            "into --data-dir. The built-in digits need no download: "
            "python examples/train_digits.py",
            file=sys.stderr,
        )
        return 1

    tg.manual_seed(args.seed)
    if args.limit:
        train_set = Subset(train_set, range(min(args.limit, len(train_set))))
    model = LeNet5()
    opt = tg.optim.Adam(model.parameters(), lr=args.lr)
    print(tg.summary(model, (1, 28, 28)))
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=epoch)
        for step, (x, y) in enumerate(loader):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 50 == 0:
                print(f"epoch {epoch} step {step:4d}/{len(loader)}  loss {loss.item():.4f}")
        model.eval()
        correct = 0
        with tg.no_grad():
            for x, y in DataLoader(test_set, batch_size=1000):
                correct += int((model(x).argmax(1) == y).sum().item())
        model.train()
        print(
            f"epoch {epoch}: test accuracy {correct / len(test_set):.4f} "
            f"({time.perf_counter() - t0:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
