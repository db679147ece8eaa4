"""Maintenance and decay, owner renovation and adaptation, renovation of rented stock (processes 4-6).

Per year, after the housing market:

4. :func:`maintenance` — every dwelling of the stock loses condition, faster when old or vacant; owners
   with the means (savings above the year's maintenance cost plus a reserve) maintain and regain part of
   what their home lacks, paying from savings; low-income owners do so less often and fall behind;
   corporations and private landlords maintain at a rate (homes of the Transformatiefonds are left to the
   fund's own process). A dwelling whose condition falls below ``write_off_condition`` is written off
   (``written_off``): a state that lasts until it is demolished or rehabilitated (by a later process that
   sets the condition and clears the flag).
5. :func:`owner_renovation` — owner-occupiers repay their renovation loans; then each may improve its
   energy label by one step (to just inside the next better label) or, from label D or worse, by a deep
   renovation to label B; and a household with a member 65+ in a home that is not lifetime-proof may
   adapt it. See :class:`model.params.RenovationParams` for the decision; :func:`household_levers` gives
   the policy levers (grants, loans, outreach, collective procurement) per household, the place where a
   policy can set them per municipality or wijk.
6. :func:`corporation_renovation` — corporations renovate their worst dwellings toward a label target
   (and all E-G before a deadline), private landlords at a lower rate.

Every random draw is a per-entity uniform (:meth:`model.streams.Streams.uniform_by_key`) of the
``maintenance``, ``renovation`` or ``corporations`` stream, so a household's decision depends only on its
own state and the scenario: with the same seed, a higher grant or gas price makes no household that
renovated in the lower one abstain (common random numbers). Written-off homes are neither maintained nor
renovated by their owners.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import kernels_renovation
from .data import MUNICIPALITY_CODES
from .income import (
    core_limit,
    daeb_limit,
    heat_price_factor,
    household_facts,
    income_limit_factor,
    label_index,
    path_value,
)
from .state import (
    APARTMENT,
    EP2_BOUNDS,
    PERIOD_STARTS,
    label_of,
)

N_MUN = len(MUNICIPALITY_CODES)
#: A fixed draw per dwelling (what its stair and bathroom need): year 0 of the renovation stream.
_FIXED_YEAR = 0
_SUB_DECIDE, _SUB_DEPTH, _SUB_ADAPT, _SUB_CURVED, _SUB_BATH = 1, 2, 3, 10, 11


# -- shared helpers ------------------------------------------------------------------------------------
def _period(built_year: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(np.array(PERIOD_STARTS), built_year, side="right") - 1, 0, len(PERIOD_STARTS) - 1)


def renovation_cost_eur(model, drow: np.ndarray, ep2_from: np.ndarray, ep2_to: np.ndarray) -> np.ndarray:
    """Cost of lowering the dwellings' EP2 from ``ep2_from`` to ``ep2_to`` (before grants and discounts):
    the reduction within each label band x floor area x that band's cost, by type and construction period,
    plus a fixed cost; 0 where nothing changes."""
    return _cost_to(model, _cost_basis(model, drow, ep2_from), ep2_to)


def band_cost_curve(cost_per_kwh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cumulative cost curve of the label bands: C(x) = at[j] + slope[j] * (x - anchor[j]) for x in band j
    (A = 0 .. G = 6; band j starts at EP2_BOUNDS[j - 1]), anchored at C(EP2_BOUNDS[0]) = 0, so that the cost
    per m2 of lowering EP2 from e to t (t < e) is C(e) - C(t): the sum over the bands of the reduction within
    each band times its cost. ``at`` is added up band after band, left to right (model.renovation and the
    reference in benchmarks/reference compute it the same way)."""
    slope = np.asarray(cost_per_kwh, dtype=float)
    anchor = np.concatenate([[EP2_BOUNDS[0]], EP2_BOUNDS])
    at = [0.0, 0.0]
    for j in range(1, len(EP2_BOUNDS)):
        at.append(at[-1] + float(slope[j]) * (float(EP2_BOUNDS[j]) - float(EP2_BOUNDS[j - 1])))
    return np.array(at), slope, anchor


def _band_cost(curve, x: np.ndarray) -> np.ndarray:
    """C(x) of band_cost_curve for an array of EP2 values."""
    at, slope, anchor = curve
    j = np.searchsorted(EP2_BOUNDS, x, side="right")
    return at.take(j) + slope.take(j) * (x - anchor.take(j))


