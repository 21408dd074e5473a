"""The ``foreach`` update path: a parameter group's parameters and their state arrays as views
into one flat buffer each, so that an update is a few numpy calls for the whole group instead
of a few per parameter (PyTorch's multi-tensor ``foreach`` idea; on numpy the per-call cost is
what there is to save).

The first flat step copies every parameter into one buffer and points ``p.data`` at its view
there; each step then gathers the gradients into one buffer (one copy) and runs the same update
function the per-parameter path runs, on the flat arrays, so the results are bit-identical.
Whatever replaced a parameter's array or a state array since (``p.data = ...``,
``load_state_dict``) is noticed by identity and copied into fresh buffers.

>>> import tinygrad_cnn as tg
>>> w, b = tg.nn.Parameter(tg.ones(2)), tg.nn.Parameter(tg.ones(1))
>>> opt = tg.optim.SGD([w, b], lr=0.5, momentum=0.9, foreach=True)
>>> (w.sum() + b.sum()).backward(); opt.step()
>>> w.tolist(), w.data.base is b.data.base
([0.5, 0.5], True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

# NOTE: measured (docs/performance.md): the flat update saves ~2 us of Python and numpy call
# overhead per parameter and costs one copy of every gradient (~0.26 ns an element): it wins
# for the MLP's 6 parameters of 400 elements on average (15 -> 5 us) and LeNet-5's 10 of 4400
# (41 -> 26 us) and loses for the CIFAR net's 8 of 68000 (588 -> 727 us)
MEAN_SIZE = 8192


def wanted(foreach: bool | None, params: list[Any]) -> bool:
    """Whether a group takes the flat path: ``foreach`` True, or None (the default) and its
    parameters small enough on average for per-call overhead to dominate."""
    if foreach is None:
        return sum(p.data.size for p in params) <= MEAN_SIZE * len(params)
    return bool(foreach)


class FlatGroup:
    """One group's parameters and state arrays (under ``keys``) as views of flat buffers."""

    def __init__(self, params: list[Any], state: dict[Any, dict[str, Any]], keys: tuple) -> None:
        self.params = params
        self.bounds = np.cumsum([0] + [p.data.size for p in params])
        self.data = self._pack([p.data for p in params])
        self.param_views = self.views(self.data)
        for p, v in zip(params, self.param_views):
            p.data = v
        self.state: dict[str, np.ndarray] = {}
        self.state_views: dict[str, list[np.ndarray]] = {}
        for k in keys:
            if all(k in state.get(p, _EMPTY) for p in params):
                self.adopt(k, self._pack([state[p][k] for p in params]), state)
        self.grad = np.empty_like(self.data)

    def _pack(self, arrays: list[np.ndarray]) -> np.ndarray:
        flat = np.concatenate([np.ravel(a) for a in arrays])
        return flat.astype(self.params[0].dtype, copy=False)

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Per parameter, the view of ``flat`` in its shape."""
        b = self.bounds
        return [flat[b[i] : b[i + 1]].reshape(p.shape) for i, p in enumerate(self.params)]

    def adopt(self, key: str, flat: np.ndarray, state: dict[Any, dict[str, Any]]) -> None:
        """Keep ``flat`` as the state ``key`` of every parameter (its per-parameter views)."""
        self.state[key] = flat
        self.state_views[key] = views = self.views(flat)
        for p, v in zip(self.params, views):
            state.setdefault(p, {})[key] = v

    def grads(self, state: dict[Any, dict[str, Any]]) -> list[np.ndarray] | None:
        """Every parameter's gradient, flattened, if each parameter and state array is still
        the view this group made, every gradient is there with its parameter's shape and
        dtype, and the states are alike (as many entries, one step count); else None."""
        if not _alike(self.params, state):
            return None
        out, views = [], self.state_views.items()
        for i, p in enumerate(self.params):
            d, g = p._d, p._g
            if d is not self.param_views[i] or g is None:
                return None
            gd = g._d
            if gd.shape != d.shape or gd.dtype != d.dtype:
                return None
            st = state.get(p, _EMPTY)
            for k, vs in views:
                if st.get(k) is not vs[i]:
                    return None
            out.append(gd.reshape(-1))
        return out

    def gather(self, grads: list[np.ndarray]) -> np.ndarray:
        """The gradients copied into the flat gradient buffer."""
        return np.concatenate(grads, out=self.grad)


def flat_update(opt: Any, index: int, group: dict[str, Any], keys: tuple):
    """(group ``index``'s FlatGroup, its flat gradient) made or remade after a change, or None
    where this step runs per parameter: ``foreach`` says so, some parameter lacks a gradient
    (or has one of another shape or dtype), dtypes differ, or the parameters' states are not
    all alike (the flat path steps every parameter of the group together)."""
    flats = opt.__dict__.setdefault("_flat", {})
    params, state = group["params"], opt.state
    fg = flats.get(index)
    if isinstance(fg, FlatGroup) and fg.params is params:
        grads = fg.grads(state)
        if grads is not None:
            return fg, fg.gather(grads)
    if fg is False or not wanted(opt.foreach, params):
        flats[index] = False  # sizes decide once; both paths give the same results
        return None
    dtype = params[0].dtype
    for p in params:
        g = p.grad
        if g is None or p.dtype != dtype or g.dtype != dtype or g.shape != p.shape:
            return None
    if not _alike(params, state):
        return None
    fg = flats[index] = FlatGroup(params, state, keys)
    return fg, fg.gather(fg.grads(state))


_EMPTY: dict[str, Any] = {}


def _alike(params: list[Any], state: dict[Any, dict[str, Any]]) -> bool:
    """Whether every parameter's state has as many entries and the same step count."""
    first = state.get(params[0], _EMPTY)
    n, step = len(first), first.get("step")
    for p in params:
        st = state.get(p, _EMPTY)
        if len(st) != n or st.get("step") != step:
            return False
    return True
