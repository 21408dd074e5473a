"""Bad input across the API: each row is a call that must fail with a given exception type and a
message naming the op and the shapes, keys or values involved. The command line must answer a
bad flag or a missing path with one line on stderr and exit status 2, never a traceback.

Checkpoint files are covered in more depth (every truncation, random bytes, pickles, fuzzed
archives, atomic saves) by tests/test_checkpoint.py; the rows here only pin the messages.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, TensorDataset
from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.serialization import CheckpointError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(tg.__file__)))


def r(*shape: int) -> tg.Tensor:
    return tg.Tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


# -- helpers for the rows that need several statements ----------------------------------------
def _wrong_grad_shape(tmp: Path) -> None:
    w = nn.Parameter(tg.ones(3))
    opt = optim.Adam([w])
    w.grad = tg.ones(4)
    opt.step()


def _backward_non_scalar(tmp: Path) -> None:
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).backward()


def _backward_twice(tmp: Path) -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _backward_wrong_gradient_shape(tmp: Path) -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(tg.Tensor([1.0, 1.0, 1.0]))


def _linear_state(tmp: Path, edit: Callable[[dict], None]) -> None:
    m = nn.Linear(3, 2)
    sd = m.state_dict()
    edit(sd)
    m.load_state_dict(sd)


def _missing_key(tmp: Path) -> None:
    _linear_state(tmp, lambda sd: sd.pop("bias"))


def _unexpected_key(tmp: Path) -> None:
    _linear_state(tmp, lambda sd: sd.__setitem__("extra.weight", tg.zeros(1)))


def _misshaped_key(tmp: Path) -> None:
    _linear_state(tmp, lambda sd: sd.__setitem__("weight", tg.zeros(3, 3)))


def _nested_missing_key(tmp: Path) -> None:
    model = tg.models.LeNet5()
    sd = model.state_dict()
    del sd["conv2.weight"]
    model.load_state_dict(sd)


def _checkpoint(tmp: Path) -> Path:
    path = tmp / "model.npz"
    tg.save({"w": np.arange(1000.0)}, path)
    return path


def _truncated(tmp: Path) -> None:
    path = _checkpoint(tmp)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    tg.load(path)


def _corrupt(tmp: Path) -> None:
    path = _checkpoint(tmp)
    data = bytearray(path.read_bytes())
    mid = len(data) // 2  # inside the array's bytes: the zip CRC catches it
    data[mid : mid + 8] = bytes(range(8))
    path.write_bytes(bytes(data))
    tg.load(path)


def _foreign_npz(tmp: Path) -> None:
    path = tmp / "plain.npz"
    np.savez(path, weights=np.ones(3))
    tg.load(path)


def _foreign_zip(tmp: Path) -> None:
    path = tmp / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    tg.load(path)


def _pickle_file(tmp: Path) -> None:
    path = tmp / "model.pkl"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    tg.load(path)


def _text_file(tmp: Path) -> None:
    path = tmp / "notes.npz"
    path.write_text("not a checkpoint")
    tg.load(path)


def _empty_file(tmp: Path) -> None:
    path = tmp / "empty.npz"
    path.write_bytes(b"")
    tg.load(path)


def _missing_file(tmp: Path) -> None:
    tg.load(tmp / "nowhere.npz")


def _params() -> list:
    return list(nn.Linear(2, 2).parameters())


def _idx(arr: np.ndarray) -> bytes:
    code = {np.uint8: 8, np.int32: 12, np.float32: 13}[arr.dtype.type]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _mnist(tmp: Path, images: np.ndarray, labels: np.ndarray) -> None:
    for prefix in ("train", "t10k"):
        (tmp / f"{prefix}-images-idx3-ubyte").write_bytes(_idx(images))
        (tmp / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx(labels))
    tg.data.MNIST(tmp)


def _mnist_pixels(tmp: Path) -> None:
    _mnist(tmp, np.full((2, 4, 4), 300, np.int32), np.array([1, 2], np.uint8))


def _mnist_labels(tmp: Path) -> None:
    _mnist(tmp, np.zeros((2, 4, 4), np.uint8), np.array([1, 12], np.uint8))


def _state_dict_partial_write(tmp: Path) -> None:
    m = nn.Linear(2, 2)
    before = m.weight.numpy().copy()
    try:
        m.load_state_dict({"weight": tg.zeros(2, 2), "bias": "abc"})
    finally:
        assert (m.weight.numpy() == before).all(), "weight was overwritten before the error"


def _optimizer_other_state(tmp: Path) -> None:
    w = nn.Parameter(tg.ones(2))
    optim.SGD([w], lr=0.1, momentum=0.9).load_state_dict(optim.Adam([w]).state_dict())


def _ds() -> TensorDataset:
    return TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))


# -- the table: (id, callable, exception type, substrings the message must contain) ------------
Row = tuple[str, Callable[[Path], Any], type, list[str]]
ROWS: list[Row] = [
    # shapes and broadcasting
    ("matmul_2d", lambda t: r(2, 3) @ r(4, 5), ValueError, ["matmul", "(2, 3)", "(4, 5)"]),
    ("matmul_1d", lambda t: r(3).matmul(r(4)), ValueError, ["matmul", "(3,)", "(4,)"]),
    ("matmul_0d", lambda t: tg.Tensor(1.0) @ r(3), ValueError, ["matmul", "()", "(3,)"]),
    ("matmul_batched", lambda t: r(2, 2, 3) @ r(3, 3, 4), ValueError, ["matmul", "(2, 2, 3)"]),
    ("broadcast_add", lambda t: r(2, 3) + r(4, 3), ValueError, ["add", "(2, 3)", "(4, 3)"]),
    ("broadcast_mul", lambda t: r(2, 3) * r(2), ValueError, ["mul", "(2, 3)", "(2,)"]),
    ("broadcast_sub", lambda t: r(5) - r(4), ValueError, ["sub", "(5,)", "(4,)"]),
    (
        "broadcast_where",
        lambda t: tg.where(r(2) > 0, r(3), r(4)),
        ValueError,
        ["where", "(2,)", "(3,)", "(4,)"],
    ),
    ("reshape_size", lambda t: r(2, 3).reshape(4, 2), ValueError, ["reshape", "(2, 3)", "(4, 2)"]),
    ("reshape_two_minus_one", lambda t: r(2, 3).view(-1, -1), RuntimeError, ["reshape", "-1"]),
    ("expand", lambda t: r(2, 3).expand(4, 3), ValueError, ["expand", "(2, 3)", "(4, 3)"]),
    ("permute", lambda t: r(2, 3).permute(0, 0), ValueError, ["permute", "(0, 0)", "(2, 3)"]),
    ("sum_dim", lambda t: r(2, 3).sum(dim=2), IndexError, ["sum", "dim 2", "2 dimensions"]),
    ("softmax_dim", lambda t: r(2, 3).softmax(dim=5), IndexError, ["softmax", "dim 5"]),
    ("cat_shapes", lambda t: tg.cat([r(2, 3), r(2, 4)]), ValueError, ["cat", "(2, 3)", "(2, 4)"]),
    ("cat_dim", lambda t: tg.cat([r(2, 3), r(2, 3)], dim=3), IndexError, ["cat", "dim 3"]),
    ("stack_shapes", lambda t: tg.stack([r(2, 3), r(3, 2)]), ValueError, ["stack", "(2, 3)"]),
    ("stack_dim", lambda t: tg.stack([r(2), r(2)], dim=4), IndexError, ["stack", "dim 4", "(2,)"]),
    ("sum_dim_float", lambda t: r(2, 3).sum(dim=1.5), TypeError, ["sum", "dim", "1.5"]),
    ("flatten_dim", lambda t: r(2, 3).flatten(3), IndexError, ["flatten", "dim 3"]),
    (
        "flatten_order",
        lambda t: r(2, 3, 4).flatten(2, 1),
        ValueError,
        ["flatten", "start_dim 2", "end_dim 1", "(2, 3, 4)"],
    ),
    ("cat_0d", lambda t: tg.cat([tg.Tensor(1.0), tg.Tensor(2.0)]), ValueError, ["cat", "0-d"]),
    ("index", lambda t: r(2, 3)[5], IndexError, ["index", "5", "(2, 3)"]),
    ("unsqueeze_dim", lambda t: r(2, 3).unsqueeze(5), IndexError, ["unsqueeze", "dim 5"]),
    ("pad_negative", lambda t: r(2, 3).pad((-1, 0)), ValueError, ["pad", "negative", "(-1, 0)"]),
    ("pad_odd_length", lambda t: r(2, 3).pad((1,)), ValueError, ["pad", "(1,)", "(2, 3)"]),
    ("item_many", lambda t: r(3).item(), ValueError, ["item", "(3,)"]),
    # construction and dtypes
    ("tensor_str", lambda t: tg.Tensor("abc"), TypeError, ["Tensor", "str"]),
    ("tensor_ragged", lambda t: tg.Tensor([[1, 2], [3]]), ValueError, ["Tensor", "unequal"]),
    ("astype_unknown", lambda t: r(2).astype("floaty"), TypeError, ["astype", "floaty"]),
    ("randn_negative", lambda t: tg.randn(-1, 2), RuntimeError, ["randn", "[-1, 2]"]),
    ("zeros_float_size", lambda t: tg.zeros(2.5), TypeError, ["zeros", "2.5"]),
    (
        "int_requires_grad",
        lambda t: tg.Tensor([1, 2, 3], requires_grad=True),
        TypeError,
        ["requires_grad", "int64", "(3,)", ".float()"],
    ),
    (
        "int_requires_grad_",
        lambda t: tg.arange(4).requires_grad_(),
        TypeError,
        ["requires_grad", "int64", "(4,)"],
    ),
    ("manual_seed_str", lambda t: tg.manual_seed("x"), TypeError, ["manual_seed", "str"]),
    # convolution and pooling
    (
        "conv_channels",
        lambda t: F.conv2d(r(1, 3, 8, 8), r(6, 1, 5, 5)),
        ValueError,
        ["conv2d", "3 channels", "(6, 1, 5, 5)"],
    ),
    (
        "conv_module_channels",
        lambda t: nn.Conv2d(1, 6, 5)(r(2, 3, 28, 28)),
        ValueError,
        ["conv2d", "3 channels", "(6, 1, 5, 5)"],
    ),
    (
        "conv_kernel_too_big",
        lambda t: F.conv2d(r(1, 1, 3, 3), r(2, 1, 5, 5)),
        ValueError,
        ["conv2d", "(5, 5)", "(1, 1, 3, 3)"],
    ),
    (
        "conv_negative_padding",
        lambda t: F.conv2d(r(1, 1, 8, 8), r(2, 1, 3, 3), padding=-1),
        ValueError,
        ["conv2d", "padding", "-1"],
    ),
    (
        "conv_module_negative_padding",
        lambda t: nn.Conv2d(1, 2, 3, padding=-1)(r(1, 1, 5, 5)),
        ValueError,
        ["conv2d", "padding", "-1"],
    ),
    (
        "conv_input_rank",
        lambda t: F.conv2d(r(8, 8), r(2, 1, 3, 3)),
        ValueError,
        ["conv2d", "(8, 8)", "4-D"],
    ),
    (
        "conv_weight_rank",
        lambda t: F.conv2d(r(1, 1, 8, 8), r(2, 3, 3)),
        ValueError,
        ["conv2d", "weight", "(2, 3, 3)"],
    ),
    (
        "conv_stride_zero",
        lambda t: F.conv2d(r(1, 1, 8, 8), r(2, 1, 3, 3), stride=0),
        ValueError,
        ["conv2d", "stride", "0"],
    ),
    (
        "conv_bias_shape",
        lambda t: F.conv2d(r(1, 1, 8, 8), r(2, 1, 3, 3), bias=r(3)),
        ValueError,
        ["conv2d", "bias", "(2,)", "(3,)"],
    ),
    (
        "conv_groups",
        lambda t: F.conv2d(r(1, 4, 8, 8), r(2, 4, 3, 3), groups=3),
        ValueError,
        ["conv2d", "groups=3", "(1, 4, 8, 8)"],
    ),
    (
        "conv_module_zero_channels",
        lambda t: nn.Conv2d(0, 2, 3),
        ValueError,
        ["Conv2d", "in_channels", "0"],
    ),
    (
        "maxpool_kernel_too_big",
        lambda t: F.max_pool2d(r(1, 1, 2, 2), 3),
        ValueError,
        ["max_pool2d", "(3, 3)", "(1, 1, 2, 2)"],
    ),
    (
        "maxpool_input_rank",
        lambda t: F.max_pool2d(r(4, 4), 2),
        ValueError,
        ["max_pool2d", "(4, 4)"],
    ),
    (
        "avgpool_negative_padding",
        lambda t: F.avg_pool2d(r(1, 1, 4, 4), 2, padding=-1),
        ValueError,
        ["avg_pool2d", "padding", "-1"],
    ),
    (
        "batchnorm_channels",
        lambda t: nn.BatchNorm2d(3)(r(2, 4, 5, 5)),
        ValueError,
        ["BatchNorm2d", "(2, 4, 5, 5)", "num_features=3"],
    ),
    (
        "batchnorm_rank",
        lambda t: nn.BatchNorm2d(3)(r(2, 3)),
        ValueError,
        ["BatchNorm2d", "4D", "(2, 3)"],
    ),
    (
        "lenet_wrong_size",
        lambda t: tg.models.LeNet5()(r(2, 1, 32, 32)),
        ValueError,
        ["linear", "(2, 400)", "(120, 256)"],
    ),
    # layers and losses
    (
        "linear_features",
        lambda t: F.linear(r(2, 3), r(4, 5)),
        ValueError,
        ["linear", "(2, 3)", "(4, 5)"],
    ),
    (
        "linear_module_features",
        lambda t: nn.Linear(3, 4)(r(2, 5)),
        ValueError,
        ["linear", "(2, 5)", "(4, 3)"],
    ),
    ("dropout_p", lambda t: nn.Dropout(1.5), ValueError, ["Dropout", "1.5"]),
    ("dropout_fn_p", lambda t: F.dropout(r(3), p=-0.1), ValueError, ["dropout", "-0.1"]),
    (
        "cross_entropy_target_too_big",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, 3])),
        IndexError,
        ["cross_entropy", "class 3", "3 classes"],
    ),
    (
        "cross_entropy_target_negative",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, -2])),
        IndexError,
        ["cross_entropy", "class -2"],
    ),
    (
        "cross_entropy_float_target",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0.0, 1.0])),
        TypeError,
        ["cross_entropy", "float32", "(2,)", ".long()"],
    ),
    (
        "cross_entropy_batch",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, 1, 2])),
        ValueError,
        ["cross_entropy", "(2, 3)", "(3,)"],
    ),
    (
        "nll_target_too_big",
        lambda t: F.nll_loss(r(2, 3), tg.Tensor([0, 5])),
        IndexError,
        ["nll_loss", "class 5"],
    ),
    (
        "mse_shapes",
        lambda t: F.mse_loss(r(2, 3), r(3, 2)),
        ValueError,
        ["mse_loss", "(2, 3)", "(3, 2)"],
    ),
    (
        "bce_logits_shapes",
        lambda t: F.binary_cross_entropy_with_logits(r(2, 3), r(3)),
        ValueError,
        ["binary_cross_entropy_with_logits", "(2, 3)", "(3,)"],
    ),
    (
        "bce_not_probabilities",
        lambda t: F.binary_cross_entropy(tg.Tensor([0.5, 1.5]), tg.Tensor([0.0, 1.0])),
        ValueError,
        ["binary_cross_entropy", "[0, 1]"],
    ),
    (
        "loss_reduction",
        lambda t: F.mse_loss(r(2), r(2), reduction="avg"),
        ValueError,
        ["mse_loss", "'avg'"],
    ),
    # autograd
    (
        "backward_non_scalar",
        _backward_non_scalar,
        RuntimeError,
        ["backward", "scalar", "(3,)", "gradient="],
    ),
    ("backward_twice", _backward_twice, RuntimeError, ["Sum", "second time", "retain_graph=True"]),
    (
        "backward_gradient_shape",
        _backward_wrong_gradient_shape,
        RuntimeError,
        ["backward", "(3,)", "(2,)"],
    ),
    (
        "backward_no_grad",
        lambda t: tg.Tensor([1.0]).sum().backward(),
        RuntimeError,
        ["backward", "requires_grad"],
    ),
    (
        "grad_input_not_requiring_grad",
        lambda t: tg.grad((tg.Tensor([1.0], requires_grad=True) * 2).sum(), tg.Tensor([1.0])),
        RuntimeError,
        ["grad", "(1,)", "requires_grad=True"],
    ),
    # modules and state dicts
    ("state_dict_missing", _missing_key, RuntimeError, ["Linear", "Missing", "bias"]),
    ("state_dict_unexpected", _unexpected_key, RuntimeError, ["Unexpected", "extra.weight"]),
    (
        "state_dict_misshaped",
        _misshaped_key,
        RuntimeError,
        ["size mismatch", "weight", "(3, 3)", "(2, 3)"],
    ),
    ("state_dict_nested_missing", _nested_missing_key, RuntimeError, ["LeNet5", "conv2.weight"]),
    (
        "state_dict_not_a_mapping",
        lambda t: nn.Linear(3, 2).load_state_dict([1, 2]),
        TypeError,
        ["load_state_dict", "list"],
    ),
    (
        "module_assign_int_to_parameter",
        lambda t: setattr(nn.Linear(2, 2), "weight", 3),
        TypeError,
        ["weight", "Linear", "Parameter"],
    ),
    (
        "get_model_unknown",
        lambda t: tg.models.get_model("resnet"),
        ValueError,
        ["resnet", "lenet5"],
    ),
    # optimizers and schedulers
    ("optimizer_empty", lambda t: optim.SGD([], lr=0.1), ValueError, ["SGD", "empty"]),
    (
        "optimizer_empty_generator",
        lambda t: optim.Adam(nn.ReLU().parameters(), lr=0.1),
        ValueError,
        ["Adam", "empty"],
    ),
    (
        "optimizer_non_tensor",
        lambda t: optim.SGD([1.0, 2.0], lr=0.1),
        TypeError,
        ["SGD", "Tensor", "float"],
    ),
    (
        "optimizer_ndarray",
        lambda t: optim.Adam([np.ones(3)], lr=0.1),
        TypeError,
        ["Adam", "ndarray"],
    ),
    (
        "optimizer_single_tensor",
        lambda t: optim.SGD(tg.Tensor([1.0], requires_grad=True), lr=0.1),
        TypeError,
        ["SGD", "(1,)", "[tensor]"],
    ),
    ("optimizer_negative_lr", lambda t: optim.SGD(_params(), lr=-1), ValueError, ["SGD", "-1"]),
    (
        "optimizer_betas",
        lambda t: optim.Adam(_params(), betas=(1.5, 0.9)),
        ValueError,
        ["Adam", "betas", "(1.5, 0.9)"],
    ),
    (
        "optimizer_duplicate",
        lambda t: optim.SGD([nn.Parameter(tg.ones(2))] * 2, lr=0.1),
        ValueError,
        ["SGD", "more than once"],
    ),
    (
        "scheduler_not_optimizer",
        lambda t: optim.lr_scheduler.StepLR(None, 2),
        TypeError,
        ["StepLR", "Optimizer", "NoneType"],
    ),
    (
        "scheduler_step_size",
        lambda t: optim.lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), 0),
        ValueError,
        ["StepLR", "step_size", "0"],
    ),
    # data
    (
        "dataloader_batch_zero",
        lambda t: DataLoader(_ds(), batch_size=0),
        ValueError,
        ["DataLoader", "batch_size", "0"],
    ),
    (
        "dataloader_batch_negative",
        lambda t: DataLoader(_ds(), batch_size=-1),
        ValueError,
        ["DataLoader", "batch_size", "-1"],
    ),
    (
        "dataloader_batch_float",
        lambda t: DataLoader(_ds(), batch_size=2.5),
        ValueError,
        ["DataLoader", "batch_size", "2.5"],
    ),
    (
        "tensor_dataset_lengths",
        lambda t: TensorDataset(np.ones((4, 2)), np.ones(3)),
        ValueError,
        ["TensorDataset", "(4, 2)", "(3,)"],
    ),
    # checkpoint files (see tests/test_checkpoint.py for exhaustive truncation and fuzzing)
    ("checkpoint_truncated", _truncated, CheckpointError, ["load", "model.npz", "truncated"]),
    ("checkpoint_corrupt", _corrupt, CheckpointError, ["load", "model.npz", "CRC"]),
    ("checkpoint_foreign_npz", _foreign_npz, CheckpointError, ["load", "plain.npz", "__meta__"]),
    ("checkpoint_foreign_zip", _foreign_zip, CheckpointError, ["other.zip", "readme.txt"]),
    ("checkpoint_pickle", _pickle_file, CheckpointError, ["model.pkl", "pickle"]),
    ("checkpoint_text", _text_file, CheckpointError, ["notes.npz", "not a zip"]),
    ("checkpoint_empty", _empty_file, CheckpointError, ["empty.npz", "empty"]),
    ("checkpoint_missing", _missing_file, FileNotFoundError, ["nowhere.npz"]),
    ("reshape_float_size", lambda t: r(2, 3).reshape(2.0, 3), TypeError, ["integers", "2.0"]),
    ("optimizer_grad_shape", _wrong_grad_shape, ValueError, ["grad", "(3,)", "(4,)"]),
    # round two (issue 17): silent wrong results and internal wording
    (
        "bce_nan_input",
        lambda t: F.binary_cross_entropy(tg.Tensor([float("nan")]), tg.Tensor([1.0])),
        ValueError,
        ["binary_cross_entropy", "[0, 1]", "nan"],
    ),
    (
        "cross_entropy_weight_too_long",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, 1]), weight=tg.ones(4)),
        ValueError,
        ["cross_entropy", "weight", "(3,)", "(4,)"],
    ),
    (
        "cross_entropy_weight_too_short",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, 2]), weight=tg.ones(2)),
        ValueError,
        ["cross_entropy", "weight", "(3,)", "(2,)"],
    ),
    (
        "cross_entropy_weight_2d",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, 1]), weight=tg.ones(1, 3)),
        ValueError,
        ["cross_entropy", "weight", "(1, 3)"],
    ),
    (
        "cross_entropy_prob_weight",
        lambda t: F.cross_entropy(r(2, 3), tg.zeros(2, 3), weight=tg.ones(4)),
        ValueError,
        ["cross_entropy", "weight", "(4,)"],
    ),
    (
        "nll_weight_too_short",
        lambda t: F.nll_loss(r(2, 3), tg.Tensor([0, 2]), weight=tg.ones(2)),
        ValueError,
        ["nll_loss", "weight", "(2,)"],
    ),
    (
        "loss_weight_list",
        lambda t: F.cross_entropy(r(2, 3), tg.Tensor([0, 1]), weight=[1.0, 1.0, 1.0]),
        TypeError,
        ["cross_entropy", "weight", "list"],
    ),
    (
        "loss_ndarray_input",
        lambda t: F.mse_loss(np.ones(3, np.float32), tg.zeros(3)),
        TypeError,
        ["mse_loss", "input", "ndarray"],
    ),
    (
        "loss_module_list_input",
        lambda t: nn.MSELoss()([1.0], tg.ones(1)),
        TypeError,
        ["mse_loss", "input", "list"],
    ),
    (
        "bce_module_ndarray",
        lambda t: nn.BCELoss()(np.ones(2), tg.ones(2)),
        TypeError,
        ["binary_cross_entropy", "ndarray"],
    ),
    (
        "state_dict_str_value",
        _state_dict_partial_write,
        RuntimeError,
        ["Linear", "bias", "str"],
    ),
    (
        "state_dict_none_value",
        lambda t: nn.Linear(2, 2).load_state_dict({"weight": None, "bias": tg.zeros(2)}),
        RuntimeError,
        ["weight", "None"],
    ),
    (
        "state_dict_object_array",
        lambda t: nn.Linear(2, 2).load_state_dict(
            {"weight": np.array([[None] * 2] * 2, dtype=object), "bias": tg.zeros(2)}
        ),
        RuntimeError,
        ["weight", "object"],
    ),
    (
        "dataset_nan_label",
        lambda t: tg.data.ImageArrayDataset(np.zeros((2, 1, 2, 2)), np.array([0.0, np.nan])),
        ValueError,
        ["ImageArrayDataset", "labels", "nan", "index 1"],
    ),
    (
        "dataset_fractional_label",
        lambda t: tg.data.ImageArrayDataset(np.zeros((2, 1, 2, 2)), np.array([0.5, 1.0])),
        ValueError,
        ["ImageArrayDataset", "labels", "0.5"],
    ),
    ("mnist_pixels_out_of_range", _mnist_pixels, ValueError, ["MNIST", "pixel", "300", "0..255"]),
    ("mnist_labels_out_of_range", _mnist_labels, ValueError, ["MNIST", "label", "12", "0..9"]),
    ("optimizer_lr_str", lambda t: optim.SGD(_params(), lr="0.1"), TypeError, ["SGD", "lr", "str"]),
    (
        "optimizer_betas_three",
        lambda t: optim.Adam(_params(), betas=(0.9, 0.9, 0.9)),
        ValueError,
        ["Adam", "betas", "(0.9, 0.9, 0.9)"],
    ),
    (
        "scheduler_milestones_int",
        lambda t: optim.lr_scheduler.MultiStepLR(optim.SGD(_params(), lr=0.1), milestones=5),
        TypeError,
        ["MultiStepLR", "milestones", "[5]"],
    ),
    (
        "scheduler_gamma_str",
        lambda t: optim.lr_scheduler.ExponentialLR(optim.SGD(_params(), lr=0.1), gamma="x"),
        TypeError,
        ["ExponentialLR", "gamma", "str"],
    ),
    (
        "optimizer_load_malformed",
        lambda t: optim.SGD(_params(), lr=0.1).load_state_dict({"state": 5}),
        ValueError,
        ["SGD.load_state_dict", "'state'", "'param_groups'"],
    ),
    (
        "optimizer_load_other_optimizer",
        _optimizer_other_state,
        ValueError,
        ["SGD.load_state_dict", "momentum", "another kind of optimizer"],
    ),
    (
        "transform_normalize_str",
        lambda t: tg.data.transforms.Normalize(["a"], [1.0]),
        TypeError,
        ["Normalize", "mean", "str"],
    ),
    (
        "transform_crop_float_size",
        lambda t: tg.data.transforms.RandomCrop(2.5),
        TypeError,
        ["RandomCrop", "size", "2.5"],
    ),
    (
        "transform_crop_padding_str",
        lambda t: tg.data.transforms.RandomCrop(4, padding="ab"),
        TypeError,
        ["RandomCrop", "padding", "'ab'"],
    ),
    (
        "transform_flip_p_str",
        lambda t: tg.data.transforms.RandomHorizontalFlip("0.5"),
        TypeError,
        ["RandomHorizontalFlip", "p", "str"],
    ),
    (
        "transform_compose_not_list",
        lambda t: tg.data.transforms.Compose(5),
        TypeError,
        ["Compose", "int"],
    ),
    (
        "transform_input_list",
        lambda t: tg.data.transforms.RandomHorizontalFlip()([[1.0]]),
        TypeError,
        ["RandomHorizontalFlip", "list"],
    ),
]


def test_table_is_large_and_unique():
    assert len(ROWS) >= 40
    assert len({row[0] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize(("fn", "exc", "needles"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input_raises_a_clear_error(tmp_path, fn, exc, needles):
    with pytest.raises(exc) as info:
        fn(tmp_path)
    msg = str(info.value)
    missing = [n for n in needles if n not in msg]
    assert not missing, f"message lacks {missing}: {msg!r}"
    # a clear error is ours, not numpy's: it never leaks numpy's own wording alone
    assert "operands could not be broadcast" not in msg


def test_checkpoint_error_is_a_value_error():
    # the CLI maps ValueError to exit status 2; CheckpointError must be one
    assert issubclass(CheckpointError, ValueError)


def test_bad_input_never_uses_assert():
    # errors on user input must survive `python -O` (asserts vanish there)
    code = (
        "import tinygrad_cnn as tg\n"
        "from tinygrad_cnn.nn import functional as F\n"
        "try:\n"
        "    F.conv2d(tg.zeros(1, 3, 8, 8), tg.zeros(6, 1, 5, 5))\n"
        "except ValueError as e:\n"
        "    print('ok', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok conv2d: input has 3 channels")


# -- the command line --------------------------------------------------------------------------
def _cli_cases(tmp: Path) -> list[tuple[str, list[str], list[str]]]:
    junk = tmp / "junk.npz"
    junk.write_text("not a checkpoint")
    plain = tmp / "plain.npz"
    np.savez(plain, a=np.ones(2))
    a_file = tmp / "a_file"
    a_file.write_text("x")
    return [
        ("unknown_flag", ["train", "--bogus"], ["unrecognized arguments", "--bogus"]),
        ("zero_epochs", ["train", "--epochs", "0"], ["--epochs", "positive"]),
        ("bad_float", ["train", "--lr", "abc"], ["--lr", "abc"]),
        ("bad_choice", ["train", "--optimizer", "lbfgs"], ["--optimizer", "lbfgs"]),
        ("unknown_command", ["frobnicate"], ["frobnicate"]),
        ("eval_missing", ["eval", str(tmp / "none.npz")], ["eval", "none.npz", "does not exist"]),
        ("eval_no_arg", ["eval"], ["checkpoint"]),
        ("eval_directory", ["eval", str(tmp)], ["eval", str(tmp)]),
        ("eval_junk", ["eval", str(junk)], ["eval", "junk.npz", "not a tinygrad_cnn checkpoint"]),
        ("eval_foreign", ["eval", str(plain)], ["eval", "plain.npz", "__meta__"]),
        (
            "resume_missing",
            ["train", "--resume", str(tmp / "gone.npz")],
            ["train", "gone.npz", "does not exist"],
        ),
        ("resume_junk", ["train", "--resume", str(junk), "--epochs", "1"], ["train", "junk.npz"]),
        (
            "dataset_missing",
            ["train", "--data", "mnist", "--data-dir", str(tmp / "nodata"), "--no-progress"],
            ["train", "MNIST", "nodata", "download"],
        ),
        (
            "unknown_model",
            ["train", "--model", "resnet", "--out", str(tmp / "run"), "--no-progress"],
            ["train", "resnet"],
        ),
        (
            "out_is_a_file",
            ["train", "--epochs", "1", "--out", str(a_file), "--no-progress"],
            ["train", "a_file"],
        ),
        ("graph_bad_shape", ["graph", "--input-shape", "1,a,28"], ["graph", "--input-shape"]),
        ("graph_missing_ckpt", ["graph", "--checkpoint", str(tmp / "x.npz")], ["graph", "x.npz"]),
        ("gradcheck_unknown_op", ["gradcheck", "--op", "nosuchop"], ["gradcheck", "nosuchop"]),
        ("gradcheck_unknown_model", ["gradcheck", "--model", "nosuch"], ["gradcheck", "nosuch"]),
    ]


def _train_checkpoint(tmp: Path, name: str, **edits: Any) -> str:
    """A checkpoint shaped like `train`'s after one epoch (built directly: no training), with
    some entries replaced."""
    import dataclasses
    import json

    from tinygrad_cnn.training import TrainConfig, make_optimizer

    model = tg.models.get_model("digits_cnn")
    row = dict.fromkeys(["train_loss", "train_acc", "test_loss", "test_acc", "seconds"], 0.5)
    state = {
        "model": model.state_dict(),
        "optimizer": make_optimizer("adam", model.parameters(), 1e-3).state_dict(),
        "epoch": 1,
        "history": json.dumps([{"epoch": 1, **row}]),
        "config": json.dumps(dataclasses.asdict(TrainConfig(epochs=1, out=str(tmp / "run")))),
        "rng": json.dumps(tg.random.get_rng_state()),
    }
    state.update(edits)
    for key in [k for k, v in edits.items() if v is None]:
        del state[key]
    path = tmp / name
    tg.save(state, path)
    return str(path)


def _cli_cases_round_two(tmp: Path) -> list[tuple[str, list[str], list[str]]]:
    noconf = tmp / "noconf.npz"
    tg.save({"model": {}}, noconf)
    badconf = tmp / "badconf.npz"
    tg.save({"model": {}, "config": '{"epochs": "many"}'}, badconf)
    resume = ["train", "--epochs", "2", "--no-progress", "--resume"]
    return [
        ("lr_inf", ["train", "--lr", "inf"], ["--lr", "inf"]),
        ("lr_nan", ["train", "--lr", "nan"], ["--lr", "nan"]),
        ("seed_negative", ["train", "--seed", "-1"], ["--seed", "-1"]),
        ("eval_no_config", ["eval", str(noconf)], ["eval", "noconf.npz", "training config"]),
        ("eval_bad_config", ["eval", str(badconf)], ["eval", "badconf.npz", "epochs", "'many'"]),
        (
            "resume_bad_rng",
            resume + [_train_checkpoint(tmp, "rng.npz", rng='{"state": 1}')],
            ["train", "rng.npz", "'rng'"],
        ),
        (
            "resume_bad_optimizer",
            resume + [_train_checkpoint(tmp, "opt.npz", optimizer={"state": 3})],
            ["train", "opt.npz", "'optimizer'"],
        ),
        (
            "resume_bad_history",
            resume + [_train_checkpoint(tmp, "hist.npz", history="[1, 2")],
            ["train", "hist.npz", "'history'"],
        ),
        (
            "resume_no_history",
            resume + [_train_checkpoint(tmp, "nohist.npz", history=None)],
            ["train", "nohist.npz", "history"],
        ),
        (
            "resume_bad_model",
            resume + [_train_checkpoint(tmp, "model.npz", model={"conv1.weight": "x"})],
            ["train", "model.npz", "'model'", "conv1.weight"],
        ),
        ("gradcheck_num_checks_0", ["gradcheck", "--num-checks", "0"], ["--num-checks", "0"]),
        ("gradcheck_batch_size_0", ["gradcheck", "--batch-size", "0"], ["--batch-size", "0"]),
        ("gradcheck_batch_size_neg", ["gradcheck", "--batch-size", "-1"], ["--batch-size", "-1"]),
        (
            "graph_absurd_shape",
            ["graph", "--input-shape", "100000,100000,100000,100000"],
            ["graph", "--input-shape", "too large"],
        ),
        (
            "graph_many_dims",
            ["graph", "--input-shape", ",".join(["1"] * 40)],
            ["graph", "--input-shape", "dimensions"],
        ),
        ("bench_unknown", ["bench", "--only", "nosuch"], ["bench", "nosuch", "lenet5_train"]),
    ]


def test_cli_round_two_errors_are_one_line_with_status_2(tmp_path, capsys):
    from tinygrad_cnn import cli

    failures = []
    for name, argv, needles in _cli_cases_round_two(tmp_path):
        try:
            rc = cli.main(argv)
        except SystemExit as e:
            rc = e.code
        captured = capsys.readouterr()
        failures += _check_cli_error(name, rc, captured.err, needles)
    assert not failures, "\n".join(failures)
    assert not (tmp_path / "run").exists(), "a malformed --resume started training"


@pytest.fixture
def bad_http_server(monkeypatch):
    """127.0.0.1 servers: one answers garbage, one accepts and never answers."""
    import socket
    import threading

    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    stop = threading.Event()
    socks, threads = [], []

    def serve(sock, reply):
        sock.settimeout(0.1)
        held = []
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            if reply is not None:
                conn.sendall(reply)
                conn.close()
            else:
                held.append(conn)  # stalled: keep the connection open, say nothing
        for c in held:
            c.close()

    urls = []
    for reply in (b"this is not HTTP at all\r\n\r\n", None):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        socks.append(sock)
        threads.append(threading.Thread(target=serve, args=(sock, reply), daemon=True))
        threads[-1].start()
        urls.append(f"http://127.0.0.1:{sock.getsockname()[1]}")
    yield urls
    stop.set()
    for t in threads:
        t.join(timeout=5)
    for sock in socks:
        sock.close()


def test_cli_download_failures_name_the_url(tmp_path, capsys, bad_http_server):
    from tinygrad_cnn import cli

    garbage, stalled = bad_http_server
    failures = []
    for name, mirror in (("garbage", garbage), ("stalled", stalled)):
        argv = ["train", "--data", "mnist", "--data-dir", str(tmp_path / name), "--download"]
        argv += ["--mirror", mirror, "--download-timeout", "0.5", "--no-progress"]
        rc = cli.main(argv)
        err = capsys.readouterr().err
        needles = [mirror + "/train-images-idx3-ubyte.gz"]
        if name == "stalled":
            needles.append("timed out")
        failures += _check_cli_error(name, rc, err, needles)
    assert not failures, "\n".join(failures)


def _check_cli_error(name: str, rc: int, err: str, needles: list[str]) -> list[str]:
    lines = err.strip().splitlines()
    problems = []
    if rc != 2:
        problems.append(f"exit status {rc}")
    if "Traceback" in err:
        problems.append("traceback")
    # argparse errors print the usage first; either way exactly one 'tinygrad-cnn ...: error:'
    error_lines = [ln for ln in lines if "error:" in ln]
    if len(error_lines) != 1 or not lines[-1].startswith("tinygrad-cnn"):
        problems.append("not a single 'tinygrad-cnn ...: error: ...' line")
    if lines and not lines[0].startswith("usage:") and len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr")
    missing = [n for n in needles if n not in err]
    if missing:
        problems.append(f"missing {missing}")
    return [f"{name}: {problems}; stderr={err!r}"] if problems else []


# one of each kind of failure also goes through a real `python -m tinygrad_cnn` process
IN_SUBPROCESS = {
    "unknown_flag",
    "zero_epochs",
    "unknown_command",
    "eval_missing",
    "eval_directory",
    "eval_junk",
    "resume_missing",
    "graph_bad_shape",
    "gradcheck_unknown_op",
}


def test_cli_errors_are_one_line_with_status_2(tmp_path, capsys):
    from tinygrad_cnn import cli

    failures = []
    for name, argv, needles in _cli_cases(tmp_path):
        try:
            rc = cli.main(argv)
        except SystemExit as e:  # argparse's own errors
            rc = e.code
        captured = capsys.readouterr()
        failures += _check_cli_error(name, rc, captured.err, needles)
    assert not failures, "\n".join(failures)


def test_cli_errors_in_a_real_process(tmp_path):
    cases = [c for c in _cli_cases(tmp_path) if c[0] in IN_SUBPROCESS]
    assert len(cases) == len(IN_SUBPROCESS)
    env = {**os.environ, "PYTHONPATH": REPO, "OPENBLAS_NUM_THREADS": "1"}
    # all at once: each is a fresh interpreter, mostly importing numpy, so they overlap well
    running = [
        (
            name,
            needles,
            subprocess.Popen(
                [sys.executable, "-m", "tinygrad_cnn", *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=tmp_path,
                env=env,
            ),
        )
        for name, argv, needles in cases
    ]
    failures = []
    for name, needles, p in running:
        _, err = p.communicate(timeout=120)
        failures += _check_cli_error(name, p.returncode, err, needles)
    assert not failures, "\n".join(failures)


# -- silent wrong results (issue 17): values that must match PyTorch ---------------------------
def test_bce_at_zero_and_one_is_100_with_finite_input_gradient():
    p = tg.Tensor([0.0, 1.0, 0.0, 1.0, 0.25], requires_grad=True)
    y = tg.Tensor([1.0, 0.0, 0.0, 1.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, y, reduction="none")
    loss.sum().backward()
    np.testing.assert_array_equal(loss.numpy()[:4], [100.0, 100.0, 0.0, 0.0])
    # PyTorch: d/dp = (p - y) / max(p (1 - p), 1e-12); d/dy = log(1 - p) - log(p)
    np.testing.assert_allclose(p.grad.numpy(), [-1e12, 1e12, 0.0, 0.0, -4.0], rtol=1e-6)
    assert np.isfinite(p.grad.numpy()).all()
    np.testing.assert_allclose(y.grad.numpy()[4], np.log(0.75) - np.log(0.25), rtol=1e-6)
    assert F.binary_cross_entropy(tg.Tensor([0.0]), tg.Tensor([1.0])).item() == 100.0


def test_bce_matches_torch_at_the_clamp(torch_answer):
    pv = np.array([0.0, 1.0, 1e-30, 1 - 1e-7, 0.5], np.float32)
    yv = np.array([1.0, 0.0, 1.0, 0.0, 0.3], np.float32)
    p, y = tg.Tensor(pv, requires_grad=True), tg.Tensor(yv)
    F.binary_cross_entropy(p, y).backward()

    def theirs(torch):
        tp = torch.tensor(pv, requires_grad=True)
        ref = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(yv))
        ref.backward()
        return ref.item(), tp.grad.numpy()

    ref, ref_grad = torch_answer(theirs, pv, yv)
    np.testing.assert_allclose(F.binary_cross_entropy(p, y).item(), ref, rtol=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), ref_grad, rtol=1e-5)


@pytest.mark.parametrize(
    "loss",
    [
        lambda: F.cross_entropy(tg.zeros(0, 3), tg.Tensor(np.zeros(0, np.int64))),
        lambda: F.cross_entropy(tg.zeros(0, 3), tg.zeros(0, 3)),
        lambda: F.nll_loss(tg.zeros(0, 3), tg.Tensor(np.zeros(0, np.int64))),
        lambda: F.mse_loss(tg.zeros(0), tg.zeros(0)),
        lambda: F.l1_loss(tg.zeros(0, 2), tg.zeros(0, 2)),
        lambda: F.binary_cross_entropy(tg.zeros(0), tg.zeros(0)),
        lambda: F.binary_cross_entropy_with_logits(tg.zeros(0), tg.zeros(0)),
    ],
    ids=["ce", "ce_probs", "nll", "mse", "l1", "bce", "bce_logits"],
)
def test_mean_loss_of_an_empty_batch_is_nan(loss):
    # PyTorch and numpy: the mean of nothing is NaN, never 0.0
    assert np.isnan(loss().item())


def test_load_state_dict_writes_nothing_when_any_value_is_bad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd = {k: tg.zeros(*v.shape) for k, v in m.state_dict().items()}
    sd["1.bias"] = np.array(["a", "b"])
    with pytest.raises(RuntimeError, match=r"1\.bias.*<U1"):
        m.load_state_dict(sd)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_bench_module_refuses_unknown_workload(capsys):
    from tinygrad_cnn import bench

    with pytest.raises(SystemExit) as info:
        bench.main(["--only", "nosuch"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--only" in err and "nosuch" in err and "lenet5_train" in err


# -- issue 17's engine bullets: the exception type is PyTorch 2.13's exactly (checked against a
# local torch), the message names the op, the argument and what would fit -------------------
def _grad_of_ndarray() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    tg.grad(np.ones(2), x)


def _grad_wrt_list() -> None:
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    tg.grad((x * x).sum(), [1.0, 2.0])


EXACT_ROWS: list[tuple[str, Callable[[], Any], type, list[str]]] = [
    ("full_negative", lambda: tg.full((-1, 2), 1.0), RuntimeError, ["full", "-1", "[-1, 2]"]),
    ("eye_negative_n", lambda: tg.eye(-1), RuntimeError, ["eye", "n must be", "-1"]),
    ("eye_negative_m", lambda: tg.eye(2, -3), RuntimeError, ["eye", "m must be", "-3"]),
    ("eye_float", lambda: tg.eye(2.5), TypeError, ["eye", "n must be an int", "float"]),
    ("arange_step_0", lambda: tg.arange(0, 5, 0), RuntimeError, ["arange", "step", "nonzero"]),
    ("chunk_0", lambda: tg.ones(2, 3).chunk(0), RuntimeError, ["chunk", "chunks", "0"]),
    ("chunk_fn_0", lambda: tg.chunk(tg.ones(4), 0), RuntimeError, ["chunk", "greater than 0"]),
    ("chunk_str", lambda: tg.ones(4).chunk("2"), TypeError, ["chunk", "chunks", "str"]),
    ("chunk_not_tensor", lambda: tg.chunk(None, 2), TypeError, ["chunk", "Tensor", "NoneType"]),
    (
        "chunk_bad_dim",
        lambda: tg.ones(2, 3).chunk(2, 5),
        IndexError,
        ["chunk", "expected to be in range of [-2, 1], but got 5"],
    ),
    (
        "transpose_bad_dim",
        lambda: tg.ones(2, 3).transpose(0, 3),
        IndexError,
        ["transpose", "expected to be in range of [-2, 1], but got 3"],
    ),
    (
        "transpose_1d_bad_dim",
        lambda: tg.ones(3).transpose(0, 1),
        IndexError,
        ["transpose", "expected to be in range of [-1, 0], but got 1"],
    ),
    ("transpose_str_dim", lambda: tg.ones(2, 3).transpose(0, "a"), TypeError, ["transpose", "str"]),
    (
        "argmax_bad_dim",
        lambda: tg.ones(2, 3).argmax(5),
        IndexError,
        ["argmax", "expected to be in range of [-2, 1], but got 5"],
    ),
    (
        "argmax_empty",
        lambda: tg.zeros(0).argmax(),
        IndexError,
        ["argmax", "reduction dim to be specified", "(0,)"],
    ),
    (
        "argmin_empty_dim",
        lambda: tg.zeros(0, 3).argmin(0),
        IndexError,
        ["argmin", "dim 0 to have non-zero size", "(0, 3)"],
    ),
    ("argmax_float_dim", lambda: tg.ones(2).argmax(0.5), TypeError, ["argmax", "dim", "float"]),
    ("mean_keepdim_none", lambda: tg.ones(2).mean(0, None), TypeError, ["mean", "keepdim"]),
    (
        "sum_dim_out_of_range",
        lambda: tg.ones(2, 3).sum(3),
        IndexError,
        ["sum", "expected to be in range of [-2, 1], but got 3"],
    ),
    ("split_0", lambda: tg.ones(5).split(0), RuntimeError, ["split", "can only be 0", "5"]),
    ("split_floats", lambda: tg.ones(5).split([2, 3.0]), TypeError, ["split", "list of ints"]),
    ("grad_ndarray_output", _grad_of_ndarray, TypeError, ["grad", "outputs", "ndarray"]),
    ("grad_list_input", _grad_wrt_list, TypeError, ["grad", "inputs", "list", "float"]),
    ("conv2d_kernel_0", lambda: nn.Conv2d(1, 2, 0)(tg.ones(1, 1, 3, 3)), RuntimeError,
     ["Conv2d", "kernel size should be greater than zero", "(0, 0)"]),
    ("conv2d_kernel_negative", lambda: nn.Conv2d(1, 2, -1), RuntimeError,
     ["Conv2d", "kernel_size", "non-negative", "-1"]),
    ("tensor_of_strings", lambda: tg.Tensor(np.array(["a", "b"])), TypeError,
     ["Tensor", "numpy.str_", "<U1", "astype"]),
    ("tensor_of_objects", lambda: tg.Tensor(np.array([1, "a", None], dtype=object)), TypeError,
     ["Tensor", "numpy.object_", "object"]),
    ("tensor_ragged_where", lambda: tg.Tensor([[1], [2, 3]]), ValueError,
     ["Tensor", "expected sequence of length 1 at dim 1 (got 2)"]),
    ("index_out_of_bounds", lambda: tg.ones(3)[5], IndexError,
     ["index 5 is out of bounds for dimension 0 with size 3"]),
    ("index_negative_out_of_bounds", lambda: tg.ones(3, 2)[1, -3], IndexError,
     ["index -3 is out of bounds for dimension 1 with size 2"]),
    ("cat_not_a_list", lambda: tg.cat(5), TypeError, ["cat", "list or tuple", "int"]),
    ("cat_empty", lambda: tg.cat([]), ValueError, ["cat", "non-empty"]),
    ("randint_empty_range", lambda: tg.randint(5, 2, (2,)), RuntimeError,
     ["randint", "from=5 >= to=2"]),
    ("linear_list_input", lambda: F.linear([1.0], tg.ones(4, 1)), TypeError,
     ["linear", "input", "list"]),
    ("dropout_p_str", lambda: F.dropout(tg.ones(2), "a"), TypeError, ["dropout", "p", "str"]),
    ("dropout_p_2", lambda: F.dropout(tg.ones(2), 2.0), ValueError, ["dropout", "2.0"]),
    ("set_default_dtype_none", lambda: tg.set_default_dtype(None), TypeError,
     ["set_default_dtype", "None"]),
    ("init_not_a_tensor", lambda: nn.init.zeros_(np.zeros(2)), TypeError,
     ["zeros_", "tensor", "ndarray"]),
    ("init_xavier_1d", lambda: nn.init.xavier_uniform_(tg.zeros(3)), ValueError,
     ["xavier_uniform_", "fewer than 2", "(3,)"]),
    ("gradcheck_not_callable", lambda: tg.gradcheck(None, tg.ones(2, requires_grad=True)),
     TypeError, ["gradcheck", "fn", "NoneType"]),
    ("one_cycle_max_lr_none",
     lambda: optim.lr_scheduler.OneCycleLR(optim.SGD([nn.Parameter(tg.ones(2))], lr=0.1), None, 5),
     TypeError, ["OneCycleLR", "max_lr", "NoneType"]),
    ("conv_transpose_output_size_int",
     lambda: nn.ConvTranspose2d(1, 1, 2)(tg.ones(1, 1, 3, 3), output_size=5), TypeError,
     ["ConvTranspose2d", "output_size", "int"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fn", "exc", "needles"), [r[1:] for r in EXACT_ROWS], ids=[r[0] for r in EXACT_ROWS]
)
def test_engine_errors_have_pytorchs_type_and_name_the_op(fn, exc, needles):
    with pytest.raises(Exception) as info:
        fn()
    # the exact type (a subclass such as ShapeError would still be caught as exc by callers, but
    # PyTorch code that catches e.g. IndexError must not see a RuntimeError)
    assert type(info.value) is exc, f"{type(info.value).__name__}: {info.value}"
    missing = [n for n in needles if n not in str(info.value)]
    assert not missing, f"message lacks {missing}: {info.value}"


def test_flatten_of_an_empty_batch_is_zero_by_k():
    # PyTorch: nn.Flatten()(torch.empty(0, 3, 4)).shape == (0, 12), not an error
    assert nn.Flatten()(tg.zeros(0, 3, 4)).shape == (0, 12)
    assert tg.zeros(2, 0, 4).flatten(1).shape == (2, 0)


def test_argmax_over_a_non_empty_dim_of_an_empty_tensor_is_empty():
    # PyTorch: torch.empty(0, 3).argmax(1) is an empty int64 tensor of shape (0,)
    out = tg.zeros(0, 3).argmax(1)
    assert out.shape == (0,) and out.dtype == np.int64


def test_conv_with_a_zero_kernel_constructs_as_pytorch():
    # PyTorch builds nn.Conv2d(1, 2, 0) (an empty weight) and refuses it in forward
    assert nn.Conv2d(1, 2, 0).weight.shape == (2, 1, 0, 0)


# the same wrong calls in PyTorch: the exception types must agree (PyTorch's recorded answers
# where torch is not installed)
SAME_AS_TORCH = [
    ("full_negative", lambda m: m.full((-1, 2), 1.0)),
    ("eye_negative", lambda m: m.eye(-1)),
    ("arange_step_0", lambda m: m.arange(0, 5, 0)),
    ("chunk_0", lambda m: m.ones(2, 3).chunk(0)),
    ("chunk_bad_dim", lambda m: m.ones(2, 3).chunk(2, 5)),
    ("transpose_bad_dim", lambda m: m.ones(2, 3).transpose(0, 3)),
    ("transpose_1d", lambda m: m.ones(3).transpose(0, 1)),
    ("argmax_bad_dim", lambda m: m.ones(2, 3).argmax(5)),
    ("argmax_empty", lambda m: m.zeros(0).argmax()),
    ("argmin_empty_dim", lambda m: m.zeros(0, 3).argmin(0)),
    ("sum_bad_dim", lambda m: m.ones(2, 3).sum(3)),
    ("split_0", lambda m: m.ones(5).split(0)),
    ("index_5", lambda m: m.ones(3)[5]),
    ("randint_empty_range", lambda m: m.randint(5, 2, (2,))),
    ("cat_empty", lambda m: m.cat([])),
    ("conv_kernel_negative", lambda m: m.nn.Conv2d(1, 2, -1)),
    ("conv_kernel_0", lambda m: m.nn.Conv2d(1, 2, 0)(m.ones(1, 1, 3, 3))),
    ("dropout_p_2", lambda m: m.nn.functional.dropout(m.ones(2), 2.0)),
    ("ragged", lambda m: m.tensor([[1], [2, 3]])),
    ("strings", lambda m: m.tensor(np.array(["a", "b"]))),
    ("view_minus_2", lambda m: m.ones(6).view(-2, 3)),
    ("unsqueeze_bad_dim", lambda m: m.ones(2).unsqueeze(3)),
    ("size_of_0d", lambda m: m.tensor(1.0).size(0)),
    ("permute_too_few_dims", lambda m: m.ones(2, 3).permute(0)),
    ("repeat_negative", lambda m: m.ones(2, 3).repeat(-1, 1)),
    ("module_list_of_int", lambda m: m.nn.ModuleList(5)),
    ("init_uniform_reversed", lambda m: m.nn.init.uniform_(m.zeros(2), 2.0, 1.0)),
    ("init_normal_negative_std", lambda m: m.nn.init.normal_(m.zeros(2), 0.0, -1.0)),
    ("xavier_negative_gain", lambda m: m.nn.init.xavier_uniform_(m.zeros(2, 2), -1.0)),
]


def _raised(call, module):
    """(module, name) of the exception type `call(module)` raises."""
    try:
        call(module)
    except Exception as e:
        return type(e).__module__, type(e).__name__
    return "", "no exception"


@pytest.mark.parametrize("name", [i for i, _ in SAME_AS_TORCH])
def test_wrong_calls_raise_what_pytorch_raises(name, torch_answer):
    call = dict(SAME_AS_TORCH)[name]
    theirs = tuple(torch_answer(lambda torch: _raised(call, torch), name))
    ours = _raised(call, tg)
    assert ours == theirs, f"PyTorch raises {theirs}, tinygrad_cnn {ours}"


def test_var_with_correction_none_is_the_default_as_pytorch():
    x = tg.Tensor([1.0, 2.0, 4.0])
    assert x.var(correction=None).item() == pytest.approx(x.var().item())
    assert x.std(correction=None).item() == pytest.approx(x.std().item())


@pytest.mark.parametrize(
    ("call", "needles"),
    [
        (lambda: nn.ModuleDict({1: nn.ReLU()}), ["ModuleDict", "keys", "int"]),
        (lambda: nn.ParameterList([tg.ones(2)]), ["ParameterList", "Parameter", "Tensor"]),
        (lambda: nn.ParameterDict(tg.ones(())), ["ParameterDict", "values", "Tensor"]),
        (lambda: nn.BatchNorm1d(3, affine=tg.ones(2)), ["BatchNorm1d", "affine", "Tensor"]),
        (lambda: nn.BatchNorm2d(3, eps="a"), ["BatchNorm2d", "eps", "str"]),
        (
            lambda: optim.lr_scheduler.OneCycleLR(
                optim.SGD([nn.Parameter(tg.ones(2))], lr=0.1, momentum=0.9), 1.0, 5,
                three_phase=tg.zeros(0),
            ),
            ["OneCycleLR", "three_phase", "Tensor"],
        ),
        (lambda: DataLoader(_ds(), seed=-1), ["DataLoader", "seed", "-1"]),
        (lambda: tg.ones(2, 3).expand_as(tg.ones(3)), ["expand_as", "(2, 3)"]),
        (lambda: tg.ones(2, 3)[[[0], [1, 0]]], ["index", "rectangular"]),
    ],
    ids=[
        "module_dict_int_key", "parameter_list_tensor", "parameter_dict_0d", "batchnorm_affine",
        "batchnorm_eps", "one_cycle_three_phase", "loader_negative_seed", "expand_as_fewer",
        "ragged_index",
    ],
)  # fmt: skip
def test_containers_and_constructors_name_themselves(call, needles):
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError)) as info:
        call()
    missing = [n for n in needles if n not in str(info.value)]
    assert not missing, f"message lacks {missing}: {info.value}"