def _cost_basis(model, drow: np.ndarray, ep2_from: np.ndarray) -> tuple:
    """The parts of renovation_cost_eur that do not depend on the target (shared by the options of one
    decision): the cost curve, C(ep2_from), the floor area and the type x period factor."""
    rp = model.scenario.renovation
    d = model.state.dwellings
    curve = band_cost_curve(rp.renovation_cost_eur_per_kwh)
    factor = (np.array(rp.renovation_cost_type_factor)[np.minimum(d.type[drow], APARTMENT)]
              * np.array(rp.renovation_cost_period_factor)[_period(d.built_year[drow])])
    return curve, _band_cost(curve, np.asarray(ep2_from, dtype=float)), d.floor_area_m2[drow], factor


def _cost_to(model, basis, ep2_to: np.ndarray) -> np.ndarray:
    rp = model.scenario.renovation
    curve, c_from, area, factor = basis
    per_m2 = np.maximum(c_from - _band_cost(curve, np.asarray(ep2_to, dtype=float)), 0.0)
    cost = per_m2 * area * factor
    return np.where(cost > 0, cost + rp.renovation_fixed_cost_eur, 0.0)


def gas_saving_eur(model, drow: np.ndarray, ep2_from: np.ndarray, ep2_to: np.ndarray) -> np.ndarray:
    """Yearly saving on gas (EUR, at the model year's price) of lowering EP2 (as energy_cost_eur)."""
    e = model.scenario.energy
    d = model.state.dwellings
    m3 = e.gas_m3_per_ep2_kwh * (np.asarray(ep2_from, dtype=float) - ep2_to) * d.floor_area_m2[drow]
    return m3 * path_value(e.gas_price_eur_m3, model.year) * heat_price_factor(model, drow)


def capital_recovery(rate: np.ndarray | float, years: float) -> np.ndarray:
    """Yearly payment per EUR over ``years`` at ``rate`` (1/years at rate 0)."""
    r = np.asarray(rate, dtype=float)
    safe = np.where(r > 1e-9, r, 1.0)
    return np.where(r > 1e-9, safe / (1.0 - (1.0 + safe) ** -years), 1.0 / years)


def _by_municipality(table: dict, n: int, mun) -> np.ndarray:
    """A lever by municipality at each of ``n`` households: ``mun()`` gives their municipalities, asked for only
    where the lever differs between municipalities."""
    values = np.array([table[c] for c in MUNICIPALITY_CODES], dtype=float)
    if (values == values[0]).all():  # the same everywhere: no gather
        return np.broadcast_to(values[0], (n,))
    return values[mun()]


def household_levers(model, hrow: np.ndarray) -> dict[str, np.ndarray]:
    """The policy levers that apply to each owner household (rows): national instruments from the scenario,
    local ones by municipality. A policy (proeftuin per wijk, roll-out) changes these arrays by replacing them:
    a lever with the same value for every household is a read-only view of that value (np.broadcast_to)."""
    rp = model.scenario.renovation
    n = hrow.size
    gathered = []

    def mun():  # the households' municipalities, gathered once where a lever needs them
        if not gathered:
            gathered.append(model.state.households.peek("municipality").take(hrow))
        return gathered[0]

    def same(value):
        return np.broadcast_to(np.asarray(value), (n,))

    return dict(
        isde_grant_share=same(rp.isde_grant_share),
        isde_deep_grant_share=same(rp.isde_deep_grant_share),
        warmtefonds_income_limit_eur=same(rp.warmtefonds_income_limit_eur
                                          * income_limit_factor(model, rp.warmtefonds_price_year)),
        warmtefonds_max_loan_eur=same(rp.warmtefonds_max_loan_eur),
        no_capacity_loan_eur=same(rp.no_capacity_loan_eur),
        outreach_multiplier=_by_municipality(rp.outreach_multiplier, n, mun),
        collective_discount=_by_municipality(rp.collective_discount, n, mun),
        local_grant_eur=_by_municipality(rp.local_grant_eur, n, mun),
        adaptation_grant_eur=_by_municipality(rp.adaptation_grant_eur, n, mun),
        # set by a proeftuin (model.policies.proeftuin_levers) in its wijken; neutral elsewhere
        proeftuin_grant_eur=same(0.0),
        proeftuin_adaptation_grant_eur=same(0.0),
        procurement_cost_eur=same(0.0),
        zero_interest=same(False),
    )


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


