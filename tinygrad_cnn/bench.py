"""The benchmark suite: each workload run by tinygrad_cnn and by PyTorch CPU in the same process,
in interleaved rounds; reports median milliseconds, the median of per-round ratios ours/PyTorch,
and each side's peak memory (measured in a fresh subprocess per side).

    python -m benchmarks            # all workloads
    python -m benchmarks --quick    # fewer rounds
    tinygrad-cnn bench              # the same
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn as nn
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import optim


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch


@dataclass
class Workload:
    name: str
    ours: Callable[[], Callable[[], object]]  # builds state, returns one step
    theirs: Callable[[object], Callable[[], object]] | None
    iters: int  # steps per timed round


# -- LeNet-5 and the CIFAR-style net, written once per framework ------------------------------


def _lenet(nn_mod):
    return nn_mod.Sequential(
        nn_mod.Conv2d(1, 6, 5),
        nn_mod.ReLU(),
        nn_mod.MaxPool2d(2),
        nn_mod.Conv2d(6, 16, 5),
        nn_mod.ReLU(),
        nn_mod.MaxPool2d(2),
        nn_mod.Flatten(),
        nn_mod.Linear(256, 120),
        nn_mod.ReLU(),
        nn_mod.Linear(120, 84),
        nn_mod.ReLU(),
        nn_mod.Linear(84, 10),
    )


def _cifar(nn_mod):
    return nn_mod.Sequential(
        nn_mod.Conv2d(3, 32, 3, padding=1),
        nn_mod.ReLU(),
        nn_mod.MaxPool2d(2),
        nn_mod.Conv2d(32, 64, 3, padding=1),
        nn_mod.ReLU(),
        nn_mod.MaxPool2d(2),
        nn_mod.Flatten(),
        nn_mod.Linear(4096, 128),
        nn_mod.ReLU(),
        nn_mod.Linear(128, 10),
    )


def _mlp(nn_mod):
    return nn_mod.Sequential(
        nn_mod.Linear(32, 32),
        nn_mod.ReLU(),
        nn_mod.Linear(32, 32),
        nn_mod.ReLU(),
        nn_mod.Linear(32, 10),
    )


def _data(shape, n_classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, n_classes, shape[0])


def _train_ours(build, shape):
    def make():
        tg.manual_seed(0)
        model = build(nn)
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x_np, y_np = _data(shape)
        x, y = tg.Tensor(x_np), tg.Tensor(y_np)

        def step():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    return make


def _train_theirs(build, shape):
    def make(torch):
        torch.manual_seed(0)
        model = build(torch.nn)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x_np, y_np = _data(shape)
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return step

    return make


def _infer_ours():
    tg.manual_seed(0)
    model = _lenet(nn).eval()
    x = tg.Tensor(_data((256, 1, 28, 28))[0])

    def step():
        with tg.no_grad():
            return model(x)

    return step


def _infer_theirs(torch):
    model = _lenet(torch.nn).eval()
    x = torch.from_numpy(_data((256, 1, 28, 28))[0])

    def step():
        with torch.no_grad():
            return model(x)

    return step


def _chain_ours(n=100_000):
    def step():
        x = tg.Tensor(1.0, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.000001
        y.backward()
        return x.grad

    return step


def _chain_theirs(torch, n=100_000):
    def step():
        x = torch.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.000001
        y.backward()
        return x.grad

    return step


def _layer_ours(kind, shape, **kw):
    def make():
        tg.manual_seed(0)
        x = tg.Tensor(_data(shape)[0], requires_grad=True)
        if kind == "conv":
            w = tg.randn(kw["out"], shape[1], kw["k"], kw["k"], requires_grad=True)

            def step():
                out = F.conv2d(x, w, padding=kw.get("padding", 0))
                out.backward(tg.ones(*out.shape))
                return out
        else:

            def step():
                out = F.max_pool2d(x, 2)
                out.backward(tg.ones(*out.shape))
                return out

        return step

    return make


def _layer_theirs(kind, shape, **kw):
    def make(torch):
        torch.manual_seed(0)
        x = torch.from_numpy(_data(shape)[0]).requires_grad_()
        if kind == "conv":
            w = torch.randn(kw["out"], shape[1], kw["k"], kw["k"], requires_grad=True)

            def step():
                out = torch.nn.functional.conv2d(x, w, padding=kw.get("padding", 0))
                out.backward(torch.ones_like(out))
                return out
        else:

            def step():
                out = torch.nn.functional.max_pool2d(x, 2)
                out.backward(torch.ones_like(out))
                return out

        return step

    return make


WORKLOADS = [
    Workload(
        "lenet5_train_b64",
        _train_ours(_lenet, (64, 1, 28, 28)),
        _train_theirs(_lenet, (64, 1, 28, 28)),
        20,
    ),
    Workload("lenet5_infer_b256", _infer_ours, _infer_theirs, 20),
    Workload(
        "cifar_train_b64",
        _train_ours(_cifar, (64, 3, 32, 32)),
        _train_theirs(_cifar, (64, 3, 32, 32)),
        5,
    ),
    Workload("mlp_train_b32", _train_ours(_mlp, (32, 32)), _train_theirs(_mlp, (32, 32)), 200),
    Workload("chain_100k_backward", _chain_ours, _chain_theirs, 1),
    Workload(
        "conv_lenet1_fwd_bwd",
        _layer_ours("conv", (64, 1, 28, 28), out=6, k=5),
        _layer_theirs("conv", (64, 1, 28, 28), out=6, k=5),
        20,
    ),
    Workload(
        "pool_lenet1_fwd_bwd",
        _layer_ours("pool", (64, 6, 24, 24)),
        _layer_theirs("pool", (64, 6, 24, 24)),
        20,
    ),
    Workload(
        "conv_cifar2_fwd_bwd",
        _layer_ours("conv", (64, 32, 16, 16), out=64, k=3, padding=1),
        _layer_theirs("conv", (64, 32, 16, 16), out=64, k=3, padding=1),
        5,
    ),
    Workload(
        "pool_cifar1_fwd_bwd",
        _layer_ours("pool", (64, 32, 32, 32)),
        _layer_theirs("pool", (64, 32, 32, 32)),
        10,
    ),
]


def _time(step: Callable[[], object], iters: int) -> float:
    t = time.perf_counter()
    for _ in range(iters):
        step()
    return (time.perf_counter() - t) / iters * 1e3


def run_timing(w: Workload, rounds: int, torch) -> dict:
    ours = w.ours()
    theirs = w.theirs(torch) if (torch is not None and w.theirs is not None) else None
    warm = max(1, w.iters // 4)
    _time(ours, warm)
    if theirs is not None:
        _time(theirs, warm)
    ours_ms, theirs_ms, ratios = [], [], []
    for _ in range(rounds):  # interleaved: both sides see the same machine state
        a = _time(ours, w.iters)
        ours_ms.append(a)
        if theirs is not None:
            b = _time(theirs, w.iters)
            theirs_ms.append(b)
            ratios.append(a / b)
    return {
        "workload": w.name,
        "ours_ms": statistics.median(ours_ms),
        "torch_ms": statistics.median(theirs_ms) if theirs_ms else None,
        "ratio": statistics.median(ratios) if ratios else None,
    }


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> int:
    """Reset the peak-RSS counter (Linux clear_refs); return the RSS it now counts from."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kb("VmRSS")


