"""The compiled household kernels (model/kernels_households.py) give the same arrays as their numpy
fallbacks, bit for bit, on random inputs and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels, kernels_households
from model.kernels_households import FACTS, _facts_numpy

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


def _persons(rng, n_persons, n_households, member_share=0.8):
    """Each person's household row (-1 for no member) and the person columns (all indexed by row)."""
    age = rng.integers(-1, 105, n_persons).astype(np.int16)
    role = rng.integers(-1, 3, n_persons).astype(np.int8)
    # incomes of very different magnitudes, so that the order of the additions shows in the sums
    income = rng.lognormal(10, 2, n_persons) * rng.choice([1e-6, 1.0, 1e6], n_persons)
    rows = np.flatnonzero(rng.random(n_persons) < member_share)
    hrow_of = np.full(n_persons, -1, dtype=np.int64)
    if n_households:
        hrow_of[rows] = rng.integers(0, n_households, rows.size)
    return hrow_of, age, role, income


def _loop(hrow_of, age, role, income, n):
    """The compiled loop without income growth: its arrays (zeroed here) and ok."""
    out = (np.zeros(n, np.float64), *(np.zeros(n, np.int64) for _ in range(4)))
    ok = kernels_households._facts_loop(hrow_of, age, role, income, n, *kernels_households._NO_GROWTH, *out, True,
                                        np.full((n, 2), np.nan))
    return (*out, ok)


def _compiled(hrow_of, age, role, income, n):
    """The compiled loop itself (the public function sends small arrays to the fallback)."""
    *out, ok = _loop(hrow_of, age, role, income, n)
    assert ok
    return dict(zip(FACTS, out, strict=True))


def _same(a, b):
    return (list(a) == list(b) == list(FACTS)
            and all(a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in FACTS))


@needs_numba
@pytest.mark.parametrize("n_persons,n_households", [(1, 1), (7, 3), (1000, 10), (50_000, 20_000), (50_000, 100_000)])
def test_facts_compiled_equals_numpy(n_persons, n_households):
    rng = np.random.default_rng(n_persons + n_households)
    args = _persons(rng, n_persons, n_households)
    expected = _facts_numpy(*args, n_households)
    assert _same(_compiled(*args, n_households), expected)
    assert _same(kernels_households.facts(*args, n_households), expected)  # the public function, either path


@pytest.mark.parametrize("n_households", [0, 5])
def test_facts_without_members(n_households):
    # no members: the public function gives the fallback's arrays (np.bincount's income is then int64 zeros)
    args = _persons(np.random.default_rng(1), 0, n_households)
    assert _same(kernels_households.facts(*args, n_households), _facts_numpy(*args, n_households))


@pytest.mark.parametrize("n_households", [0, 5])
def test_facts_persons_but_no_members(monkeypatch, n_households):
    # persons, none of them a member: the loop declines and the public function gives the fallback's arrays
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    args = _persons(np.random.default_rng(2), 20, n_households, member_share=0.0)
    assert _same(kernels_households.facts(*args, n_households), _facts_numpy(*args, n_households))
    if kernels.COMPILED:
        assert not _loop(*args, n_households)[-1]


@needs_numba
def test_facts_several_heads_and_negative_ages():
    # household 0: two heads (the last one's age counts), household 1: only newborns (age -1: oldest stays 0),
    # household 2: no member; person 4 is no member
    hrow_of = np.array([0, 1, 0, 1, -1, 0])
    age = np.array([40, -1, 35, -1, 9, 50], dtype=np.int16)
    role = np.array([0, 2, 1, 2, 0, 0], dtype=np.int8)
    income = np.array([0.1, 0.2, 0.3, 1e17, 5.0, 0.7])
    got = _compiled(hrow_of, age, role, income, 3)
    assert _same(got, _facts_numpy(hrow_of, age, role, income, 3))
    assert got["head_age"].tolist() == [50, 0, 0] and got["oldest"].tolist() == [50, 0, 0]
    assert got["size"].tolist() == [3, 2, 0] and got["adults"].tolist() == [3, 0, 0]


