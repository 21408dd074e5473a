"""Regression, divergence, likelihood and margin losses (functional and Module forms): values and
input gradients against PyTorch (live where installed, else its recorded answers), plus closed
forms and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_closed_forms_without_torch():
    x, t = tg.Tensor([0.5, 3.0]), tg.Tensor([0.0, 0.0])
    assert F.smooth_l1_loss(x, t, reduction="none").tolist() == [0.125, 2.5]
    assert F.smooth_l1_loss(x, t, beta=0.0).item() == F.l1_loss(x, t).item()
    assert F.huber_loss(x, t, delta=2.0, reduction="none").tolist() == [0.125, 4.0]
    p = tg.Tensor([[0.2, 0.8], [0.5, 0.5]])
    assert F.kl_div(p.log(), p, reduction="batchmean").item() == pytest.approx(0.0, abs=1e-7)
    zero_target = F.kl_div(tg.Tensor([[-1.0, -2.0]]), tg.Tensor([[0.0, 1.0]]), reduction="sum")
    assert zero_target.item() == pytest.approx(2.0)  # 0 * log 0 counts as 0
    assert F.margin_ranking_loss(
        tg.Tensor([3.0, 1.0]), tg.Tensor([1.0, 3.0]), tg.Tensor([1.0, 1.0]), reduction="none"
    ).tolist() == [0.0, 2.0]


def test_argument_errors_name_the_function():
    x = tg.ones(2, 3)
    with pytest.raises(ValueError, match=r"smooth_l1_loss: input shape \(2, 3\) and target"):
        F.smooth_l1_loss(x, tg.ones(3, 2))
    with pytest.raises(RuntimeError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss: delta must be positive"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="kl_div: reduction must be"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative"):
        F.gaussian_nll_loss(x, x, -tg.ones(2, 3))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape \(3,\)"):
        F.gaussian_nll_loss(x, x, tg.ones(3))
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(x, tg.Tensor([0, 1]), p=3)
    with pytest.raises(IndexError, match="multi_margin_loss: target holds classes outside"):
        F.multi_margin_loss(x, tg.Tensor([0, 3]))
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight of shape \(2,\)"):
        F.multi_margin_loss(x, tg.Tensor([0, 1]), weight=tg.ones(2))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: target of shape \(3,\)"):
        F.margin_ranking_loss(tg.ones(2), tg.ones(2), tg.ones(3))
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0"):
        F.triplet_margin_loss(x, x, x, margin=0.0)
    with pytest.raises(ValueError, match="triplet_margin_loss: anchor, positive and negative"):
        F.triplet_margin_loss(x, x, tg.ones(3))
    with pytest.raises(ValueError, match="TripletMarginLoss: margin must be greater than 0"):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(TypeError, match="huber_loss: input must be a Tensor"):
        F.huber_loss([1.0], x)


def test_legacy_size_average_and_reduce_map_to_reduction():
    x, t = tg.Tensor(_x(3, 2)), tg.Tensor(_x(3, 2, seed=1))
    with pytest.warns(UserWarning, match="deprecated"):
        summed = F.smooth_l1_loss(x, t, size_average=False)
    assert summed.item() == pytest.approx(F.smooth_l1_loss(x, t, reduction="sum").item())
    with pytest.warns(UserWarning):
        assert nn.SmoothL1Loss(reduce=False).reduction == "none"


def test_loss_modules_hold_options_and_weights_as_buffers():
    m = nn.MultiMarginLoss(p=2, margin=0.5, weight=[1.0, 2.0, 3.0])
    assert list(m.state_dict()) == ["weight"] and m.p == 2
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    with pytest.raises(ValueError, match="HuberLoss: reduction must be"):
        nn.HuberLoss(reduction="batchmean")
    assert list(nn.MultiLabelSoftMarginLoss(weight=tg.ones(3)).state_dict()) == ["weight"]


def test_gaussian_nll_clamps_variance_but_passes_its_gradient():
    var = tg.Tensor([0.0, 2.0], requires_grad=True)
    F.gaussian_nll_loss(tg.zeros(2), tg.ones(2), var, eps=1e-3, reduction="sum").backward()
    expected0 = 0.5 * (1 / 1e-3 - 1 / 1e-3**2)  # d/dv of 0.5 (log v + 1/v) at the clamp
    np.testing.assert_allclose(var.grad.numpy(), [expected0, 0.5 * (0.5 - 0.25)], rtol=1e-5)


def test_losses_train_a_model():
    tg.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.Tensor(_x(12, 4)), tg.Tensor(np.arange(12) % 3)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.MultiMarginLoss()(model(x), y) + nn.SmoothL1Loss()(model(x), tg.zeros(12, 3))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


# -- PyTorch comparisons (live, or replayed from tests/goldens/live/) --------------------------


R = np.random.default_rng(7)
X, T = R.standard_normal((4, 5)), R.standard_normal((4, 5))
POS = np.abs(T) + 0.1
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])
CLASSES = np.array([0, 4, 2, 2])
W5 = np.abs(R.standard_normal(5)) + 0.2

# (name, tensors (the first ones get gradients), integer arrays, kwargs)
CASES = [
    ("smooth_l1_loss", (X, T), {"beta": 0.5}),
    ("smooth_l1_loss", (X, T), {"beta": 0.0, "reduction": "sum"}),
    ("huber_loss", (X, T), {"delta": 0.7, "reduction": "none"}),
    ("huber_loss", (X, T), {"weight": POS}),
    ("kl_div", (X, POS), {"reduction": "batchmean"}),
    ("kl_div", (X, T), {"reduction": "sum", "log_target": True}),
    ("kl_div", (X, POS), {"reduction": "none"}),
    ("poisson_nll_loss", (X, POS * 3), {"full": True}),
    ("poisson_nll_loss", (POS, POS * 3), {"log_input": False, "reduction": "sum"}),
    ("gaussian_nll_loss", (X, T, POS), {}),
    ("gaussian_nll_loss", (X, T, POS[:, :1]), {"full": True, "reduction": "none"}),
    ("gaussian_nll_loss", (X, T, POS[:, 0]), {"reduction": "sum"}),
    ("margin_ranking_loss", (X[:, 0], T[:, 0], SIGNS), {"margin": 0.3}),
    ("hinge_embedding_loss", (X, np.sign(T)), {"margin": 0.5, "reduction": "sum"}),
    ("multi_margin_loss", (X, CLASSES), {}),
    ("multi_margin_loss", (X, CLASSES), {"p": 2, "margin": 0.8, "weight": W5}),
    ("multi_margin_loss", (X[0], CLASSES[:1]), {"reduction": "none"}),
    ("multi_margin_loss", (X[0], CLASSES[0]), {"reduction": "none"}),
    ("multilabel_soft_margin_loss", (X, (T > 0) * 1.0), {"weight": W5}),
    ("multilabel_soft_margin_loss", (X, (T > 0) * 1.0), {"reduction": "none"}),
    ("cosine_embedding_loss", (X, T, SIGNS), {"margin": 0.1}),
    ("cosine_embedding_loss", (X[0], T[0], np.array(-1.0)), {"reduction": "none"}),
    ("triplet_margin_loss", (X, T, POS), {"p": 1.5}),
    ("triplet_margin_loss", (X, T, POS), {"swap": True, "reduction": "none"}),
    ("binary_cross_entropy", (1 / (1 + np.exp(-X)), (T > 0) * 1.0), {"weight": W5}),
    ("cross_entropy", (_x(2, 3, 4, 2), np.abs(_x(2, 3, 4, 2, seed=3))), {}),
    ("cross_entropy", (_x(2, 3, 4), _x(2, 3, 4, seed=3) ** 2), {"label_smoothing": 0.2}),
    ("cross_entropy", (_x(2, 3, 4, 2), np.array([[[0, 1]] * 4, [[2, 2]] * 4])), {}),
    (
        "cross_entropy",
        (_x(2, 3, 4), np.abs(_x(2, 3, 4, seed=5))),
        {"weight": W5[:3], "label_smoothing": 0.3, "reduction": "none"},
    ),
    (
        "cross_entropy",
        (_x(2, 3, 2, 2), np.array([[[0, -100], [2, 1]], [[-100, 1], [1, 0]]])),
        {"weight": W5[:3], "label_smoothing": 0.1},
    ),
]


def _convert(value, lib):
    if isinstance(value, np.ndarray):
        return tg.Tensor(value) if lib is tg else lib.tensor(value)
    return value


def _torch_loss(name, arrays, kwargs, g):
    """PyTorch's loss value and input gradients for one case (numpy in, numpy out)."""

    def compute(torch):
        theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        kw = {k: _convert(v, torch) for k, v in kwargs.items()}
        ref = getattr(torch.nn.functional, name)(*theirs, **kw)
        ref.backward(torch.tensor(g(ref.shape)))
        grads = [None if t.grad is None else t.grad.numpy() for t in theirs]
        return ref.detach().numpy(), grads

    return compute


