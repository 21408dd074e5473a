"""Module and Parameter: the registry that turns attributes into parameters, buffers and children.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> class Net(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.fc = nn.Linear(3, 2)
...     def forward(self, x):
...         return self.fc(x)
>>> [k for k in Net().state_dict()]
['fc.weight', 'fc.bias']
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..autograd import _state, name_the_op
from ..tensor import Tensor

_hook_ids = itertools.count()


class Parameter(Tensor):
    """A Tensor that is a module's learnable weight: it requires grad and registers itself.

    >>> import tinygrad_cnn as tg
    >>> p = tg.nn.Parameter(tg.zeros(2))
    >>> p.requires_grad, p.shape
    (True, (2,))
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), np.float32)
        super().__init__(data.data if isinstance(data, Tensor) else data)
        if self.data.dtype.kind != "f" and requires_grad:
            raise TypeError(
                f"Parameter: only floating-point data can require grad, got dtype {self.dtype}"
            )
        self.requires_grad = bool(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (self.data, self.requires_grad))


class StateDictError(RuntimeError, ValueError):
    """load_state_dict found missing, unexpected or mis-shaped keys (a RuntimeError like
    PyTorch's, and a ValueError so that command-line tools report it cleanly)."""


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _checked_value(value: Any, dtype: np.dtype) -> tuple[Any, str]:
    """(array, "") for a value load_state_dict can copy into a tensor of ``dtype``, else
    (None, what is wrong): checked for every key before any is written."""
    if value is None:
        return None, "got None, expected a tensor or array"
    if isinstance(value, (str, bytes)):
        return None, f"got a {type(value).__name__}, expected a tensor or array"
    try:
        arr = _to_numpy(value)
    except (TypeError, ValueError):
        return None, f"cannot convert {type(value).__name__} to a numeric array (ragged?)"
    kind = arr.dtype.kind
    if kind not in "biuf" or (kind == "f" and dtype.kind in "biu"):
        return None, (
            f"got {type(value).__name__} of dtype {arr.dtype}, which cannot be copied into a "
            f"tensor of dtype {dtype}"
        )
    return arr, ""


class _HookHandle:
    def __init__(self, hooks: dict, key: int) -> None:
        self.hooks, self.key = hooks, key

    def remove(self) -> None:
        self.hooks.pop(self.key, None)


