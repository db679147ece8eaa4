"""Compiled loops for the yearly price update of the housing market (model/market.py) and for stock change
(model/stock_change.py), with the numpy code they replace as the fallback, giving bit-identical results (see
model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the fallbacks; tests/test_kernels_stock.py compares both on random
inputs).

- :func:`for_sale_counts`: per municipality x segment the homes for sale of the stock and the vacant ones
  among them (the vacancy rate that drives local prices).
- :func:`reprice`: every value of the stock follows the national index, its segment's local change, a year of
  vacancy and the change of its condition; the condition is recorded as priced.

In numpy each takes about ten passes over the stock's rows (gathers of the columns, masks, bincounts); the loops
make one each.

- :func:`group_by_municipality`: the stock's rows grouped by municipality (new construction), by a counting
  sort instead of numpy's stable argsort.
"""

from __future__ import annotations

import numpy as np

from .data import MUNICIPALITY_CODES
from .kernels import njit, use_compiled
from .state import APARTMENT, CORPORATION_FUND, FUND, FUND_FOR_SALE, OWNER_OCCUPIER, VACANT, for_sale_mask

N_MUN = len(MUNICIPALITY_CODES)
N_SEG = APARTMENT + 1  # segments: terraced, semi-detached, detached, apartment


def _for_sale_counts_numpy(d, rows, mun, typ, status):
    sale = for_sale_mask(d, rows)
    cell = mun.take(rows).astype(np.int64) * N_SEG + typ.take(rows)
    total = np.bincount(cell[sale], minlength=N_MUN * N_SEG)
    vacant = np.bincount(cell[sale & (status.take(rows) == VACANT)], minlength=N_MUN * N_SEG)
    return total, vacant


@njit
def _for_sale_loop(rows, mun, typ, status, owner, fund_status, n_cells, total, vacant):  # pragma: no cover
    for i in range(rows.size):
        r = rows[i]
        o = owner[r]
        if o == OWNER_OCCUPIER or ((o == FUND or o == CORPORATION_FUND) and fund_status[r] == FUND_FOR_SALE):
            cell = np.int64(mun[r]) * N_SEG + typ[r]
            if cell < 0 or cell >= n_cells:
                return False
            total[cell] += 1
            if status[r] == VACANT:
                vacant[cell] += 1
    return True


def for_sale_counts(d, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of the dwellings ``rows`` (of table ``d``), the homes for sale (model.state.for_sale_mask) and the vacant
    ones among them, per cell municipality x N_SEG + type (N_MUN x N_SEG cells, as np.bincount counts them)."""
    mun, typ, status = d.peek("municipality"), d.peek("type"), d.peek("status")
    if use_compiled(rows.size):
        total = np.zeros(N_MUN * N_SEG, dtype=np.int64)
        vacant = np.zeros(N_MUN * N_SEG, dtype=np.int64)
        if _for_sale_loop(rows, mun, typ, status, d.peek("owner"), d.peek("fund_status"), N_MUN * N_SEG, total,
                          vacant):
            return total, vacant
    return _for_sale_counts_numpy(d, rows, mun, typ, status)  # (a cell out of range: numpy's counts)


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
def _reprice_loop(rows, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth,
                  keep_vacant, condition_weight):  # pragma: no cover - compiled
    n_local = local.size
    for i in range(rows.size):
        r = rows[i]
        t = typ[r]
        segment = np.int64(mun[r]) * N_SEG + (t if t < 3 else 3)
        if segment < 0:  # numpy's indexing from the end
            segment += n_local
        if segment < 0 or segment >= n_local:
            raise IndexError("segment out of range")
        factor = growth * (1.0 + local[segment])
        if status[r] == VACANT and years_vacant[r] >= 1:
            factor *= keep_vacant
        c = condition[r]
        scale = 1.0 + condition_weight * (np.float64(c) - np.float64(priced_condition[r]))
        if scale < 0.05:  # np.maximum(scale, 0.05): NaN stays NaN
            scale = 0.05
        factor *= scale
        priced_condition[r] = c
        value[r] *= factor


def reprice(rows, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth, vacant_loss,
            condition_weight) -> None:
    """Values of the dwellings ``rows`` (ascending, distinct) times ``growth`` (1 + the national growth) x
    (1 + ``local``[municipality, min(type, 3)]) x (1 - ``vacant_loss`` where vacant a year or more) x
    max(1 + ``condition_weight`` x (condition - priced condition), 0.05), in that order; the condition is
    then recorded as priced. ``value`` and ``priced_condition`` are written in place (per dwelling slot, as the
    other columns); ``local``: shape (N_MUN, N_SEG)."""
    local = np.ascontiguousarray(local, dtype=np.float64).ravel()
    if not use_compiled(rows.size) or condition.dtype != priced_condition.dtype:
        _reprice_numpy(rows, mun, typ, status, years_vacant, condition, priced_condition, value, local, growth,
                       vacant_loss, condition_weight)
        return
    _reprice_loop(rows, mun, typ, status, years_vacant, condition, priced_condition, value, local, float(growth),
                  1.0 - vacant_loss, float(condition_weight))


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
    start = np.zeros(n_mun, dtype=np.int64)
    total = 0
    for m in range(n_mun):
        start[m] = total
        total += count[m]
        ends[m] = total
    for i in range(rows.size):
        m = mun[rows[i]]
        out[start[m]] = rows[i]
        start[m] += 1
    return True


def group_by_municipality(rows: np.ndarray, mun: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows grouped by their municipality (``mun``: per slot, 0 .. N_MUN - 1), each group in the order of
    ``rows`` (a stable counting sort: for ascending rows, the same as selecting each municipality's rows), and
    the end of each group."""
    if use_compiled(rows.size):
        out, ends = np.empty(rows.size, dtype=rows.dtype), np.empty(N_MUN, dtype=np.int64)
        if group_loop(rows, mun, N_MUN, out, ends):
            return out, ends
    m = mun.take(rows)  # (a municipality out of range: numpy's error)
    return rows.take(np.argsort(m, kind="stable")), np.cumsum(np.bincount(m, minlength=N_MUN))
