"""tg.compile: a replayed training step is bit-identical to eager mode (losses, parameters,
gradients, optimizer state, BatchNorm running statistics), falls back to eager mode with a
CompileWarning when it cannot promise that, frees its intermediates, and draws its program."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn, viz
from tinygrad_cnn.jit.live import LiveBackward, LiveCall
from tinygrad_cnn.jit.program import MADE, Kernel


def _batches(n: int, shape: tuple[int, ...], classes: int = 10) -> list[tuple]:
    rng = np.random.default_rng(1)
    return [
        (
            tg.Tensor(rng.standard_normal(shape).astype(np.float32)),
            tg.Tensor(rng.integers(0, classes, shape[0])),
        )
        for _ in range(n)
    ]


def _bn_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 14 * 14, 10),
    )


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))


MODELS = {"lenet5": tg.models.LeNet5, "batchnorm": _bn_net, "mlp": _mlp}
OPTIMIZERS = {
    "sgd-momentum": lambda p: tg.optim.SGD(p, lr=0.05, momentum=0.9),
    "adam": lambda p: tg.optim.Adam(p, lr=1e-3),
}


def _train_step(m: nn.Module, o: object, after=None, **loss_kw: object) -> object:
    """A training step: cross entropy of m(x) (with ``loss_kw``), backward, o.step(), then
    ``after(loss)`` (a scheduler's step) when given."""

    def step(x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
        o.zero_grad()
        loss = F.cross_entropy(m(x), y, **loss_kw)
        loss.backward()
        o.step()
        if after is not None:
            after(loss)
        return loss

    return step


def _setup(model: str, opt: str, seed: int = 0) -> tuple[nn.Module, object, object]:
    tg.manual_seed(seed)
    m = MODELS[model]()
    o = OPTIMIZERS[opt](m.parameters())
    return m, o, _train_step(m, o)


def _same_state(m1: nn.Module, m2: nn.Module, o1: object, o2: object) -> None:
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert list(s1) == list(s2)
    for k in s1:  # parameters and buffers (BatchNorm running statistics, batch count)
        np.testing.assert_array_equal(s1[k].numpy(), s2[k].numpy(), err_msg=k)
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p1.grad.numpy(), p2.grad.numpy())
    for st1, st2 in zip(o1.state.values(), o2.state.values()):
        for k in st1:
            np.testing.assert_array_equal(np.asarray(st1[k]), np.asarray(st2[k]), err_msg=k)


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("model", sorted(MODELS))
def test_replay_is_bit_identical_to_eager(model: str, opt: str) -> None:
    m1, o1, eager = _setup(model, opt)
    m2, o2, step = _setup(model, opt)
    compiled = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback
        for x, y in _batches(6, (8, 1, 28, 28)):
            a, b = eager(x, y), compiled(x, y)
            assert a.numpy().tobytes() == b.numpy().tobytes()
    assert compiled.replays == 4 and compiled.program is not None
    _same_state(m1, m2, o1, o2)
    if model == "batchnorm":
        bn = m2[1]
        assert bn.num_batches_tracked.item() == 6
        assert not np.array_equal(bn.running_mean.numpy(), np.zeros(4, np.float32))


def test_replay_has_no_graph_and_runs_kernels_on_arrays() -> None:
    m, _, step = _setup("lenet5", "sgd-momentum")
    compiled = tg.compile(step)
    batches = _batches(3, (4, 1, 28, 28))
    for x, y in batches:
        out = compiled(x, y)
    assert out.grad_fn is None and not out.requires_grad
    names = [i.cls.__name__ for i in compiled.program.instrs if isinstance(i, Kernel)]
    # LeNet-5's max pools run inside its fused Conv -> ReLU -> MaxPool kernels (jit/fuse.py)
    assert "Conv" in names and "PoolScatter" in names and "MaxPool" not in names


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_same_batch_recorded_twice_then_new_targets_still_identical(smoothing: float) -> None:
    """cross_entropy's targets become gather indices inside the NLL kernel, so new targets
    replay as data; label smoothing's mask is made by Python from the targets, so that call
    is re-run live on each replay. Both stay exact when the two recorded calls saw the same
    batch."""
    m1, o1, _ = _setup("mlp", "sgd-momentum")
    m2, o2, _ = _setup("mlp", "sgd-momentum")

    eager = _train_step(m1, o1, label_smoothing=smoothing)
    compiled = tg.compile(_train_step(m2, o2, label_smoothing=smoothing))
    same, *others = _batches(4, (8, 1, 28, 28))
    for x, y in [same, same] + others:
        assert eager(x, y).item() == compiled(x, y).item()
    parts = [type(i) for i in compiled.program.instrs]
    assert (LiveCall in parts and LiveBackward in parts) == (smoothing > 0)
    _same_state(m1, m2, o1, o2)


def test_dropout_and_scheduler_replay_identically() -> None:
    def setup() -> tuple:
        tg.manual_seed(3)
        m = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.Dropout(0.5), nn.Linear(16, 10))
        o = tg.optim.SGD(m.parameters(), lr=0.1)
        sched = tg.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)
        return m, o, _train_step(m, o, after=lambda loss: sched.step())

    m1, o1, eager = setup()
    batches = _batches(6, (4, 1, 28, 28))
    eager_losses = [eager(x, y).item() for x, y in batches]
    m2, o2, step = setup()
    compiled = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = [compiled(x, y).item() for x, y in batches]
    assert losses == eager_losses and compiled.replays == 4
    assert o1.param_groups[0]["lr"] == o2.param_groups[0]["lr"] == 0.1 * 0.5**3
    _same_state(m1, m2, o1, o2)


