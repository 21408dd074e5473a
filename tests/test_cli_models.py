"""Your own model on the command line and in fit() (issue 18): `package.module:Class` or
`file.py:Class` with --model-args JSON and --input-shape, progress bars only on a terminal,
--resume that cannot go backwards, mismatched model and data refused before a run directory
is made, config.json naming the model used, eval of a bare state dict."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.cli import main
from tinygrad_cnn.training import TrainConfig, fit, load_model

NET = textwrap.dedent(
    """
    from tinygrad_cnn import nn

    class Net(nn.Module):
        def __init__(self, width=4, num_classes=10):
            super().__init__()
            self.conv = nn.Conv2d(1, width, 3, padding=1)
            self.fc = nn.Linear(width * 4 * 4, num_classes)

        def forward(self, x):
            return self.fc(nn.functional.max_pool2d(self.conv(x).relu(), 2).flatten(1))
    """
)


@pytest.fixture
def net_file(tmp_path):
    path = tmp_path / "mynet.py"
    path.write_text(NET)
    return path


def test_train_graph_gradcheck_eval_take_a_model_from_a_file(net_file, tmp_path, capsys):
    spec = f"{net_file}:Net"
    run = tmp_path / "run"
    args = ["--model", spec, "--model-args", '{"width": 3}']
    assert main(["train", *args, "--epochs", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == spec and config["model_args"] == {"width": 3}
    out = capsys.readouterr()
    assert "\r" not in out.err  # not a terminal: no progress bars
    assert main(["graph", *args, "--input-shape", "2,1,8,8", "--out", str(tmp_path / "g.gv")]) == 0
    text = (tmp_path / "g.gv").read_text()
    assert "conv.weight\\n(3, 1, 3, 3)" in text and "(2, 1, 8, 8)" in text
    assert main(["graph", *args, "--out", str(tmp_path / "h.gv")]) == 2
    assert "--input-shape" in capsys.readouterr().err  # Net declares no input_shape
    assert main(["gradcheck", *args, "--input-shape", "2,1,8,8", "--num-checks", "2"]) == 0
    assert "conv.weight" in capsys.readouterr().out
    assert main(["eval", str(run / "checkpoint.npz")]) == 0
    assert capsys.readouterr().out.startswith(f"{spec} on digits test split")


def test_model_specs_and_their_errors(net_file):
    assert type(load_model("tinygrad_cnn.models:DigitsCNN", {"hidden": 8})).__name__ == "DigitsCNN"
    assert load_model(f"{net_file}:Net", {"width": 2}).conv.weight.shape == (2, 1, 3, 3)
    for spec, args, words in [
        ("resnet", None, "unknown model 'resnet'"),
        ("no_such_pkg.mod:Net", None, "cannot import no_such_pkg.mod"),
        (f"{net_file}:Nope", None, "has no attribute 'Nope'"),
        (f"{net_file.parent / 'missing.py'}:Net", None, "not found"),
        (f"{net_file}:Net", {"depth": 2}, "unexpected keyword argument 'depth'"),
    ]:
        with pytest.raises(ValueError, match=words):
            load_model(spec, args)


def test_bad_flags_say_what_they_want(capsys):
    assert _exit(["train", "--epochs", "abc"]) == 2
    assert "invalid positive integer: 'abc'" in capsys.readouterr().err
    assert _exit(["train", "--model-args", "[1, 2]"]) == 2
    assert "JSON object" in capsys.readouterr().err
    assert _exit(["graph", "--input-shape", "1,a"]) == 2
    assert "positive sizes" in capsys.readouterr().err


def _exit(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code


def test_mismatched_model_and_data_is_refused_before_a_run_directory(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "lenet5", "--epochs", "1", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "model LeNet5 does not fit the digits data" in err and "(1, 8, 8)" in err
    assert not run.exists()


def test_resume_cannot_go_backwards_and_names_ignored_flags(tmp_path, capsys):
    run = tmp_path / "run"
    net = ["--model", "tinygrad_cnn.models:DigitsCNN", "--model-args", '{"hidden": 8}']
    assert main(["train", *net, "--epochs", "1", "--out", str(run)]) == 0
    before = (run / "config.json").read_text()
    ckpt = str(run / "checkpoint.npz")
    assert main(["train", "--epochs", "1", "--resume", ckpt, "--lr", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "already trained 1 epochs" in err and "--epochs 1" in err
    assert "ignoring --lr" in err
    assert (run / "config.json").read_text() == before  # nothing rewritten
    assert main(["train", "--epochs", "2", "--resume", ckpt, "--no-progress"]) == 0
    assert json.loads((run / "config.json").read_text())["epochs"] == 2


def test_fit_trains_any_module_and_records_it(tmp_path):
    tg.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    cfg = TrainConfig(epochs=1, lr=0.01, out=str(tmp_path / "r"))
    summary = fit(cfg, model=net, artifacts=False, log=lambda line: None)
    assert summary["model"] is net and summary["test_accuracy"] > 0.5
    recorded = json.loads((tmp_path / "r" / "config.json").read_text())["model"]
    assert recorded == "tinygrad_cnn.nn.containers:Sequential"
    with pytest.raises(ValueError, match="does not fit the digits data"):
        fit(TrainConfig(epochs=1, out=str(tmp_path / "x")), model=nn.Linear(3, 2), log=print)
    assert not (tmp_path / "x").exists()


def test_eval_of_a_bare_state_dict_says_what_it_needs(tmp_path, capsys):
    from tinygrad_cnn.models import get_model

    tg.manual_seed(0)
    path = tmp_path / "weights.npz"
    tg.save(get_model("digits_cnn").state_dict(), path)
    assert main(["eval", str(path)]) == 2
    err = capsys.readouterr().err
    assert "only a model's weights" in err and "--model" in err and "--data" in err
    assert main(["eval", str(path), "--model", "digits_cnn", "--data", "digits"]) == 0
    assert np.isfinite(float(capsys.readouterr().out.split("accuracy ")[1].split()[0]))


def test_colour_runs_write_a_colour_filter_picture(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg

    from tinygrad_cnn.data import TensorDataset
    from tinygrad_cnn.models import get_model
    from tinygrad_cnn.training import write_artifacts

    tg.manual_seed(0)
    model = get_model("cifar_vgg", width=4)  # what `train --data cifar10` trains
    data = TensorDataset(tg.randn(2, 3, 32, 32), tg.Tensor([0, 1]))
    history = [{"epoch": 1, "train_loss": 1.0, "test_acc": 0.5}]
    paths = write_artifacts(model, data, history, str(tmp_path), log=lambda line: None)
    img = mpimg.imread(paths["filters"])[..., :3]
    assert np.abs(img[..., 0] - img[..., 2]).max() > 0.2  # filters drawn in colour
