"""hypothesis properties: any broadcast-compatible shapes work for every binary op, and
gradients always come back shaped (and typed) like their inputs."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_cnn as tg

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "pow": lambda a, b: (a * a + 1.0) ** b,
    "where": lambda a, b: tg.where(a.data > 0, a, b),
}
NUMPY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": lambda a, b: a / (b * b + 1.0),
    "maximum": np.maximum,
    "minimum": np.minimum,
    "pow": lambda a, b: (a * a + 1.0) ** b,
    "where": lambda a, b: np.where(a > 0, a, b),
}


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_broadcast_and_gradients_keep_input_shapes(name, shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a_np, b_np = rng.standard_normal(sa), rng.standard_normal(sb)
    a = tg.Tensor(a_np, requires_grad=True)
    b = tg.Tensor(b_np, requires_grad=True)
    out = BINARY[name](a, b)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.numpy(), NUMPY[name](a_np, b_np), rtol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(tg.Tensor(g))
    for t in (a, b):
        assert t.grad is not None and t.grad.shape == t.shape and t.grad.dtype == t.dtype
    if name in ("add", "sub", "mul"):
        # the gradient of a broadcast input is the output gradient summed over the broadcast
        expected_a = {"add": g, "sub": g, "mul": g * np.broadcast_to(b_np, g.shape)}[name]
        lead = expected_a.ndim - len(sa)
        red = expected_a.sum(axis=tuple(range(lead))) if lead else expected_a
        red = red.sum(axis=tuple(i for i, s in enumerate(sa) if s == 1), keepdims=True)
        np.testing.assert_allclose(a.grad.numpy(), red.reshape(sa), rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_binary_gradcheck_on_random_broadcast_shapes(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = tg.Tensor(rng.standard_normal(sa), requires_grad=True)
    b = tg.Tensor(rng.standard_normal(sb), requires_grad=True)
    assert tg.gradcheck(lambda x, y: (x * y + x / (y * y + 1.0)).tanh(), (a, b))


@settings(max_examples=30, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    seed=st.integers(0, 2**16),
    keepdim=st.booleans(),
)
def test_reductions_return_input_shaped_gradients(shape, seed, keepdim):
    rng = np.random.default_rng(seed)
    dim = int(rng.integers(0, len(shape)))
    x = tg.Tensor(rng.standard_normal(shape), requires_grad=True)
    for fn in ("sum", "mean", "amax", "logsumexp"):
        x.grad = None
        out = getattr(x, fn)(dim, keepdim=keepdim)
        assert out.ndim == len(shape) - (0 if keepdim else 1)
        out.sum().backward()
        assert x.grad.shape == x.shape