# -- 4. maintenance and decay ------------------------------------------------------------------------
def maintenance(model) -> None:
    """Condition declines with age; owners with means maintain; homes below a threshold are written off.

    In compiled passes over the dwelling slots and the owners (model.kernels_renovation.maintain, which finds
    the stock and draws its uniforms itself): an owner maintains with probability maintenance_prob_owner x its
    income factor (if it has the means), so one whose draw is not below that with the highest factor is not
    looked at."""
    st, mp = model.state, model.scenario.maintenance
    d, h = st.dwellings, st.households
    facts = household_facts(st)
    one_two = np.array([1, 2])  # the limits for one adult (person) and for more
    # the stock's rows and their draws (uniform_by_key of the homes' keys) are found in the same pass
    maintained, owner_eur, newly, n_rows = kernels_renovation.maintain(
        d.peek("alive"), d.peek("in_stock"), d.peek("key"), model.streams.salts("maintenance", model.year),
        model.year, d.peek("built_year"), d.peek("status"), d.col("condition"), d.peek("floor_area_m2"),
        d.peek("owner"), d.col("written_off"), d.peek("household_id"), d.peek("municipality"), h.row_of,
        h.col("savings_eur"), facts["income"], facts["adults"], facts["size"], core_limit(model, one_two),
        daeb_limit(model, one_two), mp)
    if n_rows == 0:
        return
    model.count_event("maintained_dwellings", maintained)
    model.count_event("maintenance_owner_eur", owner_eur)
    model.count_event("written_off_new", newly)


# -- 5. owner renovation and adaptation --------------------------------------------------------------
def repay_renovation_loans(model) -> None:
    """Renovation loans are repaid linearly over ``renovation_loan_term_years`` from the last loan, out of
    savings as far as they go (what savings cannot pay is carried, as repayment by ability to pay)."""
    h = model.state.households
    rp = model.scenario.renovation
    # one mask over the slots instead of gathering the loans at the alive rows: the same rows, ascending
    rows = np.flatnonzero(h.peek("alive") & (h.peek("renovation_loan_eur") > 0))
    if rows.size == 0:
        return
    kernels_renovation.repay_loans(rows, h.col("savings_eur"), h.col("renovation_loan_eur"),
                                   h.peek("renovation_loan_year"), rp.renovation_loan_term_years, model.year)


class FactsAt(Mapping):
    """household_facts at some household rows, one array per fact as ``{k: v.take(rows)}`` has them, each taken
    when it is asked for and not kept: only the facts in use are in memory, not the five arrays of all owners
    through the whole of owner_renovation (at national scale 330 MB at the peak of its first year, where the
    process's heap grows to and every new page costs its first touch). :meth:`at` gives the facts at positions
    of these rows."""

    def __init__(self, facts: Mapping, rows: np.ndarray):
        self._facts, self._rows = facts, rows

    def __getitem__(self, k: str) -> np.ndarray:
        return self._facts[k].take(self._rows)

    def __iter__(self):
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def at(self, positions: np.ndarray) -> FactsAt:
        return FactsAt(self._facts, self._rows.take(positions))

    def per_row(self) -> tuple[Mapping, np.ndarray]:
        """The facts per household slot and the rows: position j's facts are at row ``rows[j]``."""
        return self._facts, self._rows


def owner_renovation(model) -> None:
    """Owner-occupiers improve their label by one or more steps, or make their home lifetime-proof."""
    st = model.state
    h, d = st.households, st.dwellings
    repay_renovation_loans(model)
    hrow, drow = kernels_renovation.owner_homes(h.peek("alive"), h.peek("tenure"), h.peek("dwelling_id"), d.row_of,
                                                d.peek("in_stock"), d.peek("owner"), d.peek("written_off"))
    if hrow.size == 0:
        return
    facts = FactsAt(household_facts(st), hrow)
    base = household_levers(model, hrow)
    from .policies import proeftuin_levers

    levers, support = proeftuin_levers(model, hrow, drow, facts, base)
    energy_renovation(model, hrow, drow, facts, levers, support, base)
    adaptation(model, hrow, drow, facts, levers, support, base)


def _paid_by_proeftuin(model, go, support, cost, keys):
    """Of the households that decided to go (mask) with a proeftuin's support, those whose proeftuin budget
    pays ``cost``; the others are returned for a decision without the proeftuin's money."""
    paid = np.zeros(go.size, dtype=bool)
    if support is None:
        return paid, np.zeros(go.size, dtype=bool)
    asked = go & (support >= 0) & (cost > 0)
    for pt in model.proeftuinen:
        sel = np.flatnonzero(asked & (support == pt.m))
        if sel.size:
            paid[sel] = pt.charge(cost[sel], keys[sel])
    return paid, asked & ~paid


