"""tinygrad_cnn.data: DataLoader, splits, transforms, dataset readers and verified downloads."""

import functools
import gzip
import hashlib
import http.server
import io
import os
import sys
import tarfile
import threading

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.data import (
    CIFAR10,
    MNIST,
    NORMALIZATION,
    DataLoader,
    Dataset,
    DatasetNotFoundError,
    Digits,
    DownloadError,
    FashionMNIST,
    ImageArrayDataset,
    Subset,
    TensorDataset,
    default_collate,
    get_dataset,
    random_split,
    read_cifar10_bin,
    read_idx,
)
from tinygrad_cnn.data import datasets as datasets_module
from tinygrad_cnn.data import download as dl
from tinygrad_cnn.data import transforms as T


def _labels(loader):
    return [y.tolist() for _, y in loader]


def _ds(n=10):
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


# -- DataLoader ----------------------------------------------------------------------------------
def test_sequential_order_and_last_partial_batch():
    loader = DataLoader(_ds(10), batch_size=4)
    batches = list(loader)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3
    x, y = batches[0]
    assert isinstance(x, tg.Tensor) and x.dtype == np.float32 and x.shape == (4, 2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(x.numpy(), np.arange(8, dtype=np.float32).reshape(4, 2))


def test_drop_last():
    loader = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(loader) == 2
    assert len(DataLoader(_ds(8), batch_size=4, drop_last=True)) == 2
    assert _labels(DataLoader(_ds(3), batch_size=4, drop_last=True)) == []


def test_batch_size_one_default():
    assert _labels(DataLoader(_ds(3))) == [[0], [1], [2]]


def test_same_seed_same_order_every_epoch():
    a = DataLoader(_ds(50), batch_size=8, shuffle=True, seed=123)
    b = DataLoader(_ds(50), batch_size=8, shuffle=True, seed=123)
    ea1, ea2 = sum(_labels(a), []), sum(_labels(a), [])
    eb1, eb2 = sum(_labels(b), []), sum(_labels(b), [])
    assert ea1 == eb1 and ea2 == eb2
    assert ea1 != ea2  # a fresh permutation each epoch
    assert sorted(ea1) == list(range(50)) and ea1 != list(range(50))
    c = DataLoader(_ds(50), batch_size=8, shuffle=True, seed=124)
    assert sum(_labels(c), []) != ea1


def test_generator_argument_matches_seed():
    a = DataLoader(_ds(30), batch_size=30, shuffle=True, generator=np.random.default_rng(5))
    b = DataLoader(_ds(30), batch_size=30, shuffle=True, seed=5)
    first = _labels(a)
    assert first == _labels(b)
    assert first[0] == np.random.default_rng(5).permutation(30).tolist()


def test_shuffle_follows_manual_seed():
    loader = DataLoader(_ds(40), batch_size=40, shuffle=True)
    tg.manual_seed(9)
    first = _labels(loader)
    tg.manual_seed(9)
    assert _labels(loader) == first
    tg.manual_seed(10)
    assert _labels(loader) != first


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_ds(), batch_size=0)
    with pytest.raises(ValueError, match="not both"):
        DataLoader(_ds(), shuffle=True, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(_ds(), shuffle=True, sampler=[0, 1])


def test_sampler_gives_the_order():
    loader = DataLoader(_ds(10), batch_size=2, sampler=[9, 0, 5])
    assert _labels(loader) == [[9, 0], [5]] and len(loader) == 2


class _ListDataset(Dataset):
    """No get_batch: the loader must fetch items and collate them."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        x, y = self.base[i]
        return x.numpy(), int(y.item())


def test_fallback_collation_matches_fast_path():
    base = _ds(13)
    fast = list(DataLoader(base, batch_size=5, shuffle=True, seed=3))
    slow = list(DataLoader(_ListDataset(base), batch_size=5, shuffle=True, seed=3))
    assert len(fast) == len(slow) == 3
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype == np.float32 and fy.dtype == sy.dtype == np.int64
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_custom_collate_fn_is_used():
    loader = DataLoader(_ds(4), batch_size=2, collate_fn=lambda items: len(items))
    assert list(loader) == [2, 2]


def test_default_collate_structures():
    out = default_collate(
        [
            {"x": np.ones(2, np.float32), "y": 1, "f": 0.5, "s": "a", "b": True},
            {"x": np.zeros(2, np.float32), "y": 2, "f": 1.5, "s": "b", "b": False},
        ]
    )
    assert out["x"].shape == (2, 2) and out["x"].dtype == np.float32
    assert out["y"].dtype == np.int64 and out["y"].tolist() == [1, 2]
    assert out["f"].dtype == np.float64  # Python floats collate to float64, as in PyTorch
    assert out["s"] == ["a", "b"] and out["b"].dtype == np.bool_
    with pytest.raises(ValueError, match="equal shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot collate"):
        default_collate([object()])


# -- datasets: TensorDataset, Subset, random_split -----------------------------------------------
def test_tensor_dataset_items_and_errors():
    ds = TensorDataset(tg.ones(3, 2), [7, 8, 9])
    x, y = ds[-1]
    assert x.tolist() == [1.0, 1.0] and y.item() == 9 and y.dtype == np.int64
    with pytest.raises(ValueError, match="same size"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))


def test_random_split_is_deterministic_and_disjoint():
    ds = _ds(20)
    a1, b1, c1 = random_split(ds, [10, 7, 3], generator=np.random.default_rng(4))
    a2, b2, c2 = random_split(ds, [10, 7, 3], generator=np.random.default_rng(4))
    assert [len(a1), len(b1), len(c1)] == [10, 7, 3]
    for s1, s2 in [(a1, a2), (b1, b2), (c1, c2)]:
        assert s1.indices.tolist() == s2.indices.tolist()
    allidx = a1.indices.tolist() + b1.indices.tolist() + c1.indices.tolist()
    assert sorted(allidx) == list(range(20))
    assert random_split(ds, [10, 10], generator=5)[0].indices.tolist() != a1.indices.tolist()
    tg.manual_seed(1)
    m1 = random_split(ds, [15, 5])[0].indices.tolist()
    tg.manual_seed(1)
    assert random_split(ds, [15, 5])[0].indices.tolist() == m1
    # the subset reads the right rows, through both the item and the batch path
    assert a1[0][1].item() == a1.indices[0]
    assert _labels(DataLoader(a1, batch_size=10)) == [a1.indices.tolist()]


def test_random_split_fractions_and_errors():
    parts = random_split(_ds(10), [0.5, 0.3, 0.2], generator=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(_ds(11), [0.5, 0.5], generator=0)] == [6, 5]
    with pytest.raises(ValueError, match="summing"):
        random_split(_ds(10), [5, 4])
    with pytest.raises(ValueError, match="summing"):
        random_split(_ds(10), [0.5, 0.4])


def test_subset_bounds_checked():
    with pytest.raises(IndexError, match="length 10"):
        Subset(_ds(10), [0, 10])


# -- transforms ---------------------------------------------------------------------------------
def test_normalize_per_channel_and_kinds():
    x = np.stack([np.full((2, 2), 0.5), np.full((2, 2), 1.0)]).astype(np.float32)
    out = T.Normalize([0.5, 0.0], [0.25, 2.0])(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], 0.0)
    np.testing.assert_allclose(out[1], 0.5)
    batch = np.stack([x, x])
    np.testing.assert_allclose(T.Normalize([0.5, 0.0], [0.25, 2.0])(batch)[1], out)
    t = T.Normalize([0.5, 0.0], [0.25, 2.0])(tg.Tensor(x))
    assert isinstance(t, tg.Tensor) and np.allclose(t.numpy(), out)
    np.testing.assert_array_equal(x[0], 0.5)  # the input was not modified
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize([0, 0, 0], [1, 1, 1])(x)
    with pytest.raises(ValueError, match="non-zero"):
        T.Normalize([0], [0])


def _windows(img, pad, size):
    padded = np.pad(img, ((0, 0), (pad, pad), (pad, pad)))
    h, w = padded.shape[1:]
    return [
        padded[:, t : t + size, l : l + size]
        for t in range(h - size + 1)
        for l in range(w - size + 1)
    ]


def test_random_crop_cuts_windows_of_the_padded_image():
    tg.manual_seed(0)
    img = np.arange(2 * 6 * 6, dtype=np.float32).reshape(2, 6, 6) + 1
    crop = T.RandomCrop(6, padding=2)
    wins = _windows(img, 2, 6)
    seen = set()
    for _ in range(30):
        out = crop(img)
        assert out.shape == (2, 6, 6)
        matches = [i for i, w in enumerate(wins) if np.array_equal(out, w)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 5  # the offset really is random


def test_random_crop_batch_draws_per_image_and_is_seeded():
    batch = np.tile(np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6), (64, 1, 1, 1))
    crop = T.RandomCrop((4, 5), padding=1)
    tg.manual_seed(3)
    out = crop(batch)
    assert out.shape == (64, 1, 4, 5) and out.flags.c_contiguous
    assert len({o.tobytes() for o in out}) > 5
    padded = np.pad(batch[0], ((0, 0), (1, 1), (1, 1)))
    for o in out[:10]:
        assert any(
            np.array_equal(o, padded[:, t : t + 4, l : l + 5]) for t in range(5) for l in range(4)
        )
    tg.manual_seed(3)
    np.testing.assert_array_equal(crop(batch), out)


def test_random_crop_identity_modes_and_errors():
    img = np.random.default_rng(0).random((3, 5, 5)).astype(np.float32)
    np.testing.assert_array_equal(T.RandomCrop(5)(img), img)
    tg.manual_seed(0)
    out = T.RandomCrop(9, padding=2, padding_mode="reflect")(img)
    np.testing.assert_array_equal(out, np.pad(img, ((0, 0), (2, 2), (2, 2)), mode="reflect"))
    out = T.RandomCrop(7, pad_if_needed=True, fill=-1.0)(img)
    assert out.shape == (3, 7, 7) and out.min() == -1.0
    out = T.RandomCrop(5, padding=(1, 0, 0, 0))(img)  # left pad only
    assert out.shape == (3, 5, 5)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(6)(img)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(3, padding_mode="wrap")


def test_random_horizontal_flip():
    img = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(img), img[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(img), img)
    batch = np.tile(img, (200, 1, 1, 1))
    tg.manual_seed(0)
    out = T.RandomHorizontalFlip()(batch)
    flipped = np.array([np.array_equal(o, img[..., ::-1]) for o in out])
    same = np.array([np.array_equal(o, img) for o in out])
    assert (flipped | same).all() and 60 < flipped.sum() < 140
    np.testing.assert_array_equal(batch[0], img)  # input untouched
    t = T.RandomHorizontalFlip(1.0)(tg.Tensor(img))
    assert isinstance(t, tg.Tensor) and t.tolist() == img[..., ::-1].tolist()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        T.RandomHorizontalFlip(2.0)


def test_compose_batched_flag():
    assert T.Compose([T.RandomCrop(2), T.Normalize([0], [1])]).batched
    assert not T.Compose([T.Normalize([0], [1]), lambda x: x]).batched


# -- built-in datasets from generated files ------------------------------------------------------
def _idx_bytes(arr):
    code = {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12, np.float32: 13, np.float64: 14}
    header = bytes([0, 0, code[arr.dtype.type], arr.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_mnist(directory, n_train=7, n_test=5, gz=True, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)
    out = {}
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        for kind, arr in [("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)]:
            name = os.path.join(directory, f"{prefix}-{kind}")
            data = _idx_bytes(arr)
            if gz:
                with gzip.open(name + ".gz", "wb") as f:
                    f.write(data)
            else:
                with open(name, "wb") as f:
                    f.write(data)
        out[prefix] = (images, labels)
    return out


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_generated_idx_files(tmp_path, gz):
    arrays = _write_mnist(tmp_path, gz=gz)
    train, test = MNIST(tmp_path, train=True), MNIST(tmp_path, train=False)
    assert len(train) == 7 and len(test) == 5
    images, labels = arrays["train"]
    np.testing.assert_array_equal(train.data[:, 0], images)
    assert train.data.shape == (7, 1, 28, 28) and train.targets.dtype == np.int64
    x, y = train[3]
    assert isinstance(x, tg.Tensor) and x.dtype == np.float32 and x.shape == (1, 28, 28)
    np.testing.assert_allclose(x.numpy()[0], images[3] / 255.0, rtol=1e-6)
    assert y == labels[3] and isinstance(y, int)
    xb, yb = next(iter(DataLoader(test, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert 0.0 <= xb.numpy().min() and xb.numpy().max() <= 1.0
    np.testing.assert_array_equal(yb.numpy(), arrays["t10k"][1][:4])


def test_mnist_and_fashion_look_in_torchvision_layout(tmp_path):
    arrays = _write_mnist(tmp_path / "MNIST" / "raw", seed=1)
    farrays = _write_mnist(tmp_path / "FashionMNIST" / "raw", seed=2)
    np.testing.assert_array_equal(MNIST(tmp_path).data[:, 0], arrays["train"][0])
    fm = FashionMNIST(tmp_path, train=False)
    np.testing.assert_array_equal(fm.data[:, 0], farrays["t10k"][0])
    assert fm.classes[9] == "Ankle boot"


def test_missing_files_name_the_files_and_directories(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(tmp_path, train=False)
    msg = str(info.value)
    assert "t10k-images-idx3-ubyte[.gz]" in msg and "t10k-labels-idx1-ubyte[.gz]" in msg
    assert str(tmp_path) in msg and os.path.join(str(tmp_path), "MNIST", "raw") in msg
    assert "download=True" in msg
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(DatasetNotFoundError, match="data_batch_1.bin.*cifar-10-batches-bin"):
        CIFAR10(tmp_path)


def test_read_idx_dtypes_and_errors(tmp_path):
    for arr in [
        np.arange(-4, 4, dtype=np.int16).reshape(2, 4),
        np.linspace(0, 1, 6, dtype=np.float32).reshape(3, 2),
        np.arange(5, dtype=np.int32),
    ]:
        p = tmp_path / "a-idx"
        p.write_bytes(_idx_bytes(arr))
        out = read_idx(p)
        assert out.dtype == arr.dtype and out.dtype.isnative
        np.testing.assert_array_equal(out, arr)
    good = _idx_bytes(np.zeros((3, 4), np.uint8))
    cases = [
        (good[:-1], "declares shape"),
        (b"\x01\x02\x03\x04", "not an IDX"),
        (good[:6], "truncated inside its header"),
        (good + b"\0", "declares shape"),
    ]
    for content, match in cases:
        p.write_bytes(content)
        with pytest.raises(ValueError, match=match) as info:
            read_idx(p)
        assert str(p) in str(info.value)
    p.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(ValueError, match="gzip"):
        read_idx(p)


def _cifar_records(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    pixels = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    return np.concatenate([labels[:, None], pixels], axis=1).tobytes(), labels, pixels


def _write_cifar(directory):
    os.makedirs(directory, exist_ok=True)
    parts = {}
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
        raw, labels, pixels = _cifar_records(3 if name != "test_batch.bin" else 2, seed=i)
        with open(os.path.join(directory, name), "wb") as f:
            f.write(raw)
        parts[name] = (labels, pixels)
    return parts


def test_cifar10_reads_generated_binary_files(tmp_path):
    parts = _write_cifar(tmp_path / "cifar-10-batches-bin")
    train, test = CIFAR10(tmp_path, train=True), CIFAR10(tmp_path, train=False)
    assert len(train) == 15 and len(test) == 2
    labels, pixels = parts["data_batch_2.bin"]
    np.testing.assert_array_equal(train.targets[3:6], labels)
    # channel planes R, G, B of 32 rows each: pixel (c, y, x) is byte c*1024 + y*32 + x
    assert train.data[4, 2, 5, 7] == pixels[1, 2 * 1024 + 5 * 32 + 7]
    x, y = test[1]
    assert x.shape == (3, 32, 32) and x.dtype == np.float32 and y == parts["test_batch.bin"][0][1]
    # a flat directory works too
    flat = tmp_path / "flat"
    _write_cifar(flat)
    assert len(CIFAR10(flat, train=False)) == 2


def test_cifar10_bad_file_size_raises(tmp_path):
    p = tmp_path / "test_batch.bin"
    p.write_bytes(b"\0" * 3000)
    with pytest.raises(ValueError, match="3073-byte"):
        read_cifar10_bin(p)
    raw, _, _ = _cifar_records(1, 0)
    p.write_bytes(bytes([11]) + raw[1:])
    with pytest.raises(ValueError, match="label 11"):
        read_cifar10_bin(p)


def test_dataset_transform_batched_and_per_item_agree(tmp_path):
    _write_mnist(tmp_path)
    norm = T.Normalize([0.1307], [0.3081])
    a = MNIST(tmp_path, transform=norm)
    b = MNIST(tmp_path, transform=lambda x: norm(x))  # not marked batched: per-item path
    xa, _ = a.get_batch(np.arange(7))
    xb, _ = b.get_batch(np.arange(7))
    np.testing.assert_allclose(xa, xb, rtol=1e-6)
    np.testing.assert_allclose(a[2][0].numpy(), xa[2], rtol=1e-6)
    c = MNIST(tmp_path, target_transform=lambda y: y + 100)
    assert c[0][1] == c.targets[0] + 100
    assert (c.get_batch(np.arange(3))[1] == c.targets[:3] + 100).all()


def test_image_array_dataset_errors():
    with pytest.raises(ValueError, match="N labels"):
        ImageArrayDataset(np.zeros((3, 1, 2, 2)), np.zeros(2))
    ds = ImageArrayDataset(np.zeros((3, 1, 2, 2), np.uint8), np.zeros(3))
    with pytest.raises(IndexError, match="out of range"):
        ds[3]


# -- digits (scikit-learn's bundled data) -------------------------------------------------------
def test_digits_split_is_fixed_and_disjoint():
    train, test = Digits(train=True), Digits(train=False)
    assert len(train) == 1438 and len(test) == 359
    assert train.data.shape == (1438, 1, 8, 8) and set(np.unique(train.targets)) == set(range(10))
    x, y = train[0]
    assert x.dtype == np.float32 and x.shape == (1, 8, 8)
    assert float(x.numpy().min()) >= 0 and float(train.get_batch(np.arange(1438))[0].max()) == 1.0
    rows = {r.tobytes() + bytes([t]) for r, t in zip(train.data, train.targets)}
    again = Digits(train=True)
    np.testing.assert_array_equal(again.data, train.data)
    other = Digits(train=True, seed=1)
    assert not np.array_equal(other.targets, train.targets)
    from sklearn.datasets import load_digits

    full = load_digits()
    all_rows = {r.astype(np.uint8).tobytes() + bytes([t]) for r, t in zip(full.images, full.target)}
    test_rows = {r.tobytes() + bytes([t]) for r, t in zip(test.data, test.targets)}
    assert rows | test_rows <= all_rows
    assert len(Digits(train=False, test_fraction=0.5)) == 898
    images = train.get_batch(np.arange(len(train)))[0]
    mean, std = NORMALIZATION["digits"]
    assert abs(images.mean() - mean[0]) < 1e-3 and abs(images.std() - std[0]) < 1e-3


def test_digits_trains_through_the_loader():
    ds = get_dataset("digits", train=False, transform=T.Compose([T.RandomCrop(8, padding=1)]))
    loader = DataLoader(ds, batch_size=100, shuffle=True, seed=0)
    shapes = [(tuple(x.shape), x.dtype, y.dtype) for x, y in loader]
    assert shapes[0] == ((100, 1, 8, 8), np.float32, np.int64) and len(shapes) == 4
    assert shapes[-1][0] == (59, 1, 8, 8)


def test_digits_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    datasets_module._load_digits.cache_clear()
    with pytest.raises(ImportError, match=r"pip install tinygrad-cnn\[data\]"):
        Digits()
    monkeypatch.undo()
    datasets_module._load_digits.cache_clear()


def test_get_dataset_names(tmp_path):
    _write_mnist(tmp_path / "MNIST" / "raw")
    assert isinstance(get_dataset("mnist", root=tmp_path), MNIST)
    with pytest.raises(DatasetNotFoundError):
        get_dataset("fashion-mnist", root=tmp_path)
    with pytest.raises(ValueError, match="unknown dataset"):
        get_dataset("imagenet")


# -- downloads from a local server --------------------------------------------------------------
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An HTTP server on 127.0.0.1 serving tmp_path/srv, stopped after the test."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "srv"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.timeout = 5
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def test_download_good_hash_writes_file(server, tmp_path):
    root, url = server
    payload = os.urandom(3_000_000)
    (root / "blob.bin").write_bytes(payload)
    dest = tmp_path / "out" / "blob.bin"
    got = dl.download_file(f"{url}/blob.bin", dest, sha256=_sha(payload).upper(), timeout=10)
    assert got == _sha(payload) and dest.read_bytes() == payload
    assert os.listdir(dest.parent) == ["blob.bin"]


def test_download_bad_hash_raises_and_leaves_nothing(server, tmp_path):
    root, url = server
    (root / "blob.bin").write_bytes(b"tampered")
    dest = tmp_path / "out" / "blob.bin"
    with pytest.raises(DownloadError, match="SHA-256 mismatch.*not saved"):
        dl.download_file(f"{url}/blob.bin", dest, sha256=_sha(b"original"), timeout=10)
    assert os.listdir(dest.parent) == []


def test_download_other_failures(server, tmp_path):
    root, url = server
    (root / "blob.bin").write_bytes(b"abc")
    out = tmp_path / "out"
    with pytest.raises(DownloadError, match="could not fetch"):
        dl.download_file(f"{url}/missing.bin", out / "m.bin", sha256=_sha(b""), timeout=10)
    with pytest.raises(DownloadError, match="MD5 mismatch"):
        dl.download_file(f"{url}/blob.bin", out / "b.bin", md5="0" * 32, timeout=10)
    with pytest.raises(DownloadError, match="larger"):
        dl.download_file(f"{url}/blob.bin", out / "b.bin", max_bytes=2, timeout=10)
    assert os.listdir(out) == []
    with pytest.warns(UserWarning, match=f"MD5 matched.*{_sha(b'abc')}"):
        dl.download_file(
            f"{url}/blob.bin", out / "b.bin", md5=hashlib.md5(b"abc").hexdigest(), timeout=10
        )
    with pytest.warns(UserWarning, match="could not be verified"):
        dl.download_file(f"{url}/blob.bin", out / "c.bin", timeout=10)
    with pytest.raises(DownloadError, match="only http"):
        dl.download_file("file:///etc/passwd", out / "p")


def _patch_resources(monkeypatch, name, files):
    table = dict(dl.RESOURCES)
    table[name] = [
        dl.Resource(fn, "https://invalid.example/" + fn, _sha(data)) for fn, data in files.items()
    ]
    monkeypatch.setattr(dl, "RESOURCES", table)


def test_mnist_download_from_mirror(server, tmp_path, monkeypatch):
    root, url = server
    arrays = _write_mnist(root)
    files = {p.name: p.read_bytes() for p in root.iterdir()}
    _patch_resources(monkeypatch, "mnist", files)
    data_root = tmp_path / "data"
    ds = MNIST(data_root, train=False, download=True, mirror=url + "/")
    np.testing.assert_array_equal(ds.data[:, 0], arrays["t10k"][0])
    assert sorted(os.listdir(data_root / "MNIST" / "raw")) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    # a corrupted mirror is caught by the (canonical) checksum and nothing is written
    (root / "train-images-idx3-ubyte.gz").write_bytes(b"evil")
    with pytest.raises(DownloadError, match="SHA-256 mismatch"):
        MNIST(data_root, train=True, download=True, mirror=url)
    assert "train-images-idx3-ubyte.gz" not in os.listdir(data_root / "MNIST" / "raw")


def test_cifar10_download_extracts_only_the_batch_files(server, tmp_path, monkeypatch):
    root, url = server
    src = tmp_path / "cifar-src"
    parts = _write_cifar(src / "cifar-10-batches-bin")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in sorted(os.listdir(src / "cifar-10-batches-bin")):
            tar.add(src / "cifar-10-batches-bin" / name, arcname=f"cifar-10-batches-bin/{name}")
        evil = tarfile.TarInfo("../escaped.txt")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
    (root / "cifar-10-binary.tar.gz").write_bytes(buf.getvalue())
    _patch_resources(monkeypatch, "cifar10", {"cifar-10-binary.tar.gz": buf.getvalue()})
    data_root = tmp_path / "data"
    ds = CIFAR10(data_root, train=False, download=True, mirror=url)
    np.testing.assert_array_equal(ds.targets, parts["test_batch.bin"][0])
    assert (
        not (tmp_path / "escaped.txt").exists() and not (data_root.parent / "escaped.txt").exists()
    )
    assert len(CIFAR10(data_root, train=True)) == 15  # all six files were extracted
