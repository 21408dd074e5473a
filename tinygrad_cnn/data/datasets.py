"""Built-in image datasets: digits (bundled with scikit-learn), MNIST, Fashion-MNIST, CIFAR-10.

Every dataset yields ``(image, label)``: the image a float32 Tensor (C, H, W) scaled to [0, 1]
(then transformed), the label an int. The images stay in memory as uint8 arrays (``.data``,
(N, C, H, W)) with int64 labels (``.targets``), so a DataLoader builds a batch with one
fancy-index (``get_batch``). File readers never unpickle: MNIST-style datasets come from IDX
files (raw or .gz) and CIFAR-10 from its binary version.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import math
import os
import struct
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .dataset import Dataset
from .download import download_resources

__all__ = [
    "ImageArrayDataset",
    "Digits",
    "MNIST",
    "FashionMNIST",
    "CIFAR10",
    "DatasetNotFoundError",
    "digits",
    "get_dataset",
    "read_idx",
    "read_cifar10_bin",
    "default_root",
    "NORMALIZATION",
    "DATASET_NAMES",
]

# per-channel (mean, std) of the training images in [0, 1], the usual Normalize constants
NORMALIZATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "digits": ((0.3049,), (0.3759,)),  # the default (seed 0) training split
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not where they were looked for (the message lists both)."""


def default_root() -> str:
    """``$TINYGRAD_CNN_DATA``, else ``~/.cache/tinygrad_cnn/data``.

    >>> import os
    >>> os.environ['TINYGRAD_CNN_DATA'] = '/data/sets'
    >>> default_root()
    '/data/sets'
    >>> del os.environ['TINYGRAD_CNN_DATA']
    """
    return os.environ.get("TINYGRAD_CNN_DATA") or os.path.join(
        os.path.expanduser("~"), ".cache", "tinygrad_cnn", "data"
    )


# -- file readers --------------------------------------------------------------------------------
def _open(name: str, path: str) -> Any:
    try:
        return open(path, "rb")
    except OSError as e:
        raise type(e)(e.errno, f"{name}: cannot open {path!r}: {e.strerror}") from None


def _path(name: str, path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a file path, got {type(path).__name__}")
    return os.fspath(path)


def _check_args(name: str, **flags: Any) -> None:
    """Bools must be bools, transforms callables (or None): a clear TypeError naming ``name``."""
    for what, v in flags.items():
        if what.endswith("transform"):
            if v is not None and not callable(v):
                raise TypeError(f"{name}: {what} must be callable or None, got {type(v).__name__}")
        elif not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{name}: {what} must be a bool, got {type(v).__name__}")


def _read_maybe_gzip(path: str) -> bytes:
    with _open("read_cifar10_bin", path) as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, ValueError) as e:  # BadGzipFile is an OSError
            raise ValueError(f"{path}: corrupt or truncated gzip data ({e})") from e
    return raw