@pytest.mark.parametrize("name,arrays,kwargs", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch_forward_and_input_gradient(name, arrays, kwargs, torch_answer):
    ours = [tg.Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = getattr(F, name)(*ours, **{k: _convert(v, tg) for k, v in kwargs.items()})
    g = np.random.default_rng(1).standard_normal(out.shape)
    ref, grads = torch_answer(_torch_loss(name, arrays, kwargs, lambda _: g), name, arrays, kwargs)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    out.backward(tg.Tensor(g))
    for a, b in zip(ours, grads):
        if b is not None:  # PyTorch gives no gradient for sign targets
            np.testing.assert_allclose(a.grad.numpy(), b, rtol=1e-8, atol=1e-10)


MODULES = [
    ("SmoothL1Loss", {"beta": 0.4}, (X, T)),
    ("HuberLoss", {"delta": 0.4, "reduction": "sum"}, (X, T)),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, (X, T)),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, (POS, POS * 3)),
    ("GaussianNLLLoss", {"full": True}, (X, T, POS)),
    ("MarginRankingLoss", {"margin": 0.2}, (X[:, 0], T[:, 0], SIGNS)),
    ("HingeEmbeddingLoss", {"margin": 2.0}, (X, np.sign(T))),
    ("MultiMarginLoss", {"p": 2, "weight": W5}, (X, CLASSES)),
    ("MultiLabelSoftMarginLoss", {"weight": W5}, (X, (T > 0) * 1.0)),
    ("CosineEmbeddingLoss", {"margin": -0.2}, (X, T, SIGNS)),
    ("TripletMarginLoss", {"margin": 0.5, "swap": True}, (X, T, POS)),
]


