"""Incomes, savings, mortgages and energy costs: the household's means, recomputed every year.

Per year (process 2 of the model, after demography):

* every personal income grows with ``wage_growth_per_year`` (retirement at 67 and a first income at 18
  happen in :func:`model.demography.ageing`);
* households save ``savings_rate`` of their income above the core-group limit;
* owners repay their mortgage linearly over what remains of ``mortgage_term_years``.

Dwelling values follow the national price index and the local market in :mod:`model.market`.

The income limits (130 % of the social minimum, the social-rent DAEB limit) are given in the prices of one
year and follow ``wage_growth_per_year`` to any other year. Energy use follows EP2 and floor area; energy
cost follows the scenario's price paths. Helpers here are used by the indicators and by the owners'
decisions.
"""

from __future__ import annotations

import numpy as np

from . import kernels_households
from .state import CHILD, EP2_BOUNDS, HEAD, OWNER, PARTNER, State


def label_index(ep2: np.ndarray) -> np.ndarray:
    """The same as model.state.label_of (the number of EP2 bounds at or below each value, in float64; NaN
    after all bounds, as np.searchsorted puts it), by one comparison per bound instead of a binary search:
    about ten times faster on the stock's columns."""
    e = np.asarray(ep2, dtype=np.float64)
    label = np.zeros(e.shape, dtype=np.int8)
    for bound in EP2_BOUNDS.tolist():
        label += e >= np.float64(bound)
    nan = np.isnan(e)
    if nan.any():
        label[nan] = EP2_BOUNDS.size
    return label


def path_value(path: dict, year: int) -> float:
    """A scenario price path {year: value} at ``year``: linear in between, constant outside."""
    years = np.array(sorted(path), dtype=float)
    values = np.array([path[y] for y in sorted(path)], dtype=float)
    return float(np.interp(year, years, values))


def income_limit_factor(model, ref_year: int, year: int | None = None) -> float:
    """Factor that moves an income limit from its price year to ``year`` (default: the model's year)."""
    y = model.year if year is None else year
    return (1.0 + model.scenario.income.wage_growth_per_year) ** (y - ref_year)


def member_rows(state) -> tuple[np.ndarray, np.ndarray]:
    """The alive persons who belong to a household (rows, ascending) and the rows of their households.

    (``np.flatnonzero`` and ``take`` rather than boolean indexing: the same arrays, several times faster.)
    The arrays are read-only and shared: they are kept while the persons table hands out no column view and
    changes nothing and the households table adds or compacts no rows (the stamps of household_facts)."""
    p, h = state.persons, state.households
    stamp = (p.stamp(), h.stamp()[1])
    cached = p.__dict__.get("_member_rows")
    if cached is not None and cached[0] == stamp:
        return cached[1]
    hid = p.peek("household_id")
    rows = np.flatnonzero(p.peek("alive") & (hid >= 0))
    hrow = h.row_of.take(hid.take(rows))
    rows.flags.writeable = False
    hrow.flags.writeable = False
    p.__dict__["_member_rows"] = (stamp, (rows, hrow))
    return rows, hrow


