"""Ready-made models: LeNet5 (28x28 digits), DigitsCNN (sklearn's 8x8 digits) and CifarVGG
(CIFAR-10), plus the ``get_model(name)`` factory used by the command line; and, taking any
input size, ResNet (BasicBlock; ``resnet18``, ``resnet20``), MobileNetV2 and UNet, with
PyTorch's submodule names so a PyTorch state dict of the same architecture loads unchanged.

The first three have ``input_shape`` (per sample, CHW); every model has ``num_classes``.

>>> import tinygrad_cnn as tg
>>> model = tg.models.get_model("lenet5")
>>> model(tg.zeros(2, *model.input_shape)).shape
(2, 10)
"""

from __future__ import annotations

from typing import Any

from . import nn
from .tensor import Tensor, cat


class LeNet5(nn.Module):
    """The classic CONV-RELU-POOL, CONV-RELU-POOL, FC, FC, FC for 1x28x28 input:
    conv 1->6 5x5, maxpool 2, conv 6->16 5x5, maxpool 2, fc 256->120->84->num_classes.

    >>> import tinygrad_cnn as tg
    >>> LeNet5()(tg.zeros(1, 1, 28, 28)).shape
    (1, 10)
    """

    input_shape = (1, 28, 28)

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.input_shape = (in_channels, 28, 28)
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu3(self.fc1(x))
        x = self.relu4(self.fc2(x))
        return self.fc3(x)


class DigitsCNN(nn.Module):
    """A small CNN for sklearn's 1x8x8 digits: two 3x3 convs (padding 1) each followed by
    BatchNorm and ReLU, a 2x2 max-pool, then dropout and FC 512 -> 64 -> num_classes. About
    38k parameters; with Adam (lr 2e-3, batch 32) it passes 98% test accuracy within a few
    epochs, seconds of training on 2 cores.

    >>> import tinygrad_cnn as tg
    >>> DigitsCNN()(tg.zeros(3, 1, 8, 8)).shape
    (3, 10)
    """

    input_shape = (1, 8, 8)

    def __init__(
        self,
        num_classes: int = 10,
        channels: tuple[int, int] = (16, 32),
        hidden: int = 64,
        dropout: float = 0.25,
    ) -> None:
        super().__init__()
        c1, c2 = channels
        self.num_classes = num_classes
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.fc1 = nn.Linear(c2 * 4 * 4, hidden)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.pool(self.relu2(self.bn2(self.conv2(x))))
        x = self.dropout(self.flatten(x))
        return self.fc2(self.relu3(self.fc1(x)))


def _vgg_block(cin: int, cout: int) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ]


