"""Compiled loops for the maintenance and renovation processes (model/renovation.py), each with the numpy code
it replaces as the fallback, giving bit-identical results (see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the
fallbacks; tests/test_kernels_renovation.py compares both on random inputs).

- :func:`maintain`: the yearly decay and maintenance of the stock (model.renovation.maintenance). In numpy it
  takes some thirty passes over the stock's rows (gathers of six columns, masks, ``np.where`` s, three
  bincounts); the loop makes one, and looks at an owner household only where its draw can make it maintain.
- :func:`may_renovate`: the owner households that the label decision (model.renovation._energy_decide) needs
  to look at, those whose draw is below the upper bound of their probability: the loop gathers the inputs of
  the bound and adds its terms in one pass; numpy's logarithm and exponential (vectorised) do the rest.
- :func:`rental_candidates`: the homes corporations and private landlords may renovate
  (model.renovation.corporation_renovation), in one pass over the slots instead of masks and a sort.
"""

from __future__ import annotations

import numpy as np

from .data import MUNICIPALITY_CODES
from .income import label_index
from .kernels import label_of, njit, use_compiled
from .kernels_stock import group_loop
from .state import CORPORATION, DEMOLISHED, EP2_BOUNDS, OCCUPIED, OWNER_OCCUPIER, PRIVATE_LANDLORD, VACANT

#: Label index of E: corporations renovate all E-G homes before a deadline
EFG = 4

N_MUN = len(MUNICIPALITY_CODES)


def _maintain_numpy(rows, u, year, built_year, status, condition, floor_area, owner, written_off, household_id,
                    municipality, row_of, savings, income, adults, size, core2, daeb2, mp):
    """Fallback of maintain: the numpy code."""
    age = np.maximum(year - built_year.take(rows).astype(np.int64), 0)
    status = status.take(rows)
    vacant = status == VACANT
    decay = (mp.condition_decay_base + mp.condition_decay_per_year_of_age * age) * np.where(
        vacant, mp.vacant_decay_multiplier, 1.0)
    cond = np.clip(condition.take(rows).astype(float) - decay, 0.0, 1.0)
    gain = mp.maintenance_restore_share * (1.0 - cond)
    own_class = owner.take(rows)
    prob = np.where(own_class == CORPORATION, mp.maintenance_prob_corporation,
                    np.where(own_class == PRIVATE_LANDLORD, mp.maintenance_prob_private_landlord, 0.0))
    own = np.flatnonzero((own_class == OWNER_OCCUPIER) & (status == OCCUPIED))
    highest = _highest_owner_probability(mp)
    if highest is not None:
        own = np.compress(u.take(own) < highest, own)
    hh = row_of.take(household_id.take(rows.take(own)))
    cost_own = mp.restoration_cost_eur_m2 * floor_area.take(rows.take(own)) * gain.take(own)
    inc = income.take(hh)
    core = inc <= np.where(adults.take(hh) <= 1, core2[0], core2[1])
    low = inc < np.where(size.take(hh) <= 1, daeb2[0], daeb2[1])
    factor = np.where(core, mp.maintenance_core_income_factor, np.where(low, mp.maintenance_low_income_factor, 1.0))
    means = savings.take(hh) - mp.maintenance_savings_reserve_eur >= cost_own
    prob[own] = np.where(means, mp.maintenance_prob_owner * factor, 0.0)
    written = written_off.take(rows)
    done = (u < prob) & ~written  # written-off homes are not maintained
    cond = np.where(done, np.minimum(cond + gain, 1.0), cond)
    paid = done.take(own)
    cost_paid = np.compress(paid, cost_own)
    savings[np.compress(paid, hh)] -= cost_paid
    stored = cond.astype(condition.dtype)  # what the column holds
    condition[rows] = stored
    newly = ~written & (stored < mp.write_off_condition)  # on the stored (float32) condition
    written_off[np.compress(newly, rows)] = True
    mun = municipality.take(rows)
    return (np.bincount(np.compress(done, mun), minlength=N_MUN),
            np.bincount(np.compress(paid, mun.take(own)), weights=cost_paid, minlength=N_MUN),
            np.bincount(np.compress(newly, mun), minlength=N_MUN))


def _highest_owner_probability(mp):
    """The highest maintenance probability of an owner (maintenance_prob_owner x its highest income factor): an
    owner whose draw is not below it does not maintain, whatever its means; None when it does not bound them
    (a negative probability or factor)."""
    highest = mp.maintenance_prob_owner * max(mp.maintenance_core_income_factor, mp.maintenance_low_income_factor,
                                              1.0)
    return highest if mp.maintenance_prob_owner >= 0 and highest >= 0 else None


