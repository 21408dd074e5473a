"""The training loop behind `tinygrad-cnn train` and `tinygrad-cnn eval`.

``fit(TrainConfig(...))`` trains a model on a dataset, evaluates it on the held-out split after
every epoch, and writes a run directory: ``checkpoint.npz`` (model, optimizer, epoch, history, RNG
state and config: everything a resume needs), ``metrics.csv``, ``config.json`` and, where the
optional extras are installed, ``graph.svg``, ``filters.png`` and ``curves.png``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import random as _random
from .autograd import no_grad
from .nn import functional as F
from .tensor import Tensor

DEFAULT_MODELS = {
    "digits": "digits_cnn",
    "mnist": "lenet5",
    "fashion-mnist": "lenet5",
    "cifar10": "cifar_vgg",
}
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
CHECKPOINT = "checkpoint.npz"


@dataclass
class TrainConfig:
    """Everything that defines a training run (written to ``config.json``).

    >>> cfg = TrainConfig(data='mnist', epochs=2)
    >>> cfg.resolved_model(), cfg.optimizer, cfg.batch_size
    ('lenet5', 'adam', 32)
    """

    data: str = "digits"
    data_dir: str | None = None
    download: bool = False
    model: str | None = None  # a built-in name, "package.module:Class" or "file.py:Class"
    model_args: dict[str, Any] | None = None  # keywords for the model's constructor
    epochs: int = 15
    batch_size: int = 32
    lr: float = 2e-3
    optimizer: str = "adam"
    seed: int = 0
    out: str | None = None

    mirror: str | None = None
    download_timeout: float = 60.0

    def resolved_model(self) -> str:
        return self.model or DEFAULT_MODELS[self.data]

    @classmethod
    def from_json(cls, text: Any, where: str) -> TrainConfig:
        """The config a checkpoint stores (JSON text), every field checked; a ValueError
        naming ``where`` (the file) and the field otherwise.

        >>> TrainConfig.from_json('{"data": "mnist", "epochs": 3}', "ckpt.npz").epochs
        3
        >>> TrainConfig.from_json('{"epochs": -3}', "ckpt.npz")
        Traceback (most recent call last):
        ...
        ValueError: ckpt.npz: malformed training config: epochs must be a positive int, got -3
        """
        try:
            raw = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            raw = None
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: its training config is not a JSON object")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - fields)
        if unknown:
            raise ValueError(f"{where}: malformed training config: unknown fields {unknown}")
        config = cls(**raw)
        problem = config.problem()
        if problem:
            raise ValueError(f"{where}: malformed training config: {problem}")
        return config

    def problem(self) -> str:
        """What is wrong with this config ("" if nothing)."""
        checks = [
            ("data", self.data in DEFAULT_MODELS, f"one of {list(DEFAULT_MODELS)}"),
            ("epochs", _is_int(self.epochs) and self.epochs > 0, "a positive int"),
            ("batch_size", _is_int(self.batch_size) and self.batch_size > 0, "a positive int"),
            ("lr", _is_real(self.lr) and math.isfinite(self.lr) and self.lr >= 0, "finite >= 0"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"one of {list(OPTIMIZERS)}"),
            ("seed", _is_int(self.seed) and self.seed >= 0, "a non-negative int"),
            ("download", isinstance(self.download, bool), "a bool"),
            (
                "download_timeout",
                _is_real(self.download_timeout) and self.download_timeout > 0,
                "a positive number",
            ),
        ]
        for name, ok, expected in checks:
            if not ok:
                return f"{name} must be {expected}, got {getattr(self, name)!r}"
        for name in ("data_dir", "model", "out", "mirror"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                return f"{name} must be a string or null, got {getattr(self, name)!r}"
        if self.model_args is not None and not isinstance(self.model_args, dict):
            return f"model_args must be a JSON object or null, got {self.model_args!r}"
        return ""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_model(spec: str, model_args: dict[str, Any] | None = None) -> Any:
    """A model from a built-in name (``"lenet5"``), ``"package.module:Class"`` or
    ``"path/to/file.py:Class"``, built with ``model_args`` as keyword arguments.

    >>> type(load_model("tinygrad_cnn.models:LeNet5", {"num_classes": 3}).fc3).__name__
    'Linear'
    >>> load_model("lenet5").num_classes
    10
    """
    from .models import MODELS, get_model

    kwargs = dict(model_args or {})
    if ":" not in spec:
        if spec.lower().replace("-", "_") not in MODELS:
            raise ValueError(
                f"--model: unknown model {spec!r}; use one of {', '.join(sorted(MODELS))}, "
                "or your own as package.module:Class or path/to/file.py:Class"
            )
        return _construct(get_model, spec, kwargs, spec)
    where, _, name = spec.rpartition(":")
    cls = getattr(_import_model_module(where, spec), name, None)
    if cls is None:
        raise ValueError(f"--model {spec}: {where} has no attribute {name!r}")
    model = _construct(cls, None, kwargs, spec)
    if not hasattr(model, "parameters") or not callable(model):
        raise ValueError(f"--model {spec}: {name} built a {type(model).__name__}, not a Module")
    return model


def _import_model_module(where: str, spec: str) -> Any:
    import importlib
    import importlib.util

    if where.endswith(".py") or os.sep in where or "/" in where:
        if not os.path.isfile(where):
            raise ValueError(f"--model {spec}: file {where} not found")
        name = "tinygrad_cnn_user_model_" + os.path.splitext(os.path.basename(where))[0]
        loader = importlib.util.spec_from_file_location(name, where)
        module = importlib.util.module_from_spec(loader)
        sys.modules[name] = module  # so that pickling and dataclasses in it work
        loader.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(where)
    except ImportError as e:
        raise ValueError(f"--model {spec}: cannot import {where} ({e})") from None


def _construct(fn: Any, name: str | None, kwargs: dict[str, Any], spec: str) -> Any:
    try:
        return fn(name, **kwargs) if name is not None else fn(**kwargs)
    except TypeError as e:
        raise ValueError(f"--model {spec} with --model-args {json.dumps(kwargs)}: {e}") from None


def model_spec(model: Any) -> str:
    """How config.json names a model: its built-in name, else ``module:Class``.

    >>> from tinygrad_cnn.models import LeNet5
    >>> model_spec(LeNet5()), model_spec(nn.Linear(1, 1))
    ('lenet5', 'tinygrad_cnn.nn.layers:Linear')
    """
    from .models import MODELS

    for name, cls in MODELS.items():
        if type(model) is cls:
            return name
    return f"{type(model).__module__}:{type(model).__qualname__}"


def check_model_fits_data(model: Any, sample_shape: tuple[int, ...], data: str) -> None:
    """Raise ValueError, in words, when ``model`` cannot take samples of ``sample_shape``
    (LeNet-5 wants 28x28 images; the digits are 8x8).

    >>> from tinygrad_cnn.models import LeNet5
    >>> check_model_fits_data(LeNet5(), (1, 8, 8), "digits")
    Traceback (most recent call last):
    ...
    ValueError: model LeNet5 does not fit the digits data: LeNet5 takes (1, 28, 28) samples ...
    """
    name = type(model).__name__
    wanted = getattr(model, "input_shape", None)
    if wanted is not None and tuple(wanted) != tuple(sample_shape):
        raise ValueError(
            f"model {name} does not fit the {data} data: {name} takes {tuple(wanted)} samples "
            f"(C, H, W) but {data} samples are {tuple(sample_shape)}; choose a model made for "
            f"{data} (default: {DEFAULT_MODELS.get(data, '?')}) or another dataset"
        )
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(Tensor(np.zeros((2, *sample_shape), dtype=np.float32)))
    except (ValueError, TypeError, RuntimeError) as e:
        raise ValueError(
            f"model {name} does not fit the {data} data ({data} samples are "
            f"{tuple(sample_shape)}): {e}"
        ) from None
    finally:
        model.train(was_training)


def make_optimizer(name: str, params: Any, lr: float) -> Any:
    """An optimizer by name: sgd (momentum 0.9), adam, adamw, rmsprop.

    >>> opt = make_optimizer('sgd', nn.Linear(2, 1).parameters(), lr=0.1)
    >>> type(opt).__name__, opt.param_groups[0]['momentum']
    ('SGD', 0.9)
    """
    from . import optim

    name = name.lower()
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "adamw":
        return optim.AdamW(params, lr=lr)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def _epoch_seed(seed: int, epoch: int) -> int:
    # NOTE: the shuffle order depends only on (seed, epoch), so a resumed run sees the same batches
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def _progress(iterable: Any, total: int, desc: str, enabled: bool) -> Any:
    if enabled:
        try:
            from tqdm import tqdm

            return tqdm(
                iterable,
                total=total,
                desc=desc,
                unit="batch",
                leave=True,
                file=sys.stderr,
                dynamic_ncols=True,
            )
        except ImportError:
            pass
    return iterable


def evaluate(model: Any, dataset: Any, batch_size: int = 256) -> dict[str, Any]:
    """Loss, accuracy and confusion matrix of ``model`` on ``dataset`` (eval mode, no_grad).

    >>> from tinygrad_cnn.data import TensorDataset
    >>> model = nn.Linear(2, 2)
    >>> ds = TensorDataset(tg.randn(10, 2), tg.Tensor([0, 1] * 5))
    >>> result = evaluate(model, ds)
    >>> sorted(result), int(result['confusion'].sum())
    (['accuracy', 'confusion', 'loss'], 10)
    """
    from .data import DataLoader

    was_training = model.training
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    preds, labels = [], []
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            p = logits.numpy().argmax(1)
            preds.append(p)
            labels.append(y.numpy())
            correct += int((p == y.numpy()).sum())
            total += len(p)
    model.train(was_training)
    pred, true = np.concatenate(preds), np.concatenate(labels)
    n_classes = int(max(pred.max(), true.max())) + 1
    confusion = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(confusion, (true, pred), 1)
    return {
        "loss": loss_sum / max(total, 1),
        "accuracy": correct / max(total, 1),
        "confusion": confusion,
    }


def train_epoch(
    model: Any, loader: Any, optimizer: Any, desc: str = "", progress: bool = True
) -> dict[str, float]:
    """One pass over ``loader``; returns mean loss, accuracy and samples per second.

    >>> from tinygrad_cnn.data import DataLoader, TensorDataset
    >>> model = nn.Linear(2, 2)
    >>> loader = DataLoader(TensorDataset(tg.randn(8, 2), tg.Tensor([0, 1] * 4)), batch_size=4)
    >>> stats = train_epoch(model, loader, tg.optim.SGD(model.parameters(), lr=0.1), progress=False)
    >>> sorted(stats)
    ['accuracy', 'loss', 'samples_per_s', 'seconds']
    """
    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    start = time.perf_counter()
    bar = _progress(loader, len(loader), desc, progress)
    for x, y in bar:
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = len(y)
        loss_sum += loss.item() * n
        correct += int((logits.numpy().argmax(1) == y.numpy()).sum())
        total += n
        if hasattr(bar, "set_postfix"):
            rate = total / max(time.perf_counter() - start, 1e-9)
            bar.set_postfix(
                loss=f"{loss_sum / total:.4f}",
                acc=f"{correct / total:.3f}",
                samples_s=f"{rate:.0f}",
            )
    if hasattr(bar, "close"):
        bar.close()
    seconds = time.perf_counter() - start
    return {
        "loss": loss_sum / max(total, 1),
        "accuracy": correct / max(total, 1),
        "samples_per_s": total / max(seconds, 1e-9),
        "seconds": seconds,
    }


def _write_metrics(path: str, history: list[dict[str, Any]]) -> None:
    fields = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"]
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in history:
            w.writerow({k: row[k] for k in fields})
    os.replace(tmp, path)


def _default_out() -> str:
    return os.path.join("runs", time.strftime("%Y%m%d-%H%M%S"))


def build(config: TrainConfig) -> tuple[Any, Any, Any]:
    """The model and the train/test datasets a config names.

    >>> model, train_set, test_set = build(TrainConfig(data='digits'))
    >>> type(model).__name__, len(train_set), len(test_set)
    ('DigitsCNN', 1438, 359)
    """
    train_set, test_set = _datasets(config)
    return load_model(config.resolved_model(), config.model_args), train_set, test_set


def _datasets(config: TrainConfig) -> tuple[Any, Any]:
    from .data import get_dataset

    if config.data not in DEFAULT_MODELS:
        raise ValueError(
            f"unknown dataset {config.data!r}; choose one of {', '.join(DEFAULT_MODELS)}"
        )
    opts: dict[str, Any] = {"root": config.data_dir, "download": config.download}
    if config.data != "digits":
        opts.update(mirror=config.mirror, timeout=config.download_timeout)
    train_set = get_dataset(config.data, train=True, **opts)
    test_set = get_dataset(config.data, train=False, **opts)
    return train_set, test_set


_RESUME_KEYS = ("model", "optimizer", "epoch", "history", "config", "rng")
_HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")


def _checked_resume_state(state: Any, path: str) -> dict[str, Any]:
    if not isinstance(state, dict):
        raise ValueError(f"--resume {path}: not a checkpoint written by `tinygrad-cnn train`")
    missing = [k for k in _RESUME_KEYS if k not in state]
    if missing:
        raise ValueError(
            f"--resume {path}: the checkpoint lacks {missing}; only checkpoints written by "
            "`tinygrad-cnn train` can be resumed"
        )
    return state


def _parse_json(state: dict[str, Any], key: str) -> Any:
    try:
        return json.loads(state[key]) if isinstance(state[key], str) else None
    except ValueError:
        return None


def _restore(state: dict[str, Any], path: str, model: Any, optimizer: Any) -> tuple[int, list]:
    """Load a resumed run's state into ``model`` and ``optimizer``; every entry is checked
    (and a malformed one named) before training starts."""
    epoch = state["epoch"]
    if not isinstance(epoch, (int, np.integer)) or isinstance(epoch, bool) or epoch < 0:
        raise ValueError(f"--resume {path}: malformed 'epoch' entry {epoch!r}")
    history = _parse_json(state, "history")
    rows_ok = isinstance(history, list) and len(history) == int(epoch)
    if not rows_ok or not all(_history_row_ok(r) for r in history):
        raise ValueError(
            f"--resume {path}: malformed 'history' entry (expected a JSON list of {int(epoch)} "
            f"rows with keys {list(_HISTORY_KEYS)})"
        )
    rng = _parse_json(state, "rng")
    try:
        np.random.default_rng().bit_generator.state = rng  # a throwaway generator: checks only
    except (TypeError, ValueError, KeyError):
        raise ValueError(f"--resume {path}: malformed 'rng' entry") from None
    for key, target in (("model", model), ("optimizer", optimizer)):
        try:
            target.load_state_dict(state[key])
        except (TypeError, ValueError, KeyError, RuntimeError) as e:
            why = " ".join(ln.strip() for ln in str(e).splitlines()) or type(e).__name__
            raise ValueError(f"--resume {path}: malformed {key!r} entry: {why}") from None
    _random.set_rng_state(rng)
    return int(epoch), history


def _history_row_ok(row: Any) -> bool:
    return isinstance(row, dict) and all(
        _is_real(row.get(k))
        for k in _HISTORY_KEYS  # NOTE: a diverged run logs NaN losses
    )


def fit(
    config: TrainConfig,
    resume: str | None = None,
    progress: bool | None = None,
    artifacts: bool = True,
    log: Any = print,
    model: Any = None,
) -> dict[str, Any]:
    """Train as ``config`` says (or continue the run saved in ``resume``); return a summary.

    Any Module trains: pass it as ``model=`` (then ``config.model`` is not used and
    config.json records it as ``module:Class``), or name it in ``config.model`` as a built-in
    name, ``"package.module:Class"`` or ``"path/to/file.py:Class"`` with ``config.model_args``
    for its constructor. It must take a batch of the dataset's samples (digits: (N, 1, 8, 8))
    and return (N, classes) logits; a model that cannot is refused before anything is written.
    ``progress=None`` shows progress bars only when the output is a terminal.

    >>> import tempfile
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    >>> cfg = TrainConfig(data="digits", epochs=2, lr=0.01, out=tempfile.mkdtemp())
    >>> summary = fit(cfg, model=net, artifacts=False, log=lambda line: None)
    >>> summary["test_accuracy"] > 0.8, summary["config"].model
    (True, 'tinygrad_cnn.nn.containers:Sequential')
    """
    state, config, start_epoch = _resume_state(config, resume)
    _random.manual_seed(config.seed)
    model, train_set, test_set = _setup(config, model)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    history: list[dict[str, Any]] = []
    if state is not None:
        start_epoch, history = _restore(state, resume, model, optimizer)
    out = config.out or _default_out()
    config = dataclasses.replace(config, out=out, model=config.model or model_spec(model))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(config), f, indent=2, sort_keys=True)
    log(
        f"training {config.model} on {config.data} ({len(train_set)} train / "
        f"{len(test_set)} test samples) for epochs {start_epoch + 1}..{config.epochs}; "
        f"writing to {out}"
    )
    if progress is None:
        progress = sys.stdout.isatty() and sys.stderr.isatty()
    t0 = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        _run_epoch(config, epoch, model, optimizer, train_set, test_set, history, progress, log)
        _save_checkpoint(config, epoch, model, optimizer, history)
    wall = time.perf_counter() - t0
    final = history[-1] if history else {}
    summary = {
        "out": out,
        "test_accuracy": final.get("test_acc"),
        "wall_time_s": wall,
        "epochs": config.epochs,
        "history": history,
        "model": model,
        "config": config,
    }
    if artifacts and history:
        summary["artifacts"] = write_artifacts(model, train_set, history, out, log)
    log(
        f"done: test accuracy {final.get('test_acc', float('nan')):.4f} after "
        f"{config.epochs} epochs, wall time {wall:.1f} s; run directory {out}"
    )
    return summary


def _resume_state(config: TrainConfig, resume: str | None) -> tuple[Any, TrainConfig, int]:
    """(checkpoint, the config to train with, epochs already done) for ``resume``."""
    if resume is None:
        return None, config, 0
    from .serialization import load

    state = _checked_resume_state(load(resume), resume)
    saved = TrainConfig.from_json(state["config"], resume)
    epoch = state["epoch"]
    if not isinstance(epoch, (int, np.integer)) or isinstance(epoch, bool) or epoch < 0:
        raise ValueError(f"--resume {resume}: malformed 'epoch' entry {epoch!r}")
    done = int(epoch)
    if config.epochs <= done:
        raise ValueError(
            f"--resume: the run in {resume} has already trained {done} epochs, and --epochs "
            f"{config.epochs} asks for no more; pass --epochs greater than {done}"
        )
    # the saved run defines everything but how long to train and where to write
    return (
        state,
        dataclasses.replace(saved, epochs=config.epochs, out=config.out or saved.out),
        done,
    )


def _setup(config: TrainConfig, model: Any) -> tuple[Any, Any, Any]:
    """The model (``model`` or the one config names) and the datasets, checked to fit."""
    if model is None:
        model, train_set, test_set = build(config)
    else:
        if not hasattr(model, "parameters") or not callable(model):
            raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
        train_set, test_set = _datasets(config)
    x = train_set[0][0]
    shape = tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))
    check_model_fits_data(model, shape, config.data)
    return model, train_set, test_set


def _run_epoch(
    config: TrainConfig,
    epoch: int,
    model: Any,
    optimizer: Any,
    train_set: Any,
    test_set: Any,
    history: list[dict[str, Any]],
    progress: bool,
    log: Any,
) -> None:
    from .data import DataLoader

    loader = DataLoader(
        train_set, batch_size=config.batch_size, shuffle=True, seed=_epoch_seed(config.seed, epoch)
    )
    tr = train_epoch(model, loader, optimizer, f"epoch {epoch + 1}/{config.epochs}", progress)
    ev = evaluate(model, test_set)
    history.append(
        {
            "epoch": epoch + 1,
            "train_loss": tr["loss"],
            "train_acc": tr["accuracy"],
            "test_loss": ev["loss"],
            "test_acc": ev["accuracy"],
            "seconds": round(tr["seconds"], 3),
        }
    )
    log(
        f"epoch {epoch + 1}: train loss {tr['loss']:.4f} acc {tr['accuracy']:.4f} | "
        f"test loss {ev['loss']:.4f} acc {ev['accuracy']:.4f} | "
        f"{tr['samples_per_s']:.0f} samples/s"
    )


def _save_checkpoint(
    config: TrainConfig, epoch: int, model: Any, optimizer: Any, history: list
) -> None:
    from .serialization import save

    out = str(config.out)
    _write_metrics(os.path.join(out, "metrics.csv"), history)
    save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epoch + 1,
            "history": json.dumps(history),
            "config": json.dumps(dataclasses.asdict(config), sort_keys=True),
            "rng": json.dumps(_random.get_rng_state()),
        },
        os.path.join(out, CHECKPOINT),
    )


def _each_filter_scaled(w: np.ndarray) -> np.ndarray:
    """Colour filters each scaled to their own largest weight (as the docs' filters learned
    from photographs are shown); grey filters keep one scale, read off the colour bar."""
    if w.shape[1] != 3:
        return w
    return w / np.maximum(np.abs(w).max(axis=(1, 2, 3), keepdims=True), 1e-12)


def write_artifacts(
    model: Any, dataset: Any, history: list[dict[str, Any]], out: str, log: Any = print
) -> dict[str, str]:
    """graph.svg, filters.png and curves.png for a trained model, where the extras allow."""
    written: dict[str, str] = {}
    x = dataset[0][0]
    x = Tensor(np.asarray(x.numpy() if isinstance(x, Tensor) else x)[None])
    try:
        from .viz import draw_graph

        was_training = model.training
        model.eval()  # the graph of inference: no dropout masks
        try:
            graph = draw_graph(model(x), params=model)
        finally:
            model.train(was_training)
        path = os.path.join(out, "graph.svg")
        graph.render(path, format="svg")
        written["graph"] = path
    except Exception as e:  # noqa: BLE001 - artifacts are optional extras; say why and go on
        log(f"note: graph.svg not written ({type(e).__name__}: {e})")
    try:
        from .viz import plot_filters, plot_history

        first = next(p for name, p in model.named_parameters() if p.ndim == 4)
        written["filters"] = os.path.join(out, "filters.png")
        plot_filters(
            _each_filter_scaled(first.numpy()),
            path=written["filters"],
            title=f"{type(model).__name__} first-layer filters after {len(history)} epochs",
        )
        written["curves"] = os.path.join(out, "curves.png")
        plot_history(history, path=written["curves"])
    except Exception as e:  # noqa: BLE001
        log(f"note: plots not written ({type(e).__name__}: {e})")
    return written
