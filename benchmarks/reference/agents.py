"""The reference's agents: one Mesa agent per person, per household and per dwelling.

Attributes carry the names of the vectorised model's columns (``model/state.py``) so that the two can be
compared entity by entity; links are objects: a person knows its household, a household its members and
its dwelling, a dwelling its household. ``eid`` is the entity id of the vectorised tables (Mesa's own
``unique_id`` counts all agents together); ``key`` is the draw key that fixes the entity's random draws.

The rules that concern one agent are its methods; the rules that need several agents at once (matching,
pairing, ranking) are in :mod:`benchmarks.reference.model`.
"""

from __future__ import annotations

from bisect import bisect_right, insort

import mesa

from model import state
from model.data import MUNICIPALITY_CODES
from model.renovation import band_cost_curve
from model.state import (
    APARTMENT,
    CORPORATION,
    CORPORATION_FUND,
    DEMOLISHED,
    FUND,
    FUND_FOR_SALE,
    FUND_LET,
    HEAD,
    NO_HOUSEHOLD,
    OCCUPIED,
    OTHER_UNIT,
    OWNER,
    OWNER_OCCUPIER,
    PARTNER,
    PERIOD_STARTS,
    PRIVATE_LANDLORD,
    PRIVATE_TENANT,
    RESERVED,
    SOCIAL_TENANT,
    VACANT,
)

from .numerics import f32

EP2_BOUNDS = tuple(float(x) for x in state.EP2_BOUNDS)  # label bounds A|B|...|G (definitions, not rules)
OUT_AGE_BANDS = (25, 35, 55, 75)  # upper bounds of the out-migration age bands 18-24, 25-34, 35-54, 55-74, 75+


def label_of(ep2: float) -> int:
    """Energy label 0 (A) .. 6 (G) of an EP2 value."""
    return bisect_right(EP2_BOUNDS, ep2)


def by_code(table: dict, m: int) -> float:
    return float(table[MUNICIPALITY_CODES[m]])


class Person(mesa.Agent):
    def __init__(self, model, eid: int, key: int, *, age: int, female: bool, household, role: int,
                 municipality: int, institution: bool, income_eur: float, origin: int):
        super().__init__(model)
        self.eid, self.key = eid, key
        self.age, self.female, self.role = age, female, role
        self.municipality, self.institution, self.origin = municipality, institution, origin
        self.income_eur = income_eur
        self.household = None
        if household is not None:
            self.join(household)

    # -- membership ------------------------------------------------------------------------------------
    def join(self, household) -> None:
        if self.household is not None:
            self.household.members.remove(self)
        self.household = household
        insort(household.members, self, key=lambda p: p.eid)

    def leave_household(self) -> None:
        if self.household is not None:
            self.household.members.remove(self)
        self.household = None
        self.role = NO_HOUSEHOLD

    # -- yearly rules ----------------------------------------------------------------------------------
    def death_probability(self, model) -> float:
        d = model.sc.demography
        table = model.mortality_q[int(self.female)]
        q = table[min(self.age, len(table) - 1)]
        if self.institution and self.age >= 65:
            q = min(q * d.institution_mortality_multiplier, 1.0)
        return q

    def care_entry_rate(self, model) -> float:
        d = model.sc.demography
        return d.care_entry_rate_85plus if self.age >= 85 else d.care_entry_rate_75_84

    def out_migration_probability(self, model) -> float:
        if self.age < 18:
            return 0.0
        return float(model.sc.migration.out_migration_rate_by_age[bisect_right(OUT_AGE_BANDS, self.age)])

    def index_income(self, growth: float) -> None:
        self.income_eur *= 1.0 + growth


