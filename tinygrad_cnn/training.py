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
    model: str | None = None
    epochs: int = 15
    batch_size: int = 32
    lr: float = 2e-3
    optimizer: str = "adam"
    seed: int = 0
    out: str | None = None

    def resolved_model(self) -> str:
        return self.model or DEFAULT_MODELS[self.data]


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
    from .data import get_dataset
    from .models import get_model

    if config.data not in DEFAULT_MODELS:
        raise ValueError(
            f"unknown dataset {config.data!r}; choose one of {', '.join(DEFAULT_MODELS)}"
        )
    train_set = get_dataset(config.data, root=config.data_dir, train=True, download=config.download)
    test_set = get_dataset(config.data, root=config.data_dir, train=False, download=config.download)
    model = get_model(config.resolved_model())
    return model, train_set, test_set


def fit(
    config: TrainConfig,
    resume: str | None = None,
    progress: bool = True,
    artifacts: bool = True,
    log: Any = print,
) -> dict[str, Any]:
    """Train as ``config`` says (or continue the run saved in ``resume``); return a summary."""
    from .data import DataLoader
    from .serialization import load, save

    history: list[dict[str, Any]] = []
    start_epoch = 0
    state = None
    if resume is not None:
        state = load(resume)
        saved = TrainConfig(**json.loads(str(state["config"])))
        # the saved run defines everything but how long to train and where to write
        config = dataclasses.replace(saved, epochs=config.epochs, out=config.out or saved.out)
    _random.manual_seed(config.seed)
    model, train_set, test_set = build(config)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.lr)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch = int(state["epoch"])
        history = json.loads(str(state["history"]))
        _random.set_rng_state(json.loads(str(state["rng"])))
    out = config.out or _default_out()
    config = dataclasses.replace(config, out=out)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(config), f, indent=2, sort_keys=True)
    log(
        f"training {config.resolved_model()} on {config.data} ({len(train_set)} train / "
        f"{len(test_set)} test samples) for epochs {start_epoch + 1}..{config.epochs}; "
        f"writing to {out}"
    )
    t0 = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        loader = DataLoader(
            train_set,
            batch_size=config.batch_size,
            shuffle=True,
            seed=_epoch_seed(config.seed, epoch),
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
    wall = time.perf_counter() - t0
    final = history[-1] if history else {}
    summary = {
        "out": out,
        "test_accuracy": final.get("test_acc"),
        "wall_time_s": wall,
        "epochs": config.epochs,
        "history": history,
        "model": model,
    }
    if artifacts and history:
        summary["artifacts"] = write_artifacts(model, train_set, history, out, log)
    log(
        f"done: test accuracy {final.get('test_acc', float('nan')):.4f} after "
        f"{config.epochs} epochs, wall time {wall:.1f} s; run directory {out}"
    )
    return summary


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
        plot_filters(first, path=written["filters"])
        written["curves"] = os.path.join(out, "curves.png")
        plot_history(history, path=written["curves"])
    except Exception as e:  # noqa: BLE001
        log(f"note: plots not written ({type(e).__name__}: {e})")
    return written
