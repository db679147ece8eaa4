"""Finding a dwelling for a household that needs one (new households, in-migrants).

This is the simple rule the demography runs on until the housing market replaces it. Within its own
municipality a household either buys or rents a vacant dwelling of the regular stock:

* it can buy a dwelling worth at most ``max_price_to_income`` x income + savings, and prefers buying with
  probability ``buy_share_if_affordable`` when something affordable is for sale;
* buyers pick at random among the affordable vacant owner-occupied dwellings, renters among the vacant
  rented ones; a household whose preferred segment is full tries the other;
* tenure follows the dwelling's owner; a purchase is financed with a mortgage at the purchase loan-to-value.

Households that find nothing are reported as not housed. All draws come from the ``allocation`` stream.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels_allocation as ka
from . import kernels_stock
from .income import household_income
from .state import (
    CORPORATION_FUND,
    FUND,
    FUND_LET_TEMP,
    OCCUPIED,
    OWNER,
    PRIVATE_TENANT,
    SOCIAL_TENANT,
    VACANT,
    for_rent_mask,
    for_sale_mask,
)

_SUB = {"separation": 1, "leave_home": 2, "in_migration": 3, "tenant_moves": 4, "fund": 6}
_ROUNDS = 6


def purchase(model, hh_rows: np.ndarray, dwelling_rows: np.ndarray) -> None:
    """Households buy dwellings at their value: savings pay first, a mortgage the rest (added to any debt
    they still have). Counted as ``purchases`` and ``purchase_value_eur``. A home the Transformatiefonds
    listed is paid to the fund and becomes owner-occupied."""
    h, d = model.state.households, model.state.dwellings
    counts, sums, from_fund = kernels_stock.pay_for_homes(
        hh_rows, dwelling_rows, d.peek("value_eur"), d.peek("owner"), d.peek("municipality"), h.col("savings_eur"),
        h.col("mortgage_eur"), d.col("last_sale_year"), model.year)
    if from_fund:  # (the payments change neither the owners nor the values)
        value = d.value_eur[dwelling_rows]
        for owner, seller in ((FUND, "fund"), (CORPORATION_FUND, "corporation_fund")):
            sold = d.owner[dwelling_rows] == owner
            if sold.any():
                getattr(model, seller).sold(dwelling_rows[sold], value[sold])
    model.count_event("purchases", counts)
    model.count_event("purchase_value_eur", sums)


def attractiveness(model, rows: np.ndarray) -> np.ndarray:
    """How much a buyer prefers a dwelling: minus its yearly cost of living there (energy cost plus
    ``user_cost_rate`` x value), so that at equal price a better label is preferred. Indexed by row."""
    score = np.zeros(model.state.dwellings.n)
    score[rows] = attractiveness_of(model, rows)
    return score


def attractiveness_of(model, rows: np.ndarray, value: np.ndarray | None = None) -> np.ndarray:
    """:func:`attractiveness` of the dwellings ``rows``, one per row in their order (``value``: their values,
    if the caller has them); element by element the same numbers, without an array over all dwellings."""
    from .income import energy_cost_eur

    if value is None:
        value = model.state.dwellings.value_eur[rows]
    return -(energy_cost_eur(model, rows) + model.scenario.housing.user_cost_rate * value)


def match_buyers(rng, budget: np.ndarray, free: np.ndarray, value: np.ndarray, score: np.ndarray | None = None,
                 choices: int = 1) -> np.ndarray:
    """Match buyers to affordable dwellings: returns, per buyer, the index into ``free`` or -1.

    Each buyer looks at ``choices`` random homes within its budget and bids on the one with the highest
    ``score`` (indexed by dwelling row); two bids on one home: a random bidder wins, the other tries again."""
    return match_free(rng, budget, value[free], None if score is None else score[free], choices)


def match_free(rng, budget: np.ndarray, free_value: np.ndarray, free_score: np.ndarray | None = None,
               choices: int = 1) -> np.ndarray:
    """:func:`match_buyers` with the values and scores of the free homes given in their order (one per home).

    The rounds run in one compiled loop (model/kernels_allocation.py) when numba is in use, else in numpy
    (:func:`_match_numpy`); both draw the same random numbers and give the same matches."""
    if not ka.use_compiled(budget.size + free_value.size):
        return _match_numpy(rng, budget, free_value, free_score, choices)
    by_score = free_score is not None and choices > 1
    return ka.match(rng, np.ascontiguousarray(budget, dtype=np.float64),
                    np.ascontiguousarray(free_value, dtype=np.float64),
                    np.ascontiguousarray(free_score, dtype=np.float64) if by_score else np.zeros(0), by_score,
                    max(choices, 1), _ROUNDS)


def _match_numpy(rng, budget: np.ndarray, free_value: np.ndarray, free_score: np.ndarray | None = None,
                 choices: int = 1) -> np.ndarray:
    """The numpy fallback of :func:`match_free`."""
    got = np.full(budget.size, -1, dtype=np.int64)
    order = np.argsort(free_value, kind="stable")
    avail_idx = order  # the homes still available, as indices into free, sorted by value
    avail_value = free_value[order]
    by_score = free_score is not None and choices > 1
    avail_score = free_score[order] if by_score else None
    # the buyers without a home (ascending); a buyer who cannot afford the cheapest home never will, as the
    # available homes only shrink, so it leaves the list for good
    todo, todo_budget = np.arange(budget.size), budget
    width = max(choices, 1)
    for _ in range(_ROUNDS):
        if todo.size == 0 or avail_idx.size == 0:
            break
        k = np.searchsorted(avail_value, todo_budget, side="right")
        can = k > 0
        if not can.all():
            todo, todo_budget, k = todo[can], todo_budget[can], k[can]
            if todo.size == 0:
                break
        n = todo.size
        draws = (rng.random((n, width)) * k[:, None]).astype(np.int64)
        if by_score:
            pick = draws[np.arange(n), np.argmax(avail_score[draws], axis=1)]
        else:
            pick = draws[:, 0]
        perm = rng.permutation(n)
        # the first bidder in perm order on each home wins (np.unique's return_index: a stable sort)
        bids = pick[perm]
        sort = np.argsort(bids, kind="stable")
        sorted_bids = bids[sort]
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(sorted_bids[1:], sorted_bids[:-1], out=first[1:])
        win = perm[sort[first]]
        won = pick[win]
        got[todo[win]] = avail_idx[won]
        keep = np.ones(avail_idx.size, dtype=bool)
        keep[won] = False
        avail_idx, avail_value = avail_idx[keep], avail_value[keep]
        if by_score:
            avail_score = avail_score[keep]
        lost = np.ones(n, dtype=bool)
        lost[win] = False
        todo, todo_budget = todo[lost], todo_budget[lost]
    return got


class Offer(NamedTuple):
    """The homes a household can move into (:func:`homes_on_offer`), one entry per home."""

    rows: np.ndarray  # dwelling rows, ascending
    municipality: np.ndarray
    for_sale: np.ndarray  # bool: for sale and not sold yet this year
    for_rent: np.ndarray  # bool
    value: np.ndarray  # EUR
    score: np.ndarray  # attractiveness_of the homes for sale (0 for the others, which no buyer looks at)


def homes_on_offer(model) -> Offer:
    """The dwellings a household can move into: the alive vacant dwellings of the stock (one pass over the
    slots), of which written-off homes are not for sale or to let to households (they wait for demolition or
    the fund), except those the fund lets temporarily before demolishing them; with what allocate_dwellings
    and tenant_moves read of them, found once for all municipalities (each element depends on its own home
    only). The selection and what it reads of the homes in one compiled pass when numba is in use
    (kernels_allocation.homes_on_offer)."""
    d = model.state.dwellings
    if ka.use_compiled(d.n):
        vacant, mun, value, for_sale = ka.homes_on_offer(
            d.peek("alive"), d.peek("status"), d.peek("in_stock"), d.peek("written_off"), d.peek("owner"),
            d.peek("fund_status"), d.peek("municipality"), d.peek("value_eur"), d.peek("last_sale_year"), model.year)
    else:
        vacant = np.flatnonzero(d.alive & (d.status == VACANT) & d.in_stock)
        vacant = vacant[~d.written_off[vacant] | (((d.owner[vacant] == FUND) | (d.owner[vacant] == CORPORATION_FUND))
                                                  & (d.fund_status[vacant] == FUND_LET_TEMP))]
        mun, value = d.municipality[vacant], d.value_eur[vacant]
        for_sale = for_sale_mask(d, vacant) & (d.last_sale_year[vacant] != model.year)
    score = np.zeros(vacant.size)
    sale = np.flatnonzero(for_sale)
    score[sale] = attractiveness_of(model, vacant.take(sale), value.take(sale))
    return Offer(vacant, mun, for_sale, for_rent_mask(d, vacant), value, score)


def allocate_dwellings(model, hh_rows: np.ndarray, process: str, budget: np.ndarray | None = None,
                       offer: Offer | None = None) -> np.ndarray:
    """Give each household (row) a vacant dwelling in its municipality; returns a bool mask of who got one.

    ``budget`` (EUR) is what each household can pay for a home; by default max_price_to_income x the
    income of its members + its savings. ``offer``: :func:`homes_on_offer`, if the caller has it (a caller
    that allocates municipality by municipality finds it once: an allocation changes only the homes of its
    households' municipalities)."""
    state = model.state
    h, d = state.households, state.dwellings
    hp = model.scenario.housing
    housed = np.zeros(hh_rows.size, dtype=bool)
    if hh_rows.size == 0:
        return housed
    if offer is None:
        offer = homes_on_offer(model)
    if budget is None:
        income = household_income(state, hh_rows)
        budget = hp.max_price_to_income * income + h.savings_eur[hh_rows]
    mun_h = h.municipality[hh_rows]
    dwelling = np.full(hh_rows.size, -1, dtype=np.int64)
    muns = np.unique(mun_h)
    rngs = [model.streams.generator("allocation", model.year, sub=16 * _SUB[process] + int(m)) for m in muns]
    _allocate(rngs, muns, mun_h, budget, offer, hp.buy_share_if_affordable, hp.choice_set_size, dwelling)
    housed = dwelling >= 0
    take, hr = dwelling[housed], hh_rows[housed]
    buyers = kernels_stock.move_in(take, hr, d.col("status"), d.col("household_id"), d.col("years_vacant"),
                                   d.peek("id"), h.peek("id"), h.col("dwelling_id"), h.col("tenure"),
                                   h.col("mortgage_eur"), d.peek("owner"), d.peek("fund_status"))
    purchase(model, hr[buyers], take[buyers])
    return housed


def _allocate(rngs: list, muns: np.ndarray, mun_h: np.ndarray, budget: np.ndarray, offer: Offer, share: float,
              choices: int, dwelling: np.ndarray) -> None:
    """The municipalities ``muns`` (ascending, each with its generator in ``rngs``) of allocate_dwellings: the
    households of each (positions where mun_h is it; budget and dwelling are indexed by position) get homes on
    offer in it; writes the dwelling row of each household housed. One compiled call when numba is in use
    (model/kernels_allocation.py), else numpy municipality by municipality (:func:`_allocate_numpy`); both
    draw the same random numbers and give the same homes."""
    if ka.use_compiled(mun_h.size + offer.rows.size):
        ka.allocate(rngs, muns, mun_h, np.ascontiguousarray(budget, dtype=np.float64), float(share),
                    offer.municipality, offer.for_sale, offer.for_rent, offer.rows, offer.value, offer.score,
                    choices > 1, max(choices, 1), _ROUNDS, dwelling)
        return
    for m, rng in zip(muns, rngs, strict=True):
        want = np.flatnonzero(mun_h == m)
        in_m = offer.municipality == m
        own = np.flatnonzero(in_m & offer.for_sale)
        _allocate_numpy(rng, want, budget, share, choices, offer.rows.take(own), offer.value.take(own),
                        offer.score.take(own), offer.rows[in_m & offer.for_rent], dwelling)


def _allocate_numpy(rng, want: np.ndarray, budget: np.ndarray, share: float, choices: int, own_free: np.ndarray,
                    own_value: np.ndarray, pref: np.ndarray, rent_free: np.ndarray, dwelling: np.ndarray) -> None:
    """One municipality of :func:`_allocate` in numpy: the households at positions ``want`` and the
    municipality's vacant homes for sale (rows, values, scores) and to let."""
    cheapest = own_value.min() if own_free.size else np.inf
    prefers_buy = (rng.random(want.size) < share) & (budget[want] >= cheapest)
    # buyers first, then renters, then each group tries the other segment
    got = match_free(rng, budget[want[prefers_buy]], own_value, pref, choices)
    buyers = want[prefers_buy]
    bought = got >= 0
    dwelling[buyers[bought]] = own_free[got[bought]]
    left = np.ones(own_free.size, dtype=bool)  # own_free is unique: the same as np.setdiff1d
    left[got[bought]] = False
    own_left = own_free[left]
    renters = np.concatenate([want[~prefers_buy], buyers[~bought]])
    renters = renters[rng.permutation(renters.size)]
    k = min(renters.size, rent_free.size)
    dwelling[renters[:k]] = rent_free[rng.permutation(rent_free.size)[:k]]
    still = renters[k:]
    if still.size and own_left.size:
        got = match_free(rng, budget[still], own_value[left], pref[left], choices)
        dwelling[still[got >= 0]] = own_left[got[got >= 0]]


def tenant_moves(model) -> None:
    """Tenant households that look to buy move into an affordable vacant owner-occupied dwelling of their
    municipality; the rented dwelling they leave becomes vacant."""
    state = model.state
    h, d = state.households, state.dwellings
    hp = model.scenario.housing
    # one mask over the household slots instead of gathers at the alive rows: the same rows, ascending
    tenure = h.peek("tenure")
    tenants = np.flatnonzero(h.peek("alive") & ((tenure == SOCIAL_TENANT) | (tenure == PRIVATE_TENANT)))
    u = model.streams.uniform_by_key("allocation", model.year, h.key[tenants], sub=5)
    looking = tenants[u < hp.tenant_buy_rate]
    if looking.size == 0:
        return
    income = household_income(state, looking)
    budget = hp.max_price_to_income * income + h.savings_eur[looking]
    # the vacant owner-occupied homes not sold yet this year (a home is sold at most once a year): the homes
    # on offer for sale, with their values and scores found once (each depends on its own home only)
    offer = homes_on_offer(model)
    sale = np.flatnonzero(offer.for_sale)
    own_vacant, own_mun = offer.rows.take(sale), offer.municipality.take(sale)
    own_value, own_score = offer.value.take(sale), offer.score.take(sale)
    # the moves change homes and households no later municipality looks at: done in one go after the loop
    moved, moved_to = [], []
    looking_mun = h.municipality[looking]
    for m in np.unique(looking_mun):
        free = np.flatnonzero(own_mun == m)
        if free.size == 0:
            continue
        rng = model.streams.generator("allocation", model.year, sub=16 * _SUB["tenant_moves"] + int(m))
        in_m = looking_mun == m
        got = match_free(rng, budget[in_m], own_value.take(free), own_score.take(free), hp.choice_set_size)
        movers, new = looking[in_m][got >= 0], own_vacant.take(free)[got[got >= 0]]
        if movers.size == 0:
            continue
        purchase(model, movers, new)
        moved.append(movers)
        moved_to.append(new)
    if not moved:
        return
    movers, new = np.concatenate(moved), np.concatenate(moved_to)
    old = d.rows(h.dwelling_id[movers])
    d.col("household_id")[old] = -1
    d.col("status")[old] = VACANT
    d.col("years_vacant")[old] = 0
    d.col("status")[new] = OCCUPIED
    d.col("household_id")[new] = h.id[movers]
    h.col("dwelling_id")[movers] = d.id[new]
    h.col("tenure")[movers] = OWNER
    h.col("moved_in_year")[movers] = model.year + 1