_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), raw or gzip-compressed, into a native-endian array.

    A gzip file is inflated only as far as the size its header declares, so a small file that
    would inflate to gigabytes is refused after reading one byte past that size.

    >>> import os, tempfile, numpy as np
    >>> from tinygrad_cnn.data.datasets import read_idx
    >>> p = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> with open(p, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p).tolist()
    [7, 2, 1]
    """
    path = _path("read_idx", path)
    with _open("read_idx", path) as raw_file:
        gz = raw_file.read(2) == b"\x1f\x8b"
        raw_file.seek(0)
        size = os.fstat(raw_file.fileno()).st_size
        src: Any = gzip.GzipFile(fileobj=raw_file, mode="rb") if gz else raw_file
        try:
            return _read_idx_stream(src, path, size, gz)
        except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError
            raise ValueError(f"read_idx: {path}: corrupt or truncated gzip data ({e})") from e


# deflate expands at most ~1032:1, so a header declaring more than this per stored byte lies
_MAX_GZIP_RATIO = 1100


def _read_idx_stream(src: Any, path: str, file_size: int, gz: bool) -> np.ndarray:
    head = src.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (it starts with {head!r})")
    ndim = head[3]
    dims_raw = src.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise ValueError(f"read_idx: {path} is truncated inside its header")
    dims = struct.unpack(f">{ndim}I", dims_raw)
    dtype = np.dtype(_IDX_DTYPES[head[2]])
    nbytes = math.prod(dims) * dtype.itemsize
    limit = file_size * _MAX_GZIP_RATIO if gz else file_size - 4 - 4 * ndim
    if nbytes > limit:
        raise ValueError(
            f"read_idx: {path} declares shape {dims} of {dtype.name} ({nbytes} bytes), more "
            f"than its {file_size} bytes can hold (truncated or corrupt?)"
        )
    data = bytearray()
    while len(data) <= nbytes:  # NOTE: one byte past the declared size is enough to refuse
        chunk = src.read(min(1 << 20, nbytes + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) != nbytes:
        more = "more than" if len(data) > nbytes else f"only {len(data)} bytes,"
        raise ValueError(
            f"read_idx: {path} declares shape {dims} of {dtype.name} ({nbytes} bytes) but holds "
            f"{more} that (truncated or corrupt?)"
        )
    arr = np.frombuffer(bytes(data), dtype=dtype).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def read_cifar10_bin(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a CIFAR-10 binary batch: records of 1 label byte + 3072 pixel bytes (R, G, B planes).

    Returns ``(images uint8 (N, 3, 32, 32), labels int64 (N,))``.

    >>> import os, tempfile
    >>> from tinygrad_cnn.data.datasets import read_cifar10_bin
    >>> p = os.path.join(tempfile.mkdtemp(), "test_batch.bin")
    >>> with open(p, "wb") as f:
    ...     _ = f.write(bytes([3]) + bytes(3072))
    >>> x, y = read_cifar10_bin(p)
    >>> x.shape, y.tolist()
    ((1, 3, 32, 32), [3])
    """
    path = _path("read_cifar10_bin", path)
    raw = _read_maybe_gzip(path)
    if len(raw) == 0 or len(raw) % 3073:
        raise ValueError(
            f"read_cifar10_bin: {path} holds {len(raw)} bytes, not a whole number of 3073-byte "
            "CIFAR-10 records (truncated, or not the binary version?)"
        )
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ValueError(f"read_cifar10_bin: {path} has label {labels.max()}; CIFAR-10 has 0..9")
    return rec[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def _find_files(what: str, dirs: Sequence[str], names: Sequence[str], gz: bool) -> list[str]:
    for d in dirs:
        found = []
        for name in names:
            for cand in (name, name + ".gz") if gz else (name,):
                if os.path.isfile(os.path.join(d, cand)):
                    found.append(os.path.join(d, cand))
                    break
        if len(found) == len(names):
            return found
    shown = ", ".join(n + ("[.gz]" if gz else "") for n in names)
    raise DatasetNotFoundError(
        f"{what}: could not find the files {shown} in any of the directories searched: "
        f"{', '.join(dirs)}. Pass download=True to fetch them, or put them in one of those "
        "directories."
    )


def _write_atomic(src: Any, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- datasets ------------------------------------------------------------------------------------
def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _numeric(name: str, what: str, value: Any) -> np.ndarray:
    """``value`` (a Tensor, array or nested list) as a numeric array, or a TypeError."""
    try:
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: {what} must be a numeric array or tensor, got {type(value).__name__}"
        )
    return arr


def _int_labels(name: str, targets: Any) -> np.ndarray:
    """Labels as int64; NaN, infinite or fractional values are refused, never truncated."""
    t = _numeric(name, "labels", targets).reshape(-1)
    if t.dtype.kind == "b" or t.dtype.kind in "iu":
        return t.astype(np.int64)
    if t.dtype.kind != "f":
        raise TypeError(f"{name}: labels must be integers, got an array of dtype {t.dtype}")
    bad = ~np.isfinite(t) | (t != np.round(t))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: labels must be whole numbers, got {t[i]} at index {i} "
            f"({int(bad.sum())} such labels)"
        )
    return t.astype(np.int64)


def _check_range(what: str, arr: np.ndarray, low: int, high: int, path: str) -> None:
    if arr.size and (arr.min() < low or arr.max() > high or np.isnan(arr).any()):
        bad = arr[(arr < low) | (arr > high) | np.isnan(arr)].flat[0]
        raise ValueError(f"{path} has {what} {bad}; expected values in {low}..{high}")


