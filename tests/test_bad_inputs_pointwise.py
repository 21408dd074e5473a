"""Bad input to the elementwise ops, comparisons, logical/bitwise ops, activations and softmax:
each row is a call that must fail with PyTorch's exception type (TypeError for a wrong argument
type, RuntimeError for shapes and dtypes an op cannot take; the library's ShapeError and
OpDtypeError are RuntimeErrors too) and a message naming the op, the argument, the shapes and
the fix, with none of numpy's or Python's own wording. Where PyTorch answers instead of raising
(``==`` with a string, softmax over an empty dim, ``~`` on bool and integer tensors), the tests
below the table pin the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.nn import functional as F

# wording only numpy or the interpreter produce (as tests/test_exception_fuzz.py's list)
INTERNAL = (
    "could not be broadcast",
    "ufunc",
    "inhomogeneous",
    "setting an array element",
    "not supported between instances",
    "unsupported operand type",
    "zero-size array",
    "truth value of",
    "invalid arguments",  # the error boundary's fallback: a precise check should come first
)
TORCH_DIM = "must match the size of tensor b"


def x23() -> tg.Tensor:
    return tg.Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))


def i23() -> tg.Tensor:
    return tg.Tensor(np.arange(6).reshape(2, 3))


def flags() -> tg.Tensor:
    return tg.Tensor([True, False])


Row = tuple[str, Callable[[], Any], type, list[str]]

BROADCAST: list[Row] = [
    (f"compare_{op}", fn, RuntimeError, [name, "(2, 3)", "(2, 4)", TORCH_DIM, "dimension 1"])
    for op, name, fn in [
        ("eq_op", "eq", lambda: x23() == tg.ones(2, 4)),
        ("ne_op", "ne", lambda: x23() != tg.ones(2, 4)),
        ("lt_op", "lt", lambda: x23() < tg.ones(2, 4)),
        ("le_op", "le", lambda: x23() <= tg.ones(2, 4)),
        ("gt_op", "gt", lambda: x23() > tg.ones(2, 4)),
        ("ge_op", "ge", lambda: x23() >= tg.ones(2, 4)),
        ("eq", "eq", lambda: x23().eq(tg.ones(2, 4))),
        ("greater_equal", "ge", lambda: x23().greater_equal(tg.ones(2, 4))),
        ("tg_less_equal", "le", lambda: tg.less_equal(x23(), tg.ones(2, 4))),
        ("and_op", "bitwise_and", lambda: i23() & tg.ones(2, 4, dtype="int64")),
        ("or", "bitwise_or", lambda: i23().bitwise_or(tg.ones(2, 4, dtype="int64"))),
        ("logical_or", "logical_or", lambda: x23().logical_or(tg.ones(2, 4))),
        ("hypot", "hypot", lambda: x23().hypot(tg.ones(2, 4))),
        ("div", "div", lambda: x23().div(tg.ones(2, 4))),
        ("div_floor", "div", lambda: x23().div(tg.ones(2, 4), rounding_mode="floor")),
        ("isclose", "isclose", lambda: x23().isclose(tg.ones(2, 4))),
        ("allclose", "allclose", lambda: x23().allclose(tg.ones(2, 4))),
    ]
]

ROWS: list[Row] = BROADCAST + [
    # the first mismatch from the right is the one named, counted in the broadcast shape
    ("compare_names_rightmost", lambda: tg.ones(5, 3) < tg.ones(4, 1, 2), RuntimeError,
     ["lt", "(5, 3)", "(4, 1, 2)", "tensor a (3)", "tensor b (2)", "dimension 2"]),
    ("masked_fill_shapes", lambda: x23().masked_fill(tg.ones(4, dtype="bool"), 1.0),
     RuntimeError, ["masked_fill", "(4,)", "(2, 3)", "equal or 1"]),
    # operands that are no tensor: TypeError naming the op and the argument
    ("lt_str", lambda: x23() < "abc", TypeError, ["lt", "other", "str", "tg.Tensor("]),
    ("eq_method_str", lambda: x23().eq("abc"), TypeError, ["eq", "other", "str"]),
    (
        "nan_to_num_ragged",
        lambda: tg.nan_to_num(x23(), [[1.0], [2.0, 3.0]]),
        TypeError,
        ["nan_to_num", "nan", "number", "list"],
    ),
    ("nan_to_num_posinf", lambda: x23().nan_to_num(posinf="big"), TypeError, ["posinf", "str"]),
    ("bitwise_or_none", lambda: i23().bitwise_or(None), TypeError,
     ["bitwise_or", "other", "None"]),
    ("right_shift_ragged", lambda: i23().bitwise_right_shift([[1], [2, 3]]), TypeError,
     ["bitwise_right_shift", "other", "equal lengths"]),
    ("hypot_object", lambda: x23().hypot(object()), TypeError, ["hypot", "other", "object"]),
    ("logical_or_dict", lambda: x23().logical_or({"a": 1}), TypeError,
     ["logical_or", "other", "dict"]),
    ("sub_dict", lambda: x23().sub({}), TypeError, ["sub", "other", "dict"]),
    ("rsub_bytes", lambda: b"xy" - x23(), TypeError, ["sub", "other", "bytes"]),
    ("clamp_str", lambda: x23().clamp("abc"), TypeError, ["clamp", "min", "str"]),
    ("clip_str_max", lambda: x23().clip(max="abc"), TypeError, ["clamp", "max", "str"]),
    ("lerp_str", lambda: x23().lerp("a", 0.5), TypeError, ["lerp", "end", "str"]),
    ("prelu_weight_str", lambda: x23().prelu("a"), TypeError, ["prelu", "weight", "str"]),
    ("int_overflow", lambda: i23() + 10**30, RuntimeError, ["add", "int64", str(10**30)]),
    # dtypes an op cannot take
    ("invert_float", lambda: ~x23(), RuntimeError, ["bitwise_not", "float32", "logical_not"]),
    ("and_float", lambda: x23() & x23(), RuntimeError, ["bitwise_and", "float32", "logical_"]),
    ("neg_bool", lambda: -flags(), RuntimeError, ["neg", "bool", "logical_not"]),
    ("sub_bool", lambda: flags() - flags(), RuntimeError, ["sub", "bool", "logical_xor"]),
    ("softmin_bool", lambda: flags().softmin(0), RuntimeError, ["softmin", "bool"]),
    # division's rounding_mode
    ("div_rounding_str", lambda: x23().div(2, rounding_mode="round"), ValueError,
     ["div", "rounding_mode", "'trunc'", "'floor'", "'round'"]),
    ("div_rounding_tensor", lambda: x23().div(2, rounding_mode=tg.ones(1)), TypeError,
     ["div", "rounding_mode", "tensor of shape (1,)"]),
    ("true_divide_rounding_bool", lambda: x23().true_divide(2, rounding_mode=True), TypeError,
     ["div", "rounding_mode", "True"]),
    # isclose / allclose arguments
    ("isclose_rtol_tuple", lambda: x23().isclose(x23(), rtol=(1, 2)), TypeError,
     ["isclose", "rtol", "tuple"]),
    ("isclose_atol_negative", lambda: x23().isclose(x23(), atol=-1.0), ValueError,
     ["isclose", "atol=-1.0", ">= 0"]),
    ("allclose_equal_nan_int", lambda: x23().allclose(x23(), equal_nan=3), TypeError,
     ["allclose", "equal_nan", "True or False"]),
    ("tg_allclose_rtol_tensor", lambda: tg.allclose(x23(), x23(), tg.ones(1)), TypeError,
     ["allclose", "rtol", "tensor"]),
    # activation arguments
    ("threshold_str", lambda: x23().threshold("a", 0.0), TypeError,
     ["threshold", "threshold", "number", "str"]),
    ("tg_threshold_value_list", lambda: tg.threshold(x23(), 1.0, [2.0]), TypeError,
     ["threshold", "value", "list"]),
    ("hardshrink_list", lambda: x23().hardshrink([1.0]), TypeError, ["hardshrink", "lambd"]),
    ("softshrink_bytes", lambda: x23().softshrink(lambd=b"xy"), TypeError,
     ["softshrink", "lambd", "bytes"]),
    ("softshrink_negative", lambda: F.softshrink(x23(), -1.0), RuntimeError,
     ["softshrink", "lambd", ">= 0", "-1.0"]),
    ("hardtanh_order", lambda: x23().hardtanh(2.0, 1.0), ValueError,
     ["hardtanh", "min_val (2.0)", "max_val (1.0)"]),
    ("hardtanh_list", lambda: x23().hardtanh([0.0], (1,)), TypeError, ["hardtanh", "min_val"]),
    ("Hardtanh_tuple", lambda: nn.Hardtanh((3, 1, -2)), TypeError, ["Hardtanh", "min_val"]),
    ("Hardtanh_order", lambda: nn.Hardtanh(1.0, -1.0), ValueError, ["Hardtanh", "max_val"]),
    ("celu_dict", lambda: x23().celu({"a": 1}), TypeError, ["celu", "alpha", "dict"]),
    ("tg_celu_zero", lambda: tg.celu(x23(), 0.0), ValueError, ["celu", "alpha", "nonzero"]),
    ("elu_str", lambda: F.elu(x23(), "1"), TypeError, ["elu", "alpha", "str"]),
    ("leaky_relu_none", lambda: F.leaky_relu(x23(), None), TypeError,
     ["leaky_relu", "negative_slope", "None"]),
    ("softplus_beta_list", lambda: F.softplus(x23(), [1.0]), TypeError,
     ["softplus", "beta", "list"]),
    ("rrelu_bounds", lambda: x23().rrelu(0.5, 0.1), RuntimeError, ["rrelu", "lower", "upper"]),
    ("rrelu_bounds_type", lambda: x23().rrelu(tg.ones(1), 0.1), TypeError, ["rrelu", "lower"]),
    ("rrelu_training_str", lambda: x23().rrelu(training="yes"), TypeError,
     ["rrelu", "training", "True or False"]),
    ("gelu_approximate_tensor", lambda: x23().gelu(approximate=tg.ones(1)), TypeError,
     ["gelu", "approximate", "'tanh'"]),
    ("gelu_approximate_word", lambda: x23().gelu(approximate="fast"), ValueError,
     ["gelu", "approximate", "'fast'"]),
    ("GELU_approximate_int", lambda: nn.GELU(approximate=1), TypeError,
     ["GELU", "approximate", "'none'"]),
    ("PReLU_init_none", lambda: nn.PReLU(init=None), TypeError, ["PReLU", "init", "None"]),
    # bool tensors given to an activation (PyTorch: "not implemented for 'Bool'")
    *[
        (f"{name}_bool", (lambda n=name: getattr(flags(), n)()), RuntimeError,
         [name, "bool", ".float()"])
        for name in ("relu", "gelu", "elu", "silu", "softplus", "celu", "selu", "hardtanh",
                     "relu6", "hardsigmoid", "hardswish", "mish", "softsign", "logsigmoid",
                     "rrelu", "hardshrink", "softshrink", "tanhshrink", "leaky_relu")
    ],
    ("threshold_bool", lambda: F.threshold(flags(), 0.5, 0.0), RuntimeError,
     ["threshold", "bool"]),
    ("nn_GELU_bool", lambda: nn.GELU()(flags()), RuntimeError, ["gelu", "bool"]),
    # softmax
    ("softmax_dim_none", lambda: x23().softmax(None), TypeError,
     ["softmax", "dim", "None", "dim=-1"]),
    ("tg_softmax_dim_none", lambda: tg.softmax(x23(), None), TypeError, ["softmax", "dim"]),
    ("log_softmax_dim_tuple", lambda: F.log_softmax(x23(), (0, 1)), TypeError,
     ["log_softmax", "dim", "(0, 1)"]),
    ("softmax_bool", lambda: flags().softmax(0), RuntimeError, ["softmax", "bool", ".float()"]),
    ("log_softmax_dim_range", lambda: x23().log_softmax(5), IndexError, ["log_softmax", "5"]),
]  # fmt: skip


def test_table_is_large_and_unique() -> None:
    assert len(ROWS) >= 60
    assert len({row[0] for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize(("fn", "exc", "needles"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_pointwise_input_raises_a_clear_error(fn: Any, exc: type, needles: list[str]) -> None:
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    missing = [n for n in needles if n not in msg]
    assert not missing, f"message lacks {missing}: {msg!r}"
    leaked = [w for w in INTERNAL if w in msg]
    assert not leaked, f"message carries internal wording {leaked}: {msg!r}"
    assert type(info.value).__module__.split(".")[0] != "numpy"


def test_broadcast_errors_are_both_value_and_runtime_errors() -> None:
    # PyTorch raises RuntimeError; code written for this library's ValueError keeps working
    with pytest.raises(ValueError, match=r"eq: shapes \(2, 3\) and \(4,\)"):
        x23() == tg.ones(4)  # noqa: B015 - the comparison is the call under test
    with pytest.raises(RuntimeError, match=r"bitwise_xor: shapes \(2, 3\) and \(4,\)"):
        i23() ^ tg.ones(4, dtype="int64")


# -- where PyTorch answers instead of raising --------------------------------------------------
@pytest.mark.parametrize("other", ["abc", None, object(), {"a": 1}, b"xy"])
def test_eq_and_ne_with_a_non_tensor_answer_by_identity(other: Any) -> None:
    # PyTorch's __eq__ returns NotImplemented for such a value: Python then answers False/True
    x = x23()
    assert (x == other) is False
    assert (x != other) is True


def test_eq_with_numbers_and_lists_still_compares_elementwise() -> None:
    assert (tg.Tensor([1.0, 2.0]) == 2).tolist() == [False, True]
    assert (tg.Tensor([1.0, 2.0]) != [1.0, 3.0]).tolist() == [False, True]
    assert (tg.Tensor([1, 2]) < 1.5).tolist() == [True, False]


def test_invert_works_on_bool_and_integer_tensors() -> None:
    assert (~tg.Tensor([True, False])).tolist() == [False, True]
    assert (~tg.Tensor([0, 5, -1])).tolist() == [-1, -6, 0]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((2, 0), 1), ((0, 3), 0), ((0, 3), 1), ((4, 0, 2), 1)])
def test_softmax_over_an_empty_tensor_is_empty(name: str, shape: tuple, dim: int) -> None:
    x = tg.zeros(*shape, requires_grad=True)
    for out in (getattr(x, name)(dim), getattr(F, name)(x, dim), getattr(tg, name)(x, dim)):
        assert out.shape == shape and out.dtype == np.float32
    out = getattr(x, name)(dim)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == shape


def test_softmax_modules_keep_the_legacy_implicit_dim() -> None:
    # nn.Softmax() (dim=None) picks PyTorch's implicit dim: 0 for 1-d and 3-d, else 1
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32))
    np.testing.assert_allclose(nn.Softmax()(x).numpy().sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax()(x).exp().numpy().sum(1), 1.0, rtol=1e-6)
    with pytest.raises(TypeError, match="Softmax: input must be a Tensor"):
        nn.Softmax()([1.0, 2.0])


def test_activation_arguments_accept_numpy_and_integer_numbers() -> None:
    x = tg.Tensor([-2.0, 0.5, 3.0])
    assert x.hardtanh(np.float32(-1), 1).tolist() == [-1.0, 0.5, 1.0]
    assert x.threshold(1, np.int64(7)).tolist() == [7.0, 7.0, 3.0]
    assert nn.Hardtanh(-1, 2)(x).tolist() == [-1.0, 0.5, 2.0]
    assert x.isclose(x, rtol=0, atol=np.float64(0.0), equal_nan=np.bool_(True)).all().item()


def test_integer_and_float_activations_still_work() -> None:
    # only bool inputs are refused: integer inputs keep their results
    assert tg.Tensor([-1, 2]).relu().tolist() == [0, 2]
    assert tg.Tensor([-3, 0, 4]).hardtanh().tolist() == [-1, 0, 1]
    assert tg.Tensor([True, False]).sigmoid().dtype == np.float32  # PyTorch: floats from bools


def test_nan_to_num_takes_none_for_each_replacement_as_pytorch():
    x = tg.Tensor([float("nan"), float("inf"), -float("inf"), 1.0])
    out = x.nan_to_num(None, None, None).tolist()
    assert out[0] == 0.0 and out[1] == np.finfo(np.float32).max and out[3] == 1.0