def _loan_subsidy(model, loan, subsidised):
    """A proeftuin's zero-interest loan: it pays the present value of the interest the owner would have paid."""
    rp = model.scenario.renovation
    if not subsidised.any():
        return np.zeros(loan.size)
    return np.where(subsidised, loan * (1.0 - 1.0 / (capital_recovery(rp.warmtefonds_interest_rate,
                                                                      rp.renovation_loan_term_years)
                                                     * rp.renovation_loan_term_years)), 0.0)


#: The rows of the outreach multiplier and the procurement cost among the levers of the decision.
_OUTREACH = kernels_renovation.DECIDE_LEVERS.index("outreach_multiplier")
_PROCUREMENT = kernels_renovation.DECIDE_LEVERS.index("procurement_cost_eur")

#: The fields of a decision, per household that goes (see _energy_decide).
_DECISION_FIELDS = ("target", "cost", "grant", "own", "loan", "pt_grant", "subsidy", "deep", "low", "label",
                    "pt_cost")


#: Relative margin of the upper bound of the renovation probability (_energy_decide): far above the rounding
#: of the few operations between the bound and the probability itself.
_BOUND_MARGIN = 1e-6
#: Whether _energy_decide costs the options only below the bound (False: for every household; the same
#: decisions, which tests/test_renovation_shortcuts.py checks).
_USE_BOUND = True


def _bound_applies(rp) -> bool:
    """Whether the upper bound of the renovation probability of _energy_decide holds (a hassle cost of at least
    1 EUR, a benefit-cost ratio that does not lower the probability, a positive capital recovery factor)."""
    crf_own = capital_recovery(rp.renovation_discount_rate, rp.renovation_lifetime_years)
    return _USE_BOUND and rp.renovation_hassle_eur >= 1.0 and rp.renovation_bcr_weight >= 0 and float(crf_own) > 0


def _may_renovate(model, hrow, drow, facts, levers) -> np.ndarray:
    """The positions of the owner households (rows, in dwellings ``drow``; ``facts`` and ``levers`` at the same
    positions) that _energy_decide needs to look at: those in label B-G homes and, where its bound applies,
    of those only the ones whose draw is below it (the same bound, with the same margins, in one pass:
    model.kernels_renovation.may_renovate). The others do not renovate."""
    d = model.state.dwellings
    rp, e = model.scenario.renovation, model.scenario.energy
    if not _bound_applies(rp):
        return np.flatnonzero(label_index(d.ep2_kwh_m2[drow]) >= 1)
    h = model.state.households
    deep_label = label_of(np.full(1, rp.deep_renovation_ep2_kwh_m2))[0]
    prm = np.array([rp.renovation_ep2_margin_kwh_m2, rp.deep_renovation_ep2_kwh_m2, deep_label,
                    e.gas_m3_per_ep2_kwh, path_value(e.gas_price_eur_m3, model.year),
                    model.scenario.corporation_energy.corp_energy_tariff_share, 1.0 / rp.renovation_hassle_eur,
                    rp.renovation_moved_in_weight, rp.renovation_retired_weight, rp.renovation_age_weight,
                    rp.renovation_low_income_weight, rp.renovation_core_income_weight, _BOUND_MARGIN,
                    rp.renovation_intercept, rp.renovation_bcr_weight], dtype=np.float64)
    one_two = np.array([1, 2])  # the limits for one adult (person) and for more
    # the facts as the kernel reads them, position j's at fact_rows[j]: per household slot at the owners' rows
    # (no gathers of all owners' facts), else per position
    facts, fact_rows = facts.per_row() if isinstance(facts, FactsAt) else (facts, np.arange(hrow.size))
    return kernels_renovation.may_renovate(
        hrow, drow, d.peek("ep2_kwh_m2"), d.peek("floor_area_m2"), d.peek("energy_connected"),
        h.peek("moved_in_year"), facts["income"], facts["adults"], facts["size"], facts["head_age"], fact_rows,
        levers["outreach_multiplier"], h.peek("key"), model.streams.salts("renovation", model.year, _SUB_DECIDE),
        model.year, prm, core_limit(model, one_two),
        daeb_limit(model, one_two), EP2_BOUNDS)


