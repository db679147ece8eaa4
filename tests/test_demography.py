"""Yearly processes against their rates.

Each event is a Bernoulli draw with a known probability p_i, so the count of events is Poisson-binomial
with mean sum(p_i) and variance sum(p_i (1 - p_i)); counts are required within 4 standard deviations
(two-sided chance of a false alarm ~6e-5 per check)."""

from __future__ import annotations

import numpy as np
import pytest

from model import HousingModel, demography
from model import kernels_migration as km
from model.data import MUNICIPALITY_CODES
from tests.invariants import population_by_municipality

SCALE = 0.25  # ~77,000 persons: ~800 deaths, ~700 births, ~500 care entries in a year


def within(count, p, what):
    mean, sd = float(np.sum(p)), float(np.sqrt(np.sum(p * (1 - p))))
    assert abs(count - mean) <= 4 * sd, f"{what}: {count} events, expected {mean:.1f} +- {4 * sd:.1f} (4 sd)"


@pytest.fixture(scope="module")
def year_one():
    """Step 2019 -> 2020 once, recording the exposure of each process just before it runs."""
    mp = pytest.MonkeyPatch()
    seen = {}
    orig_mort, orig_care, orig_fert = demography.mortality, demography.care, demography.fertility

    def mortality(model, flows):
        p, d = model.state.persons, model.scenario.demography
        rows = p.alive_rows()
        age = np.minimum(p.age[rows], model.mortality_q.shape[1] - 1)
        q = model.mortality_q[p.female[rows].astype(int), age]
        care_home = p.institution[rows] & (p.age[rows] >= 65)
        seen["mortality"] = (np.where(care_home, np.minimum(q * d.institution_mortality_multiplier, 1), q),
                             p.female[rows].copy(), p.age[rows].copy())
        orig_mort(model, flows)
        seen["deaths"] = flows.deaths.copy()

    def care(model, flows):
        p, d = model.state.persons, model.scenario.demography
        rows = p.alive_rows()
        rows = rows[(p.age[rows] >= 75) & ~p.institution[rows]]
        seen["care_p"] = np.where(p.age[rows] >= 85, d.care_entry_rate_85plus, d.care_entry_rate_75_84)
        before = p.institution[rows].copy()
        ids = p.id[rows].copy()
        orig_care(model, flows)
        seen["care_entries"] = int(np.count_nonzero(p.institution[p.row_of[ids]] & ~before))

    def fertility(model, flows):
        p = model.state.persons
        rows = p.alive_rows()
        women = rows[p.female[rows] & ~p.institution[rows] & (p.age[rows] >= 15) & (p.age[rows] <= 49)]
        seen["fert_p"] = model.fertility[p.age[women]]
        n = p.n
        orig_fert(model, flows)
        seen["births"] = int(flows.births.sum())
        seen["boys"] = int(np.count_nonzero(~p.female[n:p.n]))

    mp.setattr(demography, "mortality", mortality)
    mp.setattr(demography, "care", care)
    mp.setattr(demography, "fertility", fertility)
    model = HousingModel(None, rng=21, scale=SCALE, end_year=2020)
    model.step()
    mp.undo()
    return model, seen


def test_deaths_follow_the_life_table(year_one):
    _, seen = year_one
    q, female, age = seen["mortality"]
    deaths = int(seen["deaths"].sum())
    assert deaths > 500
    within(deaths, q, "deaths")


def test_births_follow_the_fertility_schedule(year_one):
    _, seen = year_one
    assert seen["births"] > 400
    within(seen["births"], seen["fert_p"], "births")
    # sex of the births: binomial(n, 0.512)
    p_boy = np.full(seen["births"], 0.512)
    within(seen["boys"], p_boy, "boys")


def test_care_entries_follow_the_rates(year_one):
    _, seen = year_one
    assert seen["care_entries"] > 100
    within(seen["care_entries"], seen["care_p"], "care entries")


