"""The compiled loops of model/kernels_renovation.py and their numpy fallbacks give identical results on random
inputs with edge cases (NaN conditions, conditions on the write-off threshold, written-off homes, owners just
at their means and income limits, empty rows)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model import kernels
from model import kernels_renovation as kr
from model.params import Scenario
from model.state import CORPORATION, DEMOLISHED, EP2_BOUNDS, OCCUPIED, OWNER_OCCUPIER, PRIVATE_LANDLORD, VACANT

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


def _maintenance_inputs(rng, n_dw=3000, n_hh=2500):
    """Dwelling and household columns as maintain reads them; owner-occupied occupied homes hold distinct
    households."""
    owner = rng.choice([OWNER_OCCUPIER, CORPORATION, PRIVATE_LANDLORD, 3, 4], n_dw).astype(np.int8)
    status = rng.choice([OCCUPIED, VACANT, DEMOLISHED], n_dw, p=[0.8, 0.15, 0.05]).astype(np.int8)
    condition = rng.uniform(-0.05, 1.05, n_dw).astype(np.float32)
    condition[rng.random(n_dw) < 0.03] = np.nan
    condition[rng.random(n_dw) < 0.05] = np.float32(0.3)
    household_id = np.full(n_dw, -1, dtype=np.int64)
    occupied = np.flatnonzero(status == OCCUPIED)
    household_id[occupied] = rng.choice(n_hh, occupied.size, replace=False)
    row_of = rng.permutation(n_hh).astype(np.int64)
    adults = rng.integers(0, 4, n_hh)
    size = adults + rng.integers(0, 3, n_hh)
    income = rng.choice([1000.0, 19000.0, 20000.0, 30000.0, 31000.0, 60000.0], n_hh)
    savings = rng.uniform(-1000, 30000, n_hh)
    savings[:50] = 1000.0  # reserve exactly (with a zero reserve below): the means test at equality
    return dict(
        alive=rng.random(n_dw) < 0.9, in_stock=rng.random(n_dw) < 0.9,
        key=rng.integers(-2**62, 2**62, n_dw), built_year=rng.integers(1850, 2030, n_dw).astype(np.int16),
        status=status, condition=condition,
        floor_area=rng.uniform(20, 250, n_dw).astype(np.float32), owner=owner,
        written_off=rng.random(n_dw) < 0.05, household_id=household_id,
        municipality=rng.integers(0, kr.N_MUN, n_dw).astype(np.int8), row_of=row_of, savings=savings,
        income=income, adults=adults, size=size, core2=np.array([19000.0, 30000.0]),
        daeb2=np.array([20000.0, 31000.0]))


def _maintain(inputs, year, mp, compiled):
    """maintain on copies of the inputs (compiled or numpy): its returns as the event counters take them (in
    float: without rows np.bincount gives int64 zeros also for weighted sums) and the columns it writes."""
    a = {k: v.copy() for k, v in inputs.items()}
    args = (a["alive"], a["in_stock"], a["key"], (0x1234567890ABCDEF, 0xFEDCBA0987654321), year, a["built_year"],
            a["status"], a["condition"], a["floor_area"], a["owner"], a["written_off"], a["household_id"],
            a["municipality"], a["row_of"], a["savings"], a["income"], a["adults"], a["size"], a["core2"],
            a["daeb2"], mp)
    out = kr.maintain(*args) if compiled else kr._maintain_numpy(*args)
    return (*(np.asarray(v, dtype=float) for v in out), a["condition"], a["written_off"], a["savings"])


@needs_numba
@pytest.mark.parametrize("seed,overrides", [
    (0, {}), (1, dict(maintenance_prob_owner=1.0)), (2, dict(maintenance_prob_owner=0.0)),
    (3, dict(maintenance_prob_owner=-0.5)), (4, dict(maintenance_core_income_factor=-1.0)),
    (5, dict(maintenance_savings_reserve_eur=0.0, write_off_condition=0.3, vacant_decay_multiplier=3.0)),
    (6, dict(restoration_cost_eur_m2=0.0, maintenance_prob_corporation=1.0)),
])
def test_maintain(seed, overrides):
    rng = np.random.default_rng(seed)
    # (dataclasses.replace, not with_overrides: also values out of the parameters' ranges, where the owners'
    # highest probability bounds nothing)
    mp = dataclasses.replace(Scenario().maintenance, **overrides)
    inputs = _maintenance_inputs(rng)
    got = _maintain(inputs, 2030, mp, True)
    want = _maintain(inputs, 2030, mp, False)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    assert got[0].sum() > 0 and 0 < got[3] < inputs["alive"].size
    empty = dict(inputs, alive=np.zeros(inputs["alive"].size, dtype=bool))
    for g, w in zip(_maintain(empty, 2030, mp, True), _maintain(empty, 2030, mp, False), strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()


def _bound_inputs(rng, n_dw=4000, n_hh=3000, n=2500):
    """The arguments of may_renovate: owner positions in random dwellings with NaN EP2 and EP2 on the label
    bounds and the deep target, connected homes, incomes on the limits."""
    ep2 = rng.uniform(100, 450, n_dw).astype(np.float32)
    ep2[rng.random(n_dw) < 0.03] = np.nan
    on = rng.random(n_dw) < 0.1
    ep2[on] = rng.choice(np.append(EP2_BOUNDS, 185.0), on.sum()).astype(np.float32)
    head_age = rng.integers(18, 100, n)
    head_age[:20] = 67
    return (rng.choice(n_hh, n, replace=False).astype(np.int64), rng.choice(n_dw, n, replace=False).astype(np.int64),
            ep2, rng.uniform(0, 200, n_dw).astype(np.float32), rng.random(n_dw) < 0.2,
            rng.integers(2015, 2032, n_hh).astype(np.int16), rng.choice([1000.0, 19000.0, 20000.0, 30000.0, 9e4], n),
            rng.integers(0, 4, n), rng.integers(1, 6, n), head_age)


@needs_numba
@pytest.mark.parametrize("seed,w_bcr", [(0, 1.0), (1, 0.0), (2, 3.0)])
def test_may_renovate(seed, w_bcr, monkeypatch):
    rng = np.random.default_rng(seed)
    args = _bound_inputs(rng)
    n = args[0].size
    # the facts per position, read at an arange, and the same facts per household slot, read at the rows
    per_slot = [np.full(args[5].size, -7, dtype=a.dtype) for a in args[6:10]]
    for a, b in zip(per_slot, args[6:10], strict=True):
        a[args[0]] = b
    slot_args = (*args[:6], *per_slot, args[0])
    args = (*args, np.arange(n))
    outreach = rng.choice([0.0, 1.0, 3.0, np.nan], n, p=[0.2, 0.6, 0.15, 0.05])
    key = rng.integers(-2**62, 2**62, args[5].size)  # per household slot
    salts = (int(rng.integers(0, 2**63)), int(rng.integers(0, 2**63)))
    prm = np.array([1.0, 185.0, 1.0, 0.1, 1.3, 0.8, 1 / 1500.0, 0.3, 0.4, 0.02, -0.3, -0.5, 1e-6, -4.0, w_bcr])
    core2, daeb2 = np.array([19000.0, 30000.0]), np.array([20000.0, 31000.0])
    pos = np.empty(n, dtype=np.int64)
    ratio, terms = np.empty(n), np.empty(n)
    k = kr._bound_inputs_loop(*args, 2030, prm[:12], core2, daeb2, EP2_BOUNDS, pos, ratio, terms)
    want = kr._bound_inputs_numpy(*args, 2030, prm[:12], core2, daeb2, EP2_BOUNDS)
    for g, w in zip((pos[:k], ratio[:k], terms[:k]), want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
    got = kr.may_renovate(*args, outreach, key, salts, 2030, prm, core2, daeb2, EP2_BOUNDS)
    assert 0 < got.size < k
    assert np.array_equal(got, kr.may_renovate(*slot_args, outreach, key, salts, 2030, prm, core2, daeb2, EP2_BOUNDS))
    with monkeypatch.context() as m:
        m.setattr(kr, "use_compiled", lambda size: False)
        assert np.array_equal(got, kr.may_renovate(*args, outreach, key, salts, 2030, prm, core2, daeb2, EP2_BOUNDS))
        assert np.array_equal(got, kr.may_renovate(*slot_args, outreach, key, salts, 2030, prm, core2, daeb2,
                                                   EP2_BOUNDS))
    # other salts, other draws
    other = (salts[0] + 1, salts[1])
    assert not np.array_equal(got, kr.may_renovate(*args, outreach, key, other, 2030, prm, core2, daeb2, EP2_BOUNDS))
    empty = np.zeros(0, dtype=np.int64)
    assert kr.may_renovate(empty, empty, *args[2:6], *(a[:0] for a in args[6:]), outreach[:0], key, salts, 2030,
                           prm, core2, daeb2, EP2_BOUNDS).size == 0


@needs_numba
@pytest.mark.parametrize("seed,corp_label,pl_label", [(0, 2, 3), (1, 0, 6), (2, -1, 1)])
def test_rental_candidates(seed, corp_label, pl_label, monkeypatch):
    rng = np.random.default_rng(seed)
    n = 6000
    ep2 = rng.uniform(100, 450, n).astype(np.float32)
    ep2[rng.random(n) < 0.03] = np.nan
    on = rng.random(n) < 0.1
    ep2[on] = rng.choice(EP2_BOUNDS, on.sum()).astype(np.float32)
    args = (rng.random(n) < 0.95, rng.random(n) < 0.95, rng.integers(0, 3, n).astype(np.int8), rng.random(n) < 0.05,
            rng.integers(0, 6, n).astype(np.int8), ep2, rng.integers(0, kr.N_MUN - 1, n).astype(np.int8),
            corp_label, pl_label)
    got = kr.rental_candidates(*args)
    with monkeypatch.context() as m:
        m.setattr(kr, "use_compiled", lambda size: False)
        want = kr.rental_candidates(*args)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    assert got[0].size and got[2].sum() > 0 and (got[3].size > 0) == (pl_label < 6)
    empty = tuple(a[:0] for a in args[:7])
    for g, w in zip(kr.rental_candidates(*empty, corp_label, pl_label),
                    kr._rental_candidates_numpy(*empty, corp_label, pl_label), strict=True):
        assert np.array_equal(g, w)


def _options_inputs(rng, n_dw=4000, n_hh=3000, n=2500):
    """The arguments of energy_options: the inputs of may_renovate (NaN EP2, EP2 on the label bounds and the deep
    target, zero floor areas, incomes on the limits) and the dwelling and household columns of the costing and
    financing, with zero and negative savings (also -0.0), levers that vary per position and signed zeros."""
    hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age = _bound_inputs(
        rng, n_dw, n_hh, n)
    floor_area[rng.random(n_dw) < 0.02] = 0.0
    savings = rng.choice([-0.0, 0.0, 5000.0, 2e4, 1e5], n_hh) + rng.choice([0.0, 1.0], n_hh)
    lev = np.stack([
        rng.choice([0.0, 0.3, 1.0, 2.0], n), rng.choice([0.0, 0.4], n), rng.choice([0.0, 19000.0, 6e4], n),
        rng.choice([0.0, 28000.0], n), rng.choice([0.0, 30000.0], n), rng.choice([0.0, 1.0, 3.0], n),
        rng.choice([0.0, 0.2, 1.0, 1.5], n), rng.choice([0.0, 2500.0, 1e6], n), rng.choice([0.0, 5000.0, -10.0], n),
        rng.choice([0.0, 400.0], n), rng.choice([0.0, 1.0], n)])
    return (hrow, drow, ep2, floor_area, connected, rng.integers(0, 6, n_dw).astype(np.int8),
            rng.integers(1850, 2030, n_dw).astype(np.int16), rng.choice([0.0, 1e5, 3e5], n_dw), savings,
            rng.choice([0.0, 1e5, 4e5], n_hh), rng.choice([0.0, -0.0, 1e4], n_hh), moved_in_year, income, adults,
            size, head_age, lev)


@needs_numba
@pytest.mark.parametrize("seed,changes", [
    (0, {}), (1, {12: 0.0, 16: 0.0}), (2, {18: 0.0}), (3, {18: 1.0, 11: 0.0}), (4, {5: 0.0, 14: -1e4}),
])
def test_energy_options(seed, changes, monkeypatch):
    from model.renovation import band_cost_curve, capital_recovery

    rng = np.random.default_rng(seed)
    args = _options_inputs(rng)
    rp = Scenario().renovation
    # margin, deep target and its label, gas m3 per kWh, gas price, tariff share, the five weights, fixed cost,
    # savings buffer, income multiple, income floor, LTV, Warmtefonds rate, own capital recovery, hassle, year,
    # apartment type (changes: a zero buffer and rate, a zero or 1 EUR hassle, no fixed cost, ...)
    prm = np.array([1.0, 185.0, 1.0, 0.1, 1.3, 0.8, 0.3, 0.4, 0.02, -0.3, -0.5, 2000.0, 5000.0, 4.0, 2e4, 1.0, 0.02,
                    0.07, 1500.0, 2030.0, 3.0])
    for i, v in changes.items():
        prm[i] = v
    rest = (prm, np.array([19000.0, 30000.0]), np.array([20000.0, 31000.0]), EP2_BOUNDS,
            band_cost_curve(rp.renovation_cost_eur_per_kwh), np.array(rp.renovation_cost_type_factor, dtype=float),
            np.array(rp.renovation_cost_period_factor, dtype=float), np.array([1900, 1945, 1965, 1975, 1992, 2006]),
            capital_recovery(np.array([0.0, prm[16]]), 30))
    # the facts per position, read at an arange, and the same facts per household slot, read at the rows
    per_slot = [np.full(args[8].size, -7, dtype=a.dtype) for a in args[12:16]]
    for a, b in zip(per_slot, args[12:16], strict=True):
        a[args[0]] = b
    slot_args = (*args[:12], *per_slot, args[0], args[16])
    args = (*args[:16], np.arange(args[0].size), args[16])
    got = kr.energy_options(*args, *rest)
    with monkeypatch.context() as m:
        m.setattr(kr, "use_compiled", lambda size: False)
        want = kr.energy_options(*args, *rest)
        assert all(g.tobytes() == w.tobytes() for g, w in zip(kr.energy_options(*slot_args, *rest), want, strict=True))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape and g.tobytes() == w.tobytes()
    assert all(g.tobytes() == w.tobytes() for g, w in zip(kr.energy_options(*slot_args, *rest), got, strict=True))
    assert got[1].any(axis=1).all() and not got[1].all()  # some usable options of both kinds, not all
    empty = np.zeros(0, dtype=np.int64)
    a = (empty, empty, *args[2:12], *(x[:0] for x in args[12:17]), args[17][:, :0])
    for g, w in zip(kr.energy_options(*a, *rest), kr._energy_options_numpy(*a, *rest), strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape


@needs_numba
@pytest.mark.parametrize("n_hh", [0, 1, 2500])
def test_owner_homes_matches_numpy(n_hh):
    """owner_homes: the compiled loop finds the same owner households and homes as the numpy code (tenures,
    alive, homes in and out of the stock, other owners, written off; a home without a row, -1)."""
    rng = np.random.default_rng(n_hh + 7)
    n_dw = 3000
    alive = rng.random(n_hh) < 0.8
    tenure = rng.integers(0, 4, n_hh).astype(np.int8)
    dwelling_id = rng.integers(0, n_dw, n_hh)
    row_of = rng.permutation(n_dw).astype(np.int64)
    row_of[rng.random(n_dw) < 0.02] = -1
    in_stock = rng.random(n_dw) < 0.9
    owner = rng.choice([OWNER_OCCUPIER, CORPORATION, PRIVATE_LANDLORD, 3], n_dw).astype(np.int8)
    written_off = rng.random(n_dw) < 0.1
    args = (alive, tenure, dwelling_id, row_of, in_stock, owner, written_off)
    hrow, drow = kr.owner_homes(*args)
    want_h, want_d = kr._owner_homes_numpy(*args)
    assert hrow.dtype == want_h.dtype and drow.dtype == want_d.dtype
    np.testing.assert_array_equal(hrow, want_h)
    np.testing.assert_array_equal(drow, want_d)


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 3000])
@pytest.mark.parametrize("broadcast", [False, True])
def test_may_adapt_matches_numpy(n, broadcast):
    """may_adapt: the compiled loop keeps the same positions with the same draws as the numpy code (ages just
    at the limit, homes lifetime-proof or not, probabilities above 1 and NaN; an outreach lever the same for
    all as a read-only broadcast, as household_levers makes it)."""
    rng = np.random.default_rng(n + 11)
    n_dw, n_hh = 4000, 5000
    oldest = rng.integers(20, 100, n)
    oldest[rng.random(n) < 0.1] = kr.ADAPT_AGE
    drow = rng.integers(0, n_dw, n)
    lifetime_proof = rng.random(n_dw) < 0.3
    hrow = np.sort(rng.choice(n_hh, n, replace=False))
    key = rng.integers(-2**62, 2**62, n_hh)
    outreach = np.broadcast_to(np.asarray(1.5), (n,)) if broadcast else rng.uniform(0.0, 3.0, n)
    by_age = rng.uniform(0.0, 0.9, 100 - kr.ADAPT_AGE)
    by_age[3] = np.nan
    args = (oldest, drow, lifetime_proof, hrow, key, outreach, by_age, (12345, 678910))
    cand, u = kr.may_adapt(*args)
    want_c, want_u = kr._may_adapt_numpy(*args[:-1], 12345, 678910)
    np.testing.assert_array_equal(cand, want_c)
    np.testing.assert_array_equal(u, want_u)
    assert n < 3000 or 0 < cand.size < n


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 2000])
def test_repay_loans_matches_numpy(n):
    """repay_loans: the compiled loop leaves the same savings and loans as the numpy code (savings negative,
    zero and short of the due amount, loans of the last year and older than the term, rests below 1 EUR)."""
    rng = np.random.default_rng(n + 3)
    slots = 3000
    savings = rng.choice([-500.0, 0.0, 100.0, 2000.0, 50000.0], slots) + rng.random(slots)
    loan = rng.choice([0.5, 1.0, 1.3, 900.0, 15000.0], slots)
    loan_year = rng.integers(2000, 2031, slots).astype(np.int16)
    rows = np.sort(rng.choice(slots, n, replace=False))
    got_s, got_l = savings.copy(), loan.copy()
    kr.repay_loans(rows, got_s, got_l, loan_year, 15.0, 2030)
    kr._repay_loans_numpy(rows, savings, loan, loan_year, 15.0, 2030)
    np.testing.assert_array_equal(got_s, savings)
    np.testing.assert_array_equal(got_l, loan)
