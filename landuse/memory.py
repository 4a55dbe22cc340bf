"""Giving freed memory back to the system.

A service that loads a province's results allocates gigabytes for a moment (GDAL's buffers of
the file as read, the working arrays of park outlines and of the map page) and holds a part of
that. Freed memory stays with the allocator unless it is handed back: Arrow's pool keeps
buffers for reuse, and glibc keeps freed pages of its heaps (one heap per thread that
allocated), so a long-running process would keep its peak. :func:`release_memory` hands them
back after such a step.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys


def release_memory() -> None:
    """Give the memory freed by large temporary tables back to the system: Arrow's pool, and
    glibc's heaps of every thread (``malloc_trim``; nothing to do with another C library)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
