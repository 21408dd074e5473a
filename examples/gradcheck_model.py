"""Check gradients against finite differences: single ops (conv2d, max_pool2d, cross-entropy),
their second derivatives, and every parameter of whole models (LeNet-5, the digits CNN).

All in float64: finite differences in float32 are too coarse to judge a gradient.
Exits with status 1 if any check fails.

Run: python examples/gradcheck_model.py [--num-checks 10]
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.models import DigitsCNN, LeNet5


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-checks", type=int, default=10, help="entries checked per parameter")
    args = p.parse_args(argv)
    tg.manual_seed(0)
    ok = True

    def f64(*shape: int) -> tg.Tensor:
        return tg.randn(*shape, dtype="float64", requires_grad=True)

    x, w, b = f64(2, 2, 5, 5), f64(3, 2, 3, 3), f64(3)  # small: one backward per element
    target = tg.Tensor([1, 3])
    checks = {
        "conv2d (stride 2, padding 1)": (
            lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
            (x, w, b),
        ),
        "max_pool2d 2x2": (lambda x: F.max_pool2d(x, 2), (x,)),
        "conv -> relu -> pool -> cross_entropy": (
            lambda x, w: F.cross_entropy(
                F.max_pool2d(F.conv2d(x, w, padding=1).relu(), 2).flatten(1), target
            ),
            (x, w),
        ),
    }
    for name, (fn, inputs) in checks.items():
        first = tg.check_gradients(fn, inputs)
        second = tg.gradgradcheck(fn, inputs, raise_exception=False)
        ok &= bool(first) and bool(second)
        print(
            f"{name:40s} gradcheck {'ok' if first else 'FAIL'} "
            f"(max rel err {first.max_rel_error:.1e})  gradgradcheck {'ok' if second else 'FAIL'}"
        )
        if not first:
            print(first)

    rng = np.random.default_rng(0)
    for model, shape in [(LeNet5(), (2, 1, 28, 28)), (DigitsCNN(), (4, 1, 8, 8))]:
        model.eval()  # no dropout; the checker also handles dropout in train mode
        inputs = rng.standard_normal(shape)
        labels = rng.integers(0, 10, shape[0])
        report = tg.check_model_grads(model, inputs, target=labels, num_checks=args.num_checks)
        print(f"\n{type(model).__name__}:")
        print(report)
        ok &= bool(report)

    print("\nall gradient checks passed" if ok else "\nSOME GRADIENT CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
