"""Resampling (interpolate, Upsample, pixel/channel shuffles, grid_sample, affine_grid) and the
reshaping / channel-dropout / sliding-window Modules: behaviour, errors, and forward values and
input gradients against PyTorch (live where it is installed, else its recorded answers)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- behaviour without torch ---------------------------------------------------------------------


def test_interpolate_known_values_and_shapes():
    x = tg.Tensor([[[0.0, 1.0, 2.0, 3.0]]])
    half = F.interpolate(x, size=2, mode="linear", align_corners=False)
    assert half.tolist() == [[[0.5, 2.5]]]
    assert F.interpolate(x, scale_factor=0.5).tolist() == [[[0.0, 2.0]]]
    assert F.interpolate(tg.ones(2, 3, 4, 5), scale_factor=(2, 0.5)).shape == (2, 3, 8, 2)
    assert F.interpolate(tg.ones(1, 1, 2, 2, 2), size=3, mode="trilinear").shape == (1, 1, 3, 3, 3)
    constant = F.interpolate(tg.ones(1, 1, 3, 3) * 2.0, size=(5, 7), mode="bicubic")
    np.testing.assert_allclose(constant.numpy(), 2.0, rtol=1e-6)  # cubic weights sum to 1


def test_interpolate_errors():
    x = tg.ones(1, 2, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="linear mode needs a 3-D input"):
        F.interpolate(x, size=2, mode="linear")
    with pytest.raises(ValueError, match="align_corners can only be set"):
        F.interpolate(x, size=2, align_corners=True)
    with pytest.raises(ValueError, match=r"size \(2, 2, 2\) must give one value per"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(ValueError, match="antialias=True is not supported"):
        F.interpolate(x, size=2, mode="bilinear", antialias=True)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, size=2, mode="cubic")
    with pytest.raises(TypeError, match="mode 'bilinear' needs a floating-point input"):
        F.interpolate(tg.Tensor(np.ones((1, 1, 2, 2), np.int64)), size=3, mode="bilinear")
    with pytest.raises(NotImplementedError, match=r"input must be 3-D, 4-D or 5-D"):
        F.interpolate(tg.ones(4, 4), size=2)


def test_shuffle_errors_and_round_trip():
    x = tg.Tensor(_x(2, 8, 3, 3))
    assert np.array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="pixel_shuffle: the channel dimension 8 .* 9"):
        F.pixel_shuffle(x, 3)
    with pytest.raises(RuntimeError, match="pixel_unshuffle: the height 3 and width 3"):
        F.pixel_unshuffle(x, 2)
    with pytest.raises(RuntimeError, match="channel_shuffle: number of channels 8 .* groups 3"):
        F.channel_shuffle(x, 3)
    with pytest.raises(ValueError, match="upscale_factor must be a positive int"):
        F.pixel_shuffle(x, 0)


def test_grid_sample_identity_and_errors():
    x = tg.Tensor(_x(2, 3, 4, 5))
    eye = tg.Tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    for ac in (False, True):
        grid = F.affine_grid(eye, x.shape, align_corners=ac)
        out = F.grid_sample(x, grid, align_corners=ac)
        np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="padding_mode must be 'zeros', 'border' or 'refl"):
        F.grid_sample(x, grid, padding_mode="circular")
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, grid[:1])
    with pytest.raises(RuntimeError, match=r"with \(N, D_out, H_out, W_out, 3\); got input"):
        F.grid_sample(x, tg.zeros(2, 1, 1, 1, 3))
    with pytest.raises(ValueError, match=r"affine_grid: expected a batch of 2-D affine matrices"):
        F.affine_grid(eye, (3, 1, 4, 4))


def test_channel_dropout_zeroes_whole_channels():
    tg.manual_seed(0)
    y = F.dropout2d(tg.ones(4, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(4, 16, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # each channel all 0 or all 2
    assert set(np.unique(y)) == {0.0, 2.0}
    y1 = F.dropout1d(tg.ones(16, 5), 0.5).numpy()  # unbatched (C, L)
    assert np.all(y1.min(-1) == y1.max(-1))
    y3 = nn.Dropout3d(0.5)(tg.ones(2, 8, 2, 2, 2)).numpy().reshape(2, 8, -1)
    assert np.all(y3.min(-1) == y3.max(-1))
    assert np.array_equal(nn.Dropout2d().eval()(tg.ones(2, 2, 2, 2)).numpy(), np.ones((2,) * 4))
    with pytest.raises(RuntimeError, match="dropout1d: expected a 2-D"):
        F.dropout1d(tg.ones(1, 2, 3, 4))
    with pytest.raises(ValueError, match="Dropout2d: dropout probability has to be between"):
        nn.Dropout2d(1.5)


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    tg.manual_seed(0)
    x = tg.Tensor(np.random.default_rng(0).standard_normal(200_000).astype(np.float32))
    y = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1.0) < 0.03
    assert len(np.unique(y[np.isclose(y, y.min())])) == 1  # dropped values share one value
    assert np.array_equal(nn.AlphaDropout(0.3).eval()(x).numpy(), x.numpy())
    f = F.feature_alpha_dropout(tg.ones(2, 6, 4), 0.5, training=True).numpy()
    assert np.all(f.min(-1) == f.max(-1))


def test_unflatten_and_module_errors():
    assert nn.Unflatten(-1, [2, 2])(tg.ones(3, 4)).shape == (3, 2, 2)
    with pytest.raises(TypeError, match="element of type float at pos 1"):
        nn.Unflatten(1, (2, 2.0))
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"


def test_upsample_trains_inside_a_model():
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.PixelUnshuffle(2),
        nn.Flatten(),
        nn.Linear(256, 2),
    )
    opt = tg.optim.SGD(model.parameters(), lr=0.05)
    x, y = tg.Tensor(_x(8, 1, 4, 4).astype(np.float32)), tg.Tensor(np.arange(8) % 2)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


# -- PyTorch comparisons (live, or replayed from tests/goldens/live/) --------------------------

INTERP = [
    ((2, 3, 5), {"size": 8, "mode": "nearest"}),
    ((2, 3, 5), {"scale_factor": 1.7, "mode": "nearest-exact"}),
    ((2, 3, 5), {"size": 3, "mode": "linear"}),
    ((2, 3, 5), {"scale_factor": 2.5, "mode": "linear", "align_corners": True}),
    ((2, 3, 5), {"size": 2, "mode": "area"}),
    ((2, 2, 4, 5), {"size": (7, 3), "mode": "bilinear"}),
    ((2, 2, 4, 5), {"scale_factor": (1.5, 2.0), "mode": "bilinear", "align_corners": True}),
    ((2, 2, 4, 5), {"scale_factor": 1.3, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 2, 4, 5), {"size": (9, 6), "mode": "bicubic"}),
    ((2, 2, 4, 5), {"size": (3, 8), "mode": "bicubic", "align_corners": True}),
    ((2, 2, 4, 5), {"scale_factor": 0.6, "mode": "nearest"}),
    ((2, 2, 4, 5), {"size": (3, 3), "mode": "area"}),
    ((1, 2, 3, 4, 2), {"size": (5, 2, 3), "mode": "trilinear"}),
    ((1, 2, 3, 4, 2), {"scale_factor": 2, "mode": "trilinear", "align_corners": True}),
    ((1, 2, 3, 4, 2), {"scale_factor": (1.5, 0.5, 2), "mode": "nearest"}),
]


def _torch_side(theirs_fn, arrays):
    """PyTorch's output and input gradients (seeded output gradient) as numpy arrays:
    `theirs_fn(torch, *tensors)` builds the output from one tensor per array."""

    def compute(torch):
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        ref = theirs_fn(torch, *theirs)
        ref.backward(torch.tensor(np.random.default_rng(3).standard_normal(ref.shape)))
        return ref.detach().numpy(), [t.grad.numpy() for t in theirs]

    return compute


def _agree(ours_fn, arrays, ref, grads):
    """Our output and input gradients equal PyTorch's `ref` and `grads`."""
    ours = [tg.Tensor(a, requires_grad=True) for a in arrays]
    out = ours_fn(*ours)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-9, atol=1e-12)
    out.backward(tg.Tensor(np.random.default_rng(3).standard_normal(ref.shape)))
    for a, b in zip(ours, grads):
        got = a.grad.numpy() if a.grad is not None else np.zeros(a.shape)
        np.testing.assert_allclose(got, b, rtol=1e-9, atol=1e-12)


