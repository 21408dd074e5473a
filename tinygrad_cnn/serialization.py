"""Checkpoints: ``save`` / ``load`` nested state dicts without ever executing code on load.

A checkpoint is an ordinary ``.npz`` archive (a zip of ``.npy`` files, stored uncompressed, so
``numpy.load(path, allow_pickle=False)`` can open it too). One member, ``__meta__.npy``, holds
UTF-8 JSON: a format name, a format version, and the structure of the saved object, whose
arrays are the other members. Nothing is ever unpickled: the structure is JSON and each array is
read from its ``.npy`` header (dtype, shape) and raw bytes, after checking that the sizes agree.

Saving is atomic: the archive is written to a temporary file in the target's directory, flushed
and fsynced, then moved over the target with ``os.replace``; an interrupted save leaves any
previous checkpoint at that path as it was. A save holds an advisory lock on its temporary
while writing; the next save into that directory deletes temporaries of its own naming pattern
(``.<name>.XXXXXXXX.tmp``) whose lock nobody holds, i.e. those of killed saves.

Loading a hostile file is bounded in memory: members must be stored uncompressed (as ``save``
writes them) and their declared sizes must fit in the file before anything is allocated.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import zipfile
from collections import Counter, OrderedDict
from typing import Any

import numpy as np

from .tensor import Tensor

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["save", "load", "CheckpointError", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "tinygrad_cnn.checkpoint"
FORMAT_VERSION = 1
_META = "__meta__.npy"
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: plain bytes, no objects
_MAX_META_BYTES = 256 * 1024 * 1024


# dict subclasses that come back as themselves (a fixed list: the file names a type, never code)
_DICT_TYPES: dict[Any, type] = {"OrderedDict": OrderedDict, "Counter": Counter}
_DICT_TYPES_BY_CLASS = {cls: name for name, cls in _DICT_TYPES.items()}


class CheckpointError(ValueError):
    """A file that is not a readable tinygrad_cnn checkpoint (truncated, corrupt, foreign, or
    written by an unknown format version). The message names the path and what is wrong.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'bad.npz')
    >>> with open(path, 'wb') as f:
    ...     _ = f.write(b'not a checkpoint')
    >>> try:
    ...     load(path)
    ... except CheckpointError as e:
    ...     print(type(e).__name__)
    CheckpointError
    """


# -- encoding: Python object -> JSON tree + list of arrays ---------------------------------------
def _encode(obj: Any, arrays: list[np.ndarray], where: str, active: set[int]) -> Any:
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):  # NOTE: after bool, which is an int subclass
        return int(obj)
    if isinstance(obj, float):
        return {"float": float(obj).hex()}  # hex keeps every bit, nan and inf included
    if isinstance(obj, Tensor):
        return {"tensor": _add_array(obj.data, arrays, where), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        return {"array": _add_array(obj, arrays, where)}
    if isinstance(obj, np.generic):
        return {"scalar": _add_array(np.asarray(obj), arrays, where)}
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: {where} contains itself (a reference cycle)")
        active.add(id(obj))
        try:
            if isinstance(obj, dict):
                items = []
                for k, v in obj.items():
                    if not (k is None or isinstance(k, (bool, int, float, str, tuple))):
                        raise TypeError(
                            f"save: dict key {k!r} at {where} has type {type(k).__name__}; keys "
                            "must be str, int, float, bool, None or tuples of those"
                        )
                    sub = f"{where}[{k!r}]"
                    items.append([_encode(k, arrays, sub, active), _encode(v, arrays, sub, active)])
                kind = _DICT_TYPES_BY_CLASS.get(type(obj))
                return {"dict": items, "type": kind} if kind else {"dict": items}
            enc = [_encode(v, arrays, f"{where}[{i}]", active) for i, v in enumerate(obj)]
            return enc if isinstance(obj, list) else {"tuple": enc}
        finally:
            active.discard(id(obj))
    raise TypeError(
        f"save: cannot store {type(obj).__name__} at {where}; a checkpoint holds dicts, lists, "
        "tuples, Tensors, numpy arrays, numbers, strings, bools and None (call .state_dict() "
        "on modules and optimizers)"
    )


def _add_array(arr: np.ndarray, arrays: list[np.ndarray], where: str) -> str:
    if arr.dtype.kind not in _ARRAY_KINDS or arr.dtype.hasobject or arr.dtype.fields:
        raise TypeError(
            f"save: array at {where} has dtype {arr.dtype}; only bool, integer, float and complex "
            "arrays can be stored (object arrays would need pickle)"
        )
    arrays.append(arr)
    return f"arr_{len(arrays) - 1}"


# -- decoding: JSON tree + arrays -> Python object -----------------------------------------------
def _decode(node: Any, arrays: dict[str, Any]) -> Any:
    if node is None or isinstance(node, (bool, str)):
        return node
    if isinstance(node, int):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if isinstance(node, dict):
        if set(node) == {"float"} and isinstance(node["float"], str):
            return float.fromhex(node["float"])
        if set(node) == {"tuple"} and isinstance(node["tuple"], list):
            return tuple(_decode(v, arrays) for v in node["tuple"])
        if set(node) in ({"dict"}, {"dict", "type"}) and isinstance(node["dict"], list):
            kind = node.get("type", "dict")
            if kind != "dict" and (not isinstance(kind, str) or kind not in _DICT_TYPES):
                raise ValueError(f"unknown dict type {str(kind)[:40]!r} in the structure")
            out = _DICT_TYPES.get(kind, dict)()
            for pair in node["dict"]:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ValueError("a dict entry is not a [key, value] pair")
                key = _decode(pair[0], arrays)
                if isinstance(key, (list, dict, np.ndarray, Tensor)):
                    raise ValueError(f"a dict key has unhashable type {type(key).__name__}")
                out[key] = _decode(pair[1], arrays)
            return out
        if set(node) == {"array"}:
            return arrays[_ref(node["array"], arrays)]
        if set(node) == {"scalar"}:
            arr = arrays[_ref(node["scalar"], arrays)]
            if arr.ndim != 0:
                raise ValueError(f"scalar {node['scalar']} has shape {arr.shape}, expected ()")
            return arr[()]
        if set(node) == {"tensor", "requires_grad"} and isinstance(node["requires_grad"], bool):
            arr = arrays[_ref(node["tensor"], arrays)]
            rg = node["requires_grad"] and arr.dtype.kind in "fc"
            return Tensor._wrap(arr, rg)
    raise ValueError(f"unrecognised entry in the structure: {str(node)[:80]}")


def _ref(name: Any, arrays: dict[str, Any]) -> str:
    if not isinstance(name, str) or name not in arrays:
        raise ValueError(f"the structure refers to a missing array {name!r}")
    return name


# -- the archive ---------------------------------------------------------------------------------
def _write_archive(f: Any, meta: bytes, arrays: list[np.ndarray]) -> None:
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        members = [(_META, np.frombuffer(meta, dtype=np.uint8))]
        members += [(f"arr_{i}.npy", a) for i, a in enumerate(arrays)]
        for name, arr in members:
            with zf.open(name, "w", force_zip64=True) as m:
                np.lib.format.write_array(m, arr, allow_pickle=False)


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """Read one .npy member from its header and raw bytes; never unpickles, never over-allocates."""
    with zf.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"member {info.filename} has unsupported .npy version {version}")
        if dtype.hasobject or dtype.kind not in _ARRAY_KINDS or dtype.fields:
            raise ValueError(
                f"member {info.filename} has dtype {dtype}, which is not a plain numeric dtype "
                "(object arrays are refused: loading them would need pickle)"
            )
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        header_len = fp.tell()
        if nbytes != info.file_size - header_len:
            raise ValueError(
                f"member {info.filename} declares shape {shape} of {dtype} ({nbytes} bytes) but "
                f"holds {info.file_size - header_len} bytes"
            )
        buf = bytearray(nbytes)
        if fp.readinto(buf) != nbytes:
            raise ValueError(f"member {info.filename} is truncated")
        if fp.read(1):  # NOTE: reading to the end makes zipfile check the member's CRC-32
            raise ValueError(f"member {info.filename} is longer than its header says")
    arr = np.frombuffer(buf, dtype=dtype)
    if fortran:
        return np.ascontiguousarray(arr.reshape(shape[::-1]).T)
    return arr.reshape(shape)


def _check_members(infos: list[zipfile.ZipInfo], file_size: int) -> None:
    """Refuse what ``save`` never writes before a byte is inflated or allocated: compressed
    members (a small file could expand to gigabytes) and declared sizes beyond the file."""
    total = 0
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(
                f"member {info.filename} is compressed (method {info.compress_type}); "
                "checkpoints are written uncompressed, so this file was not written by save"
            )
        if info.file_size != info.compress_size:
            raise ValueError(
                f"member {info.filename} declares {info.file_size} bytes but stores "
                f"{info.compress_size}"
            )
        total += info.file_size
        if info.header_offset + info.compress_size > file_size or total > file_size:
            raise ValueError(
                f"member {info.filename} declares {info.file_size} bytes, more than the "
                f"{file_size}-byte file holds (truncated or forged sizes)"
            )


def _read_archive(f: Any) -> Any:
    file_size = os.fstat(f.fileno()).st_size
    try:
        zf = zipfile.ZipFile(f)
    except zipfile.BadZipFile as e:
        raise ValueError(f"truncated or corrupt archive ({e})") from None
    with zf:
        _check_members(zf.infolist(), file_size)
        infos = {i.filename: i for i in zf.infolist()}
        if _META not in infos:
            shown = ", ".join(sorted(infos)[:5]) or "none"
            raise ValueError(
                f"a zip archive without {_META}, so not a tinygrad_cnn checkpoint "
                f"(its members: {shown})"
            )
        if infos[_META].file_size > _MAX_META_BYTES:
            raise ValueError(f"{_META} is implausibly large ({infos[_META].file_size} bytes)")
        raw = _read_npy(zf, infos[_META])
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"{_META} has dtype {raw.dtype} and shape {raw.shape}")
        meta = json.loads(raw.tobytes().decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ValueError(f"its {_META} does not name the format {FORMAT_NAME!r}")
        version = meta.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"invalid format version field {version!r}")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"it was written in checkpoint format version {version}, but this tinygrad_cnn "
                f"reads versions up to {FORMAT_VERSION}; upgrade tinygrad_cnn to load it"
            )
        names = meta.get("arrays")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("its array list is missing or malformed")
        arrays = {}
        for name in names:
            info = infos.get(name + ".npy")
            if info is None:
                raise ValueError(f"member {name}.npy is missing")
            arrays[name] = _read_npy(zf, info)
        return _decode(meta.get("tree"), arrays)


# -- public API ----------------------------------------------------------------------------------
def _umask() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _lock(fd: int) -> bool:
    """An exclusive, non-blocking advisory lock on ``fd``; False where another process (or
    another open of the file) holds it. The kernel drops it when its holder dies."""
    if fcntl is None:  # pragma: no cover - no advisory locks on this platform
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _remove_stale_temporaries(directory: str, base: str, own: str) -> None:
    """Delete ``.<base>.XXXXXXXX.tmp`` files left by saves that were killed (SIGKILL, power
    loss): a temporary is stale when no living process holds its lock."""
    if fcntl is None:  # pragma: no cover
        return
    pattern = re.compile(re.escape(f".{base}.") + r"[A-Za-z0-9_]{8}\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        full = os.path.join(directory, name)
        if not pattern.fullmatch(name) or full == own:
            continue
        with contextlib.suppress(OSError):
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if _lock(fd):
                    os.unlink(full)
            finally:
                os.close(fd)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save a (nested) state dict to ``path`` atomically; ``load`` reads it back.

    ``obj`` may nest dicts, lists and tuples of Tensors, numpy arrays, numbers, strings, bools
    and None. Dtypes and shapes are kept exactly; Tensors come back as Tensors.

    >>> import os, tempfile, numpy as np, tinygrad_cnn as tg
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> tg.save({"w": tg.ones(2, 3), "epoch": 4, "lr": 0.1, "note": None}, path)
    >>> ck = tg.load(path)
    >>> ck["w"].shape, ck["w"].dtype, ck["epoch"], ck["lr"], ck["note"]
    ((2, 3), dtype('float32'), 4, 0.1, None)
    """
    path = os.fspath(path)
    arrays: list[np.ndarray] = []
    tree = _encode(obj, arrays, "obj", set())
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "arrays": [f"arr_{i}" for i in range(len(arrays))],
        "tree": tree,
    }
    meta_bytes = json.dumps(meta, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        _lock(fd)  # held until closed: tells other savers this temporary is alive
        _remove_stale_temporaries(directory, os.path.basename(path), tmp)
        with os.fdopen(fd, "wb") as f:
            _write_archive(f, meta_bytes, arrays)
            f.flush()
            os.fsync(f.fileno())
        # NOTE: mkstemp makes the file private (0600); give it the mode a plain open() would
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # persist the rename itself (POSIX); not possible on every platform, so best effort
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def load(path: str | os.PathLike) -> Any:
    """Load an object written by ``save``. Never executes code from the file.

    A file that is truncated, corrupt, foreign (a pickle, a plain zip, random bytes) or from an
    unknown format version raises ``CheckpointError`` naming the path and the problem.

    >>> import os, tempfile, tinygrad_cnn as tg
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.npz")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"not a checkpoint")
    >>> tg.load(path)
    Traceback (most recent call last):
    ...
    tinygrad_cnn.serialization.CheckpointError: load: ...bad.npz is not a tinygrad_cnn ...
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: checkpoint {path} does not exist")
    with open(path, "rb") as f:
        head = f.read(4)
        f.seek(0)
        if head[:1] == b"\x80":
            raise CheckpointError(
                f"load: {path} is not a tinygrad_cnn checkpoint: it looks like a pickle file "
                "(e.g. from pickle.dump or an old torch.save), which tinygrad_cnn never unpickles"
            )
        if head != b"PK\x03\x04":
            what = "it is empty" if not head else f"it starts with bytes {head!r}, not a zip/npz"
            raise CheckpointError(f"load: {path} is not a tinygrad_cnn checkpoint: {what}")
        try:
            return _read_archive(f)
        except CheckpointError:
            raise
        except MemoryError:
            raise CheckpointError(
                f"load: {path}: out of memory while reading it (its arrays are larger than "
                "the memory available)"
            ) from None
        except Exception as e:  # NOTE: any failure to parse is the file's fault
            raise CheckpointError(
                f"load: {path} is not a tinygrad_cnn checkpoint: {e} ({type(e).__name__})"
            ) from e
