"""Compiled loops for the yearly indicators (model/indicators.py), each with a pure-numpy fallback that gives
bit-identical results (see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the fallbacks).

Each table is counted per municipality x *cell*: a small code of flags and classes per agent, so that an
indicator is the sum of the cells whose code matches (integer sums: the same as counting each mask). numpy
builds the code in about a dozen passes over gathered columns and counts it with one bincount; the loops
make one pass over the rows.

- :func:`person_cells`: institution, 65+, 75+; and the persons 75+ in a home that is not lifetime-proof.
- :func:`dwelling_stock`: one pass over the dwelling slots for the stock's cells (status, vacancy, owner and
  fund-status classes, written off, connected), the counts per energy label, the sums of value, condition and
  gas use per municipality and the values of each municipality (for the medians); and what the households'
  counts read of their homes, per dwelling slot: one byte of flags and the value and gas or heat cost.
- :func:`household_cells`: tenure, the income limits, debt above the home's value, home in the stock and its
  label, renovation loan, proeftuin wijk; the energy-poor households; which homes are not lifetime-proof. The
  homes are gathered in a pass of their own, then counted (a small loop keeps many scattered reads in flight).

The loops go over all slots and skip the dead ones (no list of the alive rows to build first), and add up
their codes without branches on the data where they can: at one mispredicted branch per agent, the branches
cost more than the rest of the work.
"""

from __future__ import annotations

import sys

import numpy as np

from .data import MUNICIPALITY_CODES
from .kernels import COMPILED, njit, run_end, use_compiled
from .state import (
    CORPORATION_FUND,
    DEMOLISHED,
    EP2_BOUNDS,
    FUND,
    FUND_FOR_SALE,
    FUND_LET,
    OCCUPIED,
    OWNER,
    OWNER_OCCUPIER,
    VACANT,
)

N_MUN = len(MUNICIPALITY_CODES)
N_LABELS = EP2_BOUNDS.size + 1

# persons' cell code
P_INST, P_65, P_75, P_BITS = 1, 2, 4, 3
# dwellings' cell code: flags, then the owner class (2 bits) and the fund-status class (2 bits)
D_OCC, D_VAC, D_LTV, D_UNS, D_WO, D_CONN = 1, 2, 4, 8, 16, 32
D_OWNER_SHIFT, D_FS_SHIFT, D_BITS = 6, 8, 10
OO, FUND_CLASS, CFUND_CLASS, OTHER_CLASS = 0, 1, 2, 3  # owner classes
FS_NONE, FS_SALE, FS_LET = 0, 1, 2  # fund-status classes: listed for sale, let (>= FUND_LET)
# households' cell code
H_OWN, H_CORE, H_LOW, H_UW, H_STOCK, H_EFG, H_LOAN, H_ACTIVE, H_BITS = 1, 2, 4, 8, 16, 32, 64, 128, 8
EFG = 4  # label index of E
# flags per dwelling slot (dwelling_stock): what the households' count reads of their homes, one byte each
F_STOCK, F_EFG, F_ACTIVE, F_NOT_LP = 1, 2, 4, 8
NO_HOME = 255  # the household loop's mark of a household whose dwelling id has no row (no flags are all set)
# the homes per dwelling slot of dwelling_stock: value and the gas or heat part of the energy cost
HOME_VALUE, HOME_ENERGY = 0, 1
# the sums per municipality of dwelling_stock
S_VALUE, S_CONDITION, S_GAS, S_HEAT, N_SUMS = 0, 1, 2, 3, 4


def _lookup(fn) -> np.ndarray:
    """A table over the 256 values of an int8 column (indexed by its uint8 view): fn(value) for each."""
    return np.array([fn(v) for v in np.arange(256, dtype=np.uint8).view(np.int8).tolist()], dtype=np.int64)


def _owner_class(v: int) -> int:
    return {OWNER_OCCUPIER: OO, FUND: FUND_CLASS, CORPORATION_FUND: CFUND_CLASS}.get(v, OTHER_CLASS)


