"""The policies (process 8, and the levers they set in process 5): the Transformatiefonds and the proeftuinen.

Both are institutions, few in number, so they are ordinary Mesa agents (``model.fund``, and
``model.proeftuinen``, one per municipality) acting on the entity arrays:

* :class:`Transformatiefonds` (parameters ``[fund]``, :class:`model.params.FundParams`) keeps a balance
  sheet: cash, loans, provisions for works it has committed to, and the homes it owns. Each year, after
  stock change, it receives contributions, services its debt, collects rent, carries out the dispositions
  that fall due, and buys eligible homes while its free cash lasts. Homes it improves for resale are
  listed for sale (``fund_status`` FUND_FOR_SALE) and the fund is paid when a household buys one
  (:func:`model.allocation.purchase` calls :meth:`Transformatiefonds.sold`). Its ledger (one row per year)
  is :meth:`Transformatiefonds.ledger_table`; the flows that belong to a place are also counted per
  municipality in the indicator table (``fund_*`` columns).
* :class:`Proeftuin` (parameters ``[proeftuin]``) chooses its target wijken at its start year and, from
  then on, sets the instruments of the owner households living there (:func:`proeftuin_levers`), paying
  for them from its budget (:meth:`Proeftuin.charge`) until the budget runs out.

Random draws come from the ``fund`` stream (who accepts the fund's offer, the moves of sellers), so the
policies reshuffle no other process's draws. With no contributions and no budgets nothing here changes
the state: the run equals the baseline.
"""

from __future__ import annotations

import mesa
import numpy as np
import pyarrow as pa

from .data import MUNICIPALITY_CODES
from .income import core_limit, daeb_limit, household_facts, label_index, national_price_growth
from .state import (
    DEMOLISHED,
    FUND,
    FUND_FOR_SALE,
    FUND_HELD,
    FUND_LET,
    FUND_LET_TEMP,
    LABELS,
    OCCUPIED,
    OTHER_OWNER,
    OTHER_TENURE,
    OTHER_UNIT,
    OWNER,
    OWNER_OCCUPIER,
    TERRACED,
    VACANT,
    label_of,
    stock_rows,
)

N_MUN = len(MUNICIPALITY_CODES)
_SUB_ACCEPT = 1

#: Ledger columns (regional, one row per year): name, unit, meaning. Amounts are expanded by 1/scale.
LEDGER_SCHEMA: list[tuple[str, str, str]] = [
    ("year", "year", "the flows of this year (1 January to 31 December) and the balance at its end"),
    ("cash_start_eur", "EUR", "cash on 1 January"),
    ("contributions_rijk_eur", "EUR", "contributions received from the Rijk"),
    ("contributions_province_eur", "EUR", "contributions received from the province"),
    ("contributions_municipalities_eur", "EUR", "contributions received from the municipalities"),
    ("contributions_corporations_eur", "EUR", "capital put in by corporations (experimenteerruimte)"),
    ("borrowed_eur", "EUR", "new borrowing (leverage)"),
    ("rent_eur", "EUR", "rent received"),
    ("sales_eur", "EUR", "homes sold to households"),
    ("land_eur", "EUR", "residual land value received for cleared plots"),
    ("purchases_eur", "EUR", "homes bought"),
    ("works_eur", "EUR", "improvement works (condition, label, lifetime-proof)"),
    ("demolition_eur", "EUR", "demolitions"),
    ("rebuild_eur", "EUR", "construction of new homes"),
    ("management_eur", "EUR", "management of the homes held"),
    ("interest_eur", "EUR", "interest paid"),
    ("repayment_eur", "EUR", "loan repaid"),
    ("cash_end_eur", "EUR", "cash on 31 December = cash_start + inflows - outflows"),
    ("loan_eur", "EUR", "loans outstanding at the end of the year"),
    ("provisions_eur", "EUR", "cash reserved for committed works (later demolitions and rebuilding)"),
    ("payables_eur", "EUR", "costs due that cash could not pay yet (paid first next year)"),
    ("homes_value_eur", "EUR", "market value of the homes the fund owns at the end of the year"),
    ("net_assets_eur", "EUR", "cash + homes_value - loan - payables"),
    ("homes_owned", "dwellings", "homes the fund owns at the end of the year"),
    ("homes_bought", "dwellings", "homes bought so far (cumulative)"),
    ("homes_built", "dwellings", "homes built so far (cumulative)"),
    ("homes_sold", "dwellings", "homes sold so far (cumulative)"),
    ("homes_demolished", "dwellings", "homes demolished so far (cumulative)"),
]
INFLOWS = ("contributions_rijk_eur", "contributions_province_eur", "contributions_municipalities_eur",
           "contributions_corporations_eur", "borrowed_eur", "rent_eur", "sales_eur", "land_eur")
OUTFLOWS = ("purchases_eur", "works_eur", "demolition_eur", "rebuild_eur", "management_eur", "interest_eur",
            "repayment_eur")


