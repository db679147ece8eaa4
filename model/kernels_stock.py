"""Compiled loops for the housing market (model/market.py: prices and moves; model/allocation.py: purchases)
and for stock change (model/stock_change.py), with the numpy code they replace as the fallback, giving
bit-identical results (see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the fallbacks;
tests/test_kernels_stock.py compares both on random inputs).

- :func:`for_sale_counts`: per municipality x segment the homes for sale of the stock and the vacant ones
  among them (the vacancy rate that drives local prices).
- :func:`reprice`: every value of the stock follows the national index, its segment's local change, a year of
  vacancy and the change of its condition; the condition is recorded as priced.

In numpy each takes about ten passes over the stock's rows (gathers of the columns, masks, bincounts); the loops
make one each, over the slots (testing the stock's condition themselves instead of reading its rows).

- :func:`stock_groups`: for new construction, the stock's rows grouped by municipality, its vacant homes per
  municipality and its values grouped by municipality and type, by a counting sort in two passes over the
  slots instead of numpy's stable sorts and a selection per municipality and type. (:func:`group_loop`, the
  counting sort of given rows by municipality, serves model/kernels_renovation.py.)
- :func:`demolition_groups`: for demolition, the stock per municipality and the vacant homes that may be
  demolished grouped by municipality, in two passes over the slots instead of about ten numpy passes over the
  stock and a selection per municipality.
- :func:`pay_for_homes`: what a purchase changes for the buyers and the homes and its counts per
  municipality (model.allocation.purchase, about 25 calls a year), in one call instead of about fifteen
  numpy calls.
- :func:`move_in`: what allocate_dwellings writes when households move into the homes they found (about
  eight calls a year), in one call instead of about fifteen numpy calls.
- :func:`movers`: the households that want to move in the market's moves (elderly and crowded households
  with their draw), in one pass over the household slots instead of about fifteen numpy passes over the
  households of a member 75+ or of three or more and their homes.
- :func:`vacant_homes`: the vacant homes the market's moves look at, with what the moves read of them, in one
  pass over the dwelling slots instead of four numpy passes and some twelve gathers and masks.
"""

from __future__ import annotations

import numpy as np

from .data import MUNICIPALITY_CODES
from .kernels import hash_uniform, njit, uniform_of, use_compiled
from .state import (
    APARTMENT,
    CORPORATION,
    CORPORATION_FUND,
    DEMOLISHED,
    FUND,
    FUND_FOR_SALE,
    FUND_LET,
    OCCUPIED,
    OTHER_OWNER,
    OWNER,
    OWNER_OCCUPIER,
    PRIVATE_LANDLORD,
    RESERVED,
    VACANT,
    for_sale_code,
    for_sale_mask,
    stock_rows,
    tenure_code,
    tenure_of,
)

N_MUN = len(MUNICIPALITY_CODES)
N_SEG = APARTMENT + 1  # segments: terraced, semi-detached, detached, apartment


def _for_sale_counts_numpy(d, rows, mun, typ, status):
    sale = for_sale_mask(d, rows)
    cell = mun.take(rows).astype(np.int64) * N_SEG + typ.take(rows)
    total = np.bincount(cell[sale], minlength=N_MUN * N_SEG)
    vacant = np.bincount(cell[sale & (status.take(rows) == VACANT)], minlength=N_MUN * N_SEG)
    return total, vacant


@njit
def _for_sale_loop(alive, in_stock, mun, typ, status, owner, fund_status, n_cells, total,
                   vacant):  # pragma: no cover - compiled
    """Without branches on the owner (mixed at random over the slots): one count per home of the stock in its
    cell x (for sale, vacant)."""
    counts = np.zeros(n_cells * 4, dtype=np.int64)
    for r in range(alive.size):
        st = status[r]
        if not (alive[r] and in_stock[r] and st != DEMOLISHED):
            continue
        o = owner[r]
        sale = np.int64(o == OWNER_OCCUPIER) | (np.int64((o == FUND) | (o == CORPORATION_FUND))
                                                & np.int64(fund_status[r] == FUND_FOR_SALE))
        cell = np.int64(mun[r]) * N_SEG + typ[r]
        if cell < 0 or cell >= n_cells:
            if sale:
                return False
            continue
        counts[(cell << 2) | (sale << 1) | np.int64(st == VACANT)] += 1
    for c in range(n_cells):
        total[c] = counts[4 * c + 2] + counts[4 * c + 3]
        vacant[c] = counts[4 * c + 3]
    return True


