"""The synthetic initial stock of persons, households and dwellings for a base year.

Per municipality the stock matches the CBS figures of the base year exactly where they are counts
(population, men and women, five age groups, households, dwellings) and as closely as integer counts allow
where they are shares (owner-occupied share, single-family share) or means (mean WOZ value, income per
inhabitant). Everything else is drawn from the documented distributions in :mod:`model.params`. All draws
come from the ``stock`` random stream.

Construction, per municipality:

1. persons: age-group counts, single years within groups (uniform; 65+ by life-table survivorship), sex by
   the relative survivorship of women and men at each age, exact totals of men and women;
2. institutions: persons 55+ live in care institutions at the base-year rates by age; adults 18-64 are
   added to other institutions where needed for the mean household size to round to CBS's figure;
3. households: the CBS count split by type (single, couple, family, single parent); the persons left after
   the adults are children, the minors first, then young adults; parents and couples chosen by age profiles,
   paired by sex and age; children attached to families by age;
4. incomes per adult, scaled to the CBS mean income per inhabitant;
5. dwellings: the CBS count split over wijken, tenure, type, construction period, floor area, EP2 and label,
   condition, lifetime-proofness and a hedonic value scaled to the CBS mean WOZ;
6. occupancy: a vacancy share is left empty; households are matched to owner-occupied dwellings by
   income and age, to rented ones after that, by rank of income and size against value and area; the
   households the stock cannot hold live in units outside the stock.
"""

from __future__ import annotations

import numpy as np

from .data import MUNICIPALITY_CODES, Facts, Wijk
from .params import Scenario
from .sampling import apportion, rank_match, weighted_choice_without_replacement
from .schedules import MAX_AGE, anchor_improvement_rate, mortality_table
from .state import (
    APARTMENT,
    CHILD,
    CORPORATION,
    DETACHED,
    HEAD,
    NO_HOUSEHOLD,
    OCCUPIED,
    OTHER_OWNER,
    OTHER_TENURE,
    OTHER_UNIT,
    OWNER,
    OWNER_OCCUPIER,
    PARTNER,
    PERIOD_STARTS,
    PRIVATE_LANDLORD,
    PRIVATE_TENANT,
    SEMI_DETACHED,
    SOCIAL_TENANT,
    TERRACED,
    VACANT,
    State,
    label_of,
    new_dwellings,
    new_households,
    new_persons,
)
from .streams import Streams

AGE_GROUPS = ((0, 14, "k_0Tot15Jaar"), (15, 24, "k_15Tot25Jaar"), (25, 44, "k_25Tot45Jaar"),
              (45, 64, "k_45Tot65Jaar"), (65, MAX_AGE, "k_65JaarOfOuder"))
SINGLE, COUPLE, FAMILY, SINGLE_PARENT = 0, 1, 2, 3


class StockTargets:
    """The CBS figures one municipality's stock is built to, for a base year (scaled)."""

    def __init__(self, facts: Facts, code: str, year: int, scale: float, dwelling_correction: float = 1.0):
        self.notes: list[str] = []
        v = lambda var: facts.value(code, year, var)  # noqa: E731
        self.population = round(v("AantalInwoners") * scale)
        self.men_women = apportion(self.population, [v("Mannen"), v("Vrouwen")])
        if facts.has(code, year, "k_0Tot15Jaar"):
            groups = [v(var) for _, _, var in AGE_GROUPS]
        else:
            groups = [v(var + "_pct") for _, _, var in AGE_GROUPS]
            self.notes.append(f"{code} {year}: age groups from published whole percentages")
        self.age_groups = apportion(self.population, groups)
        self.households = round(v("HuishoudensTotaal") * scale)
        self.mean_household_size = v("GemiddeldeHuishoudensgrootte")
        self.dwellings = round(v("Woningvoorraad") * dwelling_correction * scale)
        self.owner_pct = v("Koopwoningen_pct")
        self.rented_pct = v("HuurwoningenTotaal_pct")
        self.single_family_pct = self._nearest(facts, code, year, "PercentageEengezinswoning")
        self.mean_woz_eur = v("GemiddeldeWoningwaarde") * 1000.0
        self.income_per_inhabitant_eur = v("GemiddeldInkomenPerInwoner") * 1000.0

    def _nearest(self, facts: Facts, code: str, year: int, var: str) -> float:
        if facts.has(code, year, var):
            return facts.value(code, year, var)
        years = facts.years(code, var)
        if not years:
            facts.value(code, year, var)  # raises MissingFactError with the details
        near = min(years, key=lambda y: abs(int(y) - year))
        self.notes.append(f"{code} {year}: {var} not published; the {near} figure is used")
        return facts.value(code, near, var)