@pytest.mark.parametrize("name,kwargs,arrays", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_pytorch(name, kwargs, arrays, torch_answer):
    def theirs(torch):
        m = getattr(torch.nn, name)(**{k: _convert(v, torch) for k, v in kwargs.items()})
        return m(*[torch.tensor(a) for a in arrays]).numpy(), list(m.state_dict())

    ref, their_keys = torch_answer(theirs, name, kwargs, arrays)
    ours = getattr(nn, name)(**{k: _convert(v, tg) for k, v in kwargs.items()})
    out = ours(*[tg.Tensor(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10, atol=1e-12)
    assert list(ours.state_dict()) == their_keys


# -- CTC -----------------------------------------------------------------------------------------

CTC_TARGETS = np.array([[1, 2, 2, 3], [3, 1, 1, 1], [4, 4, 4, 4], [2, 1, 1, 1]])
CTC_TARGET_LENGTHS = np.array([3, 2, 4, 0])
CTC_INPUT_LENGTHS = np.array([7, 5, 7, 3])  # 4 4 4 4 needs 7 steps


def test_ctc_closed_form_and_errors():
    # T=2, uniform over {blank, a}: target "a" has paths (a,a), (a,_), (_,a): p = 3/4
    logp = tg.zeros(2, 1, 2) - np.log(2.0)
    loss = F.ctc_loss(logp, tg.Tensor([[1]]), [2], [1], reduction="none")
    np.testing.assert_allclose(loss.numpy(), [-np.log(0.75)], rtol=1e-6)
    assert F.ctc_loss(logp, tg.Tensor([[1, 1]]), [2], [2], reduction="sum").item() == np.inf
    assert nn.CTCLoss(zero_infinity=True)(logp, tg.Tensor([[1, 1]]), [2], [2]).item() == 0.0
    with pytest.raises(RuntimeError, match=r"ctc_loss: input_lengths \[3\] must lie in \[0, 2\]"):
        F.ctc_loss(logp, tg.Tensor([[1]]), [3], [1])
    with pytest.raises(ValueError, match="other than blank=0"):
        F.ctc_loss(logp, tg.Tensor([[0]]), [2], [1])
    with pytest.raises(TypeError, match="targets must hold integers"):
        F.ctc_loss(logp, tg.Tensor([[1.0]]), [2], [1])
    with pytest.raises(ValueError, match=r"log_probs must be \(T, N, C\)"):
        F.ctc_loss(tg.zeros(2), tg.Tensor([1]), [2], [1])


def _torch_ctc(x, args, reduction):
    def compute(torch):
        theirs = torch.tensor(x, requires_grad=True)
        ref = torch.nn.functional.ctc_loss(
            theirs.log_softmax(2), *[torch.tensor(a) for a in args], reduction=reduction
        )
        ref.backward(torch.tensor(np.random.default_rng(2).standard_normal(ref.shape)))
        return ref.detach().numpy(), theirs.grad.numpy()

    return compute


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_matches_pytorch_through_log_softmax(reduction, concatenated, torch_answer):
    x = _x(7, 4, 5, seed=4)
    targets = CTC_TARGETS
    if concatenated:
        targets = np.concatenate([t[:k] for t, k in zip(CTC_TARGETS, CTC_TARGET_LENGTHS)])
    args = (targets, CTC_INPUT_LENGTHS, CTC_TARGET_LENGTHS)
    ref, ref_grad = torch_answer(_torch_ctc(x, args, reduction), x, args, reduction)
    ours = tg.Tensor(x, requires_grad=True)
    out = F.ctc_loss(ours.log_softmax(2), *[tg.Tensor(a) for a in args], reduction=reduction)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
    out.backward(tg.Tensor(np.random.default_rng(2).standard_normal(ref.shape)))
    np.testing.assert_allclose(ours.grad.numpy(), ref_grad, rtol=1e-8, atol=1e-12)


def _torch_ctc_unbatched_and_zero_infinity(lp):
    def compute(torch):
        ref = torch.nn.CTCLoss(blank=3)(
            torch.tensor(lp[:, 0]), torch.tensor([1, 0, 0]), torch.tensor([5]), torch.tensor([3])
        )
        ref_zi = torch.nn.functional.ctc_loss(
            torch.tensor(lp[:3]), torch.tensor([[1, 1, 1]]), [3], [3], zero_infinity=True,
            reduction="none",
        )  # fmt: skip
        return ref.numpy(), ref_zi.numpy()

    return compute


def test_ctc_unbatched_and_zero_infinity_match_pytorch(torch_answer):
    lp = _x(5, 1, 4, seed=5)
    lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
    ref, ref_zi = torch_answer(_torch_ctc_unbatched_and_zero_infinity(lp), lp)
    out = nn.CTCLoss(blank=3)(tg.Tensor(lp[:, 0]), tg.Tensor([1, 0, 0]), [5], [3])
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-10)
    targets = tg.Tensor([[1, 1, 1]])  # needs 5 steps, has 3: impossible
    zi = F.ctc_loss(tg.Tensor(lp[:3]), targets, [3], [3], zero_infinity=True, reduction="none")
    np.testing.assert_allclose(zi.numpy(), ref_zi)


LOSS_FUNCTIONS = [
    "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "multi_margin_loss",
    "multilabel_soft_margin_loss", "cosine_embedding_loss", "triplet_margin_loss", "ctc_loss",
]  # fmt: skip
LOSS_MODULES = [
    "SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "MultiMarginLoss", "MultiLabelSoftMarginLoss",
    "CosineEmbeddingLoss", "TripletMarginLoss", "CTCLoss",
]  # fmt: skip


def test_signatures_match_pytorch(torch_answer):
    torch_answer.assert_signatures_match(F, nn, LOSS_FUNCTIONS, LOSS_MODULES)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: F.smooth_l1_loss(tg.ones(2), tg.ones(2), beta="1"), "smooth_l1_loss"),
        (lambda: F.kl_div(tg.ones(2), tg.ones(2), log_target="no"), "kl_div"),
        (lambda: F.huber_loss(tg.ones(2), ["a", "b"]), "huber_loss"),
        (lambda: F.multi_margin_loss(tg.ones(2, 3), [[0], [1, 2]]), "multi_margin_loss"),
        (
            lambda: F.margin_ranking_loss(tg.ones(2), tg.ones(2), tg.ones(2), reduce=tg.ones(1)),
            "margin_ranking_loss",
        ),  # noqa: E501
        (lambda: F.ctc_loss(tg.zeros(2, 1, 3), tg.Tensor([[1]]), [2], [1], blank=None), "ctc_loss"),  # noqa: E501
        (lambda: F.ctc_loss(tg.zeros(2, 1, 3), [[1], [2, 3]], [2], [1]), "ctc_loss"),
        (lambda: F.smooth_l1_loss(tg.ones(2, dtype="int64"), tg.ones(2)), "smooth_l1_loss"),
        (lambda: nn.HuberLoss(delta=None), "HuberLoss"),
        (lambda: nn.TripletMarginLoss(swap=1), "TripletMarginLoss"),
        (lambda: nn.CTCLoss(blank=-1), "CTCLoss"),
    ],
)
def test_wrong_arguments_name_the_function(call, name):
    with pytest.raises((TypeError, ValueError, IndexError)) as info:
        call()
    assert name in str(info.value)


def test_mean_of_an_empty_batch_is_nan():
    assert np.isnan(F.huber_loss(tg.ones(0, 3), tg.ones(0, 3)).item())