class Household(mesa.Agent):
    def __init__(self, model, eid: int, key: int, *, municipality: int, dwelling=None, tenure: int = 0,
                 savings_eur: float = 0.0, mortgage_eur: float = 0.0, moved_in_year: int = 0,
                 renovation_loan_eur: float = 0.0, renovation_loan_year: int = 0):
        super().__init__(model)
        self.eid, self.key = eid, key
        self.municipality, self.tenure = municipality, tenure
        self.savings_eur, self.mortgage_eur, self.moved_in_year = savings_eur, mortgage_eur, moved_in_year
        self.renovation_loan_eur, self.renovation_loan_year = renovation_loan_eur, renovation_loan_year
        self.members: list[Person] = []  # in id order
        self.dwelling = None
        if dwelling is not None:
            self.occupy(dwelling)

    def occupy(self, dwelling) -> None:
        self.dwelling = dwelling
        dwelling.household = self

    # -- facts about the household -----------------------------------------------------------------------
    def income(self) -> float:
        total = 0.0
        for p in self.members:
            total += p.income_eur
        return total

    def size(self) -> int:
        return len(self.members)

    def adults(self) -> int:
        return sum(1 for p in self.members if p.age >= 18)

    def head_age(self) -> int:
        age = 0
        for p in self.members:
            if p.role == HEAD:
                age = p.age
        return age

    def oldest(self) -> int:
        return max([0] + [p.age for p in self.members])

    def has_head(self) -> bool:
        return any(p.role == HEAD for p in self.members)

    def has_partner(self) -> bool:
        return any(p.role == PARTNER for p in self.members)

    def budget(self, model) -> float:
        """What the household can pay for a home: max_price_to_income x income + savings."""
        return model.sc.housing.max_price_to_income * self.income() + self.savings_eur

    def core_limit(self, model) -> float:
        inc = model.sc.income
        limit = inc.social_minimum_130_single_eur if self.adults() <= 1 else inc.social_minimum_130_multi_eur
        return limit * model.limit_factor(inc.income_limits_year)

    def daeb_limit(self, model) -> float:
        inc = model.sc.income
        limit = inc.daeb_income_limit_single_eur if self.size() <= 1 else inc.daeb_income_limit_multi_eur
        return limit * model.limit_factor(inc.daeb_limits_year)

    # -- yearly rules ----------------------------------------------------------------------------------
    def save_and_repay(self, model) -> None:
        """Save part of the income above the core-group limit; owners repay their mortgage linearly."""
        sc = model.sc
        surplus = max(self.income() - self.core_limit(model), 0.0)
        self.savings_eur += sc.income.savings_rate * surplus
        if self.tenure == OWNER:
            years_left = max(sc.stock.mortgage_term_years - (model.year - self.moved_in_year), 1.0)
            self.mortgage_eur -= self.mortgage_eur / years_left

    def repay_renovation_loan(self, model) -> None:
        rp = model.sc.renovation
        if self.renovation_loan_eur <= 0:
            return
        years_left = max(rp.renovation_loan_term_years - (model.year - self.renovation_loan_year), 1.0)
        due = self.renovation_loan_eur / years_left
        pay = min(due, max(self.savings_eur, 0.0))
        self.savings_eur -= pay
        self.renovation_loan_eur -= pay
        if self.renovation_loan_eur < 1.0:
            self.renovation_loan_eur = 0.0

    def pay(self, model, dwelling) -> float:
        """Buy ``dwelling`` at its value: savings first, a mortgage for the rest; returns the price."""
        value = dwelling.value_eur
        own_part = min(max(self.savings_eur, 0.0), value)
        self.savings_eur -= own_part
        self.mortgage_eur += value - own_part
        dwelling.last_sale_year = model.year
        return value