def test_digits_cnn_with_batchnorm_dropout_adamw_and_label_smoothing() -> None:
    def run(compiled: bool) -> tuple[list[float], dict]:
        tg.manual_seed(0)
        m = tg.models.DigitsCNN()
        o = tg.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01)
        step = _train_step(m, o, label_smoothing=0.1)
        f = tg.compile(step) if compiled else step
        tg.manual_seed(1)  # the dropout masks
        losses = [f(x, y).item() for x, y in _batches(5, (8, 1, 8, 8))]
        assert not compiled or f.replays == 3
        return losses, m.state_dict()

    (a, sa), (b, sb) = run(False), run(True)
    assert a == b
    for k in sa:
        np.testing.assert_array_equal(sa[k].numpy(), sb[k].numpy(), err_msg=k)


def test_reduce_lr_on_plateau_given_the_loss_tensor_replays_identically() -> None:
    def setup() -> tuple:
        tg.manual_seed(0)
        m = _mlp()
        o = tg.optim.SGD(m.parameters(), lr=0.5)
        sched = tg.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0, factor=0.5)
        # sched.step gets the loss Tensor: a replay passes it the replayed loss. (Called through
        # the object: a method bound before recording would bypass the recorder, docs/jit.md.)
        return o, _train_step(m, o, after=lambda loss: sched.step(loss))

    batches = _batches(6, (8, 1, 28, 28))
    o1, eager = setup()
    o2, step = setup()
    compiled = tg.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [compiled(x, y).item() for x, y in batches] == [
            eager(x, y).item() for x, y in batches
        ]
    assert o1.param_groups[0]["lr"] == o2.param_groups[0]["lr"] < 0.5 and compiled.replays == 4


def test_new_shapes_fall_back_to_eager_with_a_warning() -> None:
    m1, _, eager = _setup("mlp", "adam")
    m2, _, step = _setup("mlp", "adam")
    compiled = tg.compile(step)
    for x, y in _batches(3, (8, 1, 28, 28)):
        eager(x, y), compiled(x, y)
    (x, y) = _batches(1, (5, 1, 28, 28))[0]
    with pytest.warns(tg.CompileWarning, match=r"inputs differ.*\(5, 1, 28, 28\)"):
        b = compiled(x, y)
    assert b.numpy().tobytes() == eager(x, y).numpy().tobytes()
    assert b.grad_fn is not None  # it ran eagerly
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p1.numpy(), p2.numpy())


