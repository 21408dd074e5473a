"""DataLoader: batches of Tensors from a dataset, in order or shuffled from a seeded generator."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .dataset import resolve_rng

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into Tensors, field by field (PyTorch's rules).

    Tensors and arrays are stacked along a new first dimension; Python ints become an int64
    Tensor, Python floats a float64 Tensor, bools a bool Tensor; tuples and lists are collated
    per position (giving a list), dicts per key; strings stay a list.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.data import default_collate
    >>> x, y = default_collate([(tg.zeros(2), 1), (tg.ones(2), 0)])
    >>> x.shape, y.dtype, y.tolist()
    ((2, 2), dtype('int64'), [1, 0])
    """
    if not isinstance(batch, (list, tuple)):
        raise TypeError(f"default_collate: expected a list of samples, got {type(batch).__name__}")
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, (Tensor, np.ndarray, np.generic)):
        arrays = [b.data if isinstance(b, Tensor) else np.asarray(b) for b in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(
                f"default_collate: samples must have equal shapes to be stacked, got "
                f"{sorted(shapes)}; pad them or pass a collate_fn"
            )
        return Tensor._wrap(np.stack(arrays), False)
    if isinstance(elem, bool):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_), False)
    if isinstance(elem, int):
        return Tensor._wrap(np.asarray(batch, dtype=np.int64), False)
    if isinstance(elem, float):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64), False)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, (tuple, list)):
        if len({len(b) for b in batch}) != 1:
            raise ValueError("default_collate: samples in a batch have different numbers of fields")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        f"default_collate: cannot collate samples of type {type(elem).__name__}; samples should "
        "be Tensors, arrays, numbers, strings, or tuples/lists/dicts of those"
    )


def _check_loader_args(
    dataset: Any, shuffle: Any, drop_last: Any, sampler: Any, collate_fn: Any
) -> None:
    if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
        raise TypeError(
            f"DataLoader: dataset must have __len__ and __getitem__, got {type(dataset).__name__}"
        )
    for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"DataLoader: {name} must be a bool, got {type(flag).__name__}")
    if sampler is not None and not hasattr(sampler, "__iter__"):
        raise TypeError(f"DataLoader: sampler must be iterable, got {type(sampler).__name__}")
    if collate_fn is not None and not callable(collate_fn):
        raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")


class DataLoader:
    """Iterate over a dataset in batches of Tensors.

    ``shuffle=True`` draws a fresh permutation at the start of every epoch from ``generator``
    (a numpy Generator), from a generator seeded once with ``seed``, or, when neither is given,
    from the manual_seed generator, so ``tg.manual_seed(s)`` makes training reproducible.
    Array-backed datasets (``TensorDataset``, the built-in datasets, their ``Subset``) are batched
    with one fancy-index per array. ``num_workers`` and ``pin_memory`` are accepted for PyTorch
    compatibility; loading always happens in the calling process.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(tg.arange(10).float(), tg.arange(10))
    >>> [y.tolist() for _, y in DataLoader(ds, batch_size=4)]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    >>> a = [y.tolist() for _, y in DataLoader(ds, batch_size=4, shuffle=True, seed=1)]
    >>> b = [y.tolist() for _, y in DataLoader(ds, batch_size=4, shuffle=True, seed=1)]
    >>> a == b, sorted(sum(a, [])) == list(range(10))
    (True, True)
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        sampler: Iterable[int] | None = None,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        generator: np.random.Generator | None = None,
        seed: int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        if (
            not isinstance(batch_size, (int, np.integer))
            or isinstance(batch_size, bool)
            or (batch_size <= 0)
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        _check_loader_args(dataset, shuffle, drop_last, sampler, collate_fn)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: give either generator= or seed=, not both")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.seed = seed
        # NOTE: resolved per epoch when None, since manual_seed replaces the global generator
        self.generator = resolve_rng(None, seed, "DataLoader") if seed is not None else generator

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter((int(i) for i in self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if self.shuffle:
            return resolve_rng(self.generator, who="DataLoader").permutation(n)
        return np.arange(n)

    def _fetch(self, idx: np.ndarray) -> Any:
        if self.collate_fn is None and hasattr(self.dataset, "get_batch"):
            return [Tensor._wrap(np.asarray(a), False) for a in self.dataset.get_batch(idx)]
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in idx])

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        bs = self.batch_size
        for start in range(0, len(order), bs):
            idx = order[start : start + bs]
            if len(idx) < bs and self.drop_last:
                return
            yield self._fetch(idx)

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)  # type: ignore
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
