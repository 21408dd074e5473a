"""Keep glibc from handing large buffers back to the OS after every training step.

By default glibc serves allocations above a dynamic threshold (128 KiB to 32 MiB) with mmap and
returns them with munmap on free, so every step page-faults its im2col buffers and activations
afresh: measured 3x slower on LeNet-5 (DESIGN.md, "Speed"). Raising the mmap and trim thresholds
keeps those pages in the heap for reuse. The mmap threshold cannot exceed 32 MiB, so buffers
above it (CIFAR-style columns at batch 256 are 75 MB) are also kept off mmap (M_MMAP_MAX = 0):
measured, a compiled CIFAR-style step at batch 256 ran 115 -> 99 ms (docs/performance.md).
Set TINYGRAD_CNN_KEEP_MALLOC=1 to leave malloc alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4
_LIMIT = 1 << 30  # 1 GiB: buffers below this come from (and return to) the heap
_tuned = False


def tune_malloc() -> bool:
    """Raise glibc's mmap/trim thresholds once per process; False where not glibc/Linux."""
    global _tuned
    if _tuned:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("TINYGRAD_CNN_KEEP_MALLOC"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc without mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # NOTE: M_MMAP_THRESHOLD's maximum is 32 MiB on 64-bit glibc; larger values are refused
    ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1
    ok = mallopt(M_TRIM_THRESHOLD, _LIMIT) == 1 and ok
    # NOTE: with mmap off, every buffer comes from the heap; the trim threshold still hands
    # back what lies free above 1 GiB at the top of it
    ok = mallopt(M_MMAP_MAX, 0) == 1 and ok
    _tuned = ok
    return ok
