"""Registry specs of reductions, scans and order statistics: amax/amin over tuples of dims,
vector norms, var_mean/std_mean, cumsum, cumprod (with zeros), logcumsumexp, cummax/cummin,
sort, topk, kthvalue and median values (the indices are not differentiable: see
tests/test_shape_ops.py). Samples keep values apart, so no tie makes a derivative one-sided."""

from __future__ import annotations

import numpy as np

from .op_registry import OpSpec, Sample, _away_from, _noncontig, _rng


def _distinct(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values at least 0.1 apart (a shuffled grid plus small noise): no ties anywhere."""
    r = _rng(seed)
    n = int(np.prod(shape))
    return (r.permutation(n) * 0.3 - 0.15 * n + r.uniform(0, 0.1, n)).reshape(shape)


def _cum_extreme_ref(x, dim, fn):
    return fn.accumulate(x, axis=dim) if x.ndim else x


def _kth_ref(x, k, dim=-1, keepdim=False):
    out = np.take(np.sort(x, axis=dim), [k - 1], axis=dim)
    return out if keepdim else out.squeeze(dim)


def _vector_norm_ref(x, ord=2, dim=None, keepdim=False):
    a = np.abs(x)
    if ord == np.inf:
        return a.max(axis=dim, keepdims=keepdim)
    if ord == -np.inf:
        return a.min(axis=dim, keepdims=keepdim)
    return (a**ord).sum(axis=dim, keepdims=keepdim) ** (1.0 / ord)


def _reduction_specs(x234, x34) -> list[OpSpec]:
    return [
        OpSpec(
            "amax",
            lambda x, **k: x.amax(**k),
            lambda x, dim=None, keepdim=False: x.max(axis=dim, keepdims=keepdim),
            [
                Sample((x234,), {"dim": (0, 2)}),
                Sample((x234,), {"dim": -1, "keepdim": True}),
                Sample((x34,), {"dim": (0, 1)}),
                Sample((np.asarray(0.7),), {"dim": 0}, note="0-d"),
                Sample((np.zeros((0, 3)),), {"dim": 1}, note="empty"),
            ],
            kinky=True,
            kind="reduce",
        ),
        OpSpec(
            "amin",
            lambda x, **k: x.amin(**k),
            lambda x, dim=None, keepdim=False: x.min(axis=dim, keepdims=keepdim),
            [Sample((x234,), {"dim": (1, 2), "keepdim": True}), Sample((x34,), {"dim": 0})],
            kinky=True,
            kind="reduce",
        ),
        OpSpec(
            "vector_norm",
            lambda x, **k: x.vector_norm(**k),
            _vector_norm_ref,
            [
                Sample((x234,), {"ord": 2, "dim": (0, 2)}),
                Sample((x34,), {"ord": 2}),
                Sample((_away_from(x34),), {"ord": 1, "dim": 1, "keepdim": True}),
                Sample((x34,), {"ord": np.inf, "dim": 0}),
                Sample((x34,), {"ord": -np.inf, "dim": 1}),
                Sample((_away_from(x34),), {"ord": 3, "dim": -1}),
                Sample((_noncontig((3, 4)),), {"ord": 2, "dim": 1}, note="non-contiguous"),
            ],
            kinky=True,
            kind="reduce",
        ),
        OpSpec(
            "norm_fro",
            lambda x: x.norm("fro", dim=(0, 1)),
            lambda x: np.sqrt((x * x).sum()),
            [Sample((x34,))],
        ),
        OpSpec(
            "var_mean",
            lambda x, **k: _stack(x.var_mean(**k)),
            lambda x, dim=None, keepdim=False, correction=1: np.stack(
                [x.var(axis=dim, ddof=correction, keepdims=keepdim), x.mean(dim, keepdims=keepdim)]
            ),
            [Sample((x234,), {"dim": 1}), Sample((x34,), {"dim": (0, 1), "correction": 0})],
        ),
        OpSpec(
            "std_mean",
            lambda x, **k: _stack(x.std_mean(**k)),
            lambda x, dim=None, keepdim=False, correction=1: np.stack(
                [x.std(axis=dim, ddof=correction, keepdims=keepdim), x.mean(dim, keepdims=keepdim)]
            ),
            [Sample((x234,), {"dim": (0, 2), "keepdim": True})],
        ),
    ]


def _nan_specs(x34) -> list[OpSpec]:
    holes = x34.copy()
    holes[0, 1] = holes[2, 3] = np.nan
    return [
        OpSpec(
            "aminmax",
            lambda x, **k: _stack(x.aminmax(**k)),
            lambda x, dim=None, keepdim=False: np.stack(
                [x.min(axis=dim, keepdims=keepdim), x.max(axis=dim, keepdims=keepdim)]
            ),
            [Sample((x34,)), Sample((x34,), {"dim": 1, "keepdim": True})],
            kinky=True,
        ),
        OpSpec(
            "nansum",
            lambda x, **k: x.nansum(**k),
            lambda x, dim=None, keepdim=False: np.nansum(x, axis=dim, keepdims=keepdim),
            [Sample((holes,), {"dim": 1}), Sample((holes,))],
            kind="reduce",
        ),
        OpSpec(
            "nanmean",
            lambda x, **k: x.nanmean(**k),
            lambda x, dim=None, keepdim=False: np.nanmean(x, axis=dim, keepdims=keepdim),
            [Sample((holes,), {"dim": 0, "keepdim": True}), Sample((holes,))],
            kind="reduce",
        ),
    ]


def _stack(pair):
    from .tensor import stack

    return stack(list(pair))


def _scan_specs(x234, x34) -> list[OpSpec]:
    zeros = x34.copy()
    zeros[0, 1] = 0.0
    two = x34.copy()
    two[1, 0] = two[1, 2] = 0.0
    return [
        OpSpec(
            "cumsum",
            lambda x, dim: x.cumsum(dim),
            lambda x, dim: np.cumsum(x, axis=dim) if x.ndim else x,
            [
                Sample((x234, 1)),
                Sample((x34, -1)),
                Sample((_noncontig((3, 4)), 0)),
                Sample((np.asarray(0.3), 0), note="0-d"),
                Sample((np.zeros((0, 3)), 0), note="empty"),
            ],
        ),
        OpSpec(
            "cumprod",
            lambda x, dim: x.cumprod(dim),
            lambda x, dim: np.cumprod(x, axis=dim) if x.ndim else x,
            [
                Sample((x234, 2)),
                Sample((zeros, 1), note="a zero: the gradient uses the product of the others"),
                Sample((two, 1), note="two zeros in one row"),
                Sample((zeros, 0), note="zero along dim 0"),
            ],
        ),
        OpSpec(
            "logcumsumexp",
            lambda x, dim: x.logcumsumexp(dim),
            lambda x, dim: np.logaddexp.accumulate(x, axis=dim),
            [Sample((x234, 1)), Sample((x34 * 30, -1), note="large values")],
        ),
        OpSpec(
            "cummax",
            lambda x, dim: x.cummax(dim).values,
            lambda x, dim: _cum_extreme_ref(x, dim, np.maximum),
            [Sample((_distinct((3, 4), 1), 1)), Sample((_distinct((2, 3, 2), 2), 0))],
        ),
        OpSpec(
            "cummin",
            lambda x, dim: x.cummin(dim).values,
            lambda x, dim: _cum_extreme_ref(x, dim, np.minimum),
            [Sample((_distinct((3, 4), 3), -1))],
        ),
    ]


def _order_specs() -> list[OpSpec]:
    d34 = _distinct((3, 4), 4)
    d234 = _distinct((2, 3, 4), 5)
    return [
        OpSpec(
            "sort",
            lambda x, **k: x.sort(**k).values,
            lambda x, dim=-1, descending=False: (
                x
                if x.ndim == 0
                else np.flip(np.sort(x, axis=dim), dim)
                if descending
                else np.sort(x, axis=dim)
            ),
            [
                Sample((d34,)),
                Sample((d234,), {"dim": 1, "descending": True}),
                Sample((np.asarray(0.5),), note="0-d"),
                Sample((np.zeros((2, 0)),), note="empty"),
            ],
        ),
        OpSpec(
            "topk",
            lambda x, k, **kw: x.topk(k, **kw).values,
            lambda x, k, dim=-1, largest=True: (
                np.take(np.flip(np.sort(x, axis=dim), dim), range(k), axis=dim)
                if largest
                else np.take(np.sort(x, axis=dim), range(k), axis=dim)
            ),
            [Sample((d34, 2)), Sample((d234, 1), {"dim": 0, "largest": False})],
        ),
        OpSpec(
            "kthvalue",
            lambda x, k, **kw: x.kthvalue(k, **kw).values,
            _kth_ref,
            [Sample((d34, 2)), Sample((d234, 3), {"dim": 1, "keepdim": True})],
        ),
        OpSpec(
            "median",
            lambda x, **kw: x.median(**kw) if not kw else x.median(**kw).values,
            lambda x, dim=None, keepdim=False: (
                np.sort(x.reshape(-1))[(x.size - 1) // 2]
                if dim is None
                else _kth_ref(x, (x.shape[dim] + 1) // 2, dim, keepdim)
            ),
            [Sample((d34,)), Sample((d234,), {"dim": 2}), Sample((d34,), {"dim": 0})],
        ),
    ]


def specs() -> list[OpSpec]:
    r = _rng(31)
    x234 = r.standard_normal((2, 3, 4))
    x34 = r.standard_normal((3, 4))
    specs = _reduction_specs(x234, x34) + _nan_specs(x34)
    return specs + _scan_specs(x234, x34) + _order_specs()
