"""Registry specs of the regression, divergence, likelihood and margin losses in
``nn.functional_loss``, with numpy references written out from their definitions. Samples keep
differences away from the kinks (|d| = beta, margins at 0) so finite differences are valid."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .op_registry import OpSpec, Sample, _away_from, _rng


def _red(loss, reduction="mean"):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _smooth_l1_ref(x, t, beta=1.0, reduction="mean"):
    d = np.abs(x - t)
    return _red(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _huber_ref(x, t, delta=1.0, reduction="mean"):
    d = np.abs(x - t)
    return _red(np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def _kl_ref(x, t, reduction="mean", log_target=False):
    loss = np.exp(t) * (t - x) if log_target else t * (np.log(t) - x)
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return _red(loss, reduction)


def _poisson_ref(x, t, log_input=True, full=False):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        st = t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t)
        loss = loss + np.where(t > 1, st, 0.0)
    return loss.mean()


def _gaussian_ref(x, t, v, full=False):
    v = v.reshape(v.shape + (1,) * (x.ndim - v.ndim))
    loss = 0.5 * (np.log(v) + (x - t) ** 2 / v) + (0.5 * math.log(2 * math.pi) if full else 0)
    return loss.mean()


def _multi_margin_ref(x, t, p=1, margin=1.0, weight=None):
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        for j in range(c):
            if j != t[i]:
                z = max(0.0, margin - x[i, t[i]] + x[i, j]) ** p
                out[i] += z * (weight[t[i]] if weight is not None else 1.0)
    return (out / c).mean()


def _multilabel_ref(x, t):
    ls = -np.logaddexp(0, -x)
    return (-(t * ls + (1 - t) * (-np.logaddexp(0, x))).mean(-1)).mean()


def _cosine_emb_ref(a, b, y, margin=0.0):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0)).mean()


def _triplet_ref(a, p, n, margin=1.0, swap=False):
    def dist(u, v):
        return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))

    d_neg = dist(a, n)
    if swap:
        d_neg = np.minimum(d_neg, dist(p, n))
    return np.maximum(dist(a, p) - d_neg + margin, 0).mean()


def _pair(r, shape, kinks):
    x = r.standard_normal(shape)
    d = _away_from(r.standard_normal(shape) * 1.5, kinks, 0.1)
    return x, x - d


def _specs_regression(F, r) -> list[OpSpec]:
    x, t = _pair(r, (3, 4), (0.0, 0.5, -0.5, 1.0, -1.0))
    logp = np.log(r.dirichlet(np.ones(4), 3))
    q = r.dirichlet(np.ones(4), 3)
    pos = np.abs(r.standard_normal((3, 4))) + 0.5
    return [
        OpSpec(
            "smooth_l1_loss",
            lambda x, t, **k: F.smooth_l1_loss(x, t, **k),
            _smooth_l1_ref,
            [Sample((x, t)), Sample((x, t), {"beta": 0.5, "reduction": "sum"})],
            kinky=True,
        ),
        OpSpec(
            "huber_loss",
            lambda x, t, **k: F.huber_loss(x, t, **k),
            _huber_ref,
            [Sample((x, t)), Sample((x, t), {"delta": 0.5, "reduction": "none"})],
            kinky=True,
        ),
        OpSpec(
            "kl_div",
            lambda x, t, **k: F.kl_div(x, t, **k),
            _kl_ref,
            [
                Sample((logp, q), {"reduction": "batchmean"}),
                Sample((logp, np.log(q)), {"reduction": "sum", "log_target": True}),
            ],
        ),
        OpSpec(
            "poisson_nll_loss",
            lambda x, t, **k: F.poisson_nll_loss(x, t, **k),
            _poisson_ref,
            [
                Sample((x, pos * 2), {"full": True}),
                Sample((pos, pos * 2), {"log_input": False}),
            ],
        ),
        OpSpec(
            "gaussian_nll_loss",
            lambda x, t, v, **k: F.gaussian_nll_loss(x, t, v, **k),
            _gaussian_ref,
            [
                Sample((x, t, pos)),
                Sample((x, t, pos[:, 0]), {"full": True}, note="one variance per row"),
            ],
        ),
    ]


def _specs_margin(F, r) -> list[OpSpec]:
    y = np.array([1.0, -1.0, 1.0])
    cls = np.array([2, 0, 3])
    a, b = r.standard_normal((3, 4)), r.standard_normal((3, 4))
    s1 = r.standard_normal(3)
    s2 = s1 + _away_from(r.standard_normal(3), (0.2, -0.2), 0.1)
    logits = np.array([[0.0, 0.9, 2.5, -1.0], [1.7, 0.1, -0.6, 1.1], [0.3, 2.0, 0.7, 1.4]])
    hinge_x = _away_from(r.standard_normal(3) + 0.5, (1.0,), 0.1)
    return [
        OpSpec(
            "margin_ranking_loss",
            lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.2),
            lambda a, b, y: np.maximum(-y * (a - b) + 0.2, 0).mean(),
            [Sample((s1, s2, y), diff=(True, True, False))],
            kinky=True,
        ),
        OpSpec(
            "hinge_embedding_loss",
            lambda x, y: F.hinge_embedding_loss(x, y),
            lambda x, y: np.where(y == 1, x, np.maximum(1 - x, 0)).mean(),
            [Sample((hinge_x, y), diff=(True, False))],
            kinky=True,
        ),
        OpSpec(
            "multi_margin_loss",
            lambda x, **k: F.multi_margin_loss(x, cls, **k),
            lambda x, **k: _multi_margin_ref(x, cls, **k),
            [
                Sample((logits,)),
                Sample((logits,), {"p": 2, "margin": 0.5, "weight": np.array([1.0, 2, 0.5, 1])}),
            ],
            kinky=True,
        ),
        OpSpec(
            "multilabel_soft_margin_loss",
            lambda x, t: F.multilabel_soft_margin_loss(x, t),
            _multilabel_ref,
            [Sample((a, (b > 0).astype(float)), diff=(True, False))],
        ),
        OpSpec(
            "cosine_embedding_loss",
            lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-1.0),
            lambda a, b, y: _cosine_emb_ref(a, b, y, -1.0),
            [Sample((a, b, y), diff=(True, True, False))],
        ),
        OpSpec(
            "triplet_margin_loss",
            lambda a, p, n, **k: F.triplet_margin_loss(a, p, n, margin=5.0, **k),
            lambda a, p, n, **k: _triplet_ref(a, p, n, 5.0, **k),
            [Sample((a, b, a + 3.0)), Sample((a, b, a + 3.0), {"swap": True})],
            kinky=True,
        ),
    ]


def _ctc_ref(x, targets, input_lengths, target_lengths):
    """Mean over the batch of -log(sum of the probabilities of every alignment), enumerating
    all label paths; each loss divided by its target length."""
    p = np.exp(x - np.log(np.exp(x).sum(-1, keepdims=True)))
    losses = []
    for n, (t_n, l_n) in enumerate(zip(input_lengths, target_lengths)):
        total = 0.0
        for path in itertools.product(range(x.shape[2]), repeat=int(t_n)):
            merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
            if [c for c in merged if c != 0] == list(targets[n][:l_n]):
                total += np.prod([p[t, n, c] for t, c in enumerate(path)])
        losses.append(-np.log(total) / max(l_n, 1))
    return np.mean(losses)


def _specs_ctc(F, r) -> list[OpSpec]:
    targets, in_len, tgt_len = np.array([[1, 1], [2, 1]]), [4, 3], [2, 1]
    return [
        OpSpec(
            "ctc_loss",
            lambda x: F.ctc_loss(x.log_softmax(2), targets, in_len, tgt_len),
            lambda x: _ctc_ref(x, targets, in_len, tgt_len),
            [Sample((r.standard_normal((4, 2, 3)),), note="repeated label needs a blank")],
        )
    ]


def specs() -> list[OpSpec]:
    from .nn import functional as F

    r = _rng(41)
    return _specs_regression(F, r) + _specs_margin(F, r) + _specs_ctc(F, r)