@njit
def _maintain_loop(rows, u, year, built_year, status, condition, floor_area, owner, written_off, household_id,
                   municipality, row_of, savings, income, adults, size, core2, daeb2, prm, restoration32, bounded,
                   highest, write_off32, n_mun, maintained, owner_eur, newly):  # pragma: no cover - compiled
    """One pass over the stock rows (see _maintain_numpy for the same arithmetic, operation by operation).
    prm: decay base, decay per year of age, vacant multiplier, restore share, probability of corporations, of
    private landlords, of owners, core and low-income factors, savings reserve."""
    base, per_year, vacant_mult, restore, p_corp, p_pl, p_owner, f_core, f_low, reserve = (
        prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6], prm[7], prm[8], prm[9])
    # each household's income class first (a sequential pass; 0: other, 1: core target group, 2: low income),
    # so that the loop over the stock reads one small array per owner instead of three large ones
    klass = np.empty(income.size, dtype=np.int8)
    for hh in range(income.size):
        inc = income[hh]
        if inc <= (core2[0] if adults[hh] <= 1 else core2[1]):
            klass[hh] = 1
        elif inc < (daeb2[0] if size[hh] <= 1 else daeb2[1]):
            klass[hh] = 2
        else:
            klass[hh] = 0
    for i in range(rows.size):
        r = rows[i]
        m = municipality[r]
        if m < 0 or m >= n_mun:
            raise ValueError("municipality index out of range")
        age = np.int64(year) - np.int64(built_year[r])
        if age < 0:
            age = 0
        st = status[r]
        decay = (base + per_year * np.float64(age)) * (vacant_mult if st == VACANT else 1.0)
        c = np.float64(condition[r]) - decay
        if c < 0.0:
            c = 0.0
        elif c > 1.0:
            c = 1.0
        gain = restore * (1.0 - c)
        o = owner[r]
        prob = p_corp if o == CORPORATION else p_pl if o == PRIVATE_LANDLORD else 0.0
        hh = -1
        cost = 0.0
        if o == OWNER_OCCUPIER and st == OCCUPIED and (not bounded or u[i] < highest):
            hh = row_of[household_id[r]]
            cost = np.float64(restoration32 * floor_area[r]) * gain
            kl = klass[hh]
            factor = f_core if kl == 1 else f_low if kl == 2 else 1.0
            prob = p_owner * factor if savings[hh] - reserve >= cost else 0.0
        written = written_off[r]
        if u[i] < prob and not written:
            c2 = c + gain
            if c2 > 1.0:
                c2 = 1.0
            c = c2
            maintained[m] += 1
            if hh >= 0:
                savings[hh] -= cost
                owner_eur[m] += cost
        stored = np.float32(c)
        condition[r] = stored
        if not written and stored < write_off32:
            written_off[r] = True
            newly[m] += 1


def maintain(rows, u, year, built_year, status, condition, floor_area, owner, written_off, household_id,
             municipality, row_of, savings, income, adults, size, core2, daeb2, mp):
    """Decay and maintenance of the stock ``rows`` (ascending) with their draws ``u``, in the model's ``year``
    (see model.renovation.maintenance): writes the new ``condition`` (float32) and the newly ``written_off``
    homes of those rows, and takes the owners' maintenance cost from ``savings`` (their household slots, through
    ``household_id`` and ``row_of``). The other columns are per dwelling slot; ``income``, ``adults``,
    ``size``: household facts per household slot; ``core2``/``daeb2``: the income limits for one adult (person)
    and for more; ``mp``: the MaintenanceParams. Returns per municipality the dwellings maintained, what owners
    paid (added in row order, as np.bincount does) and the homes newly written off."""
    # the loop computes the owners' cost and the write-off test in float32 as numpy does with a Python number
    # and a float32 column; other types go to the numpy code
    weak = all(type(v) in (int, float) for v in (mp.restoration_cost_eur_m2, mp.write_off_condition))
    if not (use_compiled(rows.size) and weak and condition.dtype == floor_area.dtype == np.float32):
        return _maintain_numpy(rows, u, year, built_year, status, condition, floor_area, owner, written_off,
                               household_id, municipality, row_of, savings, income, adults, size, core2, daeb2, mp)
    highest = _highest_owner_probability(mp)
    prm = np.array([mp.condition_decay_base, mp.condition_decay_per_year_of_age, mp.vacant_decay_multiplier,
                    mp.maintenance_restore_share, mp.maintenance_prob_corporation,
                    mp.maintenance_prob_private_landlord, mp.maintenance_prob_owner, mp.maintenance_core_income_factor,
                    mp.maintenance_low_income_factor, mp.maintenance_savings_reserve_eur], dtype=np.float64)
    maintained = np.zeros(N_MUN, dtype=np.int64)
    owner_eur = np.zeros(N_MUN, dtype=np.float64)
    newly = np.zeros(N_MUN, dtype=np.int64)
    _maintain_loop(rows, u, int(year), built_year, status, condition, floor_area, owner, written_off, household_id,
                   municipality, row_of, savings, income, adults, size, np.asarray(core2, dtype=np.float64),
                   np.asarray(daeb2, dtype=np.float64), prm, np.float32(mp.restoration_cost_eur_m2),
                   highest is not None, 0.0 if highest is None else float(highest),
                   np.float32(mp.write_off_condition), N_MUN, maintained, owner_eur, newly)
    return maintained, owner_eur, newly


