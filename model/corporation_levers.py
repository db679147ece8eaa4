"""Experimenteerruimte: what housing corporations could do under the deregulation the Regio Deal asked for.

Three levers (process 8, after the Transformatiefonds), each a scenario section that is off in the baseline,
each restricted to the municipalities it names (default: the anticipation region Aa en Hunze,
Borger-Odoorn, Coevorden and Emmen), each a Mesa agent with its own ledger (``ledger_table()``: one row
per year, cash_end = cash_start + inflows - outflows) and its own output columns:

1. :class:`CorporationFund` (``[corporation_fund]``, columns ``corp_fund_*``): corporations buy eligible
   owner-occupied homes with a share of their capital, as the Transformatiefonds does, and let them as
   social rent or demolish (and rebuild) them. Owner code ``corporation_fund``.
2. :class:`CorporationLifetime` (``[corporation_lifetime]``, ``corp_lp_*``): corporations build (or convert)
   lifetime-proof homes kept for elderly owners from the cheap owner-occupied stock, who sell their home
   (to the market, the fund or the corporation) and rent the new one.
3. :class:`CorporationEnergy` (``[corporation_energy]``, ``corp_energy_*``): corporations supply heat to
   their homes and to owner-occupiers who connect, at a tariff relative to the gas price
   (model.income.heat_price_factor).

Corporation money spent on a lever counts in ``policy_spending_eur`` of the municipality (net of rent,
sales and margins), so that the comparison gives each lever a cost per result.
"""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pyarrow as pa

from .data import MUNICIPALITY_CODES
from .income import household_facts, national_price_growth
from .policies import CashLedger, Transformatiefonds
from .state import (
    CORPORATION,
    CORPORATION_FUND,
    FUND_HELD,
    FUND_LET,
    OCCUPIED,
    OWNER,
    OWNER_OCCUPIER,
    RESERVED,
    SOCIAL_TENANT,
    TERRACED,
    VACANT,
    stock_rows,
)

N_MUN = len(MUNICIPALITY_CODES)
_SUB_CORP_ACCEPT, _SUB_LP_ACCEPT, _SUB_ENERGY = 2, 3, 4


def _mask(codes) -> np.ndarray:
    return np.array([c in codes for c in MUNICIPALITY_CODES])


# -- 1. corporations take part in the Transformatiefonds ---------------------------------------------------
class CorporationFund(Transformatiefonds):
    """Corporations buying owner-occupied homes with their own capital: the fund's machine, own parameters."""

    owner_code = CORPORATION_FUND
    prefix = "corp_fund"
    rebuilt_status = FUND_LET  # new homes are let as social rent
    accept_sub = _SUB_CORP_ACCEPT

    def __init__(self, model):
        c = model.scenario.corporation_fund
        capital = c.corp_fund_capital_eur * c.corp_fund_max_capital_share
        params = dataclasses.replace(
            model.scenario.fund,
            fund_contributions_eur={"corporations": {c.corp_fund_start_year: capital}} if capital > 0 else {},
            fund_leverage=1.0, fund_start_year=c.corp_fund_start_year, fund_end_year=c.corp_fund_end_year,
            fund_value_ceiling_eur=c.corp_fund_value_ceiling_eur, fund_max_label=c.corp_fund_max_label,
            fund_owner_income=c.corp_fund_owner_income, fund_sale_probability=c.corp_fund_sale_probability,
            fund_disposition=c.corp_fund_disposition, fund_disposition_written_off=c.corp_fund_disposition_written_off,
            fund_rent_eur_month=c.corp_fund_rent_eur_month, fund_unsold_years=0, fund_owner_min_age=0)
        super().__init__(model, params, _mask(c.corp_fund_municipalities))


