"""Convolution, pooling and padding in 1, 2 and 3 spatial dims: PyTorch as the oracle (live, or
replayed from tests/goldens/live/ without torch), numpy references, Modules (state dicts,
initialisation, padding modes), errors."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.nn import conv as C
from tinygrad_cnn.nn import functional_conv as FC
from tinygrad_cnn.nn import functional_pad as FD
from tinygrad_cnn.nn import functional_pool as FP
from tinygrad_cnn.nn import pooling as P
from tinygrad_cnn.op_registry_cnn_nd import (
    _conv_nd,
    _conv_t_nd,
    adaptive_max_nd_ref,
    max_pool_nd_ref,
    pad_ref,
)
from tinygrad_cnn.ops.layout import is_batch_last


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def distinct(*shape, seed=0):
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.1 - n * 0.05).reshape(shape)


def T(a, rg=True):
    return tg.Tensor(a, requires_grad=rg)


def _torch_side(torch_fn, arrays):
    """PyTorch's forward value and input gradients (float64, seeded output gradient) as numpy:
    `torch_fn(torch, *tensors)` builds the output from one tensor per array."""

    def compute(torch):
        ins = [torch.tensor(a, requires_grad=True) for a in arrays]
        ref = torch_fn(torch, *ins)
        ref.backward(torch.tensor(rand(*ref.shape, seed=100)))
        return ref.detach().numpy(), [t.grad.numpy() for t in ins]

    return compute


def _agree(ours_fn, arrays, ref, grads, rtol=1e-9):
    """Our forward and the gradient of every input equal PyTorch's `ref` and `grads`."""
    ours_in = [T(a) for a in arrays]
    out = ours_fn(*ours_in)
    np.testing.assert_allclose(out.numpy(), ref, rtol=rtol, atol=1e-10)
    out.backward(tg.Tensor(rand(*out.shape, seed=100)))
    for a, b in zip(ours_in, grads):
        np.testing.assert_allclose(a.grad.numpy(), b, rtol=rtol, atol=1e-10)


def _against_torch(torch_answer, ours_fn, torch_fn, arrays, reads, rtol=1e-9):
    """Forward and the gradient of every input agree with PyTorch's (float64), live or replayed;
    `reads` is everything besides `arrays` that `torch_fn` reads (kwargs, names)."""
    ref, grads = torch_answer(_torch_side(torch_fn, arrays), arrays, reads)
    _agree(ours_fn, arrays, ref, grads, rtol)


# -- convolutions ---------------------------------------------------------------------------------

CONV_CASES = [
    (1, (2, 3, 11), (4, 3, 3), dict()),
    (1, (2, 4, 12), (6, 2, 3), dict(stride=2, padding=2, dilation=2, groups=2)),
    (1, (3, 7), (2, 3, 4), dict(padding="same")),
    (2, (2, 4, 7, 6), (4, 1, 3, 2), dict(padding="same", dilation=(2, 1), groups=4)),
    (3, (2, 2, 5, 6, 4), (3, 2, 3, 2, 2), dict(stride=(2, 1, 1), padding=(1, 0, 1))),
    (3, (1, 4, 4, 5, 5), (4, 2, 2, 3, 1), dict(dilation=(1, 2, 1), groups=2, padding="same")),
    (3, (2, 4, 4, 3), (1, 2, 2, 2, 2), dict(padding="valid")),
]


@pytest.mark.parametrize("nd,xs,ws,kw", CONV_CASES)
def test_convnd_matches_torch(nd, xs, ws, kw, torch_answer):
    name = f"conv{nd}d"
    arrays = [rand(*xs), rand(*ws, seed=1), rand(ws[0], seed=2)]
    _against_torch(
        torch_answer,
        lambda x, w, b: getattr(FC, name)(x, w, b, **kw),
        lambda torch, x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw),
        arrays,
        (name, kw),
    )


@pytest.mark.parametrize("nd,xs,ws,kw", CONV_CASES)
def test_convnd_matches_the_naive_loops(nd, xs, ws, kw):
    x, w = rand(*xs), rand(*ws, seed=1)
    out = getattr(FC, f"conv{nd}d")(T(x), T(w), **kw)
    ref = _conv_nd(x[None] if x.ndim == nd + 1 else x, w, **kw)
    np.testing.assert_allclose(out.numpy(), ref[0] if x.ndim == nd + 1 else ref, atol=1e-12)


