"""Shortcuts of the renovation processes give the same results as the plain computation.

_energy_decide costs the two options only for the owner households whose draw falls below an upper bound of
their renovation probability (and energy_renovation looks only at those that _may_renovate keeps): with the
bound switched off (every household costed) every decision and every field of it must be the same, on model
states with random levers and extreme parameters."""

from __future__ import annotations

import numpy as np
import pytest

from model import HousingModel, kernels_renovation, renovation
from model.income import household_facts, label_index
from model.state import OWNER, OWNER_OCCUPIER


@pytest.fixture(scope="module")
def stepped():
    model = HousingModel(None, rng=4, scale=0.05, end_year=2030)
    for _ in range(3):
        model.step()
    return model


def _inputs(model, rng, randomise):
    st = model.state
    h, d = st.households, st.dwellings
    hrow = h.alive_rows()
    hrow = hrow[h.tenure[hrow] == OWNER]
    drow = d.row_of[h.dwelling_id[hrow]]
    ok = d.in_stock[drow] & (d.owner[drow] == OWNER_OCCUPIER) & ~d.written_off[drow]
    hrow, drow = hrow[ok], drow[ok]
    cand = np.flatnonzero(label_index(d.ep2_kwh_m2[drow]) >= 1)
    hrow, drow = hrow[cand], drow[cand]
    facts = {k: v[hrow] for k, v in household_facts(st).items()}
    levers = renovation.household_levers(model, hrow)
    if randomise:
        n = hrow.size
        levers["outreach_multiplier"] = rng.choice([0.0, 1.0, 3.0, 10.0], n)
        levers["collective_discount"] = rng.choice([0.0, 0.2, 1.0, 1.5], n)
        levers["local_grant_eur"] = rng.choice([0.0, 2500.0, 1e6], n)
        levers["proeftuin_grant_eur"] = rng.choice([0.0, 5000.0, -10.0], n)
        levers["zero_interest"] = rng.random(n) < 0.5
        levers["no_capacity_loan_eur"] = rng.choice([0.0, 30000.0], n)
        levers["isde_grant_share"] = rng.choice([0.0, 0.3, 1.0, 2.0], n)
        levers["procurement_cost_eur"] = rng.choice([0.0, 400.0], n)
    return hrow, drow, facts, levers


def _decide(model, inputs, use_bound, monkeypatch):
    monkeypatch.setattr(renovation, "_USE_BOUND", use_bound)
    return renovation._energy_decide(model, *inputs)


@pytest.mark.parametrize("overrides", [
    {}, dict(renovation_hassle_eur=1.0), dict(renovation_hassle_eur=2000.0), dict(renovation_bcr_weight=0.0),
    dict(renovation_bcr_weight=5.0, renovation_intercept=5.0), dict(renovation_intercept=-10.0),
    dict(renovation_discount_rate=0.0, warmtefonds_interest_rate=0.0), dict(renovation_hassle_eur=0.0),
])
@pytest.mark.parametrize("randomise", [False, True])
def test_energy_decide_with_bound_equals_without(stepped, overrides, randomise, monkeypatch):
    model = stepped
    if overrides:
        monkeypatch.setattr(model, "_housing_scenario", model.scenario.with_overrides(**overrides))
    inputs = _inputs(model, np.random.default_rng(7), randomise)
    d = model.state.dwellings
    drow = inputs[1]
    saved = {c: d.col(c)[drow].copy() for c in ("ep2_kwh_m2", "floor_area_m2")}
    try:  # edge cases: NaN EP2, EP2 on a label bound and on the deep target, a zero floor area
        if randomise:
            d.col("ep2_kwh_m2")[drow[:5]] = np.nan
            d.col("ep2_kwh_m2")[drow[5:12]] = np.array([160.0, 190.0, 250.0, 290.0, 335.0, 380.0, 185.0])
            d.col("floor_area_m2")[drow[12:15]] = 0.0
        a = _decide(model, inputs, True, monkeypatch)
        b = _decide(model, inputs, False, monkeypatch)
        # the same rows on their own (the re-decision of a proeftuin's refused households)
        sub = np.flatnonzero(np.random.default_rng(1).random(inputs[0].size) < 0.1)
        sub = np.union1d(sub, np.arange(15))
        hrow, drow, facts, levers = inputs
        c = _decide(model, (hrow[sub], drow[sub], {k: v[sub] for k, v in facts.items()},
                            {k: v[sub] for k, v in levers.items()}), True, monkeypatch)
        # only the households that _may_renovate keeps (below the bound, in one pass) looked at
        may = renovation._may_renovate(model, *inputs)
        e = renovation._energy_decide(model, hrow[may], drow[may], facts, levers, at=may, bounded=True)
    finally:
        for col, v in saved.items():
            d.col(col)[drow] = v
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype, k
        assert np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f"), k
    assert np.array_equal(may[e["idx"]], a["idx"])
    for k in renovation._DECISION_FIELDS:
        assert np.array_equal(e[k], a[k]), k
    assert np.array_equal(c["go"], a["go"][sub])
    pos = np.searchsorted(a["idx"], sub[c["idx"]])
    for k in renovation._DECISION_FIELDS:
        assert np.array_equal(c[k], a[k][pos]), k


