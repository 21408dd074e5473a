"""Elementwise maths, logic and activation ops beyond the registry's gradient checks: dtypes of
integer and bool inputs, bool results, errors, Modules, the top-level functions, and values and
gradients against PyTorch at edge values (live where torch is installed, else its answers
recorded in tests/goldens/live/test_pointwise_ops.npz)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.functions_pointwise import NAMES

# -- dtypes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sin", "exp2", "log1p", "rsqrt", "atanh", "expm1"])
def test_floating_functions_of_integers_and_bools_are_float32(name):
    ints = tg.Tensor([0, 1, 2])
    out = getattr(ints, name)()
    assert out.dtype == np.float32
    expected = getattr(tg.Tensor([0.0, 1.0, 2.0]), name)()
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert getattr(tg.Tensor([True, False]), name)().dtype == np.float32


def test_float64_stays_float64():
    x = tg.Tensor([0.5], dtype="float64")
    for name in ("sin", "acosh", "log10", "floor", "frac"):
        assert getattr(x + 1.0, name)().dtype == np.float64
    assert x.atan2(tg.Tensor([1.0], dtype="float64")).dtype == np.float64


def test_rounding_integers_returns_the_integers():
    i = tg.Tensor([-3, 0, 7])
    for name in ("floor", "ceil", "trunc", "round"):
        out = getattr(i, name)()
        assert out.dtype == np.int64 and out.tolist() == [-3, 0, 7]
    with pytest.raises(RuntimeError, match="round: decimals=1 needs a floating-point"):
        i.round(decimals=1)
    with pytest.raises(RuntimeError, match="frac: needs a floating-point tensor"):
        i.frac()
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        tg.Tensor([1.0]).round(decimals=1.5)


def test_round_is_half_to_even_with_decimals():
    x = tg.Tensor([0.5, 1.5, 2.5, -0.5, -1.5], dtype="float64")
    assert x.round().tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]
    assert tg.Tensor([1.2345, -2.71828], dtype="float64").round(decimals=3).tolist() == [
        1.234,
        -2.718,
    ]
    assert tg.Tensor([1234.0]).round(decimals=-2).tolist() == [1200.0]


# -- zero and missing gradients -----------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.floor(),
        lambda x: x.ceil(),
        lambda x: x.round(decimals=1),
        lambda x: x.trunc(),
        lambda x: x.sign(),
        lambda x: x // 0.7,
        lambda x: x.div(0.7, rounding_mode="trunc"),
    ],
)
def test_rounding_ops_record_a_zero_gradient(fn):
    x = tg.Tensor([1.3, -0.4, 2.5], requires_grad=True)
    out = fn(x)
    assert out.requires_grad  # as PyTorch: part of the graph, with a zero gradient
    (out * 3.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.isnan(),
        lambda x: x.isfinite(),
        lambda x: x.isclose(x),
        lambda x: x.eq(1.0),
        lambda x: x.greater_equal(0.0),
        lambda x: x.logical_not(),
        lambda x: x.logical_xor(x > 0),
    ],
)
def test_tests_and_comparisons_return_bool_without_gradient(fn):
    x = tg.Tensor([1.0, -2.0, float("nan")], requires_grad=True)
    out = fn(x)
    assert out.dtype == np.bool_ and not out.requires_grad


def test_comparison_methods_match_the_operators():
    a, b = tg.Tensor([1.0, 2.0, 3.0]), tg.Tensor([2.0, 2.0, 2.0])
    pairs = [("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"), ("le", "__le__")]
    pairs += [("gt", "__gt__"), ("ge", "__ge__"), ("less", "__lt__"), ("greater", "__gt__")]
    pairs += [("not_equal", "__ne__"), ("less_equal", "__le__"), ("greater_equal", "__ge__")]
    for method, op in pairs:
        assert getattr(a, method)(b).tolist() == getattr(a, op)(b).tolist(), method
    assert a.lt(2).tolist() == [True, False, False]


# -- remainders and integer division ------------------------------------------------------------


def test_integer_remainder_and_floor_division_follow_python():
    a, b = [7, -7, 7, -7, 0], [2, 2, -2, -2, 3]
    ta, tb = tg.Tensor(a), tg.Tensor(b)
    assert (ta % tb).tolist() == [x % y for x, y in zip(a, b)]
    assert (ta // tb).tolist() == [x // y for x, y in zip(a, b)]
    assert ta.fmod(tb).tolist() == [int(np.fmod(x, y)) for x, y in zip(a, b)]
    assert ta.div(tb, rounding_mode="trunc").tolist() == [int(x / y) for x, y in zip(a, b)]
    assert (ta // tb).dtype == np.int64 and (ta % 3).dtype == np.int64
    assert (10 // tg.Tensor([3, -3])).tolist() == [3, -4]
    assert (10 % tg.Tensor([3, -3])).tolist() == [1, -2]


def test_integer_division_by_zero_raises_like_pytorch():
    for fn in (lambda t: t % 0, lambda t: t // tg.Tensor([1, 0]), lambda t: t.fmod(0)):
        with pytest.raises(RuntimeError, match="integer division by zero"):
            fn(tg.Tensor([1, 2]))
    with pytest.raises(RuntimeError, match="integer division by zero"):
        tg.Tensor([1]).div(0, rounding_mode="floor")


def test_float_division_by_zero_gives_inf_and_nan():
    x = tg.Tensor([1.0, -1.0, 0.0])
    out = x.div(0.0, rounding_mode="floor").tolist()
    assert out[0] == float("inf") and out[1] == float("-inf") and np.isnan(out[2])
    assert np.isnan((x % 0.0).numpy()).all()


def test_div_rounding_mode_is_checked():
    with pytest.raises(ValueError, match="rounding_mode must be None, 'trunc' or 'floor'"):
        tg.Tensor([1.0]).div(2, rounding_mode="round")


def test_binary_broadcast_errors_name_the_op_and_shapes():
    for name in ("remainder", "atan2", "hypot", "logaddexp", "bitwise_and", "logical_or"):
        a = tg.ones(2, 3, dtype="int64") if name.startswith("bit") else tg.ones(2, 3)
        with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
            getattr(a, name)(tg.ones(4, dtype=a.dtype))


# -- bitwise and logical ------------------------------------------------------------------------


def test_bitwise_ops_on_integers_and_bools():
    a, b = tg.Tensor([12, -5, 0]), tg.Tensor([10, 3, 7])
    na, nb = a.numpy(), b.numpy()
    assert (a & b).tolist() == (na & nb).tolist()
    assert (a | b).tolist() == (na | nb).tolist()
    assert (a ^ b).tolist() == (na ^ nb).tolist()
    assert (~a).tolist() == (~na).tolist()
    assert (a << 2).tolist() == (na << 2).tolist() and (a >> 1).tolist() == (na >> 1).tolist()
    assert (5 & a).tolist() == (5 & na).tolist() and (1 << tg.Tensor([3])).tolist() == [8]
    t, f = tg.Tensor([True, True, False]), tg.Tensor([True, False, False])
    assert (t & f).tolist() == [True, False, False] and (t ^ f).dtype == np.bool_
    assert (~t).tolist() == [False, False, True]
    assert (tg.Tensor([1.0]) > 0) & (tg.Tensor([1.0]) < 2)  # masks still combine


@pytest.mark.parametrize(
    "fn", [lambda x: x & x, lambda x: ~x, lambda x: x.bitwise_or(1), lambda x: x << 1]
)
def test_bitwise_ops_on_floats_raise(fn):
    with pytest.raises(RuntimeError, match="bitwise_.*integer or bool"):
        fn(tg.Tensor([1.0]))


def test_logical_ops_use_truth_values():
    a, b = tg.Tensor([0.0, 2.0, -1.0, 0.0]), tg.Tensor([0, 0, 3, 5])
    assert a.logical_and(b).tolist() == [False, False, True, False]
    assert a.logical_or(b).tolist() == [False, True, True, True]
    assert a.logical_xor(b).tolist() == [False, True, False, True]
    assert a.logical_not().tolist() == [True, False, False, True]


# -- floating-point tests -----------------------------------------------------------------------


def test_isclose_allclose_equal():
    nan, inf = float("nan"), float("inf")
    a = tg.Tensor([1.0, nan, inf, -inf, 1.0])
    b = tg.Tensor([1.0 + 1e-6, nan, inf, inf, 1.1])
    assert a.isclose(b).tolist() == [True, False, True, False, False]
    assert a.isclose(b, equal_nan=True).tolist()[1] is True
    assert a.isclose(b, rtol=0.2).tolist()[4] is True
    assert tg.Tensor([1.0]).allclose(tg.Tensor([1.0, 1.0])) is True  # broadcasts, as PyTorch
    assert tg.Tensor([1.0]).equal(tg.Tensor([1.0, 1.0])) is False
    assert tg.Tensor([nan]).equal(tg.Tensor([nan])) is False
    with pytest.raises(ValueError, match="isclose: rtol and atol must be >= 0"):
        a.isclose(b, atol=-1.0)


def test_nan_to_num_defaults_to_the_dtype_range():
    x = tg.Tensor([float("nan"), float("inf"), -float("inf"), 2.0])
    big = np.finfo(np.float32).max
    assert x.nan_to_num().tolist() == [0.0, float(big), float(-big), 2.0]
    assert x.double().nan_to_num(nan=1.0).tolist()[:2] == [1.0, np.finfo(np.float64).max]
    assert tg.Tensor([3]).nan_to_num().tolist() == [3]


def test_inf_and_nan_tests():
    x = tg.Tensor([1.0, float("inf"), -float("inf"), float("nan")])
    assert x.isinf().tolist() == [False, True, True, False]
    assert x.isposinf().tolist() == [False, True, False, False]
    assert x.isneginf().tolist() == [False, False, True, False]
    assert x.isnan().tolist() == [False, False, False, True]
    assert x.isfinite().tolist() == [True, False, False, False]
    assert tg.Tensor([1, 2]).isfinite().tolist() == [True, True]


def test_functions_at_the_edges_of_their_domains():
    assert np.isnan(tg.Tensor([1.5]).asin().item())
    assert tg.Tensor([1.0, -1.0]).atanh().tolist() == [float("inf"), float("-inf")]
    assert tg.Tensor([0.0]).rsqrt().tolist() == [float("inf")]
    assert tg.Tensor([-1.0]).log1p().tolist() == [float("-inf")]
    assert tg.Tensor([-1e4]).logaddexp(tg.Tensor([-1e4])).item() == pytest.approx(-1e4 + np.log(2))
    assert tg.Tensor([0.0]).xlogy(tg.Tensor([0.0])).tolist() == [0.0]
    assert np.isnan(tg.Tensor([0.0]).xlogy(tg.Tensor([float("nan")])).item())
    assert tg.Tensor([1e38]).hypot(tg.Tensor([1e38])).item() == pytest.approx(1.41421356e38)


# -- composites ---------------------------------------------------------------------------------


def test_lerp_addcmul_addcdiv_take_numbers_and_keywords():
    a, b = tg.Tensor([0.0, 4.0]), tg.Tensor([2.0, 8.0])
    assert a.lerp(b, tg.Tensor([0.5, 0.25])).tolist() == [1.0, 5.0]
    assert a.addcmul(a, b, value=2).tolist() == [0.0, 68.0]
    assert a.addcdiv(b, b, value=3).tolist() == [3.0, 7.0]
    with pytest.raises(TypeError):
        a.addcmul(a, b, 2)  # value is keyword-only, as PyTorch
    with pytest.raises(RuntimeError, match="addcdiv: integer division"):
        tg.Tensor([1]).addcdiv(tg.Tensor([1]), tg.Tensor([2]))


# -- activations ------------------------------------------------------------------------------


def test_activation_modules_are_pointwise_and_call_their_function():
    x = tg.Tensor([[-4.0, -1.0, 0.5, 2.0, 7.0, -0.2]])
    cases = [
        (nn.CELU(0.5), F.celu(x, 0.5)),
        (nn.SELU(), F.selu(x)),
        (nn.ReLU6(), F.relu6(x)),
        (nn.Hardtanh(-2.0, 3.0), F.hardtanh(x, -2.0, 3.0)),
        (nn.Hardswish(), F.hardswish(x)),
        (nn.Hardsigmoid(), F.hardsigmoid(x)),
        (nn.Mish(), F.mish(x)),
        (nn.Softsign(), F.softsign(x)),
        (nn.LogSigmoid(), F.logsigmoid(x)),
        (nn.Softmin(1), F.softmin(x, 1)),
        (nn.GLU(), F.glu(x)),
        (nn.Tanhshrink(), F.tanhshrink(x)),
        (nn.Softshrink(0.3), F.softshrink(x, 0.3)),
        (nn.Hardshrink(0.3), F.hardshrink(x, 0.3)),
        (nn.Threshold(0.1, 9.0), F.threshold(x, 0.1, 9.0)),
        (nn.RReLU().eval(), F.rrelu(x)),
        (nn.SiLU(), F.silu(x)),
        (nn.GELU("tanh"), F.gelu(x, approximate="tanh")),
    ]
    for module, expected in cases:
        assert isinstance(module, nn.Pointwise)
        np.testing.assert_array_equal(module(x).numpy(), expected.numpy(), err_msg=repr(module))


def test_activation_module_reprs_match_pytorch():
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert (
        repr(nn.Softshrink()) == "Softshrink(0.5)" and repr(nn.Hardshrink(0.2)) == "Hardshrink(0.2)"
    )
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"
    assert repr(nn.RReLU()) == "RReLU(lower=0.125, upper=0.3333333333333333)"
    assert repr(nn.Threshold(1.0, 2.0)) == "Threshold(threshold=1.0, value=2.0)"
    assert repr(nn.CELU()) == "CELU(alpha=1.0)" and repr(nn.ReLU6()) == "ReLU6()"
    assert repr(nn.GLU()) == "GLU(dim=-1)" and repr(nn.Softmin(1)) == "Softmin(dim=1)"


def test_functional_activations_accept_pytorchs_inplace_flag():
    x = tg.Tensor([-1.0, 8.0])
    assert F.relu6(x, True).tolist() == [0.0, 6.0]
    assert F.hardtanh(x, -0.5, 0.5, True).tolist() == [-0.5, 0.5]
    assert F.relu(x, inplace=True).tolist() == [0.0, 8.0]
    assert list(inspect.signature(F.celu).parameters) == ["input", "alpha", "inplace"]
    assert "inplace" not in inspect.signature(F.softsign).parameters


def test_prelu_learns_one_slope_per_channel():
    m = nn.PReLU(num_parameters=2, init=0.1)
    assert m.weight.shape == (2,) and m.weight.tolist() == pytest.approx([0.1, 0.1])
    x = tg.Tensor([[[-1.0, 2.0]], [[-3.0, -4.0]]]).permute(1, 0, 2)  # (1, 2, 2): channel dim 1
    out = m(x)
    np.testing.assert_allclose(out.numpy(), [[[-0.1, 2.0], [-0.3, -0.4]]], rtol=1e-6)
    out.sum().backward()
    assert m.weight.grad.tolist() == [-1.0, -7.0]
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(RuntimeError, match=r"prelu: weight of shape \(3,\).*2 channels"):
        F.prelu(tg.ones(4, 2), tg.ones(3))


def test_rrelu_draws_slopes_in_training_and_uses_the_mean_in_eval():
    x = -tg.ones(1000)
    tg.manual_seed(0)
    m = nn.RReLU(0.1, 0.3)
    slopes = -m(x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    tg.manual_seed(0)
    np.testing.assert_array_equal(-m(x).numpy(), slopes)  # seeded
    assert m.eval()(x).tolist() == pytest.approx([-0.2] * 1000)
    x = tg.Tensor([-2.0, 3.0], requires_grad=True)
    out = F.rrelu(x, training=True)
    out.sum().backward()
    assert x.grad.tolist()[1] == 1.0
    assert x.grad.tolist()[0] == pytest.approx(out.tolist()[0] / -2.0)
    with pytest.raises(RuntimeError, match="rrelu: lower"):
        F.rrelu(x, 0.5, 0.1)


def test_activation_argument_errors():
    with pytest.raises(ValueError, match=r"glu: halving dimension must be even.*size 3"):
        F.glu(tg.ones(2, 3))
    with pytest.raises(IndexError, match="glu: dim 2 is out of range"):
        F.glu(tg.ones(2, 4), dim=2)
    with pytest.raises(ValueError, match="glu: does not support 0-d"):
        F.glu(tg.Tensor(1.0))
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        F.hardtanh(tg.ones(2), 1.0, -1.0)
    with pytest.raises(RuntimeError, match="softshrink: lambd must be >= 0"):
        F.softshrink(tg.ones(2), -0.1)
    with pytest.raises(TypeError, match="celu: input must be a Tensor"):
        F.celu(np.ones(2))


def test_softmin_implicit_dim_and_dtype():
    x = tg.Tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(x.softmin().numpy(), x.softmin(1).numpy())
    assert x.softmin(0, dtype="float64").dtype == np.float64


# -- top-level functions ------------------------------------------------------------------------


def test_top_level_functions_are_the_methods():
    for name in NAMES:
        fn = getattr(tg, name)
        method = getattr(tg.Tensor, name)
        assert fn.__wrapped__ is method and fn.__doc__ == method.__doc__, name
        assert next(iter(inspect.signature(fn).parameters)) == "input", name
        assert name in tg.__all__
    assert tg.atan2(tg.Tensor([0.0]), tg.Tensor([-1.0])).item() == pytest.approx(np.pi)
    assert tg.remainder(tg.Tensor([-1]), 3).tolist() == [2]


def test_top_level_names_exist_in_pytorch(torch_answer):
    assert torch_answer(lambda torch: [n for n in NAMES if not hasattr(torch, n)], NAMES) == []


# -- live PyTorch parity: values and gradients at edge values ----------------------------------

EDGE = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 2.5, -2.5, 0.25])
UNARY_PARITY = [
    ("hardswish", lambda m, x: m.hardswish(x)),
    ("hardsigmoid", lambda m, x: m.hardsigmoid(x)),
    ("relu6", lambda m, x: m.relu6(x)),
    ("hardtanh", lambda m, x: m.hardtanh(x, -0.5, 1.0)),
    ("elu", lambda m, x: m.elu(x, 0.7)),
    ("celu", lambda m, x: m.celu(x, 0.7)),
    ("selu", lambda m, x: m.selu(x)),
    ("mish", lambda m, x: m.mish(x)),
    ("softsign", lambda m, x: m.softsign(x)),
    ("logsigmoid", lambda m, x: m.logsigmoid(x)),
    ("softplus", lambda m, x: m.softplus(x, 2.0, 3.0)),
    ("gelu_tanh", lambda m, x: m.gelu(x, approximate="tanh")),
    ("softshrink", lambda m, x: m.softshrink(x, 0.5)),
    ("hardshrink", lambda m, x: m.hardshrink(x, 0.5)),
    ("threshold", lambda m, x: m.threshold(x, 0.5, -1.0)),
    ("tanhshrink", lambda m, x: m.tanhshrink(x)),
    ("rrelu_eval", lambda m, x: m.rrelu(x, 0.1, 0.3)),
    ("softmin", lambda m, x: m.softmin(x, dim=0)),
    ("glu", lambda m, x: m.glu(x[:10], dim=0)),
]


def _value_and_grads(functional, tensor, fn, arrays):
    """fn(functional, *tensors) and the gradients of its sum weighted by a fixed ramp."""
    ts = [tensor(a) for a in arrays]
    y = fn(functional, *ts)
    ramp = np.linspace(0.5, 1.5, int(np.prod(y.shape))).reshape(tuple(y.shape))
    (y * tensor(ramp, grad=False)).sum().backward()
    grads = [
        np.zeros(a.shape) if t.grad is None else np.asarray(t.grad.tolist())
        for t, a in zip(ts, arrays)
    ]
    return np.asarray(y.tolist()), grads


def _both(torch_answer, name, fn, arrays):
    """fn's value and gradients here and in PyTorch (float64)."""

    def ours(a, grad=True):
        return tg.Tensor(a, dtype="float64", requires_grad=grad)

    def theirs(torch):
        def tensor(a, grad=True):
            return torch.tensor(a, dtype=torch.float64, requires_grad=grad)

        return _value_and_grads(torch.nn.functional, tensor, fn, arrays)

    return _value_and_grads(F, ours, fn, arrays), torch_answer(theirs, name, arrays)


