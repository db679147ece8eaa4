"""Compiled loops for the few hot spots where numpy needs many passes over the same array, each with a
pure-numpy fallback that gives bit-identical results.

numba compiles the loops when it is installed (a dependency of the project), from the first call on an
array of at least ``MIN_SIZE`` elements on. Set ``ZODRENTHE_NUMBA=0`` to use the numpy fallback everywhere
(it is also used when numba is missing): outputs are the same either way, which ``tests/test_kernels*.py``
check kernel by kernel and on whole runs. Compiled code is cached on disk (``cache=True``) so that later
processes and the workers of a batch load it instead of compiling it again.

Kernels here:

- :func:`hash_uniform`: the counter-based uniforms of :meth:`model.streams.Streams.uniform_by_key`. In numpy
  the two SplitMix64 rounds take about 14 passes over the keys (each allocating a temporary); the loop makes
  one.
- :func:`label_of`: the energy label of one EP2 value, for the loops of the other kernel modules.

The other kernels sit beside the code they speed up: model/kernels_demography.py (mortality, care, births and
the persons drawn by the demographic processes), kernels_migration.py (in-migration, the member index's changed
persons), kernels_households.py (household facts, savings, the member table), kernels_market.py (indicators,
matching), kernels_allocation.py (a whole allocation or matching in one call), kernels_renovation.py
(maintenance, renovation) and kernels_stock.py (prices, construction, the homes on offer).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

_WANTED = os.environ.get("ZODRENTHE_NUMBA", "1").strip().lower() not in ("0", "false", "no", "off")
#: True when the compiled kernels are used (numba is installed and not switched off), False when the numpy
#: fallback is. numba itself is imported at the first call that uses it: importing it and loading the cached
#: machine code takes about a second, which runs on small stocks never earn back (see MIN_SIZE).
COMPILED = _WANTED and importlib.util.find_spec("numba") is not None
#: Until numba is loaded, calls on fewer elements than this go to the numpy fallback (the same results): a run
#: on a small stock then never pays for loading numba. Once a large call has loaded it, every call is compiled.
#: ``ZODRENTHE_NUMBA_MIN_SIZE=0`` sends every call to the compiled loops from the start.
MIN_SIZE = int(os.environ.get("ZODRENTHE_NUMBA_MIN_SIZE", "20000"))
_LOADED = [False]  # numba imported and a kernel compiled or loaded in this process


def use_compiled(n: int) -> bool:
    """Whether a kernel call on ``n`` elements runs the compiled loop (else the numpy fallback)."""
    return COMPILED and (_LOADED[0] or n >= MIN_SIZE)


class _Lazy:
    """A function compiled by numba at its first call (no Python objects, cached on disk, no GIL)."""

    def __init__(self, fn):
        self.fn = fn
        self.compiled = None
        self.__doc__ = fn.__doc__

    def dispatcher(self):
        """The compiled function. Kernels it calls (globals that are _Lazy) are compiled first and replace
        their _Lazy in the module, so that numba can type the call."""
        if self.compiled is None:
            import numba

            scope = self.fn.__globals__
            for name in self.fn.__code__.co_names:
                inner = scope.get(name)
                if isinstance(inner, _Lazy):
                    scope[name] = inner.dispatcher()
            self.compiled = numba.njit(cache=True, nogil=True)(self.fn)
            _LOADED[0] = True
        return self.compiled

    def __call__(self, *args):
        return (self.compiled or self.dispatcher())(*args)


def njit(fn):
    """Mark ``fn`` as a compiled kernel: numba compiles it at the first call (or loads it from the disk cache).
    Call it only where :func:`use_compiled` says so, and keep the numpy fallback beside it."""
    return _Lazy(fn)


# SplitMix64 (Steele, Lea and Flood 2014; the finaliser of Stafford's "Mix13" variant): an odd increment and
# two multipliers. Every 64-bit input maps to a distinct output, and nearby inputs to unrelated outputs.
GAMMA = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
_TO_UNIT = 2.0 ** -53  # the top 53 bits of the hash as a double in [0, 1)


def _mix_numpy(z: np.ndarray) -> None:
    """One SplitMix64 finaliser round, in place on uint64."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(MIX2)
    z ^= z >> np.uint64(31)


