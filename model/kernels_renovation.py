"""Compiled loops for the maintenance and renovation processes (model/renovation.py), each with the numpy code
it replaces as the fallback, giving bit-identical results (see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the
fallbacks; tests/test_kernels_renovation.py compares both on random inputs).

- :func:`maintain`: the yearly decay and maintenance of the stock (model.renovation.maintenance). In numpy it
  takes some thirty passes over the stock's rows (gathers of six columns, masks, ``np.where`` s, three
  bincounts) besides finding the stock and drawing its uniforms; the loop makes one pass over the dwelling
  slots (finding the stock and hashing the draws itself) and one over the owners whose draw can make them
  maintain.
- :func:`may_renovate`: the owner households that the label decision (model.renovation._energy_decide) needs
  to look at, those whose draw is below the upper bound of their probability: the loop gathers the inputs of
  the bound and adds its terms in one pass; numpy's logarithm and exponential (vectorised) do the rest, with
  two small loops for the arithmetic around them and the draws.
- :func:`energy_options`: the two options of the label decision (model.renovation._energy_decide) costed,
  with grants and financing, in one pass over the households below the bound instead of some eighty numpy
  passes; numpy's logarithm and logistic follow in _energy_decide.
- :func:`owner_homes`: the owner-occupiers that may renovate and their homes (model.renovation.owner_renovation),
  in one pass over the household slots and two over the owners instead of seven numpy passes and gathers.
- :func:`may_adapt`: the owner households that may adapt their home (model.renovation.adaptation) and their
  draws, in one pass over the owners and two over those of age instead of some ten numpy passes.
- :func:`repay_loans`: the owners' yearly repayment of their renovation loans, in one pass over them.
- :func:`rental_candidates`: the homes corporations and private landlords may renovate
  (model.renovation.corporation_renovation), in one pass over the slots instead of masks and a sort.

The loops of may_renovate and rental_candidates write every position at the next place and count it only where
it is kept, instead of a branch on data that alternates at random (the label and owner of a home, the draw): a
mispredicted branch costs more than the write it skips. Where a loop reads another table at random rows (the
owners' households in maintain, the homes in may_renovate and energy_options), those values are gathered first,
in a loop of their own: its loads do not wait for one another, where between decisions each was a cache miss
of its own (in a model run the columns are mostly not in the cache). The energy labels come from the bounds as
a tuple (_label), which the loops inline, not from kernels.label_of with an array (a call of its own).
"""

from __future__ import annotations

import numpy as np

from .data import MUNICIPALITY_CODES
from .income import label_index
from .kernels import hash_uniform, njit, uniform_of, use_compiled
from .kernels_stock import group_loop
from .state import (
    CORPORATION,
    DEMOLISHED,
    EP2_BOUNDS,
    OCCUPIED,
    OWNER,
    OWNER_OCCUPIER,
    PRIVATE_LANDLORD,
    VACANT,
)

#: Label index of E: corporations renovate all E-G homes before a deadline
EFG = 4

N_MUN = len(MUNICIPALITY_CODES)
#: The age of the oldest member from which a household may adapt its home (model.renovation.adaptation)
ADAPT_AGE = 65


@njit
def _label(e, bounds):  # pragma: no cover - compiled
    """model.kernels.label_of with the bounds as a tuple (``bounds_tuple``): a tuple is passed by value, so the
    call is inlined into the loop, where label_of with an array is a call of its own (the array's reference
    counted in and out); the count without a branch."""
    if e != e:
        return len(bounds)
    k = 0
    for b in bounds:
        k += e >= b
    return k


@njit
def _bound_below(e, bounds):  # pragma: no cover - compiled
    """``bounds[max(_label(e, bounds), 1) - 1]`` for an EP2 value that is not NaN: the highest bound at or below
    ``e`` (the lower bound of its label), the first bound below them all. A pass of selects over the tuple, which
    the loops inline: a tuple indexed by a value known only at run time is a branch per element (numba switches
    over the places), at random labels mostly mispredicted (some 15 ns an element)."""
    below = bounds[0]
    for b in bounds:
        below = b if e >= b else below
    return below


def bounds_tuple(bounds) -> tuple:
    """The label bounds (EP2_BOUNDS) as the tuple of floats that the loops here take."""
    return tuple(float(b) for b in np.asarray(bounds, dtype=np.float64))


def _maintain_numpy(alive, in_stock, key, salts, year, built_year, status, condition, floor_area, owner, written_off,
                    household_id, municipality, row_of, savings, income, adults, size, core2, daeb2, mp):
    """Fallback of maintain: the numpy code."""
    rows = np.flatnonzero(alive & in_stock & (status != DEMOLISHED))
    u = hash_uniform(key.take(rows), *salts)
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
            np.bincount(np.compress(newly, mun), minlength=N_MUN), rows.size)


def _highest_owner_probability(mp):
    """The highest maintenance probability of an owner (maintenance_prob_owner x its highest income factor): an
    owner whose draw is not below it does not maintain, whatever its means; None when it does not bound them
    (a negative probability or factor)."""
    highest = mp.maintenance_prob_owner * max(mp.maintenance_core_income_factor, mp.maintenance_low_income_factor,
                                              1.0)
    return highest if mp.maintenance_prob_owner >= 0 and highest >= 0 else None