@pytest.mark.parametrize("name,fn", UNARY_PARITY, ids=[n for n, _ in UNARY_PARITY])
def test_activation_values_and_gradients_match_pytorch_at_kinks(name, fn, torch_answer):
    (ours, our_grads), (theirs, their_grads) = _both(torch_answer, name, fn, [EDGE])
    # NOTE: 1e-6, as some of PyTorch's float64 kernels use float32 constants (hardsigmoid's 1/6)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(our_grads[0], their_grads[0], rtol=1e-6, atol=1e-9)


BINARY_PARITY = [
    ("xlogy", lambda m, a, b: a.xlogy(b), [0.0, 0.0, 2.0, -1.0], [0.0, 3.0, 0.5, 2.0]),
    ("copysign", lambda m, a, b: a.copysign(b), [0.0, 1.5, -2.0, 3.0], [-1.0, -0.0, 0.0, -2.0]),
    ("remainder", lambda m, a, b: a.remainder(b), [5.5, -5.5, 4.0, -1.0], [2.0, 2.0, -1.5, 3.0]),
    ("fmod", lambda m, a, b: a.fmod(b), [5.5, -5.5, 4.0, -1.0], [2.0, 2.0, -1.5, 3.0]),
    (
        "div_floor",
        lambda m, a, b: a.div(b, rounding_mode="floor"),
        [5.5, -5.5, 3.0],
        [2.0, 2.0, -1.5],
    ),
    (
        "div_trunc",
        lambda m, a, b: a.div(b, rounding_mode="trunc"),
        [5.5, -5.5, 3.0],
        [2.0, 2.0, -1.5],
    ),
    ("atan2", lambda m, a, b: a.atan2(b), [1.0, -1.0, 0.5, 2.0], [0.0, -2.0, 3.0, -0.5]),
    ("hypot", lambda m, a, b: a.hypot(b), [3.0, -1.0, 0.5], [4.0, 2.0, 0.0]),
    ("logaddexp", lambda m, a, b: a.logaddexp(b), [1.0, -1e3, 0.0], [1.0, 5.0, -2.0]),
    ("lerp", lambda m, a, b: a.lerp(b, 0.3), [1.0, -1.0, 0.0], [2.0, 5.0, -2.0]),
    ("clamp", lambda m, a, b: a.clamp(b, b + 1.0), [-2.0, 0.5, 3.0, 1.0], [-1.0, 1.0, 0.0, 1.0]),
    (
        "nan_to_num",
        lambda m, a, b: (a * b).nan_to_num(posinf=5.0),
        [np.inf, np.nan, 1.0],
        [1.0, 1.0, 2.0],
    ),
    ("floor", lambda m, a, b: a.floor() + b.ceil(), [1.5, -2.5, 3.0], [0.2, -0.7, 1.0]),
    ("round", lambda m, a, b: a.round() + b.round(decimals=1), [2.5, -0.5, 1.4], [0.25, 0.35, 1.0]),
    ("frac", lambda m, a, b: a.frac() * b, [1.75, -2.25, 3.0], [1.0, 2.0, 3.0]),
]