class Dwelling(mesa.Agent):
    COLUMNS = ("municipality", "wijk", "type", "built_year", "floor_area_m2", "ep2_kwh_m2", "condition",
               "lifetime_proof", "owner", "status", "value_eur", "years_vacant", "in_stock", "last_sale_year",
               "written_off", "priced_condition", "fund_status", "fund_until", "energy_connected")

    def __init__(self, model, eid: int, key: int, **values):
        super().__init__(model)
        self.eid, self.key = eid, key
        self.household = None
        for name in self.COLUMNS:
            setattr(self, name, values[name])

    # -- what kind of home -------------------------------------------------------------------------------
    def in_regular_stock(self) -> bool:
        return self.in_stock and self.status != DEMOLISHED

    def label(self) -> int:
        return label_of(self.ep2_kwh_m2)

    def policy_owned(self) -> bool:
        return self.owner == FUND or self.owner == CORPORATION_FUND

    def for_sale(self) -> bool:
        return self.owner == OWNER_OCCUPIER or (self.policy_owned() and self.fund_status == FUND_FOR_SALE)

    def for_rent(self) -> bool:
        return ((self.owner == CORPORATION and self.fund_status != RESERVED) or self.owner == PRIVATE_LANDLORD
                or (self.policy_owned() and self.fund_status >= FUND_LET))

    def tenure_in(self) -> int:
        if self.for_sale():
            return OWNER
        if self.owner in (CORPORATION, FUND, CORPORATION_FUND):
            return SOCIAL_TENANT
        return PRIVATE_TENANT

    def is_outside_unit(self) -> bool:
        return self.type == OTHER_UNIT

    def period(self) -> int:
        return min(max(bisect_right(PERIOD_STARTS, self.built_year) - 1, 0), len(PERIOD_STARTS) - 1)

    # -- energy and value --------------------------------------------------------------------------------
    def gas_m3(self, model) -> float:
        return model.sc.energy.gas_m3_per_ep2_kwh * self.ep2_kwh_m2 * self.floor_area_m2

    def heat_price_factor(self, model) -> float:
        return model.sc.corporation_energy.corp_energy_tariff_share if self.energy_connected else 1.0

    def energy_cost(self, model) -> float:
        gas_price, electricity_price = model.energy_prices()
        return (self.gas_m3(model) * gas_price * self.heat_price_factor(model)
                + model.sc.energy.electricity_kwh_per_household * electricity_price)

    def attractiveness(self, model) -> float:
        """Minus the yearly cost of living here (energy + user cost of the value): buyers prefer higher."""
        return -(self.energy_cost(model) + model.sc.housing.user_cost_rate * self.value_eur)

    def update_price(self, model, national_growth: float, local_change: float) -> None:
        """Follow the national index, the local excess supply of its segment, vacancy and its condition."""
        mk = model.sc.market
        factor = (1.0 + national_growth) * (1.0 + local_change)
        if self.status == VACANT and self.years_vacant >= 1:
            factor = factor * (1.0 - mk.vacant_value_loss)
        change = self.condition - self.priced_condition
        factor = factor * max(1.0 + mk.condition_value_weight * change, 0.05)
        self.priced_condition = self.condition
        self.value_eur *= factor

    def renovation_cost(self, model, ep2_from: float, ep2_to: float) -> float:
        """Cost of lowering EP2 from ``ep2_from`` to ``ep2_to``: per label band the reduction within it x
        that band's cost per kWh/m2 (the difference of the cumulative cost curve, model.renovation.
        band_cost_curve), x floor area x type and period factors, plus a fixed cost."""
        rp = model.sc.renovation
        at, slope, anchor = (a.tolist() for a in band_cost_curve(rp.renovation_cost_eur_per_kwh))

        def curve(x: float) -> float:
            j = bisect_right(EP2_BOUNDS, x)
            return at[j] + slope[j] * (x - anchor[j])

        per_m2 = max(curve(ep2_from) - curve(ep2_to), 0.0)
        factor = (rp.renovation_cost_type_factor[min(self.type, APARTMENT)]
                  * rp.renovation_cost_period_factor[self.period()])
        cost = per_m2 * self.floor_area_m2 * factor
        return cost + rp.renovation_fixed_cost_eur if cost > 0 else 0.0

    def gas_saving(self, model, ep2_from: float, ep2_to: float) -> float:
        e = model.sc.energy
        m3 = e.gas_m3_per_ep2_kwh * (ep2_from - ep2_to) * self.floor_area_m2
        return m3 * model.energy_prices()[0] * self.heat_price_factor(model)

    # -- maintenance -------------------------------------------------------------------------------------
    def decay_and_maintain(self, model, u: float) -> tuple[bool, float]:
        """Lose condition with age (faster when vacant); the owner maintains with a probability, an owner-
        occupier only with the means (paying from savings). Returns (maintained, what the household paid)."""
        mp = model.sc.maintenance
        age = max(model.year - self.built_year, 0)
        decay = (mp.condition_decay_base + mp.condition_decay_per_year_of_age * age) * (
            mp.vacant_decay_multiplier if self.status == VACANT else 1.0)
        cond = min(max(self.condition - decay, 0.0), 1.0)
        gain = mp.maintenance_restore_share * (1.0 - cond)
        # restoration cost per m2 x floor area is computed in float32 by the model (float32 column)
        cost = f32(f32(mp.restoration_cost_eur_m2) * self.floor_area_m2) * gain
        prob = 0.0
        if self.owner == CORPORATION:
            prob = mp.maintenance_prob_corporation
        elif self.owner == PRIVATE_LANDLORD:
            prob = mp.maintenance_prob_private_landlord
        hh = self.household if (self.owner == OWNER_OCCUPIER and self.status == OCCUPIED) else None
        if hh is not None:
            income = hh.income()
            if income <= hh.core_limit(model):
                factor = mp.maintenance_core_income_factor
            elif income < hh.daeb_limit(model):
                factor = mp.maintenance_low_income_factor
            else:
                factor = 1.0
            has_means = hh.savings_eur - mp.maintenance_savings_reserve_eur >= cost
            prob = mp.maintenance_prob_owner * factor if has_means else 0.0
        if self.written_off:
            prob = 0.0
        done = u < prob
        if done:
            cond = min(cond + gain, 1.0)
        paid = 0.0
        if done and hh is not None:
            hh.savings_eur -= cost
            paid = cost
        self.condition = f32(cond)
        return done, paid
