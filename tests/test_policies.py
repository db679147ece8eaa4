"""The Transformatiefonds and the proeftuinen (model/policies.py): accounting, inertness, locality, effect.

Small scales keep these fast; the fund's money is scaled with the population, so a fund of a few million
euros at scale 0.05 buys a handful of homes. Where a test needs many purchases it gives the fund more.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.core import HousingModel
from model.policies import INFLOWS, OUTFLOWS
from model.state import FUND, label_of

ROOT = Path(__file__).resolve().parent.parent
SC = ROOT / "scenarios"


def _big_fund(**extra) -> dict:
    """A fund with EUR 40 M a year 2019-2024 (scaled), leverage, and every kind of disposition."""
    return dict(fund_contributions_eur={"rijk": {y: 3e7 for y in range(2019, 2025)},
                                        "GM0114": {y: 1e7 for y in range(2019, 2025)}},
                fund_leverage=2.0, fund_start_year=2019, fund_sale_probability=0.5, fund_value_ceiling_eur=200000,
                fund_max_label="D", **extra)


def _run(scenario, seed=3, scale=0.03, end_year=2031, **overrides) -> HousingModel:
    m = HousingModel(scenario, rng=seed, scale=scale, end_year=end_year, check=True, **overrides)
    m.run_to_end()
    return m


@pytest.fixture(scope="module", params=["improve_resell", "improve_let", "let_then_demolish", "demolish"])
def fund_run(request):
    return _run(SC / "baseline.toml", **_big_fund(fund_disposition=request.param, fund_let_years=3,
                                                   fund_disposition_written_off="demolish_rebuild"))


def test_fund_balance_is_inflows_minus_outflows_and_never_negative(fund_run):
    ledger = fund_run.fund_ledger().to_pylist()
    assert len(ledger) == 2031 - 2019
    for row in ledger:
        inflow = sum(row[k] for k in INFLOWS)
        outflow = sum(row[k] for k in OUTFLOWS)
        assert row["cash_end_eur"] == pytest.approx(row["cash_start_eur"] + inflow - outflow, abs=1.0), row["year"]
        assert row["cash_end_eur"] >= -1e-6, row["year"]
        assert row["provisions_eur"] >= 0 and row["loan_eur"] >= 0 and row["payables_eur"] >= 0
    for prev, row in zip(ledger, ledger[1:], strict=False):
        assert row["cash_start_eur"] == pytest.approx(prev["cash_end_eur"])
    assert sum(r["purchases_eur"] for r in ledger) > 0, "the fund must have bought something for this test to bite"


def test_fund_owns_no_more_homes_than_it_bought(fund_run):
    ledger = fund_run.fund_ledger().to_pylist()
    scale = fund_run.scenario.run.scale
    for row in ledger:  # the counts as simulated (the ledger expands them by 1/scale)
        n = {k: round(row[k] * scale) for k in ("homes_owned", "homes_bought", "homes_built", "homes_sold",
                                                 "homes_demolished")}
        assert n["homes_owned"] == (n["homes_bought"] + n["homes_built"] - n["homes_sold"]
                                    - n["homes_demolished"]), row["year"]
        assert n["homes_owned"] <= n["homes_bought"] + n["homes_built"]
    d = fund_run.state.dwellings
    rows = d.alive_rows()
    in_stock = rows[d.in_stock[rows] & (d.status[rows] != 2)]
    owned = int(np.count_nonzero(d.owner[in_stock] == FUND))
    assert round(owned / fund_run.scenario.run.scale) == ledger[-1]["homes_owned"]
    table = fund_run.table().to_pandas()
    last = table[table.year == table.year.max()]
    assert last.fund_dwellings.sum() == pytest.approx(ledger[-1]["homes_owned"], abs=6)  # rounding per municipality


def test_fund_flows_per_municipality_add_up_to_the_ledger(fund_run):
    table = fund_run.table().to_pandas()
    ledger = fund_run.fund_ledger().to_pandas()
    for col, led in (("fund_purchase_eur", "purchases_eur"), ("fund_works_eur", "works_eur"),
                     ("fund_sales_eur", "sales_eur"), ("fund_demolition_eur", "demolition_eur"),
                     ("fund_rent_eur", "rent_eur")):
        assert table[col].sum() == pytest.approx(ledger[led].sum(), rel=1e-9, abs=1.0), col


def test_fund_dispositions_happen(fund_run):
    """Each disposition does what it says (on the stock, over the run)."""
    t = fund_run.table().to_pandas()
    disp = fund_run.scenario.fund.fund_disposition
    assert t.fund_purchases.sum() > 0
    if disp == "improve_resell":
        assert t.fund_improvements.sum() > 0 and t.fund_sales.sum() > 0
    elif disp == "improve_let":
        assert t.fund_improvements.sum() > 0 and t.fund_rent_eur.sum() > 0
    elif disp == "let_then_demolish":
        assert t.fund_rent_eur.sum() > 0 and t.fund_demolitions.sum() > 0
    else:
        assert t.fund_demolitions.sum() > 0 and t.fund_improvements.sum() == 0


def test_fund_never_spends_more_than_it_has_with_little_money():
    m = _run(SC / "baseline.toml", seed=5, end_year=2026, fund_contributions_eur={"province": {2020: 1.5e7}},
             fund_sale_probability=1.0, fund_value_ceiling_eur=300000, fund_max_label="C")
    ledger = m.fund_ledger().to_pylist()
    spent = sum(r[k] for r in ledger for k in OUTFLOWS)
    received = sum(r[k] for r in ledger for k in INFLOWS)
    assert spent <= received + 1.0
    assert min(r["cash_end_eur"] for r in ledger) >= -1e-6
    assert sum(r["purchases_eur"] for r in ledger) > 0


def _without_scenario_name(table):
    return table.drop_columns(["scenario"]).to_pylist()


@pytest.mark.parametrize("scenario", ["transformatiefonds.toml", "proeftuin.toml", "combined.toml"])
def test_zero_budget_equals_the_baseline_exactly(scenario):
    """A policy scenario with no money is the baseline: same seed -> identical table (except its name)."""
    base = _run(SC / "baseline.toml", seed=2, end_year=2026).table()
    zero = _run(SC / scenario, seed=2, end_year=2026, fund_contributions_eur={}, fund_total_budget_eur=0,
                proeftuin_budget_eur={c: 0.0 for c in ("GM0114", "GM0109", "GM1681", "GM1680", "GM0118", "GM0160")},
                proeftuin_total_budget_eur=0).table()
    assert _without_scenario_name(zero) == _without_scenario_name(base)
    # and the policies do act when they have their money
    full = _run(SC / scenario, seed=2, end_year=2026).table()
    assert _without_scenario_name(full) != _without_scenario_name(base)


# -- proeftuin -----------------------------------------------------------------------------------------
def _step_to(model: HousingModel, year: int) -> None:
    while model.year < year:
        model.step()


def _ep2_by_id(model: HousingModel) -> dict[int, float]:
    d = model.state.dwellings
    rows = d.alive_rows()
    return dict(zip(d.id[rows].tolist(), d.ep2_kwh_m2[rows].tolist(), strict=True))


def test_proeftuin_changes_nothing_outside_its_target_wijken_before_rollout():
    """Through the pilot (no roll-out), no owner outside the target wijken gets a lever, and in the first
    pilot year no dwelling outside the target wijken is renovated differently than in the baseline. (Later,
    homes renovated inside change what buyers choose, an indirect market effect that reaches elsewhere.)"""
    kw = dict(seed=4, scale=0.05, end_year=2025)
    pt = HousingModel(SC / "proeftuin.toml", rng=kw["seed"], scale=kw["scale"], end_year=kw["end_year"])
    base = HousingModel(SC / "baseline.toml", rng=kw["seed"], scale=kw["scale"], end_year=kw["end_year"])
    start = pt.scenario.proeftuin.proeftuin_start_year
    _step_to(pt, start)
    _step_to(base, start)
    assert _ep2_by_id(pt) == _ep2_by_id(base)  # nothing before the start
    pt.step()
    base.step()
    targets = {w for p in pt.proeftuinen for w in p.targets}
    assert targets and all(len(p.targets) == 1 for p in pt.proeftuinen)
    d = pt.state.dwellings
    wijk = dict(zip(d.id[d.alive_rows()].tolist(), d.wijk[d.alive_rows()].tolist(), strict=True))
    a, b = _ep2_by_id(pt), _ep2_by_id(base)
    common = a.keys() & b.keys()
    outside = [i for i in common if wijk[i] not in targets]
    inside = [i for i in common if wijk[i] in targets]
    assert all(a[i] == b[i] for i in outside)
    assert sum(a[i] < b[i] for i in inside) > 0  # the instruments acted inside
    # the levers: every household outside the active wijken has the baseline levers in every pilot year
    from model.policies import proeftuin_levers
    from model.renovation import household_levers

    for _ in range(pt.scenario.proeftuin.proeftuin_duration_years - 1):
        for p in pt.proeftuinen:
            p.begin_year()
        h = pt.state.households
        hrow = h.alive_rows()
        hrow = hrow[h.tenure[hrow] == 0]
        drow = pt.state.dwellings.rows(h.dwelling_id[hrow])
        from model.income import household_facts

        facts = {k: v[hrow] for k, v in household_facts(pt.state).items()}
        base_levers = household_levers(pt, hrow)
        levers, support = proeftuin_levers(pt, hrow, drow, facts, base_levers)
        out = ~np.isin(pt.state.dwellings.wijk[drow], list(targets))
        assert np.all(support[out] == -1) and np.all(support[~out] >= 0)
        for k in base_levers:
            assert np.array_equal(levers[k][out], base_levers[k][out]), k
        pt.step()


def _target_label_points(model: HousingModel, targets: set[int]) -> int:
    """Sum of label indices (A=0 .. G=6) of the dwellings of the stock in the target wijken."""
    d = model.state.dwellings
    rows = d.alive_rows()
    rows = rows[d.in_stock[rows] & (d.status[rows] != 2) & np.isin(d.wijk[rows], list(targets))]
    return int(label_of(d.ep2_kwh_m2[rows]).sum())


def test_proeftuin_improves_labels_in_its_wijken_over_seeds():
    """Paired over 6 seeds, the label points in the target wijken at the end of the pilot are lower (better)
    with the proeftuin than without: every seed, and the mean difference more than 3 standard errors."""
    diffs = []
    for seed in range(6):
        pt = _run(SC / "proeftuin.toml", seed=seed, scale=0.03, end_year=2024)
        base = _run(SC / "baseline.toml", seed=seed, scale=0.03, end_year=2024)
        targets = {w for p in pt.proeftuinen for w in p.targets}
        diffs.append(_target_label_points(base, targets) - _target_label_points(pt, targets))
    diffs = np.array(diffs, dtype=float)
    assert (diffs > 0).all(), diffs
    assert diffs.mean() > 3 * diffs.std(ddof=1) / np.sqrt(diffs.size), diffs


def test_proeftuin_spends_within_its_budget():
    m = _run(SC / "proeftuin.toml", seed=1, scale=0.05, end_year=2027)
    t = m.table().to_pandas()
    budget = m.scenario.proeftuin.proeftuin_budget_eur
    for code, g in t.groupby("municipality_code"):
        spent = g.proeftuin_spending_eur.sum()
        assert 0 < spent <= budget[code] + 1.0, code
        parts = g[["proeftuin_grant_eur", "proeftuin_loan_subsidy_eur", "proeftuin_procurement_eur",
                   "proeftuin_outreach_eur", "proeftuin_adaptation_grant_eur"]].sum().sum()
        assert parts == pytest.approx(spent, rel=1e-9)
        left = g.sort_values("year").proeftuin_budget_left_eur.iloc[-1]
        assert left == pytest.approx(budget[code] - spent, rel=1e-6, abs=1.0)


def test_manifest_and_ledger_travel_with_the_table():
    m = _run(SC / "transformatiefonds.toml", seed=1, scale=0.05, end_year=2024)
    table = m.table()
    meta = table.schema.metadata
    ledger = json.loads(meta[b"fund_ledger"])
    assert [r["year"] for r in ledger] == list(range(2019, 2024))
    manifest = json.loads(meta[b"manifest"])
    assert manifest["parameters"]["fund.fund_total_budget_eur"] == 10_000_000


# -- scenario validation of the policy sections -----------------------------------------------------------
@pytest.mark.parametrize("body, expected", [
    ('[fund]\nfund_contributions_eur.rijk = {2020 = 1000000}\nfund_total_budget_eur = 2000000\n',
     "[fund] fund_contributions_eur add up to EUR 1,000,000, but fund_total_budget_eur = 2,000,000"),
    ('[fund]\nfund_contributions_eur.gemeente = {2020 = 1000000}\n', "fund_contributions_eur.gemeente: unknown funder"),
    ('[fund]\nfund_disposition = "sell"\n', "[fund] fund_disposition = 'sell' is not allowed; expected one of"),
    ('[fund]\nfund_max_label = "H"\n', "[fund] fund_max_label = 'H' is not allowed"),
    ('[fund]\nfund_start_year = 2030\nfund_end_year = 2025\n', "fund_end_year = 2025 is before fund_start_year"),
    ('[proeftuin]\nproeftuin_budget_eur = {GM0114 = 1000000}\nproeftuin_total_budget_eur = 3000000\n',
     "proeftuin_budget_eur add up to EUR 1,000,000, but proeftuin_total_budget_eur = 3,000,000"),
    ('[proeftuin]\nproeftuin_budget_eur = {GM9999 = 1000000}\n', "GM9999"),
    ('[proeftuin]\nproeftuin_wijken = {GM0114 = ["WK010910"]}\n', "'WK010910' is not a CBS wijk code of GM0114"),
    ('[proeftuin]\nproeftuin_wijken = {GM0114 = ["WK011499"]}\n', "'WK011499' is not a wijk of GM0114"),
    ('[proeftuin]\nproeftuin_grant_eur = -5\n', "[proeftuin] proeftuin_grant_eur = -5 is out of range"),
])
def test_policy_scenario_errors_name_file_key_and_expectation(tmp_path, capsys, body, expected):
    import run

    path = tmp_path / "policy.toml"
    path.write_text(f'extends = "{(SC / "baseline.toml").as_posix()}"\nname = "x"\n' + body)
    out = tmp_path / "out"
    code = run.main(["run", str(path), "--scale", "0.01", "--end-year", "2020", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and expected in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_proeftuin_rolls_out_to_further_wijken_after_the_pilot():
    m = HousingModel(SC / "proeftuin.toml", rng=2, scale=0.03, end_year=2028, check=True,
                     proeftuin_duration_years=2, proeftuin_rollout_wijken_per_year=1)
    active = {}
    while m.running:
        m.step()
        active[m.year - 1] = [len(pt.active) for pt in m.proeftuinen]
    assert active[2020] == active[2021] == [1] * 6  # the pilot: one wijk each
    emmen = m.proeftuinen[0]
    assert active[2022][0] == 2 and active[2023][0] == 3  # then one more a year while the budget lasts
    assert set(emmen.targets) <= set(emmen.active.tolist())
    t = m.table().to_pandas()
    em = t[t.municipality_code == "GM0114"].set_index("year").proeftuin_owner_households
    assert em[2024] > em[2022] > 0  # (rows describe 1 January: the wijken active in the year before)


def test_fund_priority_surplus_wijken_buys_in_the_wijk_with_the_largest_surplus_first():
    m = HousingModel(SC / "transformatiefonds.toml", rng=1, scale=0.05, end_year=2021,
                     fund_priority="surplus_wijken", fund_sale_probability=1.0)
    m.step()
    homes, _ = m.fund._eligible()
    order = m.fund._priority(homes)
    surplus = m.fund._wijk_surplus()[m.state.dwellings.wijk[homes]]
    assert surplus[order[0]] == surplus.max()
    assert np.all(np.diff(surplus[order]) <= 1e-12)  # wijken in decreasing surplus


def test_extends_a_list_applies_each_parent_in_order(tmp_path):
    from model.params import load_scenario

    combined = load_scenario(SC / "combined.toml")
    fund = load_scenario(SC / "transformatiefonds.toml")
    pt = load_scenario(SC / "proeftuin.toml")
    assert combined.fund == fund.fund and combined.proeftuin == pt.proeftuin
    path = tmp_path / "later_wins.toml"
    first, second = (SC / "proeftuin.toml").as_posix(), (SC / "transformatiefonds.toml").as_posix()
    path.write_text(f'extends = ["{first}", "{second}"]\n[proeftuin]\nproeftuin_grant_eur = 1000\n')
    s = load_scenario(path)
    assert s.fund == fund.fund and s.proeftuin.proeftuin_grant_eur == 1000
    assert s.proeftuin.proeftuin_budget_eur == pt.proeftuin.proeftuin_budget_eur


def test_the_yearly_checks_catch_a_broken_fund_ledger():
    """model.checks.check_policies runs every year with --check: a fund whose cash does not follow its flows
    stops the run naming the identity and the year."""
    from model.checks import InvariantError

    m = HousingModel(SC / "transformatiefonds.toml", rng=1, scale=0.03, end_year=2024, check=True)
    m.step()
    m.step()  # 2020: contributions arrive
    m.fund.ledger.flows["rent_eur"] += 1000.0  # a flow booked without the cash
    with pytest.raises(InvariantError, match=r"year 2021.*Transformatiefonds: cash at the end"):
        m.step()