class ImageArrayDataset(Dataset):
    """Images held as an (N, C, H, W) array (uint8 or float) with int labels.

    Items are ``(float32 Tensor image * scale, then transform, int label)``.

    >>> import numpy as np
    >>> from tinygrad_cnn.data.datasets import ImageArrayDataset
    >>> ds = ImageArrayDataset(np.full((2, 1, 2, 2), 255, np.uint8), np.array([4, 5]))
    >>> x, y = ds[1]
    >>> x.shape, float(x.max()), y
    ((1, 2, 2), 1.0, 5)
    """

    classes: list[str] = []

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        scale: float = 1.0 / 255.0,
    ) -> None:
        name = type(self).__name__
        data, targets = _numeric(name, "images", data), _int_labels(name, targets)
        _check_args(name, transform=transform, target_transform=target_transform)
        if not isinstance(scale, (int, float)) or isinstance(scale, bool):
            raise TypeError(f"{name}: scale must be a number, got {type(scale).__name__}")
        if data.ndim != 4 or data.shape[0] != targets.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: expected images (N, C, H, W) and N labels, got shapes "
                f"{data.shape} and {targets.shape}"
            )
        self.data = data
        self.targets = targets
        self.transform = transform
        self.target_transform = target_transform
        self.scale = scale

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def _images(self, idx: Any) -> np.ndarray:
        imgs = self.data[idx].astype(np.float32)
        if self.scale != 1.0:
            imgs *= np.float32(self.scale)
        return imgs

    def __getitem__(self, index: int) -> tuple[Tensor, Any]:
        n = len(self)
        if not -n <= int(index) < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for length {n}")
        img = self._images(int(index))
        if self.transform is not None:
            img = _array(self.transform(img))
        target: Any = int(self.targets[index])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return Tensor._wrap(img, False), target

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(images (B, C, H, W), labels (B,))`` for these indices, transformed, in one go."""
        imgs = self._images(indices)
        if self.transform is not None:
            if getattr(self.transform, "batched", False):
                imgs = _array(self.transform(imgs))
            else:
                imgs = np.stack([_array(self.transform(im)) for im in imgs])
        targets = self.targets[indices]
        if self.target_transform is not None:
            targets = np.asarray([self.target_transform(int(t)) for t in targets])
        return imgs, targets

    def __repr__(self) -> str:
        split = {True: "train", False: "test"}.get(getattr(self, "train", None), "")
        return f"{type(self).__name__}({split + ', ' if split else ''}n={len(self)})"


@functools.lru_cache(maxsize=1)
def _load_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise ImportError(
            "Digits needs scikit-learn, which bundles the data: pip install tinygrad-cnn[data]"
        ) from e
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)[:, None]  # values 0..16
    images.flags.writeable = False  # shared by every Digits instance (fancy-indexing copies)
    return images, bunch.target.astype(np.int64)


class Digits(ImageArrayDataset):
    """scikit-learn's bundled 1,797 8x8 handwritten digits, split train/test with a fixed seed.

    Images are 1x8x8 float32 in [0, 1] (the raw values are 0..16). No download is needed; needs
    scikit-learn (``pip install tinygrad-cnn[data]``).

    >>> from tinygrad_cnn.data import Digits
    >>> train, test = Digits(train=True), Digits(train=False)
    >>> len(train) + len(test), train[0][0].shape
    (1797, (1, 8, 8))
    """

    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        seed: int = 0,
        test_fraction: float = 0.2,
    ) -> None:
        _check_args("Digits", train=train, transform=transform, target_transform=target_transform)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"Digits: seed must be an int, got {type(seed).__name__}")
        if not isinstance(test_fraction, (int, float)) or not 0.0 < test_fraction < 1.0:
            raise ValueError(f"Digits: test_fraction must lie in (0, 1), got {test_fraction!r}")
        images, labels = _load_digits()
        n = len(labels)
        perm = np.random.default_rng(seed).permutation(n)
        n_test = int(round(test_fraction * n))
        idx = np.sort(perm[n_test:] if train else perm[:n_test])
        self.train = train
        super().__init__(images[idx], labels[idx], transform, target_transform, scale=1.0 / 16.0)


def digits(train: bool = True, **kwargs: Any) -> Digits:
    """The digits dataset (see ``Digits``).

    >>> from tinygrad_cnn.data.datasets import digits
    >>> len(digits(train=False))
    359
    """
    return Digits(train=train, **kwargs)


class MNIST(ImageArrayDataset):
    """MNIST from its IDX files (raw or .gz) in ``root``, ``root/MNIST/raw`` or ``root/MNIST``.

    ``download=True`` fetches missing files into ``root/MNIST/raw`` (from ``mirror``, a base URL,
    if given), verifying their checksums; ``timeout`` bounds each wait on the network (seconds).
    """

    resource_name = "mnist"
    folder = "MNIST"
    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = False,
        mirror: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.root = os.fspath(root) if root is not None else default_root()
        self.train = train
        prefix = "train" if train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        raw_dir = os.path.join(self.root, self.folder, "raw")
        dirs = [self.root, raw_dir, os.path.join(self.root, self.folder)]
        try:
            img_path, lbl_path = _find_files(type(self).__name__, dirs, names, gz=True)
        except DatasetNotFoundError:
            if not download:
                raise
            wanted = [n + ".gz" for n in names]
            download_resources(self.resource_name, raw_dir, wanted, mirror, timeout)
            img_path, lbl_path = _find_files(type(self).__name__, [raw_dir], names, gz=True)
        images, labels = read_idx(img_path), read_idx(lbl_path)
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: {img_path} has shape {images.shape} and {lbl_path} "
                f"shape {labels.shape}; expected (N, H, W) images and N labels"
            )
        name = type(self).__name__
        _check_range("pixel value", images, 0, 255, f"{name}: {img_path}")
        _check_range("label", labels, 0, len(self.classes) - 1, f"{name}: {lbl_path}")
        if images.dtype.kind == "f" and (images != np.round(images)).any():
            raise ValueError(f"{name}: {img_path} has fractional pixel values; expected 0..255")
        super().__init__(images[:, None].astype(np.uint8), labels, transform, target_transform)


class FashionMNIST(MNIST):
    """Fashion-MNIST: same layout as MNIST, looked for in ``root/FashionMNIST/raw`` too."""

    resource_name = "fashion-mnist"
    folder = "FashionMNIST"
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


_CIFAR_DIR = "cifar-10-batches-bin"
_CIFAR_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
_CIFAR_TEST = ["test_batch.bin"]


def _extract_cifar(archive: str, dest: str) -> None:
    """Copy the six batch files out of the tarball by exact name (no extractall, no paths)."""
    os.makedirs(dest, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for base in _CIFAR_TRAIN + _CIFAR_TEST:
                member = tar.getmember(f"{_CIFAR_DIR}/{base}")
                if not member.isfile():
                    raise ValueError(f"{base} in {archive} is not a regular file")
                src = tar.extractfile(member)
                if src is None:
                    raise ValueError(f"{base} in {archive} cannot be read")
                with src:
                    _write_atomic(src, os.path.join(dest, base))
    except (tarfile.TarError, KeyError, EOFError, OSError) as e:
        raise ValueError(f"CIFAR10: cannot extract {archive}: {e}") from e


class CIFAR10(ImageArrayDataset):
    """CIFAR-10 from its binary version (``data_batch_1..5.bin``, ``test_batch.bin``).

    Looked for in ``root/cifar-10-batches-bin`` and ``root``. ``download=True`` fetches
    ``cifar-10-binary.tar.gz`` into ``root`` (verifying its SHA-256) and extracts the six files.
    The pickled "python version" is never read.
    """

    classes = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        download: bool = False,
        mirror: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.root = os.fspath(root) if root is not None else default_root()
        self.train = train
        names = _CIFAR_TRAIN if train else _CIFAR_TEST
        extract_dir = os.path.join(self.root, _CIFAR_DIR)
        dirs = [extract_dir, self.root]
        try:
            paths = _find_files("CIFAR10", dirs, names, gz=False)
        except DatasetNotFoundError:
            if not download:
                raise
            (archive,) = download_resources("cifar10", self.root, None, mirror, timeout)
            _extract_cifar(archive, extract_dir)
            paths = _find_files("CIFAR10", [extract_dir], names, gz=False)
        parts = [read_cifar10_bin(p) for p in paths]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        super().__init__(images, labels, transform, target_transform)


_FACTORIES: dict[str, Callable[..., ImageArrayDataset]] = {
    "digits": Digits,
    "mnist": MNIST,
    "fashion-mnist": FashionMNIST,
    "cifar10": CIFAR10,
}
DATASET_NAMES = tuple(_FACTORIES)
_ALIASES = {
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "cifar-10": "cifar10",
}


def get_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    train: bool = True,
    download: bool = False,
    transform: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> ImageArrayDataset:
    """A built-in dataset by name: "digits", "mnist", "fashion-mnist" or "cifar10".

    ``root`` defaults to ``default_root()``; digits ignores ``root`` and ``download`` (its data
    ships with scikit-learn).

    >>> from tinygrad_cnn.data import get_dataset
    >>> ds = get_dataset("digits", train=True)
    >>> len(ds), ds.classes[:3]
    (1438, ['0', '1', '2'])
    """
    if not isinstance(name, str):
        raise TypeError(f"get_dataset: name must be a string, got {type(name).__name__}")
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in _FACTORIES:
        raise ValueError(f"get_dataset: unknown dataset {name!r}; choose one of {DATASET_NAMES}")
    if key == "digits":
        return Digits(train=train, transform=transform, **kwargs)
    return _FACTORIES[key](root, train=train, transform=transform, download=download, **kwargs)
