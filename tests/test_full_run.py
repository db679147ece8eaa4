"""The full-scale baseline 2019 -> 2050: it finishes and its 2019 rows are the CBS 2019 figures."""

import numpy as np
import pytest

from model import simulate
from model.data import MUNICIPALITY_CODES, load_facts


@pytest.fixture(scope="module")
def full_run():
    return simulate("scenarios/baseline.toml", seed=1).to_pandas()


def test_runs_to_2050_with_a_row_per_year_and_municipality(full_run):
    assert sorted(full_run.year.unique()) == list(range(2019, 2051))
    assert len(full_run) == 32 * 6
    counts = full_run.select_dtypes("number").drop(columns=["seed", "year"])
    assert (counts.fillna(0) >= 0).all().all()


@pytest.mark.parametrize("column,variable", [
    ("population", "AantalInwoners"), ("households", "HuishoudensTotaal"), ("dwellings", "Woningvoorraad")])
def test_2019_counts_equal_cbs(full_run, column, variable):
    facts = load_facts()
    rows = full_run[full_run.year == 2019].set_index("municipality_code")
    for code in MUNICIPALITY_CODES:
        assert rows.loc[code, column] == facts.value(code, 2019, variable), (code, column)


def test_2019_shares_within_rounding(full_run):
    facts = load_facts()
    rows = full_run[full_run.year == 2019].set_index("municipality_code")
    for code in MUNICIPALITY_CODES:
        r = rows.loc[code]
        # CBS publishes whole percentages and one-decimal household sizes: the stock rounds to them
        assert round(100 * r.owner_occupied_dwellings / r.dwellings) == facts.value(code, 2019, "Koopwoningen_pct")
        assert abs(r.mean_household_size - facts.value(code, 2019, "GemiddeldeHuishoudensgrootte")) <= 0.05
        assert r.mean_value_eur == pytest.approx(facts.value(code, 2019, "GemiddeldeWoningwaarde") * 1000, rel=1e-9)
        assert r.persons_65plus == facts.value(code, 2019, "k_65JaarOfOuder")
        labels = sum(r[f"label_{x}"] for x in "ABCDEFG")
        assert labels == r.dwellings


def test_later_years_change(full_run):
    # the stock is not frozen: by 2050 every municipality has changed population and dwellings
    first = full_run[full_run.year == 2019].set_index("municipality_code")
    last = full_run[full_run.year == 2050].set_index("municipality_code")
    assert (first.population != last.population).all()
    assert (first.dwellings != last.dwellings).all()
    assert np.isfinite(last.mean_value_eur).all()
