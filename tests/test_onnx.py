"""ONNX export and load: round trips through onnxruntime, a committed PyTorch export (and a
live one where torch is installed), training a loaded model, and hostile files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
tox = pytest.importorskip("tinygrad_cnn.onnx")

DATA = Path(__file__).resolve().parent / "data"


class BasicBlock(nn.Module):
    """A ResNet basic block with a strided, projecting shortcut, then global pooling."""

    def __init__(self, cin: int = 4, cout: int = 8) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout)
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cout, 3)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)) + self.short(x))
        return self.fc(self.pool(y).flatten(1))


class AutoEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, stride=2)
        )
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(8, 4, 3, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
        )  # fmt: skip

    def forward(self, x):
        return self.dec(self.enc(x))


def _randomize_stats(model):
    """Non-trivial BatchNorm statistics, as after training."""
    rng = np.random.default_rng(0)
    for name, buf in model.named_buffers():
        if name.endswith("running_mean"):
            buf.data[...] = rng.uniform(-0.5, 0.5, buf.shape)
        elif name.endswith("running_var"):
            buf.data[...] = rng.uniform(0.5, 2.0, buf.shape)
    return model


MODELS = {
    "lenet5": (lambda: tg.models.LeNet5(), (1, 28, 28)),
    "digits_cnn": (lambda: tg.models.DigitsCNN(), (1, 8, 8)),
    "cifar_vgg": (lambda: tg.models.CifarVGG(width=4), (3, 32, 32)),
    "resnet_block": (BasicBlock, (4, 9, 9)),
    "autoencoder": (AutoEncoder, (1, 15, 15)),
}


def _ours(model, x):
    with tg.no_grad():
        return model(tg.Tensor(x)).numpy()


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_matches_onnxruntime_at_batch_1_and_3(name, tmp_path):
    tg.manual_seed(0)
    make, shape = MODELS[name]
    model = _randomize_stats(make()).eval()
    path = tmp_path / f"{name}.onnx"
    tox.export(model, tg.randn(1, *shape), path)
    session = ort.InferenceSession(str(path))
    loaded = tox.load(path)
    rng = np.random.default_rng(1)
    for batch in (1, 3):
        x = rng.standard_normal((batch, *shape)).astype(np.float32)
        want = _ours(model, x)
        (got,) = session.run(None, {"input": x})
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(_ours(loaded, x), want, atol=1e-4, rtol=1e-4)


GEOMETRY = {
    "dilated_grouped_conv_ceil_pool": lambda: nn.Sequential(
        nn.Conv2d(2, 4, 3, dilation=2, groups=2), nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)
    ),
    "avg_pool_no_pad_count_grouped_transpose": lambda: nn.Sequential(
        nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
        nn.ConvTranspose2d(2, 4, 3, stride=2, groups=2, dilation=2),
    ),
    "avg_pool_ceil": lambda: nn.AvgPool2d(3, 2, ceil_mode=True),
    "adaptive_even_then_log_softmax": lambda: nn.Sequential(
        nn.AdaptiveAvgPool2d((3, 2)), nn.Flatten(), nn.Linear(12, 3), nn.LogSoftmax(1)
    ),
    "adaptive_uneven_windows": lambda: nn.AdaptiveAvgPool2d(4),  # 9 -> 4: as matrix products
}


@pytest.mark.parametrize("name", list(GEOMETRY))
def test_window_geometry_round_trips(name, tmp_path):
    tg.manual_seed(0)
    model, path = GEOMETRY[name]().eval(), tmp_path / "g.onnx"
    tox.export(model, tg.randn(1, 2, 12, 9), path)
    x = np.random.default_rng(0).standard_normal((3, 2, 12, 9)).astype(np.float32)
    (got,) = ort.InferenceSession(str(path)).run(None, {"input": x})
    np.testing.assert_allclose(got, _ours(model, x), atol=1e-5)
    np.testing.assert_allclose(_ours(tox.load(path), x), _ours(model, x), atol=1e-5)


def test_export_writes_composites_as_single_nodes_and_names_initializers(tmp_path):
    model = _randomize_stats(BasicBlock()).eval()
    path = tmp_path / "block.onnx"
    tox.export(model, tg.randn(2, 4, 9, 9), path)
    proto = onnx.load(str(path))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 3 and ops.count("BatchNormalization") == 3
    assert "GlobalAveragePool" in ops and "Gemm" in ops
    for primitive in ("Sub", "Pow", "MatMul", "ReduceSum"):
        assert primitive not in ops, ops
    conv1 = next(n for n in proto.graph.node if n.input[1] == "conv1.weight")
    attrs = {a.name: list(a.ints) for a in conv1.attribute if a.ints}
    assert attrs["strides"] == [2, 2] and attrs["pads"] == [1, 1, 1, 1]
    inits = {t.name for t in proto.graph.initializer}
    assert inits == {k for k in model.state_dict() if not k.endswith("num_batches_tracked")}
    dim0 = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim0.dim_param == "batch"


def test_export_leaves_the_model_as_it_was(tmp_path):
    model = tg.models.DigitsCNN()
    model.conv1.weight.requires_grad_(False)
    tox.export(model, tg.randn(1, 1, 8, 8), tmp_path / "m.onnx")
    assert model.training and not model.conv1.weight.requires_grad


def test_static_batch_and_names(tmp_path):
    path = tmp_path / "m.onnx"
    model = tg.models.LeNet5()
    tox.export(model, tg.randn(2, 1, 28, 28), path, dynamic_batch=False,
               input_names=["image"], output_names=["logits"])  # fmt: skip
    proto = onnx.load(str(path))
    assert proto.graph.input[0].name == "image" and proto.graph.output[0].name == "logits"
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    with pytest.raises(ValueError, match="input_names must be 1"):
        tox.export(model, tg.randn(1, 1, 28, 28), path, input_names=["a", "b"])


def test_activations_softmax_pad_and_avg_pool(tmp_path):
    model = nn.Sequential(
        nn.Conv2d(2, 3, 2, padding="same"), nn.LeakyReLU(0.2), nn.AvgPool2d(2, padding=1),
        nn.ELU(), nn.Tanh(), nn.Flatten(), nn.Linear(27, 4), nn.GELU(), nn.SiLU(), nn.Softmax(1),
    )  # fmt: skip
    path = tmp_path / "act.onnx"
    tox.export(model, tg.randn(1, 2, 5, 5), path)
    x = np.random.default_rng(0).standard_normal((3, 2, 5, 5)).astype(np.float32)
    (got,) = ort.InferenceSession(str(path)).run(None, {"input": x})
    np.testing.assert_allclose(got, _ours(model, x), atol=1e-5)
    np.testing.assert_allclose(_ours(tox.load(path), x), _ours(model, x), atol=1e-5)


def test_tensor_methods_marked_composite_become_single_nodes(tmp_path):
    # the Tensor methods are being marked composite under torch's names; marked here by hand
    from tinygrad_cnn.autograd import composite

    marked = {
        name: composite(name)(getattr(tg.Tensor, name))
        for name in ("flatten", "softmax", "log_softmax", "leaky_relu", "elu", "softplus")
    }

    class Marked(nn.Module):
        def forward(self, x):
            x = marked["elu"](marked["leaky_relu"](x, 0.2), 0.5)
            y = marked["flatten"](marked["softplus"](x, 2.0), 1)
            return marked["softmax"](y, 1), marked["log_softmax"](y, -1)

    path = tmp_path / "marked.onnx"
    tox.export(Marked(), tg.randn(1, 2, 3, 3), path)
    ops = [n.op_type for n in onnx.load(str(path)).graph.node]
    for op in ("LeakyRelu", "Elu", "Softplus", "Flatten", "Softmax", "LogSoftmax"):
        assert op in ops, ops
    assert "Where" not in ops and "Exp" not in ops
    x = np.random.default_rng(0).standard_normal((3, 2, 3, 3)).astype(np.float32) * 3
    got = ort.InferenceSession(str(path)).run(None, {"input": x})
    with tg.no_grad():
        want = [t.numpy() for t in Marked()(tg.Tensor(x))]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-5)


def test_unmapped_op_error_names_it_and_its_module(tmp_path):
    class Unfolder(nn.Module):
        def forward(self, x):
            return F.unfold(x, 2)

    model = nn.Sequential(nn.Conv2d(1, 2, 3), Unfolder())
    with pytest.raises(ValueError, match=r"unfold .*in module '1' \(Unfolder\)"):
        tox.export(model, tg.randn(1, 1, 6, 6), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_reshape_mixing_the_batch_dim_needs_a_static_batch(tmp_path):
    class Merge(nn.Module):
        def forward(self, x):
            return x.reshape(-1)

    with pytest.raises(ValueError, match="dynamic_batch=False"):
        tox.export(Merge(), tg.randn(2, 3, requires_grad=True), tmp_path / "m.onnx")
    tox.export(Merge(), tg.randn(2, 3), tmp_path / "m.onnx", dynamic_batch=False)


def test_importing_the_framework_does_not_import_onnx():
    import subprocess
    import sys

    code = "import sys, tinygrad_cnn; print('onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_two_inputs_concat_and_default_names(tmp_path):
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3, padding=1)

        def forward(self, x, y):
            return tg.cat([self.conv(x), y], dim=1).permute(0, 2, 3, 1)

    model, path = TwoInputs(), tmp_path / "two.onnx"
    tox.export(model, (tg.randn(1, 1, 4, 4), tg.randn(1, 3, 4, 4)), path)
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal((3, c, 4, 4)).astype(np.float32) for c in (1, 3))
    (got,) = ort.InferenceSession(str(path)).run(None, {"input0": x, "input1": y})
    with tg.no_grad():
        want = model(tg.Tensor(x), tg.Tensor(y)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(tox.load(path)(x, y).numpy(), want, atol=1e-6)


def test_bad_arguments_are_clear_errors(tmp_path):
    model = tg.models.LeNet5()
    with pytest.raises(ValueError, match="opset must be an int from 13"):
        tox.export(model, tg.randn(1, 1, 28, 28), tmp_path / "m.onnx", opset=7)
    with pytest.raises(TypeError, match="example_input 0 must be a Tensor"):
        tox.export(model, [[1.0]], tmp_path / "m.onnx")
    with pytest.raises(FileNotFoundError, match="no such file"):
        tox.load(tmp_path / "missing.onnx")


# -- a PyTorch export -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["torch_small_cnn.onnx", "torch_small_cnn_view.onnx"])
def test_committed_pytorch_export_loads_matches_and_trains(name):
    ref = np.load(DATA / "torch_small_cnn.npz")
    model = tox.load(DATA / name)
    x = tg.Tensor(ref["input"])
    np.testing.assert_allclose(model(x).numpy(), ref["output"], atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(model(x[:1]).numpy(), ref["output"][:1], atol=1e-4, rtol=1e-4)
    params = dict(model.named_parameters())
    assert len(params) == 6 and "fc.weight" in params  # two convs (BN folded) and the linear
    before = {k: p.numpy().copy() for k, p in params.items()}
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    F.cross_entropy(model(x), tg.Tensor(np.array([0, 1, 2]))).backward()
    opt.step()
    for k, p in params.items():
        assert not np.array_equal(before[k], p.numpy()), f"{k} did not change"


def test_loaded_model_passes_check_model_grads_and_draws():
    model = tox.load(DATA / "torch_small_cnn.onnx").double()
    x = tg.randn(2, 1, 8, 8, dtype="float64")
    result = tg.check_model_grads(model, x, tg.Tensor(np.array([1, 3])))
    assert result.ok, result
    pytest.importorskip("graphviz")
    out = model(x)
    from tinygrad_cnn.viz import draw_graph

    source = draw_graph(out, params=model).source
    for name, _ in model.named_parameters():  # every parameter is drawn under its name
        assert f'label="{name}' in source


def test_live_pytorch_export(tmp_path, torch_answer):
    # PyTorch's export of this run (live) or of the recording run (its bytes, replayed)
    x = np.random.default_rng(5).standard_normal((5, 1, 8, 8)).astype(np.float32)
    maker_source = (DATA / "make_torch_onnx.py").read_text()

    def export_on_torch(torch):
        import importlib.util

        path = DATA / "make_torch_onnx.py"
        spec = importlib.util.spec_from_file_location("make_torch_onnx", path)
        maker = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(maker)
        torch_model = maker.build(view=True)
        maker.export(torch_model, torch.tensor(x), tmp_path / "torch.onnx")
        with torch.no_grad():
            want = torch_model(torch.tensor(x)).numpy()
        return np.frombuffer((tmp_path / "torch.onnx").read_bytes(), np.uint8), want

    exported, want = torch_answer(export_on_torch, x, maker_source)
    (tmp_path / "live.onnx").write_bytes(exported.tobytes())
    got = tox.load(tmp_path / "live.onnx")(tg.Tensor(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


# -- refusing bad files -------------------------------------------------------------------------


def _lenet_file(tmp_path) -> Path:
    path = tmp_path / "lenet.onnx"
    tox.export(tg.models.LeNet5(), tg.randn(1, 1, 28, 28), path)
    return path


def test_unsupported_ops_are_listed_together_before_running(tmp_path):
    from onnx import helper

    proto = onnx.load(str(_lenet_file(tmp_path)))
    extra = [
        helper.make_node("Hardmax", ["output"], ["h"]),
        helper.make_node("TopK", ["h", "k"], ["t", "i"]),
        helper.make_node("Hardmax", ["t"], ["h2"]),
    ]
    proto.graph.node.extend(extra)
    path = tmp_path / "bad.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ValueError, match=r"2 unsupported op type\(s\): Hardmax \(x2\), TopK"):
        tox.load(path)


def test_truncated_file_is_a_clear_error(tmp_path):
    data = _lenet_file(tmp_path).read_bytes()
    for cut in (7, len(data) // 2, len(data) - 3):
        bad = tmp_path / f"cut{cut}.onnx"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="onnx.load"):
            tox.load(bad)
    (tmp_path / "junk.onnx").write_bytes(b"not a model at all \x00\xff" * 10)
    with pytest.raises(ValueError, match="onnx.load"):
        tox.load(tmp_path / "junk.onnx")


def test_huge_declared_tensor_is_refused_without_allocating(tmp_path):
    proto = onnx.load(str(_lenet_file(tmp_path)))
    init = proto.graph.initializer[0]
    del init.dims[:]
    init.dims.extend([1 << 20, 1 << 20, 1 << 10])  # 4 PiB of float32 declared, 600 bytes held
    path = tmp_path / "huge.onnx"
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(ValueError, match="declares shape .* but the file holds"):
        tox.load(path)


def test_huge_constant_node_and_constant_of_shape_are_refused(tmp_path):
    from onnx import TensorProto, helper

    big = TensorProto(name="c", data_type=TensorProto.FLOAT, dims=[1 << 40])  # no data
    node = helper.make_node("Constant", [], ["y"], value=big)
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    path = tmp_path / "c.onnx"
    onnx.save(helper.make_model(helper.make_graph([node], "g", [], [out])), str(path))
    with pytest.raises(ValueError, match="declares shape"):
        tox.load(path)
    shape = helper.make_tensor("s", TensorProto.INT64, [3], [1 << 20, 1 << 20, 1 << 20])
    nodes = [
        helper.make_node("Constant", [], ["s"], value=shape),
        helper.make_node("ConstantOfShape", ["s"], ["y"]),
    ]
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [], [out])), str(path))
    with pytest.raises(ValueError, match="refusing to create it"):
        tox.load(path)()


def test_external_data_outside_the_folder_is_refused(tmp_path):
    from onnx import TensorProto

    proto = onnx.load(str(_lenet_file(tmp_path)))
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x00" * 4096)
    init = proto.graph.initializer[0]
    init.ClearField("raw_data")
    init.data_location = TensorProto.EXTERNAL
    for location in ("../secret.bin", str(secret)):
        del init.external_data[:]
        entry = init.external_data.add()
        entry.key, entry.value = "location", location
        folder = tmp_path / "model"
        folder.mkdir(exist_ok=True)
        (folder / "m.onnx").write_bytes(proto.SerializeToString())
        with pytest.raises(ValueError, match="outside the model's folder"):
            tox.load(folder / "m.onnx")


def test_external_data_inside_the_folder_loads(tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    proto = onnx.load(str(_lenet_file(tmp_path)))
    onnx.save(proto, str(folder / "m.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)  # fmt: skip
    x = tg.randn(2, 1, 28, 28)
    want = tox.load(tmp_path / "lenet.onnx")(x).numpy()
    np.testing.assert_allclose(tox.load(folder / "m.onnx")(x).numpy(), want, atol=1e-6)
    (folder / "weights.bin").write_bytes(b"\x00" * 10)  # now shorter than declared
    with pytest.raises(ValueError, match="missing or shorter"):
        tox.load(folder / "m.onnx")


def test_wrong_input_shape_is_a_clear_error(tmp_path):
    model = tox.load(_lenet_file(tmp_path))
    with pytest.raises(ValueError, match=r"input 'input' has shape \(2, 1, 8, 8\) but the graph"):
        model(tg.randn(2, 1, 8, 8))


# -- the command line ---------------------------------------------------------------------------


def test_export_command_writes_a_runnable_file(tmp_path, capsys):
    from tinygrad_cnn.cli import main
    from tinygrad_cnn.training import TrainConfig

    model = _randomize_stats(tg.models.DigitsCNN())
    config = json.dumps(TrainConfig(data="digits").__dict__, sort_keys=True)
    ckpt = tmp_path / "checkpoint.npz"
    tg.save({"model": model.state_dict(), "config": config, "epoch": 1}, ckpt)
    out = tmp_path / "digits.onnx"
    assert main(["export", str(ckpt), str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    (got,) = ort.InferenceSession(str(out)).run(None, {"input": x})
    np.testing.assert_allclose(got, _ours(model.eval(), x), atol=1e-4)
    assert main(["export", str(tmp_path / "missing.npz"), str(out)]) == 2
    assert os.path.getsize(out) > 0
