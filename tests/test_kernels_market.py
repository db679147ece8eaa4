"""The compiled loops of model/kernels_market.py and their numpy fallbacks give identical results on random
inputs with edge cases (NaN, values on the label bounds, codes outside the known ones)."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels
from model import kernels_market as km
from model.state import EP2_BOUNDS

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


def _rows(rng, n_slots, n):
    return np.sort(rng.choice(n_slots, n, replace=False)).astype(np.int64)


def _ep2(rng, n):
    ep2 = rng.uniform(50, 450, n).astype(np.float32)
    ep2[rng.random(n) < 0.05] = np.nan
    on_bound = rng.random(n) < 0.1
    ep2[on_bound] = rng.choice(EP2_BOUNDS, on_bound.sum()).astype(np.float32)
    return ep2


def _numpy_path(fn, *args):
    """What the entry point ``fn`` gives through its numpy fallback."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(km, "use_compiled", lambda n: False)
        return fn(*args)


def _equal(a, b):
    if isinstance(a, tuple):
        return all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()  # bit for bit, NaN too


@needs_numba
@pytest.mark.parametrize("seed,sorted_mun", [(0, False), (1, False), (2, False), (3, True), (4, True)])
def test_person_cells(seed, sorted_mun):
    rng = np.random.default_rng(seed)
    n, n_h = 20_000, 5_000
    mun = rng.integers(0, km.N_MUN, n).astype(np.int8)
    if sorted_mun:  # as in a model: the persons of a municipality together (long runs), with a few breaks
        mun.sort()
        mun[rng.integers(0, n, 5)] = rng.integers(0, km.N_MUN, 5)
    age = rng.integers(-1, 110, n).astype(np.int16)
    age[:4] = [64, 65, 74, 75]
    inst = rng.random(n) < 0.1
    alive = rng.random(n) < 0.9
    hrow_of = np.where(alive & ~inst & (rng.random(n) < 0.95), rng.integers(0, n_h, n), -1).astype(np.int64)
    not_lp = rng.random(n_h) < 0.6
    args = (alive, mun, age, inst, hrow_of, not_lp)
    got = km.person_cells(*args)
    assert _equal(got, _numpy_path(km.person_cells, *args))
    assert got[0].sum() == alive.sum() and 0 < got[1].sum() <= ((hrow_of >= 0) & (age >= 75)).sum()
    none = np.zeros(n, dtype=bool)
    assert _equal(km.person_cells(none, *args[1:]), _numpy_path(km.person_cells, none, *args[1:]))
    empty = [a[:0] for a in args]
    assert _equal(km.person_cells(*empty), _numpy_path(km.person_cells, *empty))
    # persons, no household slot (nobody a member): the loop reads no row of the empty not_lp
    homeless = (alive, mun, age, inst, np.full(n, -1, dtype=np.int64), not_lp[:0])
    assert _equal(km.person_cells(*homeless), _numpy_path(km.person_cells, *homeless))
    # a municipality out of range raises where someone of it is counted (alive or a member), not else
    bad = mun.copy()
    bad[-100:] = km.N_MUN
    for live, member in ((False, True), (True, False)):
        a, h = alive.copy(), hrow_of.copy()
        a[-100:], h[-100:] = False, -1
        a[-50], h[-50] = live, 7 if member else -1
        with pytest.raises(ValueError, match="municipality index out of range"):
            km.person_cells(a, bad, age, inst, h, not_lp)
    a[-50], h[-50] = False, -1
    assert _equal(km.person_cells(a, bad, age, inst, h, not_lp), _numpy_path(km.person_cells, a, bad, age, inst, h,
                                                                               not_lp))