class CifarVGG(nn.Module):
    """A small VGG-style net for 3x32x32 CIFAR-10: three blocks of
    (conv3x3-BN-ReLU) x 2 + maxpool with width, 2*width, 4*width channels (32 -> 4 pixels),
    then FC 4*width*16 -> 256 -> num_classes with dropout.

    >>> import tinygrad_cnn as tg
    >>> CifarVGG(width=8)(tg.zeros(2, 3, 32, 32)).shape
    (2, 10)
    """

    input_shape = (3, 32, 32)

    def __init__(self, num_classes: int = 10, width: int = 32, dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        w = width
        self.features = nn.Sequential(
            *_vgg_block(3, w), *_vgg_block(w, 2 * w), *_vgg_block(2 * w, 4 * w)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(4 * w * 4 * 4, 256),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(256, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


MODELS: dict[str, type[nn.Module]] = {
    "lenet5": LeNet5,
    "digits_cnn": DigitsCNN,
    "cifar_vgg": CifarVGG,
}


def get_model(name: str, **kw: Any) -> nn.Module:
    """Build a model by name ("lenet5", "digits_cnn", "cifar_vgg"); keywords go to its class.

    >>> type(get_model("digits_cnn", hidden=32)).__name__
    'DigitsCNN'
    """
    key = name.lower().replace("-", "_")
    if key not in MODELS:
        raise ValueError(f"get_model: unknown model {name!r}; choose one of {sorted(MODELS)}")
    return MODELS[key](**kw)


__all__ = ["LeNet5", "DigitsCNN", "CifarVGG", "MODELS", "get_model"]

# -- residual, depthwise-separable and encoder-decoder models ----------------------------------
#
# Their submodule names follow torchvision (ResNet, MobileNetV2) and the common PyTorch U-Net
# (inc / down1.maxpool_conv / up1.up / outc), so a PyTorch state dict of the same architecture
# loads unchanged.


def _conv_init(model: nn.Module) -> None:
    """torchvision's initialisation: convs kaiming-normal (fan_out, relu), norms 1 and 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class BasicBlock(nn.Module):
    """ResNet's two-conv residual block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
    with ``downsample`` (1x1 conv + BN) as the shortcut when the shape changes.

    >>> import tinygrad_cnn as tg
    >>> BasicBlock(8, 8)(tg.zeros(1, 8, 4, 4)).shape
    (1, 8, 4, 4)
    """

    expansion = 1

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A ResNet of ``block`` stages (``layers`` blocks each, ``widths`` channels, the first
    stage at stride 1 and the rest at stride 2), global average pooling and ``fc``. With
    ``small_input`` the stem is one 3x3 stride-1 conv (CIFAR-sized images); otherwise it is
    torchvision's 7x7 stride-2 conv and 3x3 max-pool. State-dict keys are torchvision's:
    conv1, bn1, layer1.0.conv1, ..., layer2.0.downsample.0, ..., fc.

    >>> import tinygrad_cnn as tg
    >>> ResNet(BasicBlock, [1, 1], widths=(4, 8), num_classes=3)(tg.zeros(2, 3, 8, 8)).shape
    (2, 3)
    """

    def __init__(
        self,
        block: type[BasicBlock],
        layers: list[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        widths: tuple[int, ...] = (64, 128, 256, 512),
        small_input: bool = False,
    ) -> None:
        super().__init__()
        if len(layers) != len(widths) or not layers:
            raise ValueError(
                f"ResNet: layers {list(layers)} and widths {tuple(widths)} must be non-empty "
                "and of the same length (one entry per stage)"
            )
        self.num_classes = num_classes
        self.inplanes = widths[0]
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, widths[0], 3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, widths[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, padding=1)
        for i, (n, width) in enumerate(zip(layers, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, width, n, 1 if i == 0 else 2))
        self.n_stages = len(layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1] * block.expansion, num_classes)
        _conv_init(self)

    def _make_layer(self, block, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion),
            )
        stage = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        stage += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.n_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes: int = 10, in_channels: int = 3, small_input: bool = True) -> ResNet:
    """ResNet-18 (BasicBlock, [2, 2, 2, 2], widths 64..512); CIFAR-sized (3x3 stem, no
    max-pool) by default, torchvision's ImageNet stem with ``small_input=False``.

    >>> sum(p.numel() for p in resnet18().parameters())
    11173962
    """
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, small_input=small_input)


def resnet20(num_classes: int = 10, in_channels: int = 3) -> ResNet:
    """The CIFAR ResNet-20 of He et al.: a 3x3 stem and three stages of three BasicBlocks
    with 16, 32 and 64 channels (1x1-conv shortcuts where the shape changes).

    >>> import tinygrad_cnn as tg
    >>> resnet20(in_channels=1)(tg.zeros(2, 1, 16, 16)).shape
    (2, 10)
    """
    return ResNet(
        BasicBlock, [3, 3, 3], num_classes, in_channels, widths=(16, 32, 64), small_input=True
    )