def test_deaths_per_municipality_add_up(year_one):
    model, seen = year_one
    rows = {r["municipality_code"]: r for r in model.table().to_pylist() if r["year"] == 2020}
    # each municipality's count is expanded by 1/scale = 4 and rounded: exact, as 4 * deaths is an integer
    assert sum(rows[c]["deaths"] for c in MUNICIPALITY_CODES) == seen["deaths"].sum() / SCALE


def test_in_migration_target_uses_the_1_january_population(monkeypatch):
    """Without alignment the in-migration target is rint(rate per 1000 x population on 1 January). The
    scenario has no vacancy and no construction, so new households find no home and leave before
    migration: a target computed from the population at that point would be too low."""
    targets = {}
    orig = demography.in_migration

    def in_migration(model, flows, target):
        targets[model.year] = np.array(target, copy=True)
        return orig(model, flows, target)

    monkeypatch.setattr(demography, "in_migration", in_migration)
    model = HousingModel(None, rng=1, scale=0.05, end_year=2023, vacancy_rate_initial=0.0,
                         new_construction_per_1000={c: 0.0 for c in MUNICIPALITY_CODES})
    rates = np.array([model.scenario.migration.in_migration_per_1000[c] for c in MUNICIPALITY_CODES]) / 1000.0
    early_departures = 0
    while model.running:
        year, start = model.year, population_by_municipality(model.state)
        model.step()
        early_departures += int(model.last_flows.unhoused_departures.sum())
        assert targets[year].tolist() == np.rint(rates * start).astype(int).tolist(), year
    assert early_departures > 0  # the scenario does discriminate


def test_out_migration_probability_by_age_band():
    # the table lookup gives the band rates: 0 under 18, then the bands 18-24, 25-34, 35-54, 55-74, 75+
    model = HousingModel(None, rng=1, scale=0.01, end_year=2020)
    rates = model.scenario.migration.out_migration_rate_by_age
    ages = np.arange(-3, 130, dtype=np.int16)
    expected = [0.0 if a < 18 else rates[int(np.searchsorted([25, 35, 55, 75], a, side="right"))] for a in ages]
    got = demography.out_migration_probability(model, ages)
    assert got.dtype == np.float64 and got.tolist() == expected
    assert demography.out_migration_probability(model, ages[:0]).shape == (0,)


def _fix_all_households(state, flows):
    """fix_households as it was before it looked only at the touched households: over every household, from
    the member table (the reference for test_fix_households_of_the_touched_ones_is_the_rule_over_all)."""
    from model.income import member_table
    from model.state import HEAD, PARTNER

    p, h = state.persons, state.households
    rows, hrow, size, heads, _ = member_table(state)
    alive_h = h.peek("alive")
    headless = alive_h & (size > 0) & (heads == 0)
    size = size.copy()
    sel = np.flatnonzero(headless[hrow])
    cand, cand_h = rows[sel], hrow[sel]
    key = np.where(p.peek("role")[cand] == PARTNER, 1000, 0) + p.peek("age")[cand].astype(np.int64)
    order = np.lexsort((-key, cand_h))
    first = np.ones(order.size, dtype=bool)
    first[1:] = cand_h[order][1:] != cand_h[order][:-1]
    new_head = cand[order][first]
    adult = p.peek("age")[new_head] >= 18
    p.col("role")[new_head[adult]] = HEAD
    orphan_h = np.unique(p.peek("household_id")[new_head[~adult]])
    if orphan_h.size:
        orphan_slot = np.zeros(h.n, dtype=bool)
        orphan_slot[h.row_of[orphan_h]] = True
        orphans = rows[orphan_slot[hrow]]
        flows.out_migrants += np.bincount(p.peek("municipality")[orphans], minlength=len(MUNICIPALITY_CODES))
        demography.remove_persons(state, orphans)
        size[h.row_of[orphan_h]] = 0
    demography.release_households(state, np.flatnonzero(alive_h & (size == 0)))


