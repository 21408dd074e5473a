"""One side of one benchmark measurement, alone in a fresh process; prints one line of JSON.

    python -m benchmarks.child --side ours|torch --workload NAME --batch N --steps K [--compile]
    python -m benchmarks.child --side numpy --workload gemm --batch SIZE --steps K

The harness (benchmarks/harness.py) starts this process with the environment it wants measured
(OPENBLAS_* unset, MALLOC_* thresholds for the PyTorch malloc side). The JSON holds each timed
step in milliseconds, the peak resident memory (VmHWM) and the BLAS libraries threadpoolctl sees.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import traceback


def status_kb(field: str) -> int:
    """A `VmRSS`/`VmHWM`-style field of /proc/self/status in KiB (0 where there is none)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak() -> bool:
    """Restart VmHWM from the current RSS (Linux clear_refs), so warm-up spikes do not count."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def blas_info() -> list[dict]:
    """The thread pools loaded in this process (BLAS kernel, version, threads), if knowable."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: p.get(k) for k in keep} for p in threadpool_info()]


def torch_kernels(torch) -> str:
    """PyTorch's own GEMM/convolution libraries, which it links statically (threadpoolctl
    sees only its OpenMP pool)."""
    blas = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    parts = [f"BLAS {blas.group(1) if blas else 'unknown'}"]
    if torch.backends.mkldnn.is_available():
        parts.append("oneDNN convolutions")
    parts.append(f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    return ", ".join(parts)


def time_steps(step, warmup: int, steps: int) -> list[float]:
    for _ in range(warmup):
        step()
    reset_peak()
    out = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def gemm_step(size: int):
    """A float32 size x size matrix product: numpy's BLAS at its best case."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(np.float32) for _ in range(2))
    out = np.empty_like(a)
    return lambda: np.matmul(a, b, out=out)


def measure(args: argparse.Namespace) -> dict:
    if args.side == "numpy":
        step, flops = gemm_step(args.batch), 2.0 * args.batch**3
        base = status_kb("VmRSS")
    else:
        from benchmarks import workloads

        fw = workloads.framework(args.side, args.threads)
        base = status_kb("VmRSS")  # after the framework's import, before the model exists
        step = workloads.build_step(fw, args.workload, args.batch, compiled=args.compile)
        flops = None
    warmup = args.warmup if args.warmup is not None else max(1, min(5, args.steps // 5))
    if args.compile:  # the first two calls of a compiled step record it: never time them
        warmup = max(warmup, 2)
    times = time_steps(step, warmup, args.steps)
    res = {
        "side": args.side + (" (tg.compile)" if args.compile else ""),
        "workload": args.workload,
        "batch": args.batch,
        "times_ms": times,
        "base_rss_mb": base / 1024,
        "peak_rss_mb": status_kb("VmHWM") / 1024,
        "blas": blas_info(),
        "openblas_env": {k: os.environ[k] for k in sorted(os.environ) if k.startswith("OPENBLAS")},
    }
    if flops is not None:
        res["gflops_best"] = flops / min(times) / 1e6
    if args.side == "ours":
        from tinygrad_cnn.ops import fast

        res["kernels"] = "numba" if fast.ENABLED else "numpy"  # TINYGRAD_CNN_KERNELS
        res["side"] += " + numba" if fast.ENABLED else ""
    if args.side == "torch":
        import torch

        res["torch"] = torch.__version__
        res["torch_threads"] = torch.get_num_threads()
        res["torch_kernels"] = torch_kernels(torch)
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.child", description=__doc__)
    p.add_argument("--side", choices=["ours", "torch", "numpy"], required=True)
    p.add_argument("--workload", required=True, help="a workload name, or 'gemm' (side numpy)")
    p.add_argument("--batch", type=int, required=True, help="batch (matrix size for gemm)")
    p.add_argument("--steps", type=int, required=True, help="timed steps")
    p.add_argument("--warmup", type=int, help="untimed steps first (default steps/5, 1..5)")
    p.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    p.add_argument(
        "--compile", action="store_true", help="time our step captured by tg.compile (side ours)"
    )
    args = p.parse_args(argv)
    try:
        res = measure(args)
    except Exception as e:  # reported to the harness as data; the traceback goes to stderr
        traceback.print_exc()
        res = {"side": args.side, "workload": args.workload, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(res))
        return 1
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