def _make_divisible(v: float, divisor: int = 8) -> int:
    """Round channels to a multiple of divisor, never more than 10% below v (torchvision)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _conv_bn_relu6(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1):
    pad = (kernel - 1) // 2
    conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=pad, groups=groups, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU6())


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expansion (if expand_ratio > 1), 3x3 depthwise conv, linear 1x1
    projection; the input is added back when stride is 1 and the channels match.

    >>> import tinygrad_cnn as tg
    >>> InvertedResidual(8, 8, 1, 6)(tg.zeros(1, 8, 4, 4)).shape
    (1, 8, 4, 4)
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride should be 1 or 2, got {stride}")
        self.stride = stride
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_bn_relu6(inp, hidden, kernel=1))
        layers += [
            _conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


_MOBILENET_V2_SETTING = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


class MobileNetV2(nn.Module):
    """MobileNetV2 (torchvision's layout and keys: features.0 stem, features.1.. inverted
    residual blocks, the last 1x1 conv, classifier.1 the Linear). ``inverted_residual_setting``
    lists [expansion t, channels c, repeats n, stride s] per stage; ``width_mult`` scales every
    width; ``in_channels`` is an addition for grey images.

    >>> import tinygrad_cnn as tg
    >>> net = MobileNetV2(num_classes=10, width_mult=0.25, in_channels=1)
    >>> net(tg.zeros(2, 1, 32, 32)).shape
    (2, 10)
    """

    def __init__(
        self,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        inverted_residual_setting: list[list[int]] | None = None,
        round_nearest: int = 8,
        dropout: float = 0.2,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        setting = inverted_residual_setting or _MOBILENET_V2_SETTING
        if any(len(row) != 4 for row in setting):
            raise ValueError(
                "MobileNetV2: inverted_residual_setting must be a list of [t, c, n, s] rows, "
                f"got {setting}"
            )
        self.num_classes = num_classes
        channels = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features: list[nn.Module] = [_conv_bn_relu6(in_channels, channels, stride=2)]
        for t, c, n, s in setting:
            out = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(InvertedResidual(channels, out, s if i == 0 else 1, t))
                channels = out
        features.append(_conv_bn_relu6(channels, self.last_channel, kernel=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(self.last_channel, num_classes)
        )
        _conv_init(self)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = x.mean((2, 3))  # global average pooling
        return self.classifier(x)


class DoubleConv(nn.Module):
    """(3x3 conv, BN, ReLU) twice, the U-Net's unit; keys double_conv.0 ... double_conv.4.

    >>> import tinygrad_cnn as tg
    >>> DoubleConv(1, 4)(tg.zeros(1, 1, 8, 8)).shape
    (1, 4, 8, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, mid_channels: int | None = None):
        super().__init__()
        mid = mid_channels or out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid, 3, padding=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(),
            nn.Conv2d(mid, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.double_conv(x)


class Down(nn.Module):
    """2x2 max-pool then DoubleConv (keys maxpool_conv.1.double_conv...)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x: Tensor) -> Tensor:
        return self.maxpool_conv(x)


class Up(nn.Module):
    """Upsample by 2 (a 2x2 stride-2 transposed conv, or bilinear interpolation), pad to the
    skip connection's size, concatenate [skip, upsampled] on channels, then DoubleConv."""

    def __init__(self, in_channels: int, out_channels: int, bilinear: bool = False) -> None:
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.up(x)
        dy, dx = skip.shape[2] - x.shape[2], skip.shape[3] - x.shape[3]
        if dy or dx:
            x = x.pad((dx // 2, dx - dx // 2, dy // 2, dy - dy // 2))
        return self.conv(cat([skip, x], 1))


class UNet(nn.Module):
    """A U-Net for per-pixel classification: ``inc`` DoubleConv, ``depth`` Down stages
    doubling the width from ``base``, as many Up stages with skip concatenation, and ``outc``
    (a 1x1 conv) giving (N, num_classes, H, W) logits. With base=64, depth=4 it is the common
    PyTorch U-Net (inc, down1..down4, up1..up4, outc), whose state dicts load unchanged.

    >>> import tinygrad_cnn as tg
    >>> UNet(in_channels=1, num_classes=3, base=4, depth=2)(tg.zeros(2, 1, 16, 16)).shape
    (2, 3, 16, 16)
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_classes: int = 2,
        base: int = 64,
        depth: int = 4,
        bilinear: bool = False,
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"UNet: depth must be at least 1, got {depth}")
        self.num_classes, self.depth = num_classes, depth
        factor = 2 if bilinear else 1
        widths = [base * 2**i for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, base)
        for i in range(1, depth + 1):
            out = widths[i] // factor if i == depth else widths[i]
            setattr(self, f"down{i}", Down(widths[i - 1], out))
        for i in range(1, depth + 1):
            cin, cout = widths[depth - i + 1], widths[depth - i]
            setattr(self, f"up{i}", Up(cin, cout // factor if i < depth else cout, bilinear))
        self.outc = nn.Conv2d(base, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        if min(x.shape[2:]) < 2**self.depth:
            raise ValueError(
                f"UNet: input of shape {x.shape} is too small for depth {self.depth}: height and "
                f"width must be at least {2**self.depth}"
            )
        skips = [self.inc(x)]
        for i in range(1, self.depth + 1):
            skips.append(getattr(self, f"down{i}")(skips[-1]))
        x = skips.pop()
        for i in range(1, self.depth + 1):
            x = getattr(self, f"up{i}")(x, skips.pop())
        return self.outc(x)


__all__ += [
    "BasicBlock",
    "ResNet",
    "resnet18",
    "resnet20",
    "InvertedResidual",
    "MobileNetV2",
    "DoubleConv",
    "Down",
    "Up",
    "UNet",
]
