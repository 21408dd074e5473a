"""Functional forms, mirroring ``torch.nn.functional``: activations, linear, losses, CNN ops.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> logits = tg.Tensor([[2.0, 0.5, -1.0]])
>>> round(F.cross_entropy(logits, tg.Tensor([0])).item(), 4)
0.2413
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._errors import guard
from .._tensor_pointwise import where as _where3
from ..autograd import composite
from ..ops.loss import NLL, BinaryCrossEntropy
from ..ops.matmul import Linear
from ..tensor import Tensor

# the op surface's error boundary names where in what escapes (a bad condition, say)
where = guard(_where3, "where")

# -- activations: the Tensor methods themselves, taking the tensor as ``input`` ---------------


def _tensor_method(method: Callable, inplace: bool = False) -> Callable:
    """``F.name(input, ...)`` as ``input.name(...)``: one implementation, one docstring. With
    ``inplace=True`` the function also takes PyTorch's trailing ``inplace`` flag, accepted for
    compatibility: the result is always a new tensor (as the Modules' ``inplace``)."""
    sig = inspect.signature(method)
    params = list(sig.parameters.values())
    n_args = len(params) - 1

    @functools.wraps(method)
    def function(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{method.__name__}: input must be a Tensor, got {type(input).__name__}; "
                "wrap arrays with tg.Tensor(...)"
            )
        if inplace:
            kwargs.pop("inplace", None)
            if len(args) == n_args + 1:  # the flag given positionally
                args = args[:n_args]
        return method(input, *args, **kwargs)

    params = [params[0].replace(name="input")] + params[1:]
    if inplace:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params.append(inspect.Parameter("inplace", kind, default=False, annotation="bool"))
    function.__signature__ = sig.replace(parameters=params)
    return function


relu = _tensor_method(Tensor.relu, inplace=True)
leaky_relu = _tensor_method(Tensor.leaky_relu, inplace=True)
elu = _tensor_method(Tensor.elu, inplace=True)
gelu = _tensor_method(Tensor.gelu)
silu = _tensor_method(Tensor.silu, inplace=True)
sigmoid = _tensor_method(Tensor.sigmoid)
tanh = _tensor_method(Tensor.tanh)
softplus = _tensor_method(Tensor.softplus)
softmax = _tensor_method(Tensor.softmax)
log_softmax = _tensor_method(Tensor.log_softmax)
celu = _tensor_method(Tensor.celu, inplace=True)
selu = _tensor_method(Tensor.selu, inplace=True)
relu6 = _tensor_method(Tensor.relu6, inplace=True)
hardtanh = _tensor_method(Tensor.hardtanh, inplace=True)
hardswish = _tensor_method(Tensor.hardswish, inplace=True)
hardsigmoid = _tensor_method(Tensor.hardsigmoid, inplace=True)
mish = _tensor_method(Tensor.mish, inplace=True)
rrelu = _tensor_method(Tensor.rrelu, inplace=True)
threshold = _tensor_method(Tensor.threshold, inplace=True)
softsign = _tensor_method(Tensor.softsign)
logsigmoid = _tensor_method(Tensor.logsigmoid)
softmin = _tensor_method(Tensor.softmin)
glu = _tensor_method(Tensor.glu)
prelu = _tensor_method(Tensor.prelu)
tanhshrink = _tensor_method(Tensor.tanhshrink)
softshrink = _tensor_method(Tensor.softshrink)
hardshrink = _tensor_method(Tensor.hardshrink)


@composite("linear")
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, with weight of shape (out_features, in_features).

    >>> import tinygrad_cnn as tg
    >>> F.linear(tg.ones(4, 3), tg.ones(2, 3), tg.zeros(2)).shape
    (4, 2)
    """
    for what, t in (("input", input), ("weight", weight), ("bias", bias)):
        if not isinstance(t, Tensor) and not (what == "bias" and t is None):
            raise TypeError(
                f"linear: {what} must be a Tensor, got {type(t).__name__}; wrap it with "
                "tg.Tensor(...)"
            )
    if input.shape[-1:] != weight.shape[-1:] or weight.ndim != 2:
        raise ValueError(
            f"linear: input of shape {input.shape} has {input.shape[-1] if input.ndim else 0} "
            f"features but weight of shape {weight.shape} expects {weight.shape[-1]} "
            "(weight is (out_features, in_features))"
        )
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(
            f"linear: bias of shape {bias.shape} does not match weight of shape {weight.shape} "
            f"(expected ({weight.shape[0]},))"
        )
    return Linear.apply(input, weight, bias)


# -- losses ------------------------------------------------------------------------------------


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    _check_reduction(name, reduction)
    if reduction == "mean":
        if loss.data.size == 0:  # the mean of nothing is NaN, as in PyTorch and numpy
            return loss.sum() * math.nan
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _check_reduction(name: str, reduction: Any) -> None:
    if not isinstance(reduction, str) or reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{name}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _loss_args(name: str, input: Any, weight: Any = None) -> None:
    """Losses take Tensors (PyTorch raises TypeError for arrays and lists too)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}: input must be a Tensor, got {type(input).__name__}; wrap it with "
            "tg.Tensor(...)"
        )
    if weight is not None and not isinstance(weight, Tensor):
        raise TypeError(
            f"{name}: weight must be a Tensor or None, got {type(weight).__name__}; wrap it "
            "with tg.Tensor(...)"
        )
    if input.dtype.kind == "b":
        raise TypeError(f"{name}: input must be numeric, got dtype bool; convert with .float()")


def _loss_target(name: str, input: Tensor, target: Any) -> Tensor:
    """The target as a Tensor (numbers and numeric arrays or lists are converted)."""
    if isinstance(target, Tensor):
        return target
    try:
        arr = np.asarray(target)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: target must be a Tensor (or numbers), got {type(target).__name__}"
        )
    return input._coerce(target)


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C); (N, C) and (C,) pass through as 2-D."""
    if x.ndim == 1:
        return x.unsqueeze(0)
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(perm).reshape(-1, x.shape[1])


def _check_class_targets(name: str, input: Tensor, target: Tensor, ignore_index: int) -> None:
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: class-index targets must be integers (int64), got dtype {target.dtype} "
            f"and shape {target.shape}; for class probabilities give a float target of the "
            f"input's shape {input.shape}"
        )
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if target.shape != expected:
        raise ValueError(
            f"{name}: input of shape {input.shape} needs a target of shape {expected}, "
            f"got {target.shape}"
        )
    c = input.shape[1] if input.ndim >= 2 else input.shape[0]
    valid = target.data[target.data != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= c):
        bad = int(valid.min()) if valid.min() < 0 else int(valid.max())
        raise IndexError(
            f"{name}: target contains class {bad} but the input has {c} classes "
            f"(valid targets are 0..{c - 1}, or ignore_index={ignore_index})"
        )


def _check_class_weight(name: str, weight: Any, c: int) -> None:
    if weight is not None and weight.shape != (c,):
        raise ValueError(
            f"{name}: weight must be a 1-D tensor with one entry per class ({c},), got shape "
            f"{weight.shape}"
        )


@composite("nll_loss")
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of integer class targets, given log-probabilities (N, C, ...).

    >>> import tinygrad_cnn as tg
    >>> F.nll_loss(tg.Tensor([[-0.5, -1.0]]), tg.Tensor([1])).item()
    1.0
    """
    _loss_args("nll_loss", input, weight)
    return _nll(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def _smoothing_term(
    flat: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, reduction: str
) -> Tensor:
    """-sum_c w_c logp[i, c] per kept row, reduced as the NLL term is (label smoothing)."""
    t = target.data.reshape(-1)
    keep = t != ignore_index
    per_class = flat * weight if weight is not None else flat
    smooth = -(per_class.sum(1)) * Tensor._wrap(keep.astype(flat.dtype), False)
    if reduction == "none":
        return smooth
    w_t = weight.data[np.where(keep, t, 0)] * keep if weight is not None else keep
    denom = float(w_t.astype(flat.dtype, copy=False).sum()) if reduction == "mean" else 1.0
    return smooth.sum() * (1.0 / denom if denom != 0.0 else math.nan)


def _nll(
    logp: Tensor,
    target: Tensor,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    name: str,
) -> Tensor:
    target = _loss_target(name, logp, target)
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise TypeError(f"{name}: ignore_index must be an int, got {type(ignore_index).__name__}")
    _check_class_targets(name, logp, target, ignore_index)
    flat = _class_last(logp)
    _check_class_weight(name, weight, flat.shape[1])
    _check_reduction(name, reduction)
    reduce = reduction != "none"
    w = weight.data if weight is not None else None
    mean = reduction == "mean"
    loss = NLL.apply(flat, target, weight=w, ignore_index=ignore_index, mean=mean, reduce=reduce)
    if mean and target.numel() == 0:
        loss = loss * math.nan  # the mean over an empty batch is NaN, as in PyTorch
    if label_smoothing > 0:
        c = flat.shape[1]
        smooth = _smoothing_term(flat, target, weight, ignore_index, reduction)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / c)
    return loss.reshape(target.shape) if not reduce else loss


@composite("cross_entropy")
def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy between logits (N, C, ...) and integer classes or class probabilities.

    >>> import tinygrad_cnn as tg
    >>> logits = tg.Tensor([[1000.0, 0.0]])
    >>> F.cross_entropy(logits, tg.Tensor([1])).item()
    1000.0
    """
    _loss_args("cross_entropy", input, weight)
    target = _loss_target("cross_entropy", input, target)
    ok = isinstance(label_smoothing, (int, float)) and not isinstance(label_smoothing, bool)
    if not ok or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be a number in [0, 1], got {label_smoothing!r}"
        )
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    cdim = 1 if input.ndim >= 2 else 0
    if input.dtype.kind != "f":
        raise TypeError(
            f"cross_entropy: input must hold floating-point logits, got dtype {input.dtype}; "
            "convert with .float()"
        )
    if input.shape[cdim] == 0:
        raise ValueError(
            f"cross_entropy: input of shape {input.shape} has no classes (dimension {cdim} "
            "has size 0)"
        )
    logp = input.log_softmax(cdim)
    if target.dtype.kind == "f":
        if (
            target.shape != input.shape
            and target.shape == input.shape[:cdim] + input.shape[cdim + 1 :]
        ):
            raise TypeError(
                f"cross_entropy: class-index targets must be integers (int64), got dtype "
                f"{target.dtype} and shape {target.shape}; convert with .long(), or give class "
                f"probabilities of the input's shape {input.shape}"
            )
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy: a float target holds class probabilities and must have the "
                f"input's shape {input.shape}, got {target.shape}; class-index targets must be "
                "integers"
            )
        c = input.shape[cdim]
        _check_class_weight("cross_entropy", weight, c)
        target = target.astype(input.dtype)
        probs = target * (1.0 - label_smoothing) + label_smoothing / c
        terms = logp * probs
        if weight is not None:
            wshape = [1] * input.ndim
            wshape[cdim] = c
            terms = terms * weight.reshape(wshape)
        return _reduce(-terms.sum(cdim), reduction, "cross_entropy")
    return _nll(logp, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy")


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input shape {input.shape} and target shape {target.shape} must match"
        )


@composite("mse_loss")
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error.

    >>> import tinygrad_cnn as tg
    >>> F.mse_loss(tg.Tensor([1.0, 3.0]), tg.Tensor([0.0, 0.0])).item()
    5.0
    """
    _loss_args("mse_loss", input)
    target = _loss_target("mse_loss", input, target)
    _check_same_shape("mse_loss", input, target)
    d = input - target
    return _reduce(d * d, reduction, "mse_loss")


@composite("l1_loss")
def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error.

    >>> import tinygrad_cnn as tg
    >>> F.l1_loss(tg.Tensor([1.0, -3.0]), tg.Tensor([0.0, 0.0])).item()
    2.0
    """
    _loss_args("l1_loss", input)
    target = _loss_target("l1_loss", input, target)
    _check_same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction, "l1_loss")


@composite("binary_cross_entropy")
def binary_cross_entropy(
    input: Tensor, target: Any, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """BCE on probabilities in [0, 1]; logs are clamped at -100 as PyTorch does.

    >>> import tinygrad_cnn as tg
    >>> round(F.binary_cross_entropy(tg.Tensor([0.5]), tg.Tensor([1.0])).item(), 4)
    0.6931
    >>> F.binary_cross_entropy(tg.Tensor([0.0]), tg.Tensor([1.0])).item()
    100.0
    """
    _loss_args("binary_cross_entropy", input, weight)
    target = _loss_target("binary_cross_entropy", input, target)
    _check_same_shape("binary_cross_entropy", input, target)
    if input.dtype.kind != "f":
        raise TypeError(
            f"binary_cross_entropy: input must be floating point, got {input.dtype}; convert "
            "with .float()"
        )
    p = input.data
    if not ((p >= 0) & (p <= 1)).all():  # NOTE: written so that NaN fails too
        bad = p[~((p >= 0) & (p <= 1))].flat[0]
        raise ValueError(
            f"binary_cross_entropy: input values must be probabilities in [0, 1], got {bad}; "
            "use binary_cross_entropy_with_logits for logits"
        )
    loss = BinaryCrossEntropy.apply(input, target.astype(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


@composite("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """BCE on logits, computed stably: finite for logits of any magnitude.

    >>> import tinygrad_cnn as tg
    >>> F.binary_cross_entropy_with_logits(tg.Tensor([-1e4]), tg.Tensor([1.0])).item()
    10000.0
    """
    _loss_args("binary_cross_entropy_with_logits", input, weight)
    if pos_weight is not None and not isinstance(pos_weight, Tensor):
        raise TypeError(
            "binary_cross_entropy_with_logits: pos_weight must be a Tensor or None, got "
            f"{type(pos_weight).__name__}"
        )
    target = _loss_target("binary_cross_entropy_with_logits", input, target)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    # log(1 + e^-x) = relu(-x) + log(1 + e^-|x|)
    log1pexp_neg = (-input).relu() + ((-input.abs()).exp() + 1.0).log()
    if pos_weight is not None:
        lw = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * input + lw * log1pexp_neg
    else:
        loss = (1.0 - target) * input + log1pexp_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


__all__ = [
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "celu",
    "selu",
    "relu6",
    "hardtanh",
    "hardswish",
    "hardsigmoid",
    "mish",
    "rrelu",
    "threshold",
    "softsign",
    "logsigmoid",
    "softmin",
    "glu",
    "prelu",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "linear",
    "nll_loss",
    "cross_entropy",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "where",
]

from . import functional_cnn as _cnn  # noqa: E402
from .functional_cnn import *  # noqa: E402, F403

__all__ += _cnn.__all__
from .functional_norm import (  # noqa: E402
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
)

__all__ += ["layer_norm", "group_norm", "instance_norm", "local_response_norm", "normalize"]
from .functional_attention import scaled_dot_product_attention  # noqa: E402
from .functional_embed import (  # noqa: E402
    cosine_similarity,
    embedding,
    one_hot,
    pairwise_distance,
    pdist,
)

__all__ += [
    "scaled_dot_product_attention",
    "embedding",
    "one_hot",
    "cosine_similarity",
    "pairwise_distance",
    "pdist",
]
from .functional_loss import (  # noqa: E402
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    triplet_margin_loss,
)

__all__ += [
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
]
from .functional_dropout import (  # noqa: E402
    alpha_dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from .functional_resample import (  # noqa: E402
    affine_grid,
    channel_shuffle,
    grid_sample,
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ += [
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "grid_sample",
    "affine_grid",
]
from .functional_ctc import ctc_loss  # noqa: E402

__all__ += ["ctc_loss"]