@needs_numba
def test_facts_ages_at_the_int16_bounds(monkeypatch):
    # the packed accumulators hold any int16 age: heads and oldest members at the bounds, many adults in one
    # household; ages of a wider dtype go to the numpy code (the same facts)
    rng = np.random.default_rng(3)
    n = 200_000
    hrow_of = np.where(rng.random(n) < 0.5, 0, rng.integers(-1, 4, n)).astype(np.int64)
    age = rng.choice(np.array([-32768, -1, 0, 17, 18, 32766, 32767], dtype=np.int16), n,
                     p=[0.05, 0.05, 0.05, 0.05, 0.6, 0.1, 0.1])
    role = rng.integers(0, 3, n).astype(np.int8)
    income = rng.random(n)
    got = _compiled(hrow_of, age, role, income, 4)
    assert _same(got, _facts_numpy(hrow_of, age, role, income, 4))
    assert got["oldest"].max() == 32767 and got["adults"][0] > 1 << 16
    for r, a in ((1, -32768), (2, 32767)):  # the head's age at a bound, by the household's last head
        hrow_of[-1], age[-1], role[-1] = r, a, 0
        assert _compiled(hrow_of, age, role, income, 4)["head_age"][r] == a
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    wide = age.astype(np.int32)
    assert _same(kernels_households.facts(hrow_of, wide, role, income, 4), _facts_numpy(hrow_of, wide, role, income, 4))


def test_facts_household_row_out_of_range_raises_as_numpy():
    hrow_of = np.array([0, 3])
    age, role, income = np.array([30, 40], dtype=np.int16), np.array([0, 0], dtype=np.int8), np.ones(2)
    with pytest.raises((IndexError, ValueError)):
        _facts_numpy(hrow_of, age, role, income, 3)
    with pytest.raises((IndexError, ValueError)):
        kernels_households.facts(hrow_of, age, role, income, 3)
    if kernels.COMPILED:  # the loop says so, and the public function then raises through the fallback
        assert not _loop(hrow_of, age, role, income, 3)[-1]


@pytest.mark.parametrize("n_persons,n_households", [(0, 5), (20, 5), (1000, 10), (50_000, 20_000)])
@pytest.mark.parametrize("member_share", [0.0, 0.8])
def test_facts_with_income_growth(monkeypatch, n_persons, n_households, member_share):
    # the incomes of the alive persons grow in place (as np.multiply with where=alive), the facts sum the new ones
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    rng = np.random.default_rng(n_persons)
    hrow_of, age, role, income = _persons(rng, n_persons, n_households, member_share)
    alive = (hrow_of >= 0) | (rng.random(n_persons) < 0.5)
    want = income.copy()
    np.multiply(want, 1.0173, out=want, where=alive)
    expected = _facts_numpy(hrow_of, age, role, want, n_households)
    for compiled in (True, False):
        monkeypatch.setattr(kernels, "COMPILED", compiled and kernels.COMPILED)
        got = income.copy()
        assert _same(kernels_households.facts(hrow_of, age, role, got, n_households, alive, 1.0173), expected)
        assert np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("n_persons,n_households", [(0, 5), (20, 5), (1000, 10), (50_000, 20_000)])
def test_facts_into_given_arrays(monkeypatch, n_persons, n_households):
    # the arrays given (larger, holding old values) are zeroed and filled: the same facts as fresh arrays
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    args = _persons(np.random.default_rng(n_persons + 7), n_persons, n_households)
    expected = _facts_numpy(*args, n_households)
    for compiled in (True, False):
        monkeypatch.setattr(kernels, "COMPILED", compiled and kernels.COMPILED)
        out = (np.full(n_households + 3, 7.5), *(np.full(n_households + 3, 9, dtype=np.int64) for _ in range(4)))
        got = kernels_households.facts(*args, n_households, out=out)
        assert _same(got, expected)
        if compiled and kernels.COMPILED and n_persons:
            assert all(np.shares_memory(got[k], a) for k, a in zip(FACTS, out, strict=True))


@pytest.mark.parametrize("n_persons,n_households", [(0, 5), (20, 5), (1000, 10), (50_000, 20_000)])
def test_facts_with_the_members_counted(monkeypatch, n_persons, n_households):
    # the members per household given (as the member table counts them): copied, the same facts
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    args = _persons(np.random.default_rng(n_persons + 11), n_persons, n_households)
    expected = _facts_numpy(*args, n_households)
    size = np.bincount(args[0][args[0] >= 0], minlength=n_households)
    for compiled in (True, False):
        monkeypatch.setattr(kernels, "COMPILED", compiled and kernels.COMPILED)
        for out in (None, (np.full(n_households + 3, 7.5), *(np.full(n_households + 3, 9, dtype=np.int64)
                                                              for _ in range(4)))):
            assert _same(kernels_households.facts(*args, n_households, out=out, size=size), expected)
    with pytest.raises(ValueError):
        kernels_households.facts(*args, n_households, size=size[:-1])