def test_bound_filters_most_households(stepped, monkeypatch):
    """The point of the bound: most households are not costed (and everyone who goes is below it)."""
    inputs = _inputs(stepped, None, False)
    seen = []
    real = kernels_renovation.energy_options
    monkeypatch.setattr(kernels_renovation, "energy_options",
                        lambda hrow, drow, *a: seen.append(drow.size) or real(hrow, drow, *a))
    out = _decide(stepped, inputs, True, monkeypatch)
    assert seen and seen[0] < 0.5 * inputs[0].size
    assert out["idx"].size <= seen[0]


def test_elementwise_transcendentals_do_not_depend_on_the_other_elements():
    """np.exp and np.log of a subset equal the subset of np.exp and np.log (the bound and the re-decision
    compute them on subsets), for every length and offset."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 20, 5000), [0.0, -0.0, 1e-300, 50.0, -50.0, 700.0, -745.0]])
    y = np.abs(x) + np.concatenate([np.zeros(5000), np.full(7, 1e-12)])
    for f, v in ((np.exp, x), (np.log, y)):
        full = f(v)
        for n in list(range(1, 40)) + [100, 1001]:
            for start in (0, 1, 3, 7):
                idx = np.sort(rng.choice(v.size, n, replace=False))
                assert np.array_equal(f(v[idx]), full[idx], equal_nan=True)
                assert np.array_equal(f(v[start:start + n].copy()), full[start:start + n], equal_nan=True)


# -- maintenance: only owners whose draw is below the highest owner probability are looked at -----------------
def _maintenance_plain(model) -> None:
    """model.renovation.maintenance as it was before the shortcut (every owner household looked at)."""
    from model.income import core_limit, daeb_limit
    from model.state import CORPORATION, OCCUPIED, PRIVATE_LANDLORD, VACANT, stock_rows

    st, mp = model.state, model.scenario.maintenance
    d, h = st.dwellings, st.households
    rows = stock_rows(d)
    age = np.maximum(model.year - d.built_year.take(rows).astype(np.int64), 0)
    status = d.status.take(rows)
    decay = (mp.condition_decay_base + mp.condition_decay_per_year_of_age * age) * np.where(
        status == VACANT, mp.vacant_decay_multiplier, 1.0)
    cond = np.clip(d.condition.take(rows).astype(float) - decay, 0.0, 1.0)
    gain = mp.maintenance_restore_share * (1.0 - cond)
    cost = mp.restoration_cost_eur_m2 * d.floor_area_m2.take(rows) * gain
    owner = d.owner.take(rows)
    prob = np.where(owner == CORPORATION, mp.maintenance_prob_corporation,
                    np.where(owner == PRIVATE_LANDLORD, mp.maintenance_prob_private_landlord, 0.0))
    own = np.flatnonzero((owner == OWNER_OCCUPIER) & (status == OCCUPIED))
    hh = h.row_of.take(d.household_id.take(rows.take(own)))
    cost_own = cost.take(own)
    facts = household_facts(st)
    income = facts["income"][hh]
    core = income <= core_limit(model, facts["adults"][hh])
    low = income < daeb_limit(model, facts["size"][hh])
    factor = np.where(core, mp.maintenance_core_income_factor, np.where(low, mp.maintenance_low_income_factor, 1.0))
    means = h.savings_eur.take(hh) - mp.maintenance_savings_reserve_eur >= cost_own
    prob[own] = np.where(means, mp.maintenance_prob_owner * factor, 0.0)
    written = d.written_off.take(rows)
    prob[written] = 0.0
    u = model.streams.uniform_by_key("maintenance", model.year, d.key.take(rows))
    done = u < prob
    cond = np.where(done, np.minimum(cond + gain, 1.0), cond)
    paid = done.take(own)
    cost_paid = np.compress(paid, cost_own)
    h.col("savings_eur")[np.compress(paid, hh)] -= cost_paid
    d.col("condition")[rows] = cond
    newly = ~written & (d.condition.take(rows) < mp.write_off_condition)
    d.col("written_off")[np.compress(newly, rows)] = True
    mun = d.municipality.take(rows)
    model.count_event("maintained_dwellings", municipality=np.compress(done, mun))
    model.count_event("maintenance_owner_eur", municipality=np.compress(paid, mun.take(own)), weights=cost_paid)
    model.count_event("written_off_new", municipality=np.compress(newly, mun))


class _Probe:
    """A copy of a model's state on which one process can be called under other parameters."""

    def __init__(self, model, **overrides):
        import copy

        self.state = copy.deepcopy(model.state)
        self.scenario = model.scenario.with_overrides(**overrides) if overrides else model.scenario
        self.year, self.streams, self.events = model.year, model.streams, {}

    count_event = HousingModel.count_event


