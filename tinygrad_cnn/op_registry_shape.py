"""Registry specs of the shape ops (triangles, diagonals, roll, tile, rot90, unfold, movedim,
splits, meshgrid, ...) and of gathering and scattering (gather, scatter, scatter_add,
scatter_reduce, index_select, index_add, take, take_along_dim, masked_select, masked_fill),
each with a numpy reference written independently of the implementation."""

from __future__ import annotations

import numpy as np

from .op_registry import OpSpec, Sample, _noncontig, _rng


def _op(name, fn, ref, samples, **kw) -> OpSpec:
    return OpSpec(name, fn, ref, samples, **kw)


def _diag_embed_ref(x, offset=0):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    for i in range(x.shape[-1]):
        r, c = (i - min(offset, 0), i + max(offset, 0))
        out[..., r, c] = x[..., i]
    return out


def _unfold_ref(x, dim, size, step):
    n = x.shape[dim]
    wins = [np.take(x, range(s, s + size), axis=dim) for s in range(0, n - size + 1, step)]
    return np.moveaxis(np.stack(wins, axis=dim), dim + 1, -1)


def _matrix_specs(x34, x234) -> list[OpSpec]:
    return [
        _op(
            "tril",
            lambda x, k: x.tril(k),
            lambda x, k: np.tril(x, k),
            [Sample((x34, 0)), Sample((x234, -1)), Sample((x34, 2)), Sample((np.zeros((0, 3)), 0))],
        ),
        _op(
            "triu",
            lambda x, k: x.triu(k),
            lambda x, k: np.triu(x, k),
            [Sample((x34, 0)), Sample((x234, 1)), Sample((x34, -2))],
        ),
        _op(
            "diag",
            lambda x, k: x.diag(k),
            lambda x, k: np.diag(x, k),
            [Sample((x34, 0)), Sample((x34, 1)), Sample((x34[0], 0)), Sample((x34[1], -1))],
        ),
        _op(
            "diagonal",
            lambda x, **k: x.diagonal(**k),
            lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
            [Sample((x34,)), Sample((x234,), {"offset": 1, "dim1": 2, "dim2": 0})],
        ),
        _op(
            "diag_embed",
            lambda x, **k: x.diag_embed(**k),
            _diag_embed_ref,
            [Sample((x34,)), Sample((x34,), {"offset": -1})],
        ),
        _op("trace", lambda x: x.trace(), np.trace, [Sample((x34,))]),
    ]