def _energy_decide(model, hrow, drow, facts, levers, at=None, bounded=False) -> dict:
    """The label decision of owner households (rows) in their dwellings (rows) with the given levers:
    per household whether it renovates (``go``, a mask) and, for those that do (``idx``, the positions where
    ``go``), how (see RenovationParams): the arrays of _DECISION_FIELDS, one value per position of ``idx``.
    With ``at``, the households' facts and levers are those at positions ``at`` of the arrays given.

    Most households do not renovate in a year. The probability needs the benefit-cost ratio of both options
    (costs, grants, financing), but it cannot exceed the probability computed with the ratio's upper bound
    saving / hassle (the yearly cost of a renovation is not negative): the options are costed only for the
    households whose draw falls below that bound with a margin (_may_renovate); for the others the draw decides
    no. ``bounded``: the households are already those below the bound, which is not computed again. The options
    are costed in one pass (model.kernels_renovation.energy_options); numpy takes the logarithm and the
    logistic."""
    rp, e = model.scenario.renovation, model.scenario.energy
    h, d = model.state.households, model.state.dwellings
    if at is not None:
        facts = facts.at(at) if isinstance(facts, FactsAt) else {k: v.take(at) for k, v in facts.items()}
    if not isinstance(facts, FactsAt):  # (FactsAt: the facts stay per household slot, read at the rows)
        facts = {k: facts[k] for k in ("income", "adults", "size", "head_age")}
    n = hrow.size
    # the levers at the positions, one row each (a lever with one value for all, a read-only broadcast, filled)
    lev = np.empty((len(kernels_renovation.DECIDE_LEVERS), n))
    for i, k in enumerate(kernels_renovation.DECIDE_LEVERS):
        v = levers[k]
        lev[i] = v[0] if n and v.strides == (0,) else v if at is None else v.take(at)
    sel = None
    if not bounded and _bound_applies(rp):  # the households that may go; the others do not
        sel = _may_renovate(model, hrow, drow, facts, dict(outreach_multiplier=lev[_OUTREACH]))
        hrow, drow = hrow.take(sel), drow.take(sel)
        facts = facts.at(sel) if isinstance(facts, FactsAt) else {k: v.take(sel) for k, v in facts.items()}
        lev = lev.take(sel, axis=1)
    crf_own = capital_recovery(rp.renovation_discount_rate, rp.renovation_lifetime_years)
    inc = model.scenario.income
    prm = np.array([
        rp.renovation_ep2_margin_kwh_m2, rp.deep_renovation_ep2_kwh_m2,
        label_of(np.full(1, rp.deep_renovation_ep2_kwh_m2))[0], e.gas_m3_per_ep2_kwh,
        path_value(e.gas_price_eur_m3, model.year), model.scenario.corporation_energy.corp_energy_tariff_share,
        rp.renovation_moved_in_weight, rp.renovation_retired_weight, rp.renovation_age_weight,
        rp.renovation_low_income_weight, rp.renovation_core_income_weight, rp.renovation_fixed_cost_eur,
        rp.renovation_savings_buffer_eur, rp.borrowing_income_multiple,
        rp.borrowing_income_floor_eur * income_limit_factor(model, inc.income_limits_year), rp.borrowing_ltv_max,
        rp.warmtefonds_interest_rate, crf_own, rp.renovation_hassle_eur, model.year, APARTMENT], dtype=np.float64)
    one_two = np.array([1, 2])  # the limits for one adult (person) and for more
    facts, fact_rows = facts.per_row() if isinstance(facts, FactsAt) else (facts, np.arange(hrow.size))
    opt, usable, best, terms, label, low, subsidised = kernels_renovation.energy_options(
        hrow, drow, d.peek("ep2_kwh_m2"), d.peek("floor_area_m2"), d.peek("energy_connected"), d.peek("type"),
        d.peek("built_year"), d.peek("value_eur"), h.peek("savings_eur"), h.peek("mortgage_eur"),
        h.peek("renovation_loan_eur"), h.peek("moved_in_year"), facts["income"], facts["adults"], facts["size"],
        facts["head_age"], fact_rows, lev, prm, core_limit(model, one_two), daeb_limit(model, one_two), EP2_BOUNDS,
        band_cost_curve(rp.renovation_cost_eur_per_kwh), np.array(rp.renovation_cost_type_factor, dtype=float),
        np.array(rp.renovation_cost_period_factor, dtype=float), np.array(PERIOD_STARTS, dtype=np.int64),
        capital_recovery(np.array([0.0, rp.warmtefonds_interest_rate]), rp.renovation_lifetime_years))
    keys = h.peek("key").take(hrow)
    u = model.streams.uniform_by_key("renovation", model.year, keys, sub=_SUB_DECIDE)
    any_usable = usable[0] | usable[1]
    x = rp.renovation_intercept + rp.renovation_bcr_weight * np.log(np.where(any_usable, best, 1.0))
    for t in terms:
        x = x + t
    prob = np.where(any_usable, np.minimum(lev[_OUTREACH] * _logistic(x), 1.0), 0.0)
    idx = np.flatnonzero(u < prob)  # positions in the (selected) rows
    u_depth = model.streams.uniform_by_key("renovation", model.year, keys.take(idx), sub=_SUB_DEPTH)
    step_usable, deep_usable = usable[0].take(idx), usable[1].take(idx)
    choose_deep = deep_usable & (~step_usable | (u_depth < rp.deep_renovation_share))
    out = {k: np.where(choose_deep, opt[1, i].take(idx), opt[0, i].take(idx))
           for i, k in enumerate(kernels_renovation.OPTION_FIELDS)}
    out["subsidy"] = _loan_subsidy(model, out["loan"], subsidised.take(idx))
    out.update(deep=choose_deep, low=low.take(idx), label=label.take(idx),
               pt_cost=out["pt_grant"] + out["subsidy"] + lev[_PROCUREMENT].take(idx))
    if sel is not None:
        idx = sel.take(idx)
    out["go"] = np.zeros(n, dtype=bool)
    out["go"][idx] = True
    out["idx"] = idx
    return out


