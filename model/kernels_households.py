"""Compiled one-pass loops for the household facts (model.income.household_facts) and for bringing the member
table up to date (model.income.member_table), with the numpy code they replace as the fallbacks.

household_facts is recomputed whenever the persons changed since its last call (yearly_means, the
indicators). In numpy it takes about a dozen passes over the household members (gathers of age, role and
income, masks, three bincounts and ``np.maximum.at``, which is slow); the loop makes one, over the persons'
household rows as the member table keeps them. The results are the same arrays: counts are integers, the
income sums add each household's members in the same order (ascending person rows, as np.bincount over the
members does), the head's age is the last head's (as the fancy assignment leaves it) and the oldest member's
age is a maximum (from 0). yearly_means has the loop index the incomes too (each alive person's income times
the growth, as np.multiply with where=alive: 1 ms a year of its own on the full region), as it reads them, and
copies the members per household from the member table's counts instead of counting them at scattered rows.
``ZODRENTHE_NUMBA=0`` (or numba missing) and fewer persons than
``model.kernels.MIN_SIZE`` use the fallback; tests/test_kernels_households.py compares both on random inputs.

:func:`save_and_repay` adds the households' savings and repays the owners' mortgages (model.income.yearly_means):
in numpy some ten passes over the household slots with fresh temporaries (the core limit, the surplus, the
years left, the masks), about 5 ms a year on the full region; the loop makes one and writes in place. The
same arithmetic, value by value, so the same results.

The member table (model.income._MemberIndex) is brought up to date from the persons that changed since its last
use: :func:`update_members` moves the changed members' contributions to the per-household counts and looks up
their household rows in one call, the lookups in a pass of their own (numpy, its fallback: gathers,
np.subtract.at and np.add.at, fancy writes; the in-migration update of a full-region year 4.3 -> 3.3 ms with the
listing left out, see below). (The comparison of the columns with their copies that finds the changed persons
stays in numpy: its vectorised passes beat a loop, 0.4 against 0.9 ms; a loop over all persons doing the rest at
each changed one waited for its scattered reads one after the other.) :func:`shift_counts` is the counts' part of
the numpy fallback. :func:`member_arrays` lists the members and their household rows into the table's buffers
when the listing is asked for (numpy: np.flatnonzero, a copy and a gather, 1.7 ms on the full region; the loop:
one pass without branches on the data, about as fast as copying its output, 0.8 ms warm); the model's processes
read only the counts and the persons' household rows, so a run never asks for it.

After a compaction the table is built from scratch (the persons and the households are compacted together,
model.core.COMPACT_AT, so one build serves both): :func:`build_members` copies the columns, looks up the
household rows and counts the members in one pass, into the old table's memory where it is free
(numpy: about 18 ms on the full region in a dozen passes and fresh arrays, the loop 6-8 ms). (A loop for the
count alone, model.income.role_counts, was tried too: no faster than its numpy code, which is bound by the
scattered reads of ``row_of`` and the scattered counts, not by the number of passes; the gain is in the passes
and the page faults of fresh arrays spared.)

:func:`energy_cost` is model.income.energy_cost_eur in one pass over the rows (about 20 calls a year from the
market's scores, mostly on a few hundred rows, where numpy's gathers and passes are mostly their fixed cost).
"""

from __future__ import annotations

import numpy as np

from .kernels import njit, use_compiled
from .state import HEAD, OWNER, PARTNER

FACTS = ("income", "adults", "size", "head_age", "oldest")
_SIZE = FACTS.index("size")


def _facts_numpy(hrow_of, age, role, income, n):
    """Fallback of facts: the numpy code, on the members (the persons with a household row) in ascending rows."""
    rows = np.flatnonzero(hrow_of >= 0)
    hrow = hrow_of.take(rows)
    age = age.take(rows).astype(np.int64)
    head = np.flatnonzero(role.take(rows) == HEAD)
    head_age = np.zeros(n, dtype=np.int64)
    head_age[hrow.take(head)] = age.take(head)
    oldest = np.zeros(n, dtype=np.int64)
    np.maximum.at(oldest, hrow, age)
    return dict(income=np.bincount(hrow, weights=income.take(rows), minlength=n),
                adults=np.bincount(np.compress(age >= 18, hrow), minlength=n),
                size=np.bincount(hrow, minlength=n), head_age=head_age, oldest=oldest)