class CashLedger:
    """A cash account with named inflows and outflows and one closed row per year (the Transformatiefonds'
    ledger and the experimenteerruimte levers'): cash_end = cash_start + inflows - outflows, and an
    outflow never exceeds the cash."""

    def __init__(self, inflows: tuple[str, ...], outflows: tuple[str, ...], scale: float):
        self.inflows, self.outflows, self.scale = inflows, outflows, scale
        self.cash = 0.0
        self.flows = {k: 0.0 for k in inflows + outflows}
        self.rows: list[dict] = []

    def add(self, kind: str, amount: float) -> None:
        if kind in self.outflows:
            assert amount <= self.cash + 1e-6, f"{kind}: spending money that is not there"
            self.cash -= amount
        else:
            self.cash += amount
        self.flows[kind] += amount

    def close(self, year: int, **extra) -> None:
        start = self.rows[-1]["cash_end_eur"] if self.rows else 0.0
        self.rows.append(dict(year=year, cash_start_eur=start, **self.flows, cash_end_eur=self.cash, **extra))
        self.flows = {k: 0.0 for k in self.inflows + self.outflows}

    def table(self) -> pa.Table:
        if not self.rows:
            return pa.table({})
        cols = {}
        for name in self.rows[0]:
            vals = [r[name] for r in self.rows]
            if name == "year":
                cols[name] = pa.array(vals, pa.int16())
            elif isinstance(vals[0], int):
                cols[name] = pa.array([round(v / self.scale) for v in vals], pa.int64())
            else:
                cols[name] = pa.array([v / self.scale for v in vals], pa.float64())
        return pa.table(cols)


def _income_rule(model, rule: str, facts: dict, hrow: np.ndarray) -> np.ndarray:
    """Households (rows) that meet an income rule: 'core' (<= 130 % social minimum), 'low' (below the
    DAEB limit) or 'any'."""
    income = facts["income"][hrow]
    if rule == "core":
        return income <= core_limit(model, facts["adults"][hrow])
    if rule == "low":
        return income < daeb_limit(model, facts["size"][hrow])
    return np.ones(hrow.size, dtype=bool)


def _wijk_ranking(model, m: int) -> np.ndarray:
    """Wijk indices of municipality ``m`` by the number of low-income owner households in E-G homes,
    most first (ties: lower index first)."""
    st = model.state
    h, d = st.households, st.dwellings
    wijken = np.array([i for i, w in enumerate(model.wijken) if w.municipality_code == MUNICIPALITY_CODES[m]])
    hrow = h.alive_rows()
    hrow = np.compress((h.tenure[hrow] == OWNER) & (h.municipality[hrow] == m), hrow)
    drow = d.rows(h.dwelling_id[hrow])
    keep = d.in_stock[drow] & (label_index(d.ep2_kwh_m2[drow]) >= 4)
    facts = household_facts(st)
    keep &= _income_rule(model, "low", facts, hrow)
    counts = np.bincount(d.wijk[drow[keep]], minlength=len(model.wijken))[wijken]
    return wijken[np.lexsort((wijken, -counts))]


