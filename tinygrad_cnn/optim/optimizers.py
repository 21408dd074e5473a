"""SGD, Adam, AdamW and RMSprop, each the same update, in the same float32 operation order,
as PyTorch's single-tensor implementation (so trajectories agree to float32 rounding). SGD,
Adam and AdamW also take ``foreach``: True updates each parameter group at once on flat
buffers (optim/_flat.py; the same update function, bit-identical results), False one
parameter at a time, None (the default) whichever measured faster for the group's sizes.

>>> import tinygrad_cnn as tg
>>> w = tg.nn.Parameter(tg.Tensor([1.0, -2.0]))
>>> opt = tg.optim.SGD([w], lr=0.1)
>>> (w * w).sum().backward(); opt.step()
>>> [round(v, 4) for v in w.tolist()]
[0.8, -1.6]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops import fast
from ._flat import flat_update
from .optimizer import Optimizer


def _check(name: str, **values: float) -> None:
    for k, v in values.items():
        if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
            raise TypeError(f"{name}: {k} must be a number, got {type(v).__name__} {v!r}")
        if not 0.0 <= v:
            raise ValueError(f"{name}: invalid {k} {v}; it must be >= 0")


def _check_flags(name: str, group: dict[str, Any], *keys: str) -> None:
    for k in keys:
        if not isinstance(group[k], (bool, np.bool_)):
            raise TypeError(f"{name}: {k} must be a bool, got {type(group[k]).__name__}")


def _check_betas(name: str, betas: Any) -> tuple[float, float]:
    """(beta1, beta2): two numbers in [0, 1)."""
    if not isinstance(betas, (tuple, list)):
        raise TypeError(f"{name}: betas must be a pair of numbers, got {type(betas).__name__}")
    ok = len(betas) == 2
    if ok:
        _check(name, beta1=betas[0], beta2=betas[1])
    if not ok or not (betas[0] < 1.0 and betas[1] < 1.0):
        raise ValueError(f"{name}: betas must be a pair of numbers in [0, 1), got {betas!r}")
    return (betas[0], betas[1])


def _check_foreach(name: str, foreach: Any) -> bool | None:
    if foreach is not None and not isinstance(foreach, (bool, np.bool_)):
        raise TypeError(f"{name}: foreach must be None or a bool, got {type(foreach).__name__}")
    return None if foreach is None else bool(foreach)


def _lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a = lerp(a, b, w) in place, with PyTorch's two-branch formula."""
    w32 = a.dtype.type(w)
    if abs(w) < 0.5:
        a += w32 * (b - a)
    else:
        np.subtract(b, (b - a) * (a.dtype.type(1) - w32), out=a)