def _fs_class(v: int) -> int:
    return FS_SALE if v == FUND_FOR_SALE else FS_LET if v >= FUND_LET else FS_NONE


_STATUS_CODE = _lookup(lambda v: D_OCC * (v == OCCUPIED) + D_VAC * (v == VACANT))
_OWNER_CODE = _lookup(lambda v: _owner_class(v) << D_OWNER_SHIFT)
_FS_CODE = _lookup(lambda v: _fs_class(v) << D_FS_SHIFT)
_B0, _B1, _B2, _B3, _B4, _B5 = EP2_BOUNDS.tolist()  # the label bounds as constants of the compiled loops


# -- numpy fallbacks -------------------------------------------------------------------------------------
def _cells(key: np.ndarray, bits: int) -> np.ndarray:
    """Counts per municipality x cell code, shape (N_MUN, 2**bits), of keys municipality << bits | code."""
    return np.bincount(key, minlength=N_MUN << bits).reshape(N_MUN, 1 << bits)


def _key(municipality: np.ndarray, bits: int) -> np.ndarray:
    key = municipality.astype(np.int64)
    key <<= bits
    return key


def _set(key: np.ndarray, bit: int, mask: np.ndarray) -> None:
    """Add ``bit`` to the keys where ``mask`` (bool) is True (a product of small integers: several times faster
    than np.add with where=)."""
    key += np.multiply(np.ascontiguousarray(mask).view(np.uint8), bit, dtype=np.uint16)


def _label(ep2: np.ndarray) -> np.ndarray:
    """model.income.label_index: the number of EP2 bounds at or below each value, NaN after all bounds."""
    from .income import label_index

    return label_index(ep2)


def _person_cells_numpy(prow, mun, age, institution):
    key = _key(mun.take(prow), P_BITS)
    a = age.take(prow)
    _set(key, P_INST, institution.take(prow))
    _set(key, P_65, a >= 65)
    _set(key, P_75, a >= 75)
    return _cells(key, P_BITS)


def _dwelling_cells_numpy(drow, mun, status, years_vacant, owner, fund_status, written_off, connected, ep2,
                          unsellable_years):
    dm = mun.take(drow)
    st = status.take(drow)
    yv = years_vacant.take(drow)
    key = _key(dm, D_BITS)
    key += _STATUS_CODE.take(st.view(np.uint8))
    key += _OWNER_CODE.take(owner.take(drow).view(np.uint8))
    key += _FS_CODE.take(fund_status.take(drow).view(np.uint8))
    vacant = st == VACANT
    _set(key, D_LTV, vacant & (yv >= 2))
    _set(key, D_UNS, vacant & (yv >= unsellable_years))
    _set(key, D_WO, written_off.take(drow))
    _set(key, D_CONN, connected.take(drow))
    key2 = _key(dm, 0)
    key2 *= N_LABELS
    key2 += _label(ep2.take(drow))
    labels = np.bincount(key2, minlength=N_MUN * N_LABELS).reshape(N_MUN, N_LABELS)
    return _cells(key, D_BITS), labels


def _dwelling_flags_numpy(in_stock, ep2, wijk, active, lifetime_proof):
    flags = in_stock.view(np.uint8).copy()
    flags |= (_label(ep2) >= EFG).view(np.uint8) << 1
    flags |= active.take(wijk).view(np.uint8) << 2
    flags |= (~lifetime_proof).view(np.uint8) << 3
    return flags


