"""Dataset, TensorDataset, Subset, ConcatDataset and random_split.

A dataset may also offer ``get_batch(indices) -> tuple of arrays``: the DataLoader then builds a
whole batch with one fancy-index per array instead of fetching and stacking items one by one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import random as _random
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "resolve_rng"]


class Dataset:
    """Base class: a map from an index in ``range(len(self))`` to a sample.

    Subclasses define ``__getitem__`` and ``__len__``; ``+`` concatenates datasets.

    >>> from tinygrad_cnn.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return i * i
    >>> [Squares()[i] for i in range(4)], len(Squares() + Squares())
    ([0, 1, 4, 9], 8)
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return x
    try:
        kind = np.asarray(x).dtype.kind
    except (TypeError, ValueError):
        kind = "O"
    if kind not in "biuf":
        raise TypeError(
            f"TensorDataset: expected tensors, arrays or nested lists of numbers, got "
            f"{type(x).__name__}"
        )
    return Tensor(x).data  # lists and numbers get the default dtypes (float32, int64)


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors (or arrays), which share their first dimension.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn.data import TensorDataset
    >>> ds = TensorDataset(tg.ones(5, 3), tg.arange(5))
    >>> x, y = ds[2]
    >>> len(ds), x.shape, y.item()
    (5, (3,), 2)
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        self.arrays = tuple(_as_array(t) for t in tensors)
        sizes = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in sizes or len(set(sizes)) != 1:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(
                f"TensorDataset: all tensors must have the same size in dimension 0, got shapes "
                f"{shapes}"
            )

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(Tensor._wrap(a, False) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor._wrap(np.asarray(a[index]), False) for a in self.arrays)

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    >>> from tinygrad_cnn.data import Subset, TensorDataset
    >>> import numpy as np
    >>> s = Subset(TensorDataset(np.arange(10)), [7, 3])
    >>> len(s), s[0][0].item()
    (2, 7)
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        n = _dataset_len("Subset", dataset)
        self.dataset = dataset
        try:
            self.indices = np.asarray(indices).reshape(-1)
        except (TypeError, ValueError):
            self.indices = np.asarray([None])
        if self.indices.size and self.indices.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be integers, got {type(indices).__name__}")
        self.indices = self.indices.astype(np.int64)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must lie in [-{n}, {n}) for a dataset of length {n}")
        if hasattr(dataset, "get_batch"):
            self.get_batch = self._get_batch

    def __len__(self) -> int:
        return int(self.indices.size)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def _get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return self.dataset.get_batch(self.indices[indices])


class ConcatDataset(Dataset):
    """Several datasets one after another.

    >>> import numpy as np
    >>> from tinygrad_cnn.data import ConcatDataset, TensorDataset
    >>> ds = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
    >>> len(ds), ds[3][0].item()
    (5, 10)
    """

    def __init__(self, datasets: Sequence[Any]) -> None:
        if not isinstance(datasets, (list, tuple)) or not all(
            hasattr(d, "__len__") and hasattr(d, "__getitem__") for d in datasets
        ):
            raise TypeError(
                f"ConcatDataset: expected a list of datasets, got {type(datasets).__name__}"
            )
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: give at least one dataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        index %= n
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


def _dataset_len(name: str, dataset: Any) -> int:
    """len(dataset), or a TypeError naming ``name`` for something that is not a dataset."""
    problem = f"{name}: expected a dataset, got {type(dataset).__name__}"
    if not hasattr(dataset, "__getitem__"):
        raise TypeError(problem)
    try:
        return len(dataset)
    except TypeError:  # e.g. a 0-d Tensor: indexable, but without a length
        raise TypeError(problem) from None


def _seeded(seed: int, who: str, what: str) -> np.random.Generator:
    if seed < 0:  # numpy's generators take only non-negative seeds
        raise ValueError(f"{who}: {what} must be a non-negative int seed, got {seed}")
    return np.random.default_rng(seed)


def resolve_rng(
    generator: Any = None, seed: int | None = None, who: str = "resolve_rng"
) -> np.random.Generator:
    """The generator to draw from: ``generator``, a fresh one from ``seed``, or manual_seed's;
    ``who`` (the caller's name) starts any error message."""
    if generator is not None and seed is not None:
        raise ValueError(f"{who}: give either generator= or seed=, not both")
    if seed is not None:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"{who}: seed must be an int, got {type(seed).__name__}")
        return _seeded(int(seed), who, "seed")
    if generator is None:
        return _random.get_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return _seeded(int(generator), who, "generator")
    raise TypeError(
        f"{who}: generator must be a numpy.random.Generator or an int seed, got "
        f"{type(generator).__name__}"
    )


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: Any = None
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (the remainder
    after flooring goes one by one to the first subsets, as in PyTorch). ``generator`` is a numpy
    Generator or an int seed; by default the manual_seed generator is used.

    >>> import numpy as np
    >>> from tinygrad_cnn.data import TensorDataset, random_split
    >>> a, b = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], generator=0)
    >>> len(a), len(b), sorted(a.indices.tolist() + b.indices.tolist()) == list(range(10))
    (8, 2, True)
    """
    n = _dataset_len("random_split", dataset)
    if not isinstance(lengths, (list, tuple)):
        raise TypeError(f"random_split: lengths must be a list, got {type(lengths).__name__}")
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1.0):
        if any(not 0 <= x <= 1 for x in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {lengths}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(x, (int, np.integer)) or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths {lengths} must be non-negative ints summing to the dataset "
            f"length {n}, or fractions summing to 1"
        )
    perm = resolve_rng(generator, who="random_split").permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start : start + int(length)]))
        start += int(length)
    return out