def test_an_input_of_another_layout_falls_back() -> None:
    w = nn.Parameter(tg.ones(3, 2))
    compiled = tg.compile(lambda x: (x @ w).sum())
    for _ in range(3):
        compiled(tg.ones(4, 3))
    transposed = tg.Tensor(np.ones((3, 4), np.float32)).T  # same shape, other strides
    with pytest.warns(tg.CompileWarning, match=r"strides \(4, 16\)"):
        assert compiled(transposed).item() == 24.0


def test_data_dependent_control_flow_falls_back() -> None:
    w = nn.Parameter(tg.ones(3))
    calls = []

    def step(x: tg.Tensor) -> tg.Tensor:
        calls.append(1)
        y = x * w
        if len(calls) % 2 == 0:  # a different op sequence on the second call
            y = y.relu()
        return y.sum()

    compiled = tg.compile(step)
    compiled(tg.ones(3))
    with pytest.warns(tg.CompileWarning, match="two calls did different things"):
        compiled(tg.ones(3))
    assert compiled.program is None
    assert compiled(tg.ones(3)).item() == 3.0 and len(calls) == 3  # eager from now on


def test_changed_parameter_or_mode_falls_back() -> None:
    m, _, step = _setup("batchnorm", "sgd-momentum")
    compiled = tg.compile(step)
    batches = _batches(4, (4, 1, 28, 28))
    for x, y in batches[:3]:
        compiled(x, y)
    m.eval()
    with pytest.warns(tg.CompileWarning, match="training changed"):
        compiled(*batches[3])
    m2, _, step2 = _setup("mlp", "sgd-momentum")
    compiled2 = tg.compile(step2)
    for x, y in batches[:3]:
        compiled2(x, y)
    m2[1].weight.requires_grad_(False)
    with pytest.warns(tg.CompileWarning, match="requires_grad=True"):
        compiled2(*batches[3])


@pytest.mark.parametrize(
    "body, why",
    [
        (lambda x, w: tg.grad((x * w).sum(), w)[0].sum(), "tg.grad"),
        (lambda x, w: (x * w).add_(1.0).sum(), "in-place"),
    ],
)
def test_what_cannot_be_replayed_falls_back(body: object, why: str) -> None:
    w = nn.Parameter(tg.ones(3))
    compiled = tg.compile(lambda x: body(x, w))
    with pytest.warns(tg.CompileWarning, match=why):
        first = compiled(tg.ones(3))
    assert compiled(tg.ones(3)).item() == first.item() and compiled.program is None


def test_array_made_from_the_data_by_the_step_itself_falls_back() -> None:
    w = nn.Parameter(tg.ones(3))

    def step(x: tg.Tensor) -> tg.Tensor:
        mask = tg.Tensor((x.numpy() > 0).astype(np.float32))  # numpy, outside any op
        return (x * w * mask).sum()

    compiled = tg.compile(step)
    xs = [tg.Tensor([1.0, -1.0, 2.0]), tg.Tensor([-1.0, 1.0, 2.0]), tg.Tensor([3.0, 1.0, -2.0])]
    compiled(xs[0])
    with pytest.warns(tg.CompileWarning, match="computed from the step's data outside any op"):
        compiled(xs[1])
    assert compiled(xs[2]).item() == 4.0 and compiled.program is None


