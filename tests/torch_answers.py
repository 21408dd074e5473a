"""PyTorch's side of a live comparison: computed with torch where it is installed, replayed from
tests/goldens/live/<test file>.npz where it is not (`make goldens` records them).

A test asks for the `torch_answer` fixture and calls it with a function of the torch module that
returns numpy arrays (a nested tuple/list/dict of arrays, Python scalars, strings or None), plus
the inputs that function reads. The inputs are hashed: replay fails with "run `make goldens`"
when they changed since the answer was recorded. A torch exception is recorded too and replayed
as `TorchRaised` carrying torch's exception type name and message.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

LIVE_DIR = Path(__file__).parent / "goldens" / "live"
RECORD = os.environ.get("TG_GOLDENS") == "record"
STALE = "run `make goldens` (needs torch==2.13.0 CPU) to record PyTorch's answer"


class TorchRaised(Exception):
    """PyTorch raised `type_name` with `message` when the answer was recorded."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message = type_name, message


def _feed(h: Any, v: Any) -> None:
    if isinstance(v, np.ndarray) or type(v).__module__.startswith("numpy"):
        a = np.asarray(v)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes() if a.dtype != object else repr(a).encode())
    elif isinstance(v, (list, tuple)):
        h.update(f"{type(v).__name__}{len(v)}".encode())
        for x in v:
            _feed(h, x)
    elif isinstance(v, dict):
        for k in sorted(v, key=repr):
            _feed(h, k)
            _feed(h, v[k])
    elif hasattr(v, "numpy") and hasattr(v, "shape"):  # a tinygrad_cnn Tensor
        _feed(h, v.numpy())
    else:
        h.update(repr(v).encode())


def inputs_hash(inputs: Any) -> str:
    h = hashlib.sha256()
    _feed(h, inputs)
    return h.hexdigest()[:16]


