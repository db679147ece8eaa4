"""Finding a dwelling for a household that needs one (new households, in-migrants).

This is the simple allocation the demography runs on until the housing market (issue "Housing market,
energy labels and owner decisions") replaces it: a household takes a vacant dwelling of the regular stock
in its own municipality, drawn at random from the ``allocation`` stream; its tenure follows the dwelling's
owner (an owner-occupied dwelling is bought with a mortgage at the purchase loan-to-value). A household
that finds no vacant dwelling is reported as not housed.
"""

from __future__ import annotations

import numpy as np

from .state import (
    CORPORATION, OCCUPIED, OWNER, OWNER_OCCUPIER, PRIVATE_TENANT, SOCIAL_TENANT, VACANT,
)

_SUB = {"separation": 1, "leave_home": 2, "in_migration": 3}


def allocate_dwellings(model, hh_rows: np.ndarray, process: str) -> np.ndarray:
    """Give each household (row) a vacant dwelling in its municipality; returns a bool mask of who got one."""
    state = model.state
    h, d = state.households, state.dwellings
    housed = np.zeros(hh_rows.size, dtype=bool)
    if hh_rows.size == 0:
        return housed
    rng = model.streams.generator("allocation", model.year, sub=_SUB[process])
    drows = d.alive_rows()
    vacant = drows[(d.status[drows] == VACANT) & d.in_stock[drows]]
    mun_h = h.municipality[hh_rows]
    for m in np.unique(mun_h):
        want = np.flatnonzero(mun_h == m)
        free = vacant[d.municipality[vacant] == m]
        k = min(want.size, free.size)
        if k == 0:
            continue
        take = free[rng.permutation(free.size)[:k]]
        who = want[rng.permutation(want.size)[:k]]
        housed[who] = True
        hr = hh_rows[who]
        d.col("status")[take] = OCCUPIED
        d.col("household_id")[take] = h.id[hr]
        d.col("years_vacant")[take] = 0
        h.col("dwelling_id")[hr] = d.id[take]
        owner = d.owner[take]
        tenure = np.where(owner == OWNER_OCCUPIER, OWNER, np.where(owner == CORPORATION, SOCIAL_TENANT, PRIVATE_TENANT))
        h.col("tenure")[hr] = tenure
        h.col("mortgage_eur")[hr] = np.where(
            tenure == OWNER, model.scenario.stock.mortgage_ltv_at_purchase * d.value_eur[take], 0.0)
    return housed