# -- proeftuinen ---------------------------------------------------------------------------------------
class Proeftuin(mesa.Agent):
    """One municipality's proeftuin: target wijken, a budget, and the instruments of ``[proeftuin]``."""

    def __init__(self, model, m: int):
        super().__init__(model)
        p = model.scenario.proeftuin
        self.m = m
        self.code = MUNICIPALITY_CODES[m]
        self.budget = p.proeftuin_budget_eur[self.code] * model.scenario.run.scale
        self.remaining = self.budget
        codes = {w.code: i for i, w in enumerate(model.wijken)}
        self.requested = [codes[c] for c in p.proeftuin_wijken.get(self.code, [])]
        self.active = np.zeros(0, dtype=np.int64)  # wijk indices where the instruments act this year
        self.year_budget = self.year_spent = 0.0
        self.outreach_on = False
        self.started = False
        self.targets: list[int] = []

    @property
    def enabled(self) -> bool:
        return self.budget > 0

    def begin_year(self) -> None:
        """Before owner renovation: decide where the instruments act this year and pay for the outreach."""
        p, year = self.model.scenario.proeftuin, self.model.year
        self.active = np.zeros(0, dtype=np.int64)
        self.outreach_on = False
        if not self.enabled or year < p.proeftuin_start_year or self.remaining <= 0:
            return
        if not self.started:
            self.started = True
            self.targets = self.requested or [int(_wijk_ranking(self.model, self.m)[0])]
        active = list(self.targets)
        pilot_end = p.proeftuin_start_year + p.proeftuin_duration_years
        if year >= pilot_end:
            k = p.proeftuin_rollout_wijken_per_year
            if k == 0:
                return
            ranking = [int(w) for w in _wijk_ranking(self.model, self.m) if int(w) not in self.targets]
            joined = ranking[: k * (year - pilot_end + 1)]
            active += joined
        self.active = np.array(active, dtype=np.int64)
        # pace the spending: the pilot's budget spread over its remaining years; in a roll-out over the years
        # to the roll-out's end (at most the run's end)
        last = pilot_end - 1 if year < pilot_end else min(p.proeftuin_rollout_end_year,
                                                          self.model.scenario.run.end_year - 1)
        self.year_budget = self.remaining / max(last - year + 1, 1)
        self.year_spent = 0.0
        # outreach: every owner household in an active wijk, paid at the start of the year if the budget allows
        st = self.model.state
        h, d = st.households, st.dwellings
        hrow = h.alive_rows()
        hrow = np.compress((h.tenure[hrow] == OWNER) & (h.municipality[hrow] == self.m), hrow)
        n = np.count_nonzero(np.isin(d.wijk[d.rows(h.dwelling_id[hrow])], self.active))
        cost = n * p.proeftuin_outreach_cost_eur
        if cost <= self.year_budget:
            self.outreach_on = True
            self._spend("proeftuin_outreach_eur", cost)

    def _spend(self, what: str, amount: float) -> None:
        self.remaining -= amount
        self.year_spent += amount
        self.model.count_event(what, self._one(amount))
        self.model.count_event("proeftuin_spending_eur", self._one(amount))
        self.model.count_event("policy_spending_eur", self._one(amount))

    def _one(self, amount: float) -> np.ndarray:
        out = np.zeros(N_MUN)
        out[self.m] = amount
        return out

    def charge(self, costs: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Pay ``costs`` (per household) in draw-key order while the budget lasts; returns who was paid for."""
        order = np.argsort(keys, kind="stable")
        room = min(self.remaining, self.year_budget - self.year_spent)
        paid_sorted = np.cumsum(costs[order]) <= room + 1e-6
        paid = np.zeros(costs.size, dtype=bool)
        paid[order] = paid_sorted
        if paid.any():
            spent = float(costs[paid].sum())
            self.remaining -= spent
            self.year_spent += spent
        return paid


def proeftuin_levers(model, hrow: np.ndarray, drow: np.ndarray, facts: dict, levers: dict):
    """The levers of owner households (rows, in dwellings ``drow``) with the proeftuin instruments applied
    where their home is in an active wijk; returns (levers, support), ``support`` the municipality whose
    proeftuin supports each household or -1 (None when no proeftuin acts this year)."""
    pts = [pt for pt in getattr(model, "proeftuinen", ()) if pt.active.size]
    if not pts:
        return levers, None
    p = model.scenario.proeftuin
    d = model.state.dwellings
    support = np.full(hrow.size, -1, dtype=np.int64)
    outreach = np.zeros(hrow.size, dtype=bool)
    wijk = d.wijk[drow]
    for pt in pts:
        inside = np.isin(wijk, pt.active)
        support[inside] = pt.m
        outreach[inside] = pt.outreach_on
    s = support >= 0
    out = {k: v.copy() for k, v in levers.items()}
    out["outreach_multiplier"] = np.where(outreach, out["outreach_multiplier"] * p.proeftuin_outreach_multiplier,
                                          out["outreach_multiplier"])
    out["collective_discount"] = np.where(s, np.maximum(out["collective_discount"], p.proeftuin_collective_discount),
                                          out["collective_discount"])
    rule = _income_rule(model, p.proeftuin_grant_income, facts, np.arange(hrow.size))  # facts: per household here
    out["proeftuin_grant_eur"] = np.where(s & rule, p.proeftuin_grant_eur, 0.0)
    if p.proeftuin_zero_interest_loans:
        out["zero_interest"] = s.copy()
        out["no_capacity_loan_eur"] = np.where(s, np.maximum(out["no_capacity_loan_eur"], p.proeftuin_loan_max_eur),
                                               out["no_capacity_loan_eur"])
    out["proeftuin_adaptation_grant_eur"] = np.where(s & (facts["oldest"] >= p.proeftuin_adaptation_min_age),
                                                     p.proeftuin_adaptation_grant_eur, 0.0)
    out["procurement_cost_eur"] = np.where(s & (p.proeftuin_collective_discount > 0),
                                           p.proeftuin_procurement_cost_eur, 0.0)
    return out, support


def money_free(levers: dict, idx: np.ndarray, base: dict) -> dict:
    """Levers of households ``idx`` without the proeftuin's money (grants, discount, loans), keeping the
    outreach they already had: for those the budget could not pay for."""
    out = {k: v[idx].copy() for k, v in levers.items()}
    for k in ("collective_discount", "no_capacity_loan_eur"):
        out[k] = base[k][idx].copy()
    for k in ("proeftuin_grant_eur", "proeftuin_adaptation_grant_eur", "procurement_cost_eur"):
        out[k] = np.zeros(idx.size)
    out["zero_interest"] = np.zeros(idx.size, dtype=bool)
    return out


# -- the Transformatiefonds ----------------------------------------------------------------------------
class Transformatiefonds(mesa.Agent):
    """The revolving fund: balance sheet, eligibility, purchases and dispositions (see the module doc).

    The corporations' purchases under the experimenteerruimte (model.corporation_levers.CorporationFund)
    are the same machine with another owner code, event prefix, municipalities and parameters."""

    owner_code = FUND
    prefix = "fund"
    rebuilt_status = FUND_FOR_SALE  # homes built on cleared plots: listed for sale
    accept_sub = _SUB_ACCEPT  # sub-stream of the owners' acceptance draws

    def __init__(self, model, params=None, municipalities: np.ndarray | None = None):
        super().__init__(model)
        self.p = params if params is not None else model.scenario.fund
        self.municipalities = municipalities  # bool per municipality where it buys; None = all
        self.scale = model.scenario.run.scale
        self.ledger = CashLedger(INFLOWS, OUTFLOWS, self.scale)
        self.payables = 0.0
        self.tranches: list[list[float]] = []  # [year borrowed, amount, outstanding]
        self.temp_provision: dict[int, float] = {}  # dwelling id -> demolition cost reserved
        self.plots: list[tuple[int, int, int, float]] = []  # (due year, municipality, wijk, homes to build)
        self.carry = np.zeros(N_MUN)  # fractional homes to build per municipality
        self.index = 1.0  # national price index since the base year
        self.counts = dict(bought=0, built=0, sold=0, demolished=0)

    @property
    def enabled(self) -> bool:
        return any(v > 0 for series in self.p.fund_contributions_eur.values() for v in series.values())

    @property
    def cash(self) -> float:
        return self.ledger.cash

    @property
    def loan(self) -> float:
        return float(sum(t[2] for t in self.tranches))

    @property
    def provisions(self) -> float:
        rebuild = sum(n for *_, n in self.plots) + float(self.carry.sum())
        return float(sum(self.temp_provision.values())) + rebuild * self.p.fund_rebuild_cost_eur

    # -- money --------------------------------------------------------------------------------------
    def _in(self, what: str, amount: float, mun: np.ndarray | None = None, weights=None) -> None:
        self.ledger.add(what, amount)
        if mun is not None:
            self.model.count_event("policy_spending_eur", municipality=mun, weights=-np.asarray(weights, float))

    def _out(self, what: str, amount: float, mun: np.ndarray | None = None, weights=None) -> None:
        self.ledger.add(what, amount)  # refuses to spend money the fund does not have
        if mun is not None:
            self.model.count_event("policy_spending_eur", municipality=mun, weights=np.asarray(weights, float))

    def _pay_due(self, what: str, amount: float) -> float:
        """Pay what cash allows of a cost that is due; the rest becomes a payable."""
        paid = min(amount, self.cash)
        self._out(what, paid)
        self.payables += amount - paid
        return paid

    def sold(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Households bought fund homes (rows) at ``values``: the fund is paid, the homes become owner-occupied."""
        d = self.model.state.dwellings
        mun = d.municipality[rows]
        self._in("sales_eur", float(values.sum()), mun, values)
        d.col("owner")[rows] = OWNER_OCCUPIER
        d.col("fund_status")[rows] = FUND_HELD
        self.counts["sold"] += rows.size
        self.model.count_event(f"{self.prefix}_sales", municipality=mun)
        self.model.count_event(f"{self.prefix}_sales_eur", municipality=mun, weights=values)

    # -- the year -----------------------------------------------------------------------------------
    def step(self) -> None:
        """Process 8: contributions, debt, rent, dispositions due, purchases; then close the year's ledger."""
        if not self.enabled:
            return
        model, p = self.model, self.p
        year = model.year
        self.index *= 1.0 + national_price_growth(model)
        # payables of last year first
        if self.payables > 0:
            due, self.payables = self.payables, 0.0
            self._pay_due("management_eur", due)
        # 1. contributions (scaled with the simulated population) and leverage
        total = 0.0
        for funder, series in p.fund_contributions_eur.items():
            amount = series.get(year, 0.0) * self.scale
            if amount <= 0:
                continue
            key = {"rijk": "contributions_rijk_eur", "province": "contributions_province_eur",
                   "corporations": "contributions_corporations_eur"}.get(funder, "contributions_municipalities_eur")
            self._in(key, amount)
            total += amount
        # 2. debt service on earlier borrowing: interest, then linear repayment
        interest = p.fund_loan_interest_rate * self.loan
        repay = 0.0
        for t in self.tranches:
            if t[2] > 0:
                repay += min(t[1] / p.fund_loan_term_years, t[2])
        if interest > 0:  # what cash cannot pay is added to the debt
            paid = min(interest, self.cash)
            self._out("interest_eur", paid)
            if interest - paid > 0:
                self.tranches.append([year, interest - paid, interest - paid])
        if repay > 0:
            paid = min(repay, self.cash)
            self._out("repayment_eur", paid)
            left = paid
            for t in self.tranches:
                x = min(t[1] / p.fund_loan_term_years, t[2], left)
                t[2] -= x
                left -= x
        if total > 0 and p.fund_leverage > 1.0:
            borrowed = (p.fund_leverage - 1.0) * total
            self.tranches.append([year, borrowed, borrowed])
            self._in("borrowed_eur", borrowed)
        # 3. rent and management of the homes held
        d = model.state.dwellings
        rows = stock_rows(d)
        held = np.compress(d.owner[rows] == self.owner_code, rows)
        let = held[(d.status[held] == OCCUPIED) & (d.fund_status[held] >= FUND_LET)]
        rent = np.full(let.size, 12.0 * p.fund_rent_eur_month)
        self._in("rent_eur", float(rent.sum()), d.municipality[let], rent)
        model.count_event(f"{self.prefix}_rent_eur", municipality=d.municipality[let], weights=rent)
        mgmt = np.full(held.size, p.fund_management_eur_year)
        if held.size:
            self._pay_due("management_eur", float(mgmt.sum()))
            model.count_event("policy_spending_eur", municipality=d.municipality[held], weights=mgmt)
            model.count_event(f"{self.prefix}_management_eur", municipality=d.municipality[held], weights=mgmt)
        # 4. dispositions that fall due, 5. purchases
        self._end_temporary_letting(held)
        self._rebuild()
        if p.fund_start_year <= year <= p.fund_end_year:
            self._buy()
        self._close()

    def _close(self) -> None:
        d = self.model.state.dwellings
        rows = stock_rows(d)
        held = np.compress(d.owner[rows] == self.owner_code, rows)
        value = float(d.value_eur[held].sum())
        self.ledger.close(self.model.year, loan_eur=self.loan, provisions_eur=self.provisions,
                          payables_eur=self.payables, homes_value_eur=value,
                          net_assets_eur=self.cash + value - self.loan - self.payables, homes_owned=int(held.size),
                          **{f"homes_{k}": v for k, v in self.counts.items()})

    def ledger_table(self) -> pa.Table:
        """The ledger (columns as LEDGER_SCHEMA), one row per year the fund was active, amounts and counts
        expanded by 1/scale."""
        return self.ledger.table()

    # -- costs --------------------------------------------------------------------------------------
    def _demolition_cost(self, rows: np.ndarray) -> np.ndarray:
        d = self.model.state.dwellings
        area = d.floor_area_m2[rows].astype(float)
        return self.p.fund_demolition_cost_eur_m2 * area + self.p.fund_demolition_fixed_eur

    def _works_cost(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cost of the fund's improvement (condition to 1, EP2 to the target, lifetime-proof) and the new EP2."""
        from .renovation import adaptation_cost_eur, renovation_cost_eur

        model, p = self.model, self.p
        d = model.state.dwellings
        ep2 = d.ep2_kwh_m2[rows].astype(float)
        new = np.minimum(ep2, p.fund_improve_ep2_kwh_m2)
        cost = renovation_cost_eur(model, rows, ep2, new)
        cost += (model.scenario.maintenance.restoration_cost_eur_m2 * d.floor_area_m2[rows]
                 * np.maximum(p.fund_improve_condition - d.condition[rows].astype(float), 0.0))
        if p.fund_improve_lifetime_proof:
            cost += np.where(d.lifetime_proof[rows], 0.0, adaptation_cost_eur(model, rows))
        return cost, new

    def _plan(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Disposition of each home (rows) and the money it needs now (works, demolition) and reserves."""
        p = self.p
        d = self.model.state.dwellings
        names = np.array([p.fund_disposition, p.fund_disposition_written_off])
        disp = names[d.written_off[rows].astype(np.int64)]
        works, new_ep2 = self._works_cost(rows)
        demolish = self._demolition_cost(rows)
        improve = np.isin(disp, ("improve_resell", "improve_let"))
        now = np.where(improve, works, 0.0) + np.where(np.isin(disp, ("demolish", "demolish_rebuild")), demolish, 0.0)
        reserve = (np.where(disp == "let_then_demolish", demolish, 0.0)
                   + np.where(disp == "demolish_rebuild", p.fund_rebuild_ratio * p.fund_rebuild_cost_eur, 0.0))
        return dict(disp=disp, works=works, new_ep2=new_ep2, demolish=demolish, now=now, reserve=reserve)

    # -- purchases ----------------------------------------------------------------------------------
    def _eligible(self) -> tuple[np.ndarray, np.ndarray]:
        """Eligible homes (dwelling rows) and their seller households (rows, -1 for vacant homes)."""
        model, p = self.model, self.p
        st = model.state
        h, d = st.households, st.dwellings
        rows = stock_rows(d)
        rows = np.compress(d.owner[rows] == OWNER_OCCUPIER, rows)
        rows = np.compress(d.last_sale_year[rows] != model.year, rows)
        rows = rows.take(self._qualifying(rows))
        occ = np.compress(d.status[rows] == OCCUPIED, rows)
        hh = h.row_of[d.household_id[occ]]
        facts = household_facts(st)
        ok = (h.tenure[hh] == OWNER) & _income_rule(model, p.fund_owner_income, facts, hh)
        ok &= facts["head_age"][hh] >= p.fund_owner_min_age
        u = model.streams.uniform_by_key("fund", model.year, h.key[hh], sub=self.accept_sub)
        ok &= u < p.fund_sale_probability
        homes, sellers = [occ[ok]], [hh[ok]]
        if p.fund_unsold_years > 0:
            vac = rows[(d.status[rows] == VACANT) & (d.years_vacant[rows] >= p.fund_unsold_years)]
            homes.append(vac)
            sellers.append(np.full(vac.size, -1, dtype=np.int64))
        return np.concatenate(homes), np.concatenate(sellers)

    def _home_qualifies(self, rows: np.ndarray) -> np.ndarray:
        """Homes (rows) the fund may buy: in its municipalities, worth at most the (indexed) ceiling, with the
        label or worse or written off."""
        ok = np.zeros(rows.size, dtype=bool)
        ok[self._qualifying(rows)] = True
        return ok

    def _qualifying(self, rows: np.ndarray) -> np.ndarray:
        """The positions of the homes (rows) that qualify (_home_qualifies), ascending: the tests one after the
        other, each on the homes that passed the ones before."""
        p, d = self.p, self.model.state.dwellings
        at = np.arange(rows.size)
        if self.municipalities is not None:
            at = np.compress(self.municipalities[d.municipality[rows]], at)
        at = np.compress(d.value_eur[rows.take(at)] <= p.fund_value_ceiling_eur * self.index, at)
        sub = rows.take(at)
        return np.compress((label_index(d.ep2_kwh_m2[sub]) >= LABELS.index(p.fund_max_label))
                           | (d.written_off[sub] & p.fund_written_off_qualifies), at)

    def _priority(self, rows: np.ndarray) -> np.ndarray:
        d = self.model.state.dwellings
        keys = (d.key[rows], -d.ep2_kwh_m2[rows], d.condition[rows])
        if self.p.fund_priority == "surplus_wijken":
            keys = keys + (-self._wijk_surplus()[d.wijk[rows]],)
        return np.lexsort(keys)

    def _wijk_surplus(self) -> np.ndarray:
        """Projected surplus per wijk: vacant homes plus homes of households whose oldest member is 75+,
        per dwelling of the wijk."""
        st = self.model.state
        h, d = st.households, st.dwellings
        rows = stock_rows(d)
        n_w = len(self.model.wijken)
        total = np.bincount(d.wijk[rows], minlength=n_w)
        vacant = np.bincount(d.wijk[np.compress(d.status[rows] == VACANT, rows)], minlength=n_w)
        hrow = h.alive_rows()
        old = np.compress(household_facts(st)["oldest"][hrow] >= 75, hrow)
        home = d.rows(h.dwelling_id[old])
        home = home[d.in_stock[home]]
        return (vacant + np.bincount(d.wijk[home], minlength=n_w)) / np.maximum(total, 1)

    def _buy(self) -> None:
        from .allocation import allocate_dwellings

        model, p = self.model, self.p
        st = model.state
        h, d = st.households, st.dwellings
        homes, sellers = self._eligible()
        if homes.size == 0:
            return
        order = self._priority(homes)
        homes, sellers = homes[order], sellers[order]
        price = d.value_eur[homes] * p.fund_price_factor + p.fund_price_premium_eur
        plan = self._plan(homes)
        need = price + plan["now"] + plan["reserve"]
        free = self.cash - self.provisions
        take = np.cumsum(need) <= free + 1e-6
        homes, sellers, price = homes[take], sellers[take], price[take]
        plan = {k: v[take] for k, v in plan.items()}
        # sellers move first: a seller who finds no other home in its municipality keeps its home
        occ = sellers >= 0
        moved = np.ones(homes.size, dtype=bool)
        if occ.any():
            hr = sellers[occ]
            debt = h.mortgage_eur[hr] + h.renovation_loan_eur[hr]
            equity = price[occ] - debt
            saved = h.savings_eur[hr].copy()
            mortgage, renovation_loan = h.mortgage_eur[hr].copy(), h.renovation_loan_eur[hr].copy()
            facts = household_facts(st)
            means = saved + np.maximum(equity, 0.0)
            borrow = np.where(equity < 0, 0.0, model.scenario.housing.max_price_to_income * facts["income"][hr])
            h.col("savings_eur")[hr] = means
            h.col("mortgage_eur")[hr] = 0.0
            h.col("renovation_loan_eur")[hr] = 0.0
            housed = allocate_dwellings(model, hr, "fund", budget=means + borrow)
            # a residual debt stays with the household; the unhoused keep everything as it was
            h.col("mortgage_eur")[hr[housed]] += np.maximum(-equity[housed], 0.0)
            h.col("moved_in_year")[hr[housed]] = model.year + 1
            h.col("savings_eur")[hr[~housed]] = saved[~housed]
            h.col("mortgage_eur")[hr[~housed]] = mortgage[~housed]
            h.col("renovation_loan_eur")[hr[~housed]] = renovation_loan[~housed]
            moved[np.flatnonzero(occ)] = housed
            model.count_event(f"{self.prefix}_sellers_without_home", municipality=h.municipality[hr[~housed]])
        homes, price = homes[moved], price[moved]
        plan = {k: v[moved] for k, v in plan.items()}
        if homes.size:
            self._acquire(homes, price, plan)

    def take_over(self, homes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Buy homes (rows) their owners have just left, where they qualify and the money is there (in
        draw-key order); returns (taken mask, price: the fund's price where taken, else the value)."""
        model, p = self.model, self.p
        d = model.state.dwellings
        value = d.value_eur[homes].copy()
        taken = np.zeros(homes.size, dtype=bool)
        if not (p.fund_start_year <= model.year <= p.fund_end_year):
            return taken, value
        cand = np.flatnonzero(self._home_qualifies(homes))
        cand = cand[np.argsort(d.key[homes[cand]], kind="stable")]
        price = value * p.fund_price_factor + p.fund_price_premium_eur
        plan = self._plan(homes[cand])
        need = price[cand] + plan["now"] + plan["reserve"]
        fits = np.cumsum(need) <= self.cash - self.provisions + 1e-6
        cand = cand[fits]
        if cand.size:
            taken[cand] = True
            self._acquire(homes[cand], price[cand], {k: v[fits] for k, v in plan.items()})
        return taken, np.where(taken, price, value)

    def _acquire(self, homes: np.ndarray, price: np.ndarray, plan: dict) -> None:
        """Pay for vacant homes (rows), own them and carry out their disposition."""
        model = self.model
        d = model.state.dwellings
        mun = d.municipality[homes]
        d.col("household_id")[homes] = -1
        d.col("status")[homes] = VACANT
        d.col("years_vacant")[homes] = 0
        d.col("owner")[homes] = self.owner_code
        d.col("fund_status")[homes] = FUND_HELD
        d.col("last_sale_year")[homes] = model.year
        self._out("purchases_eur", float(price.sum()), mun, price)
        self.counts["bought"] += homes.size
        model.count_event(f"{self.prefix}_purchases", municipality=mun)
        model.count_event(f"{self.prefix}_purchase_eur", municipality=mun, weights=price)
        self._dispose(homes, plan)

    # -- dispositions -------------------------------------------------------------------------------
    def _dispose(self, homes: np.ndarray, plan: dict[str, np.ndarray]) -> None:
        model, p = self.model, self.p
        d = model.state.dwellings
        disp = plan["disp"]
        improve = np.isin(disp, ("improve_resell", "improve_let"))
        if improve.any():
            rows, works = homes[improve], plan["works"][improve]
            mun = d.municipality[rows]
            self._out("works_eur", float(works.sum()), mun, works)
            steps = label_of(d.ep2_kwh_m2[rows]) - label_of(plan["new_ep2"][improve])
            d.col("ep2_kwh_m2")[rows] = plan["new_ep2"][improve]
            d.col("value_eur")[rows] *= 1.0 + model.scenario.renovation.renovation_value_uplift_per_step * steps
            # the value follows the condition at the next price update (market.update_prices)
            d.col("condition")[rows] = np.maximum(d.condition[rows], p.fund_improve_condition)
            d.col("written_off")[rows] = False
            if p.fund_improve_lifetime_proof:
                d.col("lifetime_proof")[rows] = True
            d.col("fund_status")[rows] = np.where(disp[improve] == "improve_resell", FUND_FOR_SALE, FUND_LET)
            model.count_event(f"{self.prefix}_works_eur", municipality=mun, weights=works)
            model.count_event(f"{self.prefix}_improvements", municipality=mun)
            model.count_event(f"{self.prefix}_label_steps", municipality=mun, weights=steps.astype(float))
        temp = disp == "let_then_demolish"
        if temp.any():
            rows = homes[temp]
            d.col("fund_status")[rows] = FUND_LET_TEMP
            d.col("fund_until")[rows] = model.year + p.fund_let_years
            for i, c in zip(d.id[rows], plan["demolish"][temp], strict=True):
                self.temp_provision[int(i)] = float(c)
        gone = np.isin(disp, ("demolish", "demolish_rebuild"))
        if gone.any():
            rows = homes[gone]
            rebuild = disp[gone] == "demolish_rebuild"
            self._demolish(rows, plan["demolish"][gone])
            land = np.where(rebuild, (1.0 - p.fund_rebuild_ratio) * p.fund_land_value_eur, p.fund_land_value_eur)
            mun = d.municipality[rows]
            self._in("land_eur", float(land.sum()), mun, land)
            model.count_event(f"{self.prefix}_land_eur", municipality=mun, weights=land)
            due = model.year + p.fund_rebuild_delay_years
            for m, w in zip(mun[rebuild], d.wijk[rows[rebuild]], strict=True):
                self.plots.append((due, int(m), int(w), p.fund_rebuild_ratio))

    def _demolish(self, rows: np.ndarray, cost: np.ndarray) -> None:
        d = self.model.state.dwellings
        mun = d.municipality[rows]
        self._out("demolition_eur", float(cost.sum()), mun, cost)
        d.col("status")[rows] = DEMOLISHED
        d.col("household_id")[rows] = -1
        self.counts["demolished"] += rows.size
        self.model.count_event(f"{self.prefix}_demolitions", municipality=mun)
        self.model.count_event(f"{self.prefix}_demolition_eur", municipality=mun, weights=cost)
        self.model.count_event("demolished", municipality=mun)

    def _end_temporary_letting(self, held: np.ndarray) -> None:
        """Homes let temporarily whose term has ended: the tenants move, the home is demolished (if the
        reserved money is there; otherwise next year)."""
        from .allocation import allocate_dwellings

        model = self.model
        st = model.state
        h, d = st.households, st.dwellings
        due = held[(d.fund_status[held] == FUND_LET_TEMP) & (d.fund_until[held] <= model.year)]
        if due.size == 0:
            return
        cost = np.array([self.temp_provision.get(int(i), 0.0) for i in d.id[due]])
        afford = np.cumsum(cost) <= self.cash + 1e-6
        due, cost = due[afford], cost[afford]
        d.col("fund_status")[due] = FUND_HELD  # off the rental market: the tenants must not move into another
        occupied = due[d.status[due] == OCCUPIED]
        if occupied.size:
            tenants = h.row_of[d.household_id[occupied]]
            housed = allocate_dwellings(model, tenants, "fund")
            # tenants who find nothing in the stock move to a unit outside it (as households that the stock
            # cannot hold in the base year)
            out = tenants[~housed]
            if out.size:
                ids = d.add(out.size, municipality=h.municipality[out], wijk=d.wijk[occupied[~housed]],
                            type=OTHER_UNIT, built_year=model.year, floor_area_m2=40.0, ep2_kwh_m2=0.0,
                            condition=1.0, owner=OTHER_OWNER, status=OCCUPIED, value_eur=0.0,
                            household_id=h.id[out], in_stock=False)
                h.col("dwelling_id")[out] = ids
                h.col("tenure")[out] = OTHER_TENURE
            h.col("moved_in_year")[tenants] = model.year + 1
        for i in d.id[due]:
            self.temp_provision.pop(int(i), None)
        self._demolish(due, cost)

    def _rebuild(self) -> None:
        """Build the new lifetime-proof homes whose time has come (as far as cash allows)."""
        model, p = self.model, self.p
        year = model.year
        due = [x for x in self.plots if x[0] <= year]
        if not due:
            return
        self.plots = [x for x in self.plots if x[0] > year]
        wijk_of = {}
        for _, m, w, n in due:
            self.carry[m] += n
            wijk_of.setdefault(m, w)
        st = model.state
        d = st.dwellings
        rows = stock_rows(d)
        sc = model.scenario.stock_change
        for m in range(N_MUN):
            k = int(np.floor(self.carry[m] + 1e-9))
            k = min(k, int(self.cash // p.fund_rebuild_cost_eur))
            if k <= 0:
                continue
            self.carry[m] -= k
            same = np.compress((d.municipality[rows] == m) & (d.type[rows] == TERRACED), rows)
            value = float(np.median(d.value_eur[same])) * np.exp(sc.new_build_value_premium) if same.size else 0.0
            cost = np.full(k, p.fund_rebuild_cost_eur)
            mun = np.full(k, m)
            self._out("rebuild_eur", float(cost.sum()), mun, cost)
            d.add(k, municipality=m, wijk=wijk_of.get(m, 0), type=TERRACED, built_year=year,
                  floor_area_m2=p.fund_rebuild_floor_area_m2, ep2_kwh_m2=sc.new_build_ep2_kwh_m2, condition=1.0,
                  priced_condition=1.0, lifetime_proof=True, owner=self.owner_code, status=VACANT, value_eur=value,
                  years_vacant=0, household_id=-1, in_stock=True, fund_status=self.rebuilt_status,
                  last_sale_year=year)
            self.counts["built"] += k
            model.count_event(f"{self.prefix}_new_homes", municipality=mun)
            model.count_event(f"{self.prefix}_rebuild_eur", municipality=mun, weights=cost)
            model.count_event("new_construction", municipality=mun)
