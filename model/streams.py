"""Named random streams, one per process, so that one process's draws never depend on another's.

A stream is keyed by (run seed, process name, year): ``np.random.default_rng([seed, crc32(name), year])``
(as Starsim does). Decisions about existing entities use :meth:`Streams.uniform_by_key`, which draws one
uniform per key slot and picks the entities' values, so that an entity's draw depends only on the seed,
the process, the year and its draw key (see :mod:`model.entities`), not on how many other entities
exist. A scenario that changes one process therefore changes no other process's draws (common random
numbers across scenarios). Processes that loop over municipalities take one generator per municipality
(``sub``), so a change confined to one municipality leaves the draws of the others untouched.
"""

from __future__ import annotations

import zlib

import numpy as np

from .entities import KEY_BITS

BLOCK_BITS = 16  # uniform_by_key draws keys in blocks of 2**16

PROCESSES = (
    "stock", "mortality", "care", "fertility", "separation", "partnership", "leave_home",
    "out_migration", "in_migration", "allocation", "alignment", "stock_change", "income", "market",
    "maintenance", "renovation", "corporations", "fund", "corporation_levers",
)


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)
        self._kept: dict[tuple[int, int, int, int], np.ndarray] = {}  # blocks of uniform_by_key(keep=True)

    @staticmethod
    def key(name: str) -> int:
        if name not in PROCESSES:
            raise KeyError(f"unknown random stream {name!r}; declared streams: {', '.join(PROCESSES)}")
        return zlib.crc32(name.encode())

    def generator(self, name: str, year: int, sub: int = 0) -> np.random.Generator:
        """A fresh generator for one process in one year (``sub`` separates independent uses)."""
        return np.random.default_rng([self.seed, self.key(name), int(year), int(sub)])

    def uniform_by_key(self, name: str, year: int, keys: np.ndarray, sub: int = 0, keep: bool = False) -> np.ndarray:
        """One uniform per entity, fixed by (seed, process, year, sub, draw key). ``keep`` keeps the generated
        blocks for the next call with the same (process, year, sub): for fixed draws asked for every year."""
        ids = np.asarray(keys, dtype=np.int64)
        if ids.size == 0:
            return np.zeros(0)
        # Keys are drawn in blocks of 2**16 keyed by block number, so a growing key space does not shift
        # values. A key is namespace << KEY_BITS | counter (model.entities); its block is key >> 16. The blocks
        # in use are found without sorting: a dense slot per (namespace, counter block), then one generator
        # per block in use, and one gather.
        key = self.key(name)
        ns = ids >> KEY_BITS
        cb = (ids >> BLOCK_BITS) & ((1 << (KEY_BITS - BLOCK_BITS)) - 1)
        width = int(cb.max()) + 1
        n_ns = int(ns.max()) + 1
        if ns.min() < 0 or n_ns * width > 4 * ids.size + 4096:
            return self._uniform_by_key_sorted(key, year, ids, sub)
        slot = ns * width + cb
        used = np.zeros(n_ns * width, dtype=bool)
        used[slot] = True
        present = np.flatnonzero(used)
        # the blocks in use one after the other; a key's value is at its block's start + its low 16 bits
        position = np.zeros(used.size, dtype=np.int64)
        position[present] = np.arange(present.size) << BLOCK_BITS
        block = np.empty((present.size, 1 << BLOCK_BITS))
        for i, s in enumerate(present.tolist()):
            b = ((s // width) << (KEY_BITS - BLOCK_BITS)) | (s % width)
            if keep:
                kept = self._kept.get((key, int(year), int(sub), b))
                if kept is None:
                    kept = self._block_rng(key, year, sub, b).random(1 << BLOCK_BITS)
                    self._kept[(key, int(year), int(sub), b)] = kept
                block[i] = kept
            else:
                self._block_rng(key, year, sub, b).random(out=block[i])
        return block.reshape(-1).take(position[slot] | (ids & ((1 << BLOCK_BITS) - 1)))

    def _block_rng(self, key: int, year: int, sub: int, block: int) -> np.random.Generator:
        """The generator of one block of uniform_by_key: (seed, process, year, sub, block number)."""
        return np.random.default_rng([self.seed, key, int(year), 1000 + int(sub), int(block)])

    def _uniform_by_key_sorted(self, key: int, year: int, ids: np.ndarray, sub: int) -> np.ndarray:
        """uniform_by_key for sparse keys: the keys grouped by block with one sort."""
        out = np.empty(ids.size)
        blocks = ids >> BLOCK_BITS
        order = np.argsort(blocks, kind="stable")
        sorted_blocks = blocks[order]
        cuts = np.flatnonzero(sorted_blocks[1:] != sorted_blocks[:-1]) + 1
        for lo, hi in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [ids.size]]), strict=True):
            u = self._block_rng(key, year, sub, sorted_blocks[lo]).random(1 << BLOCK_BITS)
            sel = order[lo:hi]
            out[sel] = u[ids[sel] & ((1 << BLOCK_BITS) - 1)]
        return out