CONV_T_CASES = [
    (1, (2, 3, 5), (3, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    (1, (1, 4, 4), (4, 1, 2), dict(stride=3, groups=2, dilation=2, output_padding=2)),
    (3, (1, 2, 2, 3, 2), (2, 3, 2, 2, 3), dict(stride=(2, 1, 2), padding=(0, 1, 1))),
    (3, (2, 2, 3, 2), (2, 1, 2, 2, 2), dict(stride=2, output_padding=(1, 0, 1))),
]


@pytest.mark.parametrize("nd,xs,ws,kw", CONV_T_CASES)
def test_conv_transposend_matches_torch(nd, xs, ws, kw, torch_answer):
    name = f"conv_transpose{nd}d"
    arrays = [rand(*xs), rand(*ws, seed=1), rand(ws[1] * kw.get("groups", 1), seed=2)]
    _against_torch(
        torch_answer,
        lambda x, w, b: getattr(FC, name)(x, w, b, **kw),
        lambda torch, x, w, b: getattr(torch.nn.functional, name)(x, w, b, **kw),
        arrays,
        (name, kw),
    )


def test_conv_transpose1d_matches_the_naive_scatter():
    x, w = rand(2, 4, 5), rand(4, 3, 3, seed=1)
    kw = dict(stride=2, padding=1, output_padding=1, groups=2)
    out = FC.conv_transpose1d(T(x), T(w), **kw)
    np.testing.assert_allclose(out.numpy(), _conv_t_nd(x, w, **kw), atol=1e-12)


@pytest.mark.parametrize("nd", [1, 3])
def test_nd_outputs_and_gradients_stay_batch_last(nd):
    x = T(rand(3, 2, *(6,) * nd))
    w = T(rand(4, 2, *(3,) * nd, seed=1))
    h = getattr(FC, f"conv{nd}d")(x, w, padding=1)
    p = getattr(FP, f"max_pool{nd}d")(h, 2)
    assert is_batch_last(h.numpy()) and is_batch_last(p.numpy())
    h.retain_grad()
    p.sum().backward()
    assert is_batch_last(h.grad.numpy())


def _op_names(out):
    """Names of every op in out's graph (each node once)."""
    seen, stack, names = set(), [out._ctx], []
    while stack:
        ctx = stack.pop()
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        names.append(type(ctx).__name__)
        stack.extend(getattr(t, "_ctx", None) for t in ctx.inputs)
    return names


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_one_matrix_product_per_convolution(nd):
    x = T(rand(2, 4, *(5,) * nd))
    out = getattr(FC, f"conv{nd}d")(x, T(rand(6, 2, *(2,) * nd, seed=1)), T(rand(6)), groups=2)
    names = _op_names(out)
    assert names.count("ColumnMatMul") == 1 and "MatMul" not in names and "Im2Col" in names
    out = getattr(FC, f"conv_transpose{nd}d")(x, T(rand(4, 3, *(2,) * nd, seed=1)), stride=2)
    names = _op_names(out)
    assert names.count("MatMul") == 1 and "Col2Im" in names


# -- pooling --------------------------------------------------------------------------------------

POOL_CASES = {
    1: [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=2, stride=1, dilation=3)],
    3: [dict(kernel_size=2), dict(kernel_size=(3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1),
                                  ceil_mode=True), dict(kernel_size=2, dilation=(1, 2, 1))],
}  # fmt: skip


@pytest.mark.parametrize("nd,kw", [(nd, kw) for nd, cases in POOL_CASES.items() for kw in cases])
def test_max_poolnd_matches_torch_with_indices(nd, kw, torch_answer):
    name = f"max_pool{nd}d"
    ours = getattr(FP, name)
    x = distinct(2, 3, *(7, 6, 5)[:nd])
    _against_torch(
        torch_answer,
        lambda t: ours(t, **kw),
        lambda torch, t: getattr(torch.nn.functional, name)(t, **kw),
        [x],
        (name, kw),
    )
    _, idx = ours(T(x), **kw, return_indices=True)
    tidx = torch_answer(
        lambda torch: getattr(torch.nn.functional, name)(
            torch.tensor(x), **kw, return_indices=True
        )[1].numpy(),
        x,
        name,
        kw,
    )
    np.testing.assert_array_equal(idx.numpy(), tidx)
    np.testing.assert_allclose(ours(T(x), **kw).numpy(), max_pool_nd_ref(x, **kw))


@pytest.mark.parametrize("nd,kw", [(nd, kw) for nd, cases in POOL_CASES.items() for kw in cases])
@pytest.mark.parametrize("cip", [True, False])
def test_avg_poolnd_matches_torch(nd, kw, cip, torch_answer):
    kw = {k: v for k, v in kw.items() if k != "dilation"}
    name = f"avg_pool{nd}d"
    x = rand(2, 3, *(7, 6, 5)[:nd])
    _against_torch(
        torch_answer,
        lambda t: getattr(FP, name)(t, **kw, count_include_pad=cip),
        lambda torch, t: getattr(torch.nn.functional, name)(t, **kw, count_include_pad=cip),
        [x],
        (name, kw, cip),
    )


def test_avg_pool3d_divisor_override_matches_torch(torch_answer):
    _against_torch(
        torch_answer,
        lambda t: FP.avg_pool3d(t, 2, 1, divisor_override=3),
        lambda torch, t: torch.nn.functional.avg_pool3d(t, 2, 1, divisor_override=3),
        [rand(1, 2, 3, 4, 3)],
        "avg_pool3d(t, 2, 1, divisor_override=3)",
    )


@pytest.mark.parametrize("nd,size", [(1, 3), (1, 1), (2, (3, None)), (3, (2, 3, None)), (3, 1)])
def test_adaptive_poolsnd_match_torch(nd, size, torch_answer):
    x = distinct(2, 3, *(7, 6, 5)[:nd])
    for kind in ("avg", "max"):
        name = f"adaptive_{kind}_pool{nd}d"
        _against_torch(
            torch_answer,
            lambda t, n=name: getattr(FP, n)(t, size),
            lambda torch, t, n=name: getattr(torch.nn.functional, n)(t, size),
            [x],
            (name, size),
        )
    name = f"adaptive_max_pool{nd}d"
    _, idx = getattr(FP, name)(T(x), size, return_indices=True)
    tidx = torch_answer(
        lambda torch: getattr(torch.nn.functional, name)(
            torch.tensor(x), size, return_indices=True
        )[1].numpy(),
        x,
        name,
        size,
    )
    np.testing.assert_array_equal(idx.numpy(), tidx)


def test_adaptive_max_ties_pick_the_first_maximum_as_torch():
    x = np.zeros((1, 1, 4, 5))
    x[0, 0, 1, 3] = x[0, 0, 3, 0] = 1.0
    out, idx = FP.adaptive_max_pool2d(T(x), 1, return_indices=True)
    assert out.item() == 1.0 and idx.item() == 1 * 5 + 3
    np.testing.assert_array_equal(adaptive_max_nd_ref(x, 1), out.numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_unpool2d_inverts_max_pool2d_as_torch(kw, torch_answer):
    x, size = distinct(2, 3, 6, 7), (6, 7)
    y, idx = FP.max_pool2d(T(x), **kw, return_indices=True)

    def pool_unpool(torch):
        ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), **kw, return_indices=True)
        ref = torch.nn.functional.max_unpool2d(ty, tidx, **kw, output_size=size)
        return ty.numpy(), tidx.numpy(), ref.numpy()

    ty, tidx, ref = torch_answer(pool_unpool, x, kw, size)
    out = FP.max_unpool2d(T(y.numpy()), idx, **kw, output_size=size)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(y.numpy(), ty)
    _against_torch(
        torch_answer,
        lambda t: FP.max_unpool2d(t, idx, **kw, output_size=size),
        lambda torch, t: torch.nn.functional.max_unpool2d(
            t, torch.tensor(tidx), **kw, output_size=size
        ),
        [ty],
        (tidx, kw, size),
    )


