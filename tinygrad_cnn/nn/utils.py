"""Gradient clipping: clip_grad_norm_ and clip_grad_value_, in place on ``.grad``.

>>> import tinygrad_cnn as tg
>>> p = tg.nn.Parameter(tg.zeros(2)); p.grad = tg.Tensor([3.0, 4.0])
>>> clip_grad_norm_([p], max_norm=1.0).item()
5.0
>>> [round(v, 4) for v in p.grad.tolist()]
[0.6, 0.8]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor


def _grads(parameters: Any) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    out = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad: expected Tensors, got {type(p).__name__}")
        if p.grad is not None:
            out.append(p.grad.data)
    return out


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the norm before clipping (as PyTorch, the scale is
    ``max_norm / (norm + 1e-6)``, capped at 1).

    >>> w = tg.Tensor([0.0, 0.0], requires_grad=True)
    >>> w.grad = tg.Tensor([3.0, 4.0])
    >>> clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> [round(g, 3) for g in w.grad.tolist()]
    [0.6, 0.8]
    """
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = [float(np.abs(g).max()) if g.size else 0.0 for g in grads]
        total = max(norms)
    else:
        per = [
            np.linalg.norm(g.reshape(-1).astype(np.float64, copy=False), norm_type) for g in grads
        ]
        total = float(np.linalg.norm(np.asarray(per), norm_type))
    total32 = np.float32(total)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}, so they cannot be clipped; pass error_if_nonfinite=False to skip this check"
        )
    coef = min(float(max_norm) / (float(total32) + 1e-6), 1.0)
    if coef < 1.0:
        for g in grads:
            g *= g.dtype.type(coef)
    return Tensor(total32)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value].

    >>> import tinygrad_cnn as tg
    >>> p = tg.nn.Parameter(tg.zeros(2)); p.grad = tg.Tensor([3.0, -0.5])
    >>> clip_grad_value_([p], 1.0); p.grad.tolist()
    [1.0, -0.5]
    """
    c = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -c, c, out=g)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened into one 1-D tensor (a copy).

    >>> parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    (8,)
    """
    return Tensor(np.concatenate([p.data.reshape(-1) for p in parameters]))


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in place.

    >>> layer = nn.Linear(3, 2)
    >>> vector_to_parameters(tg.zeros(8), layer.parameters())
    >>> bool(layer.weight.numpy().any()), bool(layer.bias.numpy().any())
    (False, False)
    """
    i = 0
    for p in parameters:
        n = p.data.size
        p.data[...] = vec.data[i : i + n].reshape(p.shape)
        i += n
