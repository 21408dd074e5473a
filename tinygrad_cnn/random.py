"""The one seeded generator behind every random creation, dropout and initialization."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the global generator; the same seed gives the same random tensors.

    >>> import tinygrad_cnn as tg
    >>> _ = tg.manual_seed(0); a = tg.rand(3)
    >>> _ = tg.manual_seed(0); b = tg.rand(3)
    >>> bool((a == b).all())
    True
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    # NOTE: PyTorch takes any int and uses it modulo 2**64; numpy takes non-negative seeds only
    _generator = np.random.default_rng(int(seed) % 2**64)
    return _generator


def get_generator() -> np.random.Generator:
    """The generator behind manual_seed (for code that draws its own random arrays).

    >>> import tinygrad_cnn as tg
    >>> _ = tg.manual_seed(1)
    >>> a = tg.random.get_generator().random()
    >>> _ = tg.manual_seed(1)
    >>> a == tg.random.get_generator().random()
    True
    """
    return _generator


def get_rng_state() -> dict:
    """The generator's state, to save in a checkpoint.

    >>> import tinygrad_cnn as tg
    >>> state = tg.random.get_rng_state()
    >>> a = tg.randn(3).tolist()
    >>> tg.random.set_rng_state(state)
    >>> tg.randn(3).tolist() == a
    True
    """
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from get_rng_state().

    >>> import tinygrad_cnn as tg
    >>> state = tg.random.get_rng_state()
    >>> first = tg.rand(2).tolist()
    >>> tg.random.set_rng_state(state)
    >>> tg.rand(2).tolist() == first
    True
    """
    _generator.bit_generator.state = state