@pytest.mark.parametrize(
    "p,kw", [(2, dict(kernel_size=2)), (3, dict(kernel_size=(3, 2), stride=1))]
)
def test_lp_pool2d_matches_torch(p, kw, torch_answer):
    x = np.abs(rand(2, 2, 5, 6)) + 0.3
    _against_torch(
        torch_answer,
        lambda t: FP.lp_pool2d(t, p, **kw),
        lambda torch, t: torch.nn.functional.lp_pool2d(t, p, **kw),
        [x],
        (p, kw),
    )


# -- padding --------------------------------------------------------------------------------------

PAD_CASES = [
    ((2, 3, 5), (2, 1), "constant"),
    ((2, 3, 5), (-1, 2, 1, -2), "constant"),
    ((2, 3, 5, 4), (-2, -1), "constant"),
    ((2, 3, 5), (2, 4), "reflect"),
    ((3, 5), (4, 0), "reflect"),
    ((1, 2, 4, 5), (1, 3, 3, 2), "reflect"),
    ((1, 2, 3, 4, 5), (1, 1, 2, 2, 1, 2), "reflect"),
    ((2, 3, 5), (3, 1), "replicate"),
    ((2, 4, 5), (1, 3, 3, 2), "replicate"),
    ((1, 2, 3, 4, 5), (2, 0, 1, 1, 0, 3), "replicate"),
    ((2, 3, 5), (5, 2), "circular"),
    ((1, 2, 4, 5), (1, 3, 4, 2), "circular"),
    ((2, 3, 4, 5), (1, 2, 2, 1, 3, 1), "circular"),
]