def _grad_of(p: Any, opt: Any) -> Any:
    """The gradient array of p, checked: a hand-assigned .grad of another shape is an error."""
    g = p.grad.data
    if g.shape != p.data.shape:
        raise ValueError(
            f"{type(opt).__name__}.step: a parameter of shape {tuple(p.data.shape)} has a .grad "
            f"of shape {tuple(g.shape)}; gradients must have their parameter's shape"
        )
    return g


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
    (L2) weight decay:

        g = grad + weight_decay * p
        buf = g (first step), else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf (nesterov) or buf
        p = p - lr * g

    >>> import tinygrad_cnn as tg
    >>> w = tg.nn.Parameter(tg.Tensor([1.0]))
    >>> opt = tg.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)
    0.46
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        self.foreach = _check_foreach("SGD", foreach)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, g: dict[str, Any]) -> None:
        _check("SGD", lr=g["lr"], momentum=g["momentum"], weight_decay=g["weight_decay"])
        _check("SGD", dampening=g["dampening"])
        _check_flags("SGD", g, "nesterov", "maximize")
        if g["nesterov"] and (g["momentum"] <= 0 or g["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for i, group in enumerate(self.param_groups):
            flat = flat_update(self, i, group, ("momentum_buffer",))
            if flat is not None:  # one update of the whole group's flat buffers
                fg, st = flat[0], dict(flat[0].state)
                _sgd_update(fg.data, flat[1], st, group)
                if "momentum_buffer" in st and "momentum_buffer" not in fg.state:
                    fg.adopt("momentum_buffer", st["momentum_buffer"], state)
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = state.setdefault(p, {}) if group["momentum"] != 0 else {}
                _sgd_update(p.data, _grad_of(p, self), st, group)
        return loss


def _sgd_update(d: np.ndarray, g: np.ndarray, st: dict[str, Any], group: dict[str, Any]) -> None:
    """One SGD step of ``d`` in place (a parameter's array, or a group's flat buffer); ``st``
    holds its momentum buffer, made on the first step."""
    f = d.dtype.type
    momentum, wd = group["momentum"], group["weight_decay"]
    if group["maximize"]:
        g = -g
    if wd != 0:
        g = g + f(wd) * d
    if momentum != 0:
        buf = st.get("momentum_buffer")
        plain = not (wd or group["maximize"] or group["nesterov"] or group["dampening"])
        if plain and buf is not None and fast.sgd_momentum(d, g, buf, f(momentum), f(group["lr"])):
            return  # the numba kernel did the same operations in one pass (ops/fast.py)
        if buf is None:
            buf = st["momentum_buffer"] = np.array(g, dtype=d.dtype, copy=True)
        else:
            buf *= f(momentum)
            if group["dampening"] == 0:
                buf += g
            else:
                buf += f(1 - group["dampening"]) * g
        g = g + f(momentum) * buf if group["nesterov"] else buf
    d -= f(group["lr"]) * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) with optional L2 weight decay and AMSGrad, PyTorch's update:

        m = lerp(m, g, 1 - beta1);  v = beta2 v + (1 - beta2) g^2
        p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    >>> import tinygrad_cnn as tg
    >>> w = tg.nn.Parameter(tg.Tensor([1.0, -1.0]))
    >>> opt = tg.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -0.9]
    """

    _decoupled = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        self.foreach = _check_foreach(type(self).__name__, foreach)
        defaults = dict(
            lr=lr,
            betas=_check_betas(type(self).__name__, betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, g: dict[str, Any]) -> None:
        name = type(self).__name__
        _check(name, lr=g["lr"], eps=g["eps"], weight_decay=g["weight_decay"])
        _check_flags(name, g, "amsgrad", "maximize")
        g["betas"] = _check_betas(name, g["betas"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for i, group in enumerate(self.param_groups):
            keys = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
            flat = flat_update(self, i, group, keys)
            if flat is not None:  # one update of the whole group's flat buffers
                fg, first = flat[0], group["params"][0]
                if first not in state:
                    for k in keys:
                        fg.adopt(k, np.zeros_like(fg.data), state)
                step = state[first].get("step", 0.0) + 1.0
                for p in group["params"]:
                    state[p]["step"] = step
                self._update(fg.data, flat[1], fg.state, step, group)
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.data
                st = state.get(p)
                if st is None:
                    st = state[p] = {"step": 0.0}
                    st.update({k: np.zeros_like(d) for k in keys})
                st["step"] = step = st["step"] + 1.0
                self._update(d, _grad_of(p, self), st, step, group)
        return loss

    def _update(self, d, g, st: dict[str, Any], step: float, group: dict[str, Any]) -> None:
        """One Adam step of ``d`` in place (a parameter's array, or a group's flat buffer)."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd = group["weight_decay"]
        f = d.dtype.type
        if group["maximize"]:
            g = -g
        if wd != 0:
            if self._decoupled:
                d *= f(1 - lr * wd)
            else:
                g = g + f(wd) * d
        m, v = st["exp_avg"], st["exp_avg_sq"]
        _lerp_(m, g, 1 - beta1)
        v *= f(beta2)
        v += (f(1 - beta2) * g) * g
        step_size = lr / (1 - beta1**step)
        bc2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            vmax = st["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(vmax)
        else:
            denom = np.sqrt(v)
        denom /= f(bc2_sqrt)
        denom += f(eps)
        d += (f(-step_size) * m) / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam update. Default weight_decay=0.01, as PyTorch.

    >>> import tinygrad_cnn as tg
    >>> w = tg.nn.Parameter(tg.Tensor([1.0]))
    >>> opt = tg.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0).sum().backward(); opt.step(); round(w.item(), 4)
    0.95
    """

    _decoupled = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach
        )


class RMSprop(Optimizer):
    """RMSprop (Hinton), PyTorch's variant: ``v = alpha v + (1 - alpha) g^2``,
    ``p -= lr g / (sqrt(v) + eps)``, optionally centered and with momentum.

    >>> import tinygrad_cnn as tg
    >>> w = tg.nn.Parameter(tg.Tensor([1.0]))
    >>> opt = tg.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step(); round(w.item(), 4)
    0.9
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, g: dict[str, Any]) -> None:
        _check(
            "RMSprop",
            lr=g["lr"],
            alpha=g["alpha"],
            eps=g["eps"],
            weight_decay=g["weight_decay"],
            momentum=g["momentum"],
        )
        _check_flags("RMSprop", g, "centered", "maximize")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.data
                f = d.dtype.type
                g = _grad_of(p, self)
                if maximize:
                    g = -g
                st = state.get(p)
                if st is None:
                    st = state[p] = {"step": 0.0, "square_avg": np.zeros_like(d)}
                    if momentum > 0:
                        st["momentum_buffer"] = np.zeros_like(d)
                    if centered:
                        st["grad_avg"] = np.zeros_like(d)
                st["step"] += 1.0
                if wd != 0:
                    g = g + f(wd) * d
                sq = st["square_avg"]
                sq *= f(alpha)
                sq += (f(1 - alpha) * g) * g
                if centered:
                    ga = st["grad_avg"]
                    _lerp_(ga, g, 1 - alpha)
                    # NOTE: sq - ga^2 cancels badly when gradients are steady; PyTorch's fused
                    # multiply-add rounds once, which float64 reproduces (the product is exact)
                    avg = (sq.astype(np.float64) - np.square(ga, dtype=np.float64)).astype(d.dtype)
                    np.sqrt(avg, out=avg)
                else:
                    avg = np.sqrt(sq)
                avg += f(eps)
                if momentum > 0:
                    buf = st["momentum_buffer"]
                    buf *= f(momentum)
                    buf += g / avg
                    d += f(-lr) * buf
                else:
                    d += (f(-lr) * g) / avg
        return loss
