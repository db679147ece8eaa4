"""The model's entities and their columns, with the codes used in them.

Persons, households and dwellings are :class:`~model.entities.EntityTable` s. A person belongs to a
household (``household_id``) or lives in an institution (``household_id == -1``, ``institution``); a
household lives in exactly one dwelling (``dwelling_id``) and a dwelling holds at most one household
(``household_id``, -1 when vacant). Households that the regular stock cannot hold live in units of type
OTHER (recreation homes, non-self-contained units) which are not part of the dwelling stock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .entities import ID, EntityTable
from .kernels import njit, use_compiled

# Person roles in their household
HEAD, PARTNER, CHILD, NO_HOUSEHOLD = 0, 1, 2, -1
# Household tenure
OWNER, SOCIAL_TENANT, PRIVATE_TENANT, OTHER_TENURE = 0, 1, 2, 3
TENURE_NAMES = ("owner", "social_tenant", "private_tenant", "other")
# Dwelling types
TERRACED, SEMI_DETACHED, DETACHED, APARTMENT, OTHER_UNIT = 0, 1, 2, 3, 4
TYPE_NAMES = ("terraced", "semi_detached", "detached", "apartment", "other")
# Dwelling owners
OWNER_OCCUPIER, CORPORATION, PRIVATE_LANDLORD, FUND, OTHER_OWNER, CORPORATION_FUND = 0, 1, 2, 3, 4, 5
OWNER_NAMES = ("owner_occupier", "corporation", "private_landlord", "transformatiefonds", "other",
               "corporation_fund")
#: Owners that buy and dispose of homes as a policy (model/policies.py): the Transformatiefonds, and the
#: corporations' purchases under the experimenteerruimte (model/corporation_levers.py)
POLICY_OWNERS = (FUND, CORPORATION_FUND)
# Dwelling status
OCCUPIED, VACANT, DEMOLISHED = 0, 1, 2
# What the Transformatiefonds does with a home it owns (column fund_status; model/policies.py)
FUND_HELD, FUND_FOR_SALE, FUND_LET, FUND_LET_TEMP = 0, 1, 2, 3
#: A corporation home kept vacant for elderly owners (fund_status of a corporation home; model/corporation_levers.py)
RESERVED = 4
# Energy labels from EP2 (NTA 8800, kWh/m2.yr): A < 160 <= B < 190 <= C < 250 <= D < 290 <= E < 335 <= F < 380 <= G
LABELS = ("A", "B", "C", "D", "E", "F", "G")
EP2_BOUNDS = np.array([160.0, 190.0, 250.0, 290.0, 335.0, 380.0])
# Construction periods (first year of each)
PERIOD_STARTS = (1900, 1945, 1965, 1975, 1992, 2006)


def stock_rows(d: EntityTable) -> np.ndarray:
    """Rows of the dwellings of the regular stock that stand (in the stock, not demolished)."""
    # one mask over the slots instead of gathering the columns at the alive rows: the same rows, ascending
    return np.flatnonzero(d.peek("alive") & d.peek("in_stock") & (d.peek("status") != DEMOLISHED))


def median(x: np.ndarray) -> float:
    """np.median of a non-empty array that the caller lets reorder (it is partitioned in place), with one
    selection instead of numpy's two or three: the element below the middle one is the largest before it.
    The same value: the mean of the same one or two middle elements, or np.median itself where there is a NaN."""
    if np.isnan(x).any():
        return np.median(x)
    k = x.size // 2
    x.partition(k)
    return np.mean(x[k:k + 1] if x.size % 2 else np.array([x[:k].max(), x[k]]))


def label_of(ep2: np.ndarray) -> np.ndarray:
    """Energy label index 0 (A) .. 6 (G) from EP2."""
    return np.searchsorted(EP2_BOUNDS, ep2, side="right").astype(np.int8)


def new_persons() -> EntityTable:
    return EntityTable("persons", dict(
        age=np.int16, female=bool, household_id=ID, role=np.int8, municipality=np.int8,
        institution=bool, income_eur=np.float64, origin=np.int8))


def new_households() -> EntityTable:
    return EntityTable("households", dict(
        municipality=np.int8, dwelling_id=ID, tenure=np.int8, savings_eur=np.float64,
        mortgage_eur=np.float64, moved_in_year=np.int16,
        renovation_loan_eur=np.float64, renovation_loan_year=np.int16))


def new_dwellings() -> EntityTable:
    return EntityTable("dwellings", dict(
        municipality=np.int8, wijk=np.int16, type=np.int8, built_year=np.int16, floor_area_m2=np.float32,
        ep2_kwh_m2=np.float32, condition=np.float32, lifetime_proof=bool, owner=np.int8, status=np.int8,
        value_eur=np.float64, years_vacant=np.int16, household_id=ID, in_stock=bool,
        last_sale_year=np.int16, written_off=bool, priced_condition=np.float32, fund_status=np.int8,
        fund_until=np.int16, energy_connected=bool))


def for_sale_mask(d: EntityTable, rows: np.ndarray) -> np.ndarray:
    """Homes that are bought rather than rented when vacant: owner-occupied homes and homes the
    Transformatiefonds has listed for sale."""
    compiled = _by_row(_FOR_SALE, d, rows)
    if compiled is not None:
        return compiled
    return for_sale(d.owner[rows], d.fund_status[rows])


def for_rent_mask(d: EntityTable, rows: np.ndarray) -> np.ndarray:
    """Homes that are rented when vacant: corporation and private-landlord homes and homes the fund lets."""
    compiled = _by_row(_FOR_RENT, d, rows)
    if compiled is not None:
        return compiled
    owner = d.owner[rows]
    status = d.fund_status[rows]
    policy = (owner == FUND) | (owner == CORPORATION_FUND)
    return (((owner == CORPORATION) & (status != RESERVED)) | (owner == PRIVATE_LANDLORD)
            | (policy & (status >= FUND_LET)))


def tenure_in(d: EntityTable, rows: np.ndarray) -> np.ndarray:
    """The tenure of a household moving into the dwellings (rows): owner where the home is for sale,
    social tenant in corporation and fund homes, private tenant otherwise."""
    compiled = _by_row(_TENURE, d, rows)
    if compiled is not None:
        return compiled
    return tenure_of(d.owner[rows], d.fund_status[rows])


def for_sale(owner: np.ndarray, fund_status: np.ndarray) -> np.ndarray:
    """for_sale_mask from the homes' owner and fund status (arrays of the same shape)."""
    policy = (owner == FUND) | (owner == CORPORATION_FUND)
    return (owner == OWNER_OCCUPIER) | (policy & (fund_status == FUND_FOR_SALE))


