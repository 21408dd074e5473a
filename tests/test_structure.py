"""The structure the design promises: the engine stands alone, one implementation per op, and
every primitive Function is exercised by the op registry."""

from __future__ import annotations

import ast
import inspect
import pathlib

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.autograd import Function
from tinygrad_cnn.op_registry import all_specs, sample_tensors

PKG = pathlib.Path(tg.__file__).parent
ENGINE = ["autograd.py", "graph.py", "tensor.py", "dtypes.py", "creation.py", "random.py"]
ENGINE += [p.name for p in PKG.glob("_tensor_*.py")] + [
    f"ops/{p.name}" for p in PKG.glob("ops/*.py")
]
OUTSIDE = ("nn", "viz", "optim", "data", "commands")


def _imports(path: pathlib.Path) -> list[str]:
    """Every module an engine file imports, at any level (inside functions too), made absolute."""
    tree = ast.parse(path.read_text())
    base = path.relative_to(PKG.parent).with_suffix("").parts[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            parts = list(base[: len(base) - node.level + 1]) if node.level else []
            out.append(".".join(parts + ([node.module] if node.module else [])))
            out += [f"{out[-1]}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


@pytest.mark.parametrize("name", sorted(ENGINE))
def test_engine_imports_nothing_from_the_layers_above(name):
    bad = [
        m
        for m in _imports(PKG / name)
        if m.startswith("tinygrad_cnn.") and m.split(".")[1] in OUTSIDE
    ]
    assert not bad, f"{name} imports {bad}: the engine must not depend on {OUTSIDE}"


def test_tensor_has_no_cnn_methods_pytorch_lacks():
    for name in ("conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "batch_norm", "draw"):
        assert not hasattr(tg.Tensor, name), f"Tensor.{name} is not PyTorch's Tensor API"


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax"])
def test_functional_activations_are_the_tensor_methods(name):
    fn = getattr(F, name)
    assert fn.__wrapped__ is getattr(tg.Tensor, name)
    assert fn.__doc__ == getattr(tg.Tensor, name).__doc__
    assert list(inspect.signature(fn).parameters)[0] == "input"
    with pytest.raises(TypeError, match=f"{name}: input must be a Tensor"):
        fn(np.ones(2))


def test_activation_modules_share_one_pointwise_base():
    from tinygrad_cnn import nn

    acts = [nn.ReLU(), nn.LeakyReLU(0.2), nn.GELU("tanh"), nn.Softplus(2.0), nn.Softmax(1)]
    assert all(isinstance(m, nn.Pointwise) for m in acts)
    x = tg.Tensor([[-1.0, 0.5, 2.0]])
    np.testing.assert_allclose(acts[1](x).numpy(), F.leaky_relu(x, 0.2).numpy())
    np.testing.assert_allclose(acts[2](x).numpy(), F.gelu(x, approximate="tanh").numpy())
    assert repr(acts[3]) == "Softplus(beta=2.0, threshold=20.0)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def _function_classes() -> set[type]:
    import tinygrad_cnn.ops as ops_pkg

    found = set()
    for path in pathlib.Path(ops_pkg.__file__).parent.glob("*.py"):
        mod = __import__(f"tinygrad_cnn.ops.{path.stem}", fromlist=["_"])
        for obj in vars(mod).values():
            if isinstance(obj, type) and issubclass(obj, Function) and obj is not Function:
                if obj.__module__ == mod.__name__:
                    found.add(obj)
    return found


def test_every_primitive_function_is_reached_by_a_registry_sample(monkeypatch):
    reached: set[type] = set()
    original = Function.apply.__func__

    def spy(cls, *args, **kwargs):
        reached.add(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Function, "apply", classmethod(spy))
    for spec in all_specs():
        for sample in spec.samples:
            args = sample_tensors(sample)
            out = spec.fn(*args, **sample.kwargs)
            xs = [a for a in args if isinstance(a, tg.Tensor) and a.requires_grad]
            if not xs or not out.requires_grad:
                continue
            # a grad_output that requires grad reaches the adjoint ops (as gradgradcheck does)
            v = tg.Tensor(np.ones(out.shape), dtype=out.dtype, requires_grad=True)
            grads = tg.grad(out, xs, v, create_graph=True, allow_unused=True)
            total = sum((g * g).sum() for g in grads if g is not None and g.requires_grad)
            if isinstance(total, tg.Tensor):
                tg.grad(total, [*xs, v], allow_unused=True)
    missing = sorted(c.__name__ for c in _function_classes() - reached)
    assert not missing, f"Functions no registry sample reaches: {missing}"
