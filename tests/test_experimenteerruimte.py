"""The experimenteerruimte levers (model/corporation_levers.py): inert when off, local, balanced."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.core import HousingModel

SC = Path(__file__).resolve().parent.parent / "scenarios"
KW = dict(scale=0.03, end_year=2027)
OFF = {"corp_fund": dict(corp_fund_capital_eur=0.0), "corp_lp": dict(corp_lp_homes_per_year=0),
       "corp_energy": dict(corp_energy_budget_eur=0.0)}
LEVER_FILE = {"corp_fund": "exp_corporation_fund.toml", "corp_lp": "exp_lifetime_homes.toml",
              "corp_energy": "exp_energy_supplier.toml"}


def _table(scenario, seed=2, **overrides):
    m = HousingModel(scenario, rng=seed, check=True, **KW, **overrides)
    return m, m.run_to_end()


def _rows(table, codes=None):
    t = table.drop_columns(["scenario"]).to_pylist()
    return [r for r in t if codes is None or r["municipality_code"] in codes]


@pytest.fixture(scope="module")
def combined():
    return _table(SC / "combined.toml")[1]


@pytest.mark.parametrize("lever", list(OFF))
def test_each_lever_is_inert_when_off(combined, lever, tmp_path):
    """Same seed -> identical table: the lever's scenario with the lever off equals the combined scenario, and
    the experimenteerruimte scenario with the lever off equals the scenario made of the other two levers; with
    the lever on, the tables differ."""
    lever_only = _table(SC / LEVER_FILE[lever])[1]
    lever_off = _table(SC / LEVER_FILE[lever], **OFF[lever])[1]
    assert _rows(lever_off) == _rows(combined)
    assert _rows(lever_only) != _rows(combined)
    others = [(SC / "combined.toml").as_posix()] + [(SC / f).as_posix() for k, f in LEVER_FILE.items() if k != lever]
    path = tmp_path / "others.toml"
    path.write_text("extends = [" + ", ".join(f'"{f}"' for f in others) + ']\nname = "others"\n')
    all_off = _table(SC / "experimenteerruimte.toml", **OFF[lever])[1]
    assert _rows(all_off) == _rows(_table(path)[1])


NAMED = ["GM0114"]
LOCAL = {"corp_fund": dict(corp_fund_capital_eur=4e8, corp_fund_max_capital_share=0.05, corp_fund_sale_probability=0.5,
                           corp_fund_municipalities=NAMED),
         "corp_lp": dict(corp_lp_homes_per_year=40, corp_lp_sell_to="corporation", corp_lp_municipalities=NAMED),
         "corp_energy": dict(corp_energy_budget_eur=2e7, corp_energy_owner_uptake=0.2,
                             corp_energy_municipalities=NAMED)}


@pytest.mark.parametrize("lever", list(LOCAL))
def test_each_lever_acts_only_in_the_municipalities_it_names(lever):
    """On top of the baseline (the regional Transformatiefonds would carry money across municipalities), a lever
    named for Emmen changes Emmen's rows and leaves the other five municipalities' rows identical."""
    base = _table(SC / "baseline.toml")[1]
    m, with_lever = _table(SC / "baseline.toml", **LOCAL[lever])
    others = {"GM0109", "GM1681", "GM1680", "GM0118", "GM0160"}
    assert _rows(with_lever, others) == _rows(base, others)
    assert _rows(with_lever, NAMED) != _rows(base, NAMED)
    t = with_lever.to_pandas()
    col = {"corp_fund": "corp_fund_purchases", "corp_lp": "corp_lp_elderly_moves",
           "corp_energy": "corp_energy_connections"}[lever]
    assert t[t.municipality_code == "GM0114"][col].sum() > 0
    assert t[t.municipality_code != "GM0114"][col].fillna(0).sum() == 0


@pytest.mark.parametrize("lever", list(LOCAL))
def test_each_levers_cash_flows_balance_every_year(lever):
    from model.policies import INFLOWS, OUTFLOWS

    m, _ = _table(SC / "experimenteerruimte.toml", **{k: v for k, v in LOCAL[lever].items()
                                                      if not k.endswith("municipalities")})
    agent = {"corp_fund": m.corporation_fund, "corp_lp": m.corporation_lifetime,
             "corp_energy": m.corporation_energy}[lever]
    ledger = agent.ledger_table().to_pylist()
    inflows = INFLOWS if lever == "corp_fund" else agent.INFLOWS
    outflows = OUTFLOWS if lever == "corp_fund" else agent.OUTFLOWS
    assert len(ledger) == KW["end_year"] - 2019
    moved = 0.0
    for row in ledger:
        change = sum(row[k] for k in inflows) - sum(row[k] for k in outflows)
        assert row["cash_end_eur"] == pytest.approx(row["cash_start_eur"] + change, abs=1.0), row["year"]
        assert row["cash_end_eur"] >= -1e-6
        moved += sum(row[k] for k in outflows)
    assert moved > 0, "the lever must have spent something for this test to bite"


def test_energy_supply_lowers_energy_cost_and_co2_of_connected_homes():
    from model.income import energy_cost_eur
    from model.state import stock_rows

    m = HousingModel(SC / "exp_energy_supplier.toml", rng=1, scale=0.03, end_year=2024)
    while m.year < 2023:
        m.step()
    d = m.state.dwellings
    rows = stock_rows(d)
    conn = rows[d.energy_connected[rows]]
    assert conn.size > 0
    before = energy_cost_eur(m, conn)
    d.col("energy_connected")[conn] = False
    after = energy_cost_eur(m, conn)
    assert (before < after).all()