def energy_renovation(model, hrow, drow, facts, levers, support=None, base=None) -> None:
    """Owner households (rows) in label B-G homes decide on an energy renovation. Where a proeftuin supports
    a household (``support``), its budget pays the proeftuin's part; a household it can no longer pay for
    decides again without the proeftuin's money (same draws)."""
    h, d = model.state.households, model.state.dwellings
    cand = _may_renovate(model, hrow, drow, facts, levers)
    if cand.size == 0:
        return
    hrow, drow = hrow[cand], drow[cand]
    dec = _energy_decide(model, hrow, drow, facts, levers, at=cand, bounded=True)  # facts and levers: at cand
    idx = dec["idx"]  # the households that go, with their decision: dec[k] for k in _DECISION_FIELDS
    support = None if support is None else support[cand].take(idx)
    paid, refused = _paid_by_proeftuin(model, np.ones(idx.size, dtype=bool), support, dec["pt_cost"],
                                       h.key[hrow.take(idx)])
    if refused.any():
        from .policies import money_free

        pos = np.flatnonzero(refused)
        ridx = idx[pos]
        again = _energy_decide(model, hrow[ridx], drow[ridx], {k: v[cand[ridx]] for k, v in facts.items()},
                               money_free(levers, cand[ridx], base))
        keep = ~refused
        keep[pos[again["idx"]]] = True
        for k in _DECISION_FIELDS:
            dec[k] = dec[k].copy()
            dec[k][pos[again["idx"]]] = again[k]
            dec[k] = dec[k][keep]
        idx, paid = idx[keep], paid[keep]
    if idx.size == 0:
        return
    hr, dr = hrow[idx], drow[idx]
    rp = model.scenario.renovation
    new_ep2 = dec["target"]
    steps = dec["label"] - label_of(new_ep2)
    own, loan = dec["own"], dec["loan"]
    h.col("savings_eur")[hr] -= own
    h.col("renovation_loan_eur")[hr] += loan
    h.col("renovation_loan_year")[hr[loan > 0]] = model.year
    d.col("ep2_kwh_m2")[dr] = new_ep2
    d.col("value_eur")[dr] *= 1.0 + rp.renovation_value_uplift_per_step * steps
    mun = h.municipality[hr]
    with_loan = loan > 0
    model.count_event("renovations", municipality=mun)
    model.count_event("renovations_deep", municipality=mun[dec["deep"]])
    model.count_event("renovations_own_means", municipality=mun[~with_loan])
    model.count_event("renovations_with_loan", municipality=mun[with_loan])
    model.count_event("renovations_low_income", municipality=mun[dec["low"]])
    model.count_event("label_steps", municipality=mun, weights=steps.astype(float))
    model.count_event("renovation_investment_eur", municipality=mun, weights=dec["cost"])
    model.count_event("grant_eur", municipality=mun, weights=dec["grant"])
    model.count_event("renovation_loans_eur", municipality=mun, weights=loan)
    pt = paid
    if pt.any():
        m = mun[pt]
        model.count_event("proeftuin_renovations", municipality=m)
        model.count_event("proeftuin_label_steps", municipality=m, weights=steps[pt].astype(float))
        for what, col in (("pt_grant", "proeftuin_grant_eur"), ("subsidy", "proeftuin_loan_subsidy_eur")):
            model.count_event(col, municipality=m, weights=dec[what][pt])
        procurement = levers["procurement_cost_eur"][cand[idx]][pt]
        model.count_event("proeftuin_procurement_eur", municipality=m, weights=procurement)
        spent = dec["pt_cost"][pt]
        model.count_event("proeftuin_spending_eur", municipality=m, weights=spent)
        model.count_event("policy_spending_eur", municipality=m, weights=spent)