def _block_diag_ref(mats):
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)))
    r = c = 0
    for m in mats:
        out[r : r + m.shape[0], c : c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _shape_specs(x34, x234) -> list[OpSpec]:
    from .functions import block_diag, broadcast_tensors, cartesian_prod, meshgrid

    return [
        _op(
            "roll",
            lambda x, s, d: x.roll(s, d),
            lambda x, s, d: np.roll(x, s, d),
            [Sample((x34, 1, None)), Sample((x234, (1, -2), (0, 2))), Sample((x34, 5, 1))],
        ),
        _op(
            "repeat_interleave",
            lambda x, r, **k: x.repeat_interleave(r, **k),
            lambda x, r, dim=None: np.repeat(x, r, axis=dim),
            [
                Sample((x34, 2)),
                Sample((x34, np.array([1, 0, 2])), {"dim": 0}, note="per-row counts, a zero"),
            ],
        ),
        _op(
            "diff",
            lambda x, **k: x.diff(**k),
            lambda x, n=1, dim=-1: np.diff(x, n, dim),
            [Sample((x34,)), Sample((x234,), {"n": 2, "dim": 1})],
        ),
        _op("tile", lambda x: x.tile((2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), [Sample((x34,))]),
        _op("fliplr", lambda x: x.fliplr(), np.fliplr, [Sample((x34,))]),
        _op("flipud", lambda x: x.flipud(), np.flipud, [Sample((x234,))]),
        _op(
            "rot90",
            lambda x, k, dims: x.rot90(k, dims),
            lambda x, k, dims: np.rot90(x, k, dims),
            [Sample((x34, 1, (0, 1))), Sample((x234, 2, (1, 2))), Sample((x234, -1, (2, 0)))],
        ),
        _op("narrow", lambda x: x.narrow(1, -3, 2), lambda x: x[:, 1:3], [Sample((x34,))]),
        _op(
            "movedim",
            lambda x: x.movedim((0, 1), (2, 0)),
            lambda x: np.moveaxis(x, (0, 1), (2, 0)),
            [Sample((x234,))],
        ),
        _op(
            "swapaxes", lambda x: x.swapaxes(0, -1), lambda x: x.swapaxes(0, -1), [Sample((x234,))]
        ),
        _op("t", lambda x: x.t(), lambda x: x.T, [Sample((x34,))]),
        _op("mT", lambda x: x.mT, lambda x: x.swapaxes(-1, -2), [Sample((x234,))]),
        _op("unbind", lambda x: x.unbind(1)[2], lambda x: x[:, 2], [Sample((x234,))]),
        _op(
            "tensor_split",
            lambda x, s: x.tensor_split(s, 1)[1],
            lambda x, s: np.array_split(x, s, 1)[1],
            [Sample((x34, 3)), Sample((x34, [1, 3])), Sample((x34, [3, 1]), note="an empty part")],
        ),
        _op(
            "broadcast_to",
            lambda x: x.broadcast_to((2, 3, 4)),
            lambda x: np.broadcast_to(x, (2, 3, 4)),
            [Sample((x34[:, :1],)), Sample((x34[0],))],
        ),
        _op(
            "unfold_dim",
            lambda x, d, size, step: x.unfold(d, size, step),
            _unfold_ref,
            [Sample((x34, 1, 2, 1)), Sample((x234, 2, 2, 2)), Sample((x34, 0, 3, 1))],
        ),
        _op(
            "block_diag",
            lambda a, b, c: block_diag(a, b, c),
            lambda a, b, c: _block_diag_ref([a, b.reshape(1, -1), c.reshape(1, 1)]),
            [Sample((x34[:2], x34[2], np.asarray(0.5)))],
        ),
        _op(
            "cartesian_prod",
            lambda a, b: cartesian_prod(a, b),
            lambda a, b: np.stack([g.reshape(-1) for g in np.meshgrid(a, b, indexing="ij")], 1),
            [Sample((x34[0, :2], x34[1, :3]))],
        ),
        _op(
            "hsplit",
            lambda x: x.hsplit([1, 3])[1],
            lambda x: np.hsplit(x, [1, 3])[1],
            [Sample((x34,))],
        ),
        _op(
            "meshgrid",
            lambda a, b, **k: sum(g * (i + 1) for i, g in enumerate(meshgrid(a, b, **k))),
            lambda a, b, indexing="ij": sum(
                g * (i + 1) for i, g in enumerate(np.meshgrid(a, b, indexing=indexing))
            ),
            [Sample((x34[0], x34[1, :3])), Sample((x34[0], x34[1, :3]), {"indexing": "xy"})],
        ),
        _op(
            "broadcast_tensors",
            lambda a, b: sum(g * (i + 1) for i, g in enumerate(broadcast_tensors(a, b))),
            lambda a, b: sum(g * (i + 1) for i, g in enumerate(np.broadcast_arrays(a, b))),
            [Sample((x34[:, :1], x34[0]))],
        ),
    ]


def _gather_ref(x, dim, idx):
    dim %= x.ndim
    part = x[tuple(slice(None) if a == dim else slice(0, n) for a, n in enumerate(idx.shape))]
    return np.take_along_axis(part, idx, dim)


def _scatter_ref(x, dim, idx, src, how):
    out = x.copy()
    touched = np.zeros(x.shape, dtype=bool)
    for pos in np.ndindex(idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        t = tuple(target)
        v = src[pos] if isinstance(src, np.ndarray) else src
        if how == "set":
            out[t] = v
        elif how == "add":
            out[t] += v
        touched[t] = True
    return out


def _scatter_reduce_ref(x, dim, idx, src, reduce, include_self=True):
    groups: dict = {}
    for pos in np.ndindex(idx.shape):
        target = list(pos)
        target[dim] = idx[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    out = x.copy()
    fns = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for t, vals in groups.items():
        out[t] = fns[reduce](vals + ([x[t]] if include_self else []))
    return out


def _index_specs(x34, x234) -> list[OpSpec]:
    r = _rng(41)
    src = r.standard_normal((2, 4))
    idx_g = np.array([[2, 0, 1, 2], [0, 0, 2, 1]])
    idx_s = np.array([[2, 0, 1, 2], [0, 1, 2, 0]])  # no target written twice
    idx_r = np.array([[2, 0, 0, 2], [0, 0, 2, 1]])  # targets written up to three times
    reduce_samples = [
        Sample((x34, 0, idx_r, src, red), {"include_self": inc})
        for red in ("sum", "prod", "mean", "amax", "amin")
        for inc in (True, False)
    ]
    mask = x34[0] > 0
    return [
        _op(
            "gather",
            lambda x, d, i: x.gather(d, i),
            _gather_ref,
            [
                Sample((x34, 0, idx_g), note="repeated indices"),
                Sample((x34, 1, idx_g[:, :2].T), note="index smaller than input"),
                Sample((_noncontig((3, 4)), -1, idx_g[:, :3]), note="non-contiguous"),
                Sample((x34, 1, np.zeros((3, 0), dtype=np.int64)), note="empty index"),
            ],
        ),
        _op(
            "scatter",
            lambda x, d, i, s: x.scatter(d, i, s),
            lambda x, d, i, s: _scatter_ref(x, d, i, s, "set"),
            [Sample((x34, 0, idx_s, src)), Sample((x34, 0, idx_s, 1.5), note="a scalar value")],
        ),
        _op(
            "scatter_add",
            lambda x, d, i, s: x.scatter_add(d, i, s),
            lambda x, d, i, s: _scatter_ref(x, d, i, s, "add"),
            [Sample((x34, 0, idx_g, src), note="repeated targets accumulate")],
        ),
        _op(
            "scatter_reduce",
            lambda x, d, i, s, red, **k: x.scatter_reduce(d, i, s, red, **k),
            _scatter_reduce_ref,
            reduce_samples,
            kinky=True,
        ),
        _op(
            "index_select",
            lambda x, d, i: x.index_select(d, i),
            lambda x, d, i: np.take(x, i.reshape(-1), axis=d),
            [Sample((x234, 2, np.array([3, 0, 3]))), Sample((x34, 0, np.array(1)), note="0-d")],
        ),
        _op(
            "index_add",
            lambda x, d, i, s, **k: x.index_add(d, i, s, **k),
            lambda x, d, i, s, alpha=1: x + _index_add_ref(x, d, i, s * alpha),
            [
                Sample((x34, 1, np.array([0, 0, 3]), r.standard_normal((3, 3))), {"alpha": 2.0}),
                Sample((x34, 0, np.array([2, 1]), r.standard_normal((2, 4)))),
            ],
        ),
        _op(
            "index_fill",
            lambda x, d, i: x.index_fill(d, i, -0.5),
            lambda x, d, i: _index_fill_ref(x, d, i),
            [Sample((x34, 1, np.array([0, 2, 0])))],
        ),
        _op(
            "index_copy",
            lambda x, d, i, s: x.index_copy(d, i, s),
            lambda x, d, i, s: _index_copy_ref(x, d, i, s),
            [Sample((x34, 0, np.array([2, 0]), r.standard_normal((2, 4))))],
        ),
        _op(
            "bincount_weights",
            lambda i, w: i.bincount(w, minlength=5),
            lambda i, w: np.bincount(i, w, minlength=5),
            [Sample((np.array([0, 3, 3, 1]), r.standard_normal(4)), note="repeats add")],
        ),
        _op(
            "take",
            lambda x, i: x.take(i),
            lambda x, i: np.take(x, i),
            [Sample((x34, np.array([[11, 0], [0, -1]])))],
        ),
        _op(
            "take_along_dim",
            lambda x, i, **k: x.take_along_dim(i, **k),
            lambda x, i, dim=None: (
                np.take_along_axis(x.reshape(-1), i.reshape(-1), 0)
                if dim is None
                else np.take_along_axis(x, i, dim)
            ),
            [
                Sample((x234, np.array([[[1], [0], [3]]]))),
                Sample((x234, np.array([[[1], [0], [3]]])), {"dim": 2}, note="broadcast"),
            ],
        ),
        _op(
            "masked_select",
            lambda x, m: x.masked_select(m),
            lambda x, m: x[np.broadcast_to(m, x.shape)],
            [Sample((x34, mask), note="a broadcast mask")],
        ),
        _op(
            "masked_fill",
            lambda x, m: x.masked_fill(m, 0.5),
            lambda x, m: np.where(m, 0.5, x),
            [Sample((x34, mask), note="a broadcast mask")],
        ),
    ]


def _index_fill_ref(x, d, i):
    out = x.copy()
    np.moveaxis(out, d, 0)[i] = -0.5
    return out


def _index_copy_ref(x, d, i, s):
    out = x.copy()
    np.moveaxis(out, d, 0)[i] = np.moveaxis(s, d, 0)
    return out


def _index_add_ref(x, d, i, s):
    out = np.zeros_like(x)
    np.add.at(np.moveaxis(out, d, 0), i, np.moveaxis(s, d, 0))
    return out


def specs() -> list[OpSpec]:
    r = _rng(33)
    x34 = r.standard_normal((3, 4))
    x234 = r.standard_normal((2, 3, 4))
    return _matrix_specs(x34, x234) + _shape_specs(x34, x234) + _index_specs(x34, x234)
