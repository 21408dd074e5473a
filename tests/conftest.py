"""Where PyTorch is not installed, each live-torch comparison runs as its golden twin in
tests/test_goldens.py (PyTorch's answers recorded by `make goldens`) instead of skipping."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "torch_answers", Path(__file__).parent / "torch_answers.py"
)
torch_answers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(torch_answers)
STORE = torch_answers.Store()

# live test (file::function) -> its golden twin in tests/test_goldens.py
LIVE_TWINS = {
    "tests/test_cnn_ops.py::test_conv2d_matches_torch": "test_cnn_op_matches_pytorch",
    "tests/test_cnn_ops.py::test_conv_transpose2d_matches_torch": "test_cnn_op_matches_pytorch",
    "tests/test_cnn_ops.py::test_max_pool2d_matches_torch_with_indices": (
        "test_cnn_op_matches_pytorch"
    ),
    "tests/test_cnn_ops.py::test_avg_pool2d_matches_torch": "test_cnn_op_matches_pytorch",
    "tests/test_cnn_ops.py::test_adaptive_avg_pool2d_matches_torch": "test_cnn_op_matches_pytorch",
    "tests/test_cnn_ops.py::test_unfold_fold_match_torch": "test_cnn_op_matches_pytorch",
    "tests/test_cnn_ops.py::test_batch_norm_training_matches_torch_and_updates_running_stats": (
        "test_batch_norm_matches_pytorch_and_updates_running_stats"
    ),
    "tests/test_cnn_ops.py::test_second_order_through_a_small_cnn_matches_torch": (
        "test_gradient_penalty_through_a_small_cnn_matches_pytorch"
    ),
    "tests/test_nn.py::test_load_real_torch_state_dict": (
        "test_loads_a_pytorch_state_dict_and_layers_match"
    ),
    "tests/test_nn.py::test_layer_shapes_match_torch": (
        "test_loads_a_pytorch_state_dict_and_layers_match"
    ),
    "tests/test_nn.py::test_clip_grad_norm_matches_torch": "test_clip_grad_norm_matches_pytorch",
    "tests/test_models.py::test_models_match_torch_with_its_state_dict": (
        "test_models_match_pytorch_with_its_state_dict"
    ),
    "tests/test_optim.py::test_matches_torch_over_300_steps": (
        "test_optimizer_trajectory_matches_pytorch"
    ),
    "tests/test_optim.py::test_load_torch_optimizer_state_dict": (
        "test_loads_a_pytorch_adam_state_dict"
    ),
    "tests/test_optim.py::test_schedulers_match_torch": "test_schedule_matches_pytorch",
    "tests/test_optim.py::test_reduce_on_plateau_matches_torch": (
        "test_reduce_on_plateau_matches_pytorch"
    ),
    "tests/test_nn_norm.py::test_modules_match_pytorch": "test_norm_module_matches_pytorch",
}


def has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        return False
    return True


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if has_torch():
        return
    twinned = [it for it in items if it.nodeid.split("[")[0] in LIVE_TWINS]
    if twinned:
        config.hook.pytest_deselected(items=twinned)
        items[:] = [it for it in items if it.nodeid.split("[")[0] not in LIVE_TWINS]


@pytest.fixture
def torch_answer(request: Any) -> Any:
    """`torch_answer(lambda torch: <numpy arrays>, *inputs)`: PyTorch's answer, live where torch
    is installed, else replayed from tests/goldens/live/ (see tests/torch_answers.py)."""
    try:
        import torch
    except ModuleNotFoundError:
        torch = None
    else:
        torch.set_num_threads(1)
    return torch_answers.make_answer(STORE, request.node.nodeid, torch)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if torch_answers.RECORD and STORE.recorded:
        for path in STORE.write():
            print(f"\nrecorded PyTorch's answers: {path}")


def _sgd_steps(build: Any, shape: tuple, compiled: bool, steps: int = 4) -> tuple:
    import numpy as np

    import tinygrad_cnn as tg
    import tinygrad_cnn.nn.functional as F

    tg.manual_seed(0)
    model = build()
    opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = tg.compile(step) if compiled else step
    rng = np.random.default_rng(3)
    losses = []
    for _ in range(steps):
        x = tg.Tensor(rng.standard_normal(shape).astype(np.float32))
        losses.append(run(x, tg.Tensor(rng.integers(0, 10, shape[0]))).numpy())
    return losses, model, run


@pytest.fixture
def sgd_steps() -> Any:
    """``run(build, shape, compiled, steps=4) -> (losses, model, step)``: a model from
    ``build()`` trained by SGD with momentum on cross entropy over seeded random batches of
    ``shape`` (10 classes), the step captured by tg.compile when ``compiled``."""
    return _sgd_steps
