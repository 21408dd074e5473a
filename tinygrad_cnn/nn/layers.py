"""Dense layers, activations, dropout, flatten and identity as Modules.

Each forward is one call of the functional form in ``nn.functional``; the module only owns the
parameters and settings (its repr mirrors PyTorch's).

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.Linear(256, 120)
Linear(in_features=256, out_features=120, bias=True)
"""

from __future__ import annotations

import math
from typing import Any

from .. import creation
from .._tensor_pointwise import approximate_mode
from ..tensor import Tensor
from . import functional as F
from . import init
from ._argcheck import real
from .module import Module, Parameter


class Identity(Module):
    """Returns its input unchanged (constructor arguments are ignored, as PyTorch).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Identity()(tg.ones(2)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b with ``weight`` of shape (out_features, in_features).

    Initialized as PyTorch: weight ~ kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)),
    bias ~ U(-1/sqrt(in), 1/sqrt(in)).

    >>> import tinygrad_cnn as tg
    >>> fc = tg.nn.Linear(4, 3)
    >>> fc.weight.shape, fc(tg.ones(2, 4)).shape
    ((3, 4), (2, 3))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        _check_positive("Linear", in_features=in_features, out_features=out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.zeros(out_features, in_features))
        if not isinstance(bias, bool):
            raise TypeError(f"Linear: bias must be True or False, got {type(bias).__name__}")
        if bias:
            self.bias = Parameter(creation.zeros(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Flatten dims start_dim..end_dim (default: all but the batch dim).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Flatten()(tg.ones(2, 3, 4, 4)).shape
    (2, 48)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero each element with probability p in training, scaling survivors by 1/(1-p);
    the identity in eval mode.

    >>> import tinygrad_cnn as tg
    >>> d = tg.nn.Dropout(0.5).eval()
    >>> d(tg.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise TypeError(f"Dropout: p must be a number in [0, 1], got {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


# -- activations --------------------------------------------------------------------------------


class Pointwise(Module):
    """A Module that applies one elementwise function with fixed settings: ``forward(x)`` is
    ``function(x, **settings)``. Each activation below is one of these: its class names the
    function and its constructor takes PyTorch's arguments. ``inplace`` is accepted for
    PyTorch compatibility (results are new tensors) and shown in the repr only when true.

    >>> import tinygrad_cnn as tg
    >>> isinstance(tg.nn.ReLU(), tg.nn.Pointwise), tg.nn.LeakyReLU(0.2)
    (True, LeakyReLU(negative_slope=0.2))
    """

    function: Any = None  # set by each subclass: F.relu, F.leaky_relu, ...

    def __init__(self, **settings: Any) -> None:
        super().__init__()
        self._settings = tuple(settings)
        for k, v in settings.items():
            setattr(self, k, v)

    def forward(self, input: Tensor) -> Tensor:
        if type(self).function is None:
            raise TypeError(
                f"{type(self).__name__}: a Pointwise subclass must set `function` (e.g. F.relu)"
            )
        kwargs = {k: getattr(self, k) for k in self._settings if k != "inplace"}
        return type(self).function(input, **kwargs)

    def extra_repr(self) -> str:
        parts = [f"{k}={getattr(self, k)!r}" for k in self._settings if k != "inplace"]
        if getattr(self, "inplace", False):
            parts.append("inplace=True")
        return ", ".join(parts)


class ReLU(Pointwise):
    """max(x, 0).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.ReLU()(tg.Tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    function = F.relu

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class LeakyReLU(Pointwise):
    """x for x > 0, negative_slope * x otherwise.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.LeakyReLU(0.1)(tg.Tensor([-1.0, 2.0])).tolist()
    [-0.10000000149011612, 2.0]
    """

    function = F.leaky_relu

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(negative_slope=negative_slope, inplace=inplace)


class ELU(Pointwise):
    """x for x > 0, alpha * (exp(x) - 1) otherwise.

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.ELU()(tg.Tensor([-1.0])).item(), 4)
    -0.6321
    """

    function = F.elu

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha, inplace=inplace)


