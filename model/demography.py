"""Yearly demographic processes, in the order they run within a year (see :meth:`HousingModel.step`).

1. mortality        persons die with q(age, sex, year), higher in institutions
2. care             persons 75+ move from their household to a care institution
3. fertility        women 15-49 in households give birth; the child joins the mother's household
4. separation       a couple splits; the partner forms a new household (needs a dwelling)
5. partnership      single adults 20-64 pair within the municipality; one household moves in with the other
   tenant_moves     (model.allocation) tenants who can afford it buy a vacant owner-occupied dwelling
6. leave_home       adult children form their own household in the municipality (needs a dwelling)
7. out_migration    households leave the region with their head; adult children leave on their own
8. in_migration     households resembling young local households arrive where dwellings are vacant
9. ageing           everyone is one year older on 1 January; incomes at 18, 25 and 67 follow the age profile

A household whose last member dies, leaves for care or leaves the region releases its dwelling, which
becomes vacant (units outside the regular stock are removed). New households that find no vacant dwelling
in their municipality leave the region (counted as out-migrants), so the accounting identity
population(t+1) = population(t) + births - deaths + in - out holds per municipality.

Each process draws only from its own named random stream; decisions about existing persons and
households use one uniform per draw key (:meth:`Streams.uniform_by_key`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from . import kernels_demography as kd
from . import kernels_migration as km
from .allocation import allocate_dwellings, homes_on_offer
from .data import MUNICIPALITY_CODES
from .income import member_counts, member_table, person_household_rows, person_members
from .state import CHILD, CORPORATION_FUND, FUND, HEAD, NO_HOUSEHOLD, OCCUPIED, OTHER_UNIT, PARTNER, VACANT, State

N_MUN = len(MUNICIPALITY_CODES)
OUT_AGE_BANDS = np.array([25, 35, 55, 75])  # upper bounds of the bands 18-24, 25-34, 35-54, 55-74, 75+


class Flows:
    """Persons entering and leaving each municipality's population during one year."""

    def __init__(self):
        self.births = np.zeros(N_MUN, dtype=np.int64)
        self.deaths = np.zeros(N_MUN, dtype=np.int64)
        self.in_migrants = np.zeros(N_MUN, dtype=np.int64)
        self.out_migrants = np.zeros(N_MUN, dtype=np.int64)
        self.unhoused_departures = np.zeros(N_MUN, dtype=np.int64)  # new households without a dwelling


# -- helpers ------------------------------------------------------------------------------------------
def _count(target: np.ndarray, municipality: np.ndarray) -> None:
    target += np.bincount(municipality, minlength=N_MUN)


def _distinct(ids: np.ndarray) -> np.ndarray:
    """The distinct values of an integer array, ascending: np.unique's result by a sort (numpy 2.5's np.unique
    goes through a hash table, ~15 times slower on thousands of distinct ids: 0.6 against 0.04 ms on 5,000)."""
    ids = np.sort(ids)
    if ids.size < 2:
        return ids
    keep = np.empty(ids.size, dtype=bool)
    keep[0] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    return ids[keep]


def _in_sorted(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """np.isin(values, sorted_ids) for an ascending ``sorted_ids``, by a binary search (np.isin sorts or builds a
    table over the range of the values: ~0.5 against 0.06 ms on thousands of rows)."""
    if sorted_ids.size == 0:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_ids, values), sorted_ids.size - 1)
    return sorted_ids.take(at) == values


def remove_persons(state: State, rows: np.ndarray) -> None:
    """Persons leave the population (death or emigration); their households are fixed afterwards."""
    p = state.persons
    p.col("household_id")[rows] = -1
    p.col("role")[rows] = NO_HOUSEHOLD
    p.remove_rows(rows)


def household_table(state: State):
    """(rows, hrow, size, heads, partners): the member rows and their household rows, and per household slot the
    number of members, of heads and of partners (income.member_table: read-only and shared, brought up to date
    from the persons that changed since the last call). The processes read only the counts
    (income.member_counts), which leaves out the listing of the members."""
    return member_table(state)


