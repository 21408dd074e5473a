"""Engine tests: graph walk, accumulation, retain_graph, grad modes, hooks, higher order."""

import threading
import weakref

import numpy as np
import pytest

import tinygrad_cnn as tg


def t64(*shape, seed=0, rg=True):
    return tg.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=rg)


def test_diamond_graph_accumulates_both_paths():
    x = tg.Tensor(3.0, requires_grad=True)
    a = x * 2
    y = a * a + a  # a used twice
    y.backward()
    # dy/dx = (2a + 1) * 2 = (12 + 1) * 2
    assert x.grad.item() == 26.0


def test_leaf_grad_accumulates_over_backward_calls():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_second_backward_without_retain_graph_raises():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-6)


def test_non_scalar_backward_needs_gradient():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(tg.Tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_backward_gradient_shape_mismatch_is_clear():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(tg.Tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad_is_clear():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.Tensor([1.0]).sum().backward()


def test_no_grad_records_nothing_and_restores():
    x = tg.Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_and_enable_grad_as_decorators():
    x = tg.Tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def f(t):
        return t * 2

    @tg.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with tg.no_grad():
        assert g(x).requires_grad


def test_set_grad_enabled_all_three_forms():
    x = tg.Tensor([1.0], requires_grad=True)
    with tg.set_grad_enabled(False):
        assert not (x * 1).requires_grad
    assert (x * 1).requires_grad
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled()
    tg.set_grad_enabled(True)

    @tg.set_grad_enabled(False)
    def f():
        return (x * 1).requires_grad

    assert tg.is_grad_enabled()
    assert f() is False


def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with tg.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = tg.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    seen["main"] = tg.is_grad_enabled()
    x = tg.Tensor([1.0], requires_grad=True)
    seen["main_records"] = (x * 2).requires_grad
    release.set()
    th.join()
    assert seen == {"worker": False, "main": True, "main_records": True}


def test_requires_grad_propagation():
    a = tg.Tensor([1.0], requires_grad=True)
    b = tg.Tensor([2.0])
    assert (a * b).requires_grad
    assert not (b * b).requires_grad
    assert (b * b).grad_fn is None
    assert (a * b).grad_fn is not None and not (a * b).is_leaf


def test_detach_shares_data_and_cuts_graph():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.is_leaf
    z = (x * y).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        tg.Tensor([1, 2], requires_grad=True)


def test_hook_can_replace_gradient_and_be_removed():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 0 + 7)
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0])
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_hook_on_intermediate_sees_total_gradient_once():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    calls = []
    y.register_hook(lambda g: calls.append(g.numpy().copy()))
    (y * y + y).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], 2 * y.numpy() + 1)


def test_retain_grad_on_intermediate():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.numpy())
    z = x * 5
    (z * 2).sum().backward()
    assert z.grad is None  # non-leaf without retain_grad


def test_chain_of_100k_ops_is_iterative():
    x = tg.Tensor(1.0, dtype="float64", requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001**100_000, rtol=1e-8)


def test_second_derivative_of_cube_is_6x():
    x = tg.Tensor([0.5, -2.0, 3.0], dtype="float64", requires_grad=True)
    (d1,) = tg.grad((x**3).sum(), x, create_graph=True)
    np.testing.assert_allclose(d1.numpy(), 3 * x.numpy() ** 2)
    (d2,) = tg.grad(d1.sum(), x)
    np.testing.assert_allclose(d2.numpy(), 6 * x.numpy())


def test_backward_create_graph_through_nested_expression():
    x = tg.Tensor(0.7, dtype="float64", requires_grad=True)
    y = x.tanh() * x.exp()
    y.backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    # y = tanh(x) e^x; y'' = e^x (tanh + 2 sech^2 - 2 tanh sech^2)
    t = np.tanh(0.7)
    s2 = 1 - t * t
    expected = np.exp(0.7) * (t + 2 * s2 - 2 * t * s2)
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-10)


