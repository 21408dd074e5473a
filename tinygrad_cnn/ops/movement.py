"""Movement primitives. Their derivatives close over the set: reshape <-> reshape,
permute <-> inverse permute, expand <-> sum-to, slice/index <-> scatter-add, pad <-> slice,
flip <-> flip, cat <-> slices."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from .reduce import SumTo


class Reshape(Function):
    def forward(self, x, shape=()):
        self.in_shape, self.out_shape = x.shape, tuple(shape)
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)

    def extra_repr(self):
        return f"shape={self.out_shape}"


class Permute(Function):
    def forward(self, x, dims=()):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, g):
        return g.permute(tuple(np.argsort(self.dims)))

    def extra_repr(self):
        return f"dims={tuple(self.dims)}"


class Expand(Function):
    # expand is a broadcast view; its gradient sums the copies back
    def forward(self, x, shape=()):
        self.in_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return SumTo.apply(g, shape=self.in_shape)

    def extra_repr(self):
        return f"{tuple(self.in_shape)} -> shape={tuple(self.output.shape)}"


def _is_basic(idx: tuple) -> bool:
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in idx)


class GetItem(Function):
    # x[idx]; the gradient scatters back into zeros (repeated indices accumulate)
    def forward(self, x, idx=()):
        self.in_shape, self.idx = x.shape, idx
        return np.asarray(x[idx])

    def backward(self, g):
        return IndexAdd.apply(g, idx=self.idx, shape=self.in_shape)

    def extra_repr(self):
        return f"index={_describe_index(self.idx)}"


class IndexAdd(Function):
    # zeros(shape) with y added at idx; its gradient is y's entries read back: g[idx]
    def forward(self, y, idx=(), shape=()):
        self.idx = idx
        out = np.zeros(shape, dtype=y.dtype)
        if _is_basic(idx):
            out[idx] += y
        else:
            np.add.at(out, idx, y)
        return out

    def backward(self, g):
        return GetItem.apply(g, idx=self.idx)

    def extra_repr(self):
        return f"index={_describe_index(self.idx)}"


class Pad(Function):
    # constant padding; the gradient is the slice of the unpadded region
    def forward(self, x, pad_width=(), value=0.0):
        self.pad_width = pad_width
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, g):
        idx = tuple(slice(lo, g.shape[i] - hi) for i, (lo, hi) in enumerate(self.pad_width))
        return GetItem.apply(g, idx=idx)

    def extra_repr(self):
        return f"pad={tuple(self.pad_width)}"


class Flip(Function):
    def forward(self, x, dims=()):
        self.dims = dims
        return np.flip(x, dims)

    def backward(self, g):
        return Flip.apply(g, dims=self.dims)

    def extra_repr(self):
        return f"dims={tuple(self.dims)}"


class Cat(Function):
    # concatenate; the gradient of each input is its slice of the output's gradient
    def forward(self, *xs, dim=0):
        self.dim = dim
        self.sizes = [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    def backward(self, g):
        out, start = [], 0
        lead = (slice(None),) * self.dim
        for n, need in zip(self.sizes, self.needs_input_grad):
            out.append(GetItem.apply(g, idx=lead + (slice(start, start + n),)) if need else None)
            start += n
        return tuple(out)

    def extra_repr(self):
        return f"dim={self.dim}"


def _describe_index(idx: tuple) -> str:
    parts = []
    for i in idx:
        if isinstance(i, slice):
            text = f"{'' if i.start is None else i.start}:{'' if i.stop is None else i.stop}"
            parts.append(text + (f":{i.step}" if i.step is not None else ""))
        elif isinstance(i, np.ndarray):
            parts.append(f"{i.dtype.name}{list(i.shape)}")
        elif i is Ellipsis:
            parts.append("...")
        else:
            parts.append(str(i))
    return "[" + ", ".join(parts) + "]"