@pytest.mark.parametrize("name,fn,a,b", BINARY_PARITY, ids=[p[0] for p in BINARY_PARITY])
def test_maths_values_and_gradients_match_pytorch_at_edges(name, fn, a, b, torch_answer):
    arrays = [np.array(a), np.array(b)]
    (ours, our_grads), (theirs, their_grads) = _both(torch_answer, name, fn, arrays)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for g, h in zip(our_grads, their_grads):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-12)


INT_OPS = ("remainder", "fmod", "floor_divide", "bitwise_and", "bitwise_xor", "eq", "lt")


def _int_results(tensor, a, b):
    """Each integer op's values and dtype name, then `a >> 1` and `~a`."""
    ta, tb = tensor(a), tensor(b)
    results = {op: getattr(ta, op)(tb) for op in INT_OPS}
    named = {op: (r.tolist(), str(r.dtype).replace("torch.", "")) for op, r in results.items()}
    return named, (ta >> 1).tolist(), (~ta).tolist()


def test_integer_and_bool_results_match_pytorch(torch_answer):
    a, b = [7, -7, 7, -7, 0, 13], [2, 2, -2, -2, 3, 5]
    ours, shifted, inverted = _int_results(tg.Tensor, a, b)
    theirs, their_shifted, their_inverted = torch_answer(
        lambda torch: _int_results(torch.tensor, a, b), INT_OPS, a, b
    )
    for op in INT_OPS:
        assert ours[op][0] == theirs[op][0], op
        assert ours[op][1] == theirs[op][1], op
    assert shifted == their_shifted and inverted == their_inverted


