"""The compiled loops of model/kernels_stock.py and their numpy fallbacks give identical results on random
inputs with edge cases (NaN conditions and values, types beyond the segments, codes outside the known ones)."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels
from model import kernels_stock as ks
from model.state import DEMOLISHED, new_dwellings, stock_rows

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


def _dwellings(rng, n):
    d = new_dwellings()
    d.add(n, municipality=rng.integers(0, ks.N_MUN, n).astype(np.int8), type=rng.integers(0, 4, n).astype(np.int8),
          status=rng.choice(np.array([0, 1, 2], dtype=np.int8), n, p=[0.7, 0.25, 0.05]),
          owner=rng.integers(-1, 7, n).astype(np.int8), fund_status=rng.integers(-1, 6, n).astype(np.int8))
    return d


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_for_sale_counts(seed):
    """Over the slots, testing the stock's condition in the loop: the counts of numpy's code on the stock's
    rows, with homes out of the stock, removed and demolished."""
    rng = np.random.default_rng(seed)
    d = _dwellings(rng, 5000)
    d.col("in_stock")[:] = rng.random(d.n) < 0.9
    d.remove_rows(np.sort(rng.choice(d.n, 300, replace=False)))
    rows = stock_rows(d)

    def want():
        return ks._for_sale_counts_numpy(d, rows, d.peek("municipality"), d.peek("type"), d.peek("status"))

    got = ks.for_sale_counts(d)
    for g, w in zip(got, want(), strict=True):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    assert got[0].sum() > got[1].sum() > 0
    assert all(np.array_equal(g, np.zeros(ks.N_MUN * ks.N_SEG)) for g in ks.for_sale_counts(new_dwellings()))
    d.col("type")[rows[:3]] = 4  # beyond the segments of the last municipality: numpy's (longer) counts
    d.col("municipality")[rows[:3]] = ks.N_MUN - 1
    d.col("owner")[rows[:3]] = 0
    got = ks.for_sale_counts(d)
    assert all(np.array_equal(g, w) for g, w in zip(got, want(), strict=True)) and got[0].size > ks.N_MUN * ks.N_SEG


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reprice(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    alive, in_stock = rng.random(n) < 0.95, rng.random(n) < 0.9
    mun = rng.integers(0, ks.N_MUN, n).astype(np.int8)
    typ = rng.integers(-1, 6, n).astype(np.int8)
    status = rng.integers(0, 3, n).astype(np.int8)
    years_vacant = rng.integers(-1, 4, n).astype(np.int16)
    condition = rng.random(n).astype(np.float32)
    condition[rng.random(n) < 0.02] = np.nan
    priced = (condition + rng.normal(0, 0.3, n)).astype(np.float32)
    value = rng.uniform(5e4, 5e5, n)
    value[rng.random(n) < 0.01] = np.nan
    local = rng.normal(0, 0.02, (ks.N_MUN, ks.N_SEG))
    rows = np.flatnonzero(alive & in_stock & (status != DEMOLISHED))
    out = []
    for compiled in (True, False):
        p, v = priced.copy(), value.copy()
        args = (mun, typ, status, years_vacant, condition, p, v, local, 1.02, 0.05, 2.5)
        if compiled:
            ks.reprice(alive, in_stock, *args)
        else:
            ks._reprice_numpy(rows, *args[:7], local.ravel(), *args[8:])
        out.append((p, v))
    for g, w in zip(*out, strict=True):
        assert g.tobytes() == w.tobytes()
    assert not np.array_equal(out[0][1], value)
    assert np.array_equal(out[0][1][~alive], value[~alive], equal_nan=True)


@needs_numba
@pytest.mark.parametrize("seed", [0, 1])
def test_group_loop(seed):
    """The counting sort of rows by municipality (model/kernels_renovation.py uses it): numpy's stable sort."""
    rng = np.random.default_rng(seed)
    mun = rng.integers(0, ks.N_MUN - 1, 5000).astype(np.int8)  # the last municipality without rows
    for n in (0, 4000):
        rows = np.sort(rng.choice(mun.size, n, replace=False)).astype(np.int64)
        out, ends = np.empty(n, dtype=np.int64), np.empty(ks.N_MUN, dtype=np.int64)
        assert ks.group_loop(rows, mun, ks.N_MUN, out, ends)
        assert np.array_equal(out, rows[np.argsort(mun[rows], kind="stable")])
        assert np.array_equal(ends, np.cumsum(np.bincount(mun[rows], minlength=ks.N_MUN)))
    mun[0] = ks.N_MUN
    assert not ks.group_loop(np.arange(10), mun, ks.N_MUN, np.empty(10, dtype=np.int64), ends)


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stock_groups(seed):
    """The same groups, with every int8 type, NaN values, homes out of the stock, demolished or dead, and a
    municipality without homes; a municipality out of range: numpy's error or longer counts."""
    rng = np.random.default_rng(seed)
    for n in (0, 1, 6000):
        alive, in_stock = rng.random(n) < 0.95, rng.random(n) < 0.9
        status = rng.integers(-1, 4, n).astype(np.int8)
        mun = rng.integers(0, ks.N_MUN - 1, n).astype(np.int8)
        typ = rng.choice(np.array([-128, -1, 0, 1, 2, 3, 4, 127], dtype=np.int8), n)
        value = rng.uniform(5e4, 5e5, n)
        value[rng.random(n) < 0.02] = np.nan
        args = (alive, in_stock, status, mun, typ, value)
        got, want = ks.stock_groups(*args), ks._stock_groups_numpy(*args)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    mun[0], alive[0], in_stock[0], status[0] = ks.N_MUN, True, True, 1
    got, want = ks.stock_groups(*args), ks._stock_groups_numpy(*args)
    assert all(g.tobytes() == w.tobytes() for g, w in zip(got, want, strict=True)) and got[1].size == ks.N_MUN + 1


