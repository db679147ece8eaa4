"""Stock change: demolition of vacant dwellings in the worst condition, and new construction.

Until municipal construction plans and the housing market drive them, both are yearly rates per 1000
dwellings (``[stock_change]``), with defaults from the CBS stock counts 2017-2019 and the Drenthe
demolition count 2011-2019. New dwellings have label A, a type mix and floor areas as in the stock
parameters, are partly lifetime-proof and come vacant, for sale or to let.
"""

from __future__ import annotations

import numpy as np

from . import kernels_stock
from .data import MUNICIPALITY_CODES
from .state import (
    APARTMENT,
    CORPORATION,
    DEMOLISHED,
    DETACHED,
    OWNER,
    OWNER_OCCUPIER,
    PRIVATE_LANDLORD,
    SEMI_DETACHED,
    SOCIAL_TENANT,
    TERRACED,
    VACANT,
    median,
)


def demolition(model) -> np.ndarray:
    """Demolish vacant dwellings, worst condition first; returns the number per municipality."""
    d = model.state.dwellings
    sc = model.scenario.stock_change
    # selected once: a municipality's demolitions change the status of its own dwellings only
    stock, eligible, ends = kernels_stock.demolition_groups(d.peek("alive"), d.peek("in_stock"), d.peek("status"),
                                                            d.peek("owner"), d.peek("municipality"))
    rng = model.streams.generator("stock_change", model.year, sub=0)
    u = rng.random(len(MUNICIPALITY_CODES))
    done = np.zeros(len(MUNICIPALITY_CODES), dtype=np.int64)
    for m in range(len(MUNICIPALITY_CODES)):
        expected = stock[m] * sc.demolition_per_1000 / 1000.0
        k = int(expected) + int(u[m] < expected - int(expected))
        if k <= 0:
            continue
        cand = eligible[ends[m - 1] if m else 0:ends[m]]
        if cand.size == 0:
            continue
        worst = cand[np.argsort(d.condition[cand], kind="stable")[:k]]
        d.col("status")[worst] = DEMOLISHED
        done[m] = worst.size
    return done


def structural_vacancy_demolition(model, shrinking: np.ndarray) -> np.ndarray:
    """Corporations and landlords demolish rented homes vacant for ``structural_vacancy_years`` in
    municipalities whose population fell over the year; returns the number per municipality."""
    d = model.state.dwellings
    sc = model.scenario.stock_change
    # the few alive vacant homes first (one mask over the slots: the same rows as a selection of the alive
    # rows, ascending), then the rest of the test
    rows = np.flatnonzero(d.peek("alive") & (d.peek("status") == VACANT))
    owner = d.owner[rows]
    rows = rows[d.in_stock[rows] & ((owner == CORPORATION) | (owner == PRIVATE_LANDLORD))
                & (d.years_vacant[rows] >= sc.structural_vacancy_years)]
    rows = rows[shrinking[d.municipality[rows]]]
    d.col("status")[rows] = DEMOLISHED
    return np.bincount(d.municipality[rows], minlength=len(MUNICIPALITY_CODES))


def corporation_sales(model) -> np.ndarray:
    """Corporations sell homes to sitting tenants who can afford them; returns the number per municipality."""
    from .allocation import purchase
    from .income import household_means

    st = model.state
    h, d = st.households, st.dwellings
    sc, hp = model.scenario.stock_change, model.scenario.housing
    # one mask over the household slots instead of gathers at the alive rows: the same rows, ascending
    tenants = np.flatnonzero(h.peek("alive") & (h.peek("tenure") == SOCIAL_TENANT))
    u = model.streams.uniform_by_key("stock_change", model.year, h.key[tenants], sub=2)
    tenants = tenants[u < sc.corporation_sale_rate]
    income, _ = household_means(st)
    home = d.rows(h.dwelling_id[tenants])
    corp = d.owner[home] == CORPORATION  # tenants of the fund rent from the fund, not a corporation
    tenants, home = tenants[corp], home[corp]
    can = hp.max_price_to_income * income[tenants] + h.savings_eur[tenants] >= d.value_eur[home]
    buyers, home = tenants[can], home[can]
    d.col("owner")[home] = OWNER_OCCUPIER
    h.col("tenure")[buyers] = OWNER
    # the mortgage runs from the purchase (income.yearly_means repays it over the term from moved_in_year)
    h.col("moved_in_year")[buyers] = model.year + 1
    purchase(model, buyers, home)
    return np.bincount(d.municipality[home], minlength=len(MUNICIPALITY_CODES))


def construction(model) -> np.ndarray:
    """Add new dwellings (vacant); returns the number per municipality."""
    st = model.state
    d = st.dwellings
    s, sc = model.scenario.stock, model.scenario.stock_change
    # grouped once (kernels_stock.stock_groups): the homes added for one municipality are not among the rows
    # of the next, and a municipality's groups of rows and values are in row order, as selecting them one
    # municipality and type at a time
    by_mun, ends, vacant, by_type, cell_ends = kernels_stock.stock_groups(
        d.peek("alive"), d.peek("in_stock"), d.peek("status"), d.peek("municipality"), d.peek("type"),
        d.peek("value_eur"))
    built = np.zeros(len(MUNICIPALITY_CODES), dtype=np.int64)
    for m, code in enumerate(MUNICIPALITY_CODES):
        mine = by_mun[ends[m - 1] if m else 0:ends[m]]
        if mine.size == 0:
            continue
        plan = sc.construction_plans.get(code, {}).get(model.year)
        if plan is not None:
            expected = plan * model.scenario.run.scale
        elif vacant[m] / mine.size >= sc.construction_vacancy_ceiling:  # (np.mean of the mask)
            continue
        else:
            expected = mine.size * sc.new_construction_per_1000[code] / 1000.0
        rng = model.streams.generator("stock_change", model.year, sub=1 + m)
        k = int(expected) + int(rng.random() < expected - int(expected))
        if k == 0:
            continue
        is_apt = rng.random(k) < sc.new_build_apartment_share
        sf = rng.choice([TERRACED, SEMI_DETACHED, DETACHED], size=k, p=np.array(s.single_family_type_shares))
        dtype = np.where(is_apt, APARTMENT, sf).astype(np.int8)
        area = np.array(s.floor_area_median_m2)[dtype] * rng.lognormal(0.0, s.floor_area_sigma, k)
        # value: median value of the type in the municipality, with a new-build premium (median partitions
        # its own cell of by_type)
        value = np.empty(k)
        for t in np.unique(dtype):
            c = m * kernels_stock.N_CODES + int(t)
            same = by_type[cell_ends[c - 1] if c else 0:cell_ends[c]]
            base = median(same) if same.size else median(d.value_eur[mine])
            value[dtype == t] = base * np.exp(sc.new_build_value_premium)
        wijk = rng.choice(mine.size, size=k)
        d.add(k, municipality=m, wijk=d.wijk[mine[wijk]], type=dtype, built_year=model.year,
              floor_area_m2=area, ep2_kwh_m2=sc.new_build_ep2_kwh_m2 * rng.lognormal(0.0, 0.1, k),
              condition=1.0, lifetime_proof=rng.random(k) < sc.new_build_lifetime_proof_share,
              owner=np.where(rng.random(k) < sc.new_build_owner_share, OWNER_OCCUPIER, CORPORATION),
              status=VACANT, value_eur=value, years_vacant=0, household_id=-1, in_stock=True,
              priced_condition=1.0)
        built[m] = k
    return built
