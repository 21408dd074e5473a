"""Optimizer base: parameter groups with per-group options, per-parameter state, zero_grad
and state_dict / load_state_dict in PyTorch's format.

Updates are plain in-place numpy on ``p.data`` (float32 stays float32), so a step records
nothing in the autograd graph and costs a few array operations per parameter.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required: Any = _Required()


def _as_array(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    return value


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with ``params`` and options) and ``state``
    (per-parameter dicts of arrays). Subclasses implement ``step``.

    >>> import tinygrad_cnn as tg
    >>> w = tg.nn.Parameter(tg.ones(2))
    >>> opt = tg.optim.SGD([{"params": [w], "lr": 0.5}], lr=0.1)
    >>> opt.param_groups[0]["lr"], opt.defaults["lr"]
    (0.5, 0.1)
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of dicts, got a single "
                f"Tensor of shape {params.shape}; wrap it in a list: [tensor]"
            )
        if isinstance(params, dict):
            params = [params]
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params must be an iterable of Tensors (e.g. model.parameters()), got "
                f"{type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(
                f"{name}: got an empty parameter list; pass model.parameters() of a model that "
                "has parameters (a generator can only be consumed once)"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options use defaults).

        >>> import tinygrad_cnn as tg
        >>> a, b = tg.nn.Parameter(tg.ones(1)), tg.nn.Parameter(tg.ones(1))
        >>> opt = tg.optim.SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict, got {type(param_group)}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: params must be an ordered sequence, not a set")
        params = list(params) if params is not None else []
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: can only optimize Tensors, but parameter {i} is a "
                    f"{type(p).__name__}; pass model.parameters() or a list of Parameters"
                )
            if p.dtype.kind != "f":
                raise TypeError(
                    f"{name}: can only optimize floating-point tensors, parameter {i} has "
                    f"dtype {p.dtype} and shape {p.shape}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf tensor (parameter {i}, shape {p.shape}); "
                    "optimize the leaf tensors it was computed from"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter appears more than once in a param group")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        if not params:
            raise ValueError(f"{name}: a param group has an empty parameter list")
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of {k!r}")
            group.setdefault(k, v)
        group["params"] = params
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's options (subclasses)."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all optimized parameters (None by default, as PyTorch)."""
        if not isinstance(set_to_none, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}.zero_grad: set_to_none must be a bool, got "
                f"{type(set_to_none).__name__}"
            )
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _closure(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        if not callable(closure):
            raise TypeError(
                f"{type(self).__name__}.step: closure must be callable or None, got "
                f"{type(closure).__name__}"
            )
        with enable_grad():
            return closure()

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, parameters
        numbered in group order as PyTorch does. Arrays are copies."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = copy.deepcopy(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and per-parameter state from ``state_dict()`` (arrays, Tensors or
        torch tensors); the parameter groups must have the same sizes. Everything is checked
        before anything is changed: a malformed state dict, or one saved from another kind of
        optimizer, raises and leaves this optimizer as it was.

        >>> import tinygrad_cnn as tg
        >>> w = tg.nn.Parameter(tg.ones(2))
        >>> tg.optim.SGD([w], lr=0.1).load_state_dict(tg.optim.Adam([w]).state_dict())
        Traceback (most recent call last):
        ...
        ValueError: SGD.load_state_dict: param group 0 lacks 'momentum', 'dampening', ...
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: expected a dict, got {type(state_dict).__name__}")
        saved_groups = state_dict.get("param_groups")
        saved_state = state_dict.get("state")
        if not isinstance(saved_groups, list) or not isinstance(saved_state, dict):
            raise ValueError(
                f"{name}: expected keys 'state' (a dict) and 'param_groups' (a list), got "
                f"{sorted(map(str, state_dict))}"
            )
        groups = self._checked_groups(name, saved_groups)
        by_index = {}
        for g, sg in zip(self.param_groups, saved_groups):
            for p, i in zip(g["params"], sg["params"]):
                by_index[i] = p
        new_state: dict[Tensor, dict[str, Any]] = {}
        for i, s in saved_state.items():
            p = by_index.get(i if isinstance(i, int) else _int_key(name, i))
            if p is not None:
                new_state[p] = _checked_entry(name, i, s, p)
        self.state = new_state
        for g, new in zip(self.param_groups, groups):
            g.update(new)

    def _checked_groups(self, name: str, saved_groups: list[Any]) -> list[dict[str, Any]]:
        """The saved groups' options, each validated as add_param_group would."""
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state dict has {len(saved_groups)} parameter groups but the "
                f"optimizer has {len(self.param_groups)}"
            )
        out = []
        for k, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            ids = sg.get("params") if isinstance(sg, dict) else None
            if not isinstance(ids, list) or not all(_is_index(i) for i in ids):
                raise ValueError(f"{name}: param group {k} is not a dict with a 'params' list")
            if len(ids) != len(g["params"]):
                sizes = [len(x["params"]) for x in self.param_groups]
                raise ValueError(
                    f"{name}: param group {k} has {len(ids)} parameters in the state dict but "
                    f"{len(g['params'])} in the optimizer (group sizes {sizes})"
                )
            lacking = [key for key in self.defaults if key not in sg]
            if lacking:
                raise ValueError(
                    f"{name}: param group {k} lacks {', '.join(map(repr, lacking))}; was it "
                    f"saved from another kind of optimizer (it has {sorted(sg)})?"
                )
            options = {key: copy.deepcopy(v) for key, v in sg.items() if key != "params"}
            self._check_group({**g, **options})
            out.append(options)
        return out

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)


def _is_index(i: Any) -> bool:
    return isinstance(i, (int, np.integer)) and not isinstance(i, bool)


def _int_key(name: str, i: Any) -> int:
    try:
        return int(i)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: state key {i!r} is not a parameter index") from None


def _checked_entry(name: str, i: Any, entry: Any, p: Tensor) -> dict[str, Any]:
    """One parameter's state, converted and checked against the parameter."""
    if not isinstance(entry, dict):
        raise ValueError(f"{name}: the state of parameter {i} is a {type(entry).__name__}")
    out = {}
    for k, v in entry.items():
        v = _as_array(v)
        if k == "step":
            arr = np.asarray(v) if isinstance(v, (int, float, np.ndarray, np.generic)) else None
            if arr is None or arr.size != 1 or arr.dtype.kind not in "iuf":
                raise ValueError(f"{name}: state 'step' of parameter {i} is not a number: {v!r}")
            out[k] = float(arr.reshape(()))
        elif isinstance(v, np.ndarray):
            if v.shape != p.shape or v.dtype.kind not in "biuf":
                raise ValueError(
                    f"{name}: state {k!r} of parameter {i} has shape {v.shape} and dtype "
                    f"{v.dtype} but the parameter has shape {p.shape} and dtype {p.dtype}"
                )
            out[k] = np.array(v, dtype=p.dtype, copy=True)
        else:
            out[k] = copy.deepcopy(v)
    return out