def _movers_args(rng, n_h, n_d):
    """Household and dwelling columns for kernels_stock.movers: ages and sizes around the thresholds, homes
    in and out of the stock, NaN floor areas, dwelling ids of every row (some without one)."""
    next_id = n_d + 10
    row_of = np.full(next_id, -1, dtype=np.int64)
    row_of[rng.choice(next_id, n_d, replace=False)] = rng.permutation(n_d)
    floor_area = rng.uniform(20, 200, n_d).astype(np.float32)
    floor_area[rng.random(n_d) < 0.02] = np.nan
    return dict(alive=rng.random(n_h) < 0.9, oldest=rng.integers(0, 100, n_h), size=rng.integers(0, 7, n_h),
                dwelling_id=np.flatnonzero(row_of >= 0)[rng.integers(0, n_d, n_h)],
                key=rng.integers(-2**62, 2**62, n_h),
                row_of=row_of, next_id=next_id, in_stock=rng.random(n_d) < 0.95, lifetime_proof=rng.random(n_d) < 0.3,
                floor_area=floor_area, crowded_m2=30.0, elderly_rate=0.3, family_rate=0.4, s0=12345, s1=2**63 + 7)


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_movers(seed):
    rng = np.random.default_rng(seed)
    for n_h, n_d in ((0, 0), (1, 1), (1024, 900), (1025, 900), (2048, 3000), (5000, 4000)):  # chunks of 1024
        args = _movers_args(rng, n_h, n_d)
        got, want = ks.movers(**args), ks._movers_numpy(**args)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w)
        if n_h > 1000:
            assert 0 < got[2].sum() < got[0].size
    for n_h, last in ((100, False), (3000, True)):  # a home without a row, in the first chunk or the last
        args = _movers_args(rng, n_h, 50)
        args["dwelling_id"][np.flatnonzero(args["alive"] & (args["oldest"] >= 75))[-1 if last else 0]] = -1
        with pytest.raises(KeyError):
            ks.movers(**args)


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vacant_homes(seed):
    """The same homes and values as the numpy code of model.market.moves (masks, gathers, for_rent_mask,
    for_sale_mask, tenure_in), with every owner and fund status code, written-off homes and homes sold this
    year; nothing without vacant homes."""
    from model.state import VACANT, for_rent_mask, for_sale_mask, tenure_in

    rng = np.random.default_rng(seed)
    n = 5000
    d = _dwellings(rng, n)
    d.col("alive")[rng.random(n) < 0.05] = False
    d.col("in_stock")[:] = rng.random(n) < 0.95
    d.col("written_off")[:] = rng.random(n) < 0.1
    d.col("lifetime_proof")[:] = rng.random(n) < 0.3
    d.col("floor_area_m2")[:] = rng.uniform(20, 200, n)
    d.col("value_eur")[:] = rng.uniform(5e4, 5e5, n)
    d.col("last_sale_year")[:] = rng.choice([2029, 2030], n)
    cols = [d.peek(k) for k in ("alive", "in_stock", "status", "written_off", "owner", "fund_status", "municipality",
                                "lifetime_proof", "floor_area_m2", "value_eur", "last_sale_year")]
    got = ks.vacant_homes(*cols, 2030)
    vacant = np.flatnonzero(d.alive & d.in_stock & (d.status == VACANT) & ~d.written_off)
    for_sale = for_sale_mask(d, vacant) & (d.last_sale_year[vacant] != 2030)
    want = (vacant, d.municipality[vacant], d.lifetime_proof[vacant], d.floor_area_m2[vacant], for_rent_mask(d, vacant),
            for_sale, np.where(for_sale, d.value_eur[vacant], 0.0), tenure_in(d, vacant).astype(np.int8))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    assert got[0].size > 100 and 0 < got[5].sum() < got[0].size and got[4].any()
    cols[2] = np.zeros(n, dtype=np.int8)  # all occupied
    assert all(a.size == 0 for a in ks.vacant_homes(*cols, 2030))


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pay_for_homes(seed):
    """The same payments, counts and sums, with NaN, signed zeros and infinities in savings and values, repeated
    households and homes, and homes of the funds."""
    rng = np.random.default_rng(seed)
    n_h, n_d = 3000, 2000
    special = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, -5.0])
    savings = rng.uniform(-1e4, 3e5, n_h)
    pick = rng.random(n_h) < 0.1
    savings[pick] = rng.choice(special, pick.sum())
    mortgage = rng.uniform(0, 2e5, n_h)
    value = rng.uniform(5e4, 5e5, n_d)
    pick = rng.random(n_d) < 0.05
    value[pick] = rng.choice(special[:4], pick.sum())  # (no -inf: inf - inf in a sum would make a NaN whose sign
    # depends on the order of the operands of a later NaN + NaN, which the compiler may swap)
    owner = rng.integers(-1, 7, n_d).astype(np.int8)
    mun = rng.integers(0, ks.N_MUN, n_d).astype(np.int8)
    for n in (0, 1, 500):
        hh, dw = rng.integers(0, n_h, n), rng.integers(0, n_d, n)
        out = []
        for fn in (ks.pay_for_homes, ks._pay_numpy):
            s, m, year = savings.copy(), mortgage.copy(), np.zeros(n_d, dtype=np.int16)
            res = fn(hh, dw, value, owner, mun, s, m, year, 2031)
            out.append((res, s, m, year))
        (a, *sa), (b, *sb) = out
        assert a[2] == b[2] and a[0].dtype == b[0].dtype and np.array_equal(a[0], b[0])
        assert a[1].tobytes() == b[1].tobytes()
        assert all(x.tobytes() == y.tobytes() for x, y in zip(sa, sb, strict=True))
    mun[dw[0]] = ks.N_MUN  # outside the municipalities: numpy's longer counts
    a = ks.pay_for_homes(hh, dw, value, owner, mun, savings.copy(), mortgage.copy(), np.zeros(n_d, np.int16), 2031)
    assert a[0].size == ks.N_MUN + 1


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_demolition_groups(seed):
    """The same counts and groups, with every owner and status code, homes out of the stock or dead, and a
    municipality without homes; a municipality out of range: numpy's longer counts."""
    rng = np.random.default_rng(seed)
    for n in (0, 1, 6000):
        alive, in_stock = rng.random(n) < 0.95, rng.random(n) < 0.9
        status = rng.integers(-1, 4, n).astype(np.int8)
        owner = rng.integers(-1, 7, n).astype(np.int8)
        mun = rng.integers(0, ks.N_MUN - 1, n).astype(np.int8)
        args = (alive, in_stock, status, owner, mun)
        got, want = ks.demolition_groups(*args), ks._demolition_groups_numpy(*args)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w)
    mun[0], alive[0], in_stock[0], status[0], owner[0] = ks.N_MUN, True, True, 1, 0
    got, want = ks.demolition_groups(*args), ks._demolition_groups_numpy(*args)
    assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)) and got[0].size == ks.N_MUN + 1


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_move_in(seed):
    """The same columns written and the same buyers, with every owner and fund-status code."""
    rng = np.random.default_rng(seed)
    n_d, n_h = 3000, 2500
    for n in (0, 1, 1000):
        take, hr = rng.choice(n_d, n, replace=False), rng.choice(n_h, n, replace=False)
        owner, fund_status = rng.integers(-1, 7, n_d).astype(np.int8), rng.integers(-1, 6, n_d).astype(np.int8)
        d_id, h_id = rng.permutation(n_d * 2)[:n_d], rng.permutation(n_h * 2)[:n_h]
        cols = (np.ones(n_d, np.int8), np.full(n_d, -1), np.full(n_d, 3, np.int16), np.full(n_h, -1),
                np.full(n_h, 3, np.int8), rng.uniform(0, 1e5, n_h))
        out = []
        for fn in (ks.move_in, ks._move_in_numpy):
            status, household_id, years_vacant, dwelling_id, tenure, mortgage = written = [c.copy() for c in cols]
            buys = fn(take, hr, status, household_id, years_vacant, d_id, h_id, dwelling_id, tenure, mortgage, owner,
                      fund_status)
            out.append((buys, written))
        (a, wa), (b, wb) = out
        assert a.dtype == b.dtype and np.array_equal(a, b)
        assert all(x.dtype == y.dtype and x.tobytes() == y.tobytes() for x, y in zip(wa, wb, strict=True))
        if n > 100:
            assert 0 < a.sum() < n and not np.array_equal(wa[5], cols[5])