@pytest.mark.parametrize("shape,pad,mode", PAD_CASES)
def test_pad_matches_torch_and_numpy(shape, pad, mode, torch_answer):
    x = rand(*shape)
    value = {"value": 0.25} if mode == "constant" else {}
    _against_torch(
        torch_answer,
        lambda t: FD.pad(t, pad, mode=mode, **value),
        lambda torch, t: torch.nn.functional.pad(t, pad, mode=mode, **value),
        [x],
        (pad, mode, value),
    )
    np.testing.assert_array_equal(FD.pad(T(x), pad, mode=mode, **value).numpy(),
                                  pad_ref(x, pad, mode, **value))  # fmt: skip


@pytest.mark.parametrize("shape,pad,mode", PAD_CASES)
def test_pad_matches_numpy(shape, pad, mode):
    x = rand(*shape)
    np.testing.assert_array_equal(FD.pad(T(x), pad, mode=mode).numpy(), pad_ref(x, pad, mode))


# -- Modules --------------------------------------------------------------------------------------

MODULES = [
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv2d", (4, 6, (3, 2)), dict(groups=2, dilation=(1, 2)), (2, 4, 7, 8)),
    ("Conv3d", (2, 3, 2), dict(padding="same", bias=False), (1, 2, 4, 5, 3)),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=2, output_padding=1), (2, 3, 5)),
    ("ConvTranspose3d", (2, 4, 2), dict(stride=(1, 2, 2), groups=2), (1, 2, 3, 2, 3)),
    ("Conv1d", (2, 3, 4), dict(padding=2, padding_mode="reflect"), (2, 2, 7)),
    ("Conv2d", (2, 3, 3), dict(padding=(1, 2), padding_mode="circular"), (2, 2, 5, 6)),
    ("Conv3d", (2, 2, 3), dict(padding="same", padding_mode="replicate"), (1, 2, 4, 3, 5)),
    ("Conv2d", (2, 2, 4), dict(padding="same", padding_mode="reflect", dilation=2), (1, 2, 7, 8)),
]


@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_conv_modules_load_torch_weights_and_match(name, args, kw, xs, torch_answer):
    x = rand(*xs)

    def theirs(torch):
        torch.manual_seed(0)
        m = getattr(torch.nn, name)(*args, **kw).double()
        sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
        return sd, repr(m), _torch_side(lambda torch, t: m(t), [x])(torch)

    sd, their_repr, (ref, grads) = torch_answer(theirs, name, args, kw, x)
    ours = getattr(C, name)(*args, **kw).double()
    assert list(ours.state_dict()) == list(sd)
    ours.load_state_dict({k: tg.Tensor(v) for k, v in sd.items()})
    _agree(lambda t: ours(t), [x], ref, grads)
    assert repr(ours) == their_repr


