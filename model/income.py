"""Incomes, savings, mortgages and energy costs: the household's means, recomputed every year.

Per year (process 2 of the model, after demography):

* every personal income grows with ``wage_growth_per_year`` (retirement at 67 and a first income at 18
  happen in :func:`model.demography.ageing`);
* households save ``savings_rate`` of their income above the core-group limit;
* owners repay their mortgage linearly over what remains of ``mortgage_term_years``.

Dwelling values follow the national price index and the local market in :mod:`model.market`.

The income limits (130 % of the social minimum, the social-rent DAEB limit) are given in the prices of one
year and follow ``wage_growth_per_year`` to any other year. Energy use follows EP2 and floor area; energy
cost follows the scenario's price paths. Helpers here are used by the indicators and by the owners'
decisions.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from . import kernels_households, kernels_migration
from .state import CHILD, EP2_BOUNDS, HEAD, PARTNER, State


def label_index(ep2: np.ndarray) -> np.ndarray:
    """The same as model.state.label_of (the number of EP2 bounds at or below each value, in float64; NaN
    after all bounds, as np.searchsorted puts it), by one comparison per bound instead of a binary search:
    about ten times faster on the stock's columns."""
    e = np.asarray(ep2, dtype=np.float64)
    label = np.zeros(e.shape, dtype=np.int8)
    for bound in EP2_BOUNDS.tolist():
        label += e >= np.float64(bound)
    nan = np.isnan(e)
    if nan.any():
        label[nan] = EP2_BOUNDS.size
    return label


def path_value(path: dict, year: int) -> float:
    """A scenario price path {year: value} at ``year``: linear in between, constant outside."""
    return _interpolated(tuple(sorted(path.items())), year)


@functools.lru_cache(maxsize=4096)
def _interpolated(points: tuple, year: int) -> float:
    """path_value of the path's (year, value) points in year order: remembered, since the processes ask for the
    same few paths at the same year dozens of times a year (np.interp and its arrays cost some 15 us a call)."""
    years = np.array([y for y, _ in points], dtype=float)
    values = np.array([v for _, v in points], dtype=float)
    return float(np.interp(year, years, values))


def income_limit_factor(model, ref_year: int, year: int | None = None) -> float:
    """Factor that moves an income limit from its price year to ``year`` (default: the model's year)."""
    y = model.year if year is None else year
    return (1.0 + model.scenario.income.wage_growth_per_year) ** (y - ref_year)


def _references(arrays) -> list[int]:
    """The reference count of each array (sys.getrefcount), seen from here."""
    return [sys.getrefcount(a) for a in arrays]


#: The reference count _references gives for an array that only the tuple passed to it holds (measured, so that
#: the test does not depend on how the interpreter counts the references of a call).
_ALONE = _references((np.empty(0),))[0]