def for_sale_counts(d) -> tuple[np.ndarray, np.ndarray]:
    """Of the stock of table ``d`` (model.state.stock_rows), the homes for sale (model.state.for_sale_mask) and
    the vacant ones among them, per cell municipality x N_SEG + type (N_MUN x N_SEG cells, as np.bincount
    counts them). The loop runs over the slots, without the stock's rows."""
    mun, typ, status = d.peek("municipality"), d.peek("type"), d.peek("status")
    if use_compiled(d.n):
        total = np.zeros(N_MUN * N_SEG, dtype=np.int64)
        vacant = np.zeros(N_MUN * N_SEG, dtype=np.int64)
        if _for_sale_loop(d.peek("alive"), d.peek("in_stock"), mun, typ, status, d.peek("owner"),
                          d.peek("fund_status"), N_MUN * N_SEG, total, vacant):
            return total, vacant
    return _for_sale_counts_numpy(d, stock_rows(d), mun, typ, status)  # (a cell out of range: numpy's counts)


def _reprice_numpy(rows, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth,
                   vacant_loss, condition_weight):
    segment = mun.take(rows).astype(np.int64) * N_SEG + np.minimum(typ.take(rows), 3)
    factor = growth * (1.0 + local.ravel().take(segment))
    long_vacant = np.flatnonzero((status.take(rows) == VACANT) & (years_vacant.take(rows) >= 1))
    factor[long_vacant] *= 1.0 - vacant_loss
    cond = condition.take(rows)
    change = cond.astype(float) - priced_condition.take(rows)
    factor *= np.maximum(1.0 + condition_weight * change, 0.05)
    priced_condition[rows] = cond
    value[rows] *= factor


@njit
def _reprice_loop(alive, in_stock, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth,
                  keep_vacant, condition_weight):  # pragma: no cover - compiled
    n_local = local.size
    for r in range(alive.size):
        st = status[r]
        if not (alive[r] and in_stock[r] and st != DEMOLISHED):
            continue
        t = typ[r]
        segment = np.int64(mun[r]) * N_SEG + (t if t < 3 else 3)
        if segment < 0:  # numpy's indexing from the end
            segment += n_local
        if segment < 0 or segment >= n_local:
            raise IndexError("segment out of range")
        factor = growth * (1.0 + local[segment])
        if st == VACANT and years_vacant[r] >= 1:
            factor *= keep_vacant
        c = condition[r]
        scale = 1.0 + condition_weight * (np.float64(c) - np.float64(priced_condition[r]))
        if scale < 0.05:  # np.maximum(scale, 0.05): NaN stays NaN
            scale = 0.05
        factor *= scale
        priced_condition[r] = c
        value[r] *= factor


def reprice(alive, in_stock, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth,
            vacant_loss, condition_weight) -> None:
    """Values of the dwellings of the stock (alive, ``in_stock``, not demolished: model.state.stock_rows) times
    ``growth`` (1 + the national growth) x (1 + ``local``[municipality, min(type, 3)]) x (1 - ``vacant_loss``
    where vacant a year or more) x max(1 + ``condition_weight`` x (condition - priced condition), 0.05), in
    that order; the condition is then recorded as priced. ``value`` and ``priced_condition`` are written in
    place (per dwelling slot, as the other columns); ``local``: shape (N_MUN, N_SEG). The loop runs over the
    slots, without the stock's rows."""
    local = np.ascontiguousarray(local, dtype=np.float64).ravel()
    if not use_compiled(alive.size) or condition.dtype != priced_condition.dtype:
        rows = np.flatnonzero(alive & in_stock & (status != DEMOLISHED))
        _reprice_numpy(rows, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth,
                       vacant_loss, condition_weight)
        return
    _reprice_loop(alive, in_stock, mun, typ, status, years_vacant, condition, priced_condition, value, local,
                  float(growth), 1.0 - vacant_loss, float(condition_weight))


