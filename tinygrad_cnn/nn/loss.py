"""Loss modules: thin wrappers that hold a loss's options and call its functional form.

>>> import tinygrad_cnn as tg
>>> loss = tg.nn.CrossEntropyLoss()
>>> round(loss(tg.Tensor([[2.0, 0.5, -1.0]]), tg.Tensor([0])).item(), 4)
0.2413
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .module import Module

_REDUCTIONS = ("none", "mean", "sum")


def _as_tensor(name: str, what: str, value: Any) -> Tensor | None:
    """A weight given as a Tensor, a list of numbers or an array, as a float Tensor (or None)."""
    if value is None or isinstance(value, Tensor):
        return value
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: {what} must be a Tensor or a list of numbers, got {type(value).__name__}"
        )
    return Tensor(value if arr.dtype.kind == "f" else arr.astype(np.float32))


def _check_int(name: str, what: str, value: Any) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be an int, got {type(value).__name__}")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'none', 'mean' or 'sum', got "
                f"{reduction!r}"
            )
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _as_tensor(type(self).__name__, "weight", weight))


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits (N, C, ...) against class indices or class probabilities.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.CrossEntropyLoss(reduction="none")(tg.zeros(2, 4), tg.Tensor([0, 3])).shape
    (2,)
    """

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        _check_int("CrossEntropyLoss", "ignore_index", ignore_index)
        ok = isinstance(label_smoothing, (int, float)) and not isinstance(label_smoothing, bool)
        if not ok or not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be a number in [0, 1], got "
                f"{label_smoothing!r}"
            )
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices given log-probabilities.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.NLLLoss()(tg.Tensor([[-0.5, -1.0]]), tg.Tensor([1])).item()
    1.0
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        _check_int("NLLLoss", "ignore_index", ignore_index)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.MSELoss()(tg.Tensor([1.0, 3.0]), tg.Tensor([0.0, 0.0])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.L1Loss(reduction="sum")(tg.Tensor([1.0, -3.0]), tg.Tensor([0.0, 0.0])).item()
    4.0
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities in [0, 1].

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.BCELoss()(tg.Tensor([0.5]), tg.Tensor([1.0])).item(), 4)
    0.6931
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits (sigmoid folded in, stable for any logit).

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.BCEWithLogitsLoss()(tg.Tensor([0.0]), tg.Tensor([1.0])).item(), 4)
    0.6931
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(weight, reduction)
        pos_weight = _as_tensor("BCEWithLogitsLoss", "pos_weight", pos_weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, self.reduction, self.pos_weight
        )


# -- regression, divergence, likelihood and margin losses (functional forms in functional_loss) --


from . import _argcheck as ac  # noqa: E402


