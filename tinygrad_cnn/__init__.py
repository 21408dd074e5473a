"""tinygrad_cnn: a readable reverse-mode autograd framework on numpy that trains CNNs.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad.tolist()
[2.0, 4.0, 6.0]
"""

from . import autograd, data, models, nn, optim, random, testing
from ._malloc import tune_malloc
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    eye,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    uniform,
    zeros,
    zeros_like,
)
from .dtypes import get_default_dtype, set_default_dtype
from .functions_pointwise import *  # noqa: F403 (tg.sin, tg.atan2, ...: functions_pointwise.NAMES)
from .gradcheck import (
    GradcheckError,
    GradcheckResult,
    check_gradients,
    check_model_grads,
    gradcheck,
    gradgradcheck,
)
from .graph import grad
from .random import manual_seed
from .serialization import CheckpointError, load, save
from .summary import ModelSummary, summary
from .tensor import Tensor, cat, chunk, split, stack, where

__version__ = "0.1.0"

float32 = "float32"
float64 = "float64"
int64 = "int64"

__all__ = [
    "Tensor",
    "Function",
    "get_default_dtype",
    "set_default_dtype",
    "autograd",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "manual_seed",
    "random",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "uniform",
    "normal",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand_like",
    "randn_like",
    "cat",
    "stack",
    "split",
    "chunk",
    "where",
    "gradcheck",
    "gradgradcheck",
    "check_model_grads",
    "testing",
    "check_gradients",
    "GradcheckResult",
    "GradcheckError",
    "save",
    "load",
    "CheckpointError",
    "data",
    "nn",
    "optim",
    "models",
    "summary",
    "ModelSummary",
    "__version__",
]
__all__ += functions_pointwise.__all__  # noqa: F405

# NOTE: keep glibc from returning each step's large buffers to the OS (measured: LeNet-5 step
# 25 ms -> 18 ms); set TINYGRAD_CNN_KEEP_MALLOC=1 before importing to opt out
tune_malloc()