@njit
def _group_starts(count, ends):  # pragma: no cover - compiled
    """The first position of each group of a counting sort with group sizes ``count``; the end of each group
    written into ``ends``."""
    start = np.zeros(count.size, dtype=np.int64)
    total = 0
    for m in range(count.size):
        start[m] = total
        total += count[m]
        ends[m] = total
    return start


@njit
def group_loop(rows, mun, n_mun, out, ends):  # pragma: no cover - compiled
    """``rows`` grouped by ``mun[row]`` into ``out`` (a stable counting sort) and the end of each group into
    ``ends``; False (and nothing sorted) for a municipality outside 0 .. n_mun - 1."""
    count = np.zeros(n_mun, dtype=np.int64)
    for i in range(rows.size):
        m = mun[rows[i]]
        if m < 0 or m >= n_mun:
            return False
        count[m] += 1
    start = _group_starts(count, ends)
    for i in range(rows.size):
        m = mun[rows[i]]
        out[start[m]] = rows[i]
        start[m] += 1
    return True


N_CODES = 256  # the types, as cells of a municipality: every int8 value (through its uint8 view)


def _stock_groups_numpy(alive, in_stock, status, mun, typ, value):
    rows = np.flatnonzero(alive & in_stock & (status != DEMOLISHED))  # model.state.stock_rows
    m = mun.take(rows).astype(np.int64)  # (a municipality out of range: numpy's error or longer counts)
    by_mun = rows.take(np.argsort(m, kind="stable"))
    ends = np.cumsum(np.bincount(m, minlength=N_MUN))
    vacant = np.bincount(m[status.take(rows) == VACANT], minlength=N_MUN)
    cell = m * N_CODES + typ.take(rows).view(np.uint8)
    by_type = value.take(rows.take(np.argsort(cell, kind="stable")))
    return by_mun, ends, vacant, by_type, np.cumsum(np.bincount(cell, minlength=N_MUN * N_CODES))


@njit
def _stock_groups_loop(alive, in_stock, status, mun, typ, value, n_mun, by_mun, ends, vacant, by_type,
                       cell_ends):  # pragma: no cover - compiled
    """Fills the outputs; returns how many stock rows, or -1 (and nothing sorted) for a municipality outside
    0 .. n_mun - 1."""
    count = np.zeros(n_mun * N_CODES, dtype=np.int64)
    n = 0
    for r in range(alive.size):
        if alive[r] and in_stock[r] and status[r] != DEMOLISHED:
            m = mun[r]
            if m < 0 or m >= n_mun:
                return -1
            count[np.int64(m) * N_CODES + (np.int64(typ[r]) & 255)] += 1
            if status[r] == VACANT:
                vacant[m] += 1
            n += 1
    start_c = _group_starts(count, cell_ends)
    start_m = np.zeros(n_mun, dtype=np.int64)  # a municipality's rows span its cells
    for m in range(n_mun):
        start_m[m] = start_c[m * N_CODES]
        ends[m] = cell_ends[m * N_CODES + N_CODES - 1]
    for r in range(alive.size):
        if alive[r] and in_stock[r] and status[r] != DEMOLISHED:
            m = mun[r]
            c = np.int64(m) * N_CODES + (np.int64(typ[r]) & 255)
            by_mun[start_m[m]] = r
            start_m[m] += 1
            by_type[start_c[c]] = value[r]
            start_c[c] += 1
    return n