@njit
def _maintain_loop(alive, in_stock, key, s0, s1, year, built_year, status, condition, floor_area, owner, written_off,
                   household_id, municipality, row_of, savings, income, adults, size, core2, daeb2, prm,
                   restoration32, bounded, highest, write_off32, n_mun, maintained, owner_eur,
                   newly):  # pragma: no cover - compiled
    """The stock's rows ascending, in passes over the dwelling slots and the owners (see _maintain_numpy for the
    same arithmetic, operation by operation); returns the number of stock rows. prm: decay base, decay per year
    of age, vacant multiplier, restore share, probability of corporations, of private landlords, of owners,
    core and low-income factors, savings reserve.

    The homes of owners who may maintain are set aside in the pass over the slots and finished after it, in
    the same order: their households' rows are gathered first, in a loop of their own (loads that do not wait
    for one another, where the decision between them made each a cache miss of its own), then looked at. Only
    these homes take from savings and add to what owners paid, in row order as before; the counts are integers."""
    base, per_year, vacant_mult, restore, p_corp, p_pl, p_owner, f_core, f_low, reserve = (
        prm[0], prm[1], prm[2], prm[3], prm[4], prm[5], prm[6], prm[7], prm[8], prm[9])
    # each household's income class first (a sequential pass; 0: other, 1: core target group, 2: low income),
    # so that the owners' pass reads one small array per owner instead of three large ones
    klass = np.empty(income.size, dtype=np.int8)
    for hh in range(income.size):
        inc = income[hh]
        if inc <= (core2[0] if adults[hh] <= 1 else core2[1]):
            klass[hh] = 1
        elif inc < (daeb2[0] if size[hh] <= 1 else daeb2[1]):
            klass[hh] = 2
        else:
            klass[hh] = 0
    n_rows = 0
    # the owners' homes set aside: row, draw and decayed condition (written at the next place, counted if kept)
    own_row = np.empty(alive.size, dtype=np.int64)
    own_u = np.empty(alive.size)
    own_c = np.empty(alive.size)
    k = 0
    for r in range(alive.size):
        st = status[r]
        if not (alive[r] and in_stock[r] and st != DEMOLISHED):
            continue
        n_rows += 1
        m = municipality[r]
        if m < 0 or m >= n_mun:
            raise ValueError("municipality index out of range")
        ui = uniform_of(key[r], s0, s1)
        age = np.int64(year) - np.int64(built_year[r])
        if age < 0:
            age = 0
        decay = (base + per_year * np.float64(age)) * (vacant_mult if st == VACANT else 1.0)
        c = np.float64(condition[r]) - decay
        # (the decisions below are selects and counts of 0 or 1, not branches: the owner class, the draws and
        # the write-offs alternate at random, and a mispredicted branch costs more than what it skips; an
        # owner's home is written here as if not maintained and again in the owners' pass)
        c = 0.0 if c < 0.0 else 1.0 if c > 1.0 else c
        o = owner[r]
        own = (o == OWNER_OCCUPIER) & (st == OCCUPIED) & ((not bounded) | (ui < highest))
        own_row[k] = r
        own_u[k] = ui
        own_c[k] = c
        k += own
        prob = p_corp if o == CORPORATION else p_pl if o == PRIVATE_LANDLORD else 0.0
        written = written_off[r]
        done = (ui < prob) & (not written) & (not own)
        c2 = c + restore * (1.0 - c)
        c2 = 1.0 if c2 > 1.0 else c2
        c = c2 if done else c
        maintained[m] += done
        stored = np.float32(c)
        condition[r] = stored
        new = (not written) & (stored < write_off32) & (not own)
        written_off[r] = written | new
        newly[m] += new
    hh_of = np.empty(k, dtype=row_of.dtype)
    for j in range(k):
        hh_of[j] = row_of[household_id[own_row[j]]]
    for j in range(k):
        r = own_row[j]
        hh = hh_of[j]
        m = municipality[r]
        c = own_c[j]
        gain = restore * (1.0 - c)
        cost = np.float64(restoration32 * floor_area[r]) * gain
        kl = klass[hh]
        factor = f_core if kl == 1 else f_low if kl == 2 else 1.0
        prob = p_owner * factor if savings[hh] - reserve >= cost else 0.0
        written = written_off[r]
        done = (own_u[j] < prob) & (not written)
        c2 = c + gain
        c2 = 1.0 if c2 > 1.0 else c2
        c = c2 if done else c
        maintained[m] += done
        paid = cost if done else 0.0
        savings[hh] -= paid
        owner_eur[m] += paid
        stored = np.float32(c)
        condition[r] = stored
        new = (not written) & (stored < write_off32)
        written_off[r] = written | new
        newly[m] += new
    return n_rows