@needs_numba
@pytest.mark.parametrize("seed,unsellable", [(0, 3), (1, 1), (2, 2.5), (3, 0)])
def test_dwelling_stock(seed, unsellable):
    rng = np.random.default_rng(seed)
    n, n_w = 20_000, 40
    alive = rng.random(n) < 0.97
    in_stock = rng.random(n) < 0.95
    mun = rng.integers(0, km.N_MUN, n).astype(np.int8)
    mun[mun == seed] = (seed + 1) % km.N_MUN  # a municipality without dwellings
    status = rng.choice(np.array([0, 1, 2, -1, 7], dtype=np.int8), n, p=[0.6, 0.3, 0.05, 0.025, 0.025])
    years_vacant = rng.integers(-2, 8, n).astype(np.int16)
    owner = rng.integers(-3, 8, n).astype(np.int8)
    fund_status = rng.integers(-2, 7, n).astype(np.int8)
    written_off = rng.random(n) < 0.1
    connected = rng.random(n) < 0.1
    ep2 = _ep2(rng, n)
    area = rng.uniform(0, 300, n).astype(np.float32)
    value = rng.choice([1e5, 2e5, 3e5], n) + rng.random(n) * (rng.random(n) < 0.5)
    value[rng.random(n) < 0.01] = np.nan
    condition = rng.random(n).astype(np.float32)
    wijk = rng.integers(-n_w, n_w, n).astype(np.int16)
    active = rng.random(n_w) < 0.3
    lifetime_proof = rng.random(n) < 0.3
    args = (alive, in_stock, mun, status, years_vacant, owner, fund_status, written_off, connected, ep2, area, value,
            condition, wijk, active, lifetime_proof, unsellable, 0.1, 1.3, 0.8)
    got = km.dwelling_stock(*args)
    assert _equal(got, _numpy_path(km.dwelling_stock, *args))
    stock = (alive & in_stock & (status != 2)).sum()
    assert got[0].sum() == got[1].sum() == sum(v.size for v in got[5]) == stock
    assert np.array_equal((got[2] & km.F_NOT_LP) != 0, ~lifetime_proof)
    assert np.array_equal(got[3][:, km.HOME_VALUE], value, equal_nan=True)
    none = np.zeros(n, dtype=bool)
    assert _equal(km.dwelling_stock(none, *args[1:]), _numpy_path(km.dwelling_stock, none, *args[1:]))
    empty = [a[:0] for a in args[:14]] + [active, lifetime_proof[:0], unsellable, 0.1, 1.3, 0.8]
    assert _equal(km.dwelling_stock(*empty), _numpy_path(km.dwelling_stock, *empty))
    with pytest.raises(IndexError):
        km.dwelling_stock(*args[:13], wijk + n_w, *args[14:])


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_household_cells(seed):
    rng = np.random.default_rng(seed)
    n_h, n_d, n_w = 10_000, 12_000, 40
    mun = rng.integers(0, km.N_MUN, n_h).astype(np.int8)
    tenure = rng.integers(-1, 5, n_h).astype(np.int8)
    mortgage = rng.choice([0.0, 1e5, 2e5, 3e5], n_h) + rng.random(n_h) * (rng.random(n_h) < 0.5)
    loan = rng.choice([0.0, 0.0, 2e4, -1.0], n_h)
    income = rng.choice([0.0, 1e4, 3e4, 5e4, 8e4], n_h) * rng.uniform(0.5, 1.5, n_h)
    income[rng.random(n_h) < 0.02] = np.nan
    adults = rng.integers(0, 4, n_h)
    size = adults + rng.integers(0, 3, n_h)
    core2 = np.array([30_000.0, 45_000.0])
    daeb2 = np.array([47_000.0, 52_000.0])
    income[:4] = [core2[0], core2[1], daeb2[0], daeb2[1]]  # on the limits
    adults[:4] = [1, 2, 1, 2]
    size[:4] = [1, 2, 1, 2]
    in_stock = rng.random(n_d) < 0.95
    value = rng.choice([1e5, 2e5, 3e5], n_d) + rng.random(n_d) * (rng.random(n_d) < 0.5)
    value[rng.random(n_d) < 0.01] = np.nan
    ep2 = _ep2(rng, n_d)
    wijk = rng.integers(-n_w, n_w, n_d).astype(np.int16)
    active = rng.random(n_w) < 0.3
    lifetime_proof = rng.random(n_d) < 0.3
    flags = km._dwelling_flags_numpy(in_stock, ep2, wijk, active, lifetime_proof)
    alive = rng.random(n_h) < 0.95
    n_ids = n_d + 100
    row_of = np.full(n_ids, -1, dtype=np.int64)
    row_of[rng.choice(n_ids, n_d, replace=False)] = np.arange(n_d)
    dwelling_id = rng.choice(np.flatnonzero(row_of >= 0), n_h)
    area = rng.uniform(0, 300, n_d).astype(np.float32)
    connected = rng.random(n_d) < 0.2
    homes = km._dwelling_homes_numpy(connected, ep2, area, value, 0.1, 1.3, 0.8)
    args = (alive, dwelling_id, row_of, n_ids, mun, tenure, mortgage, loan, income, adults, size, homes, flags,
            core2, daeb2, 900.0, 0.1)
    got = km.household_cells(*args)
    assert _equal(got, _numpy_path(km.household_cells, *args))
    assert got[0].sum() == alive.sum() and got[1].sum() > 0
    assert np.array_equal(got[2], alive & ~lifetime_proof[row_of[dwelling_id]])
    no_connection = (*args[:11], km._dwelling_homes_numpy(np.zeros(n_d, dtype=bool), ep2, area, value, 0.1, 1.3, 0.8),
                     *args[12:])
    assert _equal(km.household_cells(*no_connection), _numpy_path(km.household_cells, *no_connection))
    none = np.zeros(n_h, dtype=bool)
    assert _equal(km.household_cells(none, *args[1:]), _numpy_path(km.household_cells, none, *args[1:]))
    for bad in (-1, n_ids, int(np.flatnonzero(row_of < 0)[0])):  # as EntityTable.rows: KeyError
        broken = dwelling_id.copy()
        broken[np.flatnonzero(alive)[7]] = bad
        with pytest.raises(KeyError):
            km.household_cells(alive, broken, *args[2:])


