"""Invariant checks of a run: the accounting identities of the model, checked every simulated year.

Switched on per run (``HousingModel(..., check=True)``, ``run.py run/batch --check``, or the environment
variable ``ZOD_CHECK=1``, which the test suite sets); off by default because they cost a few per cent of a
run. At the end of every :meth:`HousingModel.step` :func:`check_year` runs every registered check; the
first identity that does not hold raises :class:`InvariantError`, whose message names the year, the
municipality (CBS code and name) and the identity with both of its sides.

What is checked (unexpanded counts, i.e. the model's own entities, so identities hold exactly at any scale):

* **state** -- the tables' id -> row lookups; every household in exactly one standing dwelling that points
  back to it, no dwelling with two households, status OCCUPIED exactly when a household lives there;
  every person in one alive household or in an institution, one adult head per household, at most one
  partner; tenure follows the dwelling's owner;
* **population** -- population(t+1) = population(t) + births - deaths + in_migrants - out_migrants per
  municipality (the flows of :class:`model.demography.Flows`), flows >= 0, unhoused departures <= out;
* **dwellings** -- stock(t+1) = stock(t) + new_construction - demolished per municipality; occupied +
  vacant = stock; households = occupied dwellings + households outside the stock;
* **money** -- savings, mortgages, renovation loans and incomes finite and >= 0; dwelling values finite and
  > 0; every yearly event counter finite and >= 0;
* **market** -- purchases = owner-occupied homes whose last sale is this year (a home is sold at most once
  a year); money paid > 0 exactly where homes were bought; corporation sales <= purchases; structural
  demolitions <= demolitions; renovations = own means + with loan, deep and low-income <= renovations.

More identities are added with :func:`register` (a function ``check(model, previous)`` that raises
:class:`InvariantError`), or per model: if the model has a callable ``extra_checks`` attribute, it is
called after the registered checks (e.g. the Transformatiefonds' balance). ``previous`` is a
:class:`Counts` of 1 January of the year just simulated.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .data import MUNICIPALITY_CODES, NAME_BY_CODE
from .state import (
    CORPORATION,
    CORPORATION_FUND,
    DEMOLISHED,
    FUND,
    HEAD,
    NO_HOUSEHOLD,
    OCCUPIED,
    OTHER_OWNER,
    OTHER_TENURE,
    OWNER,
    OWNER_OCCUPIER,
    PARTNER,
    PRIVATE_LANDLORD,
    PRIVATE_TENANT,
    SOCIAL_TENANT,
    VACANT,
    State,
    stock_rows,
)

N_MUN = len(MUNICIPALITY_CODES)
ENV_VAR = "ZOD_CHECK"


def enabled_by_environment() -> bool:
    """True when ``ZOD_CHECK`` is set to 1/true/yes/on (the test suite sets it; so can a cluster's workers)."""
    return os.environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on")


class InvariantError(AssertionError):
    """An accounting identity of the model does not hold.

    Attributes: ``identity`` (text), ``year`` (the simulated year, or None), ``municipality`` (CBS code or
    None), ``left`` and ``right`` (the two sides, or None) and ``detail``.
    """

    def __init__(self, identity: str, *, year: int | None = None, municipality: int | str | None = None,
                 left=None, right=None, detail: str = "", where: str = ""):
        if isinstance(municipality, (int, np.integer)):
            municipality = MUNICIPALITY_CODES[int(municipality)]
        self.identity, self.year, self.municipality = identity, year, municipality
        self.left, self.right, self.detail = left, right, detail
        head = []
        if where:
            head.append(where)
        if year is not None:
            head.append(f"year {year}")
        if municipality is not None:
            head.append(f"{municipality} ({NAME_BY_CODE.get(municipality, '?')})")
        msg = "invariant broken" + (f" in {', '.join(head)}" if head else "") + f": {identity}"
        if left is not None or right is not None:
            msg += f"; left side {_fmt(left)}, right side {_fmt(right)}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def _n(mask) -> int:
    return int(np.count_nonzero(mask))


def _require(ok, identity: str, municipality_of_rows: np.ndarray, *, where: str = "", year=None,
             detail: str = "") -> None:
    """Raise for the first municipality where ``ok`` (a mask over rows) is False, with the count there."""
    ok = np.asarray(ok, dtype=bool)
    if ok.all():
        return
    bad = ~ok
    mun = np.asarray(municipality_of_rows)[bad] if np.size(municipality_of_rows) == ok.size else None
    m = int(np.bincount(mun.astype(np.int64), minlength=N_MUN).argmax()) if mun is not None and mun.size else None
    n_here = _n(mun == m) if m is not None else _n(bad)
    text = f"{n_here} case(s) here, {_n(bad)} in all"
    raise InvariantError(identity, year=year, municipality=m, where=where,
                         detail=f"{text}; {detail}" if detail else text)


def _per_municipality(left: np.ndarray, right: np.ndarray, identity: str, *, year=None, where: str = "",
                      right_text: Callable[[int], str] | None = None, exact: bool = True) -> None:
    left, right = np.asarray(left), np.asarray(right)
    equal = np.equal(left, right) if exact else np.isclose(left, right, rtol=1e-9, atol=1e-6)
    for m in np.flatnonzero(~equal):
        rhs = f"{_fmt(right[m])}" + (f" = {right_text(int(m))}" if right_text else "")
        raise InvariantError(identity, year=year, municipality=int(m), where=where, left=_fmt(left[m]), right=rhs)


# -- the state: tables, households <-> dwellings, persons <-> households, tenure -------------------------
def check_tables(state: State, where: str = "") -> None:
    """The id -> row lookups of the three tables are consistent."""
    for table in (state.persons, state.households, state.dwellings):
        ids = table.id
        alive = table.alive
        rows = np.flatnonzero(alive)
        ok = table.row_of[ids[alive]] == rows
        _require(ok, f"{table.name}: row_of[id] = row of every alive entity", table.municipality[rows],
                 where=where)


def check_households_and_dwellings(state: State, where: str = "") -> None:
    """Every alive household lives in exactly one alive dwelling that points back to it; no dwelling holds
    two households; a dwelling is OCCUPIED exactly when it has a household; demolished dwellings are empty."""
    h, d = state.households, state.dwellings
    hrows = h.alive_rows()
    hm = h.municipality[hrows]
    dw_ids = h.dwelling_id[hrows]
    valid = (dw_ids >= 0) & (dw_ids < d.next_id)
    _require(valid, "every household has a dwelling id", hm, where=where)
    drows = d.row_of[dw_ids]
    _require(drows >= 0, "every household's dwelling id has a row", hm, where=where)
    _require(d.alive[drows], "every household lives in an alive dwelling", hm, where=where)
    _require(d.household_id[drows] == h.id[hrows], "a household's dwelling points back to it", hm, where=where)
    _, first, counts = np.unique(dw_ids, return_index=True, return_counts=True)
    shared = np.zeros(dw_ids.size, dtype=bool)
    shared[first[counts > 1]] = True
    _require(~shared, "no dwelling is used by two households", hm, where=where)
    _require(d.status[drows] == OCCUPIED, "a household's dwelling is marked occupied", hm, where=where)
    _require(d.municipality[drows] == hm, "a household lives in a dwelling of its municipality", hm, where=where)

    alive_d = d.alive_rows()
    dm = d.municipality[alive_d]
    status, hh = d.status[alive_d], d.household_id[alive_d]
    _require(np.isin(status, (OCCUPIED, VACANT, DEMOLISHED)), "dwelling status is occupied, vacant or demolished",
             dm, where=where)
    standing = status != DEMOLISHED
    _require(~standing | ((status == OCCUPIED) == (hh >= 0)),
             "a standing dwelling is occupied exactly when it has a household", dm, where=where)
    _require(standing | (hh == -1), "a demolished dwelling has no household", dm, where=where)
    occupied = hh >= 0
    hrow_of = np.full(hh.size, -1, dtype=np.int64)
    in_range = occupied & (hh < h.next_id)
    hrow_of[in_range] = h.row_of[hh[in_range]]
    ok = ~occupied | ((hrow_of >= 0) & h.alive[np.maximum(hrow_of, 0)])
    _require(ok, "an occupied dwelling's household is alive", dm, where=where)
    out = ~d.in_stock[alive_d]
    _require(out == (d.owner[alive_d] == OTHER_OWNER),
             "units outside the regular stock are exactly those of owner 'other'", dm, where=where)
    _require(~(out & (status == VACANT)), "no vacant unit outside the regular stock", dm, where=where)


def check_tenure(state: State, where: str = "") -> None:
    """A household's tenure follows the owner of its dwelling (fund homes are let as social rent)."""
    h, d = state.households, state.dwellings
    hrows = h.alive_rows()
    owner = d.owner[d.rows(h.dwelling_id[hrows])]
    expected = np.select(
        [owner == OWNER_OCCUPIER, owner == CORPORATION, owner == PRIVATE_LANDLORD, owner == FUND,
         owner == OTHER_OWNER, owner == CORPORATION_FUND],
        [OWNER, SOCIAL_TENANT, PRIVATE_TENANT, SOCIAL_TENANT, OTHER_TENURE, SOCIAL_TENANT], -9)
    _require(h.tenure[hrows] == expected, "a household's tenure follows its dwelling's owner",
             h.municipality[hrows], where=where)


def check_persons(state: State, where: str = "") -> None:
    """Every alive person is in an alive household, or in an institution with household_id -1; minors are
    in households; every household has members, exactly one head (an adult) and at most one partner."""
    p, h = state.persons, state.households
    prows = p.alive_rows()
    pm = p.municipality[prows]
    hid = p.household_id[prows]
    inst = p.institution[prows]
    in_hh = hid >= 0
    _require(in_hh == ~inst, "a person is in a household or in an institution, not both or neither", pm,
             where=where)
    _require(in_hh | (p.role[prows] == NO_HOUSEHOLD), "institution residents have no household role", pm,
             where=where)
    _require(~in_hh | (hid < h.next_id), "a person's household id exists", pm, where=where)
    hrow = np.full(prows.size, -1, dtype=np.int64)
    hrow[in_hh] = h.row_of[np.minimum(hid[in_hh], h.next_id - 1)]
    _require(~in_hh | (hrow >= 0), "a person's household has a row", pm, where=where)
    _require(~in_hh | h.alive[np.maximum(hrow, 0)], "a person's household is alive", pm, where=where)
    _require(in_hh | (p.age[prows] >= 18), "persons aged 0-17 live in a household", pm, where=where)

    role = p.role[prows][in_hh]
    hr = hrow[in_hh]
    size = np.bincount(hr, minlength=h.n)
    heads = np.bincount(hr[role == HEAD], minlength=h.n)
    partners = np.bincount(hr[role == PARTNER], minlength=h.n)
    alive_h = h.alive_rows()
    hm = h.municipality[alive_h]
    _require(size[alive_h] >= 1, "every household has members", hm, where=where)
    _require(heads[alive_h] == 1, "every household has exactly one head", hm, where=where,
             detail=f"head counts seen: {sorted(set(heads[alive_h].tolist()))}")
    _require(partners[alive_h] <= 1, "a household has at most one partner", hm, where=where)
    is_head = role == HEAD
    _require(p.age[prows][in_hh][is_head] >= 18, "the head of a household is an adult",
             pm[in_hh][is_head], where=where)
    _require(pm[in_hh] == h.municipality[hr], "a person lives in their household's municipality", pm[in_hh],
             where=where)


def check_state(state: State, where: str = "") -> None:
    """All consistency checks of a state (no flows needed)."""
    check_tables(state, where)
    check_households_and_dwellings(state, where)
    check_tenure(state, where)
    check_persons(state, where)


def population_by_municipality(state: State, n_mun: int = N_MUN) -> np.ndarray:
    """Unexpanded count of alive persons per municipality index."""
    p = state.persons
    return np.bincount(p.municipality[p.alive_rows()], minlength=n_mun)


def stock_by_municipality(state: State) -> np.ndarray:
    """Unexpanded count of dwellings of the regular stock (standing) per municipality index."""
    d = state.dwellings
    return np.bincount(d.municipality[stock_rows(d)], minlength=N_MUN)


# -- year-to-year identities ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counts:
    """Unexpanded counts per municipality on 1 January of ``year``."""

    year: int
    population: np.ndarray
    dwellings: np.ndarray


def counts(model) -> Counts:
    return Counts(model.year, population_by_municipality(model.state), stock_by_municipality(model.state))


def counts_from_rows(model, year: int) -> Counts | None:
    """The counts of ``year`` recovered from the model's indicator rows (expanded by 1/scale and rounded;
    rint(rint(v / s) * s) = v for any s <= 1, so this is exact)."""
    rows = {r["municipality_code"]: r for r in model._rows if r["year"] == year}
    if len(rows) != N_MUN:
        return None
    s = model.scenario.run.scale

    def col(name):
        return np.array([int(np.rint(rows[c][name] * s)) for c in MUNICIPALITY_CODES], dtype=np.int64)
    return Counts(year, col("population"), col("dwellings"))


def _event(model, name: str) -> np.ndarray:
    v = model.events.get(name)
    return np.zeros(N_MUN) if v is None else np.asarray(v, dtype=float)


def check_state_of_model(model, previous: Counts | None) -> None:
    check_state(model.state, where=f"1 January {model.year}")


def check_population(model, previous: Counts | None) -> None:
    """population(t+1) = population(t) + births - deaths + in - out, per municipality."""
    f = model.last_flows
    year = model.year - 1
    if f is None:
        return
    for k in ("births", "deaths", "in_migrants", "out_migrants", "unhoused_departures"):
        v = getattr(f, k)
        for m in np.flatnonzero(v < 0):
            raise InvariantError(f"{k} >= 0", year=year, municipality=int(m), left=v[m], right=0)
    for m in np.flatnonzero(f.unhoused_departures > f.out_migrants):
        raise InvariantError("unhoused departures <= out_migrants (they are part of them)", year=year,
                             municipality=int(m), left=f.unhoused_departures[m], right=f.out_migrants[m])
    if previous is None:
        return
    now = population_by_municipality(model.state)
    expected = previous.population + f.births - f.deaths + f.in_migrants - f.out_migrants
    _per_municipality(
        now, expected, f"population(1 Jan {model.year}) = population(1 Jan {year}) + births - deaths + "
                       "in_migrants - out_migrants", year=year,
        right_text=lambda m: (f"{previous.population[m]} + {f.births[m]} - {f.deaths[m]} + {f.in_migrants[m]} "
                              f"- {f.out_migrants[m]}"))


def check_dwellings(model, previous: Counts | None) -> None:
    """stock(t+1) = stock(t) + new_construction - demolished; occupied + vacant = stock; households =
    occupied + outside the stock."""
    year = model.year - 1
    d, h = model.state.dwellings, model.state.households
    rows = stock_rows(d)
    dm = d.municipality[rows]
    stock = np.bincount(dm, minlength=N_MUN)
    if previous is not None:
        new, gone = _event(model, "new_construction"), _event(model, "demolished")
        _per_municipality(stock, previous.dwellings + new - gone,
                          f"dwellings(1 Jan {model.year}) = dwellings(1 Jan {year}) + new_construction - "
                          "demolished", year=year,
                          right_text=lambda m: f"{previous.dwellings[m]} + {new[m]:g} - {gone[m]:g}")
    status = d.status[rows]
    occupied = np.bincount(dm[status == OCCUPIED], minlength=N_MUN)
    vacant = np.bincount(dm[status == VACANT], minlength=N_MUN)
    _per_municipality(occupied + vacant, stock, "occupied + vacant dwellings = dwellings of the stock", year=year)
    hrows = h.alive_rows()
    hm = h.municipality[hrows]
    outside = np.bincount(hm[~d.in_stock[d.rows(h.dwelling_id[hrows])]], minlength=N_MUN)
    _per_municipality(np.bincount(hm, minlength=N_MUN), occupied + outside,
                      "households = occupied dwellings + households outside the stock", year=year)


#: Event counters that are net amounts and may be negative (policy spending net of receipts).
SIGNED_EVENTS = frozenset({"policy_spending_eur"})


def check_money(model, previous: Counts | None) -> None:
    """No NaN or infinity in money; no negative savings, debts or incomes; every value > 0."""
    year = model.year - 1
    st = model.state
    h, p, d = st.households, st.persons, st.dwellings
    hrows = h.alive_rows()
    hm = h.municipality[hrows]
    for col in ("savings_eur", "mortgage_eur", "renovation_loan_eur"):
        v = getattr(h, col)[hrows]
        _require(np.isfinite(v), f"households' {col} is finite (no NaN or infinity)", hm, year=year)
        _require(v >= 0, f"households' {col} >= 0", hm, year=year, detail=f"lowest {v.min():.2f}")
    prows = p.alive_rows()
    inc = p.income_eur[prows]
    _require(np.isfinite(inc) & (inc >= 0), "persons' income_eur is finite and >= 0", p.municipality[prows],
             year=year)
    drows = d.alive_rows()
    v = d.value_eur[drows]
    _require(np.isfinite(v), "dwellings' value_eur is finite (no NaN or infinity)", d.municipality[drows], year=year)
    rows = stock_rows(d)
    _require(d.value_eur[rows] > 0, "value_eur > 0 for every dwelling of the stock", d.municipality[rows], year=year)
    for name, arr in model.events.items():
        arr = np.asarray(arr, dtype=float)
        signed = name in SIGNED_EVENTS  # net amounts may be negative
        for m in np.flatnonzero(~np.isfinite(arr) | ((arr < 0) & (not signed))):
            raise InvariantError(f"event counter {name} is finite and >= 0", year=year, municipality=int(m),
                                 left=arr[m], right=0)


def check_market(model, previous: Counts | None) -> None:
    """Purchases and the event counters that are parts of others."""
    year = model.year - 1
    d = model.state.dwellings
    rows = d.alive_rows()
    sold = rows[(d.last_sale_year[rows] == year) & (d.owner[rows] == OWNER_OCCUPIER)]
    purchases = _event(model, "purchases")
    _per_municipality(purchases, np.bincount(d.municipality[sold], minlength=N_MUN).astype(float),
                      f"purchases = owner-occupied homes whose last sale was in {year} (one sale a home a year)",
                      year=year)
    paid = _event(model, "purchase_value_eur")
    for m in np.flatnonzero((paid > 0) != (purchases > 0)):
        raise InvariantError("purchase_value_eur > 0 exactly where homes were bought", year=year,
                             municipality=int(m), left=paid[m], right=f"{purchases[m]:g} purchases")
    parts = [("corporation_sales", "purchases"), ("structural_vacancy_demolitions", "demolished"),
             ("renovations_deep", "renovations"), ("renovations_low_income", "renovations")]
    for part, whole in parts:
        a, b = _event(model, part), _event(model, whole)
        for m in np.flatnonzero(a > b):
            raise InvariantError(f"{part} <= {whole}", year=year, municipality=int(m), left=a[m], right=b[m])
    if "renovations" in model.events:
        _per_municipality(_event(model, "renovations"),
                          _event(model, "renovations_own_means") + _event(model, "renovations_with_loan"),
                          "renovations = renovations_own_means + renovations_with_loan", year=year)


#: The checks :func:`check_year` runs, in order. Add more with :func:`register`.
CHECKS: list[Callable] = [check_state_of_model, check_population, check_dwellings, check_money, check_market]


def check_policies(model, previous: Counts | None) -> None:
    """The ledgers of the Transformatiefonds and the experimenteerruimte levers: each year's cash at the end
    is the cash at the start plus inflows minus outflows, and never negative; the fund owns exactly the homes
    it bought and built minus those it sold and demolished, and no more than it bought and built."""
    from .policies import Transformatiefonds

    year = model.year - 1
    agents = [getattr(model, name, None) for name in ("fund", "corporation_fund", "corporation_lifetime",
                                                      "corporation_energy")]
    d = model.state.dwellings
    rows = stock_rows(d)
    for agent in agents:
        if agent is None or not getattr(agent, "enabled", False):
            continue
        ledger = agent.ledger
        if not ledger.rows or ledger.rows[-1]["year"] != year:
            continue
        row = ledger.rows[-1]
        expected = (row["cash_start_eur"] + sum(row[k] for k in ledger.inflows)
                    - sum(row[k] for k in ledger.outflows))
        name = type(agent).__name__
        if abs(row["cash_end_eur"] - expected) > 1e-6 * max(1.0, abs(expected)) + 0.01:
            raise InvariantError(f"{name}: cash at the end = cash at the start + inflows - outflows", year=year,
                                 left=row["cash_end_eur"], right=expected)
        if row["cash_end_eur"] < -1e-6:
            raise InvariantError(f"{name}: cash >= 0", year=year, left=row["cash_end_eur"], right=0)
        if isinstance(agent, Transformatiefonds):  # the fund's machine (also the corporations'): its homes
            c = agent.counts
            owned = int(np.count_nonzero(d.owner[rows] == agent.owner_code))
            if owned != c["bought"] + c["built"] - c["sold"] - c["demolished"] or owned > c["bought"] + c["built"]:
                raise InvariantError(f"{name}: homes owned = bought + built - sold - demolished", year=year,
                                     left=owned, right=c["bought"] + c["built"] - c["sold"] - c["demolished"])


def register(check: Callable) -> Callable:
    """Add ``check(model, previous)`` to the yearly checks (usable as a decorator); returns it."""
    if check not in CHECKS:
        CHECKS.append(check)
    return check


register(check_policies)


def check_year(model) -> None:
    """Every registered identity for the year just simulated (call at the end of ``step``), then the
    model's own ``extra_checks()`` if it has one. Raises :class:`InvariantError` on the first that fails."""
    previous = getattr(model, "_checks_previous", None)
    if previous is None or previous.year != model.year - 1:
        previous = counts_from_rows(model, model.year - 1)
    for check in CHECKS:
        check(model, previous)
    extra = getattr(model, "extra_checks", None)
    if callable(extra):
        extra()
    model._checks_previous = counts(model)