# -- 2. corporations build lifetime-proof homes for elderly owners -----------------------------------------
class CorporationLifetime(mesa.Agent):
    """Lifetime-proof corporation homes kept for elderly owners from the cheap owner-occupied stock."""

    INFLOWS = ("financed_eur", "rent_eur")
    OUTFLOWS = ("investment_eur", "purchases_eur")

    def __init__(self, model):
        super().__init__(model)
        self.p = model.scenario.corporation_lifetime
        self.where = _mask(self.p.corp_lp_municipalities)
        self.ledger = CashLedger(self.INFLOWS, self.OUTFLOWS, model.scenario.run.scale)
        self.homes: set[int] = set()  # dwelling ids of the homes this lever made
        self.index = 1.0
        self.counts = dict(homes=0, moves=0)

    @property
    def enabled(self) -> bool:
        return self.p.corp_lp_homes_per_year > 0

    def _spend(self, kind: str, amount: np.ndarray, mun: np.ndarray) -> None:
        """The corporation finances the amount and spends it (cash flows balance)."""
        total = float(np.sum(amount))
        self.ledger.add("financed_eur", total)
        self.ledger.add(kind, total)
        self.model.count_event("policy_spending_eur", municipality=mun, weights=amount)

    def step(self) -> None:
        if not self.enabled:
            return
        model, p = self.model, self.p
        year = model.year
        self.index *= 1.0 + national_price_growth(model)
        d = model.state.dwellings
        # rent of the homes of this lever that are let
        rows = stock_rows(d)
        mine = np.compress(np.isin(d.id[rows], np.fromiter(self.homes, dtype=np.int64, count=len(self.homes))), rows)
        let = mine[(d.status[mine] == OCCUPIED) & (d.owner[mine] == CORPORATION)]
        rent = np.full(let.size, 12.0 * p.corp_lp_rent_eur_month)
        self.ledger.add("rent_eur", float(rent.sum()))
        model.count_event("corp_lp_rent_eur", municipality=d.municipality[let], weights=rent)
        model.count_event("policy_spending_eur", municipality=d.municipality[let], weights=-rent)
        if p.corp_lp_start_year <= year <= p.corp_lp_end_year:
            for m in np.flatnonzero(self.where):
                self._add_homes(int(m))
            self._move_in()
        self.ledger.close(year, homes_made=self.counts["homes"], elderly_moves=self.counts["moves"])

    def _add_homes(self, m: int) -> None:
        model, p = self.model, self.p
        d = model.state.dwellings
        k = int(round(p.corp_lp_homes_per_year * model.scenario.run.scale))
        rng = model.streams.generator("corporation_levers", model.year, sub=m)
        extra = p.corp_lp_homes_per_year * model.scenario.run.scale - k
        k += int(rng.random() < extra) if extra > 0 else 0
        if k <= 0:
            return
        if p.corp_lp_mode == "build":
            rows = stock_rows(d)
            same = np.compress((d.municipality[rows] == m) & (d.type[rows] == TERRACED), rows)
            value = float(np.median(d.value_eur[same])) if same.size else 0.0
            wijk = d.wijk[same[0]] if same.size else 0
            ids = d.add(k, municipality=m, wijk=wijk, type=TERRACED, built_year=model.year,
                        floor_area_m2=p.corp_lp_floor_area_m2,
                        ep2_kwh_m2=model.scenario.stock_change.new_build_ep2_kwh_m2,
                        condition=1.0, priced_condition=1.0, lifetime_proof=True, owner=CORPORATION, status=VACANT,
                        value_eur=value, years_vacant=0, household_id=-1, in_stock=True, fund_status=RESERVED)
            cost = np.full(k, p.corp_lp_build_cost_eur)
            model.count_event("new_construction", municipality=np.full(k, m))
        else:
            rows = stock_rows(d)
            cand = np.compress((d.municipality[rows] == m) & (d.owner[rows] == CORPORATION) & (d.status[rows] == VACANT)
                               & ~d.lifetime_proof[rows] & ~d.written_off[rows] & (d.fund_status[rows] != RESERVED),
                               rows)
            cand = cand[np.argsort(d.key[cand], kind="stable")[:k]]
            if cand.size == 0:
                return
            d.col("lifetime_proof")[cand] = True
            d.col("fund_status")[cand] = RESERVED
            ids = d.id[cand]
            cost = np.full(cand.size, p.corp_lp_convert_cost_eur)
        self.homes.update(int(i) for i in ids)
        mun = np.full(ids.size, m)
        self._spend("investment_eur", cost, mun)
        self.counts["homes"] += ids.size
        model.count_event("corp_lp_homes", municipality=mun)
        model.count_event("corp_lp_investment_eur", municipality=mun, weights=cost)

    def _move_in(self) -> None:
        """Eligible elderly owners accept with a probability and move into the reserved homes."""
        model, p = self.model, self.p
        st = model.state
        h, d = st.households, st.dwellings
        rows = stock_rows(d)
        free = np.compress((d.fund_status[rows] == RESERVED) & (d.status[rows] == VACANT)
                           & (d.owner[rows] == CORPORATION), rows)
        if free.size == 0:
            return
        hrow = h.alive_rows()
        hrow = np.compress((h.tenure[hrow] == OWNER) & self.where[h.municipality[hrow]], hrow)
        home = d.rows(h.dwelling_id[hrow])
        facts = household_facts(st)
        ok = (d.in_stock[home] & (d.owner[home] == OWNER_OCCUPIER) & ~d.lifetime_proof[home]
              & (facts["oldest"][hrow] >= p.corp_lp_min_age)
              & (d.value_eur[home] <= p.corp_lp_value_ceiling_eur * self.index)
              & (d.last_sale_year[home] != model.year))
        u = model.streams.uniform_by_key("corporation_levers", model.year, h.key[hrow], sub=_SUB_LP_ACCEPT)
        ok &= u < p.corp_lp_acceptance
        hrow, home = hrow[ok], home[ok]
        for m in np.unique(d.municipality[free]):
            mine = free[d.municipality[free] == m]
            who = np.flatnonzero(h.municipality[hrow] == m)
            who = who[np.argsort(h.key[hrow[who]], kind="stable")][: mine.size]
            if who.size == 0:
                continue
            self._settle(hrow[who], home[who], mine[np.argsort(d.key[mine], kind="stable")][: who.size])

    def _settle(self, hr: np.ndarray, old: np.ndarray, new: np.ndarray) -> None:
        """The households move into the reserved homes (new) and sell the home they leave (old)."""
        model, p = self.model, self.p
        h, d = model.state.households, model.state.dwellings
        d.col("household_id")[old] = -1
        d.col("status")[old] = VACANT
        d.col("years_vacant")[old] = 0
        d.col("status")[new] = OCCUPIED
        d.col("household_id")[new] = h.id[hr]
        d.col("fund_status")[new] = FUND_HELD
        d.col("years_vacant")[new] = 0
        h.col("dwelling_id")[hr] = d.id[new]
        h.col("tenure")[hr] = SOCIAL_TENANT
        h.col("moved_in_year")[hr] = model.year + 1
        # the sale: to the fund (where it qualifies and has the money), the corporation, or the market (sold
        # at its value, as in the market's moves)
        value = d.value_eur[old].copy()
        mun = d.municipality[old]
        if p.corp_lp_sell_to == "fund" and model.fund.enabled:
            _, value = model.fund.take_over(old)
        elif p.corp_lp_sell_to == "corporation":
            self._spend("purchases_eur", value, mun)
            model.count_event("corp_lp_purchase_eur", municipality=mun, weights=value)
            d.col("owner")[old] = CORPORATION
            d.col("last_sale_year")[old] = model.year
        debt = h.mortgage_eur[hr] + h.renovation_loan_eur[hr]
        equity = value - debt
        h.col("savings_eur")[hr] += np.maximum(equity, 0.0)
        h.col("mortgage_eur")[hr] = np.maximum(-equity, 0.0)
        h.col("renovation_loan_eur")[hr] = 0.0
        self.counts["moves"] += hr.size
        model.count_event("corp_lp_elderly_moves", municipality=h.municipality[hr])

    def ledger_table(self) -> pa.Table:
        return self.ledger.table()


