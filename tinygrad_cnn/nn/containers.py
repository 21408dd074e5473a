"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .module import Module, Parameter


class Sequential(Module):
    """Modules applied in order; supports indexing, slicing, len and append.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> net(tg.ones(3, 4)).shape, len(net), type(net[1]).__name__, len(net[:2])
    ((3, 2), 3, 'ReLU', 2)
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for name, m in args[0].items():
                self.add_module(str(name), _check_module("Sequential", m))
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), _check_module("Sequential", m))

    def forward(self, input: Any) -> Any:
        for m in self._modules.values():
            input = m(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        setattr(self, key, _check_module("Sequential", module))

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        for k in keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), "Seq")]]:
            delattr(self, k)
        # PyTorch keeps numeric names contiguous after deletion
        items = list(self._modules.items())
        if all(k.isdigit() for k, _ in items):
            for k, _ in items:
                self._discard(k)
                self.__dict__.pop(k, None)
            for i, (_, m) in enumerate(items):
                self.add_module(str(i), m)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), _check_module("Sequential", module))
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (keys ``0.weight``, ``1.weight``...).

    >>> from tinygrad_cnn import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        vals = list(self._modules.values())
        if isinstance(idx, slice):
            return ModuleList(vals[idx])
        return vals[_index(idx, len(vals), "ModuleList")]

    def __setitem__(self, idx: int, module: Module) -> None:
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), _check_module("ModuleList", module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in _iterable(modules, "ModuleList", "modules"):
            self.append(m)
        return self

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward; iterate over it in your forward")


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys.

    >>> from tinygrad_cnn import nn
    >>> d = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    >>> list(d.keys()), list(d.state_dict())
    (['enc', 'act'], ['enc.weight', 'enc.bias'])
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _check_module("ModuleDict", module))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Mapping[str, Module]) -> None:
        for k, m in _pairs(modules, "ModuleDict", "modules"):
            self[k] = m

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward; index it in your forward")


class ParameterList(Module):
    """A list of Parameters registered under ``0``, ``1``, ...

    >>> params = ParameterList([Parameter(tg.zeros(2)), Parameter(tg.ones(3))])
    >>> [name for name, _ in params.named_parameters()]
    ['0', '1']
    """

    def __init__(self, values: Iterable[Parameter] | None = None) -> None:
        super().__init__()
        for v in _iterable([] if values is None else values, "ParameterList", "values"):
            self.append(v)

    def append(self, value: Parameter) -> ParameterList:
        self.register_parameter(str(len(self)), _check_parameter("ParameterList", value))
        return self

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def __getitem__(self, idx: int) -> Parameter:
        return list(self._parameters.values())[_index(idx, len(self), "ParameterList")]

    def extra_repr(self) -> str:
        return "\n".join(
            f"({k}): Parameter containing: shape {tuple(p.shape)}"
            for k, p in self._parameters.items()
        )


class ParameterDict(Module):
    """A dict of Parameters registered under their keys.

    >>> params = ParameterDict({'scale': Parameter(tg.ones(1))})
    >>> params['scale'].shape, [n for n, _ in params.named_parameters()]
    ((1,), ['scale'])
    """

    def __init__(self, values: Mapping[str, Parameter] | None = None) -> None:
        super().__init__()
        for k, v in _pairs({} if values is None else values, "ParameterDict", "values"):
            self[k] = v

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Parameter) -> None:
        self.register_parameter(key, _check_parameter("ParameterDict", value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def keys(self) -> Iterable[str]:
        return self._parameters.keys()

    def items(self) -> Iterable[tuple[str, Parameter]]:
        return self._parameters.items()

    def values(self) -> Iterable[Parameter]:
        return self._parameters.values()


def _check_module(where: str, m: Any) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected a Module, got {type(m).__name__}")
    return m


def _index(idx: int, n: int, where: str) -> int:
    if not -n <= idx < n:
        raise IndexError(f"{where}: index {idx} is out of range for {n} modules")
    return idx % n


def _iterable(values: Any, owner: str, what: str) -> list[Any]:
    message = f"{owner}: {what} must be an iterable (a list or tuple), got {type(values).__name__}"
    if isinstance(values, (Mapping, str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(message)
    try:
        return list(values)
    except TypeError:  # iterating a 0-d tensor, say
        raise TypeError(message) from None


def _pairs(values: Any, owner: str, what: str) -> list[tuple[Any, Any]]:
    """A mapping's items, or an iterable of (key, value) pairs, with string keys."""
    if isinstance(values, Mapping):
        pairs = list(values.items())
    else:
        pairs = list(_iterable(values, owner, what))
        if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
            raise TypeError(f"{owner}: {what} must be a dict or an iterable of (key, value) pairs")
    for k, _ in pairs:
        if not isinstance(k, str):
            raise TypeError(f"{owner}: keys must be strings, got {type(k).__name__} {k!r:.40}")
    return pairs


def _check_parameter(owner: str, value: Any) -> Any:
    if value is not None and not isinstance(value, Parameter):
        raise TypeError(
            f"{owner}: values must be Parameters (or None), got {type(value).__name__}; wrap a "
            "tensor with nn.Parameter(...)"
        )
    return value