def _bound_inputs_numpy(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age,
                        year, prm, core2, daeb2, bounds):
    """Fallback of the loop of may_renovate: the same operations in numpy."""
    margin, deep_ep2, deep_label, gas_m3, price, tariff, inv_hassle, w_moved, w_retired, w_age, w_low, w_core = (
        prm.tolist())
    e0 = ep2.take(drow).astype(np.float64)
    label = label_index(e0).astype(np.int64)
    pos = np.flatnonzero(label >= 1)
    e0, label, dr, hr = e0.take(pos), label.take(pos), drow.take(pos), hrow.take(pos)
    step_to = np.minimum(bounds.take(label - 1) - margin, e0)
    deep_to = np.where(deep_label < label - 1, np.minimum(deep_ep2, e0), e0)
    area = floor_area.take(dr)
    heat = np.where(connected.take(dr), tariff, 1.0)
    ratio = np.maximum(gas_m3 * (e0 - step_to) * area * price * heat,
                       gas_m3 * (e0 - deep_to) * area * price * heat) * inv_hassle
    age = head_age.take(pos)
    inc = income.take(pos)
    terms = w_moved * (moved_in_year.take(hr) >= year - 1)
    terms += w_retired * (age == 67)
    terms += w_age * np.maximum(age - 55, 0)
    terms += w_low * (inc < np.where(size.take(pos) <= 1, daeb2[0], daeb2[1]))
    terms += w_core * (inc <= np.where(adults.take(pos) <= 1, core2[0], core2[1]))
    return pos, ratio, terms


@njit
def _bound_inputs_loop(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age,
                       year, prm, core2, daeb2, bounds, pos, ratio, terms):  # pragma: no cover - compiled
    """The positions in label B-G homes, their ratio and the sum of their other terms into ``pos``, ``ratio`` and
    ``terms``; returns how many (see _bound_inputs_numpy: the same operations in the same order)."""
    margin, deep_ep2, deep_label, gas_m3, price, tariff = prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
    inv_hassle, w_moved, w_retired, w_age, w_low, w_core = prm[6], prm[7], prm[8], prm[9], prm[10], prm[11]
    k = 0
    for j in range(drow.size):
        r = drow[j]
        e0 = np.float64(ep2[r])
        label = label_of(e0, bounds)
        if label < 1:
            continue
        step_to = min(bounds[label - 1] - margin, e0) if e0 == e0 else e0
        deep_to = (min(deep_ep2, e0) if e0 == e0 else e0) if deep_label < label - 1 else e0
        area = np.float64(floor_area[r])
        heat = tariff if connected[r] else 1.0
        a = gas_m3 * (e0 - step_to) * area * price * heat
        b = gas_m3 * (e0 - deep_to) * area * price * heat
        best = a if a >= b or a != a else b  # np.maximum: NaN if either is
        if b != b:
            best = b
        age = head_age[j]
        inc = income[j]
        t = w_moved * (moved_in_year[hrow[j]] >= year - 1)
        t += w_retired * (age == 67)
        t += w_age * max(age - 55, 0)
        t += w_low * (inc < (daeb2[0] if size[j] <= 1 else daeb2[1]))
        t += w_core * (inc <= (core2[0] if adults[j] <= 1 else core2[1]))
        pos[k] = j
        ratio[k] = best * inv_hassle
        terms[k] = t
        k += 1
    return k