def maintain(alive, in_stock, key, salts, year, built_year, status, condition, floor_area, owner, written_off,
             household_id, municipality, row_of, savings, income, adults, size, core2, daeb2, mp):
    """Decay and maintenance of the stock (the dwelling slots ``alive``, ``in_stock`` and not demolished, in
    ascending order) in the model's ``year`` (see model.renovation.maintenance), each home with the uniform of
    its draw ``key`` and the two ``salts`` (model.kernels.hash_uniform): writes the new ``condition``
    (float32) and the newly ``written_off`` homes, and takes the owners' maintenance cost from ``savings``
    (their household slots, through ``household_id`` and ``row_of``). The other columns are per dwelling slot;
    ``income``, ``adults``, ``size``: household facts per household slot; ``core2``/``daeb2``: the income limits
    for one adult (person) and for more; ``mp``: the MaintenanceParams. Returns per municipality the dwellings
    maintained, what owners paid (added in row order, as np.bincount does) and the homes newly written off, and
    the number of homes in the stock. The loop finds the stock and draws the uniforms itself, without the rows,
    keys and draws as arrays."""
    # the loop computes the owners' cost and the write-off test in float32 as numpy does with a Python number
    # and a float32 column; other types go to the numpy code
    weak = all(type(v) in (int, float) for v in (mp.restoration_cost_eur_m2, mp.write_off_condition))
    if not (use_compiled(alive.size) and weak and condition.dtype == floor_area.dtype == np.float32):
        return _maintain_numpy(alive, in_stock, key, salts, year, built_year, status, condition, floor_area, owner,
                               written_off, household_id, municipality, row_of, savings, income, adults, size, core2,
                               daeb2, mp)
    highest = _highest_owner_probability(mp)
    prm = np.array([mp.condition_decay_base, mp.condition_decay_per_year_of_age, mp.vacant_decay_multiplier,
                    mp.maintenance_restore_share, mp.maintenance_prob_corporation,
                    mp.maintenance_prob_private_landlord, mp.maintenance_prob_owner, mp.maintenance_core_income_factor,
                    mp.maintenance_low_income_factor, mp.maintenance_savings_reserve_eur], dtype=np.float64)
    maintained = np.zeros(N_MUN, dtype=np.int64)
    owner_eur = np.zeros(N_MUN, dtype=np.float64)
    newly = np.zeros(N_MUN, dtype=np.int64)
    n_rows = _maintain_loop(alive, in_stock, np.ascontiguousarray(key, dtype=np.int64).view(np.uint64),
                            np.uint64(salts[0]), np.uint64(salts[1]), int(year), built_year, status, condition,
                            floor_area, owner, written_off, household_id, municipality, row_of, savings, income,
                            adults, size, np.asarray(core2, dtype=np.float64), np.asarray(daeb2, dtype=np.float64),
                            prm, np.float32(mp.restoration_cost_eur_m2), highest is not None,
                            0.0 if highest is None else float(highest), np.float32(mp.write_off_condition), N_MUN,
                            maintained, owner_eur, newly)
    return maintained, owner_eur, newly, n_rows


def _bound_inputs_numpy(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age,
                        fact_rows, year, prm, core2, daeb2, bounds):
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
    at = fact_rows.take(pos)
    age = head_age.take(at)
    inc = income.take(at)
    terms = w_moved * (moved_in_year.take(hr) >= year - 1)
    terms += w_retired * (age == 67)
    terms += w_age * np.maximum(age - 55, 0)
    terms += w_low * (inc < np.where(size.take(at) <= 1, daeb2[0], daeb2[1]))
    terms += w_core * (inc <= np.where(adults.take(at) <= 1, core2[0], core2[1]))
    return pos, ratio, terms


@njit
def _bound_inputs_loop(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age,
                       fact_rows, year, prm, core2, daeb2, bounds, pos, ratio, terms):  # pragma: no cover - compiled
    """The positions in label B-G homes, their ratio and the sum of their other terms into ``pos``, ``ratio`` and
    ``terms``; returns how many (see _bound_inputs_numpy: the same operations in the same order). What is read of
    the homes (at random rows) and the households is gathered first, in a loop of its own (see
    _energy_options_loop)."""
    margin, deep_ep2, deep_label, gas_m3, price, tariff = prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
    inv_hassle, w_moved, w_retired, w_age, w_low, w_core = prm[6], prm[7], prm[8], prm[9], prm[10], prm[11]
    n = drow.size
    g_ep2, g_area = np.empty(n), np.empty(n)
    g_connected, g_moved = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.int64)
    for j in range(n):
        r = drow[j]
        g_ep2[j] = ep2[r]
        g_area[j] = floor_area[r]
        g_connected[j] = connected[r]
        g_moved[j] = moved_in_year[hrow[j]]
    k = 0
    for j in range(n):
        e0 = g_ep2[j]
        label = _label(e0, bounds)
        # (every position is written and counted where its home has label B-G: no branch on the label; the
        # minima of the numpy code, NaN where e0 is, as _fmin, which compiles to selects where the NaN tests
        # written out as branches on the label did not)
        step_to = _fmin(e0, _bound_below(e0, bounds) - margin)
        deep_to = _fmin(e0, deep_ep2) if deep_label < label - 1 else e0
        area = g_area[j]
        heat = tariff if g_connected[j] else 1.0
        a = gas_m3 * (e0 - step_to) * area * price * heat
        b = gas_m3 * (e0 - deep_to) * area * price * heat
        best = _fmax(a, b)
        f = fact_rows[j]
        age = head_age[f]
        inc = income[f]
        t = w_moved * (g_moved[j] >= year - 1)
        t += w_retired * (age == 67)
        t += w_age * max(age - 55, 0)
        t += w_low * (inc < (daeb2[0] if size[f] <= 1 else daeb2[1]))
        t += w_core * (inc <= (core2[0] if adults[f] <= 1 else core2[1]))
        pos[k] = j
        ratio[k] = best * inv_hassle
        terms[k] = t
        k += label >= 1
    return k


