"""Neural-network building blocks: ``functional`` (F) now; modules and layers come with nn."""

from . import functional

__all__ = ["functional"]