@pytest.mark.parametrize("overrides", [
    {}, dict(maintenance_prob_owner=1.0), dict(maintenance_prob_owner=0.0),
    dict(maintenance_core_income_factor=1.0, maintenance_low_income_factor=1.0), dict(maintenance_prob_owner=0.05),
])
def test_maintenance_equals_the_plain_computation(stepped, overrides):
    a, b = _Probe(stepped, **overrides), _Probe(stepped, **overrides)
    renovation.maintenance(a)
    _maintenance_plain(b)
    for name in ("dwellings", "households"):
        ta, tb = getattr(a.state, name), getattr(b.state, name)
        for col in ("condition", "written_off") if name == "dwellings" else ("savings_eur",):
            assert np.array_equal(ta.peek(col), tb.peek(col)), col
    assert a.events.keys() == b.events.keys()
    for k in a.events:
        assert np.array_equal(a.events[k], b.events[k]), k


# -- corporation renovation: the k worst homes without sorting all of them -----------------------------------
def test_worst_first_equals_the_first_k_of_the_full_sort():
    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(1, 3000))
        ep2 = [rng.uniform(100, 500, n), np.round(rng.uniform(100, 500, n), -1),
               np.full(n, 250.0)][trial % 3].astype(np.float32).astype(float)
        if trial % 5 == 0:
            ep2[rng.integers(0, n, 3)] = np.nan
        if trial % 7 == 0:
            ep2[rng.integers(0, n, 3)] = 0.0
        keys = rng.permutation(n).astype(np.int64) if trial % 2 else rng.integers(0, 50, n)  # unique or not
        full = np.lexsort((keys, -ep2))
        for k in {0, 1, 2, n // 10, n // 4 - 1, n // 4, n // 2, n - 1, n}:
            if k >= 0:
                got = renovation._worst_first(ep2, keys, k)
                assert np.array_equal(got, full[:k]), (trial, n, k)


def test_energy_decide_at_positions_equals_gathered_inputs(stepped):
    """_energy_decide(..., at=positions) looks the facts and levers up itself: the same as gathering them first."""
    hrow, drow, facts, levers = _inputs(stepped, np.random.default_rng(2), True)
    at = np.flatnonzero(np.random.default_rng(3).random(hrow.size) < 0.6)
    a = renovation._energy_decide(stepped, hrow[at], drow[at], facts, levers, at=at)
    b = renovation._energy_decide(stepped, hrow[at], drow[at], {k: v[at] for k, v in facts.items()},
                                  {k: v[at] for k, v in levers.items()})
    for k in a:
        assert np.array_equal(a[k], b[k]), k
