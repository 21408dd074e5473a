"""Registry-driven op tests: forward vs numpy, float32 forward, gradcheck, gradgradcheck."""

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.op_registry import all_specs, sample_tensors

CASES = [(spec, i) for spec in all_specs() for i in range(len(spec.samples))]
IDS = [f"{spec.name}-{i}" for spec, i in CASES]


def _call(spec, sample, dtype):
    args = sample_tensors(sample, dtype)
    return spec.fn(*args, **sample.kwargs), args


def _ref_args(sample):
    return [
        a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
        for a in sample.args
    ]


def _ref_kwargs(sample):
    return {k: (v.numpy() if isinstance(v, tg.Tensor) else v) for k, v in sample.kwargs.items()}


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_forward_matches_numpy(spec, i):
    if spec.ref is None:
        pytest.skip("checked against closed forms in test_losses")
    sample = spec.samples[i]
    out, _ = _call(spec, sample, np.float64)
    expected = spec.ref(*_ref_args(sample), **_ref_kwargs(sample))
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_forward_float32(spec, i):
    sample = spec.samples[i]
    out32, _ = _call(spec, sample, np.float32)
    out64, _ = _call(spec, sample, np.float64)
    if out32.dtype.kind == "f":
        assert out32.dtype == np.float32, "float32 inputs must stay float32"
    np.testing.assert_allclose(out32.numpy(), out64.numpy(), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_gradcheck(spec, i):
    sample = spec.samples[i]
    args = sample_tensors(sample)
    assert tg.gradcheck(
        lambda *a: spec.fn(*a, **sample.kwargs), args, atol=spec.atol, rtol=spec.rtol
    )


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_gradgradcheck(spec, i):
    if not spec.second_order:
        pytest.skip("first order only")
    sample = spec.samples[i]
    args = sample_tensors(sample)
    assert tg.gradgradcheck(
        lambda *a: spec.fn(*a, **sample.kwargs), args, atol=spec.atol, rtol=spec.rtol
    )


@pytest.mark.parametrize("spec,i", CASES, ids=IDS)
def test_gradients_shaped_like_inputs(spec, i):
    sample = spec.samples[i]
    out, args = _call(spec, sample, np.float64)
    out.sum().backward()
    for a in args:
        if isinstance(a, tg.Tensor) and a.requires_grad:
            assert a.grad is not None and a.grad.shape == a.shape and a.grad.dtype == a.dtype
