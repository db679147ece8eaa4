"""Accounting over whole runs: consistency of persons, households and dwellings after every step, and the
demographic balance population(Y) = population(Y-1) + births - deaths + in_migrants - out_migrants."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from model import HousingModel
from model.data import MUNICIPALITY_CODES
from model.indicators import LABELS
from tests.invariants import check_state, population_by_municipality

SEEDS = [1, 2, 3]
N_MUN = len(MUNICIPALITY_CODES)


def step_and_check(model: HousingModel) -> list[int]:
    """Step to the end, checking the state after every step and the balance per municipality on the
    model's own (unexpanded) counts; returns the years stepped."""
    check_state(model.state, f"seed {model.seed}, {model.year}")
    pop = population_by_municipality(model.state)
    years = []
    while model.running:
        model.step()
        years.append(model.year)
        where = f"seed {model.seed}, 1 January {model.year}"
        check_state(model.state, where)
        f = model.last_flows
        new = population_by_municipality(model.state)
        expected = pop + f.births - f.deaths + f.in_migrants - f.out_migrants
        assert np.array_equal(new, expected), (
            f"{where}: population {new.tolist()} != previous + births - deaths + in - out "
            f"= {expected.tolist()}")
        for k in ("births", "deaths", "in_migrants", "out_migrants", "unhoused_departures"):
            assert (getattr(f, k) >= 0).all(), f"{where}: negative {k}"
        assert (f.unhoused_departures <= f.out_migrants).all()
        pop = new
    return years


@pytest.mark.parametrize("seed", SEEDS)
def test_consistency_and_balance_every_step(seed):
    model = HousingModel(None, rng=seed, scale=0.05, end_year=2026)
    years = step_and_check(model)
    assert years == list(range(2020, 2027))
    assert not model.running


def test_balance_holds_with_alignment():
    """Aligned migration (a downward target for Emmen, an upward one for Hardenberg) keeps the identity, and
    a downward target is reached within one household (the last household moved may overshoot)."""
    targets = {"GM0114": {2021: 100_000}, "GM0160": {2022: 62_000}}
    model = HousingModel(None, rng=4, scale=0.05, end_year=2023, population_targets=targets)
    pop_at = {}
    check_state(model.state)
    pop = population_by_municipality(model.state)
    while model.running:
        model.step()
        check_state(model.state, f"aligned run, {model.year}")
        f = model.last_flows
        new = population_by_municipality(model.state)
        assert np.array_equal(new, pop + f.births - f.deaths + f.in_migrants - f.out_migrants)
        pop_at[model.year] = new
        pop = new
    emmen = MUNICIPALITY_CODES.index("GM0114")
    # 100,000 at scale 0.05 = 5,000 persons; households in the model have at most ~10 members
    assert abs(int(pop_at[2021][emmen]) - 5000) <= 10


def rows_by(table: pa.Table) -> dict[tuple[int, str], dict]:
    return {(r["year"], r["municipality_code"]): r for r in table.to_pylist()}


@pytest.fixture(scope="module")
def full_scale_table() -> pa.Table:
    """2019 -> 2021 at scale 1.0 (a few seconds): the table's counts are exact, not expanded."""
    return HousingModel(None, rng=11, scale=1.0, end_year=2021).run_to_end()


def test_table_balance_at_full_scale(full_scale_table):
    rows = rows_by(full_scale_table)
    for year in (2020, 2021):
        for code in MUNICIPALITY_CODES:
            r, prev = rows[(year, code)], rows[(year - 1, code)]
            assert r["population"] == (prev["population"] + r["births"] - r["deaths"] + r["in_migrants"]
                                       - r["out_migrants"]), (year, code)
            assert r["births"] > 0 and r["deaths"] > 0 and r["in_migrants"] > 0 and r["out_migrants"] > 0


def test_table_stock_identities(full_scale_table):
    for r in full_scale_table.to_pylist():
        where = (r["year"], r["municipality_code"])
        assert sum(r[f"label_{x}"] for x in LABELS) == r["dwellings"], where
        assert r["occupied_dwellings"] + r["vacant_dwellings"] == r["dwellings"], where
        # every household lives in an occupied dwelling of the stock or in a unit outside it
        assert r["occupied_dwellings"] + r["households_outside_stock"] == r["households"], where
        assert r["vacancy_rate"] == pytest.approx(r["vacant_dwellings"] / r["dwellings"])
        assert r["long_term_vacant_dwellings"] <= r["vacant_dwellings"], where
        assert r["persons_75plus"] <= r["persons_65plus"] <= r["population"], where
        assert r["persons_in_institutions"] <= r["population"], where
        assert r["owner_households"] <= r["owner_occupied_dwellings"], where
        assert r["core_target_owner_households"] <= r["owner_households"], where
        private = r["population"] - r["persons_in_institutions"]
        assert r["mean_household_size"] == pytest.approx(private / r["households"]), where


def test_table_shape_and_base_year(full_scale_table, facts):
    t = full_scale_table
    assert t.num_rows == 3 * N_MUN
    assert sorted(set(t.column("year").to_pylist())) == [2019, 2020, 2021]
    rows = rows_by(t)
    for code in MUNICIPALITY_CODES:
        base = rows[(2019, code)]
        assert base["population"] == facts.value(code, 2019, "AantalInwoners")
        assert base["households"] == facts.value(code, 2019, "HuishoudensTotaal")
        assert base["dwellings"] == facts.value(code, 2019, "Woningvoorraad")
        for k in ("births", "deaths", "in_migrants", "out_migrants"):
            assert base[k] is None  # flows describe the year before a row: none in the base year


def test_expanded_counts_at_small_scale_are_multiples_of_the_expansion():
    """At scale 0.05 each count is the model count times 20: identities of sums still hold exactly."""
    t = HousingModel(None, rng=2, scale=0.05, end_year=2021).run_to_end()
    for r in t.to_pylist():
        for k in ("population", "households", "dwellings", "vacant_dwellings"):
            assert r[k] % 20 == 0, (k, r[k])
        assert sum(r[f"label_{x}"] for x in LABELS) == r["dwellings"]
        assert r["occupied_dwellings"] + r["vacant_dwellings"] == r["dwellings"]