def test_cell_codes_cover_the_int8_values():
    """The lookup tables of the numpy path classify every int8 value as the loops do."""
    values = np.arange(256, dtype=np.uint8).view(np.int8)
    for v, code in zip(values.tolist(), km._OWNER_CODE.tolist(), strict=True):
        assert code >> km.D_OWNER_SHIFT == km._owner_class(v)
    for v, code in zip(values.tolist(), km._FS_CODE.tolist(), strict=True):
        assert code >> km.D_FS_SHIFT == km._fs_class(v)


@needs_numba
@pytest.mark.parametrize("seed", range(6))
def test_match_free_compiled_equals_numpy(seed):
    """The compiled rounds of allocation.match_free and allocation._match_numpy: the same matches and the same
    random numbers drawn (the generators end in the same state), with ties, NaN values, scores and budgets,
    buyers who can afford nothing, and every number of choices."""
    from model import allocation

    rng = np.random.default_rng(seed)
    for n_buyers, n_free in ((0, 10), (10, 0), (1, 1), (50, 20), (300, 1000), (1000, 300)):
        value = rng.choice([100_000.0, 150_000.0, 200_000.0], n_free) + rng.integers(0, 3, n_free) * 1000.0
        value[rng.random(n_free) < 0.02] = np.nan
        score = -rng.choice([1000.0, 2000.0, 3000.0, 4000.0], n_free)
        score[rng.random(n_free) < 0.02] = np.nan
        budget = rng.uniform(50_000, 260_000, n_buyers)
        budget[rng.random(n_buyers) < 0.02] = np.nan
        budget[: min(3, n_buyers)] = 100_000.0  # on a value
        for choices in (0, 1, 3, 8):
            for sc in (None, score):
                a_rng, b_rng = np.random.default_rng(seed + 100), np.random.default_rng(seed + 100)
                a = allocation.match_free(a_rng, budget, value, sc, choices)
                b = allocation._match_numpy(b_rng, budget, value, sc, choices)
                assert a.dtype == b.dtype and np.array_equal(a, b)
                assert a_rng.bit_generator.state == b_rng.bit_generator.state
                assert (a >= 0).sum() == np.unique(a[a >= 0]).size


def test_median_equals_numpy():
    from model.state import median

    rng = np.random.default_rng(5)
    for n in list(range(1, 12)) + [100, 101, 1000]:
        for values in (rng.random(n), rng.integers(0, 3, n).astype(float), np.full(n, 2.5)):
            for with_nan in (False, True):
                x = values.copy()
                if with_nan:
                    x[rng.integers(n)] = np.nan
                want = np.median(x)
                got = median(x.copy())
                assert type(got) is type(want) and repr(got) == repr(want), (n, x)


def test_kept_buffers_are_reused_only_when_free():
    """km._kept hands out a buffer's memory again only where no caller holds an array or a view of it."""
    km._KEPT.pop("test", None)
    a = km._kept("test", 10, np.float64)
    address = a.ctypes.data
    del a
    b = km._kept("test", 10, np.float64)
    assert b.ctypes.data == address  # free: the same memory
    c = km._kept("test", 10, np.float64)
    assert not np.shares_memory(c, b)  # b holds it: new memory
    view = c[2:]
    del c
    d = km._kept("test", 8, np.float64)
    assert not np.shares_memory(d, view)
    assert km._kept("test", 100, np.float64).size == 100 and km._kept("test", 5, np.int64).dtype == np.int64
    assert km._kept("test", 3, np.float64, 2).shape == (3, 2)
    km._KEPT.pop("test")