def _compare(torch_answer, ours_fn, theirs_fn, arrays, reads):
    """Forward and input gradients agree with PyTorch's, live or replayed; `reads` is everything
    besides `arrays` that `theirs_fn` reads."""
    ref, grads = torch_answer(_torch_side(theirs_fn, arrays), arrays, reads)
    _agree(ours_fn, arrays, ref, grads)


@pytest.mark.parametrize("shape,kw", INTERP, ids=[f"{k['mode']}-{len(s)}d" for s, k in INTERP])
def test_interpolate_matches_pytorch(shape, kw, torch_answer):
    _compare(
        torch_answer,
        lambda x: F.interpolate(x, **kw),
        lambda torch, x: torch.nn.functional.interpolate(x, **kw),
        [_x(*shape)],
        kw,
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_pytorch(mode, padding_mode, align_corners, torch_answer):
    grid = np.random.default_rng(1).uniform(-3.5, 3.5, (2, 3, 6, 2))
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
    _compare(
        torch_answer,
        lambda x, g: F.grid_sample(x, g, **kw),
        lambda torch, x, g: torch.nn.functional.grid_sample(x, g, **kw),
        [_x(2, 3, 4, 5), grid],
        kw,
    )


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflection"])
def test_grid_sample_volumes_match_pytorch(mode, padding_mode, torch_answer):
    grid = np.random.default_rng(2).uniform(-1.6, 1.6, (2, 2, 3, 2, 3))
    kw = {"mode": mode, "padding_mode": padding_mode, "align_corners": False}
    _compare(
        torch_answer,
        lambda x, g: F.grid_sample(x, g, **kw),
        lambda torch, x, g: torch.nn.functional.grid_sample(x, g, **kw),
        [_x(2, 2, 3, 4, 5), grid],
        kw,
    )


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 3, 2, 4, 5)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_pytorch(size, align_corners, torch_answer):
    k = len(size) - 2
    _compare(
        torch_answer,
        lambda t: F.affine_grid(t, size, align_corners=align_corners),
        lambda torch, t: torch.nn.functional.affine_grid(t, size, align_corners=align_corners),
        [_x(2, k, k + 1)],
        (size, align_corners),
    )