class _MemberIndex:
    """Who belongs to which household, kept up to date by the changes since its last use (see member_table).

    Holds the per-slot counts of members, heads and partners and the member rows and their household rows, with
    copies of the persons' columns they come from (household_id, role, alive) as they were then and each
    person's household row. An update compares the columns with the copies (sequential passes) and, only for
    the persons that changed and those added since, takes back their old contributions to the counts, adds
    their new ones and looks up their household row. The counts are integers, so they come out the same as a
    recount (role_counts); the member rows are those alive with a household, ascending, and a household row
    once looked up stays right until the households table is compacted (an add appends rows). A compaction of
    either table rebuilds the index.

    The members are listed only when asked for (listing(): member_table, member_rows): the model's processes
    read the counts (member_counts) and the persons' household rows (person_household_rows), and a listing at
    every update was a pass over all persons writing two arrays of their size (about 1 ms on the full region,
    twice a year).

    The arrays handed out are read-only views of buffers that the index owns (with room to grow). An update
    writes into the buffers only when nothing else holds them any more, neither the views handed out nor any
    view of those (a view keeps its buffer's reference count up: CPython frees memory only with its last
    reference); otherwise it leaves them to their holders and writes into a spare set (or new buffers). Writing
    into the same memory spares the page faults of fresh multi-MB arrays at every update. (A listing asked for
    after an update goes into the listing buffers that update chose: nothing has had a view of them since.)"""

    def __init__(self, state, old: _MemberIndex | None = None):
        """The index from scratch; ``old``, the index it replaces (after a compaction), lends its memory where nothing
        else holds it (compiled: one pass, kernels_households.build_members, the members listed when asked for;
        else numpy, with the listing)."""
        p, h = state.persons, state.households
        hid, role, alive = p.peek("household_id"), p.peek("role"), p.peek("alive")
        self.compactions = (p.compactions, h.compactions)
        self.n, self.slots = p.n, h.n
        # the copies and the member buffers, with room for the persons to grow (their first n slots are in use)
        cap, slots = max(p.n, 16), max(h.n, 16)
        if old is not None and old.hid.size >= p.n:
            self.hid, self.role, self.alive, self.member, self.hrow = old.hid, old.role, old.alive, old.member, old.hrow
        else:
            self.hid, self.role = np.empty(cap, dtype=hid.dtype), np.empty(cap, dtype=role.dtype)
            self.alive, self.member = np.empty(cap, dtype=bool), np.empty(cap, dtype=bool)
            self.hrow = np.empty(cap, dtype=np.int32)
        buffers = None
        if old is not None:
            old.table = old.counts = None  # its views go (unless someone else holds them)
            if (_references(old.buffers) == [_ALONE] * 5 and old.buffers[0].size >= p.n
                    and old.buffers[2].size >= h.n):
                buffers = old.buffers
        self.buffers = buffers or (*(np.empty(cap, dtype=np.int64) for _ in range(2)),
                                   *(np.empty(slots, dtype=np.int64) for _ in range(3)))
        self.spare = None
        counts = self.buffers[2:]
        for buf in counts:
            buf[: h.n] = 0
        self.members = kernels_households.build_members(hid, role, alive, h.row_of, h.n, self.hid, self.role,
                                                        self.alive, self.member, self.hrow,
                                                        *(buf[: h.n] for buf in counts))
        listed = self.members < 0
        if listed:
            member = alive & (hid >= 0)
            rows = np.flatnonzero(member)
            hrow = h.row_of.take(hid.take(rows))
            table = (rows, hrow, *role_counts(hrow, role.take(rows), h.n))
            for copy, a in ((self.hid, hid), (self.role, role), (self.alive, alive), (self.member, member)):
                copy[: p.n] = a
            self.hrow[: p.n] = -1
            self.hrow[rows] = hrow
            for buf, a in zip(self.buffers, table, strict=True):
                buf[: a.size] = a
            self.members = rows.size
        self.hrow[p.n:] = -1
        self.counts = self._views(self.buffers[2:], self.slots)
        self.table = self._views(self.buffers[:2], self.members) + self.counts if listed else None

    @staticmethod
    def _views(buffers, used: int) -> tuple[np.ndarray, ...]:
        """Read-only views of the buffers' first ``used`` slots."""
        views = []
        for buf in buffers:
            view = buf[:used]
            view.flags.writeable = False
            views.append(view)
        return tuple(views)

    def listing(self) -> tuple[np.ndarray, ...]:
        """(rows, hrow, size, heads, partners): the table with the members listed (in the listing buffers the
        last update chose, where it left them out)."""
        if self.table is None:
            rows_buf, hrow_buf = self.buffers[:2]
            self.members = kernels_households.member_arrays(self.member, self.hrow, self.n, rows_buf, hrow_buf)
            self.table = self._views((rows_buf, hrow_buf), self.members) + self.counts
        return self.table

    def _buffers_to_write(self) -> list[np.ndarray]:
        """The buffers an update writes into: the current ones where nothing else holds them; else the spare set
        (the buffers replaced at an earlier update, once their holders let them go) or new ones, with the current
        counts copied, and the current ones become the spare set."""
        if _references(self.buffers) == [_ALONE] * 5:
            return list(self.buffers)
        current, spare = self.buffers, self.spare
        self.spare = current
        if spare is None or _references(spare) != [_ALONE] * 5 or any(
                new.size < old.size for new, old in zip(spare, current, strict=True)):
            spare = [np.empty_like(old) for old in current]
        for new, old in zip(spare[2:], current[2:], strict=True):
            new[: self.slots] = old[: self.slots]
        return list(spare)

    def _grow(self, n: int) -> None:
        """Room in the copies for ``n`` persons."""
        cap = max(n, int(self.hid.size * 1.5))
        for key in ("hid", "role", "alive", "member", "hrow"):
            old = getattr(self, key)
            new = np.empty(cap, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, key, new)

    def update(self, state, compare: bool = True) -> bool:
        """Bring the counts and the persons' household rows up to date with the persons and households (the members
        are listed when asked for); False where only a rebuild can (after a compaction, or for a member whose
        household has no row: the rebuild raises as a recount does).

        The persons that changed are found by comparing the columns with the copies (one compiled pass,
        kernels_migration.changed_persons, else numpy's vectorised passes); without ``compare`` (none of the three
        columns handed out or written since the last update: only persons added) just the added ones are taken.
        The rest is one compiled call (kernels_households.update_members), else numpy."""
        p, h = state.persons, state.households
        if (p.compactions, h.compactions) != self.compactions:
            return False
        n0, n = self.n, p.n
        hid, role, alive = p.peek("household_id"), p.peek("role"), p.peek("alive")
        if compare:
            c, c_hid, c_role, c_alive = kernels_migration.changed_persons(hid, role, alive, self.hid, self.role,
                                                                          self.alive, n0)
        else:
            c = np.arange(n0, n)
            c_hid, c_role, c_alive = hid[n0:n], role[n0:n], alive[n0:n]
        if c.size == 0 and h.n == self.slots:
            return True
        compiled = kernels_households.use_compiled(n)
        if not compiled:
            c_member = c_alive & (c_hid >= 0)
            c_hrow = np.full(c.size, -1, dtype=np.int64)
            joined = np.flatnonzero(c_member)
            c_hrow[joined] = h.row_of.take(c_hid.take(joined))
            if joined.size and c_hrow.take(joined).min() < 0:
                return False
        if n > self.hid.size:
            self._grow(n)
        self.table = self.counts = None  # the views handed out go (unless someone else holds them)
        rows_buf, hrow_buf, *count_bufs = self._buffers_to_write()
        if rows_buf.size < n:
            rows_buf, hrow_buf = np.empty(self.hid.size, dtype=np.int64), np.empty(self.hid.size, dtype=np.int64)
        if count_bufs[0].size < h.n:
            count_bufs = [np.concatenate([buf[: self.slots], np.empty(max(h.n, int(buf.size * 1.5)) - self.slots,
                                                                       dtype=np.int64)]) for buf in count_bufs]
        for buf in count_bufs:
            buf[self.slots: h.n] = 0  # new households
        counts = [buf[: h.n] for buf in count_bufs]
        if compiled:
            if not kernels_households.update_members(c, c_hid, c_role, c_alive, h.row_of, n0, self.role, self.member,
                                                     self.hrow, *counts):
                return False
        else:
            self.member[n0:n] = False
            # the changed persons' old contributions to the counts (the new ones are theirs now)
            was = np.compress(self.member.take(c), c)
            kernels_households.shift_counts(*counts, self.hrow.take(was), self.role.take(was), c_hrow.take(joined),
                                            c_role.take(joined))
            self.member[c], self.hrow[c] = c_member, c_hrow
        self.hid[c], self.role[c], self.alive[c] = c_hid, c_role, c_alive
        self.buffers = (rows_buf, hrow_buf, *count_bufs)
        self.n, self.slots = n, h.n
        self.counts = self._views(count_bufs, h.n)
        return True


