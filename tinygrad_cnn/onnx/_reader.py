"""Reading an .onnx file defensively: a truncated or malformed protobuf, a tensor whose declared
size exceeds the data actually present, or external data outside the model's folder gives a
ValueError naming the problem, before anything of the declared size is allocated."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

# typed repeated fields that may hold a tensor's values, by ONNX element type
_FIELDS = {
    1: "float_data",  # FLOAT
    2: "int32_data",  # UINT8
    3: "int32_data",  # INT8
    5: "int32_data",  # INT16
    6: "int32_data",  # INT32
    7: "int64_data",  # INT64
    9: "int32_data",  # BOOL
    10: "int32_data",  # FLOAT16 (bit patterns)
    11: "double_data",  # DOUBLE
}


def read_model(path: str | os.PathLike) -> Any:
    """The ModelProto in ``path`` (external data not read yet), or a clear ValueError."""
    from google.protobuf.message import DecodeError
    from onnx import ModelProto

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"onnx.load: no such file: {path!r}")
    with open(path, "rb") as f:
        data = f.read()
    model = ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as e:
        raise ValueError(
            f"onnx.load: {path!r} is not a valid ONNX file (protobuf decoding failed: {e}); "
            "it may be truncated or not an .onnx file"
        ) from None
    if not model.HasField("graph") or not model.graph.output:
        raise ValueError(
            f"onnx.load: {path!r} holds no graph with outputs; it may be truncated or not an "
            ".onnx file"
        )
    return model


def tensor_to_array(t: Any, base_dir: str, what: str) -> np.ndarray:
    """A TensorProto as a numpy array, checked against the data really present."""
    from onnx import helper

    if any(d < 0 for d in t.dims):
        raise ValueError(f"onnx.load: {what} {t.name!r} has negative dims {list(t.dims)}")
    count = math.prod(int(d) for d in t.dims)
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type))
    except (KeyError, ValueError, TypeError):
        raise ValueError(
            f"onnx.load: {what} {t.name!r} has unsupported element type {t.data_type}"
        ) from None
    if dtype.kind not in "fiub":
        raise ValueError(f"onnx.load: {what} {t.name!r} has unsupported element type {dtype}")
    shape = tuple(int(d) for d in t.dims)
    nbytes = count * dtype.itemsize
    if t.data_location == 1:  # EXTERNAL
        raw = _read_external(t, base_dir, nbytes, what)
    elif t.HasField("raw_data"):
        raw = t.raw_data
    else:
        field = _FIELDS.get(t.data_type)
        values = getattr(t, field) if field is not None else ()
        if len(values) != count:
            raise ValueError(_size_message(what, t.name, shape, dtype, f"{len(values)} values"))
        arr = np.asarray(values)
        if t.data_type == 10:  # float16 stored as uint16 bit patterns
            return arr.astype(np.uint16).view(np.float16).reshape(shape)
        return arr.astype(dtype).reshape(shape)
    if len(raw) != nbytes:
        raise ValueError(_size_message(what, t.name, shape, dtype, f"{len(raw)} bytes"))
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def _size_message(what: str, name: str, shape: tuple, dtype: np.dtype, present: str) -> str:
    return (
        f"onnx.load: {what} {name!r} declares shape {shape} of {dtype} "
        f"({math.prod(shape) * dtype.itemsize} bytes) but the file holds {present}; the file "
        "is truncated or corrupt"
    )


def _read_external(t: Any, base_dir: str, nbytes: int, what: str) -> bytes:
    """Exactly ``nbytes`` from the tensor's external file, which must lie in ``base_dir``."""
    info = {e.key: e.value for e in t.external_data}
    location = info.get("location", "")
    base = os.path.realpath(base_dir)
    target = os.path.realpath(os.path.join(base, location))
    if not location or os.path.isabs(location) or os.path.commonpath([base, target]) != base:
        raise ValueError(
            f"onnx.load: {what} {t.name!r} points to external data {location!r} outside the "
            f"model's folder {base_dir!r}; refusing to read it"
        )
    try:
        offset = int(info.get("offset", 0))
        length = int(info.get("length", nbytes))
    except ValueError:
        raise ValueError(f"onnx.load: {what} {t.name!r} has a non-integer offset/length") from None
    if length != nbytes or offset < 0:
        raise ValueError(
            f"onnx.load: {what} {t.name!r} declares {nbytes} bytes but its external data entry "
            f"says offset {offset}, length {length}"
        )
    if not os.path.isfile(target) or os.path.getsize(target) < offset + nbytes:
        raise ValueError(
            f"onnx.load: {what} {t.name!r} needs {nbytes} bytes at offset {offset} of "
            f"{location!r}, which is missing or shorter"
        )
    with open(target, "rb") as f:
        f.seek(offset)
        return f.read(nbytes)