def _peak_mb_child(name: str, side: str) -> None:
    """In a fresh process: build one side of one workload, run it, print its peak RSS above
    what the process held before the model was built (weights, activations and buffers
    count; a one-time spike of the first step, such as lazy kernel set-up, does not)."""
    w = next(w for w in WORKLOADS if w.name == name)
    torch = _torch() if side == "torch" else None
    base = _status_kb("VmRSS")
    step = w.ours() if side == "ours" else w.theirs(torch)
    step()
    _reset_peak()
    for _ in range(max(3, w.iters)):
        step()
    print(json.dumps({"peak_mb": (_status_kb("VmHWM") - base) / 1024}))


def peak_memory(name: str, side: str) -> float | None:
    cmd = [sys.executable, "-m", "tinygrad_cnn.bench", "--_child", name, side]
    res = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if res.returncode != 0:
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])["peak_mb"]


def format_table(rows: list[dict]) -> str:
    head = (
        "| workload | ours (ms) | PyTorch (ms) | ratio ours/PyTorch | peak MB ours | "
        "peak MB PyTorch |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [head]
    for r in rows:

        def f(v, fmt):
            return "skipped" if v is None else format(v, fmt)

        lines.append(
            f"| {r['workload']} | {f(r['ours_ms'], '.2f')} | {f(r['torch_ms'], '.2f')} | "
            f"{f(r['ratio'], '.2f')} | {f(r.get('ours_peak_mb'), '.1f')} | "
            f"{f(r.get('torch_peak_mb'), '.1f')} |"
        )
    return "\n".join(lines)


def machine_line() -> str:
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    p.add_argument("--only", action="append", help="run only this workload (repeatable)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--markdown", metavar="PATH", help="also write the table to this file")
    p.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    unknown = [n for n in args.only or [] if n not in {w.name for w in WORKLOADS}]
    if unknown:
        p.error(
            f"argument --only: unknown workload {', '.join(map(repr, unknown))}; valid names: "
            f"{', '.join(w.name for w in WORKLOADS)}"
        )
    if args._child:
        _peak_mb_child(*args._child)
        return 0
    torch = _torch()
    rounds = 3 if args.quick else 7
    rows = []
    for w in WORKLOADS:
        if args.only and w.name not in args.only:
            continue
        r = run_timing(w, rounds, torch)
        if not args.no_memory:
            r["ours_peak_mb"] = peak_memory(w.name, "ours")
            r["torch_peak_mb"] = peak_memory(w.name, "torch") if torch is not None else None
        rows.append(r)
        print(
            f"{w.name}: ours {r['ours_ms']:.2f} ms"
            + (
                f", PyTorch {r['torch_ms']:.2f} ms, ratio {r['ratio']:.2f}"
                if r["ratio"] is not None
                else ""
            ),
            flush=True,
        )
    table = format_table(rows)
    print()
    print(table)
    if torch is None:
        print(
            "\nPyTorch is not installed: ratios were skipped "
            "(pip install torch==2.13.0 for a CPU build)."
        )
    if args.markdown:
        date = time.strftime("%Y-%m-%d")
        torch_v = torch.__version__ if torch is not None else "not installed"
        with open(args.markdown, "w") as f:
            f.write("# Performance\n\n")
            f.write(
                f"Measured {date} on {machine_line()}; PyTorch {torch_v} with "
                "`torch.set_num_threads(2)`.\n\nCommand: `make bench` "
                "(`python -m benchmarks --markdown docs/performance.md`).\n\n"
            )
            f.write(
                "Times are medians of interleaved rounds; the ratio is the median of the "
                "per-round ratios; peak MB is the growth of peak RSS in a fresh process "
                "running that side alone.\n\n"
            )
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