def _flatten(v: Any, leaves: list[np.ndarray]) -> Any:
    """A JSON description of `v` with each array leaf replaced by its index in `leaves`."""
    if hasattr(v, "detach") and hasattr(v, "numpy"):  # a torch tensor that slipped through
        v = v.detach().numpy()
    if isinstance(v, np.ndarray) or type(v).__module__ == "numpy":
        leaves.append(np.asarray(v))
        return {"a": len(leaves) - 1}
    if v is None or isinstance(v, (bool, int, float, str)):
        return {"py": v} if not isinstance(v, float) or np.isfinite(v) else {"f": repr(v)}
    if isinstance(v, dict):
        return {"d": [[_flatten(k, leaves), _flatten(x, leaves)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return {type(v).__name__: [_flatten(x, leaves) for x in v]}
    if hasattr(v, "is_floating_point"):  # a torch dtype
        return {"py": str(v)}
    raise TypeError(f"torch_answer: cannot record a {type(v).__name__}; return numpy arrays")


def _unflatten(spec: Any, leaves: dict[int, np.ndarray]) -> Any:
    ((kind, body),) = spec.items()
    if kind == "a":
        return leaves[body]
    if kind == "py":
        return body
    if kind == "f":
        return float(body)
    if kind == "d":
        return {_unflatten(k, leaves): _unflatten(x, leaves) for k, x in body}
    items = [_unflatten(x, leaves) for x in body]
    return tuple(items) if kind == "tuple" else items


def _encode(value: Any, error: BaseException | None) -> dict[str, np.ndarray]:
    if error is not None:
        spec: Any = {"raise": [type(error).__name__, str(error)]}
        leaves: list[np.ndarray] = []
    else:
        leaves = []
        spec = _flatten(value, leaves)
    out = {"spec": np.asarray(json.dumps(spec))}
    out.update({str(i): a for i, a in enumerate(leaves)})
    return out


def _decode(entry: dict[str, np.ndarray]) -> Any:
    spec = json.loads(str(entry["spec"]))
    if "raise" in spec:
        raise TorchRaised(*spec["raise"])
    leaves = {int(k): v for k, v in entry.items() if k.isdigit()}
    return _unflatten(spec, leaves)


class Store:
    """The recorded answers of one test session: loaded lazily per test file, and in record
    mode collected and written at the end of the session."""

    def __init__(self) -> None:
        self.loaded: dict[str, dict[str, np.ndarray]] = {}
        self.recorded: dict[str, dict[str, np.ndarray]] = {}

    def _file(self, stem: str) -> dict[str, np.ndarray]:
        if stem not in self.loaded:
            path = LIVE_DIR / f"{stem}.npz"
            self.loaded[stem] = dict(np.load(path)) if path.exists() else {}
        return self.loaded[stem]

    def replay(self, stem: str, key: str, digest: str) -> Any:
        data = self._file(stem)
        entry = {k[len(key) + 1 :]: v for k, v in data.items() if k.startswith(key + "|")}
        if not entry:
            raise AssertionError(f"no recorded PyTorch answer for {key}: {STALE}")
        if str(entry.pop("hash")) != digest:
            raise AssertionError(f"the inputs of {key} changed since it was recorded: {STALE}")
        return _decode(entry)

    def record(self, stem: str, key: str, digest: str, value: Any, error: Any) -> None:
        entry = _encode(value, error)
        entry["hash"] = np.asarray(digest)
        self.recorded.setdefault(stem, {}).update({f"{key}|{k}": v for k, v in entry.items()})

    def write(self) -> list[Path]:
        LIVE_DIR.mkdir(parents=True, exist_ok=True)
        paths = []
        for stem, data in sorted(self.recorded.items()):
            path = LIVE_DIR / f"{stem}.npz"
            np.savez_compressed(path, **data)
            paths.append(path)
        return paths


def make_answer(store: Store, nodeid: str, torch: Any) -> Callable[..., Any]:
    """The callable the `torch_answer` fixture hands to one test."""
    file_part, _, test_part = nodeid.partition("::")
    stem, calls = Path(file_part).stem, [0]

    def answer(compute: Callable[[Any], Any], *inputs: Any) -> Any:
        key = f"{test_part}#{calls[0]}"
        calls[0] += 1
        digest = inputs_hash(inputs)
        if torch is None:
            return store.replay(stem, key, digest)
        try:
            value, error = compute(torch), None
        except Exception as e:  # recorded, then re-raised for the live test
            value, error = None, e
        if RECORD:
            store.record(stem, key, digest, value, error)
        if error is not None:
            raise TorchRaised(type(error).__name__, str(error)) from error
        return _decode(_encode(value, None))

    answer.Raised = TorchRaised  # type: ignore[attr-defined]
    answer.assert_signatures_match = functools.partial(assert_signatures_match, answer)  # type: ignore[attr-defined]
    return answer


def signature(fn: Any) -> list[tuple[str, str, Any]]:
    """(name, kind, default) of each parameter, as values an answer can record."""

    def plain(default: Any) -> Any:
        if default is inspect.Parameter.empty:
            return "<no default>"
        simple = default is None or isinstance(default, (bool, int, float, str, tuple))
        return default if simple else repr(default)

    return [
        (p.name, p.kind.name, plain(p.default)) for p in inspect.signature(fn).parameters.values()
    ]


def assert_signatures_match(
    answer: Any, functional: Any, nn: Any, functions: list[str], modules: list[str]
) -> None:
    """Our `functional.<f>` and `nn.<M>` (constructor and forward) have torch's signatures."""

    def compute(torch: Any) -> Any:
        fs = {name: signature(getattr(torch.nn.functional, name)) for name in functions}
        ms = {
            n: (signature(getattr(torch.nn, n)), signature(getattr(torch.nn, n).forward))
            for n in modules
        }
        return fs, ms

    fs, ms = answer(compute, functions, modules)
    for name in functions:
        assert signature(getattr(functional, name)) == fs[name], name
    for name in modules:
        ours = getattr(nn, name)
        assert signature(ours) == ms[name][0], name
        assert signature(ours.forward) == ms[name][1], name