def test_hessian_vector_product():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    a = a + a.T
    A = tg.Tensor(a)
    x = tg.Tensor(rng.standard_normal(4), requires_grad=True)
    v = tg.Tensor(rng.standard_normal(4))
    f = 0.5 * (x @ (A @ x)) + (x**4).sum()
    (g,) = tg.grad(f, x, create_graph=True)
    (hv,) = tg.grad((g * v).sum(), x)
    hess = a + np.diag(12 * x.numpy() ** 2)
    np.testing.assert_allclose(hv.numpy(), hess @ v.numpy(), rtol=1e-10)


def test_gradient_penalty_trains_weights():
    # WGAN-GP style: penalty on the norm of d(out)/d(input), differentiated w.r.t. the weights
    w = tg.Tensor(np.array([[1.0, 2.0], [0.5, -1.0]]), requires_grad=True)
    x = tg.Tensor(np.array([[0.3, -0.2]]), requires_grad=True)
    out = (x @ w).tanh().sum()
    (gx,) = tg.grad(out, x, create_graph=True)
    penalty = ((gx * gx).sum() - 1.0) ** 2
    penalty.backward()
    assert w.grad is not None and np.all(np.isfinite(w.grad.numpy()))

    def penalty_of(w_):
        with tg.enable_grad():  # gradcheck's numerical pass runs under no_grad
            xi = tg.Tensor(x.numpy(), requires_grad=True)
            (g,) = tg.grad((xi @ w_).tanh().sum(), xi, create_graph=True)
            return ((g * g).sum() - 1.0) ** 2

    assert tg.gradcheck(penalty_of, tg.Tensor(w.numpy(), requires_grad=True))


def test_grad_does_not_touch_dot_grad_and_reports_unused():
    x = tg.Tensor([1.0], requires_grad=True)
    z = tg.Tensor([1.0], requires_grad=True)
    (g,) = tg.grad((x * 2).sum(), x)
    assert x.grad is None and g.item() == 2.0
    with pytest.raises(RuntimeError, match="allow_unused"):
        tg.grad((x * 2).sum(), [x, z])
    gx, gz = tg.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None


def test_graph_is_freed_after_backward():
    x = tg.Tensor(np.ones(10), requires_grad=True)
    y = x.exp()
    ref = weakref.ref(y.grad_fn)
    z = (y * 2).sum()
    del y
    z.backward()
    del z
    assert ref() is None


def test_saved_state_is_freed_after_backward():
    x = tg.Tensor(np.ones(10), requires_grad=True)
    y = x * x.exp()
    fn = y.grad_fn
    y.sum().backward()
    assert "_saved" not in fn.__dict__


def test_custom_function_subclass():
    class Square(tg.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, grad):
            (x,) = self.saved_tensors
            return grad * 2 * x

    x = tg.Tensor([1.5, -2.0], dtype="float64", requires_grad=True)
    assert tg.gradcheck(Square.apply, x)
    assert tg.gradgradcheck(Square.apply, x)


def test_broadcast_gradient_reduced_for_fewer_dims():
    x = tg.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    b = tg.Tensor(np.ones(4), requires_grad=True)
    s = tg.Tensor(2.0, requires_grad=True)
    (x * b * s).sum().backward()
    assert b.grad.shape == (4,) and np.all(b.grad.numpy() == 12)
    assert s.grad.shape == () and s.grad.item() == 24
    c = tg.Tensor(np.ones((3, 1)), requires_grad=True)
    (x + c).sum().backward()
    assert c.grad.shape == (3, 1) and np.all(c.grad.numpy() == 8)


def test_mixed_precision_gradient_has_input_dtype():
    a = tg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = tg.Tensor(np.ones(3, dtype=np.float64), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_max_ties_share_gradient_evenly():
    x = tg.Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5, 0])


def test_getitem_repeated_indices_accumulate():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_anomaly_mode_names_forward_op_and_line():
    x = tg.Tensor([1.0, 0.0], requires_grad=True)
    with tg.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"Log produced -inf.*\(2,\).*test_autograd"):
            x.log()


def test_malloc_tuning_is_applied_or_opted_out():
    import subprocess
    import sys

    code = "import tinygrad_cnn._malloc as m, tinygrad_cnn; print(m._tuned)"
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    env = {**__import__("os").environ, "TINYGRAD_CNN_KEEP_MALLOC": "1"}
    off = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    if sys.platform.startswith("linux"):
        assert on.stdout.strip() == "True"
    assert off.stdout.strip() == "False"