def stock_groups(alive, in_stock, status, mun, typ, value) -> tuple[np.ndarray, ...]:
    """The stock (model.state.stock_rows) as new construction reads it, from the columns (per dwelling slot):
    its rows grouped by municipality, each group ascending (as a stable sort by municipality), and the end of
    each group; the vacant homes per municipality; the values grouped by cell municipality x N_CODES + type
    (the type's uint8 view), each cell in row order, and the end of each cell."""
    if use_compiled(alive.size):
        n = alive.size
        by_mun, by_type = np.empty(n, dtype=np.int64), np.empty(n, dtype=value.dtype)
        ends, vacant = np.empty(N_MUN, dtype=np.int64), np.zeros(N_MUN, dtype=np.int64)
        cell_ends = np.empty(N_MUN * N_CODES, dtype=np.int64)
        k = _stock_groups_loop(alive, in_stock, status, mun, typ, value, N_MUN, by_mun, ends, vacant, by_type,
                               cell_ends)
        if k >= 0:
            return by_mun[:k], ends, vacant, by_type[:k], cell_ends
    return _stock_groups_numpy(alive, in_stock, status, mun, typ, value)


def _demolition_groups_numpy(alive, in_stock, status, owner, mun):
    rows = np.flatnonzero(alive & in_stock & (status != DEMOLISHED))  # model.state.stock_rows
    m = mun.take(rows)
    o = owner.take(rows)
    eligible = np.flatnonzero((status.take(rows) == VACANT) & (o != OTHER_OWNER) & (o != FUND)
                              & (o != CORPORATION_FUND))
    em = m.take(eligible).astype(np.int64)
    return (np.bincount(m, minlength=N_MUN), rows.take(eligible).take(np.argsort(em, kind="stable")),
            np.cumsum(np.bincount(em, minlength=N_MUN)))


@njit
def _demolition_groups_loop(alive, in_stock, status, owner, mun, n_mun, stock, out, ends):  # pragma: no cover
    """Fills the outputs; returns how many homes may be demolished, or -1 (and nothing sorted) for a
    municipality outside 0 .. n_mun - 1."""
    count = np.zeros(n_mun, dtype=np.int64)
    for r in range(alive.size):
        if alive[r] and in_stock[r] and status[r] != DEMOLISHED:
            m = mun[r]
            if m < 0 or m >= n_mun:
                return -1
            stock[m] += 1
            o = owner[r]
            if status[r] == VACANT and o != OTHER_OWNER and o != FUND and o != CORPORATION_FUND:
                count[m] += 1
    start = _group_starts(count, ends)
    total = ends[n_mun - 1] if n_mun > 0 else 0
    for r in range(alive.size):
        o = owner[r]
        if (alive[r] and in_stock[r] and status[r] == VACANT and o != OTHER_OWNER and o != FUND
                and o != CORPORATION_FUND):
            out[start[mun[r]]] = r
            start[mun[r]] += 1
    return total


