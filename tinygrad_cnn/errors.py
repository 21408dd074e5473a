"""Exception classes of the library that PyTorch users catch as RuntimeError.

PyTorch raises RuntimeError for shape mismatches (matmul, reshape, broadcast, cat, in-place
results); this library raised ValueError. ``ShapeError`` is both, so code catching either works.
"""

from __future__ import annotations


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit an op (a ValueError and, as in PyTorch, a RuntimeError).

    >>> import tinygrad_cnn as tg
    >>> try:
    ...     tg.zeros(2, 3) @ tg.zeros(2, 3)
    ... except RuntimeError as e:
    ...     print(type(e).__name__)
    ShapeError
    """
