"""model/memory.py: with the allocator settings, a large array freed and made again reuses the freed pages (no
page faults); without them (ZODRENTHE_MALLOC=0) the kernel hands out fresh pages. Each case in a fresh
subprocess, since the settings act once per process."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
glibc = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                           reason="the settings are glibc's")

# 256 MiB made, freed and made again; prints whether the settings took and the minor page faults of the remake
_REMAKE = """
import resource
import numpy as np
from model import memory
took = memory.keep_freed_memory()
assert memory.keep_freed_memory() == took  # once per process, the same answer
a = np.ones(2**25)
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(2**25)
print(took, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _remake(**env) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", _REMAKE], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    took, faults = out.stdout.split()
    return took, int(faults)


@glibc
def test_freed_large_array_is_reused_without_page_faults():
    took, faults = _remake(ZODRENTHE_MALLOC="1")
    assert took == "True"
    assert faults <= 8  # 256 MiB are 65,536 pages of 4 KiB (128 huge pages): none of them faulted in again


@glibc
def test_switched_off_gives_fresh_pages():
    took, faults = _remake(ZODRENTHE_MALLOC="0")
    assert took == "False"
    assert faults >= 64  # at least half of the 128 huge pages (or far more small ones) faulted in again