@njit
def _index_loop(x, terms, w_bcr, intercept):  # pragma: no cover - compiled
    """The negated index of the bound, in place on the logarithm of the ratio (see may_renovate: the numpy
    operations one after the other, per element)."""
    for i in range(x.size):
        v = x[i] * w_bcr
        v = v + intercept
        v = v + terms[i]
        x[i] = -_fmin(_fmax(v, -50.0), 50.0)  # np.clip, NaN kept


@njit
def _below_bound_loop(e, pos, hrow, key, outreach, s0, s1, margin, out):  # pragma: no cover - compiled
    """The positions whose draw is not at or above the bound (see may_renovate) into ``out``; returns how many.
    ``e``: the exponential of the negated index per position; the draw of a position is the uniform of its
    household's draw key (as model.kernels.hash_uniform)."""
    k = 0
    for i in range(pos.size):
        j = pos[i]
        bound = _fmin(outreach[j] * (1.0 / (e[i] + 1.0)), 1.0) * (1.0 + margin)
        u = uniform_of(key[hrow[j]], s0, s1)
        out[k] = j  # (kept where the draw is not at or above the bound: written always, counted then)
        k += not u >= bound
    return k


def may_renovate(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size, head_age, fact_rows,
                 outreach, key, salts, year, prm, core2, daeb2, bounds):
    """The positions of the owner households (rows ``hrow`` in dwellings ``drow``) in homes of label B-G whose
    draw is below the upper bound of their renovation probability (model.renovation._energy_decide: the
    probability with the benefit-cost ratio saving / hassle, as if the renovation cost nothing), with the
    bound's margins; a NaN bound keeps the position. Only these can decide to renovate. ``ep2``,
    ``floor_area``, ``connected``: per dwelling slot; ``moved_in_year``, ``key``: per household slot; ``income``,
    ``adults``, ``size``, ``head_age``: the household facts, those of position j at ``fact_rows[j]`` (the facts per
    household slot and ``fact_rows`` = ``hrow``, or the facts per position and an arange: owner_renovation
    passes the first, which needs no arrays of all owners' facts); ``outreach``: per position; ``salts``: the two
    salts of the draws (model.streams.Streams.salts: the draw of a position is the uniform of its household's
    ``key``); ``prm``: see model.renovation._may_renovate; ``core2``/``daeb2``: the income limits for one adult
    (person) and for more; ``bounds``: EP2_BOUNDS.

    The loop (or its numpy fallback) gathers the ratio and adds the other terms of the index; numpy takes the
    logarithm and the exponential, two more loops the arithmetic around them and the draws (in numpy: some
    fifteen passes). The terms are added before the logarithm's term, not after as in the decision: a
    difference in the last bits, far inside the margins, and the decision itself is computed again, exactly,
    for the positions returned."""
    core2, daeb2 = np.asarray(core2, dtype=np.float64), np.asarray(daeb2, dtype=np.float64)
    bound_margin, intercept, w_bcr = prm[12:].tolist()
    s0, s1 = salts
    if use_compiled(drow.size):
        pos, ratio, terms = np.empty(drow.size, dtype=np.int64), np.empty(drow.size), np.empty(drow.size)
        k = _bound_inputs_loop(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults, size,
                               head_age, fact_rows, year, prm[:12], core2, daeb2, bounds_tuple(bounds), pos, ratio,
                               terms)
        pos, x, terms = pos[:k], ratio[:k], terms[:k]
        x *= 1.0 + bound_margin
        np.maximum(x, 1e-300, out=x)
        np.log(x, out=x)
        _index_loop(x, terms, w_bcr, intercept)
        np.exp(x, out=x)
        out = np.empty(k, dtype=np.int64)
        n = _below_bound_loop(x, pos, hrow, np.ascontiguousarray(key, dtype=np.int64).view(np.uint64),
                              np.ascontiguousarray(outreach, dtype=np.float64), np.uint64(s0), np.uint64(s1),
                              bound_margin, out)
        return out[:n]
    pos, ratio, terms = _bound_inputs_numpy(hrow, drow, ep2, floor_area, connected, moved_in_year, income, adults,
                                            size, head_age, fact_rows, year, prm[:12], core2, daeb2, bounds)
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
    draws = hash_uniform(key.take(hrow.take(pos)), s0, s1)
    return np.compress(~(draws >= bound), pos)


def _owner_homes_numpy(alive, tenure, dwelling_id, row_of, in_stock, owner, written_off):
    hrow = np.flatnonzero(alive & (tenure == OWNER))
    drow = row_of.take(dwelling_id.take(hrow))
    ok = (in_stock & (owner == OWNER_OCCUPIER) & ~written_off).take(drow)
    return np.compress(ok, hrow), np.compress(ok, drow)