class GELU(Pointwise):
    """x * Phi(x); ``approximate='tanh'`` uses the tanh approximation, as PyTorch.

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.GELU()(tg.Tensor([1.0])).item(), 4)
    0.8413
    """

    function = F.gelu

    def __init__(self, approximate: str = "none") -> None:
        super().__init__(approximate=approximate_mode("GELU", approximate))


class SiLU(Pointwise):
    """x * sigmoid(x) (a.k.a. swish).

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.SiLU()(tg.Tensor([1.0])).item(), 4)
    0.7311
    """

    function = F.silu

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Sigmoid(Pointwise):
    """1 / (1 + exp(-x)).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Sigmoid()(tg.Tensor([0.0])).tolist()
    [0.5]
    """

    function = F.sigmoid


class Tanh(Pointwise):
    """Hyperbolic tangent.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Tanh()(tg.Tensor([0.0])).tolist()
    [0.0]
    """

    function = F.tanh


class Softplus(Pointwise):
    """log(1 + exp(beta x)) / beta.

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.Softplus()(tg.Tensor([0.0])).item(), 4)
    0.6931
    """

    function = F.softplus

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__(beta=beta, threshold=threshold)


class CELU(Pointwise):
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise.

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.CELU(2.0)(tg.Tensor([-1.0])).item(), 4)
    -0.7869
    """

    function = F.celu

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha=alpha, inplace=inplace)


class SELU(Pointwise):
    """scale * elu(x, alpha) with the self-normalizing constants.

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.SELU()(tg.Tensor([1.0])).item(), 4)
    1.0507
    """

    function = F.selu

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardtanh(Pointwise):
    """x clipped to [min_val, max_val].

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Hardtanh(-2.0, 2.0)(tg.Tensor([-3.0, 1.0, 3.0])).tolist()
    [-2.0, 1.0, 2.0]
    """

    function = F.hardtanh

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        lo, hi = real(min_val, "min_val", "Hardtanh"), real(max_val, "max_val", "Hardtanh")
        if lo > hi:
            raise ValueError(f"Hardtanh: min_val ({lo}) must be <= max_val ({hi})")
        super().__init__(min_val=min_val, max_val=max_val, inplace=inplace)


class ReLU6(Pointwise):
    """min(max(x, 0), 6).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.ReLU6()(tg.Tensor([-1.0, 7.0])).tolist()
    [0.0, 6.0]
    """

    function = F.relu6

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardswish(Pointwise):
    """x * relu6(x + 3) / 6.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Hardswish()(tg.Tensor([-4.0, 4.0])).tolist()
    [-0.0, 4.0]
    """

    function = F.hardswish

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Hardsigmoid(Pointwise):
    """relu6(x + 3) / 6.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Hardsigmoid()(tg.Tensor([0.0])).tolist()
    [0.5]
    """

    function = F.hardsigmoid

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Mish(Pointwise):
    """x * tanh(softplus(x)).

    >>> import tinygrad_cnn as tg
    >>> round(tg.nn.Mish()(tg.Tensor([1.0])).item(), 4)
    0.8651
    """

    function = F.mish

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(inplace=inplace)


class Softsign(Pointwise):
    """x / (1 + |x|).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Softsign()(tg.Tensor([1.0])).tolist()
    [0.5]
    """

    function = F.softsign


class LogSigmoid(Pointwise):
    """log(sigmoid(x)), computed stably.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.LogSigmoid()(tg.Tensor([-1000.0])).tolist()
    [-1000.0]
    """

    function = F.logsigmoid


class Tanhshrink(Pointwise):
    """x - tanh(x).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Tanhshrink()(tg.Tensor([0.0])).tolist()
    [0.0]
    """

    function = F.tanhshrink


class Softshrink(Pointwise):
    """x - lambd above lambd, x + lambd below -lambd, 0 in between.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Softshrink()(tg.Tensor([-1.0, 0.1])).tolist(), tg.nn.Softshrink(0.5)
    ([-0.5, 0.0], Softshrink(0.5))
    """

    function = F.softshrink

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__(lambd=lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x where |x| > lambd, 0 otherwise.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Hardshrink()(tg.Tensor([-1.0, 0.1])).tolist()
    [-1.0, 0.0]
    """

    function = F.hardshrink