def build_stock(scenario: Scenario, facts: Facts, wijken: tuple[Wijk, ...], streams: Streams) -> State:
    """Build the initial stock of all six municipalities for ``scenario.run.base_year``."""
    year = scenario.run.base_year
    persons, households, dwellings = new_persons(), new_households(), new_dwellings()
    wijk_codes = tuple(w.code for w in wijken)
    state = State(persons, households, dwellings, wijk_codes, year)
    # The age and sex profile of the stock follows the national life table as the CBS anchors give it, not
    # the scenario's mortality parameters: a mortality scenario then starts from the same stock.
    q = mortality_table(facts, year, anchor_improvement_rate(facts), 1.0)
    state.notes = []
    state.median_income_eur = np.zeros(len(MUNICIPALITY_CODES))
    for m, code in enumerate(MUNICIPALITY_CODES):
        rng = streams.generator("stock", year, sub=m)
        targets = StockTargets(facts, code, year, scenario.run.scale,
                               scenario.stock.dwelling_count_correction[code])
        state.notes.extend(targets.notes)
        wijk_idx = np.array([i for i, w in enumerate(wijken) if w.municipality_code == code])
        wijk_share = np.array([wijken[i].share_of_municipal_dwellings for i in wijk_idx])
        _build_municipality(state, m, targets, scenario, q, wijk_idx, wijk_share, rng)
    return state


def _draw_ages_and_sex(t: StockTargets, q: np.ndarray, decline: float, rng) -> tuple[np.ndarray, np.ndarray]:
    surv = np.cumprod(np.hstack([np.ones((2, 1)), 1.0 - q[:, :-1]]), axis=1)  # l(x), shape (2, MAX_AGE+1)
    ages = []
    for (lo, hi, _), n in zip(AGE_GROUPS, t.age_groups, strict=True):
        span = np.arange(lo, hi + 1)
        w = np.ones(span.size) if lo < 65 else surv.sum(axis=0)[span] * np.exp(-decline * (span - 65))
        ages.append(rng.choice(span, size=n, p=w / w.sum()))
    age = np.concatenate(ages).astype(np.int16)
    rng.shuffle(age)
    p_female = surv[1, age] / (surv[0, age] + surv[1, age])
    women = weighted_choice_without_replacement(rng, p_female / (1 - p_female + 1e-9), t.men_women[1])
    female = np.zeros(age.size, dtype=bool)
    female[women] = True
    return age, female


def _household_type_counts(t: StockTargets, s, n_private: int, n_minors: int) -> tuple[np.ndarray, int]:
    counts = apportion(t.households, [s.share_single, s.share_couple, s.share_family, s.share_single_parent])
    S, C, F, SP = (int(x) for x in counts)

    def children(S, C, F, SP):
        return n_private - (S + 2 * C + 2 * F + SP)

    # Keep the split consistent with the persons there are: every family at least one child, every minor a
    # child, and no more than four children per family on average.
    while children(S, C, F, SP) < max(n_minors, F + SP) and C > 0:
        C, S = C - 1, S + 1
    while children(S, C, F, SP) < F + SP and F > 0:
        F, C = F - 1, C + 1
    while children(S, C, F, SP) > 4 * (F + SP) and S > 0:
        S, C = S - 1, C + 1
    k = children(S, C, F, SP)
    if k < 0 or k < n_minors:
        raise ValueError(f"cannot form {t.households} households from {n_private} persons with {n_minors} minors")
    return np.array([S, C, F, SP]), k


