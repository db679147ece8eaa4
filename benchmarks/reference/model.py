"""``ReferenceModel``: the housing model's yearly rules written the plain Mesa way.

One :class:`~benchmarks.reference.agents.Person`, :class:`~benchmarks.reference.agents.Household` and
:class:`~benchmarks.reference.agents.Dwelling` agent per entity; every process is a loop over agents with
scalar arithmetic, in the order of :meth:`model.core.HousingModel.step`. It is an exact oracle for the
vectorised model: it consumes the same random numbers for the same decisions, so the two produce
identical indicator tables (tests/test_reference.py).

How the random numbers are shared (model/streams.py):

* a decision about an existing entity takes a uniform that depends only on (seed, process, year, sub-stream,
  the entity's draw key). The reference pre-draws them with ``Streams.uniform_by_key`` once per process and
  year for the agents concerned and hands each agent its own (:meth:`ReferenceModel.uniforms`);
* processes that use a sequential generator (partnership, in-migration, the allocation of dwellings,
  market matching, demolition, construction, corporation renovation, alignment) consume a generator of the
  same (process, year, sub) with the same calls in the same order.

Agents are visited in the order of their entity ids, which is the row order of the vectorised tables
(their rows are appended in id order and compaction keeps the order). Where the vectorised model
accumulates a float sum (event totals, household incomes) the reference adds in that order too.

Not modelled here: the policies (Transformatiefonds, proeftuinen, the corporations' levers). They are off
in the baseline scenario; :func:`policies_in_use` names any that a scenario switches on and the reference
refuses to run it. The initial stock is not a yearly rule: it is built by ``model.stock.build_stock`` and
turned into agents.
"""

from __future__ import annotations

import math
from collections import Counter

import mesa
import pyarrow as pa

from model.core import resolve_scenario
from model.data import MUNICIPALITY_CODES, NAME_BY_CODE, load_facts, load_wijk_table
from model.indicators import ARROW_SCHEMA, EVENT_COLUMNS, FLOW_COLUMNS, SCHEMA
from model.schedules import fertility_by_age, mortality_table
from model.state import (
    APARTMENT,
    CHILD,
    CORPORATION,
    CORPORATION_FUND,
    DEMOLISHED,
    DETACHED,
    FUND,
    FUND_FOR_SALE,
    FUND_LET,
    FUND_LET_TEMP,
    HEAD,
    OCCUPIED,
    OTHER_OWNER,
    OWNER,
    OWNER_OCCUPIER,
    PARTNER,
    POLICY_OWNERS,
    PRIVATE_LANDLORD,
    PRIVATE_TENANT,
    SEMI_DETACHED,
    SOCIAL_TENANT,
    TERRACED,
    VACANT,
)
from model.stock import build_stock
from model.streams import Streams

from .agents import EP2_BOUNDS, Dwelling, Household, Person, by_code, label_of
from .numerics import f32, interp, numpy_median, numpy_sum, ufunc_exp, ufunc_log, ufunc_power

N_MUN = len(MUNICIPALITY_CODES)
KEY_BITS = 40
ALLOCATION_SUB = {"separation": 1, "leave_home": 2, "in_migration": 3, "tenant_moves": 4, "fund": 6}
MATCH_ROUNDS = 6
INT_COLUMNS = {n for n, t, _, _ in SCHEMA if t == pa.int64()}


class ReferencePolicyError(ValueError):
    """The scenario switches on a policy the reference does not implement."""


def policies_in_use(sc) -> list[str]:
    """The policies a scenario switches on (the reference implements none of them)."""
    used = []
    if any(v > 0 for series in sc.fund.fund_contributions_eur.values() for v in series.values()):
        used.append("[fund] fund_contributions_eur (Transformatiefonds)")
    if any(v * sc.run.scale > 0 for v in sc.proeftuin.proeftuin_budget_eur.values()):
        used.append("[proeftuin] proeftuin_budget_eur")
    c = sc.corporation_fund
    if c.corp_fund_capital_eur * c.corp_fund_max_capital_share > 0:
        used.append("[corporation_fund] corp_fund_capital_eur")
    if sc.corporation_lifetime.corp_lp_homes_per_year > 0:
        used.append("[corporation_lifetime] corp_lp_homes_per_year")
    if sc.corporation_energy.corp_energy_budget_eur > 0:
        used.append("[corporation_energy] corp_energy_budget_eur")
    return used


class Flows:
    def __init__(self):
        self.births = [0] * N_MUN
        self.deaths = [0] * N_MUN
        self.in_migrants = [0] * N_MUN
        self.out_migrants = [0] * N_MUN
        self.unhoused_departures = [0] * N_MUN


class Mover:
    """A household that looks for another home in the market (market.moves): its means and needs."""

    def __init__(self, model, hh: Household, elderly: bool):
        hp, mk = model.sc.housing, model.sc.market
        self.hh, self.need_lp = hh, elderly
        home = hh.dwelling
        self.owner = hh.tenure == OWNER
        debt = hh.mortgage_eur + hh.renovation_loan_eur
        self.equity = home.value_eur - debt if self.owner else 0.0
        under_water = self.owner and self.equity < 0
        self.means = hh.savings_eur + max(self.equity, 0.0)
        borrow = 0.0 if under_water else hp.max_price_to_income * hh.income()
        self.budget = self.means + borrow
        self.need_area = 0.0 if elderly else mk.crowded_m2_per_person * hh.size() * 1.2