def role_counts(hrow: np.ndarray, role: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per household slot (``n`` slots): members, heads and partners, from the members' household rows and
    roles (HEAD 0, PARTNER 1, CHILD 2), counted in one pass."""
    if role.size and (int(role.min()) < HEAD or int(role.max()) > CHILD):  # no such member in a valid state
        return (np.bincount(hrow, minlength=n), np.bincount(hrow[role == HEAD], minlength=n),
                np.bincount(hrow[role == PARTNER], minlength=n))
    c = np.bincount(hrow * 3 + role, minlength=3 * n)
    heads, partners = c[HEAD::3], c[PARTNER::3]
    return heads + partners + c[CHILD::3], heads, partners


def household_facts(state) -> dict[str, np.ndarray]:
    """Per household slot: income of its members (EUR/yr), adults, size, head's age, oldest member's age.

    The arrays are read-only and shared: they are kept until the persons table hands out a column view or
    changes (add, remove, compact) or the households table adds or compacts rows (EntityTable.stamp()), so
    that the processes between two such changes (market, sales, maintenance, renovation) count once."""
    p, h = state.persons, state.households
    stamp = (p.stamp(), h.stamp()[1])
    cached = p.__dict__.get("_household_facts")
    if cached is not None and cached[0] == stamp:
        return dict(cached[1])
    rows, hrow = member_rows(state)
    facts = kernels_households.facts(rows, hrow, p.peek("age"), p.peek("role"), p.peek("income_eur"), h.n)
    for v in facts.values():
        v.flags.writeable = False
    p.__dict__["_household_facts"] = (stamp, facts)
    return dict(facts)


def household_income(state, hh_rows: np.ndarray | None = None) -> np.ndarray:
    """Per household slot: total income of its members (EUR/yr); with ``hh_rows``, only for those households
    (the same sums: each household's members are added in the same order, ascending person rows)."""
    p, h = state.persons, state.households
    if hh_rows is None:
        rows, hrow = member_rows(state)
        return np.bincount(hrow, weights=p.peek("income_eur").take(rows), minlength=h.n)
    hid = p.peek("household_id")
    # id_mask: -1 ("no household") maps to its last slot, which is False
    rows = np.flatnonzero(h.id_mask(h.peek("id").take(hh_rows)).take(hid) & p.peek("alive"))
    hrow = h.row_of.take(hid.take(rows))
    return np.bincount(hrow, weights=p.peek("income_eur").take(rows), minlength=h.n).take(hh_rows)


def household_means(state: State) -> tuple[np.ndarray, np.ndarray]:
    """Per household slot: total income of its members (EUR/yr) and its number of adults."""
    f = household_facts(state)
    return f["income"], f["adults"]


def core_limit(model, adults: np.ndarray) -> np.ndarray:
    """130 % of the social minimum for each household (by number of adults), in the model's year."""
    inc = model.scenario.income
    f = income_limit_factor(model, inc.income_limits_year)
    return np.where(adults <= 1, inc.social_minimum_130_single_eur, inc.social_minimum_130_multi_eur) * f


def daeb_limit(model, size: np.ndarray) -> np.ndarray:
    """Social-rent income limit for each household (by size), in the model's year."""
    inc = model.scenario.income
    f = income_limit_factor(model, inc.daeb_limits_year)
    return np.where(size <= 1, inc.daeb_income_limit_single_eur, inc.daeb_income_limit_multi_eur) * f


def gas_m3(model, dwelling_rows: np.ndarray) -> np.ndarray:
    """Yearly gas use of dwellings (m3)."""
    d = model.state.dwellings
    return (model.scenario.energy.gas_m3_per_ep2_kwh * d.ep2_kwh_m2[dwelling_rows].astype(float)
            * d.floor_area_m2[dwelling_rows])


def heat_price_factor(model, dwelling_rows: np.ndarray):
    """Price of heat relative to the gas price: the corporation's tariff share for homes connected to its
    supply (model.corporation_levers.CorporationEnergy), 1 elsewhere (a scalar 1.0 when none is connected)."""
    connected = model.state.dwellings.energy_connected[dwelling_rows]
    if not connected.any():
        return 1.0
    return np.where(connected, model.scenario.corporation_energy.corp_energy_tariff_share, 1.0)


def energy_cost_eur(model, dwelling_rows: np.ndarray) -> np.ndarray:
    """Yearly energy cost of living in the dwellings (gas or heat, and electricity) at the model year's prices."""
    e = model.scenario.energy
    return (gas_m3(model, dwelling_rows) * path_value(e.gas_price_eur_m3, model.year)
            * heat_price_factor(model, dwelling_rows)
            + e.electricity_kwh_per_household * path_value(e.electricity_price_eur_kwh, model.year))


def yearly_means(model) -> None:
    """Index incomes, add savings, repay mortgages."""
    st, sc = model.state, model.scenario
    p, h = st.persons, st.households
    g = sc.income.wage_growth_per_year
    inc = p.col("income_eur")
    np.multiply(inc, 1.0 + g, out=inc, where=p.peek("alive"))  # in place where alive: no gather and scatter
    st.median_income_eur *= 1.0 + g
    income, adults = household_means(st)
    # over all slots, written where alive (and owner): the same values as at the alive rows, without gathers
    alive = h.peek("alive")
    surplus = np.maximum(income - core_limit(model, adults), 0.0)
    savings = h.col("savings_eur")
    np.add(savings, sc.income.savings_rate * surplus, out=savings, where=alive)
    years_left = np.maximum(sc.stock.mortgage_term_years - (model.year - h.peek("moved_in_year")), 1.0)
    mortgage = h.col("mortgage_eur")
    np.subtract(mortgage, mortgage / years_left, out=mortgage, where=alive & (h.peek("tenure") == OWNER))


def national_price_growth(model) -> float:
    """Growth of the national house-price index in the model's year (scenario input)."""
    m = model.scenario.market
    return path_value(m.national_price_growth, model.year)