def _pair(idx: np.ndarray, age: np.ndarray, female: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Pair persons (an even number) woman with man by age rank; the surplus of one sex pairs within it."""
    men = idx[~female[idx]]
    women = idx[female[idx]]
    men = men[np.argsort(age[men] + rng.normal(0, 2.0, men.size), kind="stable")]
    women = women[np.argsort(age[women] + rng.normal(0, 2.0, women.size), kind="stable")]
    k = min(men.size, women.size)
    if men.size > women.size:
        pick = np.sort(rng.choice(men.size, size=k, replace=False))
        rest = np.delete(men, pick)
        men = men[pick]
    else:
        pick = np.sort(rng.choice(women.size, size=k, replace=False))
        rest = np.delete(women, pick)
        women = women[pick]
    a = np.concatenate([men, rest[0::2]])
    b = np.concatenate([women, rest[1::2]])
    return a, b


def _build_municipality(state: State, m: int, t: StockTargets, sc: Scenario, q: np.ndarray,
                        wijk_idx: np.ndarray, wijk_share: np.ndarray, rng) -> None:
    s = sc.stock
    year = sc.run.base_year
    # 1. persons
    age, female = _draw_ages_and_sex(t, q, s.old_age_cohort_decline, rng)
    n = age.size
    # 2. institutions
    inst_p = np.where(age >= 90, s.institution_rate_90plus,
                      np.where(age >= 80, s.institution_rate_80_89,
                               np.where(age >= 55, s.institution_rate_55_79, 0.0)))
    institution = rng.random(n) < inst_p
    # Other institutional residents (care for the disabled, asylum seekers' centres, ...): added among
    # adults 18-64 where needed so that persons in households / households rounds to CBS's published
    # one-decimal mean household size.
    max_private = int(np.floor(t.households * (t.mean_household_size + 0.0499)))
    min_private = int(np.ceil(t.households * (t.mean_household_size - 0.05)))
    n_priv = int((~institution).sum())
    if n_priv > max_private:
        cand = np.flatnonzero(~institution & (age >= 18) & (age <= 64))
        institution[rng.choice(cand, size=n_priv - max_private, replace=False)] = True
    elif n_priv < min_private:
        cand = np.flatnonzero(institution)
        cand = cand[np.argsort(age[cand], kind="stable")][: min_private - n_priv]
        institution[cand] = False
    private = np.flatnonzero(~institution)
    n_private = private.size
    minors = private[age[private] < 18]
    # 3. households
    counts, n_children = _household_type_counts(t, s, n_private, minors.size)
    S, C, F, SP = (int(x) for x in counts)
    adults_pool = private[age[private] >= 18]
    extra = n_children - minors.size
    w = np.exp(-(age[adults_pool] - 18) / s.adult_child_age_scale)
    pick = weighted_choice_without_replacement(rng, w, extra)
    children = np.concatenate([minors, adults_pool[pick]])
    adults = np.delete(adults_pool, pick)
    wp = np.exp(-0.5 * ((age[adults] - s.parent_age_mean) / s.parent_age_sd) ** 2) + 1e-6
    pick = weighted_choice_without_replacement(rng, wp, 2 * F + SP)
    parents = adults[pick]
    adults = np.delete(adults, pick)
    wc = np.exp(-0.5 * ((age[adults] - s.couple_age_mean) / s.couple_age_sd) ** 2) + 1e-6
    pick = weighted_choice_without_replacement(rng, wc, 2 * C)
    couple_adults = adults[pick]
    singles = np.delete(adults, pick)
    # single parents: mostly mothers (weight 4 : 1)
    pick = weighted_choice_without_replacement(rng, np.where(female[parents], 4.0, 1.0), SP)
    lone_parents = parents[pick]
    paired_parents = np.delete(parents, pick)
    fam_a, fam_b = _pair(paired_parents, age, female, rng)
    cpl_a, cpl_b = _pair(couple_adults, age, female, rng)
    # household index per person (local numbering), role
    hh_local = np.full(n, -1, dtype=np.int64)
    role = np.full(n, NO_HOUSEHOLD, dtype=np.int8)
    htype = np.concatenate([np.full(S, SINGLE), np.full(C, COUPLE), np.full(F, FAMILY), np.full(SP, SINGLE_PARENT)])
    H = htype.size
    hh_local[singles] = np.arange(S)
    role[singles] = HEAD
    hh_local[cpl_a] = S + np.arange(C)
    hh_local[cpl_b] = S + np.arange(C)
    hh_local[fam_a] = S + C + np.arange(F)
    hh_local[fam_b] = S + C + np.arange(F)
    role[cpl_a] = HEAD
    role[cpl_b] = PARTNER
    role[fam_a] = HEAD
    role[fam_b] = PARTNER
    hh_local[lone_parents] = S + C + F + np.arange(SP)
    role[lone_parents] = HEAD
    # children to families: youngest children to youngest parents, at least one each
    units = np.arange(S + C, H)
    parent_age = np.zeros(H)
    np.add.at(parent_age, hh_local[role == HEAD], age[role == HEAD])
    n_per = 1 + rng.multinomial(n_children - units.size, np.full(units.size, 1.0 / units.size))
    units = units[np.argsort(parent_age[units] + rng.normal(0, 3.0, units.size), kind="stable")]
    children = children[np.argsort(age[children] + rng.normal(0, 1.0, children.size), kind="stable")]
    hh_local[children] = np.repeat(units, n_per)
    role[children] = CHILD
    assert (hh_local[private] >= 0).all() and (hh_local[institution] < 0).all()

    # 4. incomes: personal gross income of adults, scaled to the CBS mean income per inhabitant
    med = np.where(age >= 67, s.income_pensioner_ratio, np.where(age < 25, s.income_young_ratio, 1.0))
    income = np.where((age >= 18) & ~institution, med * rng.lognormal(0.0, s.income_sigma, n), 0.0)
    income_scale = t.income_per_inhabitant_eur * n_private / income.sum()
    income *= income_scale
    state.median_income_eur[m] = income_scale  # median personal income of working-age adults
    hh_income = np.bincount(hh_local[private], weights=income[private], minlength=H)
    # tenure was chosen on the income of working life: pensions and first incomes are put back on the
    # working-age level ("permanent income") for the tenure choice and the match to dwellings
    permanent = np.bincount(hh_local[private], weights=(income / med)[private], minlength=H)
    hh_size = np.bincount(hh_local[private], minlength=H)
    head_age = np.zeros(H)
    heads = np.flatnonzero(role == HEAD)
    head_age[hh_local[heads]] = age[heads]

    # 5. dwellings
    D = t.dwellings
    wijk = np.repeat(wijk_idx, apportion(D, wijk_share))
    rng.shuffle(wijk)
    tenure_counts = apportion(D, [t.owner_pct, t.rented_pct, max(0.0, 100.0 - t.owner_pct - t.rented_pct)])
    corp, priv = apportion(int(tenure_counts[1]), [s.corporation_share_of_rented, 1 - s.corporation_share_of_rented])
    owner = np.concatenate([np.full(tenure_counts[0], OWNER_OCCUPIER), np.full(corp, CORPORATION),
                            np.full(priv + tenure_counts[2], PRIVATE_LANDLORD)]).astype(np.int8)
    rng.shuffle(owner)
    n_sf = round(D * t.single_family_pct / 100.0)
    dtype = np.empty(D, dtype=np.int8)
    apt = weighted_choice_without_replacement(
        rng, np.where(owner == OWNER_OCCUPIER, 1.0, s.apartment_rented_odds), D - n_sf)
    is_apt = np.zeros(D, dtype=bool)
    is_apt[apt] = True
    dtype[is_apt] = APARTMENT
    sf_types = np.repeat(np.array([TERRACED, SEMI_DETACHED, DETACHED], dtype=np.int8),
                         apportion(n_sf, s.single_family_type_shares))
    rng.shuffle(sf_types)
    dtype[~is_apt] = sf_types
    period = np.repeat(np.arange(6), apportion(D, s.construction_period_shares))
    rng.shuffle(period)
    starts = np.array(PERIOD_STARTS + (year,))
    built = rng.integers(starts[period], np.maximum(starts[period + 1], starts[period] + 1)).astype(np.int16)
    area = np.array(s.floor_area_median_m2)[dtype] * rng.lognormal(0.0, s.floor_area_sigma, D)
    ep2 = (np.array(s.ep2_median_by_period)[period] * np.where(is_apt, s.ep2_apartment_factor, 1.0)
           * rng.lognormal(0.0, s.ep2_sigma, D))
    dw_age = year - built
    condition = np.clip(np.exp(-dw_age / s.technical_lifetime_years) + rng.normal(0, s.condition_sd, D), 0.02, 1.0)
    lifetime_proof = rng.random(D) < np.where(is_apt, s.lifetime_proof_share_apartment,
                                              s.lifetime_proof_share_single_family)
    label = label_of(ep2)
    log_v = (np.array(s.value_type_premium)[dtype] + s.value_area_elasticity * np.log(area)
             - s.value_label_step * label + rng.normal(0, s.value_sigma, D))
    value = np.exp(log_v)
    value *= t.mean_woz_eur / value.mean()

    # 6. occupancy
    occupied_n = min(H, D - round(D * s.vacancy_rate_initial))
    vacant = np.zeros(D, dtype=bool)
    vacant[rng.choice(D, size=D - occupied_n, replace=False)] = True
    own_dw = np.flatnonzero(~vacant & (owner == OWNER_OCCUPIER))
    rent_dw = np.flatnonzero(~vacant & (owner != OWNER_OCCUPIER))
    z_inc = np.log(np.maximum(permanent, 1000.0))
    z_inc = (z_inc - z_inc.mean()) / (z_inc.std() + 1e-9)
    w_own = np.exp(s.tenure_income_weight * z_inc + s.tenure_age_weight * (head_age - 45.0))
    own_hh = weighted_choice_without_replacement(rng, w_own, own_dw.size)
    others = np.setdiff1d(np.arange(H), own_hh)
    rng.shuffle(others)
    rent_hh, outside_hh = others[: rent_dw.size], others[rent_dw.size:]
    dwelling_of = np.full(H, -1, dtype=np.int64)
    hh_score = z_inc + 0.3 * (hh_size - hh_size.mean()) / (hh_size.std() + 1e-9)
    noise = rng.normal(0, 0.5, H)
    match = rank_match(hh_score[own_hh] + noise[own_hh], np.log(value[own_dw]) + rng.normal(0, 0.1, own_dw.size))
    dwelling_of[own_hh] = own_dw[match]
    match = rank_match(hh_size[rent_hh] + noise[rent_hh], np.log(area[rent_dw]) + rng.normal(0, 0.3, rent_dw.size))
    dwelling_of[rent_hh] = rent_dw[match]

    # write dwellings (stock) and the units outside the stock
    d_ids = state.dwellings.add(
        D, municipality=m, wijk=wijk, type=dtype, built_year=built, floor_area_m2=area, ep2_kwh_m2=ep2,
        condition=condition, priced_condition=condition, lifetime_proof=lifetime_proof, owner=owner,
        status=np.where(vacant, VACANT, OCCUPIED), value_eur=value, years_vacant=0, household_id=-1,
        in_stock=True, written_off=condition.astype(np.float32) < sc.maintenance.write_off_condition)
    n_out = outside_hh.size
    wijk_out = np.repeat(wijk_idx, apportion(n_out, wijk_share))
    o_ids = state.dwellings.add(
        n_out, municipality=m, wijk=wijk_out, type=OTHER_UNIT, built_year=year, floor_area_m2=40.0,
        ep2_kwh_m2=0.0, condition=1.0, lifetime_proof=False, owner=OTHER_OWNER, status=OCCUPIED, value_eur=0.0,
        years_vacant=0, household_id=-1, in_stock=False)
    dw_id = np.empty(H, dtype=np.int64)
    in_stock_hh = dwelling_of >= 0
    dw_id[in_stock_hh] = d_ids[dwelling_of[in_stock_hh]]
    dw_id[outside_hh] = o_ids
    tenure = np.full(H, OTHER_TENURE, dtype=np.int8)
    tenure[own_hh] = OWNER
    tenure[rent_hh] = np.where(owner[dwelling_of[rent_hh]] == CORPORATION, SOCIAL_TENANT, PRIVATE_TENANT)
    # savings and mortgages
    savings = hh_income * s.savings_income_ratio * rng.lognormal(0.0, s.savings_sigma, H)
    savings[tenure == OWNER] *= 2.0
    mortgage = np.zeros(H)
    hv = np.zeros(H)
    hv[in_stock_hh] = value[dwelling_of[in_stock_hh]]
    purchase_age = np.minimum(head_age, 25.0 + rng.exponential(8.0, H))
    years_owned = head_age - purchase_age
    owned = tenure == OWNER
    mortgage[owned] = (s.mortgage_ltv_at_purchase * hv[owned]
                       * np.clip(1.0 - years_owned[owned] / s.mortgage_term_years, 0.0, 1.0))
    moved_in = (year - np.minimum(years_owned, rng.exponential(8.0, H))).astype(np.int16)
    h_ids = state.households.add(H, municipality=m, dwelling_id=dw_id, tenure=tenure, savings_eur=savings,
                                 mortgage_eur=mortgage, moved_in_year=moved_in)
    state.dwellings.col("household_id")[state.dwellings.rows(dw_id)] = h_ids
    hh_id = np.where(hh_local >= 0, h_ids[np.maximum(hh_local, 0)], -1)
    state.persons.add(n, age=age, female=female, household_id=hh_id, role=role, municipality=m,
                      institution=institution, income_eur=income, origin=0)
