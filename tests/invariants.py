"""Consistency checks of a model state, shared by the stock and accounting tests.

Each check raises AssertionError with a message saying what is broken and how often.
"""

from __future__ import annotations

import numpy as np

from model.state import (
    CORPORATION,
    DEMOLISHED,
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
)


def _n(mask) -> int:
    return int(np.count_nonzero(mask))


def check_tables(state: State) -> None:
    """The id -> row lookups of the three tables are consistent."""
    for table in (state.persons, state.households, state.dwellings):
        table.check()


def check_households_and_dwellings(state: State, where: str = "") -> None:
    """Every alive household lives in exactly one alive dwelling that points back to it; no dwelling holds
    two households; a dwelling is OCCUPIED exactly when it has a household; demolished dwellings are empty."""
    h, d = state.households, state.dwellings
    hrows = h.alive_rows()
    dw_ids = h.dwelling_id[hrows]
    assert _n(dw_ids < 0) == 0, f"{where}: {_n(dw_ids < 0)} households without a dwelling"
    drows = d.row_of[dw_ids]
    assert _n(drows < 0) == 0, f"{where}: {_n(drows < 0)} households point to a dwelling id without a row"
    assert d.alive[drows].all(), f"{where}: {_n(~d.alive[drows])} households live in a removed dwelling"
    back = d.household_id[drows] == h.id[hrows]
    assert back.all(), f"{where}: {_n(~back)} households whose dwelling does not point back to them"
    assert np.unique(dw_ids).size == dw_ids.size, (
        f"{where}: {dw_ids.size - np.unique(dw_ids).size} dwellings are used by two or more households")
    assert (d.status[drows] == OCCUPIED).all(), f"{where}: households in dwellings not marked occupied"
    same = d.municipality[drows] == h.municipality[hrows]
    assert same.all(), f"{where}: {_n(~same)} households in a dwelling of another municipality"

    alive_d = d.alive_rows()
    status, hh = d.status[alive_d], d.household_id[alive_d]
    standing = status != DEMOLISHED
    assert np.isin(status, (OCCUPIED, VACANT, DEMOLISHED)).all(), f"{where}: unknown dwelling status"
    bad = standing & ((status == OCCUPIED) != (hh >= 0))
    assert not bad.any(), f"{where}: {_n(bad)} dwellings whose status disagrees with their household_id"
    assert (hh[~standing] == -1).all(), f"{where}: demolished dwellings with a household"
    occupied_by = hh[hh >= 0]
    assert np.unique(occupied_by).size == occupied_by.size, f"{where}: a household id in two dwellings"
    hrow_of = h.row_of[occupied_by]
    assert (hrow_of >= 0).all() and h.alive[hrow_of].all(), (
        f"{where}: dwellings pointing to a removed household")
    # units outside the regular stock are exactly the OTHER_OWNER units, and are never vacant
    out = ~d.in_stock[alive_d]
    assert (out == (d.owner[alive_d] == OTHER_OWNER)).all(), f"{where}: in_stock disagrees with the owner"
    assert not (out & (status == VACANT)).any(), f"{where}: a vacant unit outside the regular stock"


def check_tenure(state: State, where: str = "") -> None:
    """A household's tenure follows the owner of its dwelling."""
    h, d = state.households, state.dwellings
    hrows = h.alive_rows()
    owner = d.owner[d.rows(h.dwelling_id[hrows])]
    expected = np.select(
        [owner == OWNER_OCCUPIER, owner == CORPORATION, owner == PRIVATE_LANDLORD, owner == OTHER_OWNER],
        [OWNER, SOCIAL_TENANT, PRIVATE_TENANT, OTHER_TENURE], -9)
    bad = h.tenure[hrows] != expected
    assert not bad.any(), f"{where}: {_n(bad)} households whose tenure does not follow the dwelling's owner"


def check_persons(state: State, where: str = "") -> None:
    """Every alive person is in an alive household, or in an institution with household_id -1; minors are
    in households; every household has members, exactly one head (an adult) and at most one partner."""
    p, h = state.persons, state.households
    prows = p.alive_rows()
    hid = p.household_id[prows]
    inst = p.institution[prows]
    in_hh = hid >= 0
    assert (in_hh == ~inst).all(), (
        f"{where}: {_n(~in_hh & ~inst)} persons in no household and not in an institution, "
        f"{_n(in_hh & inst)} persons in an institution and in a household")
    assert (p.role[prows][~in_hh] == NO_HOUSEHOLD).all(), f"{where}: institution residents with a role"
    hrow = h.row_of[hid[in_hh]]
    assert (hrow >= 0).all(), f"{where}: {_n(hrow < 0)} persons in a household id without a row"
    assert h.alive[hrow].all(), f"{where}: {_n(~h.alive[hrow])} persons in a removed household"
    minors = p.age[prows] < 18
    assert not (minors & ~in_hh).any(), f"{where}: {_n(minors & ~in_hh)} persons aged 0-17 not in a household"

    role = p.role[prows][in_hh]
    size = np.bincount(hrow, minlength=h.n)
    heads = np.bincount(hrow[role == HEAD], minlength=h.n)
    partners = np.bincount(hrow[role == PARTNER], minlength=h.n)
    alive_h = h.alive_rows()
    assert (size[alive_h] >= 1).all(), f"{where}: {_n(size[alive_h] == 0)} households without members"
    assert (heads[alive_h] == 1).all(), (
        f"{where}: {_n(heads[alive_h] != 1)} households without exactly one head "
        f"(counts seen: {sorted(set(heads[alive_h].tolist()))})")
    assert (partners[alive_h] <= 1).all(), f"{where}: households with two partners"
    head_age = p.age[prows][in_hh][role == HEAD]
    assert (head_age >= 18).all(), f"{where}: {_n(head_age < 18)} households headed by a minor"
    # a person's municipality is their household's
    assert (p.municipality[prows][in_hh] == h.municipality[hrow]).all(), (
        f"{where}: persons in a household of another municipality")


def check_state(state: State, where: str = "") -> None:
    check_tables(state)
    check_households_and_dwellings(state, where)
    check_tenure(state, where)
    check_persons(state, where)


def population_by_municipality(state: State, n_mun: int = 6) -> np.ndarray:
    """Unexpanded count of alive persons per municipality index."""
    p = state.persons
    return np.bincount(p.municipality[p.alive_rows()], minlength=n_mun)