def adaptation_cost_eur(model, drow: np.ndarray) -> np.ndarray:
    """Cost of making the dwellings lifetime-proof: a stairlift (straight or curved; none in apartments),
    door widening, and for some homes an accessible bathroom. What a home needs is a fixed draw per dwelling."""
    rp = model.scenario.renovation
    d = model.state.dwellings
    keys = d.key[drow]
    curved = model.streams.uniform_by_key("renovation", _FIXED_YEAR, keys, sub=_SUB_CURVED) < rp.curved_stair_share
    bath = model.streams.uniform_by_key("renovation", _FIXED_YEAR, keys, sub=_SUB_BATH) < rp.bathroom_adaptation_share
    stair = np.where(d.type[drow] == APARTMENT, 0.0,
                     np.where(curved, rp.stairlift_curved_cost_eur, rp.stairlift_cost_eur))
    return stair + rp.door_widening_cost_eur + np.where(bath, rp.accessible_bathroom_cost_eur, 0.0)


def adaptation(model, hrow, drow, facts, levers, support=None, base=None) -> None:
    """Owner households with a member 65+ in a home that is not lifetime-proof may adapt it, with a
    probability rising with the age of the oldest member, if savings (above the buffer) and a local
    adaptation grant pay for it."""
    rp = model.scenario.renovation
    h, d = model.state.households, model.state.dwellings
    # the logistic of the age term once per age (whole years) instead of once per household
    lo = kernels_renovation.ADAPT_AGE
    oldest = facts["oldest"]
    top = int(oldest.max())
    if top < lo:
        return
    by_age = _logistic(rp.adaptation_intercept
                       + rp.adaptation_age_weight * (np.arange(lo, top + 1, dtype=oldest.dtype) - lo))
    # only a household whose draw is below its probability may adapt (the probability does not depend on the
    # proeftuin's money: a household decides again with the outreach it had): the rest is looked at for those
    cand, u = kernels_renovation.may_adapt(oldest, drow, d.peek("lifetime_proof"), hrow, h.peek("key"),
                                           levers["outreach_multiplier"], by_age,
                                           model.streams.salts("renovation", model.year, _SUB_ADAPT))
    if cand.size == 0:
        return
    hr, oldest = hrow[cand], oldest[cand]

    def probability(outreach):
        return np.minimum(outreach * by_age.take(oldest - lo), 1.0)

    dr = drow[cand]
    cost = adaptation_cost_eur(model, dr)

    def decide(lev):
        local = np.where(oldest >= rp.adaptation_grant_min_age, np.minimum(lev["adaptation_grant_eur"], cost), 0.0)
        pt_grant = np.minimum(lev["proeftuin_adaptation_grant_eur"], cost - local)
        own = cost - local - pt_grant
        feasible = own <= np.maximum(h.savings_eur[hr] - rp.renovation_savings_buffer_eur, 0.0)
        return feasible & (u < probability(lev["outreach_multiplier"])), local + pt_grant, pt_grant

    lev = {k: v[cand] for k, v in levers.items()}
    go, grant, pt_grant = decide(lev)
    paid, refused = _paid_by_proeftuin(model, go, None if support is None else support[cand], pt_grant, h.key[hr])
    if refused.any():
        from .policies import money_free

        again = decide(money_free(lev, np.arange(cand.size), {k: v[cand] for k, v in base.items()}))
        go, grant, pt_grant = (np.where(refused, a, b) for a, b in zip(again, (go, grant, pt_grant), strict=True))
    idx = np.flatnonzero(go)
    own = cost - grant
    if idx.size == 0:
        return
    h.col("savings_eur")[hr[idx]] -= own[idx]
    d.col("lifetime_proof")[dr[idx]] = True
    mun = h.municipality[hr[idx]]
    model.count_event("lifetime_proof_adaptations", municipality=mun)
    model.count_event("adaptation_investment_eur", municipality=mun, weights=cost[idx])
    model.count_event("adaptation_grant_eur", municipality=mun, weights=grant[idx])
    pt = paid[idx]
    if pt.any():
        m = mun[pt]
        model.count_event("proeftuin_adaptations", municipality=m)
        model.count_event("proeftuin_adaptation_grant_eur", municipality=m, weights=pt_grant[idx][pt])
        model.count_event("proeftuin_spending_eur", municipality=m, weights=pt_grant[idx][pt])
        model.count_event("policy_spending_eur", municipality=m, weights=pt_grant[idx][pt])