#: The persons' columns the member index depends on.
_MEMBER_COLUMNS = ("household_id", "role", "alive")


def _member_index(state) -> _MemberIndex:
    """The persons' member index, brought up to date where the persons or the households changed since its last
    use: kept while the persons table hands out none of its columns (household_id, role, alive), removes and
    adds no one and is not compacted, and the households table adds or compacts no rows
    (EntityTable.columns_stamp; a hand-out of another column, col("age") say, leaves it as it is). After adds
    alone (none of its columns handed out) the update takes the added persons without comparing the others."""
    p, h = state.persons, state.households
    stamp = (p.columns_stamp(_MEMBER_COLUMNS), h.layout)
    d = p.__dict__
    index = d.get("_member_index")
    if index is not None and d["_member_stamp"] == stamp:
        return index
    if index is None or not index.update(state, compare=d["_member_stamp"][0][0] != stamp[0][0]):
        index = d["_member_index"] = _MemberIndex(state, index)
    d["_member_stamp"] = stamp
    return index


def member_table(state) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows, hrow, size, heads, partners): the alive persons who belong to a household (rows, ascending), the
    rows of their households, and per household slot the number of members, of heads and of partners.

    The arrays are read-only and shared: they are kept while the persons table hands out none of the columns
    household_id, role and alive and adds, removes and compacts nothing and the households table adds or compacts
    no rows (_member_index); after such a change they are brought up to date from the persons that changed
    (_MemberIndex)."""
    return _member_index(state).listing()


def member_counts(state) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(size, heads, partners): the last three arrays of member_table, without listing the members."""
    return _member_index(state).counts


def person_household_rows(state) -> np.ndarray:
    """Per person slot: the row of its household where it is a member (alive, with a household), else -1; the
    member table's own array (_MemberIndex.hrow) as a read-only view, brought up to date first. It changes at
    the table's next update: use it right away."""
    view = _member_index(state).hrow[: state.persons.n]
    view.flags.writeable = False
    return view


