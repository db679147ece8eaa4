"""The housing market (process 3): prices, moves of existing households, unsellable homes.

Per year, after incomes:

1. **Prices** per municipality x segment (dwelling type): every value follows the national price index
   (scenario input), its own condition (``condition_value_weight`` x its change since the last update),
   and a local adjustment driven by excess supply,
   ``-price_vacancy_elasticity x (vacancy rate of owner-occupied homes for sale - natural_vacancy_rate)``,
   clipped to +-``max_local_price_change``; homes for sale longer than a year lose ``vacant_value_loss`` a
   year on top. Prices therefore fall relative to the national index where vacancy rises.
2. **Moves** within a municipality: elderly households (a member 75+) in a home that is not lifetime-proof
   move to a vacant lifetime-proof one, and crowded families move to a larger one, if they can afford it:
   owners sell their home (its value minus their mortgage becomes their means; owners under water cannot
   borrow and can only rent), buyers finance with savings and a mortgage up to ``max_price_to_income``.
   The home they leave becomes vacant and for sale or to let.
3. **Unsellable** homes: owner-occupied homes for sale without a buyer for ``unsellable_after_years``.

Matching is vectorised: households pick at random among the vacant homes they can afford and that fit
their need; collisions are resolved in a few rounds (``model.allocation``). Every purchase is counted with
its price (``purchases``, ``purchase_value_eur``); a buyer's savings and mortgage change by exactly the
price paid.
"""

from __future__ import annotations

import numpy as np

from . import kernels_stock
from .allocation import attractiveness_of, match_free, purchase
from .data import MUNICIPALITY_CODES
from .income import household_facts, national_price_growth
from .state import (
    OCCUPIED,
    OTHER_UNIT,
    OWNER,
    OWNER_OCCUPIER,
    VACANT,
    for_rent_mask,
    for_sale_mask,
    tenure_in,
)

N_MUN = len(MUNICIPALITY_CODES)
N_SEG = kernels_stock.N_SEG  # segments: terraced, semi-detached, detached, apartment


def for_sale_vacancy(model) -> np.ndarray:
    """Vacancy rate of owner-occupied homes per municipality x segment, shape (6, 4)."""
    total, vacant = kernels_stock.for_sale_counts(model.state.dwellings)
    return (vacant / np.maximum(total, 1)).reshape(N_MUN, N_SEG)


def update_prices(model) -> None:
    """Values follow the national index and the local excess supply of their municipality x segment.

    Two passes over the stock (model.kernels_stock): the vacancy of the homes for sale, then the new values."""
    d = model.state.dwellings
    mk = model.scenario.market
    local = -mk.price_vacancy_elasticity * (for_sale_vacancy(model) - mk.natural_vacancy_rate)
    local = np.clip(local, -mk.max_local_price_change, mk.max_local_price_change)
    model.local_price_change = local
    # value x national index x local[mun, min(type, 3)], less vacant_value_loss for homes for sale longer than a
    # year, and following the dwelling's own condition since the last update (label changes are priced where
    # renovations happen, model.renovation)
    kernels_stock.reprice(d.peek("alive"), d.peek("in_stock"), d.peek("municipality"), d.peek("type"),
                          d.peek("status"), d.peek("years_vacant"), d.peek("condition"), d.col("priced_condition"),
                          d.col("value_eur"), local, 1.0 + national_price_growth(model), mk.vacant_value_loss,
                          mk.condition_value_weight)


def _move(model, movers: np.ndarray, targets: np.ndarray, tenure: np.ndarray) -> None:
    """Move households (rows) into vacant dwellings (rows) with their new ``tenure`` (tenure_in of the targets
    before a sale changes their owner); their old home becomes vacant."""
    h, d = model.state.households, model.state.dwellings
    old = d.rows(h.dwelling_id[movers])
    outside = d.type[old] == OTHER_UNIT
    d.col("household_id")[old] = -1
    d.col("status")[old[~outside]] = VACANT
    d.col("years_vacant")[old[~outside]] = 0
    d.remove_rows(old[outside])
    d.col("status")[targets] = OCCUPIED
    d.col("household_id")[targets] = h.id[movers]
    d.col("years_vacant")[targets] = 0
    h.col("dwelling_id")[movers] = d.id[targets]
    h.col("moved_in_year")[movers] = model.year + 1
    h.col("tenure")[movers] = tenure