MODULES = [
    ("Upsample", {"scale_factor": 2, "mode": "bilinear"}, (2, 3, 3, 4)),
    ("Upsample", {"size": (5, 3), "mode": "bicubic", "align_corners": True}, (2, 3, 3, 4)),
    ("Upsample", {"scale_factor": 1.5}, (2, 3, 4)),
    ("UpsamplingNearest2d", {"scale_factor": 3}, (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", {"size": (5, 7)}, (1, 2, 3, 3)),
    ("PixelShuffle", {"upscale_factor": 2}, (3, 2, 8, 2, 3)),
    ("PixelUnshuffle", {"downscale_factor": 2}, (2, 3, 4, 6)),
    ("ChannelShuffle", {"groups": 3}, (2, 6, 2, 2)),
    ("Unflatten", {"dim": 1, "unflattened_size": (2, 3)}, (4, 6, 2)),
    ("Unfold", {"kernel_size": 2, "stride": 1, "padding": 1}, (2, 3, 4, 4)),
    ("Fold", {"output_size": (4, 5), "kernel_size": 2, "dilation": 1}, (2, 12, 12)),
]


@pytest.mark.parametrize("name,kw,shape", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_pytorch(name, kw, shape, torch_answer):
    x = _x(*shape)

    def theirs(torch):
        m = getattr(torch.nn, name)(**kw)
        return repr(m), _torch_side(lambda torch, t: m(t), [x])(torch)

    their_repr, (ref, grads) = torch_answer(theirs, name, kw, x)
    ours = getattr(nn, name)(**kw)
    assert repr(ours) == their_repr
    _agree(ours, [x], ref, grads)


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"])
def test_dropout_module_reprs_and_eval_match_pytorch(name, torch_answer):
    shape = {"Dropout1d": (2, 3, 4), "Dropout3d": (1, 2, 2, 2, 2)}.get(name, (2, 3, 2, 2))
    x = _x(*shape)

    def theirs(torch):
        m = getattr(torch.nn, name)(0.3)
        return repr(m), _torch_side(lambda torch, t: m.eval()(t), [x])(torch)

    their_repr, (ref, grads) = torch_answer(theirs, name, x)
    ours = getattr(nn, name)(0.3)
    assert repr(ours) == their_repr
    _agree(ours.eval(), [x], ref, grads)


FUNCTIONS = [
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample",
    "affine_grid", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
    "feature_alpha_dropout",
]  # fmt: skip
MODULE_NAMES = [
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
    "Unflatten", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
    "ChannelShuffle", "Fold", "Unfold",
]  # fmt: skip


def test_signatures_match_pytorch(torch_answer):
    torch_answer.assert_signatures_match(F, nn, FUNCTIONS, MODULE_NAMES)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: F.interpolate(tg.ones(1, 1, 2, 2), size="big"), "interpolate"),
        (lambda: F.interpolate(tg.ones(1, 1, 2, 2), scale_factor=[2, None]), "interpolate"),
        (lambda: F.interpolate(tg.ones(1, 1, 2), size=3, align_corners="yes"), "interpolate"),
        (lambda: F.grid_sample(tg.ones(1, 1, 2, 2), tg.ones(1, 1, 1, 2), mode=3), "grid_sample"),
        (lambda: F.affine_grid(tg.ones(1, 2, 3), (1, "c", 2, 2)), "affine_grid"),
        (lambda: F.pixel_shuffle([1.0], 2), "pixel_shuffle"),
        (lambda: F.dropout2d(tg.ones(2, 2, 2, 2), p="half"), "dropout2d"),
        (lambda: F.alpha_dropout(tg.ones(2), training=None), "alpha_dropout"),
        (lambda: F.upsample_bilinear(tg.ones(1, 1, 2, 2), size=-1), "upsample_bilinear"),
        (lambda: nn.Upsample(scale_factor="2"), "Upsample"),
        (lambda: nn.Dropout1d(p=None), "Dropout1d"),
        (lambda: nn.ChannelShuffle(0), "ChannelShuffle"),
        (lambda: nn.Fold(3, (2, 2, 2)), "Fold"),
    ],
)
def test_wrong_arguments_name_the_function(call, name):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert name in str(info.value)