def test_facts_persons_arrays_of_different_lengths_raise():
    with pytest.raises(ValueError):
        kernels_households.facts(np.zeros(2, dtype=np.int64), np.zeros(3, dtype=np.int16), np.zeros(2, dtype=np.int8),
                                 np.ones(2), 1)


def test_facts_on_a_model_state():
    from model import HousingModel
    from model.income import member_rows, person_household_rows

    m = HousingModel("scenarios/baseline.toml", rng=4, scale=0.02, end_year=2021)
    m.step()
    st = m.state
    p, h = st.persons, st.households
    hrow_of = person_household_rows(st)
    rows, hrow = member_rows(st)
    assert np.array_equal(np.flatnonzero(hrow_of >= 0), rows) and np.array_equal(hrow_of[rows], hrow)
    args = (hrow_of, p.peek("age"), p.peek("role"), p.peek("income_eur"), h.n)
    assert _same(kernels_households.facts(*args), _facts_numpy(*args))
    if kernels.COMPILED:
        assert _same(_compiled(*args), _facts_numpy(*args))


# -- the member table's listing of members (model.income._MemberIndex) ------------------------------------------
@pytest.mark.parametrize("n,share", [(0, 0.5), (1, 1.0), (1, 0.0), (1000, 0.9), (50_000, 0.5), (50_000, 0.0)])
def test_member_arrays_compiled_equals_numpy(monkeypatch, n, share):
    rng = np.random.default_rng(n + 1)
    member = np.concatenate([rng.random(n) < share, [True, True]])  # room beyond n: not members
    hrow_of = rng.integers(-1, 10**6, n + 2).astype(np.int64)
    expected_rows = np.flatnonzero(member[:n])
    for compiled in (False, True):
        monkeypatch.setattr(kernels, "COMPILED", compiled and kernels.COMPILED)
        monkeypatch.setattr(kernels, "MIN_SIZE", 0)
        rows, hrow = np.full(n + 3, -7, dtype=np.int64), np.full(n + 3, -7, dtype=np.int64)
        k = kernels_households.member_arrays(member, hrow_of, n, rows, hrow)
        assert k == expected_rows.size
        assert np.array_equal(rows[:k], expected_rows) and np.array_equal(hrow[:k], hrow_of[expected_rows])
        assert (rows[n:] == -7).all() and (hrow[n:] == -7).all()  # nothing written from n on