def test_memory_plan_frees_every_intermediate() -> None:
    _, _, step = _setup("lenet5", "sgd-momentum")
    compiled = tg.compile(step)
    batches = _batches(3, (4, 1, 28, 28))
    for x, y in batches:
        compiled(x, y)
    prog = compiled.program
    freed = [s for ins in prog.instrs for s in ins.free]
    assert len(freed) == len(set(freed))
    made = {s for s, k in enumerate(prog.kinds) if k == MADE}
    outputs = {prog.outputs[1]}
    assert set(freed) == made - outputs  # every intermediate is dropped after its last use
    held = sum(v.nbytes for v in prog.values if isinstance(v, np.ndarray))
    held += sum(t.numpy().nbytes for t, *_ in prog.guards if not isinstance(t, nn.Parameter))
    assert held < batches[0][0].numpy().nbytes  # no array of the recorded calls is kept


def _owned_grads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``owned`` flag of every .grad a replay sets (True: the op's array itself)."""
    from tinygrad_cnn.jit import program

    seen: list[bool] = []
    real = program.accumulate_leaf_grad

    def spy(t: object, g: np.ndarray, owned: bool = False) -> None:
        seen.append(owned)
        real(t, g, owned)

    monkeypatch.setattr(program, "accumulate_leaf_grad", spy)
    return seen


def test_a_replay_hands_its_own_gradient_arrays_to_grad_not_copies(monkeypatch) -> None:
    _, _, step = _setup("lenet5", "sgd-momentum")
    compiled = tg.compile(step)
    batches = _batches(3, (4, 1, 28, 28))
    for x, y in batches[:2]:
        compiled(x, y)
    seen = _owned_grads(monkeypatch)
    compiled(*batches[2])
    assert seen == [True] * 10  # LeNet-5's weights and biases, transposed views included


def test_a_gradient_array_shared_by_two_leaves_is_copied_for_one(monkeypatch) -> None:
    a = tg.Tensor(np.arange(4, dtype=np.float32), requires_grad=True)
    b = tg.Tensor(np.ones(4, np.float32), requires_grad=True)

    def step(x: tg.Tensor) -> tg.Tensor:
        a.grad = b.grad = None
        loss = ((a + b) * x).sum()  # add's backward hands one array (x's copy) to both leaves
        loss.backward()
        return loss

    compiled = tg.compile(step)
    x = tg.Tensor(np.full(4, 6.0, np.float32))
    compiled(x), compiled(x)
    seen = _owned_grads(monkeypatch)
    compiled(x)
    assert seen == [False, True]
    assert a.grad.numpy() is not b.grad.numpy()
    a.grad.numpy()[:] = 0  # editing one .grad in place (as gradient clipping does)
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 6.0, np.float32))
    np.testing.assert_array_equal(compiled(x).numpy(), step(x).numpy())
    np.testing.assert_array_equal(a.grad.numpy(), np.full(4, 6.0, np.float32))


def test_grad_assigned_in_the_step_is_replayed() -> None:
    w = tg.Tensor(np.arange(3, dtype=np.float32), requires_grad=True)

    def step(x: tg.Tensor) -> tg.Tensor:
        w.grad = None  # not zero_grad: a plain assignment, re-run as a host call
        loss = (w * x).sum()
        loss.backward()
        return loss

    compiled = tg.compile(step)
    x = tg.Tensor(np.full(3, 2.0, np.float32))
    for _ in range(4):
        compiled(x)
        np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 2.0, np.float32))
    assert compiled.replays == 2

    def step_set(x: tg.Tensor) -> tg.Tensor:
        w.grad = None
        (w * x).sum().backward()
        w.grad = w.grad * 3  # a Tensor the recorded ops made: its slot is assigned
        return w.grad

    compiled = tg.compile(step_set)
    for _ in range(4):
        np.testing.assert_array_equal(compiled(x).numpy(), np.full(3, 6.0, np.float32))
        np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 6.0, np.float32))
    assert compiled.replays == 2


