"""Channel-wise and self-normalizing dropout in ``torch.nn.functional``'s names: dropout1d,
dropout2d, dropout3d (whole channels are zeroed), alpha_dropout and feature_alpha_dropout
(dropped values are set to SELU's negative saturation and the result is rescaled to keep zero
mean and unit variance). Each is identity when not training.

>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> _ = tg.manual_seed(0)
>>> y = F.dropout2d(tg.ones(1, 8, 2, 2), 0.5)
>>> sorted(set(y.reshape(8, 4).amax(1).tolist())) == sorted(set(y.reshape(8, 4).amin(1).tolist()))
True
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import random as _random
from ..autograd import composite
from ..ops._util import const
from ..tensor import Tensor
from . import _argcheck as ac
from ._argcheck import library_errors

_SELU_ALPHA_SCALE = 1.7580993408473766  # SELU's scale * alpha: its negative saturation value


def _check(op: str, input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    x = ac.floating(input, "input", op)
    ac.probability(p, op)
    ac.flag(training, "training", op)
    ac.flag(inplace, "inplace", op)
    return x


def _keep_mask(x: Tensor, p: float, lead: int) -> np.ndarray:
    """A 0/1 keep mask of shape x.shape[:lead] + (1, ...): one draw per channel."""
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return (_random.get_generator().random(shape, dtype=np.float32) >= p).astype(x.dtype)


def _channel_dropout(x: Tensor, p: float, training: bool, lead: int) -> Tensor:
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * const(np.zeros((), dtype=x.dtype))
    return x * const(_keep_mask(x, p, lead) * x.dtype.type(1.0 / (1.0 - p)))


@composite("dropout1d")
@library_errors("dropout1d")
def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by
    1 / (1 - p). (``inplace`` is accepted; the result is a new tensor.)

    >>> F.dropout1d(tg.ones(2, 3, 4), 0.5, training=False).shape
    (2, 3, 4)
    """
    x = _check("dropout1d", input, p, training, inplace)
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {x.shape}"
        )
    return _channel_dropout(x, p, training, 2 if x.ndim == 3 else 1)


@composite("dropout2d")
@library_errors("dropout2d")
def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p, scaling the rest by 1 / (1 - p).
    As PyTorch, a 3-D input is read as (N, C, L) (with a warning), not as an unbatched image.

    >>> F.dropout2d(tg.ones(2, 3, 4, 4), 0.5, training=False).shape
    (2, 3, 4, 4)
    """
    x = _check("dropout2d", input, p, training, inplace)
    if x.ndim < 2:
        raise RuntimeError(f"dropout2d: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if x.ndim != 4:
        warnings.warn(
            f"dropout2d: received a {x.ndim}-D input; dropping channels of dim 1 as PyTorch "
            "does (use dropout1d for (N, C, L) inputs)",
            stacklevel=3,
        )
    return _channel_dropout(x, p, training, 2)


@composite("dropout3d")
@library_errors("dropout3d")
def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p, scaling the
    rest by 1 / (1 - p).

    >>> F.dropout3d(tg.ones(3, 2, 2, 2), 0.5, training=False).shape
    (3, 2, 2, 2)
    """
    x = _check("dropout3d", input, p, training, inplace)
    if x.ndim < 1:
        raise RuntimeError("dropout3d: expected a 5-D input (N, C, D, H, W), got a 0-d tensor")
    if x.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: received a {x.ndim}-D input; expected (N, C, D, H, W) or (C, D, H, W)",
            stacklevel=3,
        )
    return _channel_dropout(x, p, training, 2 if x.ndim == 5 else 1)


def _alpha_dropout(x: Tensor, p: float, training: bool, lead: int) -> Tensor:
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * const(np.zeros((), dtype=x.dtype))
    keep = _keep_mask(x, p, lead)
    a = 1.0 / math.sqrt((_SELU_ALPHA_SCALE**2 * p + 1.0) * (1.0 - p))
    # dropped units become -alpha'; the affine a * (.) + b restores mean 0, variance 1
    shift = ((keep - 1.0) * _SELU_ALPHA_SCALE * a + _SELU_ALPHA_SCALE * a * p).astype(x.dtype)
    return x * const((keep * a).astype(x.dtype)) + const(shift)


@composite("alpha_dropout")
@library_errors("alpha_dropout")
def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for self-normalizing (SELU) networks: dropped elements take SELU's negative
    saturation value and the result is rescaled to keep zero mean and unit variance. Note
    the default ``training=False``, as PyTorch.

    >>> F.alpha_dropout(tg.ones(3), 0.5).tolist()
    [1.0, 1.0, 1.0]
    """
    x = _check("alpha_dropout", input, p, training, inplace)
    return _alpha_dropout(x, p, training, x.ndim)


@composite("feature_alpha_dropout")
@library_errors("feature_alpha_dropout")
def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """``alpha_dropout`` of whole channels of (N, C, *).

    >>> F.feature_alpha_dropout(tg.ones(1, 2, 2), 0.5).shape
    (1, 2, 2)
    """
    x = _check("feature_alpha_dropout", input, p, training, inplace)
    if x.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected (N, C, *) input, got {x.shape}")
    return _alpha_dropout(x, p, training, 2)


__all__ = ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]
