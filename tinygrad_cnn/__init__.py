"""tinygrad_cnn: a readable reverse-mode autograd framework on numpy that trains CNNs.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad.tolist()
[2.0, 4.0, 6.0]
"""

from . import autograd, data, linalg, models, nn, optim, random, return_types, testing

# -- the PyTorch-style op surface: dtype names, factories, function forms, tg.linalg ----------
from . import functions as _functions
from ._malloc import tune_malloc
from ._tensor_dtype import (
    bool,  # noqa: A004 (PyTorch's names)
    device,
    double,
    finfo,
    float,  # noqa: A004
    float16,
    float32,
    float64,
    half,
    iinfo,
    int,  # noqa: A004
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
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
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    tril_indices,
    triu_indices,
    uniform,
    zeros,
    zeros_like,
)
from .dtypes import get_default_dtype, set_default_dtype
from .errors import ShapeError
from .functions import *  # noqa: F403 (the names in functions.__all__)
from .functions import where
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
from .jit import CompiledStep, CompileWarning, compile
from .random import manual_seed
from .serialization import CheckpointError, load, save
from .summary import ModelSummary, summary
from .tensor import Tensor, cat, chunk, split, stack

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "compile",
    "CompiledStep",
    "CompileWarning",
    "ShapeError",
    "return_types",
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
    "linalg",
    "device",
    "finfo",
    "iinfo",
    "tensor",
    "as_tensor",
    "from_numpy",
    "empty",
    "empty_like",
    "logspace",
    "randperm",
    "bernoulli",
    "multinomial",
    "tril_indices",
    "triu_indices",
    "float16",
    "half",
    "float32",
    "float",
    "float64",
    "double",
    "uint8",
    "int8",
    "int16",
    "short",
    "int32",
    "int",
    "int64",
    "long",
    "bool",
    *_functions.__all__,
]
__all__ += functions_pointwise.__all__  # noqa: F405

# NOTE: keep glibc from returning each step's large buffers to the OS (measured: LeNet-5 step
# 25 ms -> 18 ms); set TINYGRAD_CNN_KEEP_MALLOC=1 before importing to opt out
tune_malloc()
