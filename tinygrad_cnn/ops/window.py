"""The geometry of a sliding window over N spatial dims (1, 2 or 3): one frozen value.

Every convolution, pooling and unfold/fold op describes its sliding window with a ``Window``:
the unpadded input size, kernel, stride, padding before/after each axis and dilation. The
output grid, the span of a dilated kernel, the strided slice a kernel offset sees and the size
a transposed convolution produces are computed here and nowhere else.

>>> w = Window.conv((28, 28), (5, 5))
>>> w.grid, w.spans
((24, 24), (5, 5))
>>> Window.pool((5,), (2,), (2,), (0,), (1,), ceil_mode=True).grid
(3,)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

Ints = tuple[int, ...]


def _grid(size: Ints, kernel: Ints, stride: Ints, lo: Ints, hi: Ints, dilation: Ints) -> Ints:
    return tuple(
        (n + a + b - d * (k - 1) - 1) // s + 1
        for n, k, s, a, b, d in zip(size, kernel, stride, lo, hi, dilation)
    )


@dataclass(frozen=True)
class Window:
    """A kernel sliding over a padded input: ``size`` (unpadded spatial size), ``kernel``,
    ``stride``, ``pad_lo``/``pad_hi`` (padding before/after each axis), ``dilation``, and the
    ``grid`` of window positions (computed unless given, as a transposed convolution does).

    >>> Window.conv((5, 5), (3, 3), padding=(1, 1))
    Window(size=(5, 5), kernel=(3, 3), stride=(1, 1), pads=((1, 1), (1, 1)), grid=(5, 5))
    """

    size: Ints
    kernel: Ints
    stride: Ints
    pad_lo: Ints
    pad_hi: Ints
    dilation: Ints
    grid: Ints = field(default=())

    def __post_init__(self) -> None:
        if not self.grid:
            grid = _grid(
                self.size, self.kernel, self.stride, self.pad_lo, self.pad_hi, self.dilation
            )
            object.__setattr__(self, "grid", grid)

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def conv(
        cls,
        size: Ints,
        kernel: Ints,
        stride: Ints | None = None,
        padding: Ints | None = None,
        dilation: Ints | None = None,
        pad_hi: Ints | None = None,
    ) -> Window:
        """A window with symmetric padding (or ``padding`` before and ``pad_hi`` after)."""
        ones, zeros = (1,) * len(kernel), (0,) * len(kernel)
        lo = tuple(padding) if padding is not None else zeros
        hi = tuple(pad_hi) if pad_hi is not None else lo
        return cls(
            tuple(size), tuple(kernel), tuple(stride or ones), lo, hi, tuple(dilation or ones)
        )

    @classmethod
    def pool(
        cls, size: Ints, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints, ceil_mode: bool
    ) -> Window:
        """A pooling window; with ``ceil_mode`` a last partial window is kept (as PyTorch: it
        must start inside the input or its left padding) and ``pad_hi`` grows to hold it."""
        grid = []
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
            span = n + 2 * p - d * (k - 1) - 1
            out = span // s + 1
            if ceil_mode:
                out = -(-span // s) + 1
                out = out - 1 if (out - 1) * s >= n + p else out
            grid.append(out)
        hi = tuple(
            max(p, (g - 1) * s + d * (k - 1) + 1 - n - p)
            for n, k, s, p, d, g in zip(size, kernel, stride, padding, dilation, grid)
        )
        return cls(
            tuple(size), tuple(kernel), tuple(stride), tuple(padding), hi, tuple(dilation),
            tuple(grid),
        )  # fmt: skip

    @classmethod
    def transposed(
        cls,
        grid: Ints,
        kernel: Ints,
        stride: Ints,
        padding: Ints,
        dilation: Ints,
        output_padding: Ints,
    ) -> Window:
        """The window of the convolution whose input gradient a transposed convolution of an
        input with spatial size ``grid`` computes; its ``size`` is the transposed output size:
        ``(g - 1) * s - 2p + d * (k - 1) + output_padding + 1``."""
        size = tuple(
            (g - 1) * s - 2 * p + d * (k - 1) + o + 1
            for g, k, s, p, d, o in zip(grid, kernel, stride, padding, dilation, output_padding)
        )
        return cls(
            size,
            tuple(kernel),
            tuple(stride),
            tuple(padding),
            tuple(padding),
            tuple(dilation),
            tuple(grid),
        )

    # -- derived geometry -------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        """Number of spatial dims."""
        return len(self.kernel)

    @property
    def spans(self) -> Ints:
        """Extent of the dilated kernel per axis: d * (k - 1) + 1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    @property
    def padded(self) -> Ints:
        """Spatial size of the padded input."""
        return tuple(n + a + b for n, a, b in zip(self.size, self.pad_lo, self.pad_hi))

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        """(before, after) padding per spatial axis."""
        return tuple(zip(self.pad_lo, self.pad_hi))

    @property
    def padded_any(self) -> bool:
        return any(self.pad_lo) or any(self.pad_hi)

    @property
    def overlapping(self) -> bool:
        """Whether an input position can lie in more than one window."""
        return any(s < span for s, span in zip(self.stride, self.spans))

    @property
    def tiles(self) -> bool:
        """Whether the windows cover the padded input exactly once (no gaps, no overlap)."""
        return all(
            s == k and d == 1 and p == g * k
            for k, s, d, p, g in zip(
                self.kernel, self.stride, self.dilation, self.padded, self.grid
            )
        )

    @cached_property
    def taps(self) -> tuple[tuple[int, Ints, tuple[slice, ...]], ...]:
        """(flat index k, kernel offset, its slices) for every kernel offset, in C order;
        computed once per window (forward and backward both walk it)."""
        axes = [
            [slice(o * d, o * d + s * (g - 1) + 1, s) for o in range(k)]
            for k, d, s, g in zip(self.kernel, self.dilation, self.stride, self.grid)
        ]
        offsets = itertools.product(*(range(k) for k in self.kernel))
        return tuple((k, o, sl) for k, (o, sl) in enumerate(zip(offsets, itertools.product(*axes))))

    def slices(self, offset: Ints) -> tuple[slice, ...]:
        """Per spatial axis of the padded input, the strided slice kernel ``offset`` sees at
        every window position."""
        return tuple(
            slice(o * d, o * d + s * (g - 1) + 1, s)
            for o, d, s, g in zip(offset, self.dilation, self.stride, self.grid)
        )

    def counts(self, include_pad: bool = True) -> np.ndarray:
        """Per window position, how many elements it covers inside the input plus its padding
        (``include_pad``, PyTorch's count_include_pad: the explicit padding counts, ceil mode's
        extra does not) or inside the input only; the divisors of average pooling."""
        counts = np.ones((), dtype=np.int64)
        for n, k, s, lo, g in zip(self.size, self.kernel, self.stride, self.pad_lo, self.grid):
            start = np.arange(g) * s - lo
            end = np.minimum(start + k, n + lo)
            if not include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, n)
            counts = np.multiply.outer(counts, end - start)
        return counts

    def crop(self) -> tuple[slice, ...]:
        """Per spatial axis, the slice of the padded input that is the unpadded input."""
        return tuple(slice(a, a + n) for a, n in zip(self.pad_lo, self.size))

    # -- repr -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        parts = [f"size={self.size}", f"kernel={self.kernel}", f"stride={self.stride}"]
        if self.padded_any:
            parts.append(f"pads={self.pads}")
        if any(d != 1 for d in self.dilation):
            parts.append(f"dilation={self.dilation}")
        parts.append(f"grid={self.grid}")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return f"Window({self.extra_repr()})"


class WindowRepr:
    """Mixin for the ops that keep a Window as ``self.window``: their repr shows its settings."""

    def extra_repr(self) -> str:
        return self.window.extra_repr()
