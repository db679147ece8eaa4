"""Compiled loops for the demographic processes (model/demography.py), each with the numpy code it replaces
as the fallback (bit-identical results; see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the fallbacks).

- :func:`deaths`: who dies in mortality. In numpy: a gather of four columns over the alive persons, the life
  table looked up by two index arrays, the care-home multiplier, the counter-based uniforms of
  :meth:`model.streams.Streams.uniform_by_key` and the comparison, about a dozen passes over the ~300,000
  persons (~8 ms); the loops make two (~2 ms).
- :func:`members_of`: the alive members of marked households (the households that lost members in
  fix_households, the leaving ones in out_migration, the survivors' in mortality, the movers' in
  partnership, the templates in in_migration): numpy gathers the mask at every person (~1 ms on the full
  region), the loop reads it and writes only the rows found (~0.4 ms), six times a year.

- :func:`care_moves`: who moves into a care home in care. In numpy a selection of the alive persons 75+ at
  home (four passes over the ~300,000 persons and their positions), gathers of their ages and keys, the draws
  and the comparison; the loop reads the three columns once and draws only for the selected persons.
- :func:`births`: the mothers in fertility, the same way: in numpy a selection of the alive women 15-49 at home
  (six passes over the persons and their positions), gathers of their keys and ages, the draws and the
  comparison; the loop reads the four columns once.

(Loops for the other selections of persons tried: the heads or adult children in households, the single
heads of partnership, the ages that change incomes in ageing, and all of out_migration's draws in one or three
passes over the persons. They were no faster than numpy's few vectorised passes over the selected persons, or
slower: a loop that branches on the roles mispredicts, and out_migration's heads draw from their household's
key, a gather that keeps the draws from vectorising as those of deaths do.)
"""

from __future__ import annotations

import numpy as np

from .kernels import hash_uniform, njit, uniform_of, use_compiled


def _deaths_numpy(alive, age, female, institution, key, mq, multiplier, s0, s1):
    """Fallback of deaths: the numpy code."""
    rows = np.flatnonzero(alive)
    a = age.take(rows)
    q = mq[female.take(rows).astype(np.int64), np.minimum(a, mq.shape[1] - 1)]
    care_home = np.flatnonzero(institution.take(rows) & (a >= 65))
    q[care_home] = np.minimum(q[care_home] * multiplier, 1.0)
    return rows[hash_uniform(key.take(rows), s0, s1) < q]


@njit
def _deaths_loop(alive, age, female, institution, key, mq, multiplier, s0, s1, out):  # pragma: no cover
    """Fills out with the rows that die; returns how many, or -1 if an age (of any slot) indexes outside the
    table (the caller then runs the numpy code, which raises where the person is alive).

    Two loops over the persons: the first draws every person's uniform (straight-line arithmetic over a
    sequential array, which the compiler vectorises), the second compares it with the death probability, read
    from a table by sex, care home (from 65 on) and age that holds the care-home products already (the same
    numbers: each is the product of the same two values). A single loop, drawing and branching person by
    person, took about 1.5 times as long."""
    n_age = mq.shape[1]
    q = np.empty((4, n_age))  # rows: 2 x female + in a care home from 65 on
    for f in range(2):
        for j in range(n_age):
            q[2 * f, j] = mq[f, j]
            home = mq[f, j] * multiplier
            if home > 1.0:  # np.minimum(q, 1.0), NaN kept
                home = 1.0
            q[2 * f + 1, j] = home
    u = np.empty(alive.size)
    for r in range(alive.size):
        u[r] = uniform_of(key[r], s0, s1)
    k = 0
    for r in range(alive.size):
        a = np.int64(age[r])
        i = min(a, n_age - 1)
        if i < 0:  # numpy's indexing from the end
            i += n_age
            if i < 0:
                return -1
        row = 2 * np.int64(female[r]) + np.int64(institution[r] & (a >= 65))
        if alive[r] & (u[r] < q[row, i]):
            out[k] = r
            k += 1
    return k


def deaths(alive: np.ndarray, age: np.ndarray, female: np.ndarray, institution: np.ndarray, key: np.ndarray,
           mq: np.ndarray, multiplier: float, s0: int, s1: int) -> np.ndarray:
    """The rows (ascending) of the alive persons who die: the uniform of their draw key ``key`` (int64) salted
    by ``s0``, ``s1`` (:func:`model.kernels.hash_uniform`) below q, the life table ``mq[female, min(age, last
    age)]``, multiplied by ``multiplier`` (at most 1) in care homes from 65 on. Columns indexed by person row."""
    mq = np.ascontiguousarray(mq, dtype=np.float64)
    key = np.ascontiguousarray(key, dtype=np.int64)
    if use_compiled(alive.size):
        out = np.empty(alive.size, dtype=np.int64)
        k = _deaths_loop(alive, age, female, institution, key.view(np.uint64), mq, np.float64(multiplier),
                         np.uint64(s0), np.uint64(s1), out)
        if k >= 0:
            return out[:k].copy()
    return _deaths_numpy(alive, age, female, institution, key, mq, multiplier, s0, s1)


@njit
def _members_loop(alive, hid, mask, out):  # pragma: no cover - compiled
    """Fills out with the rows found; returns how many (a branch: few persons are found)."""
    k = 0
    for r in range(alive.size):
        if mask[hid[r]] and alive[r]:
            out[k] = r
            k += 1
    return k