class Threshold(Pointwise):
    """x where x > threshold, ``value`` otherwise.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Threshold(0.5, -1.0)(tg.Tensor([0.1, 2.0])).tolist()
    [-1.0, 2.0]
    """

    function = F.threshold

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__(threshold=threshold, value=value, inplace=inplace)


class GLU(Pointwise):
    """Gated linear unit: a * sigmoid(b) for the two halves a, b of ``dim``.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.GLU()(tg.Tensor([[1.0, 0.0]])).tolist()
    [[0.5]]
    """

    function = F.glu

    def __init__(self, dim: int = -1) -> None:
        super().__init__(dim=dim)


class Softmin(Pointwise):
    """softmax(-x) along ``dim``.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Softmin(dim=1)(tg.zeros(1, 2)).tolist()
    [[0.5, 0.5]]
    """

    function = F.softmin

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=dim)


class RReLU(Pointwise):
    """Randomized leaky relu: slopes drawn from U(lower, upper) in training, the mean slope
    (lower + upper) / 2 in eval mode.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.RReLU(0.1, 0.3).eval()(tg.Tensor([-1.0, 2.0])).tolist()
    [-0.2, 2.0]
    """

    function = F.rrelu

    def __init__(
        self, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, inplace: bool = False
    ) -> None:
        super().__init__(lower=lower, upper=upper, inplace=inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, training=self.training)


class PReLU(Pointwise):
    """x for x > 0, weight * x otherwise, with a learnable ``weight`` of ``num_parameters``
    slopes (1, or one per channel of dim 1), each initialized to ``init``.

    >>> import tinygrad_cnn as tg
    >>> m = tg.nn.PReLU()
    >>> m, m.weight.tolist(), m(tg.Tensor([-2.0, 1.0])).tolist()
    (PReLU(num_parameters=1), [0.25], [-0.5, 1.0])
    """

    function = F.prelu

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        _check_positive("PReLU", num_parameters=num_parameters)
        value = real(init, "init", "PReLU")
        super().__init__(num_parameters=num_parameters, init=init)
        self.weight = Parameter(creation.full((num_parameters,), value))

    def reset_parameters(self) -> None:
        self.weight.data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


def _implicit_dim(input: Any, dim: int | None) -> int | None:
    """The Modules' dim=None: PyTorch's legacy choice (0 for 0-, 1- and 3-d input, else 1)."""
    if dim is None and isinstance(input, Tensor):
        return 0 if input.ndim in (0, 1, 3) else 1
    return dim


def _softmax(input: Tensor, dim: int | None) -> Tensor:
    return F.softmax(input, _implicit_dim(input, dim))


def _log_softmax(input: Tensor, dim: int | None) -> Tensor:
    return F.log_softmax(input, _implicit_dim(input, dim))


class Softmax(Pointwise):
    """exp(x) / sum(exp(x)) along ``dim``.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Softmax(dim=1)(tg.zeros(1, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
    """

    function = _softmax

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=dim)


class LogSoftmax(Pointwise):
    """log(softmax(x)) along ``dim``, computed stably.

    >>> import tinygrad_cnn as tg
    >>> tg.nn.LogSoftmax(dim=1)(tg.Tensor([[1000.0, 1000.0]])).tolist()
    [[-0.6931471824645996, -0.6931471824645996]]
    """

    function = _log_softmax

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim=dim)


def _check_positive(name: str, **values: int) -> None:
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{name}: {k} must be a non-negative int, got {v!r}")


# -- reshaping, channel dropout and sliding-window modules ---------------------------------------

from . import _argcheck as ac  # noqa: E402