def demolition_groups(alive, in_stock, status, owner, mun) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For demolition, from the columns (per dwelling slot): the homes of the stock (model.state.stock_rows) per
    municipality, and the rows of the vacant ones that may be demolished (not of other owners or the
    Transformatiefonds, which decide on their own) grouped by municipality, each group ascending, with the
    end of each group."""
    if use_compiled(alive.size):
        stock, ends = np.zeros(N_MUN, dtype=np.int64), np.empty(N_MUN, dtype=np.int64)
        out = np.empty(alive.size, dtype=np.int64)
        k = _demolition_groups_loop(alive, in_stock, status, owner, mun, N_MUN, stock, out, ends)
        if k >= 0:
            return stock, out[:k], ends
    return _demolition_groups_numpy(alive, in_stock, status, owner, mun)


def _move_in_numpy(take, hr, status, household_id, years_vacant, d_id, h_id, dwelling_id, tenure, mortgage, owner,
                   fund_status):
    status[take] = OCCUPIED
    household_id[take] = h_id[hr]
    years_vacant[take] = 0
    dwelling_id[hr] = d_id[take]
    t = tenure_of(owner.take(take), fund_status.take(take))
    tenure[hr] = t
    mortgage[hr] = 0.0
    return t == OWNER


@njit
def _move_in_loop(take, hr, status, household_id, years_vacant, d_id, h_id, dwelling_id, tenure, mortgage, owner,
                  fund_status, buys):  # pragma: no cover - compiled
    for i in range(take.size):
        dr, r = take[i], hr[i]
        status[dr] = OCCUPIED
        household_id[dr] = h_id[r]
        years_vacant[dr] = 0
        dwelling_id[r] = d_id[dr]
        t = tenure_code(owner[dr], fund_status[dr])
        tenure[r] = t
        mortgage[r] = 0.0
        buys[i] = t == OWNER


def move_in(take, hr, status, household_id, years_vacant, d_id, h_id, dwelling_id, tenure, mortgage, owner,
            fund_status) -> np.ndarray:
    """Households (rows ``hr``) move into vacant dwellings (rows ``take``, one each), as allocate_dwellings
    settles them: the homes become occupied by them (``status``, ``household_id``: their ids ``h_id``,
    ``years_vacant`` 0), the households get the homes' ids (``d_id``), the tenure of the home
    (model.state.tenure_in, from ``owner`` and ``fund_status``) and no mortgage yet. The columns are written in
    place (dwelling columns per dwelling slot, household columns per household slot). Returns which of them
    buy (tenure OWNER). One call instead of about fifteen numpy calls."""
    if not use_compiled(take.size):
        return _move_in_numpy(take, hr, status, household_id, years_vacant, d_id, h_id, dwelling_id, tenure,
                              mortgage, owner, fund_status)
    buys = np.empty(take.size, dtype=np.bool_)
    _move_in_loop(take, hr, status, household_id, years_vacant, d_id, h_id, dwelling_id, tenure, mortgage, owner,
                  fund_status, buys)
    return buys


def _movers_numpy(alive, oldest, size, dwelling_id, key, row_of, next_id, in_stock, lifetime_proof, floor_area,
                  crowded_m2, elderly_rate, family_rate, s0, s1):
    hrow = np.flatnonzero(alive & ((oldest >= 75) | (size >= 3)))
    old, hsize = oldest.take(hrow) >= 75, size.take(hrow)
    ids = dwelling_id.take(hrow)
    if ids.size and (ids.min() < 0 or ids.max() >= next_id):
        raise KeyError("dwellings: id out of range (-1 means 'none')")
    home = row_of.take(ids)
    if home.size and home.min() < 0:
        raise KeyError("dwellings: id without a row")
    stock = in_stock.take(home)
    elderly = stock & old & ~lifetime_proof.take(home)
    crowded = stock & (hsize >= 3) & (floor_area.take(home) / np.maximum(hsize, 1) < crowded_m2)
    u = hash_uniform(key.take(hrow), s0, s1)
    want = (elderly & (u < elderly_rate)) | (crowded & ~elderly & (u < family_rate))
    return hrow[want], home[want], elderly[want]


_CHUNK = 1024  # slots per chunk of the movers' loop


@njit
def _movers_loop(alive, oldest, size, dwelling_id, key, row_of, next_id, in_stock, lifetime_proof, floor_area,
                 crowded_m2, elderly_rate, family_rate, s0, s1, rows, homes, elderly):  # pragma: no cover - compiled
    """Fills rows, homes and elderly; returns how many, or -1 for a dwelling id without a row (the caller then
    runs the numpy code, which raises). Chunk by chunk of the slots: the candidates (alive, a member 75+ or three
    or more; some two in five, at random) listed without a branch into a small buffer first, then drawn, so that
    the reads of the columns are not held up by mispredicted branches."""
    candidates = np.empty(_CHUNK, dtype=np.int64)
    k = 0
    for start in range(0, alive.size, _CHUNK):
        c = 0
        for r in range(start, min(start + _CHUNK, alive.size)):
            candidates[c] = r
            c += alive[r] & ((oldest[r] >= 75) | (size[r] >= 3))
        for i in range(c):
            r = candidates[i]
            dw = dwelling_id[r]
            if dw < 0 or dw >= next_id or row_of[dw] < 0:
                return -1
            # the draw first: most households draw above both rates and need no read of their home
            u = uniform_of(key[r], s0, s1)
            if not (u < elderly_rate or u < family_rate):
                continue
            home = row_of[dw]
            if not in_stock[home]:
                continue
            o, s = oldest[r], size[r]
            eld = o >= 75 and not lifetime_proof[home]
            crowded = s >= 3 and np.float64(floor_area[home]) / np.float64(max(s, 1)) < crowded_m2
            if (eld and u < elderly_rate) or (crowded and not eld and u < family_rate):
                rows[k] = r
                homes[k] = home
                elderly[k] = eld
                k += 1
    return k


def movers(alive, oldest, size, dwelling_id, key, row_of, next_id, in_stock, lifetime_proof, floor_area, crowded_m2,
           elderly_rate, family_rate, s0, s1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The households that want to move (rows, ascending), the rows of their homes and whether they move for
    a lifetime-proof home. Of the alive households with a member 75+ or of three or more (``oldest``, ``size``:
    per household slot) living in the stock (their dwelling ids through ``row_of``, checked as
    EntityTable.rows does for ids below ``next_id``): the elderly (75+) in a home that is not lifetime-proof,
    with probability ``elderly_rate``, else the crowded (three or more, less than ``crowded_m2`` of floor area
    per person) with ``family_rate``, by the uniform of their draw key (``key``: int64) salted by ``s0``,
    ``s1`` (:func:`model.kernels.hash_uniform`)."""
    key = np.ascontiguousarray(key, dtype=np.int64)
    if use_compiled(alive.size):
        n = alive.size
        rows, homes, elderly = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.bool_)
        k = _movers_loop(alive, oldest, size, dwelling_id, key.view(np.uint64), row_of, next_id, in_stock,
                         lifetime_proof, floor_area, float(crowded_m2), float(elderly_rate), float(family_rate),
                         np.uint64(s0), np.uint64(s1), rows, homes, elderly)
        if k >= 0:
            return rows[:k].copy(), homes[:k].copy(), elderly[:k].copy()
    return _movers_numpy(alive, oldest, size, dwelling_id, key, row_of, next_id, in_stock, lifetime_proof,
                         floor_area, crowded_m2, elderly_rate, family_rate, s0, s1)