# -- 3. the corporation as energy supplier -----------------------------------------------------------------
class CorporationEnergy(mesa.Agent):
    """Collective heat supply by corporations to their homes and to owner-occupiers who connect."""

    INFLOWS = ("budget_eur", "margin_eur")
    OUTFLOWS = ("investment_eur",)

    def __init__(self, model):
        super().__init__(model)
        self.p = model.scenario.corporation_energy
        self.where = _mask(self.p.corp_energy_municipalities)
        self.ledger = CashLedger(self.INFLOWS, self.OUTFLOWS, model.scenario.run.scale)
        self.budget_left = self.p.corp_energy_budget_eur * model.scenario.run.scale

    @property
    def enabled(self) -> bool:
        return self.p.corp_energy_budget_eur > 0

    def step(self) -> None:
        if not self.enabled:
            return
        from .income import gas_m3, path_value

        model, p = self.model, self.p
        if model.year < p.corp_energy_start_year:
            self.ledger.close(model.year, connected=0)
            return
        d = model.state.dwellings
        rows = stock_rows(d)
        # the year's margin on the heat supplied to occupied connected homes
        conn = np.compress(d.energy_connected[rows] & (d.status[rows] == OCCUPIED), rows)
        price = path_value(model.scenario.energy.gas_price_eur_m3, model.year)
        margin = gas_m3(model, conn) * price * (p.corp_energy_tariff_share - p.corp_energy_cost_share)
        self.ledger.add("margin_eur", float(margin.sum()))
        mun = d.municipality[conn]
        model.count_event("corp_energy_margin_eur", municipality=mun, weights=margin)
        model.count_event("policy_spending_eur", municipality=mun, weights=-margin)
        # new connections: the corporations' homes first (start year), then owners who take it up
        cand = np.compress(self.where[d.municipality[rows]] & ~d.energy_connected[rows], rows)
        corp = cand[d.owner[cand] == CORPORATION]
        own = cand[d.owner[cand] == OWNER_OCCUPIER]
        u = model.streams.uniform_by_key("corporation_levers", model.year, d.key[own], sub=_SUB_ENERGY)
        own = own[u < p.corp_energy_owner_uptake]
        new = np.concatenate([corp[np.argsort(d.key[corp], kind="stable")],
                              own[np.argsort(d.key[own], kind="stable")]])
        k = min(new.size, int(self.budget_left // p.corp_energy_investment_eur))
        new = new[:k]
        if k:
            cost = np.full(k, p.corp_energy_investment_eur)
            self.budget_left -= float(cost.sum())
            self.ledger.add("budget_eur", float(cost.sum()))
            self.ledger.add("investment_eur", float(cost.sum()))
            d.col("energy_connected")[new] = True
            mun = d.municipality[new]
            model.count_event("corp_energy_connections", municipality=mun)
            model.count_event("corp_energy_investment_eur", municipality=mun, weights=cost)
            model.count_event("policy_spending_eur", municipality=mun, weights=cost)
        # the stock is as it was at the start of this step (only connections changed)
        self.ledger.close(model.year, connected=int(np.count_nonzero(d.energy_connected[rows])))

    def ledger_table(self) -> pa.Table:
        return self.ledger.table()
