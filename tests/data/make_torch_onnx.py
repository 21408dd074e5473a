"""Writes tests/data/torch_small_cnn{,_view}.onnx and tests/data/torch_small_cnn.npz: a small CNN
(conv, batch norm, relu, max and avg pool, flatten, linear) exported by torch.onnx.export, with
an input and PyTorch's output for it, so tests/test_onnx.py checks the loader without torch.
The ``_view`` file flattens with ``x.view(x.size(0), -1)``, which the exporter writes as a
Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain (the dynamic-batch idiom).

Run with torch==2.13.0 installed:  python tests/data/make_torch_onnx.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent


class SmallCNN(nn.Module):
    def __init__(self, view: bool = False) -> None:
        super().__init__()
        self.view = view
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.pool2 = nn.AvgPool2d(2)
        self.fc = nn.Linear(8 * 2 * 2, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool2(torch.relu(self.bn2(self.conv2(x))))
        x = x.view(x.size(0), -1) if self.view else torch.flatten(x, 1)
        return self.fc(x)


def build(view: bool = False) -> SmallCNN:
    torch.manual_seed(0)
    model = SmallCNN(view)
    with torch.no_grad():  # non-trivial running statistics, as after training
        for bn in (model.bn1, model.bn2):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    return model.eval()


def export(model: SmallCNN, x: torch.Tensor, path: Path | str) -> None:
    torch.onnx.export(
        model,
        (x,),
        str(path),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,  # the TorchScript exporter: needs no onnxscript, folds BN into Conv
    )


def main() -> None:
    model = build()
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    export(model, x, HERE / "torch_small_cnn.onnx")
    export(build(view=True), x, HERE / "torch_small_cnn_view.onnx")
    with torch.no_grad():
        y = model(x)
    np.savez(HERE / "torch_small_cnn.npz", input=x.numpy(), output=y.numpy())


if __name__ == "__main__":
    main()
