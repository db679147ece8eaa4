"""run.py compare: real runs (serial executor), paired differences, cost per result, the printed table."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

import run
from experiments.comparison import REGION

ARGS = ["--seeds", "1-3", "--scale", "0.02", "--end-year", "2024", "--executor", "serial", "--quiet"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    code = run.main(["compare", "scenarios/baseline.toml", "scenarios/proeftuin.toml",
                     "scenarios/transformatiefonds.toml", *ARGS, "--years", "2022,2024", "--out", str(out)])
    assert code == 0
    return out, pq.read_table(out / "comparison.parquet").to_pandas()


def test_comparison_has_every_scenario_year_and_place(comparison):
    _, t = comparison
    assert set(t.scenario) == {"proeftuin", "transformatiefonds"}
    assert set(t.year) == set(range(2019, 2025))
    assert set(t.municipality_code) == {"GM0114", "GM0109", "GM1681", "GM1680", "GM0118", "GM0160", REGION}
    assert (t.seeds == 3).all()


def test_differences_are_paired_and_bands_contain_the_mean(comparison):
    out, t = comparison
    runs = pq.read_table(out / "runs").to_pandas()
    runs["scenario"] = runs["scenario"].astype(str)
    for col in ("low_income_owners_in_EFG", "energy_poor_households"):
        p = runs[(runs.scenario == "proeftuin") & (runs.year == 2024)].groupby("seed")[col].sum()
        b = runs[(runs.scenario == "baseline") & (runs.year == 2024)].groupby("seed")[col].sum()
        row = t[(t.scenario == "proeftuin") & (t.year == 2024) & (t.municipality_code == REGION) & (t.measure == col)]
        assert row.difference_mean.iloc[0] == pytest.approx((p - b).mean())
        assert row.difference_p05.iloc[0] <= row.difference_mean.iloc[0] <= row.difference_p95.iloc[0]
    base_year = t[(t.year == 2019) & t.measure.isin(["population", "low_income_owners_in_EFG"])]
    assert (base_year.difference_mean == 0).all()  # the same stock in the base year


def test_cost_per_result_is_spending_over_gain(comparison):
    _, t = comparison
    sel = t[(t.scenario == "proeftuin") & (t.year == 2024) & (t.municipality_code == REGION)].set_index("measure")
    spend = sel.loc["cum_policy_spending_eur", "difference_mean"]
    steps = sel.loc["cum_label_steps_all", "difference_mean"]
    assert spend > 0 and steps > 0
    assert sel.loc["eur_per_label_step", "difference_mean"] == pytest.approx(spend / steps)
    dw = sel.loc["deadweight_share_label_steps", "difference_mean"]
    assert np.isfinite(dw) and dw < 1


def test_printed_table(comparison, capsys, tmp_path):
    out, _ = comparison
    code = run.main(["compare", "scenarios/baseline.toml", "scenarios/proeftuin.toml", *ARGS, "--years", "2024",
                     "--out", str(tmp_path / "again")])
    text = capsys.readouterr().out
    assert code == 0
    assert "| proeftuin | 2024 |" in text and "EUR per label step" in text


def test_compare_needs_a_scenario_besides_the_baseline(capsys):
    assert run.main(["compare", "scenarios/baseline.toml", *ARGS]) == 2
    assert "at least one scenario" in capsys.readouterr().err
