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