def test_grads_edited_in_place_between_replays_stay_identical_to_eager() -> None:
    m1, o1, _ = _setup("mlp", "sgd-momentum")
    m2, o2, _ = _setup("mlp", "sgd-momentum")

    def clipped(m: nn.Module, o: object) -> object:
        def step(x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
            o.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            return loss

        return step

    eager, compiled = clipped(m1, o1), tg.compile(clipped(m2, o2))
    for x, y in _batches(5, (8, 1, 28, 28)):
        a, b = eager(x, y), compiled(x, y)
        assert a.numpy().tobytes() == b.numpy().tobytes()
        for p1, p2 in zip(m1.parameters(), m2.parameters()):
            p1.grad.numpy()[...] *= 0.5  # in place, outside the step
            p2.grad.numpy()[...] *= 0.5
        o1.step(), o2.step()
    _same_state(m1, m2, o1, o2)


def _traced(fn: object, x: tg.Tensor, y: tg.Tensor) -> tuple[int, int]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    fn(x, y)
    now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return now - before, peak - before


def test_replay_memory_is_bounded_and_no_larger_than_eager() -> None:
    m1, _, eager = _setup("lenet5", "sgd-momentum")
    _, _, step = _setup("lenet5", "sgd-momentum")
    compiled = tg.compile(step)
    x, y = _batches(1, (32, 1, 28, 28))[0]
    eager(x, y)
    _, eager_peak = _traced(eager, x, y)
    recording = [_traced(compiled, x, y)[1] for _ in range(2)]
    # a recording keeps no array alive that eager mode frees (weak references only)
    assert max(recording) <= eager_peak * 1.25, (recording, eager_peak)
    for _ in range(2):
        eager(x, y), compiled(x, y)
    eager_growth, eager_peak = _traced(eager, x, y)
    growth, peak = zip(*[_traced(compiled, x, y) for _ in range(3)])
    params = sum(p.numpy().nbytes for p in m1.parameters())
    assert all(g <= 4 * params for g in growth)  # the new .grad arrays, nothing kept per step
    assert max(peak) <= eager_peak * 1.05


def test_program_draws_as_dot(tmp_path: object) -> None:
    _, _, step = _setup("mlp", "sgd-momentum")
    compiled = tg.compile(step)
    with pytest.raises(RuntimeError, match="nothing compiled yet"):
        compiled.to_dot()
    for x, y in _batches(3, (4, 1, 28, 28)):
        compiled(x, y)
    dot = compiled.to_dot()
    assert dot.startswith('digraph "step"') and "Linear" in dot and "SGD.step" in dot
    assert "NLL" in dot and "ScatterTargets" in dot and "step output" in dot
    path = viz.render(dot, tmp_path / "program.gv")
    assert path.read_text() == dot


def test_a_compiled_step_inside_another_runs_eagerly_there() -> None:
    w = nn.Parameter(tg.ones(2))
    inner = tg.compile(lambda x: x * w)
    for _ in range(3):
        inner(tg.ones(2))
    assert inner.replays == 1
    outer = tg.compile(lambda x: inner(x).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [outer(tg.full((2,), 2.0)).item() for _ in range(4)] == [4.0] * 4
    assert outer.replays == 2 and inner.replays == 1  # recorded through inner's own ops


def test_decorator_and_argument_errors() -> None:
    w = nn.Parameter(tg.ones(2))

    @tg.compile
    def step(x: tg.Tensor, scale: float = 2.0) -> tg.Tensor:
        return (x * w * scale).sum()

    assert step.__name__ == "step"
    assert [step(tg.ones(2)).item() for _ in range(3)] == [4.0, 4.0, 4.0]
    assert step.replays == 1
    with pytest.warns(tg.CompileWarning, match="inputs differ"):
        assert step(tg.ones(2), scale=3.0).item() == 6.0
    with pytest.raises(TypeError, match="numpy array"):
        step(np.ones(2, np.float32))
    with pytest.raises(TypeError, match="expected a function"):
        tg.compile(3)
