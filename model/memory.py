"""How the C allocator hands out the memory of large numpy arrays (on glibc, i.e. Linux; elsewhere nothing).

A year of the model makes many temporary arrays the size of a table: at national scale (18 million persons)
each is 20-150 MB. glibc gives every block above its mmap threshold (128 KiB, rising to at most 32 MiB) fresh
pages from the kernel and returns them when the array is freed, so the next temporary of the same size faults
in and zeroes every page again: at national scale a third of the run time went to the kernel (3.9 of 11.3 s of
a year, about 160,000 page faults). Told to serve large blocks from its heap and to keep freed
memory (mallopt's M_MMAP_MAX 0 and M_TRIM_THRESHOLD -1), glibc hands the same pages to the next array instead.
The results are the same either way (only where the bytes live changes); the cost is that the process keeps the
memory of its peak until it ends instead of giving freed memory back to the system (a long session that runs a
national model and goes on with other work can set ZODRENTHE_MALLOC=0).

:func:`keep_freed_memory` is called by every :class:`model.core.HousingModel` and acts once per process.
``ZODRENTHE_MALLOC=0`` leaves the allocator as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4

_DONE: list[bool | None] = [None]  # None: not tried yet in this process; else whether the settings took


def keep_freed_memory() -> bool:
    """Have glibc serve large blocks from its heap and keep freed memory for the next arrays (see the module
    docstring). Acts once per process; returns whether the settings are in force (False where the C library is
    not glibc, where ZODRENTHE_MALLOC=0, or where glibc refused)."""
    if _DONE[0] is None:
        _DONE[0] = _apply()
    return _DONE[0]


def _apply() -> bool:
    if os.environ.get("ZODRENTHE_MALLOC", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    # -1 as the trim threshold: never give the top of the heap back (mallopt(3))
    return bool(libc.mallopt(M_MMAP_MAX, 0)) and bool(libc.mallopt(M_TRIM_THRESHOLD, -1))