@pytest.mark.parametrize("name,args,kw,xs", MODULES[:5])
def test_conv_module_initialisation_follows_torch_bounds(name, args, kw, xs):
    tg.manual_seed(0)
    m = getattr(C, name)(*args, **kw)
    fan_in = m.weight.numel() // m.weight.shape[0]
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) and the bias share this bound
    w = m.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.7 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.35 * bound
    if m.bias is not None:
        assert np.abs(m.bias.numpy()).max() <= bound


POOL_MODULES = [
    ("MaxPool1d", (3,), dict(stride=2, padding=1), (2, 3, 8)),
    ("MaxPool3d", (2,), dict(ceil_mode=True), (1, 2, 5, 4, 3)),
    ("AvgPool1d", (3,), dict(stride=1, count_include_pad=False, padding=1), (2, 3, 6)),
    ("AvgPool3d", (2,), dict(divisor_override=5), (1, 2, 4, 4, 2)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 8)),
    ("AdaptiveAvgPool3d", ((2, None, 1),), {}, (1, 2, 4, 3, 5)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 8)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 5, 7)),
    ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 4, 3, 5)),
    ("LPPool1d", (2, 3), dict(stride=2), (2, 3, 8)),
    ("LPPool2d", (3, 2), {}, (2, 3, 4, 6)),
]


@pytest.mark.parametrize("name,args,kw,xs", POOL_MODULES)
def test_pool_modules_match_torch(name, args, kw, xs, torch_answer):
    x = distinct(*xs)
    if name.startswith("LP"):
        x = np.abs(x) + 0.3

    def theirs(torch):
        m = getattr(torch.nn, name)(*args, **kw)
        return repr(m), _torch_side(lambda torch, t: m(t), [x])(torch)

    their_repr, (ref, grads) = torch_answer(theirs, name, args, kw, x)
    ours = getattr(P, name)(*args, **kw)
    _agree(lambda t: ours(t), [x], ref, grads)
    assert repr(ours) == their_repr


def test_max_unpool_module_round_trip_matches_torch(torch_answer):
    x = distinct(1, 2, 4, 6)

    def round_trip(torch):
        ty, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
        return torch.nn.MaxUnpool2d(2)(ty, tidx).numpy(), repr(torch.nn.MaxUnpool2d(2))

    ref, their_repr = torch_answer(round_trip, x)
    y, idx = P.MaxPool2d(2, return_indices=True)(T(x))
    out = P.MaxUnpool2d(2)(y, idx)
    np.testing.assert_array_equal(out.numpy(), ref)
    assert repr(P.MaxUnpool2d(2)) == their_repr


def test_return_indices_modules_give_pairs():
    x = T(distinct(1, 2, 6))
    out, idx = P.MaxPool1d(2, return_indices=True)(x)
    assert out.shape == idx.shape == (1, 2, 3)
    out, idx = P.AdaptiveMaxPool1d(2, return_indices=True)(x)
    np.testing.assert_array_equal(np.take_along_axis(x.numpy(), idx.numpy(), 2), out.numpy())


def test_conv_transpose_module_output_size():
    m = C.ConvTranspose1d(2, 3, 3, stride=2, padding=1)
    x = T(rand(1, 2, 5).astype(np.float32))
    assert m(x, output_size=(10,)).shape == (1, 3, 10)
    with pytest.raises(ValueError, match=r"ConvTranspose1d: requested output size \(12,\)"):
        m(x, output_size=(12,))


# -- errors ---------------------------------------------------------------------------------------