#: The facts loop's packing of a household's adults, head's age and oldest age into one int64: the adults in the
#: low 32 bits, the head's age + HEAD_AGE_OFFSET (0 .. 65535 for an int16 age) in the next 16, the oldest age
#: (0 .. 32767: a maximum from 0 of int16 ages) in the top 16.
HEAD_AGE_OFFSET = 32768
_NO_HEAD = HEAD_AGE_OFFSET << 32  # no adult, head's age 0, oldest 0


@njit
def _facts_loop(hrow_of, age, role, income, n, alive, growth, grown, inc, adults, size, head_age, oldest,
                count_size, acc):  # pragma: no cover - compiled
    """Fills income (``inc``), adults, size (only with ``count_size``, zeroed by the caller; else the caller has
    filled it), head_age and oldest (``n`` slots each) and returns ok (False: a household row out of range, or
    no member; the caller then runs the numpy code, which raises, or gives the arrays of no member). With
    ``alive`` (not empty), each alive person's income is first multiplied by ``growth`` and written to ``grown``
    (the income array itself, writable; ``income`` may be read-only otherwise), whatever else happens. ``age``
    must fit int16 (the caller checks its dtype).

    One pass over the persons in row order (their household rows are read in sequence: no list of the members
    to read besides), without branches on the data but the one on membership: the adults are added as 0 or 1,
    the head's age and the oldest age are selected (mispredicted branches cost more than the selections).
    The persons are not in household order: each member updates its household at a scattered row. The facts of
    a household are kept side by side in ``acc`` (``n`` x 2 float64: the income sum, then the adults, the
    head's age and the oldest age packed into the int64 of the same bits, see HEAD_AGE_OFFSET), so that a
    member touches 16 bytes in one cache line rather than a line in each of four arrays, and all households'
    accumulators (2.4 MB on the full region) nearly fit the core's cache; a last pass in household order
    unpacks them to the arrays (the same values: the incomes added in the same order, the integers exact)."""
    packed = acc.view(np.int64)
    for r in range(n):
        acc[r, 0] = 0.0
        packed[r, 1] = _NO_HEAD
    members = 0
    grow = alive.size > 0
    ok = True
    for i in range(hrow_of.size):
        x = income[i]
        if grow and alive[i]:
            x = x * growth
            grown[i] = x
        r = hrow_of[i]
        if r < 0:
            continue
        if r >= n:
            ok = False
            continue
        members += 1
        a = np.int64(age[i])
        acc[r, 0] += x
        if count_size:
            size[r] += 1
        v = packed[r, 1]
        ad = (v & 0xFFFFFFFF) + np.int64(a >= 18)
        hd = (a + HEAD_AGE_OFFSET) if role[i] == HEAD else ((v >> 32) & 0xFFFF)
        od = max(v >> 48, a)
        packed[r, 1] = ad | (hd << 32) | (od << 48)
    for r in range(n):
        inc[r] = acc[r, 0]
        v = packed[r, 1]
        adults[r] = v & 0xFFFFFFFF
        head_age[r] = ((v >> 32) & 0xFFFF) - HEAD_AGE_OFFSET
        oldest[r] = v >> 48
    return ok and members > 0


#: The facts loop's accumulators (households x 2), kept for its next call (about a year later): a fresh array of
#: the full region's households would cost some 600 page faults at every call.
_ACC = [np.zeros((0, 2))]