def fix_households(state: State, flows: Flows, year: int, touched: np.ndarray,
                   members: np.ndarray | None = None) -> None:
    """After members left the households ``touched`` (ids; -1 and repeats allowed): promote a new head where the
    head is gone, send minors left without an adult out of the region (to relatives or care elsewhere), and
    dissolve empty households. ``members``: the rows (ascending) of the alive persons of the touched households,
    where the caller has them (else one pass over the persons finds them).

    Only the touched households are looked at: every process keeps the others whole, with their head (the
    member table would find the same headless and empty households among all, but bringing it up to date costs
    more than one pass over the persons for the members of the touched ones)."""
    p, h = state.persons, state.households
    touched = _distinct(touched)
    touched = touched[touched >= 0]
    rows = h.row_of.take(touched)
    touched = touched[(rows >= 0) & h.peek("alive").take(rows)]  # (-1: compacted away)
    hid = p.peek("household_id")
    # the remaining members of the touched households (ascending rows; -1, "no household", is id_mask's last
    # slot) and per touched household (positions in ``touched``) their number and heads
    if members is None:
        members = kd.members_of(p.peek("alive"), hid, h.id_mask(touched))
    else:
        members = members[_in_sorted(hid.take(members), touched)]
    pos = np.searchsorted(touched, hid.take(members))
    role = p.peek("role").take(members)
    size = np.bincount(pos, minlength=touched.size)
    heads = np.bincount(np.compress(role == HEAD, pos), minlength=touched.size)
    headless = (size > 0) & (heads == 0)
    if headless.any():
        sel = np.flatnonzero(headless.take(pos))
        cand, cand_h = members.take(sel), pos.take(sel)
        age = p.peek("age").take(cand).astype(np.int64)
        # partner first, then the oldest member (ties: the first in row order)
        key = np.where(role.take(sel) == PARTNER, 1000, 0) + age
        order = np.lexsort((-key, cand_h))
        first = np.ones(order.size, dtype=bool)
        first[1:] = cand_h[order][1:] != cand_h[order][:-1]
        new_head, new_head_h = cand[order][first], cand_h[order][first]
        adult = p.peek("age").take(new_head) >= 18
        p.col("role")[new_head[adult]] = HEAD
        orphan_h = new_head_h[~adult]
        if orphan_h.size:
            orphan_slot = np.zeros(touched.size, dtype=bool)
            orphan_slot[orphan_h] = True
            orphans = members.take(np.flatnonzero(orphan_slot.take(pos)))
            _count(flows.out_migrants, p.peek("municipality").take(orphans))
            remove_persons(state, orphans)
            size[orphan_h] = 0
    release_households(state, h.row_of.take(touched[size == 0]))


def release_households(state: State, hh_rows: np.ndarray) -> None:
    """Dissolve households (rows): their dwelling becomes vacant; units outside the stock are removed."""
    if hh_rows.size == 0:
        return
    h, d = state.households, state.dwellings
    drows = d.rows(h.dwelling_id[hh_rows])
    d.col("household_id")[drows] = -1
    outside = d.type[drows] == OTHER_UNIT
    d.col("status")[drows[~outside]] = VACANT
    d.col("years_vacant")[drows[~outside]] = 0
    d.remove_rows(drows[outside])
    h.remove_rows(hh_rows)


def _uniform(model, process: str, keys: np.ndarray, sub: int = 0) -> np.ndarray:
    return model.streams.uniform_by_key(process, model.year, keys, sub)


def _household_keys(state: State, household_ids: np.ndarray) -> np.ndarray:
    """The draw keys of households (ids of alive households): looked up through ``row_of`` without the range
    checks of ``rows()`` (three passes over tens of thousands of ids a year in separation)."""
    h = state.households
    return h.peek("key").take(h.row_of.take(household_ids))


def new_households_for(model, person_rows: np.ndarray, flows: Flows, process: str) -> None:
    """Each person forms a new one-person household (as head) in a vacant dwelling of their municipality;
    those who find none leave the region."""
    if person_rows.size == 0:
        return
    state = model.state
    p, h = state.persons, state.households
    mun = p.municipality[person_rows].astype(np.int64)
    ids = h.add(person_rows.size, municipality=mun, dwelling_id=-1, tenure=0, savings_eur=0.0,
                mortgage_eur=0.0, moved_in_year=model.year + 1)
    p.col("household_id")[person_rows] = ids
    p.col("role")[person_rows] = HEAD
    hrows = h.rows(ids)
    income = p.peek("income_eur").take(person_rows)
    savings = income * model.scenario.stock.savings_income_ratio * 0.5
    h.col("savings_eur")[hrows] = savings
    # the budget allocate_dwellings would find: each household's only member's income (0.0 + income, as
    # income.household_income sums it), without a pass over all persons for the members
    budget = model.scenario.housing.max_price_to_income * (0.0 + income) + savings
    housed = allocate_dwellings(model, hrows, process, budget)
    gone = hrows[~housed]
    if gone.size:
        leavers = person_rows[~housed]
        _count(flows.out_migrants, p.municipality[leavers])
        _count(flows.unhoused_departures, p.municipality[leavers])
        remove_persons(state, leavers)
        h.remove_rows(gone)