def _household_cells_numpy(hrow, dwelling_id, row_of, next_id, mun, tenure, mortgage, loan, income, adults, size,
                           homes, flags, core2, daeb2, electricity, share):
    ids = dwelling_id.take(hrow)
    if ids.size and (ids.min() < 0 or ids.max() >= next_id):
        raise KeyError("dwellings: id out of range (-1 means 'none')")
    hd = row_of.take(ids)
    if hd.size and hd.min() < 0:
        raise KeyError("dwellings: id without a row")
    inc = income.take(hrow)
    owners = tenure.take(hrow) == OWNER
    low = inc < np.where(size.take(hrow) <= 1, daeb2[0], daeb2[1])
    home = flags.take(hd)
    stock = (home & F_STOCK) != 0
    lo = loan.take(hrow)
    key = _key(mun.take(hrow), H_BITS)
    _set(key, H_OWN, owners)
    _set(key, H_LOW, low)
    _set(key, H_STOCK, stock)
    _set(key, H_LOAN, lo > 0)
    # the flags counted only together with ownership: for the owners only
    own = np.flatnonzero(owners)
    oh, od, ohome = hrow.take(own), hd.take(own), home.take(own)
    code = np.zeros(own.size, dtype=np.int64)
    _set(code, H_CORE, inc.take(own) <= np.where(adults.take(oh) <= 1, core2[0], core2[1]))
    _set(code, H_UW, mortgage.take(oh) + lo.take(own) > homes[:, HOME_VALUE].take(od))
    _set(code, H_EFG, (ohome & F_EFG) != 0)
    _set(code, H_ACTIVE, (ohome & F_ACTIVE) != 0)
    key[own] += code
    # energy poverty: the energy cost (model.income.energy_cost_eur) of the low-income households in the stock
    cand = np.flatnonzero(low & stock)
    cost = homes[:, HOME_ENERGY].take(hd.take(cand)) + electricity
    poor = cost > share * np.maximum(inc.take(cand), 1.0)
    not_lp = np.zeros(mun.size, dtype=bool)
    not_lp[hrow] = (home & F_NOT_LP) != 0
    return _cells(key, H_BITS), np.bincount(mun.take(hrow.take(cand[poor])), minlength=N_MUN), not_lp


def _dwelling_homes_numpy(connected, ep2, floor_area, value, gas_per_ep2, gas_price, tariff):
    homes = np.empty((value.size, 2))
    homes[:, HOME_VALUE] = value
    homes[:, HOME_ENERGY] = gas_per_ep2 * ep2.astype(float) * floor_area * gas_price * np.where(connected, tariff, 1.0)
    return homes


def _dwelling_sums_numpy(drow, mun, status, connected, ep2, floor_area, value, condition, gas_per_ep2):
    dm = mun.take(drow)
    v = value.take(drow)
    sums = np.zeros((N_MUN, N_SUMS))
    sums[:, S_VALUE] = np.bincount(dm, weights=v, minlength=N_MUN)
    sums[:, S_CONDITION] = np.bincount(dm, weights=condition.take(drow), minlength=N_MUN)
    occ = np.compress(status.take(drow) == OCCUPIED, drow)
    conn = connected.take(occ)
    gas = gas_per_ep2 * ep2.take(occ).astype(float) * floor_area.take(occ)
    om = mun.take(occ)
    sums[:, S_GAS] = np.bincount(om[~conn], weights=gas[~conn], minlength=N_MUN)
    sums[:, S_HEAT] = np.bincount(om[conn], weights=gas[conn], minlength=N_MUN)
    grouped = v[np.argsort(dm, kind="stable")]
    return sums, tuple(np.split(grouped, np.cumsum(np.bincount(dm, minlength=N_MUN))[:-1]))