def _accumulators(n: int) -> np.ndarray:
    """The first ``n`` rows of the kept accumulators, grown (with room) where too small."""
    if _ACC[0].shape[0] < n:
        _ACC[0] = np.empty((n + n // 4, 2))
    return _ACC[0][:n]


def facts(hrow_of: np.ndarray, age: np.ndarray, role: np.ndarray, income: np.ndarray, n: int,
          alive: np.ndarray | None = None, growth: float = 1.0, out=None,
          size: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per household slot (``n`` slots): income of its members (added in ascending person rows), adults (18+),
    size, the head's age (0 without a head) and the oldest member's age (0 if none is older), from each
    person's household row (``hrow_of``, -1 for a person who is no member) and the persons' columns age, role
    and income (all indexed by person row, of the same length).

    With ``alive`` (per person row), the incomes of the alive persons are first multiplied by ``growth`` in place
    (as np.multiply with where=alive; model.income.yearly_means), in the same pass: the sums are then of the
    new incomes. Ages of another dtype than int8 or int16 (which the compiled loop packs) go to the numpy code.

    ``out``: five writable arrays (float64 for the income, int64 for the others) of at least ``n`` elements
    whose first ``n`` the compiled loop fills and returns: memory used before is written again
    without the page faults of fresh arrays (about 0.4 ms per array of the full region's households). Without
    them, and in the numpy code, the arrays are new.

    ``size``: the number of members per household slot where the caller has it (model.income.member_table's
    counts of the same household rows: the same integers), which the compiled loop then copies instead of
    counting: one array fewer to update at scattered rows (the persons are not in household order), 6.4 ->
    5.7 ms a call on the full region with cold caches."""
    if not hrow_of.size == age.size == role.size == income.size or (alive is not None and alive.size != age.size):
        raise ValueError("facts: the persons' arrays differ in length")
    if size is not None and size.shape != (n,):
        raise ValueError("facts: the members per household differ in length from the households")
    # (without members np.bincount gives the income as int64 zeros: the fallback keeps that)
    if hrow_of.size and use_compiled(hrow_of.size) and age.dtype.kind == "i" and age.dtype.itemsize <= 2:
        grow = _NO_GROWTH if alive is None else (alive, float(growth), income)
        if out is None:
            arrays = (np.zeros(n, np.float64), *(np.zeros(n, np.int64) for _ in range(4)))
        else:
            arrays = tuple(a[:n] for a in out)
            if size is None:
                arrays[_SIZE].fill(0)
        if size is not None:
            arrays[_SIZE][:] = size
        if _facts_loop(hrow_of, age, role, income, n, *grow, *arrays, size is None, _accumulators(n)):
            return dict(zip(FACTS, arrays, strict=True))
    elif alive is not None:
        np.multiply(income, growth, out=income, where=alive)
    return _facts_numpy(hrow_of, age, role, income, n)


_NO_GROWTH = (np.zeros(0, dtype=bool), 1.0, np.zeros(0))  # the loop's alive, growth and grown without growth


def _save_and_repay_numpy(alive, tenure, moved_in_year, income, adults, savings, mortgage, limit_single,
                          limit_multi, factor, rate, term, year):
    """Fallback of save_and_repay: the numpy code (over all slots, written where alive, and owner)."""
    limit = np.where(adults <= 1, limit_single, limit_multi) * factor
    surplus = np.maximum(income - limit, 0.0)
    np.add(savings, rate * surplus, out=savings, where=alive)
    years_left = np.maximum(term - (year - moved_in_year), 1.0)
    np.subtract(mortgage, mortgage / years_left, out=mortgage, where=alive & (tenure == OWNER))


@njit
def _save_and_repay_loop(alive, tenure, moved_in_year, income, adults, savings, mortgage, limit_single,
                         limit_multi, factor, rate, term, year):  # pragma: no cover - compiled
    """One pass; np.maximum's choice (the first value where it is at least the second or NaN) kept as such, so
    that -0.0 and NaN come out as in numpy."""
    for r in range(alive.size):
        if not alive[r]:
            continue
        limit = (limit_single if adults[r] <= 1 else limit_multi) * factor
        surplus = income[r] - limit
        if not (surplus >= 0.0 or surplus != surplus):
            surplus = 0.0
        savings[r] += rate * surplus
        if tenure[r] == OWNER:
            years_left = term - np.float64(year - np.int64(moved_in_year[r]))
            if not years_left >= 1.0:
                years_left = 1.0
            mortgage[r] -= mortgage[r] / years_left


def save_and_repay(alive: np.ndarray, tenure: np.ndarray, moved_in_year: np.ndarray, income: np.ndarray,
                   adults: np.ndarray, savings: np.ndarray, mortgage: np.ndarray, limit_single: float,
                   limit_multi: float, factor: float, rate: float, term: float, year: int) -> None:
    """In place, for the alive household slots: savings += ``rate`` * max(income - core limit, 0), where the core
    limit is ``limit_single`` (up to one adult) or ``limit_multi``, times ``factor``; and for the owners among
    them mortgage -= mortgage / max(``term`` - (``year`` - moved_in_year), 1). All arrays per household slot.
    (The years are counted in exact floats here and in int16 in the numpy code: the same for any year that
    int16 holds.)"""
    if use_compiled(alive.size):
        _save_and_repay_loop(alive, tenure, moved_in_year, income, adults, savings, mortgage, float(limit_single),
                             float(limit_multi), float(factor), float(rate), float(term), int(year))
        return
    _save_and_repay_numpy(alive, tenure, moved_in_year, income, adults, savings, mortgage, limit_single,
                          limit_multi, factor, rate, term, year)


@njit
def _members_loop(member, hrow_of, n, rows, hrow):  # pragma: no cover - compiled
    """Without a branch on ``member``: every row is written at the next place, which only a member moves on
    (the place stays below ``n``, inside the buffers); a mispredicted branch at each non-member cost more."""
    k = 0
    for i in range(n):
        rows[k] = i
        hrow[k] = hrow_of[i]
        k += np.int64(member[i])
    return k


def _shift_counts_numpy(size, heads, partners, was_hrow, was_role, is_hrow, is_role):
    """Fallback of shift_counts: np.subtract.at and np.add.at (unbuffered, as repeated rows need)."""
    for buf, pick_was, pick_is in zip((size, heads, partners), (None, was_role == HEAD, was_role == PARTNER),
                                      (None, is_role == HEAD, is_role == PARTNER), strict=True):
        np.subtract.at(buf, was_hrow if pick_was is None else was_hrow[pick_was], 1)
        np.add.at(buf, is_hrow if pick_is is None else is_hrow[pick_is], 1)


@njit
def _shift_counts_loop(size, heads, partners, was_hrow, was_role, is_hrow, is_role):  # pragma: no cover - compiled
    """False (and nothing changed) where a row is out of range; the caller then runs the numpy code, which raises."""
    n = size.size
    for j in range(was_hrow.size):
        if was_hrow[j] < 0 or was_hrow[j] >= n:
            return False
    for j in range(is_hrow.size):
        if is_hrow[j] < 0 or is_hrow[j] >= n:
            return False
    for j in range(was_hrow.size):
        r = was_hrow[j]
        size[r] -= 1
        heads[r] -= np.int64(was_role[j] == HEAD)
        partners[r] -= np.int64(was_role[j] == PARTNER)
    for j in range(is_hrow.size):
        r = is_hrow[j]
        size[r] += 1
        heads[r] += np.int64(is_role[j] == HEAD)
        partners[r] += np.int64(is_role[j] == PARTNER)
    return True


def shift_counts(size: np.ndarray, heads: np.ndarray, partners: np.ndarray, was_hrow: np.ndarray,
                 was_role: np.ndarray, is_hrow: np.ndarray, is_role: np.ndarray) -> None:
    """In place: take the members (``was_hrow``, ``was_role``) out of the per-household counts of members, heads
    and partners and put the members (``is_hrow``, ``is_role``) in (int64 arrays of equal length; the counts are
    integers, so the order does not matter). Gated by the number of household slots, which stands for the run's
    scale: the numpy code costs about 0.1 us per member (np.ufunc.at), the loop a hundredth of that."""
    if use_compiled(size.size) and _shift_counts_loop(size, heads, partners, was_hrow, was_role, is_hrow, is_role):
        return
    _shift_counts_numpy(size, heads, partners, was_hrow, was_role, is_hrow, is_role)


def member_arrays(member: np.ndarray, hrow_of: np.ndarray, n: int, rows: np.ndarray, hrow: np.ndarray) -> int:
    """Write the rows below ``n`` where ``member`` is True (ascending) to the front of ``rows`` and ``hrow_of``
    at them to the front of ``hrow`` (int64 arrays of at least ``n`` elements: the compiled loop may write
    anywhere below ``n``); returns their number."""
    if use_compiled(n):
        return _members_loop(member, hrow_of, n, rows, hrow)
    found = np.flatnonzero(member[:n])
    rows[: found.size] = found
    np.take(hrow_of, found, out=hrow[: found.size])
    return found.size


@njit
def _build_loop(hid, role, alive, row_of, n_slots, hid_copy, role_copy, alive_copy, member_copy, hrow_of, size, heads,
                partners):  # pragma: no cover - compiled
    """See build_members; -1 (with the arrays half written) for a member whose household has no row."""
    k = 0
    for i in range(hid.size):
        h = hid[i]
        r = role[i]
        a = alive[i]
        hid_copy[i], role_copy[i], alive_copy[i] = h, r, a
        member = a and h >= 0
        member_copy[i] = member
        hr = -1
        if member:
            if h >= row_of.size:
                return -1
            hr = row_of[h]
            if hr < 0 or hr >= n_slots:
                return -1
            k += 1
            size[hr] += 1
            heads[hr] += np.int64(r == HEAD)
            partners[hr] += np.int64(r == PARTNER)
        hrow_of[i] = hr
    return k


def build_members(hid: np.ndarray, role: np.ndarray, alive: np.ndarray, row_of: np.ndarray, n_slots: int,
                  hid_copy: np.ndarray, role_copy: np.ndarray, alive_copy: np.ndarray, member_copy: np.ndarray,
                  hrow_of: np.ndarray, size: np.ndarray, heads: np.ndarray, partners: np.ndarray) -> int:
    """The member table from scratch (model.income._MemberIndex after a compaction) in one compiled pass over the
    persons (their columns ``hid``, ``role``, ``alive``; the households' ``row_of`` and ``n_slots``): copies the
    columns to the first slots of ``hid_copy``, ``role_copy``, ``alive_copy``, writes whether each person is a
    member (alive, with a household) to ``member_copy`` and its household row (-1 for none) to ``hrow_of``, and
    counts per household slot its members, heads and partners into ``size``, ``heads`` and ``partners`` (zeros on
    entry, ``n_slots`` long). The members are not listed (model.income.member_table lists them when asked for;
    the model's processes read the counts and household rows): writing the list too, 16 bytes a member, took a
    quarter of the pass (6.8 -> 5.3 ms on the full region with cold caches). Returns the number of members; -1
    where the loop is not used or a member's household has no row (the caller then runs its numpy code, which
    raises: the arrays are then partly written).

    In numpy the same takes a dozen passes and fresh arrays (about 18 ms on the full region; the gathers through
    ``row_of`` and the bincount of the roles are scattered reads and counts): the loop makes one pass, into the
    old table's memory."""
    if not use_compiled(hid.size):
        return -1
    return _build_loop(hid, role, alive, row_of, n_slots, hid_copy, role_copy, alive_copy, member_copy, hrow_of, size,
                       heads, partners)


@njit
def _update_loop(changed, hid, role, alive, row_of, n0, role_copy, member_copy, hrow_of, size, heads, partners, was_row,
                 new_row):  # pragma: no cover - compiled
    """See update_members: False (with the arrays partly written) for a row out of range.

    Two passes over the changed persons: the first only looks up (their old household rows and whether they were
    members, their new household rows through ``row_of``: scattered reads) into ``was_row`` and ``new_row`` (-1 for
    none, -2 for a row out of range); the second moves the counts and writes the persons' entries. A loop doing
    both waited at each person for its lookups before its counts (1.28 -> 1.12 ms for the 16,000 persons of a
    full-region in-migration update with cold caches)."""
    n_slots = size.size
    for j in range(changed.size):
        i = changed[j]
        was = -1
        if i < n0 and member_copy[i]:
            was = hrow_of[i]
            if was < 0 or was >= n_slots:
                was = -2
        was_row[j] = was
        h = hid[j]
        hr = -1
        if alive[j] and h >= 0:
            hr = row_of[h] if h < row_of.size else -2
            if hr < 0 or hr >= n_slots:
                hr = -2
        new_row[j] = hr
    for j in range(changed.size):
        i = changed[j]
        was = was_row[j]
        if was == -2:
            return False
        if was >= 0:  # the old contribution to the counts
            was_role = role_copy[i]
            size[was] -= 1
            heads[was] -= np.int64(was_role == HEAD)
            partners[was] -= np.int64(was_role == PARTNER)
        hr = new_row[j]
        if hr == -2:
            return False
        if hr >= 0:
            r = role[j]
            size[hr] += 1
            heads[hr] += np.int64(r == HEAD)
            partners[hr] += np.int64(r == PARTNER)
        member_copy[i], hrow_of[i] = hr >= 0, hr
    return True


def update_members(changed: np.ndarray, hid: np.ndarray, role: np.ndarray, alive: np.ndarray, row_of: np.ndarray,
                   n0: int, role_copy: np.ndarray, member_copy: np.ndarray, hrow_of: np.ndarray, size: np.ndarray,
                   heads: np.ndarray, partners: np.ndarray) -> bool:
    """The member table's counts and household rows brought up to date (model.income._MemberIndex.update) in one
    compiled loop over the persons ``changed`` (their rows: those whose columns differ from the copies of the last
    update, valid below ``n0``, and those added since, from ``n0`` on) with their new household ids ``hid``,
    roles ``role`` and ``alive``. For each, its old contribution to the per-household counts ``size``, ``heads``
    and ``partners`` (as many as there are household slots) is taken back, where it was a member (``member_copy``)
    of the household row ``hrow_of`` with the role ``role_copy`` (by person row), its new one added (the
    household row from the households' ``row_of``), and ``member_copy`` and ``hrow_of`` written (the caller
    writes the copies of the columns). False where a row is out of range (the arrays may then be partly written:
    the caller builds the table from scratch, which raises as a recount does).

    numpy takes a dozen passes over the changed persons (gathers, np.ufunc.at, fancy writes); the counts are
    integers, so their order does not matter. Gated by the caller (use_compiled of the persons' number)."""
    return _update_loop(changed, hid, role, alive, row_of, n0, role_copy, member_copy, hrow_of, size, heads, partners,
                        np.empty(changed.size, dtype=np.int64), np.empty(changed.size, dtype=np.int64))


@njit
def _energy_cost_loop(rows, ep2, floor_area, connected, gas_per_ep2, gas_price, tariff, electricity,
                      out):  # pragma: no cover - compiled
    for i in range(rows.size):
        r = rows[i]
        heat = tariff if connected[r] else 1.0
        out[i] = gas_per_ep2 * np.float64(ep2[r]) * np.float64(floor_area[r]) * gas_price * heat + electricity


def energy_cost(rows: np.ndarray, ep2: np.ndarray, floor_area: np.ndarray, connected: np.ndarray, gas_per_ep2: float,
                gas_price: float, tariff: float, electricity: float) -> np.ndarray | None:
    """The yearly energy cost of the dwellings ``rows`` (of the full columns ``ep2``, ``floor_area``,
    ``connected``) in one compiled pass, operation by operation as model.income.energy_cost_eur: gas_per_ep2 x EP2
    x floor area x gas price x (``tariff`` where connected, else 1) + electricity. None where the loop is not
    used (the caller then runs its numpy code: three gathers and five passes, with the fixed cost of each numpy
    call on the few hundred rows of most calls)."""
    rows = np.asarray(rows)
    if (not use_compiled(rows.size) or rows.ndim != 1 or rows.dtype.kind not in "iu"
            or (rows.size and (rows.min() < 0 or rows.max() >= ep2.size))):  # (numpy: from the end, or raises)
        return None
    out = np.empty(rows.size)
    _energy_cost_loop(rows, ep2, floor_area, connected, float(gas_per_ep2), float(gas_price), float(tariff),
                      float(electricity), out)
    return out