# -- processes ----------------------------------------------------------------------------------------
def mortality(model, flows: Flows) -> None:
    state, d = model.state, model.scenario.demography
    p = state.persons
    salts = model.streams.salts("mortality", model.year)
    alive, hid = p.peek("alive"), p.peek("household_id")
    dies = kd.deaths(alive, p.peek("age"), p.peek("female"), p.peek("institution"), p.peek("key"),
                     model.mortality_q, d.institution_mortality_multiplier, *salts)
    touched = hid.take(dies)
    # the dying and the other members of their households, in one pass for the spouses and for fix_households
    members = kd.members_of(alive, hid, state.households.id_mask(touched[touched >= 0]))
    _inherit_income(state, dies, d.survivor_income_share, members)
    _count(flows.deaths, p.municipality[dies])
    remove_persons(state, dies)
    fix_households(state, flows, model.year, touched, members[~_in_sorted(members, dies)])


def _inherit_income(state: State, dying: np.ndarray, share: float, members: np.ndarray) -> None:
    """The surviving partner (head or partner of the same household) receives ``share`` of the income.
    ``dying``: rows, ascending; ``members``: the rows (ascending) of the alive members of their households."""
    p = state.persons
    role, hid = p.peek("role"), p.peek("household_id")
    dying_role = role.take(dying)
    couple = dying[(dying_role == HEAD) | (dying_role == PARTNER)]
    if couple.size == 0 or share == 0:
        return
    hh = hid.take(couple)
    # alive heads and partners of those households that do not die
    survivor_role = role.take(members)
    survivors = members[((survivor_role == HEAD) | (survivor_role == PARTNER)) & ~_in_sorted(members, dying)
                        & state.households.id_mask(hh).take(hid.take(members))]
    if survivors.size == 0:
        return
    # income of the dying spouse per household id (where both die, no spouse survives to receive it)
    inc = np.zeros(state.households.next_id + 1)
    inc[hh] = p.peek("income_eur").take(couple)
    gain = inc[hid.take(survivors)]
    p.col("income_eur")[survivors] += share * gain


def care(model, flows: Flows) -> None:
    d = model.scenario.demography
    p = model.state.persons
    moves = kd.care_moves(p.peek("alive"), p.peek("age"), p.peek("institution"), p.peek("key"),
                          d.care_entry_rate_75_84, d.care_entry_rate_85plus, *model.streams.salts("care", model.year))
    touched = p.peek("household_id").take(moves)
    p.col("institution")[moves] = True
    p.col("household_id")[moves] = -1
    p.col("role")[moves] = NO_HOUSEHOLD
    fix_households(model.state, flows, model.year, touched)


def fertility(model, flows: Flows) -> None:
    d = model.scenario.demography
    p = model.state.persons
    mothers = kd.births(p.peek("alive"), p.peek("female"), p.peek("institution"), p.peek("age"), p.peek("key"),
                        model.fertility, *model.streams.salts("fertility", model.year))
    if mothers.size == 0:
        return
    female = _uniform(model, "fertility", p.key[mothers], sub=1) >= d.share_male_births
    p.add(mothers.size, age=-1, female=female, household_id=p.household_id[mothers], role=CHILD,
          municipality=p.municipality[mothers], institution=False, income_eur=0.0, origin=1)
    _count(flows.births, p.municipality[mothers])


def separation(model, flows: Flows) -> None:
    p = model.state.persons
    partners = np.flatnonzero(p.peek("alive") & (p.peek("role") == PARTNER))
    u = _uniform(model, "separation", _household_keys(model.state, p.peek("household_id").take(partners)))
    leaving = partners[u < model.scenario.demography.separation_rate]
    new_households_for(model, leaving, flows, "separation")