@njit
def _owner_homes_loop(alive, tenure, dwelling_id, row_of, in_stock, owner, written_off, hrow,
                      drow):  # pragma: no cover - compiled
    """Fills hrow and drow; returns their length."""
    n = 0
    for r in range(alive.size):  # every row written at the next place, counted where kept
        hrow[n] = r
        n += alive[r] & (tenure[r] == OWNER)
    for i in range(n):  # the homes' rows (random reads) in a loop of their own
        drow[i] = row_of[dwelling_id[hrow[i]]]
    k = 0
    for i in range(n):
        r = drow[i]
        hrow[k] = hrow[i]
        drow[k] = r
        k += in_stock[r] & (owner[r] == OWNER_OCCUPIER) & (not written_off[r])
    return k


def owner_homes(alive, tenure, dwelling_id, row_of, in_stock, owner, written_off) -> tuple[np.ndarray, np.ndarray]:
    """The owner-occupier households that may renovate (model.renovation.owner_renovation): the rows of the
    alive households of tenure OWNER (ascending) whose home (its row through ``row_of``, the dwellings' row per
    id) is in the stock, owned by its occupier and not written off, and those homes' rows. ``alive``,
    ``tenure``, ``dwelling_id``: per household slot; ``in_stock``, ``owner``, ``written_off``: per dwelling slot.
    One pass over the household slots and two over the owners (the homes' rows gathered first), instead of
    seven numpy passes and gathers."""
    if use_compiled(alive.size):
        hrow, drow = np.empty(alive.size, dtype=np.int64), np.empty(alive.size, dtype=np.int64)
        k = _owner_homes_loop(alive, tenure, dwelling_id, row_of, in_stock, owner, written_off, hrow, drow)
        return hrow[:k], drow[:k]
    return _owner_homes_numpy(alive, tenure, dwelling_id, row_of, in_stock, owner, written_off)


def _may_adapt_numpy(oldest, drow, lifetime_proof, hrow, key, outreach, by_age, s0, s1):
    cand = np.flatnonzero(oldest >= ADAPT_AGE)
    cand = np.compress(~lifetime_proof.take(drow.take(cand)), cand)
    u = hash_uniform(key.take(hrow.take(cand)), s0, s1)
    may = np.flatnonzero(u < np.minimum(outreach[cand] * by_age.take(oldest.take(cand) - ADAPT_AGE), 1.0))
    return cand.take(may), u.take(may)


@njit
def _may_adapt_loop(oldest, drow, lifetime_proof, hrow, key, outreach, by_age, s0, s1, cand, proof,
                    u):  # pragma: no cover - compiled
    """Fills cand and u (the first places); returns how many."""
    n = 0
    for i in range(oldest.size):  # every position written at the next place, counted where kept
        cand[n] = i
        n += oldest[i] >= ADAPT_AGE
    for c in range(n):  # the homes' flags (random reads) in a loop of their own
        proof[c] = lifetime_proof[drow[cand[c]]]
    k = 0
    for c in range(n):
        if proof[c]:
            continue
        j = cand[c]
        v = uniform_of(key[hrow[j]], s0, s1)
        cand[k] = j
        u[k] = v
        k += v < _fmin(outreach[j] * by_age[oldest[j] - ADAPT_AGE], 1.0)
    return k


