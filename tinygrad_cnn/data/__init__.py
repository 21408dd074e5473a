"""Data loading: datasets, the DataLoader, transforms, and the built-in dataset readers.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn.data import DataLoader, TensorDataset
>>> loader = DataLoader(TensorDataset(tg.zeros(10, 3), tg.arange(10)), batch_size=4)
>>> [tuple(x.shape) for x, _ in loader]
[(4, 3), (4, 3), (2, 3)]
"""

from . import transforms
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets import (
    CIFAR10,
    DATASET_NAMES,
    MNIST,
    NORMALIZATION,
    DatasetNotFoundError,
    Digits,
    FashionMNIST,
    ImageArrayDataset,
    digits,
    get_dataset,
    read_cifar10_bin,
    read_idx,
)
from .download import DownloadError

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
    "DataLoader",
    "default_collate",
    "transforms",
    "ImageArrayDataset",
    "Digits",
    "MNIST",
    "FashionMNIST",
    "CIFAR10",
    "digits",
    "get_dataset",
    "read_idx",
    "read_cifar10_bin",
    "DatasetNotFoundError",
    "DownloadError",
    "NORMALIZATION",
    "DATASET_NAMES",
]