def partnership(model, flows: Flows) -> None:
    state = model.state
    p, h = state.persons, state.households
    # single heads 20-64 whose draw is below the rate: heads of a household without a partner. Found in compiled
    # passes over the person slots rather than from household_table: separation changed the households, and the
    # table is brought up to date once a year, in in_migration, after all the changes before it
    cand = kd.single_heads_drawn(p.peek("alive"), p.peek("household_id"), p.peek("role"), p.peek("age"),
                                 p.peek("key"), model.scenario.demography.partnership_rate,
                                 *model.streams.salts("partnership", model.year), h.next_id)
    if cand.size < 2:
        return
    movers, hosts = [], []
    for m in range(N_MUN):
        rng = model.streams.generator("partnership", model.year, sub=m)
        c = cand[p.municipality[cand] == m]
        men, women = c[~p.female[c]], c[p.female[c]]
        k = min(men.size, women.size)
        if k == 0:
            continue
        men = men[np.argsort(p.age[men] + rng.normal(0, 3, men.size), kind="stable")]
        women = women[np.argsort(p.age[women] + rng.normal(0, 3, women.size), kind="stable")]
        if men.size > k:
            men = men[np.sort(rng.choice(men.size, k, replace=False))]
        else:
            women = women[np.sort(rng.choice(women.size, k, replace=False))]
        # the partner with the larger dwelling hosts
        area = state.dwellings.floor_area_m2[state.dwellings.rows(h.dwelling_id[h.rows(p.household_id[men])])]
        area_w = state.dwellings.floor_area_m2[state.dwellings.rows(h.dwelling_id[h.rows(p.household_id[women])])]
        man_hosts = area >= area_w
        hosts.append(np.where(man_hosts, men, women))
        movers.append(np.where(man_hosts, women, men))
    if not hosts:
        return
    hosts, movers = np.concatenate(hosts), np.concatenate(movers)
    old_h = p.household_id[movers]
    new_h = p.household_id[hosts]
    # everyone in the mover's household moves to the host's
    hid = p.peek("household_id")
    moved_rows = kd.members_of(p.peek("alive"), hid, h.id_mask(old_h))
    new_of = np.full(h.next_id + 1, -1, dtype=np.int64)  # by the mover's household id: the host's
    new_of[old_h] = new_h
    p.col("household_id")[moved_rows] = new_of[hid.take(moved_rows)]
    p.col("role")[movers] = PARTNER
    if _in_sorted(old_h, np.sort(new_h)).any():  # a household both hosts and moves (not with one head per household)
        fix_households(state, flows, model.year, np.concatenate([old_h, new_h]))
        return
    # what fix_households finds here without a pass over the persons: the movers' households are left empty
    # and dissolve; none loses its head (a mover is the single head of its household, which hosts no one)
    release_households(state, h.row_of.take(_distinct(old_h)))


def leave_home(model, flows: Flows) -> None:
    p = model.state.persons
    d = model.scenario.demography
    rate = d.leave_home_rate * np.array([d.household_formation_factor[c] for c in MUNICIPALITY_CODES])
    # the adult children whose draw is below their municipality's rate, in one compiled pass over the persons
    leaving = kd.persons_drawn(p.peek("alive"), p.peek("role"), p.peek("age"), p.peek("key"), p.peek("municipality"),
                               CHILD, rate[:, None],
                               *model.streams.salts("leave_home", model.year), min_age=18)
    # (no fix_households: the children leave households that keep their heads, and their new households
    # have them as heads or are dissolved with them)
    new_households_for(model, leaving, flows, "leave_home")


def _out_migration_by_age(model) -> np.ndarray:
    """The yearly probability of leaving the region by age from 0 up to the last band's lower bound (the ages
    beyond it have its rate): 0 under 18, else the rate of the age band."""
    rates = np.array(model.scenario.migration.out_migration_rate_by_age)
    table_ages = np.arange(OUT_AGE_BANDS[-1] + 1)
    return np.where(table_ages < 18, 0.0, rates[np.searchsorted(OUT_AGE_BANDS, table_ages, side="right")])


def out_migration_probability(model, ages: np.ndarray) -> np.ndarray:
    """The yearly probability of leaving the region at each age: 0 under 18, else the rate of the age band.
    Looked up in a table by age (the ages clipped to it): the same values as np.searchsorted over the bands, in
    two passes over the ages instead of five."""
    return _out_migration_by_age(model).take(np.clip(ages, 0, OUT_AGE_BANDS[-1]))