# -- 6. corporations and private landlords -------------------------------------------------------------
def _worst_first(ep2: np.ndarray, keys: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` positions of ``np.lexsort((keys, -ep2))`` (highest EP2 first, ties by draw key), in that
    order: only the homes at or above the k-th highest EP2 are sorted."""
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    neg = -ep2
    if 4 * k >= neg.size or np.isnan(neg).any():
        return np.lexsort((keys, neg))[:k]
    pick = np.flatnonzero(neg <= np.partition(neg, k - 1)[k - 1])  # at least k: all before the k-th and its ties
    return pick[np.lexsort((keys[pick], neg[pick]))[:k]]


def corporation_renovation(model) -> None:
    """Corporations and private landlords renovate their stock toward label targets."""
    cp = model.scenario.corporations
    d = model.state.dwellings
    picked = []  # the corporation homes to renovate, municipality after municipality
    # the homes above the targets (one pass over the stock: model.kernels_renovation.rental_candidates)
    target_label = int(label_of(np.full(1, cp.corporation_target_ep2_kwh_m2))[0])
    pl_label = int(label_of(np.full(1, cp.private_landlord_target_ep2_kwh_m2))[0])
    corp, ends, efg, pl = kernels_renovation.rental_candidates(
        d.peek("alive"), d.peek("in_stock"), d.peek("status"), d.peek("written_off"), d.peek("owner"),
        d.peek("ep2_kwh_m2"), d.peek("municipality"), target_label, pl_label)
    ep2_col, key = d.peek("ep2_kwh_m2"), d.peek("key")
    # corporations: worst first, at least the rate, and E-G evenly until the deadline
    years_left = cp.corporation_efg_deadline_year - model.year
    for m in range(N_MUN):
        cand = corp[ends[m - 1] if m else 0:ends[m]]  # ascending rows
        if cand.size == 0:
            continue
        expected = cp.corporation_renovation_rate * cand.size
        if years_left >= 0:
            expected = max(expected, int(efg[m]) / (years_left + 1))
        rng = model.streams.generator("corporations", model.year, sub=m)
        k = min(int(expected) + int(rng.random() < expected - int(expected)), cand.size)
        picked.append(cand[_worst_first(ep2_col.take(cand).astype(float), key.take(cand), k)])
    # private landlords: a random share of the homes above their target
    u = model.streams.uniform_by_key("corporations", model.year, key.take(pl), sub=1)
    # the corporations' homes in one group (the same numbers as one municipality at a time: each
    # municipality's counts come from its own homes, added in the same order), then the landlords'
    done = [(np.concatenate(picked) if picked else np.zeros(0, dtype=np.intp), cp.corporation_target_ep2_kwh_m2),
            (pl[u < cp.private_landlord_renovation_rate], cp.private_landlord_target_ep2_kwh_m2)]
    rp = model.scenario.renovation
    for dr, target in done:  # (disjoint rows: each group's EP2 as before the renovations)
        if dr.size == 0:
            continue
        ep2 = d.peek("ep2_kwh_m2").take(dr).astype(float)
        new = np.minimum(target, ep2)
        steps = label_index(ep2).astype(np.int64) - label_of(new)
        cost = renovation_cost_eur(model, dr, ep2, new)
        d.col("ep2_kwh_m2")[dr] = new
        d.col("value_eur")[dr] *= 1.0 + rp.renovation_value_uplift_per_step * steps
        mun = d.municipality[dr]
        model.count_event("rental_renovations", municipality=mun)
        model.count_event("rental_label_steps", municipality=mun, weights=steps.astype(float))
        model.count_event("rental_investment_eur", municipality=mun, weights=cost)