def _pay_numpy(hh_rows, dwelling_rows, value_eur, owner, mun, savings, mortgage, last_sale_year, year):
    value = value_eur.take(dwelling_rows)
    o = owner.take(dwelling_rows)
    from_fund = bool(((o == FUND) | (o == CORPORATION_FUND)).any())
    own_part = np.clip(savings[hh_rows], 0.0, value)
    savings[hh_rows] -= own_part
    mortgage[hh_rows] += value - own_part
    last_sale_year[dwelling_rows] = year
    m = mun.take(dwelling_rows)
    return np.bincount(m, minlength=N_MUN), np.bincount(m, weights=value, minlength=N_MUN), from_fund


@njit
def _pay_loop(hh_rows, dwelling_rows, value_eur, owner, mun, savings, mortgage, last_sale_year, year, counts,
              sums):  # pragma: no cover - compiled
    """Returns -1 (and changes nothing) for a municipality outside the counts, else whether a fund sells."""
    n = hh_rows.size
    for i in range(n):
        m = mun[dwelling_rows[i]]
        if m < 0 or m >= counts.size:
            return -1
    new_savings, new_mortgage = np.empty(n), np.empty(n)
    from_fund = 0
    for i in range(n):  # from the values before the purchases, written afterwards: numpy's a[rows] -= x
        d = dwelling_rows[i]
        v = value_eur[d]
        o = owner[d]
        if o == FUND or o == CORPORATION_FUND:
            from_fund = 1
        s = savings[hh_rows[i]]
        own = s if s != s or s > 0.0 else 0.0  # np.clip(s, 0.0, v): NaN kept, then the smaller one
        if own == own and not own < v:
            own = v
        new_savings[i] = s - own
        new_mortgage[i] = mortgage[hh_rows[i]] + (v - own)
        m = mun[d]
        counts[m] += 1
        sums[m] += v
    for i in range(n):
        savings[hh_rows[i]] = new_savings[i]
        mortgage[hh_rows[i]] = new_mortgage[i]
        last_sale_year[dwelling_rows[i]] = year
    return from_fund


