"""Named random streams, one per process, so that one process's draws never depend on another's.

A stream is keyed by (run seed, process name, year): ``np.random.default_rng([seed, crc32(name), year])``
(as Starsim does). Decisions about existing entities use :meth:`Streams.uniform_by_key`, a counter-based
draw: a hash of the entity's draw key salted by (seed, process, year, sub), so that an entity's draw depends
only on those and its draw key (see :mod:`model.entities`), not on how many other entities exist. A
scenario that changes one process therefore changes no other process's draws (common random numbers across
scenarios). Processes that loop over municipalities take one generator per municipality
(``sub``), so a change confined to one municipality leaves the draws of the others untouched.

Building a generator is mostly numpy's SeedSequence (~25 us, a run builds ~2,300 generators and salts): once
numba is loaded, :func:`seed_state` computes the same state words in a compiled loop and the generator is
built from them (~5 us); the generators and salts are the same (tests/test_streams.py).
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .kernels import hash_uniform, njit, use_compiled

PROCESSES = (
    "stock", "mortality", "care", "fertility", "separation", "partnership", "leave_home",
    "out_migration", "in_migration", "allocation", "alignment", "stock_change", "income", "market",
    "maintenance", "renovation", "corporations", "fund", "corporation_levers",
)


class Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)

    @staticmethod
    def key(name: str) -> int:
        if name not in PROCESSES:
            raise KeyError(f"unknown random stream {name!r}; declared streams: {', '.join(PROCESSES)}")
        return zlib.crc32(name.encode())

    def generator(self, name: str, year: int, sub: int = 0) -> np.random.Generator:
        """A fresh generator for one process in one year (``sub`` separates independent uses): the same as
        ``np.random.default_rng([seed, key(name), year, sub])``."""
        entropy = [self.seed, self.key(name), int(year), int(sub)]
        if not use_compiled(0):
            return np.random.default_rng(entropy)
        return np.random.Generator(np.random.PCG64(_FixedState(seed_state(entropy, 8).view(np.uint64))))

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
        entropy = [self.seed, key, year, 1000 + sub]
        if use_compiled(0):
            state = seed_state(entropy, 4).view(np.uint64)
        else:
            state = np.random.SeedSequence(entropy).generate_state(2, np.uint64)
        return int(state[0]), int(state[1])


class _FixedState(ISeedSequence):
    """A seed sequence that hands out state words computed beforehand (those of numpy's SeedSequence)."""

    def __init__(self, state: np.ndarray):
        self.state = state

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != self.state.size or np.dtype(dtype) != self.state.dtype:
            raise ValueError("_FixedState holds the words for one request only")
        return self.state


# numpy's SeedSequence (numpy/random/bit_generator.pyx, after M. E. O'Neill's seed_seq_fe): a pool of 4 uint32
# words mixed from the entropy with two multiplicative hashes.
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_MASK32 = 0xFFFFFFFF


@njit
def _seed_state_loop(words, n_words):  # pragma: no cover - compiled
    """SeedSequence(entropy).generate_state(n_words, np.uint32) from the entropy's uint32 words: the uint32
    arithmetic done on uint64 and cut to the low 32 bits after each step."""
    m, shift = np.uint64(_MASK32), np.uint64(16)
    mult_a, mix_l, mix_r = np.uint64(_MULT_A), np.uint64(_MIX_MULT_L), np.uint64(_MIX_MULT_R)
    hc = np.uint64(_INIT_A)
    pool = np.zeros(4, dtype=np.uint64)
    for i in range(4):  # the entropy up to the pool size (hashmix)
        v = words[i] if i < words.size else np.uint64(0)
        v ^= hc
        hc = (hc * mult_a) & m
        v = (v * hc) & m
        pool[i] = v ^ (v >> shift)
    for i_src in range(4):  # every word into every other (mix of the word and the hashmix of the other)
        for i_dst in range(4):
            if i_src != i_dst:
                v = pool[i_src] ^ hc
                hc = (hc * mult_a) & m
                v = (v * hc) & m
                v ^= v >> shift
                r = (mix_l * pool[i_dst] - mix_r * v) & m
                pool[i_dst] = r ^ (r >> shift)
    for i_src in range(4, words.size):  # the entropy beyond the pool size
        for i_dst in range(4):
            v = words[i_src] ^ hc
            hc = (hc * mult_a) & m
            v = (v * hc) & m
            v ^= v >> shift
            r = (mix_l * pool[i_dst] - mix_r * v) & m
            pool[i_dst] = r ^ (r >> shift)
    out = np.empty(n_words, dtype=np.uint32)
    hb, mult_b = np.uint64(_INIT_B), np.uint64(_MULT_B)
    for i in range(n_words):  # generate_state: the pool words in turn, hashed
        v = pool[i % 4] ^ hb
        hb = (hb * mult_b) & m
        v = (v * hb) & m
        out[i] = np.uint32(v ^ (v >> shift))
    return out


def seed_state(entropy: list[int], n_words: int) -> np.ndarray:
    """``np.random.SeedSequence(entropy).generate_state(n_words, np.uint32)`` for a list of non-negative ints
    (each split into uint32 words, least significant first, 0 as one word, as SeedSequence does), in a
    compiled loop; numpy's SeedSequence itself for anything else (which raises where it must)."""
    words = []
    for x in entropy:
        if not isinstance(x, int) or x < 0:
            return np.random.SeedSequence(entropy).generate_state(n_words, np.uint32)
        words.append(x & _MASK32)
        x >>= 32
        while x:
            words.append(x & _MASK32)
            x >>= 32
    return _seed_state_loop(np.array(words, dtype=np.uint64), n_words)