def person_members(state) -> np.ndarray:
    """Per person slot: whether it is a member (alive, with a household), as bools: the member table's own array
    (_MemberIndex.member) as a read-only view, brought up to date first; a pass over it reads an eighth of
    what a pass over person_household_rows reads. It changes at the table's next update: use it right away."""
    view = _member_index(state).member[: state.persons.n]
    view.flags.writeable = False
    return view


def member_rows(state) -> tuple[np.ndarray, np.ndarray]:
    """The alive persons who belong to a household (rows, ascending) and the rows of their households: the
    first two arrays of member_table (read-only and shared)."""
    return member_table(state)[:2]


def role_counts(hrow: np.ndarray, role: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per household slot (``n`` slots): members, heads and partners, from the members' household rows and
    roles (HEAD 0, PARTNER 1, CHILD 2), counted in one pass."""
    if role.size and (int(role.min()) < HEAD or int(role.max()) > CHILD):  # no such member in a valid state
        return (np.bincount(hrow, minlength=n), np.bincount(hrow[role == HEAD], minlength=n),
                np.bincount(hrow[role == PARTNER], minlength=n))
    c = np.bincount(hrow * 3 + role, minlength=3 * n)
    heads, partners = c[HEAD::3], c[PARTNER::3]
    return heads + partners + c[CHILD::3], heads, partners


def _facts_buffers(p, n: int) -> tuple[np.ndarray, ...]:
    """The memory for the next household facts of ``n`` slots (kept in the persons table's ``_facts_buffers``):
    that of the last facts where nothing holds them any more (the cache entry dropped here, no caller keeping
    an array or a view of one), else new arrays with room for the households to grow."""
    p.__dict__.pop("_household_facts", None)  # (its arrays go, unless someone else holds them)
    buffers = p.__dict__.get("_facts_buffers")
    if buffers is None or buffers[0].size < n or _references(buffers) != [_ALONE] * 5:
        cap = max(16, n + n // 4)
        buffers = p.__dict__["_facts_buffers"] = (np.empty(cap, np.float64),
                                                  *(np.empty(cap, np.int64) for _ in range(4)))
    return buffers


def household_facts(state, income_growth: float | None = None) -> dict[str, np.ndarray]:
    """Per household slot: income of its members (EUR/yr), adults, size, head's age, oldest member's age.

    The arrays are read-only and shared: they are kept until the persons table hands out a column view or
    changes (add, remove, compact) or the households table adds or compacts rows (EntityTable.stamp()), so
    that the processes between two such changes (market, sales, maintenance, renovation) count once. A
    compaction of the persons alone changes no household's facts (it keeps the persons' order, so each
    household's income adds its members in the same order): the arrays are kept through one.

    With ``income_growth``, every alive person's income is first multiplied by it (yearly_means), in the same
    pass over the persons as the facts: the facts are then of the new incomes."""
    p, h = state.persons, state.households
    alive = None
    if income_growth is not None:
        income = p.col("income_eur")  # (a hand-out: the stamp below is taken after it)
        alive = p.peek("alive")
    else:
        income = p.peek("income_eur")
    stamp = (p.stamp(), h.stamp()[1])
    cached = p.__dict__.get("_household_facts")
    if alive is None and cached is not None and (cached[0] == stamp or _persons_compacted(state, cached)):
        p.__dict__["_household_facts"] = (stamp, cached[1], p.compactions)
        return dict(cached[1])
    cached = None
    hrow_of = person_household_rows(state)  # (the member table brought up to date: its counts are those below)
    facts = kernels_households.facts(hrow_of, p.peek("age"), p.peek("role"), income, h.n, alive,
                                     1.0 if income_growth is None else income_growth, out=_facts_buffers(p, h.n),
                                     size=member_counts(state)[0])
    for v in facts.values():
        v.flags.writeable = False
    p.__dict__["_household_facts"] = (stamp, facts, p.compactions)
    return dict(facts)


def _persons_compacted(state, cached) -> bool:
    """Whether the persons table was compacted once and nothing else changed since the facts were counted: its
    stamp one version and one layout on (an add moves it alike, but not the compactions), the households' layout
    the same."""
    p, h = state.persons, state.households
    ((version, layout), households), _, compactions = cached
    return (p.stamp() == (version + 1, layout + 1) and p.compactions == compactions + 1
            and h.stamp()[1] == households)


def household_income(state, hh_rows: np.ndarray | None = None) -> np.ndarray:
    """Per household slot: total income of its members (EUR/yr); with ``hh_rows``, only for those households
    (the same sums: each household's members are added in the same order, ascending person rows)."""
    p, h = state.persons, state.households
    if hh_rows is None:
        rows, hrow = member_rows(state)
        return np.bincount(hrow, weights=p.peek("income_eur").take(rows), minlength=h.n)
    hid = p.peek("household_id")
    # id_mask: -1 ("no household") maps to its last slot, which is False (indexing rather than take: the same
    # mask, twice as fast with the -1 of the persons without a household)
    rows = np.flatnonzero(h.id_mask(h.peek("id").take(hh_rows))[hid] & p.peek("alive"))
    hrow = h.row_of.take(hid.take(rows))
    return np.bincount(hrow, weights=p.peek("income_eur").take(rows), minlength=h.n).take(hh_rows)


def household_means(state: State) -> tuple[np.ndarray, np.ndarray]:
    """Per household slot: total income of its members (EUR/yr) and its number of adults."""
    f = household_facts(state)
    return f["income"], f["adults"]


def core_limit(model, adults: np.ndarray) -> np.ndarray:
    """130 % of the social minimum for each household (by number of adults), in the model's year."""
    inc = model.scenario.income
    f = income_limit_factor(model, inc.income_limits_year)
    return np.where(adults <= 1, inc.social_minimum_130_single_eur, inc.social_minimum_130_multi_eur) * f


def daeb_limit(model, size: np.ndarray) -> np.ndarray:
    """Social-rent income limit for each household (by size), in the model's year."""
    inc = model.scenario.income
    f = income_limit_factor(model, inc.daeb_limits_year)
    return np.where(size <= 1, inc.daeb_income_limit_single_eur, inc.daeb_income_limit_multi_eur) * f


def gas_m3(model, dwelling_rows: np.ndarray) -> np.ndarray:
    """Yearly gas use of dwellings (m3)."""
    d = model.state.dwellings
    return (model.scenario.energy.gas_m3_per_ep2_kwh * d.ep2_kwh_m2[dwelling_rows].astype(float)
            * d.floor_area_m2[dwelling_rows])


def heat_price_factor(model, dwelling_rows: np.ndarray):
    """Price of heat relative to the gas price: the corporation's tariff share for homes connected to its
    supply (model.corporation_levers.CorporationEnergy), 1 elsewhere (a scalar 1.0 when none is connected)."""
    connected = model.state.dwellings.energy_connected[dwelling_rows]
    if not connected.any():
        return 1.0
    return np.where(connected, model.scenario.corporation_energy.corp_energy_tariff_share, 1.0)


def energy_cost_eur(model, dwelling_rows: np.ndarray) -> np.ndarray:
    """Yearly energy cost of living in the dwellings (gas or heat, and electricity) at the model year's prices
    (compiled: kernels_households.energy_cost, the same operations in one pass)."""
    e, d = model.scenario.energy, model.state.dwellings
    gas_price = path_value(e.gas_price_eur_m3, model.year)
    electricity = e.electricity_kwh_per_household * path_value(e.electricity_price_eur_kwh, model.year)
    cost = kernels_households.energy_cost(dwelling_rows, d.peek("ep2_kwh_m2"), d.peek("floor_area_m2"),
                                          d.peek("energy_connected"), e.gas_m3_per_ep2_kwh, gas_price,
                                          model.scenario.corporation_energy.corp_energy_tariff_share, electricity)
    if cost is not None:
        return cost
    return gas_m3(model, dwelling_rows) * gas_price * heat_price_factor(model, dwelling_rows) + electricity


def yearly_means(model) -> None:
    """Index incomes, add savings, repay mortgages."""
    st, sc = model.state, model.scenario
    h = st.households
    g = sc.income.wage_growth_per_year
    st.median_income_eur *= 1.0 + g
    # the incomes indexed in the same pass as the household facts (in place where alive)
    f = household_facts(st, income_growth=1.0 + g)
    income, adults = f["income"], f["adults"]
    # in one compiled pass over the slots, in place where alive (and owner); numpy: over all slots with where=
    inc_sc = sc.income
    kernels_households.save_and_repay(
        h.peek("alive"), h.peek("tenure"), h.peek("moved_in_year"), income, adults, h.col("savings_eur"),
        h.col("mortgage_eur"), inc_sc.social_minimum_130_single_eur, inc_sc.social_minimum_130_multi_eur,
        income_limit_factor(model, inc_sc.income_limits_year), inc_sc.savings_rate, sc.stock.mortgage_term_years,
        model.year)


def national_price_growth(model) -> float:
    """Growth of the national house-price index in the model's year (scenario input)."""
    m = model.scenario.market
    return path_value(m.national_price_growth, model.year)
