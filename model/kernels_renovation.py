"""Compiled loops of the maintenance process (model.renovation.maintenance), each with the numpy fallback
that gives bit-identical results (see model/kernels.py: numba when available, ``ZODRENTHE_NUMBA=0`` for
the fallback; tests/test_kernels_renovation.py compares the two).

Maintenance touches every dwelling of the stock every year: numpy makes about 25 passes over the stock
(gathers of five columns, age, decay, condition, gain, probability) before the draw and about 10 after it
(done, new condition, stored condition, written off, counts); each loop here makes one. No transcendental
function is involved (only +, -, *, comparisons and the float32 cast, which numba and numpy round alike).
"""

from __future__ import annotations

import numpy as np

from .kernels import COMPILED, njit
from .state import CORPORATION, OCCUPIED, OWNER_OCCUPIER, PRIVATE_LANDLORD, VACANT


def _decay_numpy(rows, built_year, status, condition, owner, year, base, per_year, vacant_multiplier, restore_share,
                 prob_corporation, prob_private_landlord):
    age = np.maximum(year - built_year.take(rows).astype(np.int64), 0)
    st = status.take(rows)
    decay = (base + per_year * age) * np.where(st == VACANT, vacant_multiplier, 1.0)
    cond = np.clip(condition.take(rows).astype(float) - decay, 0.0, 1.0)
    gain = restore_share * (1.0 - cond)
    own_by = owner.take(rows)
    prob = np.where(own_by == CORPORATION, prob_corporation,
                    np.where(own_by == PRIVATE_LANDLORD, prob_private_landlord, 0.0))
    own = np.flatnonzero((own_by == OWNER_OCCUPIER) & (st == OCCUPIED))
    return cond, gain, prob, own


def _apply_numpy(rows, u, prob, written_off, cond, gain, threshold, condition, municipality, n_mun):
    written = written_off.take(rows)
    done = (u < prob) & ~written  # written-off homes are not maintained
    cond = np.where(done, np.minimum(cond + gain, 1.0), cond)
    stored = cond.astype(condition.dtype)  # what the column holds
    condition[rows] = stored
    newly = ~written & (stored < threshold)  # on the stored (float32) condition
    written_off[np.compress(newly, rows)] = True
    mun = municipality.take(rows)
    return (done, np.bincount(np.compress(done, mun), minlength=n_mun),
            np.bincount(np.compress(newly, mun), minlength=n_mun))


if COMPILED:
    @njit
    def _decay_loop(rows, built_year, status, condition, owner, year, base, per_year, vacant_multiplier,
                    restore_share, prob_corporation, prob_private_landlord, cond, gain, prob,
                    is_own):  # pragma: no cover
        for i in range(rows.size):
            r = rows[i]
            age = year - np.int64(built_year[r])
            if age < 0:
                age = 0
            st = status[r]
            decay = (base + per_year * np.float64(age)) * (vacant_multiplier if st == VACANT else 1.0)
            c = np.float64(condition[r]) - decay
            if c < 0.0:  # np.clip: NaN and -0.0 stay as they are
                c = 0.0
            elif c > 1.0:
                c = 1.0
            cond[i] = c
            gain[i] = restore_share * (1.0 - c)
            ow = owner[r]
            if ow == CORPORATION:
                prob[i] = prob_corporation
            elif ow == PRIVATE_LANDLORD:
                prob[i] = prob_private_landlord
            else:
                prob[i] = 0.0
            is_own[i] = ow == OWNER_OCCUPIER and st == OCCUPIED

    @njit
    def _apply_loop(rows, u, prob, written_off, cond, gain, threshold, condition, municipality, done,
                    n_done, n_newly):  # pragma: no cover
        for i in range(rows.size):
            r = rows[i]
            written = written_off[r]
            go = u[i] < prob[i] and not written
            c = cond[i]
            if go:
                c = c + gain[i]
                if c >= 1.0:  # np.minimum(c, 1.0): NaN stays NaN
                    c = 1.0
                n_done[municipality[r]] += 1
            done[i] = go
            stored = np.float32(c)
            condition[r] = stored
            if not written and stored < threshold:
                written_off[r] = True
                n_newly[municipality[r]] += 1


def _compiled_ok(*columns) -> bool:
    return COMPILED and all(c.flags.c_contiguous for c in columns)


def maintenance_decay(rows, built_year, status, condition, owner, year: int, base: float, per_year: float,
                      vacant_multiplier: float, restore_share: float, prob_corporation: float,
                      prob_private_landlord: float):
    """For the dwellings (rows) of the stock: the condition after a year's decay (float64, clipped to [0, 1]),
    the gain of maintaining, the probability of maintaining of corporations and landlords (0 for the others)
    and the positions of the occupied owner-occupied homes. ``built_year`` .. ``owner``: the dwelling columns."""
    floats = (base, per_year, vacant_multiplier, restore_share, prob_corporation, prob_private_landlord)
    if not (_compiled_ok(rows, built_year, status, condition, owner) and all(type(v) is float for v in floats)
            and condition.dtype == np.float32):
        return _decay_numpy(rows, built_year, status, condition, owner, year, *floats)
    n = rows.size
    cond, gain, prob = np.empty(n), np.empty(n), np.empty(n)
    is_own = np.empty(n, dtype=np.bool_)
    _decay_loop(np.ascontiguousarray(rows, dtype=np.int64), built_year, status, condition, owner, np.int64(year),
                *floats, cond, gain, prob, is_own)
    return cond, gain, prob, np.flatnonzero(is_own)


def maintenance_apply(rows, u, prob, written_off, cond, gain, threshold: float, condition, municipality,
                      n_mun: int):
    """Maintain where the draw ``u`` is below ``prob`` and the home is not written off: the condition gains
    ``gain`` (at most 1); store the condition in the float32 ``condition`` column and write off the homes not
    yet written off whose stored condition is below ``threshold``. Returns (done mask, homes maintained and
    newly written off per municipality)."""
    if not (_compiled_ok(rows, u, prob, written_off, cond, gain, condition, municipality)
            and type(threshold) is float and condition.dtype == np.float32):
        return _apply_numpy(rows, u, prob, written_off, cond, gain, threshold, condition, municipality, n_mun)
    done = np.empty(rows.size, dtype=np.bool_)
    n_done, n_newly = np.zeros(n_mun, dtype=np.int64), np.zeros(n_mun, dtype=np.int64)
    _apply_loop(np.ascontiguousarray(rows, dtype=np.int64), u, prob, written_off, cond, gain,
                np.float32(threshold), condition, municipality, done, n_done, n_newly)
    return done, n_done, n_newly