MATH_PARITY = {
    "sin": 0, "cos": 0, "tan": 0, "asin": 0, "acos": 0, "atan": 0, "sinh": 0, "cosh": 0,
    "asinh": 0, "atanh": 0, "exp2": 0, "expm1": 0, "log1p": 0, "log2": 1, "log10": 1,
    "rsqrt": 1, "acosh": 1, "exp": 0, "sigmoid": 0, "reciprocal": 1, "sqrt": 1,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MATH_PARITY))
def test_unary_maths_match_pytorch_in_value_gradient_and_integer_dtype(name, torch_answer):
    x = np.array([-0.9, -0.3, 0.0, 0.2, 0.7, 0.95]) + 1.5 * MATH_PARITY[name]

    def fn(m, t):
        return getattr(t, name)()

    (ours, our_grads), (theirs, their_grads) = _both(torch_answer, name, fn, [x])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(our_grads[0], their_grads[0], rtol=1e-12, atol=1e-12)
    ints = [1, 2, 3]
    ours = getattr(tg.Tensor(ints), name)()

    def theirs_on_ints(torch):
        out = getattr(torch.tensor(ints), name)()
        return str(out.dtype).replace("torch.", ""), out.numpy()

    their_dtype, theirs = torch_answer(theirs_on_ints, name, ints)
    assert str(ours.dtype) == their_dtype
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6)