# -- savings and mortgage repayment (model.income.yearly_means) ---------------------------------------------------
def _households(rng, n):
    """Household columns with dead slots, tenures of all kinds, NaN, -0.0 and exact-limit incomes."""
    alive = rng.random(n) < 0.8
    tenure = rng.integers(0, 4, n).astype(np.int8)
    moved_in_year = rng.integers(1960, 2060, n).astype(np.int16)
    adults = rng.integers(0, 4, n)
    income = rng.lognormal(10, 1.5, n) * rng.choice([1.0, -1.0, 0.0], n, p=[0.8, 0.1, 0.1])
    if n:
        income[rng.integers(0, n, max(n // 50, 1))] = np.nan
        income[rng.integers(0, n, max(n // 50, 1))] = 20_000.0 * 1.1  # surplus exactly 0.0
        income[rng.integers(0, n, max(n // 50, 1))] = -0.0
    savings = rng.lognormal(9, 2, n) * rng.choice([1.0, -1.0, -0.0], n, p=[0.8, 0.1, 0.1])
    mortgage = rng.lognormal(11, 1, n) * rng.choice([1.0, 0.0, -0.0], n, p=[0.8, 0.1, 0.1])
    return alive, tenure, moved_in_year, income, adults, savings, mortgage


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("n", [0, 1, 7, 1000, 50_000])
@pytest.mark.parametrize("term,year", [(30.0, 2030), (30, 2030), (10.0, 2061)])
def test_save_and_repay_compiled_equals_numpy(monkeypatch, n, term, year):
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    rng = np.random.default_rng(n + year)
    alive, tenure, moved_in_year, income, adults, savings, mortgage = _households(rng, n)
    scalars = (20_000.0, 30_000.0, 1.1, 0.1, term, year)
    got_s, got_m = savings.copy(), mortgage.copy()
    kernels_households.save_and_repay(alive, tenure, moved_in_year, income, adults, got_s, got_m, *scalars)
    exp_s, exp_m = savings.copy(), mortgage.copy()
    kernels_households._save_and_repay_numpy(alive, tenure, moved_in_year, income, adults, exp_s, exp_m, *scalars)
    assert np.array_equal(_bits(got_s), _bits(exp_s)) and np.array_equal(_bits(got_m), _bits(exp_m))
    dead = ~alive
    assert np.array_equal(_bits(got_s[dead]), _bits(savings[dead]))  # dead slots untouched
    assert np.array_equal(_bits(got_m[dead | (tenure != 0)]), _bits(mortgage[dead | (tenure != 0)]))


def test_save_and_repay_int_income_without_members(monkeypatch):
    # without members household_facts gives the income as int64 zeros: both paths take them
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    alive, tenure = np.array([True, True]), np.array([0, 1], dtype=np.int8)
    moved, income, adults = np.array([2000, 2010], dtype=np.int16), np.zeros(2, dtype=np.int64), np.zeros(2, np.int64)
    out = []
    for fn in (kernels_households.save_and_repay, kernels_households._save_and_repay_numpy):
        s, m = np.array([5.0, 6.0]), np.array([300.0, 400.0])
        fn(alive, tenure, moved, income, adults, s, m, 20_000.0, 30_000.0, 1.0, 0.1, 30.0, 2020)
        out.append((s, m))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])
    assert out[0][0].tolist() == [5.0, 6.0] and out[0][1].tolist() == [270.0, 400.0]  # 10 years left


# -- the member table's counts (model.income._MemberIndex) ------------------------------------------------------
@pytest.mark.parametrize("n_slots,n_was,n_is", [(1, 0, 0), (1, 1, 1), (10, 30, 5), (20_000, 5000, 7000)])
def test_shift_counts_compiled_equals_numpy(monkeypatch, n_slots, n_was, n_is):
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    rng = np.random.default_rng(n_slots + n_was)
    counts = [rng.integers(0, 50, n_slots) for _ in range(3)]
    moves = (rng.integers(0, n_slots, n_was), rng.integers(-1, 4, n_was).astype(np.int8),  # roles -1 .. 3 too
             rng.integers(0, n_slots, n_is), rng.integers(0, 3, n_is).astype(np.int8))
    got, expected = [c.copy() for c in counts], [c.copy() for c in counts]
    kernels_households.shift_counts(*got, *moves)
    kernels_households._shift_counts_numpy(*expected, *moves)
    assert all(g.dtype == e.dtype and np.array_equal(g, e) for g, e in zip(got, expected, strict=True))


@pytest.mark.parametrize("bad", [-1, 3])
def test_shift_counts_row_out_of_range_as_numpy(monkeypatch, bad):
    # the loop declines and changes nothing; the numpy code then raises (3) or counts from the end (-1)
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    counts = [np.full(3, 5) for _ in range(3)]
    moves = (np.array([0, 1]), np.array([0, 1], dtype=np.int8), np.array([2, bad]), np.array([0, 2], dtype=np.int8))
    if kernels.COMPILED:
        assert not kernels_households._shift_counts_loop(*counts, *moves)
        assert all((c == 5).all() for c in counts)
    if bad >= 3:
        with pytest.raises(IndexError):
            kernels_households.shift_counts(*counts, *moves)
        return
    expected = [c.copy() for c in counts]
    kernels_households._shift_counts_numpy(*expected, *moves)
    kernels_households.shift_counts(*counts, *moves)
    assert all(np.array_equal(g, e) for g, e in zip(counts, expected, strict=True))


# -- the member table from scratch (model.income._MemberIndex after a compaction) ----------------------------------
def _build(hid, role, alive, row_of, n_slots):
    """build_members into fresh arrays: (members, copies, hrow_of, size, heads, partners)."""
    n = hid.size
    copies = (np.empty(n, hid.dtype), np.empty(n, role.dtype), np.empty(n, bool), np.empty(n, bool))
    hrow_of = np.empty(n, np.int64)
    counts = [np.zeros(n_slots, np.int64) for _ in range(3)]
    k = kernels_households.build_members(hid, role, alive, row_of, n_slots, *copies, hrow_of, *counts)
    return k, copies, hrow_of, counts


@pytest.mark.parametrize("n_persons,n_households", [(0, 0), (1, 1), (50, 7), (20_000, 6_000)])
def test_build_members_compiled_equals_numpy(monkeypatch, n_persons, n_households):
    from model.income import role_counts

    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    rng = np.random.default_rng(n_persons)
    n_ids = n_households + 10
    row_of = np.full(n_ids + 5, -1, dtype=np.int64)
    row_of[rng.choice(n_ids, n_households, replace=False)] = np.arange(n_households)
    ids = np.flatnonzero(row_of >= 0)
    hid = np.where(rng.random(n_persons) < 0.9, rng.choice(ids, n_persons) if ids.size else -1, -1).astype(np.int64)
    role = rng.integers(-1, 4, n_persons).astype(np.int8)  # some out of range: counted as members only
    alive = rng.random(n_persons) < 0.9
    hid[~alive & (rng.random(n_persons) < 0.5)] = n_ids + 100  # dead persons' ids are not looked up
    k, copies, hrow_of, counts = _build(hid, role, alive, row_of, n_households)
    if not kernels.COMPILED:
        assert k == -1
        return
    member = alive & (hid >= 0)
    want_rows = np.flatnonzero(member)
    want_hrow = row_of[hid[want_rows]]
    assert k == want_rows.size
    for c, a in zip(copies, (hid, role, alive, member), strict=True):
        assert c.dtype == a.dtype and np.array_equal(c, a)
    assert np.array_equal(hrow_of[want_rows], want_hrow) and (np.delete(hrow_of, want_rows) == -1).all()
    want = role_counts(want_hrow, role[want_rows], n_households)
    assert all(np.array_equal(c, w) for c, w in zip(counts, want, strict=True))


@needs_numba
def test_build_members_declines_a_household_without_a_row(monkeypatch):
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    row_of = np.array([0, -1, 1])
    role, alive = np.zeros(3, np.int8), np.ones(3, bool)
    for bad in (1, 3):  # no row; beyond row_of
        assert _build(np.array([0, bad, 2]), role, alive, row_of, 2)[0] == -1


# -- the member table brought up to date (model.income._MemberIndex.update) -----------------------------------------
def _members_state(rng, n_persons, n_households):
    """Persons' columns (household id, role, alive) with dead persons, persons without a household, roles out of
    range and dead persons' ids beyond row_of, and the households' row_of."""
    n_ids = n_households + 10
    row_of = np.full(n_ids + 5, -1, dtype=np.int64)
    row_of[rng.choice(n_ids, n_households, replace=False)] = np.arange(n_households)
    ids = np.flatnonzero(row_of >= 0)
    hid = np.where(rng.random(n_persons) < 0.9, rng.choice(ids, n_persons) if ids.size else -1, -1).astype(np.int64)
    role = rng.integers(-1, 4, n_persons).astype(np.int8)
    alive = (rng.random(n_persons) < 0.9) & (ids.size > 0)
    hid[~alive & (rng.random(n_persons) < 0.5)] = n_ids + 100
    return hid, role, alive, row_of


def _changed(rng, hid, role, alive, row_of, share):
    """The columns with a ``share`` of the persons changed (ids, roles, deaths, persons brought back)."""
    hid, role, alive = hid.copy(), role.copy(), alive.copy()
    ids = np.flatnonzero(row_of >= 0)
    for col, values in ((hid, lambda k: rng.choice(np.append(ids, -1), k)), (role, lambda k: rng.integers(-1, 4, k)),
                        (alive, lambda k: rng.random(k) < 0.5)):
        at = np.flatnonzero(rng.random(hid.size) < share)
        col[at] = values(at.size)
    hid[~alive & (hid >= row_of.size)] = -1
    hid[alive & (hid >= row_of.size)] = ids[0] if ids.size else -1
    alive &= ids.size > 0
    return hid, role, alive


@needs_numba
@pytest.mark.parametrize("n0,n_new,n_households,share", [(0, 0, 0, 0.0), (0, 5, 3, 0.0), (1, 0, 1, 1.0),
                                                        (50, 10, 7, 0.2), (20_000, 3000, 6000, 0.05),
                                                        (20_000, 0, 6000, 0.0)])
def test_update_members_equals_a_build_from_scratch(monkeypatch, n0, n_new, n_households, share):
    # the table of the last update (built from scratch), the columns changed and persons added, then
    # update_members for the changed and added persons against a build of the new columns from scratch
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    rng = np.random.default_rng(n0 + n_new)
    hid, role, alive, row_of = _members_state(rng, n0 + n_new, n_households)
    new_hid, new_role, new_alive = _changed(rng, hid, role, alive, row_of, share)
    _, (_, role_copy, _, member_copy), hrow_of, counts = _build(hid[:n0], role[:n0], alive[:n0], row_of, n_households)
    room = n0 + n_new + 3  # the copies have room beyond the persons
    role_copy = np.concatenate([role_copy, np.zeros(room - n0, np.int8)])
    member_copy = np.concatenate([member_copy, np.ones(room - n0, bool)])  # (not read from n0 on)
    hrow_of = np.concatenate([hrow_of, np.full(room - n0, -7, np.int64)])
    differs = (new_hid[:n0] != hid[:n0]) | (new_role[:n0] != role[:n0]) | (new_alive[:n0] != alive[:n0])
    c = np.concatenate([np.flatnonzero(differs), np.arange(n0, n0 + n_new)])
    assert kernels_households.update_members(c, new_hid[c], new_role[c], new_alive[c], row_of, n0, role_copy,
                                             member_copy, hrow_of, *counts)
    _, want_copies, want_hrow_of, want_counts = _build(new_hid, new_role, new_alive, row_of, n_households)
    assert np.array_equal(member_copy[: n0 + n_new], want_copies[3])
    assert np.array_equal(hrow_of[: n0 + n_new], want_hrow_of)
    assert all(np.array_equal(c, w) for c, w in zip(counts, want_counts, strict=True))
    assert (hrow_of[n0 + n_new:] == -7).all()  # nothing written beyond


@needs_numba
def test_update_members_declines_a_household_without_a_row(monkeypatch):
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    row_of = np.array([0, -1, 1])
    role, alive = np.zeros(3, np.int8), np.ones(3, bool)
    for bad in (1, 3):  # no row; beyond row_of
        _, (_, role_copy, _, member_copy), hrow_of, counts = _build(np.array([0, 0, 2]), role, alive, row_of, 2)
        assert not kernels_households.update_members(np.array([1]), np.array([bad]), role[:1], alive[:1], row_of, 3,
                                                     role_copy, member_copy, hrow_of, *counts)


# -- the energy cost of dwellings (model.income.energy_cost_eur) ---------------------------------------------------
@pytest.mark.parametrize("n_rows", [0, 1, 50, 5000])
@pytest.mark.parametrize("connected_share", [0.0, 0.3])
def test_energy_cost_compiled_equals_numpy(monkeypatch, n_rows, connected_share):
    from model import HousingModel, income

    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    m = HousingModel("scenarios/baseline.toml", rng=3, scale=0.02, end_year=2021)
    d = m.state.dwellings
    rng = np.random.default_rng(n_rows)
    d.col("energy_connected")[:] = rng.random(d.n) < connected_share
    ep2 = d.col("ep2_kwh_m2")
    ep2[rng.random(d.n) < 0.05] = np.nan
    rows = rng.choice(d.n, min(n_rows, d.n), replace=False)
    got = income.energy_cost_eur(m, rows)
    # a mask or rows from the end: left to the numpy code
    assert kernels_households.energy_cost(rows.astype(bool), *(np.zeros(3),) * 3, 1.0, 1.0, 1.0, 1.0) is None
    assert kernels_households.energy_cost(np.array([-1]), *(np.zeros(3),) * 3, 1.0, 1.0, 1.0, 1.0) is None
    monkeypatch.setattr(kernels, "COMPILED", False)
    want = income.energy_cost_eur(m, rows)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


# -- the dwellings' market classes (model.state.for_sale_mask, for_rent_mask, tenure_in) ----------------------------
@pytest.mark.parametrize("n_rows", [0, 1, 7, 3000])
def test_dwelling_classes_compiled_equal_numpy(monkeypatch, n_rows):
    from model import state

    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    rng = np.random.default_rng(n_rows)
    d = state.new_dwellings()
    d.add(4000, owner=rng.integers(-2, 8, 4000).astype(np.int8), fund_status=rng.integers(-2, 7, 4000).astype(np.int8))
    rows = rng.integers(0, d.n, n_rows)
    others = [rows.astype(np.int32), rng.random(d.n) < 0.3, np.array([-1, 5, -4000]), 17]  # left to numpy
    for fn in (state.for_sale_mask, state.for_rent_mask, state.tenure_in):
        got = [fn(d, r) for r in [rows, *others]]
        with monkeypatch.context() as mp:
            mp.setattr(kernels, "COMPILED", False)
            want = [fn(d, r) for r in [rows, *others]]
            with pytest.raises(IndexError):
                fn(d, np.array([0, d.n]))
        for g, w in zip(got, want, strict=True):
            assert np.asarray(g).dtype == np.asarray(w).dtype and np.array_equal(g, w)
        with pytest.raises(IndexError):  # a row out of range: the numpy code raises
            fn(d, np.array([0, d.n]))