ERRORS = [
    (lambda: FC.conv1d(tg.zeros(1, 2, 3, 3), tg.zeros(1, 2, 3)),
     ValueError, r"conv1d: expected a 2-D \(C, L\) or 3-D \(N, C, L\) input, got shape"),
    (lambda: FC.conv3d(tg.zeros(1, 2, 4, 4, 4), tg.zeros(1, 2, 3, 3)),
     ValueError, r"conv3d: weight must be 5-D \(out, in/groups, kd, kh, kw\)"),
    (lambda: FC.conv3d(tg.zeros(1, 2, 4, 4, 4), tg.zeros(1, 2, 3, 3, 3), stride=(1, 2)),
     TypeError, r"conv3d: stride must be an int or a tuple of 3 ints, got \(1, 2\)"),
    (lambda: FC.conv1d(tg.zeros(1, 2, 2), tg.zeros(1, 2, 3)),
     ValueError, r"conv1d: kernel \(3,\) with dilation \(1,\) spans 3 but the padded input is"),
    (lambda: FC.conv_transpose3d(tg.zeros(1, 2, 2, 2, 2), tg.zeros(2, 1, 2, 2, 2), output_padding=2,
                                 stride=2),
     ValueError, r"conv_transpose3d: output_padding \(2, 2, 2\) must be smaller"),
    (lambda: FP.max_pool3d(tg.zeros(1, 4, 4), 2),
     ValueError, r"max_pool3d: expected a 4-D \(C, D, H, W\) or 5-D \(N, C, D, H, W\) input"),
    (lambda: FP.avg_pool1d(tg.zeros(1, 1, 4), 2, padding=2),
     ValueError, r"avg_pool1d: padding \(2,\) must be at most half the kernel size \(2,\)"),
    (lambda: FP.adaptive_max_pool2d(tg.zeros(1, 1, 4, 4), (1, 2, 3)),
     ValueError, r"adaptive_max_pool2d: output_size must be an int or a tuple of 2"),
    (lambda: FP.adaptive_avg_pool3d(tg.zeros(1, 1, 4, 4, 4), 0),
     ValueError, r"adaptive_avg_pool3d: output_size must be positive"),
    (lambda: FP.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.Tensor(np.full((1, 1, 2, 2), 99)), 2),
     RuntimeError, r"max_unpool2d: Found an invalid max index: 99 \(output volumes are of size"),
    (lambda: FP.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.Tensor(np.zeros((1, 1, 2, 2), np.int64)), 2,
                             output_size=(9, 4)),
     ValueError, r"max_unpool2d: invalid output_size \(9, 4\)"),
    (lambda: FP.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.Tensor(np.zeros((1, 2, 2), np.int64)), 2),
     ValueError, r"max_unpool2d: indices must have the input's shape"),
    (lambda: FP.lp_pool2d(tg.ones(1, 1, 4, 4), "2", 2),
     TypeError, r"lp_pool2d: norm_type must be a number"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (1, 1), mode="bogus"),
     NotImplementedError, r"pad: unrecognised padding mode 'bogus'"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (3, 0), mode="reflect"),
     RuntimeError, r"pad: reflect padding \(3, 0\) must be smaller than the input size 3"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (4, 0), mode="circular"),
     RuntimeError, r"pad: circular padding \(4, 0\) wraps around more than once"),
    (lambda: FD.pad(tg.zeros(3), (1, 1), mode="replicate"),
     NotImplementedError, r"pad: mode='replicate' pads the last 1, 2 or 3 dims"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (-1, 1), mode="reflect"),
     ValueError, r"pad: negative padding \(-1, 1\) is only supported in mode='constant'"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (1, 1, 1)),
     RuntimeError, r"pad: padding length must be divisible by 2"),
    (lambda: FD.pad(tg.zeros(3), (1, 1, 1, 1)),
     RuntimeError, r"pad: padding length 4 must be at most two times the input dimension"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (-2, -2)),
     RuntimeError, r"pad: padding \(-2, -2\) would leave a negative size -1 in dim 2"),
    (lambda: FD.pad(tg.zeros(1, 2, 3), (1.5, 1)),
     TypeError, r"pad: pad must be a tuple of ints"),
    (lambda: C.Conv2d(1, 1, 3, padding_mode="bogus"),
     ValueError, r"Conv2d: padding_mode must be one of .*'bogus'"),
    (lambda: C.ConvTranspose2d(1, 1, 3, padding_mode="reflect"),
     ValueError, r'ConvTranspose2d: Only "zeros" padding mode is supported'),
    (lambda: C.Conv1d(1, 1, 3, padding="same", stride=2),
     ValueError, r"Conv1d: padding='same' is not supported for strided convolutions"),
    (lambda: C.Conv3d(1, 1, (3, 3)),
     TypeError, r"Conv3d: kernel_size must be an int or a tuple of 3 ints, got \(3, 3\)"),
]  # fmt: skip


@pytest.mark.parametrize("call,exc,match", ERRORS)
def test_errors_name_the_op_the_argument_and_the_fix(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
