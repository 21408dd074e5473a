"""conv2d and max_pool2d, forward + backward, at LeNet-5 and CIFAR-style shapes.

Run with ``python -m benchmarks.conv``. Prints the median time of tinygrad_cnn and, where
PyTorch is installed, of PyTorch on the CPU (``torch.set_num_threads(2)``, or ``--threads``)
measured in the same run, in interleaved rounds so both see the same machine state, and their
ratio (ours / torch: below 1 means faster). The best (minimum) times are printed too: on a
shared machine they are the steadier comparison."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F

# (name, input shape, weight shape or None for a 2x2 max pool, padding, input needs grad)
CASES = [
    ("lenet conv1 1->6 5x5", (64, 1, 28, 28), (6, 1, 5, 5), 0, False),
    ("lenet pool1 2x2", (64, 6, 24, 24), None, 0, True),
    ("lenet conv2 6->16 5x5", (64, 6, 12, 12), (16, 6, 5, 5), 0, True),
    ("lenet pool2 2x2", (64, 16, 8, 8), None, 0, True),
    ("cifar conv1 3->32 3x3 p1", (64, 3, 32, 32), (32, 3, 3, 3), 1, False),
    ("cifar pool1 2x2", (64, 32, 32, 32), None, 0, True),
    ("cifar conv2 32->64 3x3 p1", (64, 32, 16, 16), (64, 32, 3, 3), 1, True),
    ("cifar pool2 2x2", (64, 64, 16, 16), None, 0, True),
]


def _batch_last(a: np.ndarray) -> np.ndarray:
    """The same NCHW values stored (C, H, W, N), the layout tinygrad_cnn's conv and pool
    produce; an inner layer (and the gradient reaching it) arrives in this layout."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def _ours(xs, ws, pad, x_grad) -> Callable[[], None]:
    # NOTE: a first layer (x_grad False) gets its input as a loader gives it: contiguous NCHW
    x = tg.Tensor(_batch_last(xs) if x_grad else xs, requires_grad=x_grad)
    w = tg.Tensor(ws, requires_grad=True) if ws is not None else None
    b = tg.Tensor(np.zeros(ws.shape[0], np.float32), requires_grad=True) if ws is not None else None
    with tg.no_grad():
        shape = (F.conv2d(x, w, b, padding=pad) if w is not None else F.max_pool2d(x, 2)).shape
    g = tg.Tensor(_batch_last(np.ones(shape, np.float32)))

    def step() -> None:
        x.grad = None
        out = F.conv2d(x, w, b, padding=pad) if w is not None else F.max_pool2d(x, 2)
        out.backward(g)

    return step


def _torch(torch, xs, ws, pad, x_grad) -> Callable[[], None]:
    tf = torch.nn.functional
    x = torch.tensor(xs, requires_grad=x_grad)
    w = torch.tensor(ws, requires_grad=True) if ws is not None else None
    b = torch.zeros(ws.shape[0], requires_grad=True) if ws is not None else None

    with torch.no_grad():
        shape = (tf.conv2d(x, w, b, padding=pad) if w is not None else tf.max_pool2d(x, 2)).shape
    g = torch.ones(shape)

    def step() -> None:
        x.grad = None
        out = tf.conv2d(x, w, b, padding=pad) if w is not None else tf.max_pool2d(x, 2)
        out.backward(g)

    return step


def _time(fn: Callable[[], None], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per round")
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads for PyTorch and (through threadpoolctl, if installed) numpy's BLAS",
    )
    args = parser.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    try:  # glibc malloc tuning (DESIGN.md, "Speed"), where the package provides it
        from tinygrad_cnn._malloc import tune_malloc

        tune_malloc()
    except ImportError:
        pass
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    print(
        f"{'case':28s} {'ours ms':>9s} {'torch ms':>9s} {'ratio':>7s}   "
        f"{'best ours':>9s} {'best torch':>10s} {'ratio':>7s}"
    )
    ratios: list[float] = []
    for name, xshape, wshape, pad, x_grad in CASES:
        xs = rng.standard_normal(xshape).astype(np.float32)
        ws = rng.standard_normal(wshape).astype(np.float32) * 0.1 if wshape else None
        ours = _ours(xs, ws, pad, x_grad)
        theirs = _torch(torch, xs, ws, pad, x_grad) if torch is not None else None
        ours()  # warm-up (allocator, BLAS threads)
        if theirs is not None:
            theirs()
        t_ours: list[float] = []
        t_torch: list[float] = []
        for _ in range(args.rounds):
            t_ours += _time(ours, args.repeat)
            if theirs is not None:
                t_torch += _time(theirs, args.repeat)
        mo, bo = statistics.median(t_ours) * 1e3, min(t_ours) * 1e3
        if theirs is None:
            print(f"{name:28s} {mo:9.2f} {'-':>9s} {'-':>7s}   {bo:9.2f}")
            continue
        mt, bt = statistics.median(t_torch) * 1e3, min(t_torch) * 1e3
        ratios.append(mo / mt)
        print(
            f"{name:28s} {mo:9.2f} {mt:9.2f} {mo / mt:7.2f}   {bo:9.2f} {bt:10.2f} {bo / bt:7.2f}"
        )
    if ratios:
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(f"geometric mean of the median ratios (ours / torch): {geo:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