@pytest.mark.parametrize("seed,given_members", [(1, False), (2, False), (3, False), (1, True), (4, True)])
def test_fix_households_of_the_touched_ones_is_the_rule_over_all(seed, given_members):
    """Persons leave at random (heads, partners, all adults of a household, whole households); fix_households
    given their households (and their remaining members, or not) finds what the rule over all households
    finds: the same new heads, orphans sent away and households dissolved."""
    import copy

    model = HousingModel(None, rng=seed, scale=0.05, end_year=2021)
    model.step()
    rng = np.random.default_rng(seed)
    p = model.state.persons
    hid = p.peek("household_id")
    rows = np.flatnonzero(p.peek("alive") & (hid >= 0))
    hh = rng.choice(np.unique(hid[rows]), 400, replace=False)
    leaving = rows[np.isin(hid[rows], hh[:200]) & (p.peek("age")[rows] >= 18)]  # all adults: minors orphaned
    leaving = np.union1d(leaving, rows[np.isin(hid[rows], hh[200:]) & (rng.random(rows.size) < 0.5)])
    touched = np.concatenate([hid[leaving], [-1, -1]])
    demography.remove_persons(model.state, leaving)
    expected, got = copy.deepcopy(model), model
    flows_expected, flows_got = demography.Flows(), demography.Flows()
    _fix_all_households(expected.state, flows_expected)
    members = None
    if given_members:  # with members of households that are not touched, which it leaves alone
        others = np.setdiff1d(hid[rows], touched)[:5]
        members = np.flatnonzero(p.peek("alive") & np.isin(hid, np.concatenate([touched, others])))
    demography.fix_households(got.state, flows_got, got.year, touched, members)
    assert flows_got.out_migrants.sum() > 0 and np.array_equal(flows_got.out_migrants, flows_expected.out_migrants)
    for name in ("persons", "households", "dwellings"):
        a, b = getattr(got.state, name), getattr(expected.state, name)
        assert a.n == b.n
        for col in a.dtypes:
            assert np.array_equal(a.peek(col), b.peek(col)), (name, col)
    assert got.state.households.count() < model.state.households.n


@pytest.mark.parametrize("seed,aligned", [(1, False), (2, False), (3, True)])
def test_out_migration_leaves_nothing_to_fix(seed, aligned):
    """out_migration dissolves the leaving households itself instead of calling fix_households: after it, the
    rule over all households (_fix_all_households) finds no household without a head and none empty, year
    after year (with the alignment's extra departures too)."""
    import copy

    model = HousingModel(None, rng=seed, scale=0.05, end_year=2026)
    original = demography.out_migration
    checked = []

    def out_migration(m, flows, extra=None):
        if aligned:
            extra = np.full(len(MUNICIPALITY_CODES), 40)
        original(m, flows, extra)
        fixed = copy.deepcopy(m.state)
        _fix_all_households(fixed, demography.Flows())
        for name in ("persons", "households", "dwellings"):
            a, b = getattr(m.state, name), getattr(fixed, name)
            assert a.n == b.n and all(np.array_equal(a.peek(c), b.peek(c)) for c in a.dtypes), (m.year, name)
        checked.append(m.year)

    demography.out_migration = out_migration
    try:
        while model.running:
            model.step()
    finally:
        demography.out_migration = original
    assert checked == list(range(2019, 2026))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 5000])
def test_distinct_and_in_sorted_are_numpys(n):
    rng = np.random.default_rng(n)
    ids = rng.integers(-1, n // 2 + 2, n)
    got = demography._distinct(ids)
    assert got.dtype == ids.dtype and np.array_equal(got, np.unique(ids))
    values = rng.integers(-3, n + 3, 3 * n + 1)
    for sorted_ids in (got, got[:0], got[: max(got.size // 2, 1)]):
        assert np.array_equal(demography._in_sorted(values, sorted_ids), np.isin(values, sorted_ids))


@pytest.mark.parametrize("n", [1, 2, 7, 17000])
@pytest.mark.parametrize("size", [0, 1, 500])
def test_choice_is_generator_choice(n, size):
    w = np.exp(-0.5 * ((np.random.default_rng(n).integers(18, 90, n) - 30) / 5.0) ** 2) + 1e-9
    p = w / w.sum()
    a, b = np.random.default_rng(size), np.random.default_rng(size)
    got, expected = km._choice(a, size, p), b.choice(n, size=size, p=p)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert a.random() == b.random()  # the same draws used