def _legacy(name: str, reduction: Any, size_average: Any, reduce: Any) -> str:
    from .functional_loss import _reduction

    batchmean = isinstance(reduction, str) and reduction == "batchmean"
    if batchmean and size_average is None and reduce is None:
        return reduction
    return _reduction(name, reduction, size_average, reduce)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see ``F.smooth_l1_loss``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.SmoothL1Loss(beta=2.0)(tg.Tensor([1.0]), tg.Tensor([0.0])).item()
    0.25
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(_legacy("SmoothL1Loss", reduction, size_average, reduce))
        self.beta = ac.real(beta, "beta", "SmoothL1Loss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear (slope delta) above (see ``F.huber_loss``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.HuberLoss(delta=2.0)(tg.Tensor([3.0]), tg.Tensor([0.0])).item()
    4.0
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = ac.real(delta, "delta", "HuberLoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence of log-probabilities ``input`` from ``target`` (see ``F.kl_div``);
    ``reduction='batchmean'`` gives the per-sample divergence.

    >>> import tinygrad_cnn as tg
    >>> p = tg.Tensor([[0.5, 0.5]])
    >>> tg.nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
    0.0
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        reduction = _legacy("KLDivLoss", reduction, size_average, reduce)
        Module.__init__(self)
        self.reduction = reduction
        self.log_target = ac.flag(log_target, "log_target", "KLDivLoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood (see ``F.poisson_nll_loss``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.PoissonNLLLoss()(tg.Tensor([0.0]), tg.Tensor([2.0])).item()
    1.0
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        name = "PoissonNLLLoss"
        super().__init__(_legacy(name, reduction, size_average, reduce))
        self.log_input = ac.flag(log_input, "log_input", name)
        self.full, self.eps = ac.flag(full, "full", name), ac.real(eps, "eps", name)

    def forward(self, log_input: Tensor, target: Any) -> Tensor:
        return F.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variance (see ``F.gaussian_nll_loss``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.GaussianNLLLoss()(tg.Tensor([1.0]), tg.Tensor([0.0]), tg.Tensor([1.0])).item()
    0.5
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        name = "GaussianNLLLoss"
        self.full, self.eps = ac.flag(full, "full", name), ac.real(eps, "eps", name)

    def forward(self, input: Tensor, target: Any, var: Any) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin) (see ``F.margin_ranking_loss``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.MarginRankingLoss()(tg.Tensor([1.0]), tg.Tensor([2.0]), tg.Tensor([1.0])).item()
    1.0
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy("MarginRankingLoss", reduction, size_average, reduce))
        self.margin = ac.real(margin, "margin", "MarginRankingLoss")

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """x where y = 1, max(0, margin - x) where y = -1 (see ``F.hinge_embedding_loss``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.HingeEmbeddingLoss()(tg.Tensor([0.25]), tg.Tensor([-1.0])).item()
    0.75
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy("HingeEmbeddingLoss", reduction, size_average, reduce))
        self.margin = ac.real(margin, "margin", "HingeEmbeddingLoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss (see ``F.multi_margin_loss``); ``weight`` per class is a buffer.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.MultiMarginLoss()(tg.Tensor([[0.1, 0.2, 0.4, 0.8]]), tg.Tensor([3])).item()
    0.325
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Any = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        name = "MultiMarginLoss"
        p, margin = ac.integer(p, "p", name), ac.real(margin, "margin", name)
        if p not in (1, 2):
            raise ValueError(f"{name}: only p == 1 and p == 2 are supported, got {p}")
        super().__init__(weight, _legacy(name, reduction, size_average, reduce))
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss over C labels (see ``F.multilabel_soft_margin_loss``).

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.MultiLabelSoftMarginLoss()(tg.zeros(1, 2), tg.ones(1, 2)).item(), 4)
    0.6931
    """

    def __init__(self, weight: Any = None, size_average=None, reduce=None, reduction="mean"):
        name = "MultiLabelSoftMarginLoss"
        super().__init__(weight, _legacy(name, reduction, size_average, reduce))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos where y = 1, max(0, cos - margin) where y = -1 (see
    ``F.cosine_embedding_loss``).

    >>> import tinygrad_cnn as tg
    >>> a = tg.Tensor([[1.0, 0.0]])
    >>> tg.nn.CosineEmbeddingLoss()(a, a, tg.Tensor([1.0])).item()
    0.0
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(_legacy("CosineEmbeddingLoss", reduction, size_average, reduce))
        self.margin = ac.real(margin, "margin", "CosineEmbeddingLoss")

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return F.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """max(0, margin + d(a, p) - d(a, n)) (see ``F.triplet_margin_loss``).

    >>> import tinygrad_cnn as tg
    >>> a, n = tg.Tensor([[0.0, 0.0]]), tg.Tensor([[0.5, 0.0]])
    >>> round(tg.nn.TripletMarginLoss(eps=0.0)(a, a, n).item(), 4)
    0.5
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        name = "TripletMarginLoss"
        margin, p, eps = (
            ac.real(margin, "margin", name),
            ac.real(p, "p", name),
            ac.real(eps, "eps", name),
        )
        if margin <= 0:
            raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
        super().__init__(_legacy(name, reduction, size_average, reduce))
        self.margin, self.p, self.eps, self.swap = margin, p, eps, ac.flag(swap, "swap", name)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see ``F.ctc_loss``).

    >>> import tinygrad_cnn as tg
    >>> logp = tg.zeros(2, 1, 2) - 0.6931471805599453
    >>> round(tg.nn.CTCLoss(reduction="sum")(logp, tg.Tensor([[1]]), [2], [1]).item(), 4)
    0.2877
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        self.blank = ac.integer(blank, "blank", "CTCLoss", minimum=0)
        self.zero_infinity = ac.flag(zero_infinity, "zero_infinity", "CTCLoss")

    def forward(
        self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any
    ) -> Tensor:
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )
