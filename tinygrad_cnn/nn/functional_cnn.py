"""CNN ops in ``torch.nn.functional``'s names and (N, C, *spatial) layout: batch_norm and
dropout here; the convolutions, unfold/fold (``functional_conv``), pooling
(``functional_pool``) and padding (``functional_pad``) are re-exported so ``nn.functional``
finds every CNN op in one place.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> x = tg.randn(2, 3, 8, 8)
>>> F.max_pool2d(F.conv2d(x, tg.randn(4, 3, 3, 3), padding=1), 2).shape
(2, 4, 4, 4)
"""

from __future__ import annotations

import numpy as np

from .. import random as _random
from ..autograd import composite, no_grad
from ..ops._util import const
from ..tensor import Tensor
from . import functional_conv, functional_pool
from ._window_args import tensor as _tensor
from .functional_conv import *  # noqa: F403 (re-exported: the one CNN namespace)
from .functional_pad import pad
from .functional_pool import *  # noqa: F403

# -- normalization and dropout ------------------------------------------------------------------


@composite("batch_norm")
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) of a (N, C), (N, C, L) or (N, C, H, W) input.

    Training uses the batch's statistics and updates the running ones in place, as PyTorch:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased).
    Evaluation uses the running statistics.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0], [3.0]])
    >>> rm, rv = tg.zeros(1), tg.ones(1)
    >>> [round(v, 3) for v in F.batch_norm(x, rm, rv, training=True).reshape(-1).tolist()]
    [-1.0, 1.0]
    >>> rm.tolist(), rv.tolist()
    ([0.2], [1.1])
    """
    op = "batch_norm"
    x = _tensor(input, "input", op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected an input of 2 or more dims (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and _tensor(t, name, op).shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), got {t.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and _tensor(t, name, op).shape != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), got {t.shape}")
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training:
        n = x.numel() // c
        if n <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input shape "
                f"{x.shape}"
            )
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        with no_grad():
            if running_mean is not None:
                running_mean.data[...] = (
                    (1 - momentum) * running_mean.data + momentum * mean.data.reshape(c)
                ).astype(running_mean.dtype)
            if running_var is not None:
                unbiased = var.data.reshape(c) * (n / (n - 1))
                running_var.data[...] = (
                    (1 - momentum) * running_var.data + momentum * unbiased
                ).astype(running_var.dtype)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{op}: running_mean and running_var are required when not training")
        centered = x - running_mean.reshape(shape)
        var = running_var.reshape(shape)
    scale = (var + eps) ** -0.5
    if weight is not None:  # folded into the per-channel scale: one full-size pass fewer
        scale = scale * weight.reshape(shape)
    out = centered * scale
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


@composite("dropout")
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), drawing from
    the generator behind ``manual_seed``. Identity when not training. (``inplace`` is accepted
    for PyTorch compatibility; the result is always a new tensor.)

    >>> import tinygrad_cnn as tg
    >>> _ = tg.manual_seed(0)
    >>> sorted(set(F.dropout(tg.ones(100), 0.5).tolist()))
    [0.0, 2.0]
    """
    op = "dropout"
    x = _tensor(input, "input", op)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: p must be a number in [0, 1], got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * const(np.zeros((), dtype=x.dtype))
    keep = _random.get_generator().random(x.shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * const(mask)


__all__ = [
    *functional_conv.__all__,
    *functional_pool.__all__,
    "pad",
    "batch_norm",
    "dropout",
]
