"""Named random streams, one per process, so that one process's draws never depend on another's.

A stream is keyed by (run seed, process name, year): ``np.random.default_rng([seed, crc32(name), year])``
(as Starsim does). Decisions about existing entities use :meth:`Streams.uniform_by_key`, a counter-based
draw: a hash of the entity's draw key salted by (seed, process, year, sub), so that an entity's draw depends
only on those and its draw key (see :mod:`model.entities`), not on how many other entities exist. A
scenario that changes one process therefore changes no other process's draws (common random numbers across
scenarios). Processes that loop over municipalities take one generator per municipality
(``sub``), so a change confined to one municipality leaves the draws of the others untouched.
"""

from __future__ import annotations

import zlib

import numpy as np

from .kernels import hash_uniform

PROCESSES = (
    "stock", "mortality", "care", "fertility", "separation", "partnership", "leave_home",
    "out_migration", "in_migration", "allocation", "alignment", "stock_change", "income", "market",
    "maintenance", "renovation", "corporations", "fund", "corporation_levers",
)


_KEYS = {name: zlib.crc32(name.encode()) for name in PROCESSES}
_WORD = 1 << 32


def _seed_sequence(words: tuple[int, ...]) -> np.random.SeedSequence:
    """numpy's SeedSequence of the entropy ``list(words)``. Where every word fits in 32 bits (always, unless the
    run seed is 2**32 or more) it gets them as a uint32 array: numpy turns a list of such ints into the same
    array one element at a time (a word each, 0 included), so the pool and every state drawn are the same, at a
    quarter of the cost (the streams make some 75 generators and salts a year)."""
    if all(0 <= w < _WORD for w in words):
        return np.random.SeedSequence(np.array(words, dtype=np.uint32))
    return np.random.SeedSequence(list(words))


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)

    @staticmethod
    def key(name: str) -> int:
        key = _KEYS.get(name)
        if key is None:
            raise KeyError(f"unknown random stream {name!r}; declared streams: {', '.join(PROCESSES)}")
        return key

    def generator(self, name: str, year: int, sub: int = 0) -> np.random.Generator:
        """A fresh generator for one process in one year (``sub`` separates independent uses): the same as
        ``np.random.default_rng([seed, key(name), year, sub])``."""
        words = (self.seed, self.key(name), int(year), int(sub))
        return np.random.Generator(np.random.PCG64(_seed_sequence(words)))

    def uniform_by_key(self, name: str, year: int, keys: np.ndarray, sub: int = 0) -> np.ndarray:
        """One uniform per entity, fixed by (seed, process, year, sub, draw key) and nothing else: a counter-based
        draw (:func:`model.kernels.hash_uniform`), so it does not depend on which other keys are asked for,
        in what order, or how many there are."""
        ids = np.asarray(keys, dtype=np.int64)
        if ids.size == 0:
            return np.zeros(0)
        return hash_uniform(ids, *self.salts(name, year, sub))

    def salts(self, name: str, year: int, sub: int = 0) -> tuple[int, int]:
        """The two salts of :meth:`uniform_by_key` for (process, year, sub), for a compiled loop that draws the
        same uniforms itself (:func:`model.kernels.hash_uniform`)."""
        return self._salts(self.key(name), int(year), int(sub))

    def _salts(self, key: int, year: int, sub: int) -> tuple[int, int]:
        """The two 64-bit salts of (seed, process, year, sub), from numpy's SeedSequence (which mixes its
        entropy so that nearby seeds, years and subs give unrelated salts)."""
        state = _seed_sequence((self.seed, key, year, 1000 + sub)).generate_state(2, np.uint64)
        return int(state[0]), int(state[1])
