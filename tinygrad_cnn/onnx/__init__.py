"""ONNX interchange: ``export`` writes a Module as an .onnx file (for onnxruntime and any other
ONNX runtime), ``load`` reads an .onnx file (ours or PyTorch's) back as a trainable Module.

Needs the ``onnx`` extra (``pip install 'tinygrad-cnn[onnx]'``); ``import tinygrad_cnn`` never
imports it.
"""

from __future__ import annotations

from .export import export
from .load import OnnxModel, load

__all__ = ["export", "load", "OnnxModel"]