class ReferenceModel(mesa.Model):
    """The housing model, one agent per person, household and dwelling (see the module docstring).

    Args as :class:`model.HousingModel`: a scenario (path, Scenario or None), the seed, the scale, the data
    folder and single parameter overrides.
    """

    def __init__(self, scenario=None, rng: int = 0, scale: float | None = None, data_dir: str | None = None,
                 **overrides):
        if not isinstance(rng, int):
            raise TypeError("the reference takes an int seed")
        super().__init__(rng=rng)
        self.seed = rng
        self.sc = resolve_scenario(scenario, scale=scale, **overrides)
        used = policies_in_use(self.sc)
        if used:
            raise ReferencePolicyError(
                "the object-per-agent reference implements no policies, but the scenario "
                f"{self.sc.source_file or self.sc.name!r} switches on: {'; '.join(used)}")
        self.facts = load_facts(data_dir)
        self.wijken = load_wijk_table(data_dir)
        self.streams = Streams(rng)
        self._prices_year, self._prices = None, (0.0, 0.0)
        self.year = self.sc.run.base_year
        self._agents_from_stock(build_stock(self.sc, self.facts, self.wijken, self.streams))
        self._rows: list[dict] = []
        #: how often each rule fired over the run (what the indicator table does not show), for the tests
        self.activity: Counter[str] = Counter()
        self.events: dict[str, list[float]] | None = None
        self.flows: Flows | None = None
        self._schedules()
        self._collect()
        self.running = self.year < self.sc.run.end_year

    # -- building the agents ------------------------------------------------------------------------------
    def _agents_from_stock(self, state) -> None:
        p, h, d = state.persons, state.households, state.dwellings
        self._next_id = {"persons": p.next_id, "households": h.next_id, "dwellings": d.next_id}
        self._key_next = {"persons": dict(p._key_next), "households": dict(h._key_next),
                          "dwellings": dict(d._key_next)}
        self.median_income_eur = [float(x) for x in state.median_income_eur]
        dwellings = {}
        for r in d.alive_rows().tolist():
            values = {}
            for name in Dwelling.COLUMNS:
                v = d.col(name)[r]
                values[name] = bool(v) if v.dtype == bool else (float(v) if v.dtype.kind == "f" else int(v))
            dwellings[int(d.id[r])] = Dwelling(self, int(d.id[r]), int(d.key[r]), **values)
        households = {}
        for r in h.alive_rows().tolist():
            households[int(h.id[r])] = Household(
                self, int(h.id[r]), int(h.key[r]), municipality=int(h.municipality[r]),
                dwelling=dwellings[int(h.dwelling_id[r])], tenure=int(h.tenure[r]),
                savings_eur=float(h.savings_eur[r]), mortgage_eur=float(h.mortgage_eur[r]),
                moved_in_year=int(h.moved_in_year[r]), renovation_loan_eur=float(h.renovation_loan_eur[r]),
                renovation_loan_year=int(h.renovation_loan_year[r]))
        for r in p.alive_rows().tolist():
            hid = int(p.household_id[r])
            Person(self, int(p.id[r]), int(p.key[r]), age=int(p.age[r]), female=bool(p.female[r]),
                   household=households[hid] if hid >= 0 else None, role=int(p.role[r]),
                   municipality=int(p.municipality[r]), institution=bool(p.institution[r]),
                   income_eur=float(p.income_eur[r]), origin=int(p.origin[r]))

    def _new_ids(self, table: str, municipality: int) -> tuple[int, int]:
        eid = self._next_id[table]
        self._next_id[table] += 1
        counter = self._key_next[table].get(municipality, 0)
        self._key_next[table][municipality] = counter + 1
        return eid, (municipality << KEY_BITS) | counter

    def new_person(self, **values) -> Person:
        return Person(self, *self._new_ids("persons", values["municipality"]), **values)

    def new_household(self, **values) -> Household:
        return Household(self, *self._new_ids("households", values["municipality"]), **values)

    def new_dwelling(self, **values) -> Dwelling:
        return Dwelling(self, *self._new_ids("dwellings", values["municipality"]), **values)

    # -- the agents, in id order ----------------------------------------------------------------------------
    def persons(self) -> list[Person]:
        return list(self.agents_by_type.get(Person, ()))

    def households(self) -> list[Household]:
        return list(self.agents_by_type.get(Household, ()))

    def dwellings(self) -> list[Dwelling]:
        return list(self.agents_by_type.get(Dwelling, ()))

    def stock(self) -> list[Dwelling]:
        """The dwellings of the regular stock that stand."""
        return [d for d in self.dwellings() if d.in_regular_stock()]

    # -- helpers ------------------------------------------------------------------------------------------
    def uniforms(self, process: str, agents, sub: int = 0, year: int | None = None) -> list[float]:
        """The pre-drawn uniforms of ``agents`` for one decision (one per agent, fixed by its draw key)."""
        if not agents:
            return []
        return self.streams.uniform_by_key(process, self.year if year is None else year,
                                           [a.key for a in agents], sub).tolist()

    def generator(self, process: str, sub: int = 0):
        return self.streams.generator(process, self.year, sub)

    def energy_prices(self) -> tuple[float, float]:
        """This year's gas (EUR/m3) and electricity (EUR/kWh) prices, from the scenario's price paths."""
        if self._prices_year != self.year:
            e = self.sc.energy
            self._prices = (interp(e.gas_price_eur_m3, self.year), interp(e.electricity_price_eur_kwh, self.year))
            self._prices_year = self.year
        return self._prices

    def limit_factor(self, ref_year: int) -> float:
        """Moves an income limit from its price year to the model's year."""
        return (1.0 + self.sc.income.wage_growth_per_year) ** (self.year - ref_year)

    def count_event(self, name: str, municipalities, weights=None) -> None:
        """Add one batch of events (a total per municipality, summed in the order given) to a counter."""
        batch = [0.0] * N_MUN
        if weights is None:
            for m in municipalities:
                batch[m] += 1.0
        else:
            for m, w in zip(municipalities, weights, strict=True):
                batch[m] += w
        self.count_event_totals(name, batch)

    def count_event_totals(self, name: str, per_municipality) -> None:
        current = self.events.setdefault(name, [0.0] * N_MUN)
        for m in range(N_MUN):
            current[m] = current[m] + float(per_municipality[m])

    def population(self) -> list[int]:
        out = [0] * N_MUN
        for p in self.persons():
            out[p.municipality] += 1
        return out

    def remove_person(self, person: Person) -> None:
        person.leave_household()
        person.remove()

    def release_household(self, hh: Household) -> None:
        """The household is dissolved: its dwelling becomes vacant (a unit outside the stock goes)."""
        home = hh.dwelling
        home.household = None
        if home.is_outside_unit():
            home.remove()
            self.activity["outside_units_released"] += 1
        else:
            home.status = VACANT
            home.years_vacant = 0
        hh.remove()

    def _schedules(self) -> None:
        d = self.sc.demography
        self.mortality_q = mortality_table(self.facts, self.year, d.mortality_improvement_per_year,
                                           d.mortality_multiplier).tolist()
        self.fertility = fertility_by_age(d.total_fertility_rate, d.fertility_mean_age, d.fertility_sd_age).tolist()

    # -- the year -----------------------------------------------------------------------------------------
    def processes(self):
        """The yearly processes in the order of HousingModel.step, as (name, method)."""
        return [("mortality", self.mortality), ("care", self.care), ("fertility", self.fertility_process),
                ("separation", self.separation), ("partnership", self.partnership),
                ("tenant_moves", self.tenant_moves), ("leave_home", self.leave_home),
                ("out_migration", self.out_migration), ("in_migration", self.in_migration),
                ("ageing", self.ageing), ("yearly_means", self.yearly_means), ("update_prices", self.update_prices),
                ("moves", self.moves), ("corporation_sales", self.corporation_sales),
                ("maintenance", self.maintenance), ("owner_renovation", self.owner_renovation),
                ("corporation_renovation", self.corporation_renovation),
                ("structural_vacancy_demolition", self.structural_vacancy_demolition),
                ("demolition", self.demolition), ("construction", self.construction)]

    def begin_year(self) -> None:
        self.flows = Flows()
        self.events = {}
        self._population_start = self.population()

    def end_year(self) -> None:
        self.year += 1
        self._schedules()
        self._collect()
        if self.year >= self.sc.run.end_year:
            self.running = False

    def step(self) -> None:
        if self.year >= self.sc.run.end_year:
            self.running = False
            return
        self.begin_year()
        for _, process in self.processes():
            process()
        self.end_year()

    # == 1. demography ==========================================================================================
    def fix_households(self) -> None:
        """After members left: a household without a head gets one (the partner, else the oldest member;
        minors without an adult leave the region); empty households are dissolved."""
        for hh in self.households():
            if hh.members and not hh.has_head():
                new_head, best = None, None
                for p in hh.members:
                    rank = (1000 if p.role == PARTNER else 0) + p.age
                    if best is None or rank > best:
                        new_head, best = p, rank
                if new_head.age >= 18:
                    new_head.role = HEAD
                else:
                    self.activity["orphaned_households"] += 1
                    for p in list(hh.members):
                        self.flows.out_migrants[p.municipality] += 1
                        self.remove_person(p)
            if not hh.members:
                self.release_household(hh)

    def mortality(self) -> None:
        persons = self.persons()
        u = self.uniforms("mortality", persons)
        dying = [p for p, ui in zip(persons, u, strict=True) if ui < p.death_probability(self)]
        # the surviving partner inherits a share of the income
        share = self.sc.demography.survivor_income_share
        income_of_dying = {}
        for p in dying:
            if p.role in (HEAD, PARTNER):
                income_of_dying[p.household] = p.income_eur
        if income_of_dying and share != 0:
            dead = set(dying)
            for hh, income in income_of_dying.items():
                for p in hh.members:
                    if p.role in (HEAD, PARTNER) and p not in dead:
                        p.income_eur += share * income
                        self.activity["widowed"] += 1
        for p in dying:
            self.flows.deaths[p.municipality] += 1
            self.remove_person(p)
        self.fix_households()

    def care(self) -> None:
        cand = [p for p in self.persons() if p.age >= 75 and not p.institution]
        for p, ui in zip(cand, self.uniforms("care", cand), strict=True):
            if ui < p.care_entry_rate(self):
                p.institution = True
                p.leave_household()
                self.activity["care_entries"] += 1
        self.fix_households()

    def fertility_process(self) -> None:
        cand = [p for p in self.persons() if p.female and not p.institution and 15 <= p.age <= 49]
        u = self.uniforms("fertility", cand)
        mothers = [p for p, ui in zip(cand, u, strict=True) if ui < self.fertility[p.age]]
        share_male = self.sc.demography.share_male_births
        for mother, ui in zip(mothers, self.uniforms("fertility", mothers, sub=1), strict=True):
            self.new_person(age=-1, female=ui >= share_male, household=mother.household, role=CHILD,
                            municipality=mother.municipality, institution=False, income_eur=0.0, origin=1)
            self.flows.births[mother.municipality] += 1

    def new_households_for(self, persons: list[Person], process: str) -> None:
        """Each person forms a one-person household in a vacant dwelling of the municipality, or leaves."""
        if not persons:
            return
        new = [self.new_household(municipality=p.municipality, tenure=0, savings_eur=0.0, mortgage_eur=0.0,
                                  moved_in_year=self.year + 1) for p in persons]
        ratio = self.sc.stock.savings_income_ratio
        for p, hh in zip(persons, new, strict=True):
            p.join(hh)
            p.role = HEAD
            hh.savings_eur = p.income_eur * ratio * 0.5
        housed = self.allocate_dwellings(new, process)
        for p, hh, ok in zip(persons, new, housed, strict=True):
            self.activity[f"{process}_housed" if ok else f"{process}_unhoused"] += 1
            if not ok:
                self.flows.out_migrants[p.municipality] += 1
                self.flows.unhoused_departures[p.municipality] += 1
                self.remove_person(p)
                hh.remove()

    def separation(self) -> None:
        partners = [p for p in self.persons() if p.role == PARTNER]
        u = self.uniforms("separation", [p.household for p in partners])
        rate = self.sc.demography.separation_rate
        self.new_households_for([p for p, ui in zip(partners, u, strict=True) if ui < rate], "separation")

    def partnership(self) -> None:
        cand = [p for p in self.persons() if p.household is not None and p.role == HEAD
                and not p.household.has_partner() and 20 <= p.age <= 64]
        rate = self.sc.demography.partnership_rate
        cand = [p for p, ui in zip(cand, self.uniforms("partnership", cand), strict=True) if ui < rate]
        if len(cand) < 2:
            return
        couples = []  # (host, mover)
        for m in range(N_MUN):
            rng = self.generator("partnership", sub=m)
            here = [p for p in cand if p.municipality == m]
            men = [p for p in here if not p.female]
            women = [p for p in here if p.female]
            k = min(len(men), len(women))
            if k == 0:
                continue
            noise = rng.normal(0, 3, len(men)).tolist()
            men = [men[i] for i in sorted(range(len(men)), key=lambda i: men[i].age + noise[i])]
            noise = rng.normal(0, 3, len(women)).tolist()
            women = [women[i] for i in sorted(range(len(women)), key=lambda i: women[i].age + noise[i])]
            if len(men) > k:
                men = [men[i] for i in sorted(rng.choice(len(men), k, replace=False).tolist())]
            else:
                women = [women[i] for i in sorted(rng.choice(len(women), k, replace=False).tolist())]
            for man, woman in zip(men, women, strict=True):
                # the partner with the larger dwelling hosts
                if man.household.dwelling.floor_area_m2 >= woman.household.dwelling.floor_area_m2:
                    couples.append((man, woman))
                else:
                    couples.append((woman, man))
        if not couples:
            return
        self.activity["partnerships"] += len(couples)
        for host, mover in couples:
            for p in list(mover.household.members):  # the mover's whole household moves in
                p.join(host.household)
        for _, mover in couples:
            mover.role = PARTNER
        self.fix_households()

    def leave_home(self) -> None:
        d = self.sc.demography
        factors = getattr(d, "household_formation_factor", None)
        kids = [p for p in self.persons() if p.role == CHILD and p.age >= 18]
        leaving = []
        for p, ui in zip(kids, self.uniforms("leave_home", kids), strict=True):
            rate = d.leave_home_rate * (by_code(factors, p.municipality) if factors is not None else 1.0)
            if ui < rate:
                leaving.append(p)
        self.new_households_for(leaving, "leave_home")
        self.fix_households()

    def _alignment_targets(self) -> list[int] | None:
        targets = self.sc.alignment.population_targets
        nxt = self.year + 1
        if not any(nxt in t for t in targets.values()):
            return None
        return [round(targets[c][nxt] * self.sc.run.scale) if nxt in targets.get(c, {}) else -1
                for c in MUNICIPALITY_CODES]

    def out_migration(self) -> None:
        """Households leave with their head, adult children on their own; with a population target for next
        1 January, more households leave where the population is above it (ranked by their probability)."""
        targets = self._alignment_targets()
        self._targets = targets
        extra = None
        if targets is not None:
            pop = self.population()
            extra = [max(pop[m] - targets[m], 0) if targets[m] >= 0 else 0 for m in range(N_MUN)]
        in_hh = [p for p in self.persons() if p.household is not None]
        heads = [p for p in in_hh if p.role == HEAD]
        u = self.uniforms("out_migration", [p.household for p in heads])
        prob = [p.out_migration_probability(self) for p in heads]
        leaving = [p.household for p, ui, q in zip(heads, u, prob, strict=True) if ui < q]
        if extra is not None and any(e > 0 for e in extra):
            staying = [(p, q) for p, ui, q in zip(heads, u, prob, strict=True) if ui >= q]
            for m in range(N_MUN):
                if extra[m] <= 0:
                    continue
                rng = self.generator("alignment", sub=m)
                here = [(p, q) for p, q in staying if p.municipality == m]
                noise = rng.random(len(here)).tolist()
                order = sorted(range(len(here)), key=lambda i: -(here[i][1] + 1e-3 * noise[i]))
                k, total = 0, 0
                for i in order:  # the households whose persons stay below the extra number, and one more
                    total += here[i][0].household.size()
                    if total >= extra[m]:
                        break
                    k += 1
                leaving += [here[i][0].household for i in order[:k + 1]]
        self.activity["households_leaving_region"] += len(set(leaving))
        leaving = set(leaving)
        kids = [p for p in in_hh if p.role == CHILD and p.age >= 18]
        u = self.uniforms("out_migration", kids, sub=1)
        kids_leaving = {p for p, ui in zip(kids, u, strict=True) if ui < p.out_migration_probability(self)}
        for p in in_hh:
            if p.household in leaving or p in kids_leaving:
                self.flows.out_migrants[p.municipality] += 1
                self.remove_person(p)
        self.fix_households()

    def in_migration(self) -> None:
        """In-migrant households copy local households with a young head until each municipality's target
        number of persons is reached, where dwellings are vacant."""
        mig, hp = self.sc.migration, self.sc.housing
        rates = mig.in_migration_per_1000
        target_persons = [round(rates[c] / 1000.0 * self._population_start[m])
                          for m, c in enumerate(MUNICIPALITY_CODES)]
        if self._targets is not None:
            pop = self.population()
            target_persons = [max(t - pop[m], 0) if t >= 0 else target_persons[m]
                              for m, t in enumerate(self._targets)]
        heads = [p for p in self.persons() if p.household is not None and p.role == HEAD]
        for m in range(N_MUN):
            rng = self.generator("in_migration", sub=m)
            target = int(target_persons[m])
            if target <= 0:
                continue
            here = [p for p in heads if p.municipality == m]
            if not here:
                continue
            w = []
            for p in here:
                z = (p.age - mig.in_migrant_head_age_mean) / mig.in_migrant_head_age_sd
                w.append(ufunc_exp(-0.5 * ufunc_power(z, 2.0)) + 1e-9)
            sizes = [p.household.size() for p in here]
            w_total = numpy_sum(w)
            mean_size = max(1.0, numpy_sum([s * wi for s, wi in zip(sizes, w, strict=True)]) / w_total)
            k = math.ceil(target / mean_size * 1.2) + 1
            templates = [here[i] for i in rng.choice(len(here), size=k, p=[wi / w_total for wi in w]).tolist()]
            # the households whose persons fit in the target, then one of exactly the remaining size if any
            n_fit, total = 0, 0
            for t in templates:
                if total + t.household.size() > target:
                    break
                total += t.household.size()
                n_fit += 1
            templates = templates[:n_fit]
            rest = target - total
            if rest > 0:
                fits = [i for i, s in enumerate(sizes) if s == rest]
                if fits:
                    noise = rng.random(len(fits)).tolist()
                    best = max(range(len(fits)), key=lambda j: (w[fits[j]] * noise[j], -j))
                    templates.append(here[fits[best]])
            new = [self.new_household(municipality=m, tenure=0, savings_eur=t.household.savings_eur,
                                      mortgage_eur=0.0, moved_in_year=self.year + 1) for t in templates]
            budgets = [hp.max_price_to_income * t.household.income() + t.household.savings_eur for t in templates]
            housed = self.allocate_dwellings(new, "in_migration", budgets)
            pairs = []
            for t, hh, ok in zip(templates, new, housed, strict=True):
                if ok:
                    pairs.append((t.household, hh))
                else:
                    self.activity["in_migration_unhoused"] += 1
                    hh.remove()
            if not pairs:
                continue
            self.activity["in_migrant_households"] += len(pairs)
            # copy the members of each template household (ages shifted a little, incomes varied)
            sources = [(src, hh) for template_hh, hh in pairs for src in template_hh.members]
            shifts = rng.integers(-2, 3, len(sources)).tolist()
            factors = rng.lognormal(0, 0.2, len(sources)).tolist()
            for (src, hh), shift, factor in zip(sources, shifts, factors, strict=True):
                age = min(max(src.age + shift, 0), 100)
                age = min(age, 17) if src.age < 18 else max(age, 18)
                self.new_person(age=age, female=src.female, household=hh, role=src.role, municipality=m,
                                institution=False, income_eur=src.income_eur * factor, origin=2)
            self.flows.in_migrants[m] += len(sources)

    def ageing(self) -> None:
        """Everyone one year older; an income at 18, the working-age level at 25, the pension at 67."""
        from scipy.special import ndtri

        s = self.sc.stock
        persons = self.persons()
        for p in persons:
            p.age += 1
        adults = [p for p in persons if p.age == 18 and not p.institution]
        for p, ui in zip(adults, self.uniforms("income", adults), strict=True):
            z = float(ndtri(min(max(ui, 1e-12), 1 - 1e-12)))
            p.income_eur = self.median_income_eur[p.municipality] * s.income_young_ratio * ufunc_exp(s.income_sigma * z)
        to_working = 1.0 / s.income_young_ratio
        for p in persons:
            if p.age == 25:
                p.income_eur *= to_working
            elif p.age == 67:
                p.income_eur *= s.income_pensioner_ratio
        for d in self.dwellings():
            if d.status == VACANT:
                d.years_vacant += 1
            elif d.status == OCCUPIED:
                d.years_vacant = 0

    # == allocation of dwellings (model/allocation.py) ============================================================
    def match_buyers(self, rng, budgets: list[float], free: list[Dwelling], scores: list[float] | None,
                     choices: int) -> list[int]:
        """Each buyer looks at ``choices`` random homes of ``free`` within budget and bids on the most
        attractive; two bids on one home: a random bidder wins, the others try again. Returns per buyer the
        index into ``free`` or -1."""
        got = [-1] * len(budgets)
        avail = sorted(range(len(free)), key=lambda i: free[i].value_eur)  # indices into free, by value
        c = max(choices, 1)
        for _ in range(MATCH_ROUNDS):
            todo = [i for i in range(len(budgets)) if got[i] < 0]
            if not todo or not avail:
                break
            values = [free[i].value_eur for i in avail]
            bidders = []
            for i in todo:
                k = 0  # homes within budget: the k cheapest
                lo, hi = 0, len(values)
                while lo < hi:
                    mid = (lo + hi) // 2
                    if values[mid] <= budgets[i]:
                        lo = mid + 1
                    else:
                        hi = mid
                k = lo
                if k > 0:
                    bidders.append((i, k))
            if not bidders:
                break
            u = rng.random(len(bidders) * c).tolist()
            picks = []
            for b, (_, k) in enumerate(bidders):
                draws = [int(u[b * c + j] * k) for j in range(c)]
                pick = draws[0]
                if scores is not None and choices > 1:
                    for dj in draws[1:]:
                        if scores[avail[dj]] > scores[avail[pick]]:
                            pick = dj
                picks.append(pick)
            taken = set()
            for b in rng.permutation(len(bidders)).tolist():
                if picks[b] not in taken:
                    taken.add(picks[b])
                    got[bidders[b][0]] = avail[picks[b]]
            avail = [a for j, a in enumerate(avail) if j not in taken]
        return got

    def purchase(self, pairs: list[tuple[Household, Dwelling]]) -> None:
        """Households buy dwellings at their value; counted as purchases (one batch)."""
        prices = [hh.pay(self, d) for hh, d in pairs]
        mun = [d.municipality for _, d in pairs]
        self.count_event("purchases", mun)
        self.count_event("purchase_value_eur", mun, prices)

    def allocate_dwellings(self, new: list[Household], process: str, budgets: list[float] | None = None) -> list[bool]:
        """Give each household a vacant dwelling in its municipality (buy if affordable and preferred, else
        rent, else try the other segment); returns who got one."""
        hp = self.sc.housing
        if not new:
            return []
        vacant = [d for d in self.dwellings() if d.status == VACANT and d.in_stock
                  and (not d.written_off or (d.owner in POLICY_OWNERS and d.fund_status == FUND_LET_TEMP))]
        if budgets is None:
            budgets = [hh.budget(self) for hh in new]
        chosen: list[Dwelling | None] = [None] * len(new)
        for m in sorted({hh.municipality for hh in new}):
            rng = self.generator("allocation", sub=16 * ALLOCATION_SUB[process] + m)
            want = [i for i, hh in enumerate(new) if hh.municipality == m]
            free = [d for d in vacant if d.municipality == m]
            own_free = [d for d in free if d.for_sale() and d.last_sale_year != self.year]
            rent_free = [d for d in free if d.for_rent()]
            cheapest = min((d.value_eur for d in own_free), default=math.inf)
            u = rng.random(len(want)).tolist()
            prefers_buy = [ui < hp.buy_share_if_affordable and budgets[i] >= cheapest
                           for i, ui in zip(want, u, strict=True)]
            scores = [d.attractiveness(self) for d in own_free]
            buyers = [i for i, b in zip(want, prefers_buy, strict=True) if b]
            got = self.match_buyers(rng, [budgets[i] for i in buyers], own_free, scores, hp.choice_set_size)
            for i, g in zip(buyers, got, strict=True):
                if g >= 0:
                    chosen[i] = own_free[g]
            bought = {id(chosen[i]) for i in buyers if chosen[i] is not None}
            own_left = [d for d in own_free if id(d) not in bought]
            left_scores = [s for d, s in zip(own_free, scores, strict=True) if id(d) not in bought]
            renters = ([i for i, b in zip(want, prefers_buy, strict=True) if not b]
                       + [i for i, g in zip(buyers, got, strict=True) if g < 0])
            renters = [renters[j] for j in rng.permutation(len(renters)).tolist()]
            k = min(len(renters), len(rent_free))
            homes = [rent_free[j] for j in rng.permutation(len(rent_free)).tolist()[:k]]
            for i, d in zip(renters[:k], homes, strict=True):
                chosen[i] = d
            still = renters[k:]
            if still and own_left:
                got = self.match_buyers(rng, [budgets[i] for i in still], own_left, left_scores, hp.choice_set_size)
                for i, g in zip(still, got, strict=True):
                    if g >= 0:
                        chosen[i] = own_left[g]
        bought_pairs = []
        for hh, d in zip(new, chosen, strict=True):
            if d is None:
                continue
            d.status = OCCUPIED
            d.years_vacant = 0
            hh.occupy(d)
            hh.tenure = d.tenure_in()
            hh.mortgage_eur = 0.0
            if hh.tenure == OWNER:
                bought_pairs.append((hh, d))
            self.activity["allocation_bought" if hh.tenure == OWNER else "allocation_rented"] += 1
        self.purchase(bought_pairs)
        return [d is not None for d in chosen]

    def tenant_moves(self) -> None:
        """Tenants who look to buy move into an affordable vacant owner-occupied home of their municipality."""
        hp = self.sc.housing
        tenants = [hh for hh in self.households() if hh.tenure in (SOCIAL_TENANT, PRIVATE_TENANT)]
        u = self.uniforms("allocation", tenants, sub=5)
        looking = [hh for hh, ui in zip(tenants, u, strict=True) if ui < hp.tenant_buy_rate]
        if not looking:
            return
        budgets = {id(hh): hh.budget(self) for hh in looking}
        own_vacant = [d for d in self.dwellings() if d.status == VACANT and d.in_stock and d.for_sale()
                      and not d.written_off and d.last_sale_year != self.year]
        for m in sorted({hh.municipality for hh in looking}):
            rng = self.generator("allocation", sub=16 * ALLOCATION_SUB["tenant_moves"] + m)
            who = [hh for hh in looking if hh.municipality == m]
            free = [d for d in own_vacant if d.municipality == m]
            if not free:
                continue
            got = self.match_buyers(rng, [budgets[id(hh)] for hh in who], free,
                                    [d.attractiveness(self) for d in free], hp.choice_set_size)
            pairs = [(hh, free[g]) for hh, g in zip(who, got, strict=True) if g >= 0]
            if not pairs:
                continue
            self.activity["tenant_purchases"] += len(pairs)
            for hh, new in pairs:
                old = hh.dwelling
                old.household = None
                old.status = VACANT
                old.years_vacant = 0
                new.status = OCCUPIED
                hh.occupy(new)
                hh.tenure = OWNER
                hh.moved_in_year = self.year + 1
            self.purchase(pairs)

    # == 2. incomes ========================================================================================
    def yearly_means(self) -> None:
        g = self.sc.income.wage_growth_per_year
        for p in self.persons():
            p.index_income(g)
        self.median_income_eur = [x * (1.0 + g) for x in self.median_income_eur]
        for hh in self.households():
            hh.save_and_repay(self)

    # == 3. housing market ===================================================================================
    def update_prices(self) -> None:
        mk = self.sc.market
        stock = self.stock()
        total = [[0] * (APARTMENT + 1) for _ in range(N_MUN)]
        vacant = [[0] * (APARTMENT + 1) for _ in range(N_MUN)]
        for d in stock:
            if d.for_sale():
                total[d.municipality][d.type] += 1
                vacant[d.municipality][d.type] += d.status == VACANT
        local = [[min(max(-mk.price_vacancy_elasticity * (vacant[m][t] / max(total[m][t], 1) - mk.natural_vacancy_rate),
                          -mk.max_local_price_change), mk.max_local_price_change)
                  for t in range(APARTMENT + 1)] for m in range(N_MUN)]
        growth = interp(mk.national_price_growth, self.year)
        for d in stock:
            d.update_price(self, growth, local[d.municipality][min(d.type, APARTMENT)])

    def _move(self, hh: Household, target: Dwelling) -> None:
        old = hh.dwelling
        old.household = None
        if old.is_outside_unit():
            old.remove()
        else:
            old.status = VACANT
            old.years_vacant = 0
        target.status = OCCUPIED
        target.years_vacant = 0
        hh.occupy(target)
        hh.moved_in_year = self.year + 1
        hh.tenure = target.tenure_in()

    def moves(self) -> None:
        """Elderly households to lifetime-proof homes, crowded families to larger ones (within a municipality)."""
        mk, hp = self.sc.market, self.sc.housing
        households = self.households()
        u = self.uniforms("market", households)
        movers = []
        for hh, ui in zip(households, u, strict=True):
            home = hh.dwelling
            if not home.in_stock:
                continue
            size = hh.size()
            elderly = hh.oldest() >= 75 and not home.lifetime_proof
            crowded = size >= 3 and home.floor_area_m2 / max(size, 1) < mk.crowded_m2_per_person
            if (elderly and ui < mk.elderly_move_rate) or (crowded and not elderly and ui < mk.family_move_rate):
                movers.append(Mover(self, hh, elderly))
        if not movers:
            return
        vacant = [d for d in self.stock() if d.status == VACANT and not d.written_off]
        for m in sorted({mv.hh.municipality for mv in movers}):
            rng = self.generator("market", sub=m)
            here = [mv for mv in movers if mv.hh.municipality == m]
            free = [d for d in vacant if d.municipality == m and d.status == VACANT]
            for group in ([mv for mv in here if mv.need_lp], [mv for mv in here if not mv.need_lp]):
                if not group or not free:
                    continue
                if group[0].need_lp:
                    cand = [d for d in free if d.lifetime_proof]
                else:
                    least = min(mv.need_area for mv in group)
                    cand = [d for d in free if d.floor_area_m2 >= least]
                if not cand:
                    continue
                rent_c = [d for d in cand if d.for_rent()]
                own_c = [d for d in cand if d.for_sale() and d.last_sale_year != self.year]
                got = (self.match_buyers(rng, [mv.budget for mv in group], own_c,
                                         [d.attractiveness(self) for d in own_c], hp.choice_set_size)
                       if own_c else [-1] * len(group))
                buyers = [(mv, own_c[g]) for mv, g in zip(group, got, strict=True) if g >= 0]
                rest = [mv for mv, g in zip(group, got, strict=True) if g < 0]
                k = min(len(rest), len(rent_c))
                renters = list(zip(rest[:k], [rent_c[j] for j in rng.permutation(len(rent_c)).tolist()[:k]],
                                   strict=True))
                for pairs, buy in ((buyers, True), (renters, False)):
                    if not pairs:
                        continue
                    self.activity["market_moves_buying" if buy else "market_moves_renting"] += len(pairs)
                    for mv, target in pairs:  # the old home is sold: equity to savings, a shortfall stays debt
                        mv.hh.savings_eur = mv.means
                        if mv.owner:
                            mv.hh.mortgage_eur = max(-mv.equity, 0.0)
                            mv.hh.renovation_loan_eur = 0.0
                        self._move(mv.hh, target)
                    if buy:
                        self.purchase([(mv.hh, target) for mv, target in pairs])
                    self.count_event("elderly_moves" if pairs[0][0].need_lp else "family_moves",
                                     [mv.hh.municipality for mv, _ in pairs])
                taken = {id(t) for _, t in buyers + renters}
                free = [d for d in free if id(d) not in taken]

    def corporation_sales(self) -> None:
        """Corporations sell homes to sitting tenants who can afford them."""
        tenants = [hh for hh in self.households() if hh.tenure == SOCIAL_TENANT]
        u = self.uniforms("stock_change", tenants, sub=2)
        rate = self.sc.stock_change.corporation_sale_rate
        pairs = [(hh, hh.dwelling) for hh, ui in zip(tenants, u, strict=True) if ui < rate
                 and hh.dwelling.owner == CORPORATION and hh.budget(self) >= hh.dwelling.value_eur]
        for hh, d in pairs:
            d.owner = OWNER_OCCUPIER
            hh.tenure = OWNER
            hh.moved_in_year = self.year + 1
        self.purchase(pairs)
        per_m = [0] * N_MUN
        for _, d in pairs:
            per_m[d.municipality] += 1
        self.count_event_totals("corporation_sales", per_m)

    # == 4.-6. maintenance and renovation =====================================================================
    def maintenance(self) -> None:
        mp = self.sc.maintenance
        stock = self.stock()
        maintained, paid_m, paid, newly = [], [], [], []
        write_off = f32(mp.write_off_condition)  # the model compares the float32 condition in float32
        for d, ui in zip(stock, self.uniforms("maintenance", stock), strict=True):
            was_written_off = d.written_off
            done, cost = d.decay_and_maintain(self, ui)
            if done:
                maintained.append(d.municipality)
                if d.owner == OWNER_OCCUPIER and d.status == OCCUPIED:
                    paid_m.append(d.municipality)
                    paid.append(cost)
            if not was_written_off and d.condition < write_off:
                d.written_off = True
                newly.append(d.municipality)
        self.count_event("maintained_dwellings", maintained)
        self.count_event("maintenance_owner_eur", paid_m, paid)
        self.count_event("written_off_new", newly)

    def capital_recovery(self, rate: float, years: float, scalar: bool = False) -> float:
        """Yearly payment per EUR over ``years`` at ``rate``. The model computes it on arrays (numpy's power
        ufunc) or, for the owners' own discount rate, on a number (the C library's pow): ``scalar``."""
        if rate > 1e-9:
            growth = (1.0 + rate) ** -years if scalar else ufunc_power(1.0 + rate, -years)
            return rate / (1.0 - growth)
        return 1.0 / years

    def owner_renovation(self) -> None:
        for hh in self.households():
            hh.repay_renovation_loan(self)
        owners = [hh for hh in self.households() if hh.tenure == OWNER and hh.dwelling.in_stock
                  and hh.dwelling.owner == OWNER_OCCUPIER and not hh.dwelling.written_off]
        if not owners:
            return
        self.energy_renovation(owners)
        self.adaptation(owners)

    def _energy_option(self, hh, d, e0, target, grant_share, applies, facts):
        rp = self.sc.renovation
        income, core = facts["income"], facts["core"]
        cost = d.renovation_cost(self, e0, target) * (1.0 - by_code(rp.collective_discount, hh.municipality))
        other = min(grant_share * cost + (by_code(rp.local_grant_eur, hh.municipality) if core else 0.0), cost)
        grant = other + min(0.0, cost - other)  # + the proeftuin's grant (none)
        # financing: own savings above a buffer, then a loan within the borrowing room
        net = cost - grant
        own = min(max(hh.savings_eur - rp.renovation_savings_buffer_eur, 0.0), net)
        loan = net - own
        debt = hh.mortgage_eur + hh.renovation_loan_eur
        floor = rp.borrowing_income_floor_eur * self.limit_factor(self.sc.income.income_limits_year)
        room = max(min(rp.borrowing_income_multiple * max(income - floor, 0.0), rp.borrowing_ltv_max * d.value_eur)
                   - debt, 0.0)
        loan_cap = max(min(rp.warmtefonds_max_loan_eur, room), rp.no_capacity_loan_eur)
        feasible = loan <= loan_cap + 1e-6
        limit = rp.warmtefonds_income_limit_eur * self.limit_factor(rp.warmtefonds_price_year)
        rate = 0.0 if income < limit else rp.warmtefonds_interest_rate
        yearly = (own * self.capital_recovery(rp.renovation_discount_rate, rp.renovation_lifetime_years, scalar=True)
                  + loan * self.capital_recovery(rate, rp.renovation_lifetime_years))
        saving = d.gas_saving(self, e0, target)
        bcr = saving / (yearly + rp.renovation_hassle_eur)
        usable = applies and feasible and cost > 0 and saving > 0
        return dict(target=target, cost=cost, grant=grant, own=own, loan=loan, bcr=bcr if usable else 0.0,
                    usable=usable)

    def energy_renovation(self, owners: list[Household]) -> None:
        """Owner-occupiers of label B-G homes decide on one label step or a deep renovation to label B."""
        rp = self.sc.renovation
        cand = [hh for hh in owners if hh.dwelling.label() >= 1]
        if not cand:
            return
        u_go = self.uniforms("renovation", cand, sub=1)
        u_depth = self.uniforms("renovation", cand, sub=2)
        deep_label = label_of(rp.deep_renovation_ep2_kwh_m2)
        done = []
        for hh, ug, ud in zip(cand, u_go, u_depth, strict=True):
            d = hh.dwelling
            e0 = d.ep2_kwh_m2
            label = label_of(e0)
            income = hh.income()
            facts = dict(income=income, core=income <= hh.core_limit(self))
            low = income < hh.daeb_limit(self)
            step_to = min(EP2_BOUNDS[max(label, 1) - 1] - rp.renovation_ep2_margin_kwh_m2, e0) if label >= 1 else e0
            deep_ok = deep_label < label - 1
            deep_to = min(rp.deep_renovation_ep2_kwh_m2, e0) if deep_ok else e0
            step = self._energy_option(hh, d, e0, step_to, rp.isde_grant_share, label >= 1, facts)
            deep = self._energy_option(hh, d, e0, deep_to, rp.isde_deep_grant_share, deep_ok, facts)
            any_usable = step["usable"] or deep["usable"]
            head_age = hh.head_age()
            best = max(step["bcr"], deep["bcr"]) if any_usable else 1.0
            x = (rp.renovation_intercept + rp.renovation_bcr_weight * ufunc_log(best)
                 + rp.renovation_moved_in_weight * (hh.moved_in_year >= self.year - 1)
                 + rp.renovation_retired_weight * (head_age == 67)
                 + rp.renovation_age_weight * max(head_age - 55, 0)
                 + rp.renovation_low_income_weight * low + rp.renovation_core_income_weight * facts["core"])
            logistic = 1.0 / (1.0 + ufunc_exp(-min(max(x, -50.0), 50.0)))
            prob = min(by_code(rp.outreach_multiplier, hh.municipality) * logistic, 1.0) if any_usable else 0.0
            if not ug < prob:
                continue
            choose_deep = deep["usable"] and (not step["usable"] or ud < rp.deep_renovation_share)
            option = deep if choose_deep else step
            done.append((hh, option, choose_deep, low, label - label_of(option["target"])))
        if not done:
            return
        for hh, option, _, _, steps in done:
            d = hh.dwelling
            hh.savings_eur -= option["own"]
            hh.renovation_loan_eur += option["loan"]
            if option["loan"] > 0:
                hh.renovation_loan_year = self.year
            d.ep2_kwh_m2 = f32(option["target"])
            d.value_eur *= 1.0 + rp.renovation_value_uplift_per_step * steps
        mun = [hh.municipality for hh, *_ in done]
        self.count_event("renovations", mun)
        self.count_event("renovations_deep", [hh.municipality for hh, _, deep, _, _ in done if deep])
        self.count_event("renovations_own_means", [hh.municipality for hh, o, *_ in done if not o["loan"] > 0])
        self.count_event("renovations_with_loan", [hh.municipality for hh, o, *_ in done if o["loan"] > 0])
        self.count_event("renovations_low_income", [hh.municipality for hh, _, _, low, _ in done if low])
        self.count_event("label_steps", mun, [float(s) for *_, s in done])
        self.count_event("renovation_investment_eur", mun, [o["cost"] for _, o, *_ in done])
        self.count_event("grant_eur", mun, [o["grant"] for _, o, *_ in done])
        self.count_event("renovation_loans_eur", mun, [o["loan"] for _, o, *_ in done])

    def adaptation(self, owners: list[Household]) -> None:
        """Owners with a member 65+ in a home that is not lifetime-proof may adapt it, if they can pay."""
        rp = self.sc.renovation
        cand = [hh for hh in owners if hh.oldest() >= 65 and not hh.dwelling.lifetime_proof]
        if not cand:
            return
        homes = [hh.dwelling for hh in cand]
        # what each home needs is a fixed draw per dwelling (year 0 of the renovation stream)
        curved = self.uniforms("renovation", homes, sub=10, year=0)
        bath = self.uniforms("renovation", homes, sub=11, year=0)
        u = self.uniforms("renovation", cand, sub=3)
        done = []
        for hh, d, uc, ub, ui in zip(cand, homes, curved, bath, u, strict=True):
            stair = 0.0 if d.type == APARTMENT else (
                rp.stairlift_curved_cost_eur if uc < rp.curved_stair_share else rp.stairlift_cost_eur)
            bathroom = rp.accessible_bathroom_cost_eur if ub < rp.bathroom_adaptation_share else 0.0
            cost = stair + rp.door_widening_cost_eur + bathroom
            oldest = hh.oldest()
            local = (min(by_code(rp.adaptation_grant_eur, hh.municipality), cost)
                     if oldest >= rp.adaptation_grant_min_age else 0.0)
            pt_grant = min(0.0, cost - local)  # the proeftuin's grant: none
            own = cost - local - pt_grant
            feasible = own <= max(hh.savings_eur - rp.renovation_savings_buffer_eur, 0.0)
            x = rp.adaptation_intercept + rp.adaptation_age_weight * (oldest - 65)
            logistic = 1.0 / (1.0 + ufunc_exp(-min(max(x, -50.0), 50.0)))
            prob = min(by_code(rp.outreach_multiplier, hh.municipality) * logistic, 1.0)
            if feasible and ui < prob:
                done.append((hh, d, cost, local + pt_grant))
        if not done:
            return
        for hh, d, cost, grant in done:
            hh.savings_eur -= cost - grant
            d.lifetime_proof = True
        mun = [hh.municipality for hh, *_ in done]
        self.count_event("lifetime_proof_adaptations", mun)
        self.count_event("adaptation_investment_eur", mun, [c for _, _, c, _ in done])
        self.count_event("adaptation_grant_eur", mun, [g for *_, g in done])

    def corporation_renovation(self) -> None:
        """Corporations renovate their worst homes toward a label target (E-G before a deadline); private
        landlords a random share of the homes above theirs."""
        cp, rp = self.sc.corporations, self.sc.renovation
        stock = [d for d in self.stock() if not d.written_off]
        label = {id(d): d.label() for d in stock}
        batches = []
        target_label = label_of(cp.corporation_target_ep2_kwh_m2)
        years_left = cp.corporation_efg_deadline_year - self.year
        corp = [d for d in stock if d.owner == CORPORATION and label[id(d)] > target_label]
        for m in range(N_MUN):
            cand = [d for d in corp if d.municipality == m]
            if not cand:
                continue
            expected = cp.corporation_renovation_rate * len(cand)
            if years_left >= 0:
                expected = max(expected, sum(1 for d in cand if label[id(d)] >= 4) / (years_left + 1))
            rng = self.generator("corporations", sub=m)
            k = min(int(expected) + int(rng.random() < expected - int(expected)), len(cand))
            worst = sorted(cand, key=lambda d: (-d.ep2_kwh_m2, d.key))[:k]  # highest EP2 first, ties by key
            batches.append((worst, cp.corporation_target_ep2_kwh_m2))
        pl_label = label_of(cp.private_landlord_target_ep2_kwh_m2)
        cand = [d for d in stock if d.owner == PRIVATE_LANDLORD and label[id(d)] > pl_label]
        u = self.uniforms("corporations", cand, sub=1)
        batches.append(([d for d, ui in zip(cand, u, strict=True) if ui < cp.private_landlord_renovation_rate],
                        cp.private_landlord_target_ep2_kwh_m2))
        for homes, target in batches:
            if not homes:
                continue
            steps, costs = [], []
            for d in homes:
                old = d.ep2_kwh_m2
                new = min(target, old)
                s = label[id(d)] - label_of(new)
                costs.append(d.renovation_cost(self, old, new))
                steps.append(s)
                d.ep2_kwh_m2 = f32(new)
                d.value_eur *= 1.0 + rp.renovation_value_uplift_per_step * s
            mun = [d.municipality for d in homes]
            self.count_event("rental_renovations", mun)
            self.count_event("rental_label_steps", mun, [float(s) for s in steps])
            self.count_event("rental_investment_eur", mun, costs)

    # == 7. stock change ===================================================================================
    def structural_vacancy_demolition(self) -> None:
        pop = self.population()
        shrinking = [pop[m] < self._population_start[m] for m in range(N_MUN)]
        years = self.sc.stock_change.structural_vacancy_years
        per_m = [0] * N_MUN
        for d in self.dwellings():
            if (d.in_stock and d.status == VACANT and d.owner in (CORPORATION, PRIVATE_LANDLORD)
                    and d.years_vacant >= years and shrinking[d.municipality]):
                d.status = DEMOLISHED
                per_m[d.municipality] += 1
        self.count_event_totals("structural_vacancy_demolitions", per_m)
        self._structural = per_m

    def demolition(self) -> None:
        """Vacant dwellings in the worst condition are demolished at a yearly rate per municipality."""
        sc = self.sc.stock_change
        stock = self.stock()
        rng = self.generator("stock_change", sub=0)
        u = rng.random(N_MUN).tolist()
        per_m = [0] * N_MUN
        for m in range(N_MUN):
            mine = [d for d in stock if d.municipality == m]
            expected = len(mine) * sc.demolition_per_1000 / 1000.0
            k = int(expected) + int(u[m] < expected - int(expected))
            cand = [d for d in mine if d.status == VACANT and d.owner not in (OTHER_OWNER, FUND, CORPORATION_FUND)]
            if k <= 0 or not cand:
                continue
            for d in sorted(cand, key=lambda d: d.condition)[:k]:
                d.status = DEMOLISHED
                per_m[m] += 1
        self.count_event_totals("demolished", [a + b for a, b in zip(self._structural, per_m, strict=True)])

    def construction(self) -> None:
        """New dwellings (vacant) at a yearly rate per municipality, or as planned."""
        s, sc = self.sc.stock, self.sc.stock_change
        stock = self.stock()
        per_m = [0] * N_MUN
        for m, code in enumerate(MUNICIPALITY_CODES):
            rng = self.generator("stock_change", sub=1 + m)
            mine = [d for d in stock if d.municipality == m]
            if not mine:
                continue
            plan = sc.construction_plans.get(code, {}).get(self.year)
            if plan is not None:
                expected = plan * self.sc.run.scale
            elif sum(1 for d in mine if d.status == VACANT) / len(mine) >= sc.construction_vacancy_ceiling:
                continue
            else:
                expected = len(mine) * sc.new_construction_per_1000[code] / 1000.0
            k = int(expected) + int(rng.random() < expected - int(expected))
            if k == 0:
                continue
            is_apt = [x < sc.new_build_apartment_share for x in rng.random(k).tolist()]
            sf = rng.choice([TERRACED, SEMI_DETACHED, DETACHED], size=k, p=list(s.single_family_type_shares)).tolist()
            types = [APARTMENT if a else t for a, t in zip(is_apt, sf, strict=True)]
            spread = rng.lognormal(0.0, s.floor_area_sigma, k).tolist()
            areas = [s.floor_area_median_m2[t] * x for t, x in zip(types, spread, strict=True)]
            premium = ufunc_exp(sc.new_build_value_premium)
            base = {}
            for t in sorted(set(types)):  # median value of the type in the municipality, with a new-build premium
                same = [d.value_eur for d in mine if d.type == t]
                base[t] = numpy_median(same if same else [d.value_eur for d in mine]) * premium
            wijk = [mine[i].wijk for i in rng.choice(len(mine), size=k).tolist()]
            ep2 = [sc.new_build_ep2_kwh_m2 * x for x in rng.lognormal(0.0, 0.1, k).tolist()]
            lifetime_proof = [x < sc.new_build_lifetime_proof_share for x in rng.random(k).tolist()]
            owner = [OWNER_OCCUPIER if x < sc.new_build_owner_share else CORPORATION for x in rng.random(k).tolist()]
            for i in range(k):
                self.new_dwelling(municipality=m, wijk=wijk[i], type=types[i], built_year=self.year,
                                  floor_area_m2=f32(areas[i]), ep2_kwh_m2=f32(ep2[i]), condition=1.0,
                                  lifetime_proof=lifetime_proof[i], owner=owner[i], status=VACANT,
                                  value_eur=base[types[i]], years_vacant=0, in_stock=True, last_sale_year=0,
                                  written_off=False, priced_condition=1.0, fund_status=0, fund_until=0,
                                  energy_connected=False)
            per_m[m] = k
        self.count_event_totals("new_construction", per_m)

    # == indicators (model/indicators.py) ======================================================================
    def measure(self) -> dict[str, list]:
        """Stock indicators per municipality on 1 January of the model's year, expanded by 1/scale."""
        sc = self.sc
        scale = sc.run.scale
        ints: dict[str, list[int]] = {}
        floats: dict[str, list[float]] = {}

        def counter(*names):
            for n in names:
                ints[n] = [0] * N_MUN

        counter("population", "households", "persons_in_institutions", "persons_65plus", "persons_75plus",
                "dwellings", "occupied_dwellings", "vacant_dwellings", "long_term_vacant_dwellings",
                "households_outside_stock", "owner_occupied_dwellings", "owner_households",
                "core_target_owner_households", "owners_under_water", "unsellable", "low_income_households",
                "low_income_owner_households", "low_income_owners_in_EFG", "energy_poor_households",
                "persons_75plus_not_lifetime_proof", "written_off_dwellings", "written_off_owner_occupied",
                "owner_households_in_EFG", "households_with_renovation_loan", "fund_dwellings",
                "corp_fund_dwellings", "corp_energy_connected_dwellings", "fund_let_dwellings",
                "fund_for_sale_dwellings", "proeftuin_owner_households", *[f"label_{x}" for x in "ABCDEFG"])
        private = [0] * N_MUN
        for p in self.persons():
            m = p.municipality
            ints["population"][m] += 1
            if p.institution:
                ints["persons_in_institutions"][m] += 1
            else:
                private[m] += 1
            ints["persons_65plus"][m] += p.age >= 65
            ints["persons_75plus"][m] += p.age >= 75
            if p.household is not None and p.age >= 75 and not p.household.dwelling.lifetime_proof:
                ints["persons_75plus_not_lifetime_proof"][m] += 1
        value_sum = [0.0] * N_MUN
        values = [[] for _ in range(N_MUN)]
        condition_sum = [0.0] * N_MUN
        gas = [0.0] * N_MUN
        heat = [0.0] * N_MUN
        unsellable_years = sc.market.unsellable_after_years
        for d in self.stock():
            m = d.municipality
            ints["dwellings"][m] += 1
            if d.status == OCCUPIED:
                ints["occupied_dwellings"][m] += 1
                if d.energy_connected:
                    heat[m] += d.gas_m3(self)
                else:
                    gas[m] += d.gas_m3(self)
            elif d.status == VACANT:
                ints["vacant_dwellings"][m] += 1
                ints["long_term_vacant_dwellings"][m] += d.years_vacant >= 2
            if d.owner == OWNER_OCCUPIER:
                ints["owner_occupied_dwellings"][m] += 1
                ints["unsellable"][m] += d.status == VACANT and d.years_vacant >= unsellable_years
            value_sum[m] += d.value_eur
            values[m].append(d.value_eur)
            condition_sum[m] += d.condition
            if d.written_off:
                ints["written_off_dwellings"][m] += 1
                ints["written_off_owner_occupied"][m] += d.owner == OWNER_OCCUPIER
            ints[f"label_{'ABCDEFG'[d.label()]}"][m] += 1
            if d.owner == FUND:
                ints["fund_dwellings"][m] += 1
                ints["fund_let_dwellings"][m] += d.fund_status >= FUND_LET
                ints["fund_for_sale_dwellings"][m] += d.fund_status == FUND_FOR_SALE
            ints["corp_fund_dwellings"][m] += d.owner == CORPORATION_FUND
            ints["corp_energy_connected_dwellings"][m] += d.energy_connected
        share = sc.income.energy_poverty_share
        for hh in self.households():
            m = hh.municipality
            home = hh.dwelling
            ints["households"][m] += 1
            ints["households_outside_stock"][m] += not home.in_stock
            owner = hh.tenure == OWNER
            income = hh.income()
            low = income < hh.daeb_limit(self)
            efg = home.in_stock and home.label() >= 4
            ints["owner_households"][m] += owner
            ints["core_target_owner_households"][m] += owner and income <= hh.core_limit(self)
            ints["owners_under_water"][m] += owner and hh.mortgage_eur + hh.renovation_loan_eur > home.value_eur
            ints["low_income_households"][m] += low
            ints["low_income_owner_households"][m] += low and owner
            ints["low_income_owners_in_EFG"][m] += low and owner and efg
            cost = home.energy_cost(self) if home.in_stock else 0.0
            ints["energy_poor_households"][m] += low and home.in_stock and cost > share * max(income, 1.0)
            ints["owner_households_in_EFG"][m] += owner and efg
            ints["households_with_renovation_loan"][m] += hh.renovation_loan_eur > 0
        n_dw = [max(x, 1) for x in ints["dwellings"]]
        floats["mean_household_size"] = [private[m] / max(ints["households"][m], 1) for m in range(N_MUN)]
        floats["vacancy_rate"] = [ints["vacant_dwellings"][m] / n_dw[m] for m in range(N_MUN)]
        floats["mean_value_eur"] = [value_sum[m] / n_dw[m] for m in range(N_MUN)]
        floats["median_value_eur"] = [numpy_median(values[m]) for m in range(N_MUN)]
        co2 = sc.energy.co2_kg_per_m3_gas
        heat_share = sc.corporation_energy.corp_energy_co2_share
        floats["gas_m3"] = [gas[m] / scale for m in range(N_MUN)]
        floats["co2_tonnes"] = [(gas[m] + heat_share * heat[m]) * co2 / 1000.0 / scale for m in range(N_MUN)]
        floats["mean_condition"] = [condition_sum[m] / n_dw[m] for m in range(N_MUN)]
        # the proeftuinen are off: their budgets (0) are what is left
        floats["proeftuin_budget_left_eur"] = [sc.proeftuin.proeftuin_budget_eur[c] * scale / scale
                                               for c in MUNICIPALITY_CODES]
        out = {k: [int(x) for x in v] for k, v in ints.items()}
        if scale != 1.0:
            out = {k: [round(x / scale) for x in v] for k, v in out.items()}
        out.update(floats)
        return out

    def _collect(self) -> None:
        stock = self.measure()
        scale = self.sc.run.scale
        for m, code in enumerate(MUNICIPALITY_CODES):
            row = {"scenario": self.sc.name, "seed": self.seed, "year": self.year, "municipality_code": code,
                   "municipality": NAME_BY_CODE[code]}
            row.update({k: v[m] for k, v in stock.items()})
            for k in FLOW_COLUMNS:
                row[k] = None if self.flows is None else round(getattr(self.flows, k)[m] / scale)
            for k in EVENT_COLUMNS:
                if self.events is None:
                    row[k] = None
                else:
                    v = self.events.get(k, [0.0] * N_MUN)[m] / scale
                    row[k] = round(v) if k in INT_COLUMNS else float(v)
            self._rows.append(row)

    # -- output ---------------------------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        """The indicator rows collected so far (one per year and municipality), as model.indicators lays
        them out."""
        return [dict(r) for r in self._rows]

    def table(self) -> pa.Table:
        """The indicator rows as a table with the model's output schema (no run manifest)."""
        return pa.Table.from_pylist(self._rows, schema=ARROW_SCHEMA)

    def run_to_end(self) -> pa.Table:
        while self.running:
            self.step()
        return self.table()

    # -- comparison ------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, dict[int, dict]]:
        """Every entity's state by id, with the vectorised model's column names (for comparisons)."""
        persons = {p.eid: dict(key=p.key, age=p.age, female=p.female, role=p.role, municipality=p.municipality,
                               institution=p.institution, income_eur=p.income_eur, origin=p.origin,
                               household_id=p.household.eid if p.household is not None else -1)
                   for p in self.persons()}
        households = {h.eid: dict(key=h.key, municipality=h.municipality, tenure=h.tenure, savings_eur=h.savings_eur,
                                  mortgage_eur=h.mortgage_eur, moved_in_year=h.moved_in_year,
                                  renovation_loan_eur=h.renovation_loan_eur,
                                  renovation_loan_year=h.renovation_loan_year,
                                  dwelling_id=h.dwelling.eid if h.dwelling is not None else -1)
                      for h in self.households()}
        dwellings = {d.eid: dict(key=d.key, household_id=d.household.eid if d.household is not None else -1,
                                 **{c: getattr(d, c) for c in Dwelling.COLUMNS})
                     for d in self.dwellings()}
        return {"persons": persons, "households": households, "dwellings": dwellings}
