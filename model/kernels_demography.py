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

- :func:`persons_drawn`: the persons of a role (and ages) drawn against a rate by municipality or age:
  leave_home's adult children. The same chunked listing.
- :func:`single_heads_drawn`: partnership's candidates, the heads 20-64 without a partner: one pass lists the
  heads and marks the partners' households, a second over the heads listed draws.
- :func:`out_migrants`: out_migration's heads and adult children who leave, both listed in one pass (two
  persons_drawn calls took 0.8 ms a year more); the heads draw from their household's key, gathered for a
  chunk in a loop of its own before the draws.

(Loops tried that did not help: the same selections with a branch on the roles at every person (it
mispredicts), or with each household key read through ``row_of`` just before its draw (the reads did not
overlap: slower than numpy's gathers); separation's partners through persons_drawn (no faster than numpy's
two passes and three gathers, 2.7 against 2.4 ms); ageing's age increment and the rows turning 18, 25 and 67
in one pass (0.52 ms against numpy's eleven vectorised passes over int16 and bool columns, 0.21 ms); drawing
every person's uniform in a vectorised loop and listing only the persons drawn (births: 3 against 1 ms, the
uniforms of all 335,000 slots cost more than the listing saves); members_of with the marks of a chunk
gathered first (0.6 against 0.27 ms).)
"""

from __future__ import annotations

import numpy as np

from .kernels import hash_uniform, njit, uniform_of, use_compiled
from .state import CHILD, HEAD, PARTNER


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


def _drawn_numpy(alive, role, age, key, municipality, want_role, min_age, max_age, table, s0, s1):
    """Fallback of persons_drawn: the numpy code."""
    rows = np.flatnonzero(alive & (role == want_role) & (age >= min_age) & (age <= max_age))
    m = municipality.take(rows).astype(np.int64) if table.shape[0] > 1 else 0
    rate = table[m, np.clip(age.take(rows), 0, table.shape[1] - 1)]
    return rows[hash_uniform(key.take(rows), s0, s1) < rate]


@njit
def _drawn_loop(alive, role, age, key, municipality, want_role, min_age, max_age, table, s0, s1,
                out):  # pragma: no cover - compiled
    """Fills out with the rows drawn; returns how many. Chunk by chunk of the persons, as the care loop: the
    selected persons listed without a branch into a small buffer (a branch on the roles at every person was
    mispredicted at a good share of them), then drawn."""
    candidates = np.empty(_CHUNK, dtype=np.int64)
    by_municipality = table.shape[0] > 1
    last_age = table.shape[1] - 1
    k = 0
    for start in range(0, alive.size, _CHUNK):
        c = 0
        for r in range(start, min(start + _CHUNK, alive.size)):
            candidates[c] = r
            a = age[r]
            c += alive[r] & (role[r] == want_role) & (a >= min_age) & (a <= max_age)
        for j in range(c):
            r = candidates[j]
            a = min(max(np.int64(age[r]), 0), last_age)
            if uniform_of(key[r], s0, s1) < table[np.int64(municipality[r]) if by_municipality else 0, a]:
                out[k] = r
                k += 1
    return k


def persons_drawn(alive: np.ndarray, role: np.ndarray, age: np.ndarray, key: np.ndarray, municipality: np.ndarray,
                  want_role: int, table: np.ndarray, s0: int, s1: int, *, min_age: int = -(1 << 15),
                  max_age: int = (1 << 15) - 1) -> np.ndarray:
    """The rows (ascending) of the alive persons with role ``want_role``, aged ``min_age`` to ``max_age``, the
    uniform of whose draw key ``key`` salted by ``s0``, ``s1`` (:func:`model.kernels.hash_uniform`) is below
    their rate, ``table[municipality, min(max(age, 0), last age)]`` in a (municipalities or 1) x (ages or 1)
    table: rates by municipality, by age or one rate. Columns indexed by person row.

    In numpy a selection (four to six passes over the ~300,000 persons and the positions of those selected),
    gathers of their keys, ages or municipalities, the draws and the comparison (leave_home's, 0.5-1 ms on the
    full region). The loop reads the columns once and draws only for the persons selected."""
    key = np.ascontiguousarray(key, dtype=np.int64)
    table = np.ascontiguousarray(table, dtype=np.float64)
    if use_compiled(alive.size):
        out = np.empty(alive.size, dtype=np.int64)
        k = _drawn_loop(alive, role, age, key.view(np.uint64), municipality, np.int64(want_role),
                        np.int64(min_age), np.int64(max_age), table, np.uint64(s0), np.uint64(s1), out)
        return out[:k].copy()
    return _drawn_numpy(alive, role, age, key, municipality, want_role, min_age, max_age, table, s0, s1)


def _births_numpy(alive, female, institution, age, key, rate_by_age, s0, s1):
    """Fallback of births: the numpy code."""
    rows = np.flatnonzero(alive & female & ~institution & (age >= 15) & (age <= 49))
    return np.compress(hash_uniform(key.take(rows), s0, s1) < rate_by_age[age.take(rows)], rows)


@njit
def _births_loop(alive, female, institution, age, key, rate_by_age, s0, s1, out):  # pragma: no cover - compiled
    """Fills out with the rows of the mothers; returns how many. Chunk by chunk, as the care loop: the women
    15-49 listed without a branch, then drawn."""
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


def _out_migrants_numpy(alive, hid, role, age, key, by_age, head_salts, child_salts, row_of, household_key):
    """Fallback of out_migrants: the numpy code."""
    member = alive & (hid >= 0)
    last_age = by_age.size - 1
    heads = np.flatnonzero(member & (role == HEAD))
    u = hash_uniform(household_key.take(row_of.take(hid.take(heads))), *head_salts)
    kids = np.flatnonzero(member & (role == CHILD) & (age >= 18))
    u_kids = hash_uniform(key.take(kids), *child_salts)
    return (heads[u < by_age.take(np.clip(age.take(heads), 0, last_age))],
            kids[u_kids < by_age.take(np.clip(age.take(kids), 0, last_age))])


@njit
def _out_migrants_loop(alive, hid, role, age, key, by_age, h0, h1, c0, c1, row_of, household_key, heads_out,
                       kids_out):  # pragma: no cover - compiled
    """Fills heads_out and kids_out with the rows of the heads and the adult children who leave; returns how many
    of each. Chunk by chunk, as persons_drawn: both lists of a chunk made without a branch in one loop over it,
    then each drawn (the heads' household keys gathered in a loop of their own first)."""
    heads = np.empty(_CHUNK, dtype=np.int64)
    kids = np.empty(_CHUNK, dtype=np.int64)
    keys = np.empty(_CHUNK, dtype=np.uint64)
    u = np.empty(_CHUNK)
    last_age = by_age.size - 1
    n_heads = n_kids = 0
    for start in range(0, alive.size, _CHUNK):
        n_h = n_k = 0
        for r in range(start, min(start + _CHUNK, alive.size)):
            heads[n_h] = r
            kids[n_k] = r
            member = alive[r] & (hid[r] >= 0)
            n_h += member & (role[r] == HEAD)
            n_k += member & (role[r] == CHILD) & (age[r] >= 18)
        for j in range(n_h):
            keys[j] = household_key[row_of[hid[heads[j]]]]
        for j in range(n_h):
            u[j] = uniform_of(keys[j], h0, h1)
        for j in range(n_h):
            r = heads[j]
            if u[j] < by_age[min(max(np.int64(age[r]), 0), last_age)]:
                heads_out[n_heads] = r
                n_heads += 1
        for j in range(n_k):
            r = kids[j]
            if uniform_of(key[r], c0, c1) < by_age[min(np.int64(age[r]), last_age)]:  # (18+: no clip at 0)
                kids_out[n_kids] = r
                n_kids += 1
    return n_heads, n_kids


def out_migrants(alive: np.ndarray, hid: np.ndarray, role: np.ndarray, age: np.ndarray, key: np.ndarray,
                 by_age: np.ndarray, head_salts: tuple[int, int], child_salts: tuple[int, int], row_of: np.ndarray,
                 household_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows (ascending) of the heads and of the adult children (18+) who leave the region in out_migration:
    alive members of a household (``hid`` >= 0) whose uniform is below the probability of their age,
    ``by_age[min(max(age, 0), last age)]``. A head draws from the draw key of its household (``household_key`` at
    its row ``row_of[hid]``) salted by ``head_salts``, a child from its own ``key`` salted by ``child_salts``
    (:func:`model.kernels.hash_uniform`). Columns indexed by person row.

    In numpy two selections of some five passes over the ~300,000 persons each, their positions, gathers of
    ages and keys (the heads' through their households), the draws and the comparisons; the loop reads the
    persons' columns once for both (two persons_drawn calls read them twice)."""
    key = np.ascontiguousarray(key, dtype=np.int64)
    household_key = np.ascontiguousarray(household_key, dtype=np.int64)
    by_age = np.ascontiguousarray(by_age, dtype=np.float64)
    if use_compiled(alive.size):
        heads, kids = np.empty(alive.size, dtype=np.int64), np.empty(alive.size, dtype=np.int64)
        n_heads, n_kids = _out_migrants_loop(alive, hid, role, age, key.view(np.uint64), by_age,
                                             *(np.uint64(s) for s in head_salts), *(np.uint64(s) for s in child_salts),
                                             row_of, household_key.view(np.uint64), heads, kids)
        return heads[:n_heads].copy(), kids[:n_kids].copy()
    return _out_migrants_numpy(alive, hid, role, age, key, by_age, head_salts, child_salts, row_of, household_key)


def _single_heads_numpy(alive, hid, role, age, key, rate, s0, s1, n_ids):
    """Fallback of single_heads_drawn: the numpy code."""
    member = alive & (hid >= 0)
    with_partner = np.zeros(n_ids + 1, dtype=bool)
    with_partner[hid.take(np.flatnonzero(member & (role == PARTNER)))] = True
    heads = np.flatnonzero(member & (role == HEAD) & (age >= 20) & (age <= 64))
    heads = heads[~with_partner.take(hid.take(heads))]
    return heads[hash_uniform(key.take(heads), s0, s1) < rate]


@njit
def _single_heads_loop(alive, hid, role, age, key, rate, s0, s1, with_partner, heads, out):  # pragma: no cover
    """Fills out with the rows drawn; returns how many. One pass over the persons lists the heads 20-64 (into
    heads, without a branch) and marks the households of the partners in with_partner (listed chunk by chunk
    without a branch, then marked); a second pass over the heads listed drops those with a partner and draws."""
    partners = np.empty(_CHUNK, dtype=np.int64)
    n_heads = 0
    for start in range(0, alive.size, _CHUNK):
        c = 0
        for r in range(start, min(start + _CHUNK, alive.size)):
            heads[n_heads] = r
            partners[c] = r
            member = alive[r] & (hid[r] >= 0)
            a = age[r]
            n_heads += member & (role[r] == HEAD) & (a >= 20) & (a <= 64)
            c += member & (role[r] == PARTNER)
        for j in range(c):
            with_partner[hid[partners[j]]] = True
    k = 0
    for j in range(n_heads):
        r = heads[j]
        if not with_partner[hid[r]] and uniform_of(key[r], s0, s1) < rate:
            out[k] = r
            k += 1
    return k


def single_heads_drawn(alive: np.ndarray, hid: np.ndarray, role: np.ndarray, age: np.ndarray, key: np.ndarray,
                       rate: float, s0: int, s1: int, n_ids: int) -> np.ndarray:
    """The rows (ascending) of partnership's candidates: the alive heads aged 20-64 of a household (``hid`` >= 0;
    ``n_ids`` household ids) without an alive partner, whose uniform of their draw key ``key`` salted by ``s0``,
    ``s1`` (:func:`model.kernels.hash_uniform`) is below ``rate``. Columns indexed by person row.

    In numpy two selections over the ~300,000 persons (of the partners, for a lookup of their households by id,
    and of the heads), their positions, gathers of household ids and keys, the draws and the comparison; the
    loops read the persons' columns once and the heads listed a second time."""
    key = np.ascontiguousarray(key, dtype=np.int64)
    if use_compiled(alive.size):
        heads, out = np.empty(alive.size, dtype=np.int64), np.empty(alive.size, dtype=np.int64)
        k = _single_heads_loop(alive, hid, role, age, key.view(np.uint64), np.float64(rate), np.uint64(s0),
                               np.uint64(s1), np.zeros(n_ids + 1, dtype=bool), heads, out)
        return out[:k].copy()
    return _single_heads_numpy(alive, hid, role, age, key, rate, s0, s1, n_ids)