def out_migration(model, flows: Flows, extra_persons: np.ndarray | None = None) -> None:
    """Households leave with their head, adult children on their own. With ``extra_persons`` (alignment)
    further households leave per municipality, ranked by their out-migration probability (LIAM2 align).

    Heads and children are found by passes over the person slots (members: alive, household_id >= 0) rather
    than from household_table: leave_home changed the households, and the table is brought up to date once a
    year, in in_migration, after all the changes before it. The leaving households are dissolved here: what
    fix_households would find (only they are left empty, and every household keeps its head)."""
    state = model.state
    p, h = state.persons, state.households
    alive, role, age, hid = p.peek("alive"), p.peek("role"), p.peek("age"), p.peek("household_id")
    municipality = p.peek("municipality")
    # the heads and adult children who leave, in one compiled pass over the persons
    head_rows, kids_leaving = kd.out_migrants(alive, hid, role, age, p.peek("key"), _out_migration_by_age(model),
                                              model.streams.salts("out_migration", model.year),
                                              model.streams.salts("out_migration", model.year, 1), h.row_of,
                                              h.peek("key"))
    leave_h = hid.take(head_rows)
    if extra_persons is not None and extra_persons.any():
        # the staying heads' draws and probabilities, for the ranking
        head_rows = np.flatnonzero(alive & (hid >= 0) & (role == HEAD))
        head_hh = hid.take(head_rows)
        prob = out_migration_probability(model, age.take(head_rows))
        u = _uniform(model, "out_migration", h.peek("key").take(h.row_of.take(head_hh)))
        size = member_counts(state)[0]
        stay = u >= prob
        cand_h, cand_p = head_hh[stay], prob[stay]
        cand_m = municipality.take(head_rows)[stay]
        cand_size = size[h.row_of[cand_h]]
        more = []
        for m in np.flatnonzero(extra_persons > 0):
            rng = model.streams.generator("alignment", model.year, sub=int(m))
            sel = np.flatnonzero(cand_m == m)
            order = sel[np.argsort(-(cand_p[sel] + 1e-3 * rng.random(sel.size)), kind="stable")]
            k = np.searchsorted(np.cumsum(cand_size[order]), extra_persons[m]) + 1
            more.append(cand_h[order[:k]])
        leave_h = np.concatenate([leave_h] + more)
    # the members of the leaving households and the leaving adult children, in ascending rows
    leave_h = _distinct(leave_h)
    leavers = _distinct(np.concatenate([kd.members_of(alive, hid, h.id_mask(leave_h)), kids_leaving]))
    _count(flows.out_migrants, municipality.take(leavers))
    remove_persons(state, leavers)
    # what fix_households finds here without a pass over the persons: the leaving households are left empty and
    # dissolve (in ascending ids); the households that lose an adult child keep their head and are not empty
    release_households(state, h.row_of.take(leave_h))