def _window_args(name: str, **values: Any) -> None:
    """Fold/Unfold sizes: an int or a pair of ints each."""
    for what, v in values.items():
        if len(ac.int_tuple(v, what, name)) not in (1, 2):
            raise ValueError(f"{name}: {what} must be an int or a pair of ints, got {v!r}")


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size`` (the inverse of Flatten).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Unflatten(1, (2, 3))(tg.ones(4, 6)).shape
    (4, 2, 3)
    """

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple or list of ints, got "
                f"{type(unflattened_size).__name__}"
            )
        for i, s in enumerate(unflattened_size):
            if isinstance(s, bool) or not isinstance(s, int):
                raise TypeError(
                    f"Unflatten: unflattened_size must be a tuple of ints, but found element of "
                    f"type {type(s).__name__} at pos {i}"
                )
        self.dim = ac.integer(dim, "dim", "Unflatten")
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class _DropoutVariant(Module):
    function: Any = None  # F.dropout1d, F.alpha_dropout, ...

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = ac.probability(p, type(self).__name__)
        self.inplace = ac.flag(inplace, "inplace", type(self).__name__)

    def forward(self, input: Tensor) -> Tensor:
        return type(self).function(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutVariant):
    """Zero whole channels of (N, C, L) or (C, L) in training (see ``F.dropout1d``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Dropout1d(0.5).eval()(tg.ones(2, 3, 4)).shape
    (2, 3, 4)
    """

    function = F.dropout1d


class Dropout2d(_DropoutVariant):
    """Zero whole channels of (N, C, H, W) in training (see ``F.dropout2d``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Dropout2d(0.2)
    Dropout2d(p=0.2, inplace=False)
    """

    function = F.dropout2d


class Dropout3d(_DropoutVariant):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) in training (see
    ``F.dropout3d``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Dropout3d().eval()(tg.ones(1, 2, 2, 2, 2)).shape
    (1, 2, 2, 2, 2)
    """

    function = F.dropout3d


class AlphaDropout(_DropoutVariant):
    """Dropout that keeps SELU activations self-normalizing (see ``F.alpha_dropout``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.AlphaDropout(0.2).eval()(tg.ones(2)).tolist()
    [1.0, 1.0]
    """

    function = F.alpha_dropout


class FeatureAlphaDropout(_DropoutVariant):
    """Alpha dropout of whole channels (see ``F.feature_alpha_dropout``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.FeatureAlphaDropout(0.2).eval()(tg.ones(1, 2, 3)).shape
    (1, 2, 3)
    """

    function = F.feature_alpha_dropout


class ChannelShuffle(Module):
    """Interleave ``groups`` groups of channels (see ``F.channel_shuffle``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.ChannelShuffle(2)(tg.arange(4.0).reshape(1, 4, 1, 1)).reshape(-1).tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = ac.integer(groups, "groups", "ChannelShuffle", 1)

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class Unfold(Module):
    """Extract sliding windows as columns: (N, C, H, W) -> (N, C*kh*kw, L) (see ``F.unfold``).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Unfold(kernel_size=2)(tg.ones(1, 3, 4, 4)).shape
    (1, 12, 9)
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
        super().__init__()
        _window_args("Unfold", kernel_size=kernel_size, dilation=dilation, padding=padding)
        _window_args("Unfold", stride=stride)
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """Sum columns of sliding windows back into an image: (N, C*kh*kw, L) -> (N, C, H, W)
    (see ``F.fold``; the adjoint of Unfold).

    >>> import tinygrad_cnn as tg
    >>> tg.nn.Fold(output_size=(4, 4), kernel_size=2)(tg.ones(1, 12, 9)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self,
        output_size: Any,
        kernel_size: Any,
        dilation: Any = 1,
        padding: Any = 0,
        stride: Any = 1,
    ) -> None:
        super().__init__()
        _window_args("Fold", output_size=output_size, kernel_size=kernel_size, stride=stride)
        _window_args("Fold", dilation=dilation, padding=padding)
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