# -- compiled loops ----------------------------------------------------------------------------------------
if COMPILED:
    @njit
    def _label_of(e):  # pragma: no cover - compiled
        """model.kernels.label_of with the bounds as constants: six comparisons added without a branch (the
        loop over a bounds array, with its branches, took a third of the dwellings' pass)."""
        return (np.int64(e >= _B0) + np.int64(e >= _B1) + np.int64(e >= _B2) + np.int64(e >= _B3)
                + np.int64(e >= _B4) + np.int64(e >= _B5) + np.int64(e != e) * (N_LABELS - 1))

    @njit
    def _person_run(alive, age, institution, hrow_of, not_lp, res):  # pragma: no cover - compiled
        """The counts of person_cells for one run of persons (of one municipality), into ``res``: the persons
        counted (alive or members), the alive ones per cell code (res[1 + code]) and the members 75+ in a home
        that is not lifetime-proof (res[9]). Added up in registers, without a branch: the alive, those in an
        institution, 65+ and 75+ and their overlaps, from which the cells follow (75+ are also 65+); the
        members' not_lp (read at row 0 for a non-member) in a loop of its own, so that the first one vectorises."""
        counted = 0
        live = 0
        inst = 0
        o65 = 0
        o75 = 0
        inst65 = 0
        inst75 = 0
        for k in range(alive.size):
            a = age[k]
            lv = alive[k]
            ins = institution[k]
            a65 = a >= 65
            a75 = a >= 75
            counted += np.int64(lv | (hrow_of[k] >= 0))
            live += np.int64(lv)
            inst += np.int64(lv & ins)
            o65 += np.int64(lv & a65)
            o75 += np.int64(lv & a75)
            inst65 += np.int64(lv & ins & a65)
            inst75 += np.int64(lv & ins & a75)
        old = 0
        for k in range(alive.size):
            h = hrow_of[k]
            old += np.int64((age[k] >= 75) & (h >= 0) & not_lp[max(h, 0)])
        res[:] = 0
        res[0] = counted
        res[1] = live - inst - (o65 - inst65)
        res[1 + P_INST] = inst - inst65
        res[1 + P_65] = (o65 - inst65) - (o75 - inst75)
        res[1 + P_INST + P_65] = inst65 - inst75
        res[1 + P_65 + P_75] = o75 - inst75
        res[1 + P_INST + P_65 + P_75] = inst75
        res[9] = old

    @njit
    def _person_loop(alive, mun, age, institution, hrow_of, not_lp, n_mun, out, old_not_lp):  # pragma: no cover
        """The members (``hrow_of`` not -1: alive in a valid state) are counted whether alive or not, as the
        numpy code does; the slots of neither (the dead) are not counted. Run by run of persons of one
        municipality (run_end: they sit together), each counted in registers (_person_run) and added to its
        municipality once: counting at the cells slot by slot waited at each slot for the count the slot before
        had stored, 1.3 -> 0.56 ms on the full region's persons."""
        res = np.zeros(10, dtype=np.int64)
        i = 0
        while i < alive.size:
            m = mun[i]
            j = run_end(mun, i)
            _person_run(alive[i:j], age[i:j], institution[i:j], hrow_of[i:j], not_lp, res)
            i = j
            if res[0] == 0:
                continue
            if m < 0 or m >= n_mun:
                raise ValueError("municipality index out of range")
            for code in range(1 << P_BITS):
                out[m, code] += res[1 + code]
            old_not_lp[m] += res[9]

    @njit
    def _household_loop(alive, dwelling_id, row_of, next_id, mun, tenure, mortgage, loan, income, adults, size,
                        homes, flags, core2, daeb2, electricity, share, n_mun, out, energy_poor, not_lp,
                        gathered, home_flags):  # pragma: no cover - compiled
        """Fills out, energy_poor and not_lp; False for a dwelling id without a row (the caller then runs the
        numpy code, which raises).

        Two passes: the first only gathers each household's home (its row through ``row_of``, then its value
        and energy cost from ``homes`` and its ``flags``) into ``gathered`` and ``home_flags`` (NO_HOME where
        the id has no row), in household order; the second counts from these and the households' own columns,
        all read in sequence. The homes are scattered over the dwelling slots: a loop of a few instructions
        keeps many of these reads in flight at once, where the counting loop around them held few (one pass
        took 7-8 ms on the full region with cold caches, the two 4). The code is added up without branches on
        the data (the flags counted only with ownership times 0 or 1, the energy cost for every household): a
        mispredicted branch at every other household cost more than the reads for the households that need
        none."""
        for r in range(alive.size):
            dw = dwelling_id[r]
            ok = dw >= 0 and dw < next_id
            dr = np.int64(row_of[dw if ok else 0])  # (widened: an int32 row here made the loop 25 % slower)
            ok = ok and dr >= 0
            dr = dr if ok else 0
            gathered[r, 0] = homes[dr, 0]
            gathered[r, 1] = homes[dr, 1]
            home_flags[r] = flags[dr] if ok else NO_HOME
        daeb_single, daeb_multi, core_single, core_multi = daeb2[0], daeb2[1], core2[0], core2[1]
        for r in range(alive.size):
            if not alive[r]:
                continue
            m = mun[r]
            if m < 0 or m >= n_mun:
                raise ValueError("municipality index out of range")
            home = np.int64(home_flags[r])
            if home == NO_HOME:
                return False
            inc = income[r]
            lo = loan[r]
            stock = home & F_STOCK
            low = np.int64(inc < (daeb_single if size[r] <= 1 else daeb_multi))
            owned = (H_OWN + np.int64(inc <= (core_single if adults[r] <= 1 else core_multi)) * H_CORE
                     + np.int64(mortgage[r] + lo > gathered[r, 0]) * H_UW + np.int64((home & F_EFG) != 0) * H_EFG
                     + np.int64((home & F_ACTIVE) != 0) * H_ACTIVE)
            out[m, low * H_LOW + stock * H_STOCK + np.int64(lo > 0) * H_LOAN
                + np.int64(tenure[r] == OWNER) * owned] += 1
            # energy poverty: as model.income.energy_cost_eur (its gas or heat part from dwelling_stock); counted
            # where low and in the stock, but worked out for all (no branch)
            cost = gathered[r, 1] + electricity
            energy_poor[m] += low & stock & np.int64(cost > share * (1.0 if inc <= 1.0 else inc))  # np.maximum(inc, 1)
            not_lp[r] = (home & F_NOT_LP) != 0
        return True

    @njit
    def _dwelling_stock_loop(alive, in_stock, mun, status, years_vacant, owner, fund_status, written_off, connected,
                             ep2, floor_area, value, condition, wijk, active, lifetime_proof, unsellable_years,
                             gas_per_ep2, gas_price, tariff, efg_bound, status_code, owner_code, fs_code, n_mun, out,
                             labels, flags, homes, sums, by_mun, stride, count):  # pragma: no cover - compiled
        """One pass over the slots: the flags and homes of every slot, and for the stock rows (alive, in the stock, not
        demolished) the cell code, the label, the sums, their number per municipality (``count``, zeros on entry)
        and their values, each appended to its municipality's region of ``by_mun`` (municipality m's values from
        m x ``stride`` on, in row order). The classes of status, owner and fund status come from the
        lookup tables (indexed by the uint8 view of the int8 value) rather than from branches on the data.
        (The values were grouped by a stable counting sort over a list of the stock rows after the pass, which
        wrote and read the list and read the rows' municipality and value again: a third of the loop's bytes.)"""
        n_w = active.size
        for r in range(flags.size):
            w = wijk[r]
            if w < 0:  # numpy's indexing from the end
                w += n_w
            if w < 0 or w >= n_w:
                raise IndexError("wijk index out of range")
            e = np.float64(ep2[r])
            flags[r] = (np.uint8(in_stock[r]) * F_STOCK | np.uint8(not (e < efg_bound)) * F_EFG
                        | np.uint8(active[w]) * F_ACTIVE | np.uint8(not lifetime_proof[r]) * F_NOT_LP)
            gas = gas_per_ep2 * e * np.float64(floor_area[r])
            homes[r, 0] = value[r]
            homes[r, 1] = gas * gas_price * (tariff if connected[r] else 1.0)
            st = status[r]
            if not alive[r] or not in_stock[r] or st == DEMOLISHED:
                continue
            m = mun[r]
            if m < 0 or m >= n_mun:
                raise ValueError("municipality index out of range")
            by_mun[m * stride + count[m]] = value[r]
            count[m] += 1
            yv = years_vacant[r]
            vacant = st == VACANT
            code = (status_code[np.int64(st) & 255] + owner_code[np.int64(owner[r]) & 255]
                    + fs_code[np.int64(fund_status[r]) & 255] + np.int64(vacant & (yv >= 2)) * D_LTV
                    + np.int64(vacant & (yv >= unsellable_years)) * D_UNS + np.int64(written_off[r]) * D_WO
                    + np.int64(connected[r]) * D_CONN)
            out[m, code] += 1
            labels[m, _label_of(e)] += 1
            sums[m, S_VALUE] += value[r]
            sums[m, S_CONDITION] += np.float64(condition[r])
            if st == OCCUPIED:
                if connected[r]:
                    sums[m, S_HEAT] += gas
                else:
                    sums[m, S_GAS] += gas