class Module:
    """Base class of every layer and model: subclass it, assign layers and Parameters as
    attributes in ``__init__``, and write ``forward``. Call the module to run forward.

    Attributes that are Parameters, Modules, or lists/tuples/dicts of them register
    themselves (lists become ModuleList / ParameterList, dicts ModuleDict / ParameterDict).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> m = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    >>> m(tg.ones(2, 4)).shape
    (2, 3)
    >>> sum(p.numel() for p in m.parameters())
    15
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: forward() is not implemented")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in self._forward_pre_hooks.values():
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        first = args[0] if args else kwargs.get("input", self)
        if first is not self and not isinstance(first, Tensor) and _library_module(self):
            raise TypeError(
                f"{type(self).__name__}: input must be a Tensor, got {type(first).__name__}; "
                "wrap arrays with tg.Tensor(...)"
            )
        stack = _state.module_stack
        stack.append(self)
        try:
            out = self.forward(*args, **kwargs)
        except (ValueError, TypeError, RuntimeError, IndexError, NotImplementedError) as e:
            name_the_op(e, type(self).__name__)
            raise
        finally:
            stack.pop()
        for hook in self._forward_hooks.values():
            res = hook(self, args, out)
            if res is not None:
                out = res
        return out

    # -- registration ---------------------------------------------------------------------
    def _check_ready(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() call "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if isinstance(value, (list, tuple, dict)) and not name.startswith("_"):
            value = _wrap_container(value)
        if isinstance(value, Parameter):
            self._check_ready(name)
            self._discard(name)
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._check_ready(name)
            self._discard(name)
            d["_modules"][name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} of "
                    f"{type(self).__name__} (a Parameter or None is expected; wrap it as "
                    "nn.Parameter(...))"
                )
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} of "
                    f"{type(self).__name__} (a Module or None is expected)"
                )
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} of "
                    f"{type(self).__name__} (a Tensor or None is expected)"
                )
            d["_buffers"][name] = value
        d[name] = value  # NOTE: kept in __dict__ too, so attribute reads stay fast

    def _discard(self, name: str) -> None:
        d = self.__dict__
        for reg in ("_parameters", "_modules", "_buffers"):
            d[reg].pop(name, None)
        d["_non_persistent"].discard(name)

    def __delattr__(self, name: str) -> None:
        if "_parameters" in self.__dict__:
            self._discard(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a placeholder that state_dict skips)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: {name!r} must be a Parameter or None, got "
                f"{type(param).__name__}"
            )
        self._check_ready(name)
        self._discard(name)
        self.__dict__["_parameters"][name] = param
        self.__dict__[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a non-learnable tensor (running statistics) that state_dict saves.

        >>> import tinygrad_cnn as tg
        >>> m = tg.nn.Module(); m.register_buffer("count", tg.zeros(1))
        >>> list(m.state_dict())
        ['count']
        """
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._check_ready(name)
        self._discard(name)
        self.__dict__["_buffers"][name] = tensor
        if not persistent:
            self.__dict__["_non_persistent"].add(name)
        self.__dict__[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._check_ready(name)
        self._discard(name)
        self.__dict__["_modules"][name] = module
        self.__dict__[name] = module

    register_module = add_module

    def register_forward_hook(self, hook: Callable) -> _HookHandle:
        """Call ``hook(module, inputs, output)`` after forward; a return value replaces output.

        >>> import tinygrad_cnn as tg
        >>> m = tg.nn.ReLU(); seen = []
        >>> h = m.register_forward_hook(lambda mod, inp, out: seen.append(out.shape))
        >>> _ = m(tg.ones(2, 3)); h.remove(); seen
        [(2, 3)]
        """
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    def register_forward_pre_hook(self, hook: Callable) -> _HookHandle:
        """Call ``hook(module, inputs)`` before forward; a return value replaces the inputs."""
        key = next(_hook_ids)
        self._forward_pre_hooks[key] = hook
        return _HookHandle(self._forward_pre_hooks, key)

    # -- traversal ------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(name, module) for self and every descendant, depth first, each module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from m.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once (depth first).

        >>> [type(m).__name__ for m in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).modules()]
        ['Sequential', 'Linear', 'ReLU']
        """
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The modules directly inside this one.

        >>> len(list(nn.Sequential(nn.Linear(2, 2), nn.ReLU()).children()))
        2
        """
        for _, m in self.named_children():
            yield m

    def _named_members(self, attr: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, v in getattr(m, attr).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{mprefix}.{name}" if mprefix else name), v

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in registration order; shared parameters once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter (of the submodules too unless ``recurse=False``), for an optimizer.

        >>> [tuple(p.shape) for p in nn.Linear(3, 2).parameters()]
        [(2, 3), (2,)]
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every registered buffer (state that is saved but not trained, e.g. running_mean).

        >>> [tuple(b.shape) for b in nn.BatchNorm1d(3).buffers()]
        [(3,), (3,), ()]
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        m = self
        for part in target.split(".") if target else []:
            if part not in m._modules:
                raise AttributeError(f"{type(m).__name__} has no submodule {part!r}")
            m = m._modules[part]
        return m

    # -- modes ----------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm uses batch statistics) recursively."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (False freezes the module); returns self.

        >>> all(not p.requires_grad for p in nn.Linear(2, 2).requires_grad_(False).parameters())
        True
        """
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (to None by default, as PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on self.

        >>> import tinygrad_cnn as tg
        >>> names = []
        >>> _ = tg.nn.Sequential(tg.nn.ReLU()).apply(lambda m: names.append(type(m).__name__))
        >>> names
        ['ReLU', 'Sequential']
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32, in place."""
        return self._cast_floats(np.float32)

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64, in place (for gradcheck).

        >>> import tinygrad_cnn as tg
        >>> tg.nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self._cast_floats(np.float64)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)`` casts floating-point state; ``to("cpu")`` is a no-op (numpy is the only
        device)."""
        dtype = kwargs.get("dtype")
        for a in list(args) + [kwargs.get("device")]:
            if a is None or str(a) == "cpu":
                continue
            try:
                dt = np.dtype(a)
            except TypeError:
                raise ValueError(f"to: unsupported device or dtype {a!r} (only 'cpu')") from None
            dtype = dt
        if dtype is not None:
            if np.dtype(dtype).kind != "f":
                raise TypeError(f"to: dtype must be floating point, got {np.dtype(dtype)}")
            self._cast_floats(np.dtype(dtype))
        return self

    def cpu(self) -> Module:
        return self

    def _cast_floats(self, dtype: Any) -> Module:
        for m in self.modules():
            for reg in (m._parameters, m._buffers):
                for v in reg.values():
                    if v is not None and v.data.dtype.kind == "f":
                        v.data = v.data.astype(dtype)
                        if v.grad is not None:
                            v.grad = Tensor._wrap(v.grad.data.astype(dtype), False)
        return self

    # -- state dict -----------------------------------------------------------------------
    def state_dict(
        self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (PyTorch's keys and layouts).

        Values share memory with the module (detached unless ``keep_vars``).
        """
        out: OrderedDict[str, Tensor] = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else Tensor._wrap(p.data, False)
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b if keep_vars else Tensor._wrap(b.data, False)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(out, prefix + name + ".", keep_vars)
        return out

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values (Tensors, numpy arrays or torch tensors) into parameters and buffers
        in place. Shape mismatches always raise; with ``strict`` missing and unexpected keys
        raise too. Returns ``(missing_keys, unexpected_keys)``.

        >>> import tinygrad_cnn as tg
        >>> a, b = tg.nn.Linear(2, 2), tg.nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        >>> bool((a.weight == b.weight).all())
        True
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to arrays, got "
                f"{type(state_dict).__name__}"
            )
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        arrays = {}
        for k, target in own.items():
            if k not in state_dict:
                continue
            arr, problem = _checked_value(state_dict[k], target.data.dtype)
            if problem:
                mismatched.append(f"bad value for {k}: {problem}")
                continue
            if arr.shape != target.data.shape:
                mismatched.append(
                    f"size mismatch for {k}: copying a param with shape {tuple(arr.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.data.shape)}"
                )
            arrays[k] = arr
        errors = list(mismatched)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(unexpected))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(missing))
        if errors:
            raise StateDictError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for k, arr in arrays.items():
            target = own[k]
            target.data[...] = arr.astype(target.data.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # -- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Settings shown inside the parentheses of this module's repr."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, m in self._modules.items():
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not self._modules:
            return f"{self._get_name()}({extra})"
        inner = "\n  ".join(lines)
        return f"{self._get_name()}(\n  {inner}\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()))


def _wrap_container(value: Any) -> Any:
    from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList

    if isinstance(value, dict):
        vals = list(value.values())
        if vals and all(isinstance(v, Module) for v in vals):
            return ModuleDict(value)
        if vals and all(isinstance(v, Parameter) for v in vals):
            return ParameterDict(value)
        return value
    if value and all(isinstance(v, Module) for v in value):
        return ModuleList(value)
    if value and all(isinstance(v, Parameter) for v in value):
        return ParameterList(value)
    return value


def _library_module(m: Module) -> bool:
    """A layer of this library (whose forward takes a Tensor first), not a user's Module."""
    cls = type(m)
    layer = cls.__module__.startswith("tinygrad_cnn.nn.") and cls.forward is not Module.forward
    # a container passes its input on; a loss checks its own (naming the functional form)
    return layer and cls.__module__ not in ("tinygrad_cnn.nn.containers", "tinygrad_cnn.nn.loss")
