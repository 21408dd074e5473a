"""`tinygrad-cnn gradcheck`: every differentiable op in the registry (or a whole model) through
gradcheck and gradgradcheck in float64, as a table; exit status 1 on any failure."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from ._args import non_negative_int, positive_int
from ._model import add_model_arguments

NAME = "gradcheck"
HELP = "check gradients of every registry op (or a model) against finite differences, in float64"

# input shapes (C, H, W) tried, in order, for a model that does not declare `input_shape`
_CANDIDATE_SHAPES = ((1, 28, 28), (1, 32, 32), (3, 32, 32), (784,), (2,))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--op", action="append", metavar="NAME", help="check only this op (repeatable)")
    add_model_arguments(p, "none: check the ops; with --model, every parameter gradient", True)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument(
        "--fast",
        action="store_true",
        help="random-projection checks (v^T J u); a failing pair is checked again in full",
    )
    p.add_argument(
        "--num-checks",
        type=positive_int,
        default=10,
        metavar="N",
        help="--model: random entries checked per parameter tensor (default 10)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=2,
        metavar="N",
        help="--model: batch size (default 2)",
    )
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="--model: seed for weights and data"
    )


def run(args: argparse.Namespace) -> int:
    if args.model:
        return _run_model(args)
    return _run_ops(args)


# -- ops ------------------------------------------------------------------------------------


def _select_specs(names: list[str] | None) -> list[Any]:
    from ..op_registry import all_specs

    specs = [s for s in all_specs() if any(any(smp.differentiable()) for smp in s.samples)]
    if not names:
        return specs
    by_name = {s.name: s for s in specs}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(
            f"unknown op {', '.join(map(repr, unknown))}; known differentiable ops: "
            f"{', '.join(sorted(by_name))}"
        )
    return [by_name[n] for n in dict.fromkeys(names)]


def check_op(spec: Any, fast: bool = False) -> dict[str, Any]:
    """Run gradcheck and gradgradcheck on every sample of a registry spec; a JSON-ready row."""
    from ..gradcheck import check_gradients
    from ..op_registry import sample_tensors

    row: dict[str, Any] = {
        "op": spec.name,
        "samples": len(spec.samples),
        "max_abs_error": 0.0,
        "max_rel_error": 0.0,
        "first_order": "ok",
        "second_order": "ok" if spec.second_order else "skipped",
        "kinks": 0,
        "failures": [],
        "seconds": 0.0,
    }
    start = time.perf_counter()
    tol = {"atol": spec.atol, "rtol": spec.rtol, "fast_mode": fast, "kinks": spec.kinky}
    checks = [("first_order", check_gradients)]
    if spec.second_order:
        checks.append(("second_order", _second_order))
    for i, sample in enumerate(spec.samples):

        def fn(*a: Any, _s: Any = sample) -> Any:
            return spec.fn(*a, **_s.kwargs)

        for key, check in checks:
            try:
                result = check(fn, sample_tensors(sample), **tol)
            except Exception as e:  # an op that raises is a failure to report, not a crash
                row[key] = "ERROR"
                row["failures"].append(f"sample {i}: {key}: {type(e).__name__}: {e}")
                continue
            row["max_abs_error"] = max(row["max_abs_error"], result.max_abs_error)
            row["max_rel_error"] = max(row["max_rel_error"], result.max_rel_error)
            row["kinks"] += result.kinks
            if not result.ok:
                row[key] = "FAIL"
                note = f" ({sample.note})" if sample.note else ""
                row["failures"].append(f"sample {i}{note}: {result}")
    row["seconds"] = round(time.perf_counter() - start, 4)
    return row


def _second_order(fn: Any, inputs: Any, **options: Any) -> Any:
    from ..gradcheck import gradgradcheck

    return gradgradcheck(fn, inputs, raise_exception=False, return_result=True, **options)


def _ok(row: dict[str, Any]) -> bool:
    return row["first_order"] in ("ok",) and row["second_order"] in ("ok", "skipped")


def _table(rows: list[dict[str, Any]]) -> str:
    w = max([len("op")] + [len(r["op"]) for r in rows])
    head = (
        f"{'op':<{w}}  {'samples':>7}  {'max abs err':>11}  {'max rel err':>11}  "
        f"{'1st order':<9}  {'2nd order':<9}  kinks"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['op']:<{w}}  {r['samples']:>7}  {r['max_abs_error']:>11.2e}  "
            f"{r['max_rel_error']:>11.2e}  {r['first_order']:<9}  {r['second_order']:<9}  "
            f"{r['kinks']}"
        )
    return "\n".join(lines)


def _run_ops(args: argparse.Namespace) -> int:
    specs = _select_specs(args.op)
    start = time.perf_counter()
    rows = [check_op(s, args.fast) for s in specs]
    seconds = time.perf_counter() - start
    ok = all(_ok(r) for r in rows)
    n_bad = sum(not _ok(r) for r in rows)
    if args.json:
        out = {"ok": ok, "fast": args.fast, "seconds": round(seconds, 3), "ops": rows}
        print(json.dumps(out, indent=2))
        return 0 if ok else 1
    print(_table(rows))
    n_samples = sum(r["samples"] for r in rows)
    mode = " (fast mode)" if args.fast else ""
    verdict = "all passed" if ok else f"{n_bad} FAILED"
    print(f"\n{len(rows)} ops, {n_samples} samples{mode}: {verdict} in {seconds:.1f} s")
    for r in rows:
        for f in r["failures"]:
            print(f"\n{r['op']}, {f}")
    return 0 if ok else 1


# -- models ---------------------------------------------------------------------------------


def _model_input_shape(model: Any) -> tuple[int, ...]:
    from .. import no_grad
    from ..tensor import Tensor

    shape = getattr(model, "input_shape", None)
    if shape is not None:
        return tuple(shape)
    with no_grad():
        for cand in _CANDIDATE_SHAPES:
            try:
                model(Tensor(np.zeros((1, *cand), dtype=np.float32)))
            except Exception:  # wrong guess: try the next shape
                continue
            return cand
    raise ValueError(
        f"gradcheck --model: could not find an input shape for {type(model).__name__} (tried "
        f"{', '.join(map(str, _CANDIDATE_SHAPES))}); pass --input-shape N,C,H,W or give the "
        "model an `input_shape` attribute"
    )


def _run_model(args: argparse.Namespace) -> int:
    from .. import manual_seed, no_grad
    from ..gradcheck import check_model_grads
    from ..tensor import Tensor
    from ..training import load_model

    manual_seed(args.seed)
    model = load_model(args.model, args.model_args)
    if args.input_shape is not None:
        batch, shape = args.input_shape[0], tuple(args.input_shape[1:])
    else:
        batch, shape = args.batch_size, _model_input_shape(model)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((batch, *shape))
    with no_grad():
        n_classes = model(Tensor(x.astype(np.float32))).shape[-1]
    target = rng.integers(0, n_classes, size=batch)
    start = time.perf_counter()
    report = check_model_grads(model, x, target, num_checks=args.num_checks, seed=args.seed)
    seconds = time.perf_counter() - start
    if args.json:
        out = {
            "ok": report.ok,
            "model": args.model,
            "seconds": round(seconds, 3),
            "eps": report.eps,
            "loss": report.loss,
            "params": [
                {
                    "name": p.name,
                    "shape": list(p.shape),
                    "checked": p.checked,
                    "max_rel_error": p.max_rel_error,
                    "worst_index": list(p.worst_index),
                    "analytic": p.analytic,
                    "numerical": p.numerical,
                    "verdict": p.verdict,
                    "kinks": p.kinks,
                }
                for p in report.params
            ],
        }
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.model}: input {(batch, *shape)}, {n_classes} classes")
        print(report)
        print(f"\nchecked in {seconds:.1f} s")
    return 0 if report.ok else 1