def moves(model) -> None:
    """Elderly households to lifetime-proof homes, crowded families to larger ones (within a municipality)."""
    st = model.state
    h, d = st.households, st.dwellings
    mk, hp = model.scenario.market, model.scenario.housing
    mk_choices = hp.choice_set_size
    facts = household_facts(st)
    income, size = facts["income"], facts["size"]
    # the elderly in a home that is not lifetime-proof and the crowded families that want to move, by their
    # draw (counter-based: a household's draw does not depend on which others draw); one compiled pass
    movers, mhome, need_lp = kernels_stock.movers(
        h.peek("alive"), facts["oldest"], size, h.peek("dwelling_id"), h.peek("key"), d.row_of, d.next_id,
        d.peek("in_stock"), d.peek("lifetime_proof"), d.peek("floor_area_m2"), mk.crowded_m2_per_person,
        mk.elderly_move_rate, mk.family_move_rate, *model.streams.salts("market", model.year))
    if movers.size == 0:
        return
    owners = h.tenure[movers] == OWNER
    value = d.value_eur[mhome]
    # the renovation loan (Energiebespaarlening) is repaid when the home is sold, like the mortgage
    debt = h.mortgage_eur[movers] + h.renovation_loan_eur[movers]
    equity = np.where(owners, value - debt, 0.0)
    under_water = owners & (equity < 0)
    means = h.savings_eur[movers] + np.maximum(equity, 0.0)
    borrow = np.where(under_water, 0.0, hp.max_price_to_income * income[movers])
    budget = means + borrow
    need_area = np.where(need_lp, 0.0, mk.crowded_m2_per_person * size[movers] * 1.2)
    # the vacant homes of the stock, not written off (ascending rows), and what the groups read of them, found
    # once (each element depends on its own home only: the sales in the loop change only their targets, which
    # leave ``free``, and the moves themselves, _move, wait until all groups are matched, in one call)
    # (in one compiled pass over the slots, kernels_stock.vacant_homes, when numba is in use)
    homes = kernels_stock.vacant_homes(
        d.peek("alive"), d.peek("in_stock"), d.peek("status"), d.peek("written_off"), d.peek("owner"),
        d.peek("fund_status"), d.peek("municipality"), d.peek("lifetime_proof"), d.peek("floor_area_m2"),
        d.peek("value_eur"), d.peek("last_sale_year"), model.year)
    if homes is not None:
        vacant, vacant_mun, lifetime_proof, area, for_rent, on_sale, value_v, tenure_v = homes
        for_sale = np.flatnonzero(on_sale)
    else:
        vacant = np.flatnonzero(d.alive & d.in_stock & (d.status == VACANT) & ~d.written_off)
        vacant_mun = d.peek("municipality").take(vacant)
        lifetime_proof, area = d.peek("lifetime_proof").take(vacant), d.peek("floor_area_m2").take(vacant)
        for_rent = for_rent_mask(d, vacant)
        for_sale = np.flatnonzero(for_sale_mask(d, vacant) & (d.last_sale_year[vacant] != model.year))
        on_sale = np.zeros(vacant.size, dtype=bool)
        on_sale[for_sale] = True
        value_v = np.zeros(vacant.size)
        value_v[for_sale] = d.value_eur[vacant.take(for_sale)]
        tenure_v = tenure_in(d, vacant)  # before a sale changes the owner
    score_v = np.zeros(vacant.size)
    score_v[for_sale] = attractiveness_of(model, vacant.take(for_sale), value_v.take(for_sale))
    # the groups matched (movers as positions in ``movers``, targets as positions in ``vacant``, buyers or
    # renters), in order: settled after the loop
    matched = []
    mover_mun = h.municipality[movers]
    for m in np.unique(mover_mun):
        rng = model.streams.generator("market", model.year, sub=int(m))
        sel = np.flatnonzero(mover_mun == m)
        free = np.flatnonzero(vacant_mun == m)  # positions in vacant, ascending
        for group in (sel[need_lp[sel]], sel[~need_lp[sel]]):
            if group.size == 0 or free.size == 0:
                continue
            if need_lp[group[0]]:
                cand = free[lifetime_proof.take(free)]
            else:
                cand = free[area.take(free) >= np.min(need_area[group])]
            if cand.size == 0:
                continue
            # renters take a vacant rented home; buyers an owner-occupied one within budget
            rent_c = cand[for_rent.take(cand)]
            own_c = cand[on_sale.take(cand)]
            got = (match_free(rng, budget[group], value_v.take(own_c), score_v.take(own_c), mk_choices)
                   if own_c.size else np.full(group.size, -1))
            buyers = group[got >= 0]
            targets = own_c[got[got >= 0]] if buyers.size else np.zeros(0, dtype=np.int64)
            rest = group[got < 0]
            k = min(rest.size, rent_c.size)
            renters, rtargets = rest[:k], rent_c[rng.permutation(rent_c.size)[:k]]
            matched += [(grp, tgt, buy) for grp, tgt, buy in ((buyers, targets, True), (renters, rtargets, False))
                        if grp.size]
            left = np.ones(free.size, dtype=bool)  # free is ascending and unique: the same as np.setdiff1d
            left[np.searchsorted(free, targets)] = False
            left[np.searchsorted(free, rtargets)] = False
            free = free[left]
    if not matched:
        return
    # settle, for all groups at once (each mover is in one group; the matching read none of this): sellers
    # receive their equity, a shortfall stays as debt; then the buyers pay, group by group in order (the sums of
    # the purchase values and the funds' sales add up group by group)
    grp = np.concatenate([g for g, _, _ in matched])
    tgt = np.concatenate([t for _, t, _ in matched])
    rows_h, rows_d = movers[grp], vacant.take(tgt)
    sold = owners[grp]
    h.col("savings_eur")[rows_h] = means[grp]
    h.col("mortgage_eur")[rows_h[sold]] = np.maximum(-equity[grp][sold], 0.0)
    h.col("renovation_loan_eur")[rows_h[sold]] = 0.0
    for g, t, buy in matched:
        if buy:
            purchase(model, movers[g], vacant.take(t))
    elderly = need_lp[grp]  # counts: integer sums, the same in one go
    for name, which in (("elderly_moves", elderly), ("family_moves", ~elderly)):
        if which.any():
            model.count_event(name, municipality=mover_mun[grp[which]])
    _move(model, rows_h, rows_d, tenure_v.take(tgt))


def unsellable_mask(model, rows: np.ndarray) -> np.ndarray:
    d = model.state.dwellings
    return ((d.owner[rows] == OWNER_OCCUPIER) & (d.status[rows] == VACANT)
            & (d.years_vacant[rows] >= model.scenario.market.unsellable_after_years))