def may_renovate(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age, outreach,
                 draws, year, prm, core2, daeb2, bounds):
    """The positions of the owner households (rows ``hrow`` in dwellings ``drow``) in homes of label B-G whose
    draw is below the upper bound of their renovation probability (model.renovation._energy_decide: the
    probability with the benefit-cost ratio saving / hassle, as if the renovation cost nothing), with the
    bound's margins; a NaN bound keeps the position. Only these can decide to renovate. ``ep2``,
    ``floor_area``, ``connected``: per dwelling slot; ``moved_in_year``: per household slot; ``income``,
    ``adults``, ``size``, ``head_age``, ``outreach``: per position; ``draws(pos)``: the draws of the positions
    ``pos``; ``prm``: see model.renovation._may_renovate; ``core2``/``daeb2``: the income limits for one adult
    (person) and for more; ``bounds``: EP2_BOUNDS.

    The loop (or its numpy fallback) gathers the ratio and adds the other terms of the index; numpy takes the
    logarithm and the logistic. The terms are added before the logarithm's term, not after as in the decision:
    a difference in the last bits, far inside the margins, and the decision itself is computed again, exactly,
    for the positions returned."""
    core2, daeb2 = np.asarray(core2, dtype=np.float64), np.asarray(daeb2, dtype=np.float64)
    if use_compiled(drow.size):
        pos, ratio, terms = np.empty(drow.size, dtype=np.int64), np.empty(drow.size), np.empty(drow.size)
        k = _bound_inputs_loop(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size,
                               head_age, year, prm[:12], core2, daeb2, bounds, pos, ratio, terms)
        pos, ratio, terms = pos[:k], ratio[:k], terms[:k]
    else:
        pos, ratio, terms = _bound_inputs_numpy(hrow, drow, ep2, floor_area, connected, moved_in_year, income,
                                                adults, size, head_age, year, prm[:12], core2, daeb2, bounds)
    bound_margin, intercept, w_bcr = prm[12:].tolist()
    ratio *= 1.0 + bound_margin
    x = np.log(np.maximum(ratio, 1e-300))
    x *= w_bcr
    x += intercept
    x += terms
    np.clip(x, -50.0, 50.0, out=x)
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1.0
    bound = np.minimum(outreach.take(pos) * (1.0 / x), 1.0)
    bound *= 1.0 + bound_margin
    return np.compress(~(draws(pos) >= bound), pos)


def _rental_candidates_numpy(alive, in_stock, status, written_off, owner, ep2, municipality, corp_label, pl_label):
    rows = np.flatnonzero(alive & in_stock & (status != DEMOLISHED) & ~written_off)
    label = label_index(ep2.take(rows))
    own = owner.take(rows)
    corp = np.flatnonzero((own == CORPORATION) & (label > corp_label))
    mun = municipality.take(rows.take(corp))
    order = np.argsort(mun, kind="stable")
    efg = np.bincount(np.compress(label.take(corp) >= EFG, mun), minlength=N_MUN)
    return (rows.take(corp.take(order)), np.cumsum(np.bincount(mun, minlength=N_MUN)), efg,
            np.compress((own == PRIVATE_LANDLORD) & (label > pl_label), rows))


@njit
def _rental_candidates_loop(alive, in_stock, status, written_off, owner, ep2, municipality, corp_label, pl_label,
                            bounds, n_mun, corp, ends, efg, pl):  # pragma: no cover - compiled
    """Fills corp (grouped by municipality), ends, efg and pl; returns (corporation homes, landlord homes), or
    (-1, -1) for a municipality out of range."""
    n_corp = 0
    n_pl = 0
    for r in range(alive.size):
        if not (alive[r] and in_stock[r] and status[r] != DEMOLISHED and not written_off[r]):
            continue
        o = owner[r]
        if o != CORPORATION and o != PRIVATE_LANDLORD:
            continue
        e = np.float64(ep2[r])
        label = label_of(e, bounds)
        if o == CORPORATION and label > corp_label:
            m = municipality[r]
            if m < 0 or m >= n_mun:
                return -1, -1
            corp[n_corp] = r
            n_corp += 1
            if label >= EFG:
                efg[m] += 1
        elif o == PRIVATE_LANDLORD and label > pl_label:
            pl[n_pl] = r
            n_pl += 1
    group_loop(corp[:n_corp].copy(), municipality, n_mun, corp, ends)  # by municipality, order kept
    return n_corp, n_pl


def rental_candidates(alive, in_stock, status, written_off, owner, ep2, municipality, corp_label: int,
                      pl_label: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The homes of the stock (standing, not written off; the columns per dwelling slot) that corporations and
    private landlords may renovate: corporation homes with a label index above ``corp_label``, grouped by
    municipality (each group ascending; ``ends``: the end of each group) with the number of label E-G homes
    among them per municipality, and private-landlord homes above ``pl_label`` (ascending)."""
    if use_compiled(alive.size):
        corp, pl = np.empty(alive.size, dtype=np.int64), np.empty(alive.size, dtype=np.int64)
        ends, efg = np.empty(N_MUN, dtype=np.int64), np.zeros(N_MUN, dtype=np.int64)
        n_corp, n_pl = _rental_candidates_loop(alive, in_stock, status, written_off, owner, ep2, municipality,
                                               corp_label, pl_label, EP2_BOUNDS, N_MUN, corp, ends, efg, pl)
        if n_corp >= 0:
            return corp[:n_corp], ends, efg, pl[:n_pl]
    return _rental_candidates_numpy(alive, in_stock, status, written_off, owner, ep2, municipality, corp_label,
                                    pl_label)
