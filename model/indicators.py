"""Indicators per year x municipality, and the output schema (column, unit, meaning).

A row for year Y describes 1 January of Y; the base-year rows are the initial stock. Flow columns
(births, deaths, in- and out-migrants) count the events of the year before, i.e. between the row of Y-1
and the row of Y, and are null in the base year. Counts are expanded by 1/scale (exact at scale 1).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import kernels_market as km
from .data import MUNICIPALITY_CODES, NAME_BY_CODE
from .income import core_limit, daeb_limit, household_facts, path_value, person_household_rows
from .kernels import count_alive
from .state import LABELS, median

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


def _codes_with(bits: int, need: int = 0, clear: int = 0) -> np.ndarray:
    """The cell codes (of ``bits`` bits) with all bits of ``need`` set and none of ``clear``."""
    code = np.arange(1 << bits)
    return ((code & need) == need) & ((code & clear) == 0)


def _selection(masks: dict[str, np.ndarray]) -> tuple[tuple[str, ...], np.ndarray]:
    """The names of the counts and, one row per count, 1 for the cell codes it adds up (0 elsewhere)."""
    return tuple(masks), np.array(list(masks.values()), dtype=np.int64)


def _count(selection: tuple[tuple[str, ...], np.ndarray], cells: np.ndarray) -> dict[str, np.ndarray]:
    """Per name, the sum over the municipalities' cells (N_MUN x codes) of its codes: one integer matrix product
    for all counts of a table (the same sums as adding up each selection of cells)."""
    names, matrix = selection
    return dict(zip(names, matrix @ cells.T, strict=True))


_OWNER_CLASS = (np.arange(1 << km.D_BITS) >> km.D_OWNER_SHIFT) & 3
_FUND = _OWNER_CLASS == km.FUND_CLASS
_FS_CLASS = (np.arange(1 << km.D_BITS) >> km.D_FS_SHIFT) & 3
#: the counts of measure per table: persons, dwellings and households, over their cell codes
_P_SELECT = _selection({"all": _codes_with(km.P_BITS), "institution": _codes_with(km.P_BITS, km.P_INST),
                        "private": _codes_with(km.P_BITS, clear=km.P_INST), "65+": _codes_with(km.P_BITS, km.P_65),
                        "75+": _codes_with(km.P_BITS, km.P_75)})
_D_SELECT = _selection({
    "all": _codes_with(km.D_BITS), "occupied": _codes_with(km.D_BITS, km.D_OCC),
    "vacant": _codes_with(km.D_BITS, km.D_VAC), "long_term_vacant": _codes_with(km.D_BITS, km.D_LTV),
    "owner_occupied": _OWNER_CLASS == km.OO, "unsellable": (_OWNER_CLASS == km.OO) & _codes_with(km.D_BITS, km.D_UNS),
    "written_off": _codes_with(km.D_BITS, km.D_WO),
    "written_off_owner_occupied": (_OWNER_CLASS == km.OO) & _codes_with(km.D_BITS, km.D_WO),
    "fund": _FUND, "corporation_fund": _OWNER_CLASS == km.CFUND_CLASS, "connected": _codes_with(km.D_BITS, km.D_CONN),
    "fund_let": _FUND & (_FS_CLASS == km.FS_LET), "fund_for_sale": _FUND & (_FS_CLASS == km.FS_SALE)})
_H_SELECT = _selection({
    "all": _codes_with(km.H_BITS), "outside_stock": _codes_with(km.H_BITS, clear=km.H_STOCK),
    "owner": _codes_with(km.H_BITS, km.H_OWN), "owner_core": _codes_with(km.H_BITS, km.H_OWN | km.H_CORE),
    "owner_under_water": _codes_with(km.H_BITS, km.H_OWN | km.H_UW), "low": _codes_with(km.H_BITS, km.H_LOW),
    "low_owner": _codes_with(km.H_BITS, km.H_LOW | km.H_OWN),
    "low_owner_efg": _codes_with(km.H_BITS, km.H_LOW | km.H_OWN | km.H_STOCK | km.H_EFG),
    "owner_efg": _codes_with(km.H_BITS, km.H_OWN | km.H_STOCK | km.H_EFG),
    "loan": _codes_with(km.H_BITS, km.H_LOAN),
    "owner_active": _codes_with(km.H_BITS, km.H_OWN | km.H_STOCK | km.H_ACTIVE)})


#: The persons' columns the alive persons per municipality depend on.
_POPULATION_COLUMNS = ("municipality", "alive")


def alive_per_municipality(state) -> np.ndarray:
    """The alive persons per municipality (int64, N_MUN; not expanded by 1/scale; a new array).

    Kept in the persons table (``_population``) with the persons' columns_stamp of municipality and alive: the
    count of the last measure or of the last call stands while neither column was handed out and no person was
    added, removed or compacted since (the model's count of 1 January, just after the last year's measure, then
    costs nothing); else a count of the slots (kernels.count_alive)."""
    p = state.persons
    stamp = p.columns_stamp(_POPULATION_COLUMNS)
    kept = p.__dict__.get("_population")
    if kept is None or kept[0] != stamp:
        kept = p.__dict__["_population"] = (stamp, count_alive(p.peek("municipality"), p.peek("alive"), N_MUN))
    return kept[1].copy()


def measure(model) -> dict[str, np.ndarray]:
    """Stock indicators per municipality (arrays of length 6) on 1 January of the model's year, expanded by
    1/scale.

    Counts come from one count per table over a cell code (municipality and a few flags or classes per
    agent; model/kernels_market.py): each count is the sum of the cells whose code matches (integer sums, the
    same as counting each mask)."""
    state, scale = model.state, model.scenario.run.scale
    p, h, d = state.persons, state.households, state.dwellings
    # the household facts first (cached); columns are read with peek, which leaves that cache valid
    facts = household_facts(state)
    pts = getattr(model, "proeftuinen", [])
    active = np.zeros(len(state.wijk_codes), dtype=bool)
    for pt in pts:
        active[pt.active] = True
    e = model.scenario.energy
    dc, by_label, flags, homes, sums, by_mun = km.dwelling_stock(
        d.peek("alive"), d.peek("in_stock"), d.peek("municipality"), d.peek("status"), d.peek("years_vacant"),
        d.peek("owner"), d.peek("fund_status"), d.peek("written_off"), d.peek("energy_connected"),
        d.peek("ep2_kwh_m2"), d.peek("floor_area_m2"), d.peek("value_eur"), d.peek("condition"), d.peek("wijk"),
        active, d.peek("lifetime_proof"), model.scenario.market.unsellable_after_years, e.gas_m3_per_ep2_kwh,
        path_value(e.gas_price_eur_m3, model.year), model.scenario.corporation_energy.corp_energy_tariff_share)
    one_two = np.array([1, 2])  # the limits for one adult (person) and for more
    # energy poverty: the energy cost of the low-income households in the stock (as energy_cost_eur: the homes'
    # gas or heat cost from dwelling_stock, plus the electricity)
    hc, energy_poor, not_lp = km.household_cells(
        h.peek("alive"), h.peek("dwelling_id"), d.row_of, d.next_id, h.peek("municipality"), h.peek("tenure"),
        h.peek("mortgage_eur"), h.peek("renovation_loan_eur"), facts["income"], facts["adults"], facts["size"],
        homes, flags, core_limit(model, one_two), daeb_limit(model, one_two),
        e.electricity_kwh_per_household * path_value(e.electricity_price_eur_kwh, model.year),
        model.scenario.income.energy_poverty_share)
    # the persons, and those 75+ in a household whose home is not lifetime-proof (by the persons' household
    # rows of the member table, up to date after household_facts)
    population_stamp = p.columns_stamp(_POPULATION_COLUMNS)
    pc, old_not_lp = km.person_cells(p.peek("alive"), p.peek("municipality"), p.peek("age"), p.peek("institution"),
                                     person_household_rows(state), not_lp)
    pn, dn, hn = _count(_P_SELECT, pc), _count(_D_SELECT, dc), _count(_H_SELECT, hc)
    p.__dict__["_population"] = (population_stamp, pn["all"].copy())  # (alive_per_municipality's next answer)
    out: dict[str, np.ndarray] = {}
    out["population"] = pn["all"]
    out["households"] = hn["all"]
    out["persons_in_institutions"] = pn["institution"]
    out["mean_household_size"] = pn["private"] / np.maximum(out["households"], 1)
    out["persons_65plus"] = pn["65+"]
    out["persons_75plus"] = pn["75+"]
    out["dwellings"] = dn["all"]
    out["occupied_dwellings"] = dn["occupied"]
    out["vacant_dwellings"] = dn["vacant"]
    out["vacancy_rate"] = out["vacant_dwellings"] / np.maximum(out["dwellings"], 1)
    out["long_term_vacant_dwellings"] = dn["long_term_vacant"]
    out["households_outside_stock"] = hn["outside_stock"]
    out["owner_occupied_dwellings"] = dn["owner_occupied"]
    out["owner_households"] = hn["owner"]
    out["core_target_owner_households"] = hn["owner_core"]
    out["mean_value_eur"] = sums[:, km.S_VALUE] / np.maximum(out["dwellings"], 1)
    # median per municipality: the values of each municipality in stock order
    out["median_value_eur"] = np.array([median(v) if v.size else np.nan for v in by_mun])
    out["owners_under_water"] = hn["owner_under_water"]
    out["unsellable"] = dn["unsellable"]
    out["low_income_households"] = hn["low"]
    out["low_income_owner_households"] = hn["low_owner"]
    out["low_income_owners_in_EFG"] = hn["low_owner_efg"]
    out["energy_poor_households"] = energy_poor
    out["persons_75plus_not_lifetime_proof"] = old_not_lp
    # the gas use of the occupied homes; of those connected to a corporation's collective supply as heat
    gas, heat = sums[:, km.S_GAS], sums[:, km.S_HEAT]
    co2_share = model.scenario.corporation_energy.corp_energy_co2_share
    out["gas_m3"] = gas / scale
    out["co2_tonnes"] = (gas + co2_share * heat) * model.scenario.energy.co2_kg_per_m3_gas / 1000.0 / scale
    # -- renovation stock indicators --
    out["written_off_dwellings"] = dn["written_off"]
    out["written_off_owner_occupied"] = dn["written_off_owner_occupied"]
    out["mean_condition"] = sums[:, km.S_CONDITION] / np.maximum(out["dwellings"], 1)
    out["owner_households_in_EFG"] = hn["owner_efg"]
    out["households_with_renovation_loan"] = hn["loan"]
    for i, x in enumerate(LABELS):
        out[f"label_{x}"] = by_label[:, i].copy()
    # -- policies --
    out["fund_dwellings"] = dn["fund"]
    out["corp_fund_dwellings"] = dn["corporation_fund"]
    out["corp_energy_connected_dwellings"] = dn["connected"]
    out["fund_let_dwellings"] = dn["fund_let"]
    out["fund_for_sale_dwellings"] = dn["fund_for_sale"]
    out["proeftuin_owner_households"] = hn["owner_active"]
    out["proeftuin_budget_left_eur"] = np.array([pt.remaining / scale for pt in pts]) if pts else np.zeros(N_MUN)
    for key, v in out.items():
        if v.dtype.kind in "iu" and scale != 1.0:
            out[key] = np.rint(v / scale).astype(np.int64)
    return out


def rows_for_year(year: int, stock: dict[str, np.ndarray], flows, events: dict[str, np.ndarray] | None,
                  scale: float) -> list[dict]:
    """One row per municipality: the stock on 1 January of ``year`` and the flows and events of the year
    before (None in the base year). Event counts are expanded by 1/scale like the stock counts.

    Column by column: each column's values for all municipalities in a few array operations and one tolist
    (the same Python values as converting them one by one: ndarray.tolist gives each element's item())."""
    unknown = set(events or {}) - set(EVENT_COLUMNS)
    if unknown:
        raise KeyError(f"events without an output column in indicators.SCHEMA: {', '.join(sorted(unknown))}")
    n = len(MUNICIPALITY_CODES)
    columns = {k: (v.tolist() if isinstance(v, np.ndarray) else
                   [x.item() if hasattr(x, "item") else x for x in v[:n]]) for k, v in stock.items()}
    for k in FLOW_COLUMNS:
        columns[k] = [None] * n if flows is None else [int(x) for x in np.rint(getattr(flows, k)[:n] / scale).tolist()]
    if events is None:
        columns.update((k, [None] * n) for k in EVENT_COLUMNS)
    else:  # all event columns in one array (per column the same division as alone)
        v = np.array([np.asarray(events[k], dtype=float)[:n] if k in events else np.zeros(n) for k in EVENT_COLUMNS])
        v /= scale
        values, rounded = v.tolist(), np.rint(v).tolist()
        for i, k in enumerate(EVENT_COLUMNS):
            columns[k] = [int(x) for x in rounded[i]] if SCHEMA_TYPES[k] == pa.int64() else values[i]
    keys = ("year", "municipality_code", "municipality", *columns)
    return [dict(zip(keys, (year, code, NAME_BY_CODE[code], *values), strict=True))
            for code, values in zip(MUNICIPALITY_CODES, zip(*columns.values(), strict=True), strict=True)]


SCHEMA_TYPES = {n: t for n, t, _, _ in SCHEMA}