def tenure_of(owner: np.ndarray, fund_status: np.ndarray) -> np.ndarray:
    """tenure_in from the homes' owner and fund status (arrays of the same shape); tenure_code is the same rule
    for one home in compiled loops."""
    return np.where(for_sale(owner, fund_status), OWNER,
                    np.where((owner == CORPORATION) | (owner == FUND) | (owner == CORPORATION_FUND), SOCIAL_TENANT,
                             PRIVATE_TENANT)).astype(np.int8)


@njit
def for_sale_code(o, s):  # pragma: no cover - compiled
    """for_sale for one home (owner o, fund status s), in compiled loops."""
    return o == OWNER_OCCUPIER or ((o == FUND or o == CORPORATION_FUND) and s == FUND_FOR_SALE)


@njit
def tenure_code(o, s):  # pragma: no cover - compiled
    """tenure_of for one home (owner o, fund status s), in compiled loops."""
    if for_sale_code(o, s):
        return OWNER
    if o == CORPORATION or o == FUND or o == CORPORATION_FUND:
        return SOCIAL_TENANT
    return PRIVATE_TENANT


_FOR_SALE, _FOR_RENT, _TENURE = 0, 1, 2  # what _by_row works out


def _by_row(what: int, d: EntityTable, rows) -> np.ndarray | None:
    """for_sale_mask (``what`` _FOR_SALE), for_rent_mask (_FOR_RENT) or tenure_in (_TENURE) of the dwellings
    ``rows`` in one compiled pass (_by_row_loop) over their owner and fund status: the markets call them some 80
    times a year, mostly on a few hundred rows, where numpy's gathers and masks (10-20 calls of microseconds
    each) cost 20-140 us a call. One loop for the three, writing int8 (the masks are its bool view), so that a
    run loads one compiled function rather than three (loading one from numba's cache takes some 10-30 ms).
    None (the numpy code) for anything but a 1-D array of rows in range (a mask, rows from the end, a scalar)
    and for small runs."""
    if not (isinstance(rows, np.ndarray) and rows.ndim == 1 and rows.dtype.kind in "iu" and use_compiled(rows.size)):
        return None
    out = np.empty(rows.size, dtype=np.int8)
    if not _by_row_loop(rows, d.peek("owner"), d.peek("fund_status"), what, out):
        return None
    return out if what == _TENURE else out.view(bool)


@njit
def _by_row_loop(rows, owner, fund_status, what, out):  # pragma: no cover - compiled
    """False (out partly written) for a row out of range."""
    for i in range(rows.size):
        r = rows[i]
        if r < 0 or r >= owner.size:
            return False
        o, s = owner[r], fund_status[r]
        if what == _FOR_SALE:
            out[i] = for_sale_code(o, s)
        elif what == _FOR_RENT:
            out[i] = ((o == CORPORATION and s != RESERVED) or o == PRIVATE_LANDLORD
                      or ((o == FUND or o == CORPORATION_FUND) and s >= FUND_LET))
        else:
            out[i] = tenure_code(o, s)
    return True


@dataclass
class State:
    persons: EntityTable
    households: EntityTable
    dwellings: EntityTable
    wijk_codes: tuple[str, ...]
    year: int
    notes: list | None = None
    median_income_eur: np.ndarray | None = None  # per municipality: median personal income, working age
