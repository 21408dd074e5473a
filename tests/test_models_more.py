"""ResNet (BasicBlock, resnet18 / resnet20), MobileNetV2 and UNet: shapes, state-dict keys,
errors, a few training steps on the built-in digits with the loss falling, and equivalence with
the same architectures written in PyTorch (same state-dict keys and shapes; one seeded state dict
loaded into both gives the same outputs in eval mode; PyTorch's side live where installed, else
replayed from tests/goldens/live/)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import models


@pytest.fixture(scope="module")
def digits_batch():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)
    x = (x[:48] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return tg.Tensor(x), tg.Tensor(y[:48].astype(np.int64))


def _train(model, x, target, steps, lr=3e-3):
    tg.manual_seed(0)
    opt = tg.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_resnet_structure_and_errors():
    m = models.resnet20(num_classes=5, in_channels=1)
    keys = list(m.state_dict())
    assert keys[:2] == ["conv1.weight", "bn1.weight"] and keys[-2:] == ["fc.weight", "fc.bias"]
    assert "layer2.0.downsample.0.weight" in keys and "layer3.2.bn2.running_var" in keys
    assert "layer1.0.downsample.0.weight" not in keys and "layer4.0.conv1.weight" not in keys
    # stem 160, stages 14016 + 51648 + 205696 (two 1x1 shortcuts with BN), fc 325
    assert sum(p.numel() for p in m.parameters()) == 271_861
    assert m(tg.zeros(2, 1, 8, 8)).shape == (2, 5)
    big = models.resnet18(small_input=False)
    assert big.conv1.weight.shape == (64, 3, 7, 7) and big(tg.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="ResNet: layers .* and widths"):
        models.ResNet(models.BasicBlock, [2, 2], widths=(8,))


def test_resnet20_trains_on_digits(digits_batch):
    x, y = digits_batch
    losses = _train(models.resnet20(in_channels=1), x, y, steps=6)
    assert losses[-1] < 0.8 * losses[0]


def test_mobilenet_v2_structure_and_training(digits_batch):
    full = models.MobileNetV2()
    assert sum(p.numel() for p in full.parameters()) == 3_504_872  # torchvision's count
    x, y = digits_batch
    x16 = F.interpolate(x, size=(16, 16), mode="bilinear")
    small = [[1, 8, 1, 1], [4, 16, 2, 2], [4, 24, 2, 2]]
    net = models.MobileNetV2(10, inverted_residual_setting=small, in_channels=1, dropout=0.0)
    assert net.features[2].use_res_connect is False and net.features[3].use_res_connect is True
    losses = _train(net, x16, y, steps=8, lr=1e-2)
    assert losses[-1] < 0.8 * losses[0]
    with pytest.raises(ValueError, match=r"\[t, c, n, s\] rows"):
        models.MobileNetV2(inverted_residual_setting=[[1, 2, 3]])


def test_unet_segments_digits(digits_batch):
    x, _ = digits_batch
    x16 = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False)
    mask = tg.Tensor((x16.numpy()[:, 0] > 0.3).astype(np.int64))  # per-pixel: ink or paper
    net = models.UNet(in_channels=1, num_classes=2, base=4, depth=2)
    assert net(x16).shape == (48, 2, 16, 16)
    losses = _train(net, x16, mask, steps=8, lr=1e-2)
    assert losses[-1] < 0.8 * losses[0]
    keys = list(models.UNet().state_dict())
    assert keys[0] == "inc.double_conv.0.weight" and keys[-1] == "outc.bias"
    assert "down4.maxpool_conv.1.double_conv.3.weight" in keys and "up1.up.weight" in keys
    odd = models.UNet(1, 2, base=2, depth=2, bilinear=True)
    assert odd(tg.zeros(1, 1, 9, 11)).shape == (1, 2, 9, 11)  # padded skip joins
    with pytest.raises(ValueError, match="too small for depth 2"):
        odd(tg.zeros(1, 1, 3, 8))


# -- the same architectures in PyTorch ---------------------------------------------------------


def _torch_defs(torch):
    tnn = torch.nn

    class BasicBlock(tnn.Module):
        def __init__(self, cin, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, planes, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet(tnn.Module):
        def __init__(self, layers, widths, num_classes, cin, small):
            super().__init__()
            w0 = widths[0]
            self.conv1 = tnn.Conv2d(
                cin, w0, 3 if small else 7, 1 if small else 2, 1 if small else 3, bias=False
            )  # noqa: E501
            self.bn1, self.relu = tnn.BatchNorm2d(w0), tnn.ReLU()
            self.maxpool = tnn.Identity() if small else tnn.MaxPool2d(3, 2, 1)
            inplanes = w0
            for i, (n, w) in enumerate(zip(layers, widths)):
                stride = 1 if i == 0 else 2
                down = None
                if stride != 1 or inplanes != w:
                    down = tnn.Sequential(
                        tnn.Conv2d(inplanes, w, 1, stride, bias=False), tnn.BatchNorm2d(w)
                    )
                blocks = [BasicBlock(inplanes, w, stride, down)]
                blocks += [BasicBlock(w, w) for _ in range(1, n)]
                setattr(self, f"layer{i + 1}", tnn.Sequential(*blocks))
                inplanes = w
            self.n = len(layers)
            self.avgpool, self.fc = tnn.AdaptiveAvgPool2d(1), tnn.Linear(widths[-1], num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for i in range(self.n):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(self.avgpool(x).flatten(1))

    def cbr(cin, cout, k=3, s=1, g=1):
        return tnn.Sequential(
            tnn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=g, bias=False),
            tnn.BatchNorm2d(cout),
            tnn.ReLU6(),
        )

    class InvertedResidual(tnn.Module):
        def __init__(self, inp, oup, stride, t):
            super().__init__()
            hidden = int(round(inp * t))
            self.res = stride == 1 and inp == oup
            layers = [cbr(inp, hidden, 1)] if t != 1 else []
            layers += [
                cbr(hidden, hidden, 3, stride, hidden),
                tnn.Conv2d(hidden, oup, 1, bias=False),
            ]  # noqa: E501
            self.conv = tnn.Sequential(*layers, tnn.BatchNorm2d(oup))

        def forward(self, x):
            return x + self.conv(x) if self.res else self.conv(x)

    class MobileNetV2(tnn.Module):
        def __init__(self, setting, cin, num_classes, first=8, last=64):
            super().__init__()
            feats, c = [cbr(cin, first, 3, 2)], first
            for t, out, n, s in setting:
                for i in range(n):
                    feats.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                    c = out
            feats.append(cbr(c, last, 1))
            self.features = tnn.Sequential(*feats)
            self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(last, num_classes))

        def forward(self, x):
            return self.classifier(self.features(x).mean((2, 3)))

    class DoubleConv(tnn.Module):
        def __init__(self, cin, cout, mid=None):
            super().__init__()
            mid = mid or cout
            self.double_conv = tnn.Sequential(
                tnn.Conv2d(cin, mid, 3, padding=1, bias=False), tnn.BatchNorm2d(mid), tnn.ReLU(),
                tnn.Conv2d(mid, cout, 3, padding=1, bias=False), tnn.BatchNorm2d(cout), tnn.ReLU(),
            )  # fmt: skip

        def forward(self, x):
            return self.double_conv(x)

    class Down(tnn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.maxpool_conv = tnn.Sequential(tnn.MaxPool2d(2), DoubleConv(cin, cout))

        def forward(self, x):
            return self.maxpool_conv(x)

    class Up(tnn.Module):
        def __init__(self, cin, cout, bilinear):
            super().__init__()
            if bilinear:
                self.up = tnn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
                self.conv = DoubleConv(cin, cout, cin // 2)
            else:
                self.up = tnn.ConvTranspose2d(cin, cin // 2, 2, stride=2)
                self.conv = DoubleConv(cin, cout)

        def forward(self, x, skip):
            x = self.up(x)
            dy, dx = skip.shape[2] - x.shape[2], skip.shape[3] - x.shape[3]
            x = torch.nn.functional.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
            return self.conv(torch.cat([skip, x], 1))

    class UNet(tnn.Module):  # the common PyTorch U-Net, with depth 2 and a chosen base width
        def __init__(self, cin, ncls, b, bilinear):
            super().__init__()
            f = 2 if bilinear else 1
            self.inc, self.down1 = DoubleConv(cin, b), Down(b, 2 * b)
            self.down2 = Down(2 * b, 4 * b // f)
            self.up1, self.up2 = Up(4 * b, 2 * b // f, bilinear), Up(2 * b, b, bilinear)
            self.outc = tnn.Conv2d(b, ncls, 1)

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            return self.outc(self.up2(self.up1(self.down2(x2), x2), x1))

    return ResNet, MobileNetV2, UNet


SMALL_SETTING = [[1, 8, 1, 1], [4, 16, 2, 2], [3, 24, 2, 2]]
OURS = [
    (lambda: models.resnet20(7, 1), (1, 8, 8)),
    (lambda: models.resnet18(4, 3, small_input=False), (3, 32, 32)),
    (
        lambda: models.MobileNetV2(5, inverted_residual_setting=SMALL_SETTING, in_channels=1),
        (1, 16, 16),
    ),
    (lambda: models.UNet(2, 3, base=4, depth=2), (2, 12, 16)),
    (lambda: models.UNet(1, 2, base=4, depth=2, bilinear=True), (1, 8, 12)),
]


def _theirs(torch, case):
    """The PyTorch model of OURS[case]."""
    ResNet, MobileNetV2, UNet = _torch_defs(torch)
    return [
        lambda: ResNet([3, 3, 3], (16, 32, 64), 7, 1, True),
        lambda: ResNet([2, 2, 2, 2], (64, 128, 256, 512), 4, 3, False),
        lambda: MobileNetV2(SMALL_SETTING, 1, 5, first=32, last=1280),
        lambda: UNet(2, 3, 4, False),
        lambda: UNet(1, 2, 4, True),
    ][case]()


def _weights(ours, seed):
    """Seeded values for every entry of `ours`' state dict: PyTorch's default init range for
    conv/linear weights, and non-trivial BatchNorm affine parameters and running statistics."""
    rng, sd = np.random.default_rng(seed), ours.state_dict()
    out = {}
    for key, v in sd.items():
        shape, leaf = v.shape, key.rsplit(".", 1)[-1]
        in_norm = key[: -len(leaf)] + "running_mean" in sd
        if leaf == "num_batches_tracked":
            a = np.zeros(shape)
        elif leaf in ("running_var", "weight") and in_norm:
            a = rng.random(shape) + 0.5
        elif leaf in ("running_mean", "bias") and in_norm:
            a = rng.standard_normal(shape) * 0.1
        else:  # a weight, or a bias with its layer's weight: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            w_shape = shape if leaf != "bias" else sd[key[: -len(leaf)] + "weight"].shape
            bound = 1 / np.sqrt(np.prod(w_shape[1:]))
            a = rng.uniform(-bound, bound, shape)
        out[key] = a.astype(v.numpy().dtype)
    return out


def _torch_outputs(case, sd, x):
    """PyTorch's state-dict keys and shapes, and its eval-mode output with `sd` loaded."""

    def compute(torch):
        theirs = _theirs(torch, case)
        tsd = theirs.state_dict()
        keys, shapes = list(tsd), [tuple(v.shape) for v in tsd.values()]
        if keys != list(sd) or shapes != [a.shape for a in sd.values()]:
            return keys, shapes, None
        theirs.load_state_dict({k: torch.from_numpy(a) for k, a in sd.items()})
        theirs.eval()
        with torch.no_grad():
            return keys, shapes, theirs(torch.from_numpy(x)).numpy()

    return compute


@pytest.mark.parametrize("case", range(5))
def test_pytorch_state_dicts_load_unchanged_and_match(case, torch_answer):
    make_ours, shape = OURS[case]
    ours = make_ours()
    sd = _weights(ours, case)
    x = np.random.default_rng(case).standard_normal((2, *shape)).astype(np.float32)
    keys, shapes, ref = torch_answer(_torch_outputs(case, sd, x), case, sd, x)
    assert keys == list(ours.state_dict())
    assert shapes == [v.shape for v in ours.state_dict().values()]
    ours.load_state_dict(sd)
    ours.eval()
    np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-5)
