"""Indicators per year x municipality, and the output schema (column, unit, meaning).

A row for year Y describes 1 January of Y; the base-year rows are the initial stock. Flow columns
(births, deaths, in- and out-migrants) count the events of the year before, i.e. between the row of Y-1
and the row of Y, and are null in the base year. Counts are expanded by 1/scale (exact at scale 1).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .data import MUNICIPALITY_CODES, NAME_BY_CODE
from .income import core_limit, daeb_limit, energy_cost_eur, gas_m3, household_facts, label_index
from .market import unsellable_mask
from .state import (
    CORPORATION_FUND,
    FUND,
    FUND_FOR_SALE,
    FUND_LET,
    LABELS,
    OCCUPIED,
    OWNER,
    OWNER_OCCUPIER,
    VACANT,
    stock_rows,
)

N_MUN = len(MUNICIPALITY_CODES)

#: Event columns of the Transformatiefonds (model/policies.py); the corporations' purchases under the
#: experimenteerruimte have the same columns with the prefix corp_ (model/corporation_levers.py).
_FUND_EVENTS: list[tuple[str, pa.DataType, str, str]] = [
    ("fund_purchases", pa.int64(), "dwellings", "homes the Transformatiefonds bought in the previous year"),
    ("fund_purchase_eur", pa.float64(), "EUR", "price paid for them"),
    ("fund_sellers_without_home", pa.int64(), "households",
     "owners who accepted an offer the fund could pay but found no other home in their municipality, so kept "
     "their home"),
    ("fund_improvements", pa.int64(), "dwellings", "homes the fund improved (condition, label, lifetime-proof)"),
    ("fund_works_eur", pa.float64(), "EUR", "cost of those improvements"),
    ("fund_label_steps", pa.int64(), "label steps", "energy-label steps gained by those improvements"),
    ("fund_demolitions", pa.int64(), "dwellings", "homes the fund demolished (part of demolished)"),
    ("fund_demolition_eur", pa.float64(), "EUR", "cost of those demolitions"),
    ("fund_new_homes", pa.int64(), "dwellings", "lifetime-proof homes the fund built (part of new_construction)"),
    ("fund_rebuild_eur", pa.float64(), "EUR", "cost of building them"),
    ("fund_sales", pa.int64(), "dwellings", "fund homes bought by households"),
    ("fund_sales_eur", pa.float64(), "EUR", "price the fund received for them"),
    ("fund_rent_eur", pa.float64(), "EUR", "rent the fund received"),
    ("fund_management_eur", pa.float64(), "EUR", "management cost of the homes the fund held"),
    ("fund_land_eur", pa.float64(), "EUR", "residual land value the fund received for cleared plots"),
]

#: (column, arrow type, unit, meaning). The schema users read; docs/output.md is generated from it.
SCHEMA: list[tuple[str, pa.DataType, str, str]] = [
    ("scenario", pa.string(), "", "scenario name"),
    ("seed", pa.int64(), "", "random seed of the run"),
    ("year", pa.int16(), "year", "the row describes 1 January of this year"),
    ("municipality_code", pa.string(), "", "CBS municipality code (GMxxxx)"),
    ("municipality", pa.string(), "", "municipality name"),
    ("population", pa.int64(), "persons", "persons registered, in households or in institutions"),
    ("households", pa.int64(), "households", "private households (persons in institutions excluded)"),
    ("persons_in_institutions", pa.int64(), "persons", "persons living in care institutions"),
    ("mean_household_size", pa.float64(), "persons/household", "persons in private households / households"),
    ("persons_65plus", pa.int64(), "persons", "persons aged 65 or over"),
    ("persons_75plus", pa.int64(), "persons", "persons aged 75 or over"),
    ("dwellings", pa.int64(), "dwellings", "dwelling stock, demolished dwellings excluded"),
    ("occupied_dwellings", pa.int64(), "dwellings", "dwellings of the stock with a household"),
    ("vacant_dwellings", pa.int64(), "dwellings", "dwellings of the stock without a household"),
    ("vacancy_rate", pa.float64(), "share", "vacant_dwellings / dwellings"),
    ("long_term_vacant_dwellings", pa.int64(), "dwellings", "dwellings vacant for 2 years or more"),
    ("households_outside_stock", pa.int64(), "households",
     "households living outside the regular stock (recreation homes, non-self-contained units)"),
    ("owner_occupied_dwellings", pa.int64(), "dwellings",
     "dwellings owned by owner-occupiers (koopwoningen), occupied or for sale"),
    ("owner_households", pa.int64(), "households", "households owning the dwelling they live in"),
    ("core_target_owner_households", pa.int64(), "households",
     "owner-occupier households with income at or below 130 % of the social minimum"),
    ("mean_value_eur", pa.float64(), "EUR", "mean WOZ-like value of the dwelling stock"),
    ("median_value_eur", pa.float64(), "EUR", "median WOZ-like value of the dwelling stock"),
    ("owners_under_water", pa.int64(), "households",
     "owner households whose mortgage and renovation loan exceed their home's value"),
    ("unsellable", pa.int64(), "dwellings",
     "owner-occupied homes for sale without a buyer for unsellable_after_years or more"),
    ("low_income_households", pa.int64(), "households",
     "households with income below the social-rent (DAEB) income limit of the year"),
    ("low_income_owner_households", pa.int64(), "households", "owner households with a low income (as above)"),
    ("low_income_owners_in_EFG", pa.int64(), "households",
     "low-income owner households whose home has energy label E, F or G"),
    ("energy_poor_households", pa.int64(), "households",
     "low-income households whose energy cost exceeds energy_poverty_share of their income"),
    ("persons_75plus_not_lifetime_proof", pa.int64(), "persons",
     "persons 75+ living in a household whose home is not lifetime-proof"),
    ("gas_m3", pa.float64(), "m3/yr", "gas use of the occupied dwellings of the stock in the year that starts"),
    ("co2_tonnes", pa.float64(), "t CO2/yr", "CO2 from that gas use"),
    ("written_off_dwellings", pa.int64(), "dwellings",
     "dwellings of the stock written off (condition fell below write_off_condition; model/renovation.py)"),
    ("written_off_owner_occupied", pa.int64(), "dwellings", "written-off dwellings owned by owner-occupiers"),
    ("mean_condition", pa.float64(), "condition (0-1)",
     "mean technical condition of the dwelling stock (1 = new, 0 = end of technical life)"),
    ("owner_households_in_EFG", pa.int64(), "households", "owner households whose home has energy label E, F or G"),
    ("households_with_renovation_loan", pa.int64(), "households",
     "households repaying a renovation loan (Warmtefonds-like)"),
    # -- policies (model/policies.py) --
    ("fund_dwellings", pa.int64(), "dwellings", "dwellings of the stock owned by the Transformatiefonds"),
    ("fund_let_dwellings", pa.int64(), "dwellings", "of which let (as social rent or temporarily)"),
    ("fund_for_sale_dwellings", pa.int64(), "dwellings", "of which improved or new and listed for sale"),
    ("proeftuin_owner_households", pa.int64(), "households",
     "owner households in the wijken where the municipality's proeftuin acted in the previous year"),
    ("proeftuin_budget_left_eur", pa.float64(), "EUR", "what is left of the proeftuin's budget"),
    ("corp_fund_dwellings", pa.int64(), "dwellings",
     "dwellings owned by corporations through their purchases of owner-occupied homes (experimenteerruimte)"),
    ("corp_energy_connected_dwellings", pa.int64(), "dwellings",
     "dwellings connected to a corporation's heat supply (experimenteerruimte)"),
] + [(f"label_{x}", pa.int64(), "dwellings", f"dwellings of the stock with energy label {x}") for x in LABELS] + [
    ("births", pa.int64(), "persons", "live births in the previous year (null in the base year)"),
    ("deaths", pa.int64(), "persons", "deaths in the previous year (null in the base year)"),
    ("in_migrants", pa.int64(), "persons", "persons who moved into the municipality in the previous year"),
    ("out_migrants", pa.int64(), "persons",
     "persons who left the region in the previous year (incl. new households that found no dwelling)"),
    ("new_construction", pa.int64(), "dwellings", "dwellings completed in the previous year"),
    ("demolished", pa.int64(), "dwellings", "dwellings demolished in the previous year (all reasons)"),
    ("structural_vacancy_demolitions", pa.int64(), "dwellings",
     "rented homes demolished by corporations and landlords as structurally vacant (part of demolished)"),
    ("purchases", pa.int64(), "dwellings", "homes bought by households in the previous year"),
    ("purchase_value_eur", pa.float64(), "EUR", "money paid for those homes (price = value)"),
    ("elderly_moves", pa.int64(), "households", "households with a member 75+ who moved to a lifetime-proof home"),
    ("family_moves", pa.int64(), "households", "crowded households who moved to a larger home"),
    ("corporation_sales", pa.int64(), "dwellings", "rented homes sold by corporations to their tenants"),
    # -- event columns of the renovation processes (model/renovation.py) --
    ("maintained_dwellings", pa.int64(), "dwellings",
     "dwellings maintained by their owner (household, corporation or landlord) in the previous year"),
    ("maintenance_owner_eur", pa.float64(), "EUR", "what owner-occupiers spent from savings on that maintenance"),
    ("written_off_new", pa.int64(), "dwellings", "dwellings written off in the previous year"),
    ("renovations", pa.int64(), "households",
     "owner-occupier households that improved their home's energy label in the previous year"),
    ("renovations_deep", pa.int64(), "households", "of which a deep renovation (to label B)"),
    ("renovations_own_means", pa.int64(), "households", "of which paid from savings (and grants) alone"),
    ("renovations_with_loan", pa.int64(), "households",
     "of which partly paid with a Warmtefonds-like loan (renovations = own_means + with_loan)"),
    ("renovations_low_income", pa.int64(), "households",
     "of which by households with income below the social-rent (DAEB) limit"),
    ("label_steps", pa.int64(), "label steps", "energy-label steps gained by those renovations"),
    ("renovation_investment_eur", pa.float64(), "EUR", "cost of those renovations (after collective discounts)"),
    ("grant_eur", pa.float64(), "EUR", "grants paid for those renovations (ISDE-like and local)"),
    ("renovation_loans_eur", pa.float64(), "EUR", "loans taken out for those renovations"),
    ("lifetime_proof_adaptations", pa.int64(), "households",
     "owner households with a member 65+ who made their home lifetime-proof in the previous year"),
    ("adaptation_investment_eur", pa.float64(), "EUR", "cost of those adaptations"),
    ("adaptation_grant_eur", pa.float64(), "EUR", "local grants paid for those adaptations"),
    ("rental_renovations", pa.int64(), "dwellings",
     "rented dwellings whose label corporations and private landlords improved in the previous year"),
    ("rental_label_steps", pa.int64(), "label steps", "energy-label steps gained by those renovations"),
    ("rental_investment_eur", pa.float64(), "EUR", "cost of those renovations"),
    # -- event columns of the policies (model/policies.py; model/renovation.py for the proeftuin's part) --
] + _FUND_EVENTS + [
] + [(f"corp_{name}", t, unit, f"corporations' purchases of owner-occupied homes (experimenteerruimte): {doc}")
      for name, t, unit, doc in _FUND_EVENTS] + [
    ("corp_lp_homes", pa.int64(), "dwellings",
     "lifetime-proof homes corporations built or converted for elderly owners (experimenteerruimte)"),
    ("corp_lp_investment_eur", pa.float64(), "EUR", "cost of building or converting them"),
    ("corp_lp_elderly_moves", pa.int64(), "households",
     "elderly owner households who sold their home and moved into one of them"),
    ("corp_lp_rent_eur", pa.float64(), "EUR", "rent the corporations received for those homes"),
    ("corp_lp_purchase_eur", pa.float64(), "EUR", "price corporations paid for the homes those households left"),
    ("corp_energy_connections", pa.int64(), "dwellings", "homes connected to a corporation's heat supply"),
    ("corp_energy_investment_eur", pa.float64(), "EUR", "investment in those connections"),
    ("corp_energy_margin_eur", pa.float64(), "EUR", "the corporations' margin on the heat supplied (tariff - cost)"),
    ("proeftuin_renovations", pa.int64(), "households",
     "energy renovations paid for in part by the proeftuin (part of renovations)"),
    ("proeftuin_label_steps", pa.int64(), "label steps", "label steps gained by those renovations"),
    ("proeftuin_adaptations", pa.int64(), "households",
     "lifetime-proof adaptations with a proeftuin grant (part of lifetime_proof_adaptations)"),
    ("proeftuin_grant_eur", pa.float64(), "EUR", "proeftuin grants for energy renovations"),
    ("proeftuin_loan_subsidy_eur", pa.float64(), "EUR",
     "interest the proeftuin pays on zero-interest loans (present value)"),
    ("proeftuin_procurement_eur", pa.float64(), "EUR", "cost of organising collective procurement"),
    ("proeftuin_outreach_eur", pa.float64(), "EUR", "cost of outreach to the owners of the active wijken"),
    ("proeftuin_adaptation_grant_eur", pa.float64(), "EUR", "proeftuin grants for lifetime-proof adaptations"),
    ("proeftuin_spending_eur", pa.float64(), "EUR", "all proeftuin spending (the five rows above)"),
    ("policy_spending_eur", pa.float64(), "EUR",
     "net spending of the policies on this municipality: proeftuin spending + the fund's purchases, works, "
     "demolition, building and management - its rent, sales and land receipts (the fund's interest and "
     "repayments are regional: see the fund ledger)"),
]
ARROW_SCHEMA = pa.schema([pa.field(n, t) for n, t, _, _ in SCHEMA])
#: Columns that count events of the previous year (null in the base year): the demographic flows and every
#: counter a process adds with :meth:`HousingModel.count_event`.
FLOW_COLUMNS = ("births", "deaths", "in_migrants", "out_migrants")
EVENT_COLUMNS = tuple(n for n, *_ in SCHEMA[SCHEMA.index(next(c for c in SCHEMA if c[0] == "out_migrants")) + 1:])


def measure(model) -> dict[str, np.ndarray]:
    """Stock indicators per municipality (arrays of length 6) on 1 January of the model's year, expanded by
    1/scale."""
    state, scale = model.state, model.scenario.run.scale
    p, h, d = state.persons, state.households, state.dwellings
    # household means first: reading the persons' columns below counts as a change of the table for its cache
    facts = household_facts(state)
    prow = p.alive_rows()
    pm = p.municipality[prow]
    age = p.age[prow]
    inst = p.institution[prow]
    hrow = h.alive_rows()
    hm = h.municipality[hrow]
    drow = stock_rows(d)
    dm = d.municipality[drow]

    def cnt(values, mask=None):  # per municipality; np.compress: the same as values[mask], faster
        return np.bincount(values if mask is None else np.compress(mask, values), minlength=N_MUN)

    out: dict[str, np.ndarray] = {}
    out["population"] = cnt(pm)
    out["households"] = cnt(hm)
    out["persons_in_institutions"] = cnt(pm, inst)
    private = cnt(pm, ~inst)
    out["mean_household_size"] = private / np.maximum(out["households"], 1)
    out["persons_65plus"] = cnt(pm, age >= 65)
    out["persons_75plus"] = cnt(pm, age >= 75)
    out["dwellings"] = cnt(dm)
    status = d.status[drow]
    out["occupied_dwellings"] = cnt(dm, status == OCCUPIED)
    out["vacant_dwellings"] = cnt(dm, status == VACANT)
    out["vacancy_rate"] = out["vacant_dwellings"] / np.maximum(out["dwellings"], 1)
    out["long_term_vacant_dwellings"] = cnt(dm, (status == VACANT) & (d.years_vacant[drow] >= 2))
    hd = d.rows(h.dwelling_id[hrow])
    out["households_outside_stock"] = cnt(hm, ~d.in_stock[hd])
    out["owner_occupied_dwellings"] = cnt(dm, d.owner[drow] == OWNER_OCCUPIER)
    owners = h.tenure[hrow] == OWNER
    out["owner_households"] = cnt(hm, owners)
    # household means: income, adults, size; the low-income flags of the year
    income, adults, size = facts["income"][hrow], facts["adults"][hrow], facts["size"][hrow]
    members = np.compress(p.household_id[prow] >= 0, prow)
    out["core_target_owner_households"] = cnt(hm, owners & (income <= core_limit(model, adults)))
    low = income < daeb_limit(model, size)
    out["mean_value_eur"] = np.bincount(dm, weights=d.value_eur[drow], minlength=N_MUN) / np.maximum(
        out["dwellings"], 1)
    value = d.value_eur[drow]
    out["median_value_eur"] = np.array([np.median(np.compress(dm == m, value)) if (dm == m).any() else np.nan
                                        for m in range(N_MUN)])
    in_stock = d.in_stock[hd]
    debt = h.mortgage_eur[hrow] + h.renovation_loan_eur[hrow]
    out["owners_under_water"] = cnt(hm, owners & (debt > d.value_eur[hd]))
    out["unsellable"] = cnt(dm, unsellable_mask(model, drow))
    out["low_income_households"] = cnt(hm, low)
    out["low_income_owner_households"] = cnt(hm, low & owners)
    home_label = label_index(d.ep2_kwh_m2[hd])
    out["low_income_owners_in_EFG"] = cnt(hm, low & owners & in_stock & (home_label >= 4))
    cost = np.where(in_stock, energy_cost_eur(model, hd), 0.0)
    share = model.scenario.income.energy_poverty_share
    out["energy_poor_households"] = cnt(hm, low & in_stock & (cost > share * np.maximum(income, 1.0)))
    old = np.compress(p.age[members] >= 75, members)
    old_home = d.rows(h.dwelling_id[h.row_of[p.household_id[old]]])
    out["persons_75plus_not_lifetime_proof"] = cnt(p.municipality[old][~d.lifetime_proof[old_home]])
    occ = np.compress(d.status[drow] == OCCUPIED, drow)
    connected = d.energy_connected[occ]  # heated by a corporation's collective supply, not by gas
    gas = np.bincount(d.municipality[occ[~connected]], weights=gas_m3(model, occ[~connected]), minlength=N_MUN)
    heat = np.bincount(d.municipality[occ[connected]], weights=gas_m3(model, occ[connected]), minlength=N_MUN)
    co2_share = model.scenario.corporation_energy.corp_energy_co2_share
    out["gas_m3"] = gas / scale
    out["co2_tonnes"] = (gas + co2_share * heat) * model.scenario.energy.co2_kg_per_m3_gas / 1000.0 / scale
    # -- renovation stock indicators --
    written = d.written_off[drow]
    out["written_off_dwellings"] = cnt(dm, written)
    out["written_off_owner_occupied"] = cnt(dm, written & (d.owner[drow] == OWNER_OCCUPIER))
    out["mean_condition"] = np.bincount(dm, weights=d.condition[drow], minlength=N_MUN) / np.maximum(
        out["dwellings"], 1)
    out["owner_households_in_EFG"] = cnt(hm, owners & in_stock & (home_label >= 4))
    out["households_with_renovation_loan"] = cnt(hm, h.renovation_loan_eur[hrow] > 0)
    labels = label_index(d.ep2_kwh_m2[drow])
    for i, x in enumerate(LABELS):
        out[f"label_{x}"] = cnt(dm, labels == i)
    # -- policies --
    fund = d.owner[drow] == FUND
    fs = d.fund_status[drow]
    out["fund_dwellings"] = cnt(dm, fund)
    out["corp_fund_dwellings"] = cnt(dm, d.owner[drow] == CORPORATION_FUND)
    out["corp_energy_connected_dwellings"] = cnt(dm, d.energy_connected[drow])
    out["fund_let_dwellings"] = cnt(dm, fund & (fs >= FUND_LET))
    out["fund_for_sale_dwellings"] = cnt(dm, fund & (fs == FUND_FOR_SALE))
    pts = getattr(model, "proeftuinen", [])
    active = np.zeros(len(state.wijk_codes), dtype=bool)
    for pt in pts:
        active[pt.active] = True
    out["proeftuin_owner_households"] = cnt(hm, owners & in_stock & active[d.wijk[hd]])
    out["proeftuin_budget_left_eur"] = np.array([pt.remaining / scale for pt in pts]) if pts else np.zeros(N_MUN)
    for key, v in out.items():
        if v.dtype.kind in "iu" and scale != 1.0:
            out[key] = np.rint(v / scale).astype(np.int64)
    return out


def rows_for_year(year: int, stock: dict[str, np.ndarray], flows, events: dict[str, np.ndarray] | None,
                  scale: float) -> list[dict]:
    """One row per municipality: the stock on 1 January of ``year`` and the flows and events of the year
    before (None in the base year). Event counts are expanded by 1/scale like the stock counts."""
    unknown = set(events or {}) - set(EVENT_COLUMNS)
    if unknown:
        raise KeyError(f"events without an output column in indicators.SCHEMA: {', '.join(sorted(unknown))}")
    rows = []
    for m, code in enumerate(MUNICIPALITY_CODES):
        r = {"year": year, "municipality_code": code, "municipality": NAME_BY_CODE[code]}
        r.update({k: (v[m].item() if hasattr(v[m], "item") else v[m]) for k, v in stock.items()})
        for k in FLOW_COLUMNS:
            r[k] = None if flows is None else int(np.rint(getattr(flows, k)[m] / scale))
        for k in EVENT_COLUMNS:
            if events is None:
                r[k] = None
            else:
                v = events.get(k, np.zeros(len(MUNICIPALITY_CODES)))[m] / scale
                r[k] = int(np.rint(v)) if SCHEMA_TYPES[k] == pa.int64() else float(v)
        rows.append(r)
    return rows


SCHEMA_TYPES = {n: t for n, t, _, _ in SCHEMA}