def pay_for_homes(hh_rows, dwelling_rows, value_eur, owner, mun, savings, mortgage, last_sale_year,
                  year) -> tuple[np.ndarray, np.ndarray, bool]:
    """Households (rows) buy the dwellings (rows, one each) at their value (``value_eur``, per dwelling slot):
    their savings pay first (np.clip(savings, 0, value)), a mortgage the rest; each home's ``last_sale_year``
    becomes ``year``. ``savings``, ``mortgage`` (per household slot) and ``last_sale_year`` are written in
    place. Returns the purchases and their values per municipality (``mun``: per dwelling slot; as
    np.bincount counts and sums them, in row order) and whether a Transformatiefonds (FUND or
    CORPORATION_FUND, ``owner``) sells one of the homes."""
    if use_compiled(hh_rows.size):
        counts, sums = np.zeros(N_MUN, dtype=np.int64), np.zeros(N_MUN)
        from_fund = _pay_loop(hh_rows, dwelling_rows, value_eur, owner, mun, savings, mortgage, last_sale_year,
                              year, counts, sums)
        if from_fund >= 0:
            return counts, sums, bool(from_fund)
    return _pay_numpy(hh_rows, dwelling_rows, value_eur, owner, mun, savings, mortgage, last_sale_year, year)


@njit
def _vacant_homes_loop(alive, in_stock, status, written_off, owner, fund_status, municipality, lifetime_proof,
                       floor_area, value, last_sale_year, year, rows, mun, proof, area, for_rent, on_sale, value_v,
                       tenure):  # pragma: no cover - compiled
    """Fills the outputs at the front; returns how many. The vacant homes are few (some 4 %): the branch on the
    status is seldom taken, and the columns are read only at those rows."""
    k = 0
    for r in range(alive.size):
        if not (status[r] == VACANT and alive[r] and in_stock[r] and not written_off[r]):
            continue
        o, s = owner[r], fund_status[r]
        rows[k] = r
        mun[k] = municipality[r]
        proof[k] = lifetime_proof[r]
        area[k] = floor_area[r]
        # model.state.for_rent_mask and tenure_in of one home (tenure_code)
        for_rent[k] = ((o == CORPORATION and s != RESERVED) or o == PRIVATE_LANDLORD
                       or ((o == FUND or o == CORPORATION_FUND) and s >= FUND_LET))
        sale = for_sale_code(o, s) and last_sale_year[r] != year
        on_sale[k] = sale
        value_v[k] = value[r] if sale else 0.0
        tenure[k] = tenure_code(o, s)
        k += 1
    return k


def vacant_homes(alive, in_stock, status, written_off, owner, fund_status, municipality, lifetime_proof, floor_area,
                 value, last_sale_year, year: int):
    """The vacant homes of the stock that are not written off (model.market.moves; the columns per dwelling
    slot): their rows (ascending), municipalities, lifetime-proof flags and floor areas, whether each is to let
    (model.state.for_rent_mask) and for sale and not sold yet in ``year`` (for_sale_mask and last_sale_year),
    their values where for sale (0 elsewhere) and the tenure of a household moving in (model.state.tenure_in,
    as int8). None where the loop is not used (the caller then runs its numpy code)."""
    if not use_compiled(alive.size):
        return None
    n = alive.size
    out = (np.empty(n, dtype=np.int64), np.empty(n, dtype=municipality.dtype), np.empty(n, dtype=np.bool_),
           np.empty(n, dtype=floor_area.dtype), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_),
           np.empty(n, dtype=np.float64), np.empty(n, dtype=np.int8))
    k = _vacant_homes_loop(alive, in_stock, status, written_off, owner, fund_status, municipality, lifetime_proof,
                           floor_area, value, last_sale_year, year, *out)
    return tuple(a[:k].copy() for a in out)