def in_migration(model, flows: Flows, target_persons: np.ndarray) -> None:
    """Create in-migrant households by copying local households with a young head (ages, sexes, roles,
    incomes), until each municipality's target number of persons is reached, where dwellings are vacant.

    First every municipality draws its templates (from its own generator; the heads and what the draw reads of
    them found in one compiled pass, kernels_migration), then the members of all template households are found
    in one pass over the persons (their incomes summed in the order of ``np.bincount`` over all members: the
    same budgets), then the new households of all municipalities are added, look for a dwelling (each
    municipality's allocation draws from its own generators and takes only its own homes) and the housed ones
    get copies of their template's members. The templates are persons and households that exist at the start,
    so finding them first changes nothing; the new households and persons get the ids, rows and keys that
    adding them municipality by municipality, as they find homes, gives them, and each municipality's generator
    draws what it drew then, in the same order."""
    state = model.state
    p, h = state.persons, state.households
    mig = model.scenario.migration
    age = p.peek("age")
    # the heads' weights by age, computed once per age (the same operations as head by head)
    youngest = int(age.min()) if age.size else 0
    ages = np.arange(youngest, int(age.max()) + 1 if age.size else 1, dtype=age.dtype)
    weight = np.exp(-0.5 * ((ages - mig.in_migrant_head_age_mean) / mig.in_migrant_head_age_sd) ** 2) + 1e-9
    # the heads (members of a household) grouped by municipality, with their weights and household sizes
    member, hrow_of, size = person_members(state), person_household_rows(state), member_counts(state)[0]
    start, heads, head_w, head_size = km.heads_by_municipality(member, hrow_of, p.peek("role"), p.peek("municipality"),
                                                               age, weight, youngest, size, N_MUN)
    # the municipalities with a target and heads, each with its generator; their templates drawn with replacement
    # until the persons add up to the target (positions into the heads)
    muns = [m for m in range(N_MUN) if target_persons[m] > 0 and start[m] < start[m + 1]]
    if not muns:
        return
    rngs = [model.streams.generator("in_migration", model.year, sub=m) for m in muns]
    pick, n_tmpl = km.draw_templates(rngs, target_persons[muns], start[muns], start[[m + 1 for m in muns]], head_w,
                                     head_size)
    tmpl = heads.take(pick)
    t_hrow = hrow_of.take(tmpl)
    t_mun = np.repeat(np.array(muns, dtype=h.peek("municipality").dtype), n_tmpl)
    # the members of each template household (ascending person rows) and its income (summed in that order, as
    # np.bincount over the members adds them), in one pass over the persons
    members, t_start, t_count, t_income = km.template_members(member, hrow_of, p.peek("income_eur"), size, t_hrow,
                                                              h.n)
    t_savings = h.peek("savings_eur").take(t_hrow)
    offer = homes_on_offer(model)  # each municipality's allocation leaves the others' homes alone
    # all municipalities' new households in one add (the ids, rows and keys that one add per municipality gives)
    new_ids = h.add(tmpl.size, municipality=t_mun, dwelling_id=-1, tenure=0, savings_eur=t_savings,
                    mortgage_eur=0.0, moved_in_year=model.year + 1)
    new_rows = h.rows(new_ids)
    budget = model.scenario.housing.max_price_to_income * t_income + t_savings
    owner = state.dwellings.peek("owner").take(offer.rows)
    fund_mun = offer.municipality[(owner == FUND) | (owner == CORPORATION_FUND)]
    if fund_mun.size and (fund_mun != fund_mun[0]).any():
        # a fund paid for its homes in several municipalities at once would add up their prices in another order
        # (the ledger takes their sum): one allocation per municipality, as the households arrive
        ends = np.cumsum(n_tmpl)
        housed = np.concatenate([allocate_dwellings(model, new_rows[e - n:e], "in_migration", budget[e - n:e], offer)
                                 for n, e in zip(n_tmpl.tolist(), ends.tolist(), strict=True)])
    else:
        housed = allocate_dwellings(model, new_rows, "in_migration", budget, offer)
    h.remove_rows(new_rows[~housed])
    # copy the members of each housed template household (their persons are added after the allocation, which
    # does not read them)
    counts, new_ids, t_mun = t_count[housed], new_ids[housed], t_mun[housed]
    src = km.copies(members, t_start[housed], counts)
    src_mun = np.repeat(t_mun, counts)
    # each municipality's generator draws for its persons (in municipality order, as src is)
    n_src = np.bincount(src_mun, minlength=N_MUN)
    step = np.concatenate([rng.integers(-2, 3, n_src[m]) for m, rng in zip(muns, rngs, strict=True)])
    factor = np.concatenate([rng.lognormal(0, 0.2, n_src[m]) for m, rng in zip(muns, rngs, strict=True)])
    src_age = p.peek("age").take(src)
    new_age = np.clip(src_age + step, 0, 100)
    new_age = np.where(src_age < 18, np.minimum(new_age, 17), np.maximum(new_age, 18))
    p.add(src.size, age=new_age, female=p.peek("female").take(src), household_id=np.repeat(new_ids, counts),
          role=p.peek("role").take(src), municipality=src_mun, institution=False,
          income_eur=p.peek("income_eur").take(src) * factor, origin=2)
    flows.in_migrants += n_src


def ageing(model) -> None:
    """Everyone one year older; incomes follow the stock's age profile: an income at 18 (young adults'
    level), the working-age level at 25, the pensioners' level at 67."""
    p = model.state.persons
    s = model.scenario.stock
    alive = p.peek("alive")
    age = p.col("age")
    age += alive  # 1 where alive, else 0: np.add(age, 1, where=alive) without its slow masked loop
    adult = np.flatnonzero(alive & (age == 18) & ~p.peek("institution"))
    z = ndtri(np.clip(_uniform(model, "income", p.peek("key").take(adult)), 1e-12, 1 - 1e-12))
    median = model.state.median_income_eur[p.peek("municipality").take(adult)]
    income = p.col("income_eur")
    income[adult] = median * s.income_young_ratio * np.exp(s.income_sigma * z)
    # (the same products as np.multiply(..., where=mask) on the few rows concerned)
    income[np.flatnonzero(alive & (age == 25))] *= 1.0 / s.income_young_ratio
    income[np.flatnonzero(alive & (age == 67))] *= s.income_pensioner_ratio
    d = model.state.dwellings
    alive, status = d.peek("alive"), d.peek("status")
    years_vacant = d.col("years_vacant")
    years_vacant += alive & (status == VACANT)
    years_vacant *= ~(alive & (status == OCCUPIED))  # 0 where occupied (a product, faster than a masked write)
