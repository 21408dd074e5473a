"""models: shapes, parameter counts, the factory, summary figures, PyTorch equivalence of the
architectures (loading a torch state_dict gives the same outputs), and that DigitsCNN learns."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import models, nn


def test_factory_and_registry():
    assert set(models.MODELS) == {"lenet5", "digits_cnn", "cifar_vgg"}
    for name, cls in models.MODELS.items():
        m = models.get_model(name)
        assert type(m) is cls
        assert m(tg.zeros(2, *m.input_shape)).shape == (2, 10)
    assert models.get_model("cifar_vgg", num_classes=4, width=8)(tg.zeros(1, 3, 32, 32)).shape == (
        1,
        4,
    )
    assert type(models.get_model("LeNet5")) is models.LeNet5
    with pytest.raises(ValueError, match="unknown model 'resnet'.*lenet5"):
        models.get_model("resnet")
    with pytest.raises(TypeError):
        models.get_model("lenet5", bogus=1)


def test_lenet5_architecture_and_summary():
    m = models.LeNet5()
    keys = list(m.state_dict())
    assert keys == [
        f"{layer}.{kind}"
        for layer in ("conv1", "conv2", "fc1", "fc2", "fc3")
        for kind in ("weight", "bias")
    ]
    assert m.conv1.weight.shape == (6, 1, 5, 5) and m.conv2.weight.shape == (16, 6, 5, 5)
    assert m.fc1.weight.shape == (120, 256) and m.fc3.weight.shape == (10, 84)
    s = tg.summary(m, (1, 28, 28))
    assert s.total_params == 44426
    shapes = {r["name"]: r["output_shape"] for r in s.rows}
    assert shapes["conv1"] == "(N, 6, 24, 24)" and shapes["pool1"] == "(N, 6, 12, 12)"
    assert shapes["conv2"] == "(N, 16, 8, 8)" and shapes["pool2"] == "(N, 16, 4, 4)"
    assert shapes["flatten"] == "(N, 256)" and shapes["fc3"] == "(N, 10)"
    macs = 6 * 24 * 24 * 25 + 16 * 8 * 8 * 150 + 256 * 120 + 120 * 84 + 84 * 10
    # 2 FLOPs per multiply-add, + bias adds, relus and pooling windows
    extra = (6 * 576 + 16 * 64 + 120 + 84 + 10) + (6 * 576 + 16 * 64 + 120 + 84)
    extra += 6 * 144 * 4 + 16 * 16 * 4
    assert s.flops == 2 * macs + extra
    assert 2 * macs * 64 * 3 == pytest.approx(97e6, rel=0.15)  # DESIGN.md's 97 MFLOP a step


def test_digits_cnn_and_cifar_vgg_structure():
    d = models.DigitsCNN()
    assert d.input_shape == (1, 8, 8)
    assert sum(p.numel() for p in d.parameters()) < 60_000
    v = models.CifarVGG(width=8)
    bns = [m for m in v.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 6
    assert "features.1.running_mean" in v.state_dict()
    v.train()
    v(tg.randn(4, 3, 32, 32))
    assert all(int(b.num_batches_tracked.item()) == 1 for b in bns)
    v.eval()
    x = tg.randn(2, 3, 32, 32)
    np.testing.assert_array_equal(v(x).data, v(x).data)  # eval is deterministic (no dropout)


def _torch_models(torch):
    tnn = torch.nn

    class TLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 6, 5)
            self.conv2 = tnn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = (
                tnn.Linear(256, 120),
                tnn.Linear(120, 84),
                tnn.Linear(84, 10),
            )

        def forward(self, x):
            f = torch.nn.functional
            x = f.max_pool2d(f.relu(self.conv1(x)), 2)
            x = f.max_pool2d(f.relu(self.conv2(x)), 2).flatten(1)
            return self.fc3(f.relu(self.fc2(f.relu(self.fc1(x)))))

    class TDigits(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 16, 3, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(16)
            self.conv2 = tnn.Conv2d(16, 32, 3, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(32)
            self.fc1, self.fc2 = tnn.Linear(512, 64), tnn.Linear(64, 10)

        def forward(self, x):
            f = torch.nn.functional
            x = f.relu(self.bn1(self.conv1(x)))
            x = f.max_pool2d(f.relu(self.bn2(self.conv2(x))), 2).flatten(1)
            return self.fc2(f.relu(self.fc1(x)))

    def block(cin, cout):
        return [
            tnn.Conv2d(cin, cout, 3, padding=1, bias=False),
            tnn.BatchNorm2d(cout),
            tnn.ReLU(),
            tnn.Conv2d(cout, cout, 3, padding=1, bias=False),
            tnn.BatchNorm2d(cout),
            tnn.ReLU(),
            tnn.MaxPool2d(2),
        ]

    class TVGG(tnn.Module):
        def __init__(self, w=8):
            super().__init__()
            self.features = tnn.Sequential(*block(3, w), *block(w, 2 * w), *block(2 * w, 4 * w))
            self.classifier = tnn.Sequential(
                tnn.Flatten(),
                tnn.Linear(64 * w, 256),
                tnn.ReLU(),
                tnn.Dropout(),
                tnn.Linear(256, 10),
            )

        def forward(self, x):
            return self.classifier(self.features(x))

    return [
        (TLeNet(), models.LeNet5, (1, 28, 28)),
        (TDigits(), models.DigitsCNN, (1, 8, 8)),
        (TVGG(), lambda: models.CifarVGG(width=8), (3, 32, 32)),
    ]


def test_models_match_torch_with_its_state_dict():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for tmodel, make, shape in _torch_models(torch):
        model = make()
        tmodel.train()
        with torch.no_grad():
            tmodel(torch.randn(8, *shape))  # give BatchNorm non-trivial running stats
        tmodel.eval()
        model.eval()
        tsd = tmodel.state_dict()
        assert list(tsd) == list(model.state_dict()), type(model).__name__
        model.load_state_dict({k: v.numpy() for k, v in tsd.items()})
        x = rng.standard_normal((4, *shape)).astype(np.float32)
        with torch.no_grad():
            ref = tmodel(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(model(tg.Tensor(x)).data, ref, rtol=1e-4, atol=1e-4)
        # the default initialization draws from the same ranges as PyTorch's
        for (k, ours), (_, theirs) in zip(make().state_dict().items(), tsd.items()):
            if k.endswith("weight") and ours.ndim > 1:
                bound = 1 / np.sqrt(int(np.prod(ours.shape[1:])))
                assert np.abs(ours.data).max() <= bound + 1e-7, k
                assert np.abs(ours.data).max() > 0.9 * np.abs(theirs.numpy()).max(), k


def test_digits_cnn_learns_sklearn_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(x))
    train, test = perm[:1400], perm[1400:]
    tg.manual_seed(0)
    model = models.DigitsCNN()
    opt = tg.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(4):
        model.train()
        order = rng.permutation(train)
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            loss = F.cross_entropy(model(tg.Tensor(x[idx])), tg.Tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with tg.no_grad():
        acc = float((model(tg.Tensor(x[test])).argmax(1).numpy() == y[test]).mean())
    assert acc > 0.93