def _hash_uniform_numpy(keys: np.ndarray, s0: int, s1: int) -> np.ndarray:
    """Fallback of hash_uniform: the same arithmetic (uint64, wrapping) on whole arrays."""
    z = keys.astype(np.uint64)
    z *= np.uint64(GAMMA)
    z += np.uint64(s0)
    _mix_numpy(z)
    z ^= np.uint64(s1)
    _mix_numpy(z)
    z >>= np.uint64(11)
    out = z.astype(np.float64)
    out *= _TO_UNIT
    return out


@njit
def _mix(z):  # pragma: no cover - compiled
    """One SplitMix64 finaliser round of a uint64 (as _mix_numpy)."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(MIX2)
    z ^= z >> np.uint64(31)
    return z


@njit
def label_of(e, bounds):  # pragma: no cover - compiled
    """The energy label index of one EP2 value (float64) in a compiled loop: the number of ``bounds`` at or
    below it, ``bounds.size`` for NaN (as model.income.label_index)."""
    if e != e:
        return bounds.size
    k = 0
    for b in bounds:
        if e >= b:
            k += 1
    return k


@njit
def uniform_of(key, s0, s1):  # pragma: no cover - compiled
    """hash_uniform's value of one key in a compiled loop (``key`` as uint64 or int64, which wraps as a view;
    ``s0``, ``s1``: uint64), for the loops that draw only for the elements they reach."""
    z = _mix(_mix(np.uint64(key) * np.uint64(GAMMA) + s0) ^ s1)
    return np.float64(z >> np.uint64(11)) * _TO_UNIT


@njit
def _hash_uniform_loop(keys, s0, s1, out):  # pragma: no cover - compiled
    for i in range(keys.size):
        out[i] = uniform_of(keys[i], s0, s1)


def hash_uniform(keys: np.ndarray, s0: int, s1: int) -> np.ndarray:
    """One uniform in [0, 1) per key: two SplitMix64 rounds of ``key * GAMMA + s0`` (the second after xor with
    ``s1``), the top 53 bits scaled to [0, 1). The same key and salts always give the same value; the value
    does not depend on the other keys. ``keys``: int64 (negative keys wrap like uint64)."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    if not use_compiled(keys.size):
        return _hash_uniform_numpy(keys, s0, s1)
    out = np.empty(keys.size)
    _hash_uniform_loop(keys.view(np.uint64), np.uint64(s0), np.uint64(s1), out)
    return out


@njit
def run_end(codes, i):  # pragma: no cover - compiled
    """The end (exclusive) of the run of elements equal to ``codes[i]`` that starts at ``i``, for loops over slots
    sorted by a code (the persons and households of a municipality sit together: a few dozen runs on the full
    region). Blocks of 64 are compared at once (a loop without a branch, which the compiler vectorises: its
    index unsigned, which spares the check for an index from the end that kept it scalar, 0.25 -> 0.05 ms over
    the full region's persons), the last ones one by one."""
    n = codes.size
    c = codes[i]
    j = i + 1
    while j + 64 <= n:
        block = codes[j:j + 64]
        same = 0
        for k in range(64):
            same += np.int64(block[np.uint64(k)] == c)
        if same != 64:
            break
        j += 64
    while j < n and codes[j] == c:
        j += 1
    return j


@njit
def _count_alive_loop(codes, alive, n_codes, out):  # pragma: no cover - compiled
    """Run by run of equal codes (run_end), the alive slots of each run added up in a register (a vectorised
    loop over the run's slice): counting at ``out[code]`` slot by slot waited at each slot for the count the
    slot before had stored (the slots of a municipality sit together), 0.74 -> 0.08 ms on the full region's
    persons."""
    i = 0
    while i < codes.size:
        c = codes[i]
        j = run_end(codes, i)
        run = alive[i:j]  # (a slice: its index from 0 is known not to count from the end)
        k = 0
        for r in range(run.size):
            k += np.int64(run[r])
        if k:
            if c < 0 or c >= n_codes:
                raise ValueError("code out of range")
            out[c] += k
        i = j


def count_alive(codes: np.ndarray, alive: np.ndarray, n_codes: int) -> np.ndarray:
    """How many alive slots carry each code 0..n_codes-1 (int64), e.g. the persons per municipality: one pass
    over the slots (``codes`` and the bool ``alive`` of equal length) instead of a gather of the alive slots'
    codes and np.bincount (which widens the codes to intp)."""
    if not use_compiled(codes.size):
        return np.bincount(codes[alive], minlength=n_codes)
    out = np.zeros(n_codes, dtype=np.int64)
    _count_alive_loop(codes, alive, n_codes, out)
    return out