def may_adapt(oldest, drow, lifetime_proof, hrow, key, outreach, by_age, salts) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the owner households (rows ``hrow`` in dwellings ``drow``; ``oldest``, their oldest
    member's age, and ``outreach`` per position) that may adapt their home (model.renovation.adaptation): a
    member of ADAPT_AGE or more, a home not lifetime-proof (``lifetime_proof`` per dwelling slot) and a draw
    below min(outreach x ``by_age``[oldest - ADAPT_AGE], 1) (the draw of a position is the uniform of its
    household's ``key`` with the two ``salts``, as model.kernels.hash_uniform); and those draws. One pass over
    the positions and two over those of age (the homes' flags gathered first) instead of some ten numpy passes
    and gathers."""
    s0, s1 = salts
    if use_compiled(oldest.size):
        cand, u = np.empty(oldest.size, dtype=np.int64), np.empty(oldest.size)
        k = _may_adapt_loop(oldest, drow, lifetime_proof, hrow, np.ascontiguousarray(key, dtype=np.int64).view(
            np.uint64), outreach, by_age, np.uint64(s0), np.uint64(s1), cand, np.empty(oldest.size, dtype=np.bool_),
            u)
        return cand[:k], u[:k]
    return _may_adapt_numpy(oldest, drow, lifetime_proof, hrow, key, outreach, by_age, s0, s1)


def _repay_loans_numpy(rows, savings, loan, loan_year, term, year):
    years_left = np.maximum(term - (year - loan_year[rows]), 1.0)
    due = loan[rows] / years_left
    pay = np.minimum(due, np.maximum(savings[rows], 0.0))
    savings[rows] -= pay
    loan[rows] -= pay
    loan[rows[loan[rows] < 1.0]] = 0.0


@njit
def _repay_loans_loop(rows, savings, loan, loan_year, term, year):  # pragma: no cover - compiled
    for r in rows:
        pay = _fmin(loan[r] / _fmax(term - (year - loan_year[r]), 1.0), _fmax(savings[r], 0.0))
        savings[r] -= pay
        left = loan[r] - pay
        loan[r] = 0.0 if left < 1.0 else left


def repay_loans(rows, savings, loan, loan_year, term: float, year: int) -> None:
    """The renovation loans of households ``rows`` (distinct) repaid linearly over ``term`` years from the last
    loan (``loan_year``), out of ``savings`` as far as they go, a rest below 1 EUR written off
    (model.renovation.repay_renovation_loans; ``savings`` and ``loan`` changed in place): one pass over the rows
    instead of some ten numpy passes and gathers."""
    if use_compiled(rows.size):
        _repay_loans_loop(rows, savings, loan, loan_year, np.float64(term), np.int64(year))
    else:
        _repay_loans_numpy(rows, savings, loan, loan_year, term, year)


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
        label = _label(np.float64(ep2[r]), bounds)
        m = municipality[r]
        is_corp = o == CORPORATION and label > corp_label
        if is_corp and (m < 0 or m >= n_mun):
            return -1, -1
        # (each home written at the next place of both lists and counted where it belongs: no branch on the owner
        # and the label, which alternate at random)
        corp[n_corp] = r
        n_corp += is_corp
        efg[m if is_corp else 0] += is_corp and label >= EFG
        pl[n_pl] = r
        n_pl += o == PRIVATE_LANDLORD and label > pl_label
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
                                               corp_label, pl_label, bounds_tuple(EP2_BOUNDS), N_MUN, corp, ends, efg,
                                               pl)
        if n_corp >= 0:
            return corp[:n_corp], ends, efg, pl[:n_pl]
    return _rental_candidates_numpy(alive, in_stock, status, written_off, owner, ep2, municipality, corp_label,
                                    pl_label)


#: The levers the label decision uses, in the order of the rows of ``lev`` in energy_options.
DECIDE_LEVERS = ("isde_grant_share", "isde_deep_grant_share", "warmtefonds_income_limit_eur",
                 "warmtefonds_max_loan_eur", "no_capacity_loan_eur", "outreach_multiplier", "collective_discount",
                 "local_grant_eur", "proeftuin_grant_eur", "procurement_cost_eur", "zero_interest")
#: The fields of each option in the rows of energy_options' ``opt``.
OPTION_FIELDS = ("target", "cost", "grant", "own", "loan", "pt_grant")


def _energy_options_numpy(hrow, drow, ep2, floor_area, connected, dtype, built_year, value, savings, mortgage,
                          loan_col, moved_in_year, income, adults, size, head_age, fact_rows, lev, prm, core2, daeb2,
                          bounds, curve, type_factor, period_factor, period_starts, crf_pair):
    """Fallback of energy_options: the numpy code of the decision (model.renovation._energy_decide)."""
    income, adults, size, head_age = (a.take(fact_rows) for a in (income, adults, size, head_age))
    (margin, deep_ep2, deep_label, gas_m3, price, tariff, w_moved, w_retired, w_age, w_low, w_core, fixed, buffer,
     multiple, floor, ltv, wf_interest, crf_own, hassle, year, apartment) = prm.tolist()
    (isde, isde_deep, wf_limit, wf_max, no_capacity, _, discount, local_grant, pt_lever, _, zero) = lev
    e0 = ep2.take(drow).astype(np.float64)
    label = label_index(e0).astype(np.int64)
    core = income <= np.where(adults <= 1, core2[0], core2[1])
    low = income < np.where(size <= 1, daeb2[0], daeb2[1])
    # the two options: one step to just inside the next better label; deep to label B (from D or worse)
    safe = np.maximum(label, 1)
    step_to = np.where(label >= 1, np.minimum(bounds[safe - 1] - margin, e0), e0)
    deep_ok = deep_label < label - 1
    deep_to = np.where(deep_ok, np.minimum(deep_ep2, e0), e0)
    area = floor_area.take(drow)
    heat = np.where(connected.take(drow), tariff, 1.0)
    terms = np.stack([w_moved * (moved_in_year.take(hrow) >= year - 1), w_retired * (head_age == 67),
                      w_age * np.maximum(head_age - 55, 0), w_low * low, w_core * core])
    # the cost of lowering EP2 (model.renovation.renovation_cost_eur) and the financing
    at, slope, anchor = curve

    def band_cost(x):
        j = np.searchsorted(bounds, x, side="right")
        return at.take(j) + slope.take(j) * (x - anchor.take(j))

    period = np.clip(np.searchsorted(period_starts, built_year.take(drow), side="right") - 1, 0,
                     period_starts.size - 1)
    factor = type_factor[np.minimum(dtype.take(drow), int(apartment))] * period_factor[period]
    c_from = band_cost(e0)
    local = np.where(core, local_grant, 0.0)
    own_avail = np.maximum(savings.take(hrow) - buffer, 0.0)
    debt = mortgage.take(hrow) + loan_col.take(hrow)
    room = np.maximum(np.minimum(multiple * np.maximum(income - floor, 0.0), ltv * value.take(drow)) - debt, 0.0)
    loan_cap = np.maximum(np.minimum(wf_max, room), no_capacity)
    wf_rate = np.where(income < wf_limit, 0.0, wf_interest)
    zero = zero != 0
    rate = np.where(zero, 0.0, wf_rate)
    crf = crf_pair.take((rate == wf_interest).view(np.int8))
    opt = np.empty((2, len(OPTION_FIELDS), e0.size))
    usable = np.empty((2, e0.size), dtype=bool)
    bcr = np.empty((2, e0.size))
    for o, (target, share, applies) in enumerate(((step_to, isde, label >= 1), (deep_to, isde_deep, deep_ok))):
        saving = gas_m3 * (e0 - target) * area * price * heat
        per_m2 = np.maximum(c_from - band_cost(target), 0.0)
        cost = per_m2 * area * factor
        cost = np.where(cost > 0, cost + fixed, 0.0) * (1.0 - discount)
        other = np.minimum(share * cost + local, cost)
        pt_grant = np.minimum(pt_lever, cost - other)
        grant = other + pt_grant
        own = np.minimum(own_avail, cost - grant)
        loan = cost - grant - own
        feasible = loan <= loan_cap + 1e-6
        yearly = own * crf_own + loan * crf
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = saving / (yearly + hassle)
        usable[o] = applies & feasible & (cost > 0) & (saving > 0)
        bcr[o] = np.where(usable[o], ratio, 0.0)
        opt[o] = target, cost, grant, own, loan, pt_grant
    return opt, usable, np.maximum(bcr[0], bcr[1]), terms, label, low, zero & (wf_rate > 0)


@njit
def _fmin(a, b):  # pragma: no cover - compiled
    """np.minimum of two floats: NaN if either is, ``b`` if they are equal (as numpy: -0.0 and 0.0 differ)."""
    return a if a < b or a != a else b


@njit
def _fmax(a, b):  # pragma: no cover - compiled
    """np.maximum of two floats: NaN if either is, ``b`` if they are equal (as numpy: -0.0 and 0.0 differ)."""
    return a if a > b or a != a else b


@njit
def _divide(a, b):  # pragma: no cover - compiled
    """a / b as numpy divides floats (inf or NaN by zero, where numba would raise)."""
    if b != 0.0:
        return a / b
    if a == 0.0 or a != a:
        return np.nan
    return np.copysign(np.inf, a) * np.copysign(1.0, b)


@njit
def _energy_options_loop(hrow, drow, ep2, floor_area, connected, dtype, built_year, value, savings, mortgage,
                         loan_col, moved_in_year, income, adults, size, head_age, fact_rows, lev, prm, core2, daeb2,
                         bounds, at, slope, anchor, type_factor, period_factor, period_starts, crf_pair, opt, usable,
                         best, terms, label_out, low_out, subsidised):  # pragma: no cover - compiled
    """Two passes over the positions (see _energy_options_numpy for the same arithmetic, operation by operation):
    the first gathers what the decision reads of the homes and the households, in a loop of its own (loads that
    do not wait for one another: the homes are at random rows, mostly cache misses), the second decides."""
    margin, deep_ep2, deep_label, gas_m3, price, tariff = prm[0], prm[1], prm[2], prm[3], prm[4], prm[5]
    w_moved, w_retired, w_age, w_low, w_core = prm[6], prm[7], prm[8], prm[9], prm[10]
    fixed, buffer, multiple, floor, ltv = prm[11], prm[12], prm[13], prm[14], prm[15]
    wf_interest, crf_own, hassle = prm[16], prm[17], prm[18]
    year, apartment = np.int64(prm[19]), np.int64(prm[20])
    n_periods = period_starts.size
    n = drow.size
    g_ep2, g_area, g_value, g_savings, g_debt = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    g_connected = np.empty(n, dtype=np.bool_)
    g_type, g_built, g_moved = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    for j in range(n):
        r = drow[j]
        hh = hrow[j]
        g_ep2[j] = ep2[r]
        g_area[j] = floor_area[r]
        g_connected[j] = connected[r]
        g_type[j] = dtype[r]
        g_built[j] = built_year[r]
        g_value[j] = value[r]
        g_savings[j] = savings[hh]
        g_debt[j] = mortgage[hh] + loan_col[hh]
        g_moved[j] = moved_in_year[hh]
    for j in range(n):
        e0 = g_ep2[j]
        label = _label(e0, bounds)
        f = fact_rows[j]
        inc = income[f]
        core = inc <= (core2[0] if adults[f] <= 1 else core2[1])
        low = inc < (daeb2[0] if size[f] <= 1 else daeb2[1])
        step_to = _fmin(_bound_below(e0, bounds) - margin, e0) if label >= 1 else e0
        deep_ok = deep_label < label - 1
        deep_to = _fmin(deep_ep2, e0) if deep_ok else e0
        area = g_area[j]
        heat = tariff if g_connected[j] else 1.0
        age = head_age[f]
        terms[0, j] = w_moved * (1.0 if g_moved[j] >= year - 1 else 0.0)
        terms[1, j] = w_retired * (1.0 if age == 67 else 0.0)
        terms[2, j] = w_age * np.float64(max(age - 55, 0))
        terms[3, j] = w_low * (1.0 if low else 0.0)
        terms[4, j] = w_core * (1.0 if core else 0.0)
        by = g_built[j]
        period = -1
        for s in period_starts:
            if by >= s:
                period += 1
        period = min(max(period, 0), n_periods - 1)
        factor = type_factor[min(g_type[j], apartment)] * period_factor[period]
        # C(x) of model.renovation.band_cost_curve: the band as np.searchsorted finds it (written out here: a
        # kernel taking the curve's arrays is not inlined and costs some 80 ns a call)
        c_from = at[label] + slope[label] * (e0 - anchor[label])
        local = lev[7, j] if core else 0.0
        own_avail = _fmax(g_savings[j] - buffer, 0.0)
        debt = g_debt[j]
        room = _fmax(_fmin(multiple * _fmax(inc - floor, 0.0), ltv * g_value[j]) - debt, 0.0)
        loan_cap = _fmax(_fmin(lev[3, j], room), lev[4, j])
        wf_rate = 0.0 if inc < lev[2, j] else wf_interest
        zero = lev[10, j] != 0
        rate = 0.0 if zero else wf_rate
        crf = crf_pair[1] if rate == wf_interest else crf_pair[0]
        subsidised[j] = zero and wf_rate > 0
        label_out[j] = label
        low_out[j] = low
        bcr_best = 0.0
        for o in range(2):
            target = step_to if o == 0 else deep_to
            share = lev[0, j] if o == 0 else lev[1, j]
            applies = label >= 1 if o == 0 else deep_ok
            saving = gas_m3 * (e0 - target) * area * price * heat
            band = _label(target, bounds)
            per_m2 = _fmax(c_from - (at[band] + slope[band] * (target - anchor[band])), 0.0)
            cost = per_m2 * area * factor
            cost = (cost + fixed if cost > 0 else 0.0) * (1.0 - lev[6, j])
            other = _fmin(share * cost + local, cost)
            pt_grant = _fmin(lev[8, j], cost - other)
            grant = other + pt_grant
            own = _fmin(own_avail, cost - grant)
            loan = cost - grant - own
            feasible = loan <= loan_cap + 1e-6
            yearly = own * crf_own + loan * crf
            ok = applies and feasible and cost > 0 and saving > 0
            usable[o, j] = ok
            bcr = _divide(saving, yearly + hassle) if ok else 0.0
            bcr_best = bcr if o == 0 else _fmax(bcr_best, bcr)
            opt[o, 0, j] = target
            opt[o, 1, j] = cost
            opt[o, 2, j] = grant
            opt[o, 3, j] = own
            opt[o, 4, j] = loan
            opt[o, 5, j] = pt_grant
        best[j] = bcr_best


def energy_options(hrow, drow, ep2, floor_area, connected, dtype, built_year, value, savings, mortgage, loan_col,
                   moved_in_year, income, adults, size, head_age, fact_rows, lev, prm, core2, daeb2, bounds, curve,
                   type_factor, period_factor, period_starts, crf_pair):
    """The two renovation options of owner households (rows ``hrow`` in dwellings ``drow``) as
    model.renovation._energy_decide weighs them: one step to just inside the next better label, and deep to
    label B (from D or worse), each costed, with grants and financing. ``ep2`` .. ``value``: dwelling columns
    (per slot; ``dtype``: the dwelling type); ``savings``, ``mortgage``, ``loan_col`` (renovation loan),
    ``moved_in_year``: household columns; ``income`` .. ``head_age``: household facts, those of position j at
    ``fact_rows[j]`` (as in may_renovate: per household slot with the rows, or per position with an arange); ``lev``:
    the levers of DECIDE_LEVERS per position (rows, float); ``prm``: see model.renovation._energy_decide;
    ``core2``/``daeb2``: the income limits for one adult (person) and for more; ``bounds``: EP2_BOUNDS;
    ``curve``: model.renovation.band_cost_curve; ``type_factor``/``period_factor``/``period_starts``: the cost
    factors by dwelling type and construction period; ``crf_pair``: the capital recovery factors of a loan at
    0 and at the Warmtefonds rate.

    Returns ``opt`` (option x OPTION_FIELDS x position), ``usable`` (option x position), the best benefit-cost
    ratio of the usable options (0 where none is), the five terms of the decision's index besides the ratio
    (term x position), the label index, the low-income mask and where a proeftuin pays the loan's interest.
    In numpy this takes some eighty passes over the positions (gathers of nine columns among them); the loop
    makes one."""
    core2, daeb2 = np.asarray(core2, dtype=np.float64), np.asarray(daeb2, dtype=np.float64)
    if not use_compiled(drow.size):
        return _energy_options_numpy(hrow, drow, ep2, floor_area, connected, dtype, built_year, value, savings,
                                     mortgage, loan_col, moved_in_year, income, adults, size, head_age, fact_rows,
                                     lev, prm, core2, daeb2, bounds, curve, type_factor, period_factor, period_starts,
                                     crf_pair)
    n = drow.size
    opt, usable, best = np.empty((2, len(OPTION_FIELDS), n)), np.empty((2, n), dtype=bool), np.empty(n)
    terms, label, low, subsidised = np.empty((5, n)), np.empty(n, dtype=np.int64), np.empty(n, dtype=bool), np.empty(
        n, dtype=bool)
    at, slope, anchor = (np.ascontiguousarray(a, dtype=np.float64) for a in curve)
    _energy_options_loop(hrow, drow, ep2, floor_area, connected, dtype, built_year, value, savings, mortgage,
                         loan_col, moved_in_year, income, adults, size, head_age, fact_rows, lev, prm, core2, daeb2,
                         bounds_tuple(bounds), at, slope, anchor, type_factor, period_factor, period_starts, crf_pair,
                         opt, usable, best, terms, label, low, subsidised)
    return opt, usable, best, terms, label, low, subsidised