# -- entry points ----------------------------------------------------------------------------------------
_NO_HOUSEHOLD = np.zeros(1, dtype=bool)  # the person loop's not_lp without households (it reads row 0 for non-members)


def person_cells(alive: np.ndarray, mun: np.ndarray, age: np.ndarray, institution: np.ndarray, hrow_of: np.ndarray,
                 not_lp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The alive persons (``alive``: per person slot) per municipality x code (P_INST, P_65, P_75), shape
    (N_MUN, 8); and per municipality those 75+ who belong to a household (``hrow_of``: each person's household
    row, -1 for none) whose home is not lifetime-proof (``not_lp``: per household slot)."""
    if not use_compiled(alive.size):
        cells = _person_cells_numpy(np.flatnonzero(alive), mun, age, institution)
        members = np.flatnonzero(hrow_of >= 0)
        old = np.compress(age.take(members) >= 75, members)
        return cells, np.bincount(mun.take(np.compress(not_lp.take(hrow_of.take(old)), old)), minlength=N_MUN)
    out = np.zeros((N_MUN, 1 << P_BITS), dtype=np.int64)
    old_not_lp = np.zeros(N_MUN, dtype=np.int64)
    _person_loop(alive, mun, age, institution, hrow_of, not_lp if not_lp.size else _NO_HOUSEHOLD, N_MUN, out,
                 old_not_lp)
    return out, old_not_lp


def household_cells(alive, dwelling_id, row_of, next_id, mun, tenure, mortgage, loan, income, adults, size, homes,
                    flags, core2, daeb2, electricity, share) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The alive households (``alive``: per household slot; living in the dwellings of ids ``dwelling_id``, rows
    through ``row_of`` for ids below ``next_id``, as EntityTable.rows checks them) per municipality x code
    (H_OWN, H_LOW: income below the DAEB limit, H_STOCK, H_LOAN; for owners only: H_CORE: income at or below the
    core limit, H_UW: mortgage and renovation loan above the home's value, H_EFG: home labelled E-G, H_ACTIVE:
    home in an active wijk), shape (N_MUN, 256); the energy-poor households per municipality (low income, in
    the stock, energy cost above ``share`` of their income); and per household slot whether its home is not
    lifetime-proof (False where not alive). ``income``, ``adults``, ``size``: per household slot; ``homes`` and
    ``flags`` (dwelling_stock): per dwelling slot; ``core2``/``daeb2``: the limits for one adult (person) and
    for more; the energy cost is the home's HOME_ENERGY + ``electricity``."""
    core2, daeb2 = np.asarray(core2, dtype=np.float64), np.asarray(daeb2, dtype=np.float64)
    if use_compiled(alive.size):
        out = np.zeros((N_MUN, 1 << H_BITS), dtype=np.int64)
        energy_poor = np.zeros(N_MUN, dtype=np.int64)
        not_lp = np.zeros(mun.size, dtype=bool)
        gathered, home_flags = _kept("gathered", alive.size, np.float64, 2), _kept("home_flags", alive.size, np.uint8)
        if _household_loop(alive, dwelling_id, row_of, next_id, mun, tenure, mortgage, loan, income, adults, size,
                           homes, flags, core2, daeb2, float(electricity), float(share), N_MUN, out, energy_poor,
                           not_lp, gathered, home_flags):
            return out, energy_poor, not_lp
    return _household_cells_numpy(np.flatnonzero(alive), dwelling_id, row_of, next_id, mun, tenure, mortgage, loan,
                                  income, adults, size, homes, flags, core2, daeb2, electricity, share)


#: Memory the indicator loops write into again at their next call (about a year later) instead of fresh arrays:
#: the page faults of fresh multi-MB arrays cost more than the loops' writes (265 a year in dwelling_stock alone).
_KEPT: dict[str, np.ndarray] = {}


def _holders(name: str) -> int:
    """The reference count of the kept buffer ``name``, seen from here."""
    buf = _KEPT.get(name)
    return sys.getrefcount(buf)


_KEPT["probe"] = np.empty(0)
_ALONE = _holders("probe")  # the count of a buffer only _KEPT holds (measured, as it depends on the interpreter)
del _KEPT["probe"]


def _kept(name: str, n: int, dtype, width: int = 0) -> np.ndarray:
    """The first ``n`` rows (of ``width`` columns where given) of the kept buffer ``name``: the memory of its last
    use where nothing else holds it any more (no caller keeps an array or a view of it), else new memory with room
    to grow."""
    buf = _KEPT.get(name)
    if buf is None or buf.shape[0] < n or buf.dtype != dtype or _holders(name) != _ALONE + 1:
        cap = n + n // 4
        buf = _KEPT[name] = np.empty((cap, width) if width else cap, dtype=dtype)
    return buf[:n]


def dwelling_stock(alive, in_stock, mun, status, years_vacant, owner, fund_status, written_off, connected, ep2,
                   floor_area, value, condition, wijk, active, lifetime_proof, unsellable_years, gas_per_ep2,
                   gas_price, tariff):
    """The dwellings' counts and sums in one pass over the slots (the full columns): (cells, labels, flags, homes,
    sums, by_mun).

    For the stock rows (alive, in the stock, not demolished: model.state.stock_rows): ``cells`` per
    municipality x code (D_OCC, D_VAC, D_LTV: vacant 2 years or more, D_UNS: vacant ``unsellable_years`` or more,
    D_WO, D_CONN, the owner class at D_OWNER_SHIFT and the fund-status class at D_FS_SHIFT), shape (N_MUN, 1024);
    ``labels`` per municipality x energy label, (N_MUN, 7); ``sums`` per municipality (N_MUN, N_SUMS) of their
    value (S_VALUE) and condition (S_CONDITION), and of the gas use (``gas_per_ep2`` x EP2 x floor area) of the
    occupied ones, heated by gas (S_GAS) or connected to a collective supply (S_HEAT), each added in row order as
    np.bincount does; and ``by_mun``, their values per municipality (a tuple of N_MUN arrays, each in row order,
    as a stable sort by municipality groups them; the compiled loop's are views of memory it writes again at its
    next call, which the caller may reorder).
    For every slot, what household_cells reads of the households' homes (scattered over the slots), in two
    arrays instead of seven columns: ``flags``, one byte: F_STOCK, F_EFG (label E-G), F_ACTIVE (in a wijk where
    ``active``), F_NOT_LP (not lifetime-proof); and ``homes`` (slots x 2): the value (HOME_VALUE) and the gas or
    heat part of the energy cost (HOME_ENERGY: the gas use x ``gas_price`` x ``tariff`` where connected, else x
    1; model.income.energy_cost_eur adds the electricity to it)."""
    if not use_compiled(alive.size):
        drow = np.flatnonzero(alive & in_stock & (status != DEMOLISHED))
        cells, labels = _dwelling_cells_numpy(drow, mun, status, years_vacant, owner, fund_status, written_off,
                                              connected, ep2, unsellable_years)
        flags = _dwelling_flags_numpy(in_stock, ep2, wijk, active, lifetime_proof)
        homes = _dwelling_homes_numpy(connected, ep2, floor_area, value, gas_per_ep2, gas_price, tariff)
        sums, by_mun = _dwelling_sums_numpy(drow, mun, status, connected, ep2, floor_area, value, condition,
                                            gas_per_ep2)
        return cells, labels, flags, homes, sums, by_mun
    cells = np.zeros((N_MUN, 1 << D_BITS), dtype=np.int64)
    labels = np.zeros((N_MUN, N_LABELS), dtype=np.int64)
    flags = _kept("flags", alive.size, np.uint8)
    homes = _kept("homes", alive.size, np.float64, 2)
    sums = np.zeros((N_MUN, N_SUMS))
    # the values per municipality: a region of the kept buffer each, at offsets that stay the same from year to year
    # while the buffer does (the pages written last year, not fresh ones as the number of slots changes)
    _kept("by_mun", N_MUN * alive.size, value.dtype)
    by_mun = _KEPT["by_mun"]
    stride = by_mun.size // N_MUN
    count = np.zeros(N_MUN, dtype=np.int64)
    _dwelling_stock_loop(alive, in_stock, mun, status, years_vacant, owner, fund_status, written_off, connected, ep2,
                         floor_area, value, condition, wijk, active, lifetime_proof, unsellable_years,
                         float(gas_per_ep2), float(gas_price), float(tariff), EP2_BOUNDS[EFG - 1], _STATUS_CODE,
                         _OWNER_CODE, _FS_CODE, N_MUN, cells, labels, flags, homes, sums, by_mun, stride, count)
    return cells, labels, flags, homes, sums, tuple(by_mun[m * stride:m * stride + c]
                                                    for m, c in enumerate(count.tolist()))

# -- matching buyers to homes (model/allocation.py) --------------------------------------------------------
if COMPILED:
    @njit
    def _less(a, b):  # pragma: no cover - compiled
        """numpy's sort order of floats: NaN after everything."""
        return a < b or (b != b and a == a)

    @njit
    def match_affordable(avail_value, n_avail, todo, todo_budget, n_todo, k):  # pragma: no cover - compiled
        """Per buyer (the first n_todo of todo/todo_budget) the number of available homes at or below its budget
        (np.searchsorted(avail_value[:n_avail], budget, side="right")); keeps, in order, the buyers with at least
        one (todo, todo_budget and k compacted in place) and returns how many."""
        kept = 0
        for i in range(n_todo):
            key = todo_budget[i]
            lo, hi = 0, n_avail
            while lo < hi:
                mid = (lo + hi) >> 1
                if _less(key, avail_value[mid]):
                    hi = mid
                else:
                    lo = mid + 1
            if lo > 0:
                todo[kept] = todo[i]
                todo_budget[kept] = key
                k[kept] = lo
                kept += 1
        return kept

    @njit
    def match_bids(draws, perm, k, todo, todo_budget, n_todo, avail_idx, avail_value, avail_score, n_avail,
                   by_score, got):  # pragma: no cover - compiled
        """One round: each buyer bids on the home with the highest score among its draws (the first home at
        the highest, the first NaN if any, as np.argmax), the first bidder in perm order on each home wins it;
        winners and their homes leave todo and the available homes (compacted in place, order kept). Returns
        (homes left, buyers left)."""
        width = draws.shape[1]
        pick = np.empty(n_todo, dtype=np.int64)
        for i in range(n_todo):
            kf = np.float64(k[i])
            best = np.int64(draws[i, 0] * kf)
            if by_score:
                bv = avail_score[best]
                for j in range(1, width):
                    if bv != bv:
                        break
                    c = np.int64(draws[i, j] * kf)
                    s = avail_score[c]
                    if s > bv or s != s:
                        best, bv = c, s
            pick[i] = best
        taken = np.zeros(n_avail, dtype=np.bool_)
        won = np.zeros(n_todo, dtype=np.bool_)
        for j in range(n_todo):
            b = perm[j]
            home = pick[b]
            if not taken[home]:
                taken[home] = True
                won[b] = True
                got[todo[b]] = avail_idx[home]
        left = 0
        for a in range(n_avail):
            if not taken[a]:
                avail_idx[left] = avail_idx[a]
                avail_value[left] = avail_value[a]
                if by_score:
                    avail_score[left] = avail_score[a]
                left += 1
        still = 0
        for i in range(n_todo):
            if not won[i]:
                todo[still] = todo[i]
                todo_budget[still] = todo_budget[i]
                still += 1
        return left, still