def members_of(alive: np.ndarray, hid: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The rows (ascending) of the alive persons whose household id ``hid`` is marked in ``mask``, a lookup by
    id whose last slot stands for -1, "no household" (:meth:`model.entities.EntityTable.id_mask`). In numpy a
    gather of the mask at every person, a mask of the alive and their positions (about 1 ms on the full
    region); the loop reads the mask at every person and writes only the few rows found (about 0.4 ms)."""
    if use_compiled(alive.size):
        out = np.empty(alive.size, dtype=np.int64)
        return out[: _members_loop(alive, hid, mask, out)].copy()
    return np.flatnonzero(mask.take(hid) & alive)


def _care_moves_numpy(alive, age, institution, key, rate_75_84, rate_85plus, s0, s1):
    """Fallback of care_moves: the numpy code."""
    rows = np.flatnonzero(alive & (age >= 75) & ~institution)
    rate = np.where(age.take(rows) >= 85, rate_85plus, rate_75_84)
    return rows[hash_uniform(key.take(rows), s0, s1) < rate]


_CHUNK = 1024  # persons per chunk of the care loop


@njit
def _care_loop(alive, age, institution, key, rate_75_84, rate_85plus, s0, s1, out):  # pragma: no cover
    """Fills out with the rows that move; returns how many. Chunk by chunk of the persons: the alive persons
    75+ outside a care home (some one in fourteen, at random) listed without a branch into a small buffer,
    then drawn: a branch on them at every person was mispredicted at each of them."""
    candidates = np.empty(_CHUNK, dtype=np.int64)
    k = 0
    for start in range(0, alive.size, _CHUNK):
        c = 0
        for r in range(start, min(start + _CHUNK, alive.size)):
            candidates[c] = r
            c += alive[r] & (age[r] >= 75) & (not institution[r])
        for j in range(c):
            r = candidates[j]
            u = uniform_of(key[r], s0, s1)
            if u < (rate_85plus if age[r] >= 85 else rate_75_84):
                out[k] = r
                k += 1
    return k


def care_moves(alive: np.ndarray, age: np.ndarray, institution: np.ndarray, key: np.ndarray, rate_75_84: float,
               rate_85plus: float, s0: int, s1: int) -> np.ndarray:
    """The rows (ascending) of the alive persons 75+ outside a care home (``institution``) who move into one: the
    uniform of their draw key ``key`` (int64) salted by ``s0``, ``s1`` (:func:`model.kernels.hash_uniform`)
    below ``rate_85plus`` from 85 on, else ``rate_75_84``. Columns indexed by person row. In numpy a selection
    (four passes over the persons and their positions), gathers of the ages and keys and the draws; the loop
    reads the three columns once (about 1.95 against 1.5 ms on the full region, caches flushed)."""
    key = np.ascontiguousarray(key, dtype=np.int64)
    if use_compiled(alive.size):
        out = np.empty(alive.size, dtype=np.int64)
        k = _care_loop(alive, age, institution, key.view(np.uint64), np.float64(rate_75_84), np.float64(rate_85plus),
                       np.uint64(s0), np.uint64(s1), out)
        return out[:k].copy()
    return _care_moves_numpy(alive, age, institution, key, rate_75_84, rate_85plus, s0, s1)


def _births_numpy(alive, female, institution, age, key, rate_by_age, s0, s1):
    """Fallback of births: the numpy code."""
    rows = np.flatnonzero(alive & female & ~institution & (age >= 15) & (age <= 49))
    return np.compress(hash_uniform(key.take(rows), s0, s1) < rate_by_age[age.take(rows)], rows)


@njit
def _births_loop(alive, female, institution, age, key, rate_by_age, s0, s1, out):  # pragma: no cover - compiled
    """Fills out with the rows of the mothers; returns how many. Chunk by chunk, as the care loop: the women
    15-49 listed without a branch, their keys gathered, then drawn."""
    candidates = np.empty(_CHUNK, dtype=np.int64)
    k = 0
    for start in range(0, alive.size, _CHUNK):
        c = 0
        for r in range(start, min(start + _CHUNK, alive.size)):
            candidates[c] = r
            a = age[r]
            c += alive[r] & female[r] & (not institution[r]) & (a >= 15) & (a <= 49)
        for j in range(c):
            r = candidates[j]
            if uniform_of(key[r], s0, s1) < rate_by_age[age[r]]:
                out[k] = r
                k += 1
    return k


def births(alive: np.ndarray, female: np.ndarray, institution: np.ndarray, age: np.ndarray, key: np.ndarray,
           rate_by_age: np.ndarray, s0: int, s1: int) -> np.ndarray:
    """The rows (ascending) of the alive women 15-49 outside a care home (``institution``) who give birth: the
    uniform of their draw key ``key`` salted by ``s0``, ``s1`` (:func:`model.kernels.hash_uniform`) below
    ``rate_by_age[age]``. Columns indexed by person row. In numpy a selection (six passes over the persons and
    their positions), gathers of the keys and ages, the draws and the comparison; the loop reads the four
    columns once and draws only for the women selected."""
    key = np.ascontiguousarray(key, dtype=np.int64)
    rate_by_age = np.ascontiguousarray(rate_by_age, dtype=np.float64)
    if use_compiled(alive.size):
        out = np.empty(alive.size, dtype=np.int64)
        k = _births_loop(alive, female, institution, age, key.view(np.uint64), rate_by_age, np.uint64(s0),
                         np.uint64(s1), out)
        return out[:k].copy()
    return _births_numpy(alive, female, institution, age, key, rate_by_age, s0, s1)
