"""Compiled loops for the in-migration (model.demography.in_migration), each with numpy code as its bit-identical
fallback (see model/kernels.py: ``ZODRENTHE_NUMBA=0`` uses the fallbacks).

- :func:`heads_by_municipality`: the heads of households grouped by municipality (ascending rows within each),
  with their weights by age and household sizes: one pass over the person slots listing the heads, then a
  counting sort of their runs of one municipality. numpy: a mask of five passes, np.flatnonzero, and per
  municipality a compress and four gathers (3.2-3.6 against 1.9 ms in a full-region year).
- :func:`draw_templates`: every municipality's draw of template households, in one call instead of about twenty
  numpy calls per municipality (the weighted mean size, ``_choice``'s cumulative sum and search, the households
  that fit the target, the one of exactly the remaining size). It draws from each municipality's numpy
  Generator through its bit generator's C interface (model/kernels_allocation.py: ``Generator.random`` is one
  ``next_double`` per number), so it gives the same numbers and leaves the generators in the same state as the
  numpy code, and it sums as np.sum does (numpy's pairwise summation; tests/test_kernels_migration.py).
- :func:`template_members` and :func:`copies`: the members of the drawn template households and their incomes
  in one pass over the persons, then the members of the housed ones copied one household after the other
  (numpy: a pass over the persons, gathers, a bincount over all household slots, a stable sort, searches and
  the index arithmetic of the copies; 2.5 -> 1.4 ms on the full region). Above BITMAP_SLOTS household slots
  (national scale) the templates are marked in a bitmap that stays in the cache (_members_loop with by_bits).
- :func:`changed_persons`: for the member index (model.income._MemberIndex.update), the persons whose household
  id, role or alive changed since its copies, in one pass without branches on the data (numpy: some ten passes;
  0.76 -> 0.55 ms on the full region at in_migration, where the index is brought up to date once a year).

In a full-region in_migration (medians over 8 years, on a busy machine) the time outside compiled loops went from
12.6 to 4.7 ms and the time in them from 5.2 to 9.7 ms: 17.8 -> 14.8 ms.
"""

from __future__ import annotations

import numpy as np

from .kernels import njit, use_compiled
from .kernels_allocation import _next_double, bitgen_address
from .state import HEAD

__all__ = ["changed_persons", "copies", "draw_templates", "heads_by_municipality", "template_members"]


def heads_by_municipality(member, hrow_of, role, municipality, age, weight, youngest, size, n_mun):
    """The heads (role HEAD, members of a household: ``member``; ``hrow_of``: the members' household rows) of
    municipalities 0..n_mun-1, grouped by municipality in ascending rows: (start, rows, w, hsize), the heads of
    municipality m at positions start[m]:start[m + 1], with their weights by age (``weight``: per age from
    ``youngest`` on, covering every head's age) and their households' sizes (``size``: per household slot). The
    rows and sizes are int32 (4 bytes a head instead of 8: at national scale, 7.8 million heads, 60 MB less that
    the year's passes write and read and that the first year's heap grows by)."""
    if use_compiled(member.size):
        return _heads_loop(member, hrow_of, role, municipality, age, weight, youngest, size, n_mun)
    rows = np.flatnonzero((role == HEAD) & member)
    mun = municipality.take(rows)
    if rows.size and (int(mun.min()) < 0 or int(mun.max()) >= n_mun):
        rows = rows[(mun >= 0) & (mun < n_mun)]
        mun = municipality.take(rows)
    start = np.zeros(n_mun + 1, dtype=np.int64)
    np.cumsum(np.bincount(mun, minlength=n_mun), out=start[1:])
    rows = rows.take(np.argsort(mun, kind="stable"))
    return (start, rows.astype(np.int32), weight.take(age.take(rows) - youngest),
            size.take(hrow_of.take(rows)).astype(np.int32))


@njit
def _heads_loop(member, hrow_of, role, municipality, age, weight, youngest, size,
                n_mun):  # pragma: no cover - compiled
    """heads_by_municipality: the heads listed in one pass without branches on the data (every row written, the
    position moved on at heads: a branch taken at random for four persons in ten cost more than the pass; two
    bytes read per person), then cut into runs of one municipality (the persons are mostly in municipality
    order: a few dozen runs), counted per municipality from the runs' lengths and written run by run in their
    municipality's place (in a full-region year 1.5-1.6 against 1.7 ms with a count and a write at every head)."""
    n = member.size
    listed = np.empty(n, dtype=np.int32)
    k = 0
    for r in range(n):
        listed[k] = r
        k += (role[r] == HEAD) & member[r]
    run_start, run_mun = np.empty(k + 1, dtype=np.int64), np.empty(k + 1, dtype=np.int64)
    n_runs = 0
    for j in range(k):
        m = np.int64(municipality[listed[j]])
        if n_runs == 0 or m != run_mun[n_runs - 1]:
            run_start[n_runs], run_mun[n_runs] = j, m
            n_runs += 1
    run_start[n_runs] = k
    start = np.zeros(n_mun + 1, dtype=np.int64)
    for q in range(n_runs):
        m = run_mun[q]
        if 0 <= m < n_mun:
            start[m + 1] += run_start[q + 1] - run_start[q]
    for m in range(n_mun):
        start[m + 1] += start[m]
    total = start[n_mun]
    rows, w, sizes = np.empty(total, dtype=np.int32), np.empty(total, dtype=np.float64), np.empty(total, np.int32)
    at = start[:n_mun].copy()
    for q in range(n_runs):
        m = run_mun[q]
        if not 0 <= m < n_mun:
            continue
        i = at[m]
        for j in range(run_start[q], run_start[q + 1]):
            r = listed[j]
            rows[i], w[i], sizes[i] = r, weight[np.int64(age[r]) - youngest], size[hrow_of[r]]
            i += 1
        at[m] = i
    return start, rows, w, sizes


def draw_templates(rngs, targets, lo, hi, w, size):
    """Each municipality's template households (in_migration), as positions into the heads' weights ``w``
    (finite, float64) and their households' sizes ``size`` (integers): municipality g, with the Generator rngs[g],
    a target of targets[g] > 0 persons and its heads at lo[g]:hi[g] (at least one), draws k = ceil(target /
    mean size x 1.2) + 1 heads with replacement with probabilities w / w.sum() (_choice: the cumulative
    sum scaled to end at 1, one uniform each, the first bin to the right), the mean size weighted
    by w as np.average computes it (numpy's pairwise sums of w and of size x w; at least 1); of these it keeps
    the first ones whose sizes add up to at most the target, then, if persons remain, one head whose household
    has exactly that many (the largest weight x uniform, one uniform for each such head, the first of equal
    ones). Returns all municipalities' positions, one municipality after the other, and how many each has.
    Compiled, it draws from each Generator what the numpy code (:func:`_draw_numpy`, municipality by
    municipality) draws."""
    if use_compiled(w.size):
        bgs = np.array([bitgen_address(rng) for rng in rngs], dtype=np.int64)
        return _draw_all(bgs, np.asarray(targets, dtype=np.int64), np.asarray(lo, dtype=np.int64),
                         np.asarray(hi, dtype=np.int64), w, size)
    picks = [_draw_numpy(rng, int(t), w[a:b], size[a:b]) + a
             for rng, t, a, b in zip(rngs, targets, np.asarray(lo).tolist(), np.asarray(hi).tolist(), strict=True)]
    return np.concatenate(picks), np.array([x.size for x in picks], dtype=np.int64)


def _choice(rng, size: int, p: np.ndarray) -> np.ndarray:
    """``rng.choice(p.size, size=size, p=p)`` (with replacement) for valid probabilities ``p``: the same steps
    (the cumulative sum scaled to end at 1, one uniform per draw, the first bin to the right) without its
    checks of ``p`` (three passes over it; the weights here are positive and sum to 1 by construction)."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right").astype(np.int64, copy=False)


def _draw_numpy(rng, target: int, w: np.ndarray, size: np.ndarray) -> np.ndarray:
    """One municipality of draw_templates in numpy (the fallback): positions into its heads' w and size."""
    w_sum = w.sum()
    mean_size = max(1.0, float(np.multiply(size, w).sum() / w_sum))  # the mean size weighted by w as np.average
    k = int(np.ceil(target / mean_size * 1.2)) + 1
    pick = _choice(rng, k, w / w_sum)
    tsize = size.take(pick)
    # the households whose persons fit in the target, then one of exactly the remaining size if any
    k = int(np.searchsorted(np.cumsum(tsize), target, side="right"))
    rest = target - int(tsize[:k].sum())
    pick = pick[:k]
    if rest > 0:
        fits = np.flatnonzero(size == rest)
        if fits.size:
            pick = np.append(pick, fits[np.argmax(w[fits] * rng.random(fits.size))])
    return pick




@njit
def _block_sum(a, lo, n):  # pragma: no cover - compiled
    """numpy's pairwise sum of a[lo:lo + n] for n <= 128: below 8 values in order from 0, else eight interleaved
    partial sums, added in pairs, then the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i]
        i += 1
    return res


@njit
def _pairwise_sum(a, lo, n):  # pragma: no cover - compiled
    """The sum of a[lo:lo + n] as np.sum adds a contiguous float64 array: numpy's pairwise summation, blocks of up
    to 128 values (_block_sum), above that the sum of the two halves (split at a multiple of 8), left + right.
    The recursion walked with a stack of its own (the kernels here are compiled at their first call, which does
    not allow a kernel to call itself)."""
    los, ns = np.empty(128, dtype=np.int64), np.empty(128, dtype=np.int64)
    lefts, stage = np.empty(128, dtype=np.float64), np.empty(128, dtype=np.int64)
    d = 0
    los[0], ns[0], stage[0] = lo, n, 0
    total = 0.0
    while d >= 0:
        if ns[d] > 128:  # split: the left half first
            half = ns[d] // 2
            half -= half % 8
            stage[d] = 1
            d += 1
            los[d], ns[d], stage[d] = los[d - 1], half, 0
            continue
        total = _block_sum(a, los[d], ns[d])
        d -= 1
        while d >= 0:  # hand the sum up: a left half's waits for its right half, a right half's completes the pair
            if stage[d] == 1:
                lefts[d] = total
                stage[d] = 2
                half = ns[d] // 2
                half -= half % 8
                d += 1
                los[d], ns[d], stage[d] = los[d - 1] + half, ns[d - 1] - half, 0
                break
            total = lefts[d] + total
            d -= 1
    return total


@njit
def _draw_all(bgs, targets, lo, hi, w, size):  # pragma: no cover - compiled
    """draw_templates, drawing from the bit generators at the addresses bgs."""
    n_pick = np.zeros(bgs.size, dtype=np.int64)
    parts = []
    for g in range(bgs.size):
        wg, sg = w[lo[g]:hi[g]], size[lo[g]:hi[g]]
        w_sum = _pairwise_sum(wg, 0, wg.size)
        product = np.empty(wg.size, dtype=np.float64)
        for i in range(wg.size):  # np.multiply(size, w): the sizes as float64
            product[i] = np.float64(sg[i]) * wg[i]
        mean_size = _pairwise_sum(product, 0, product.size) / w_sum
        if not mean_size > 1.0:  # max(1.0, mean_size)
            mean_size = 1.0
        target = targets[g]
        k = np.int64(np.ceil(target / mean_size * 1.2)) + 1
        pick = _templates(bgs[g], k, target, wg, w_sum, sg) + lo[g]
        n_pick[g] = pick.size
        parts.append(pick)
    out = np.empty(n_pick.sum(), dtype=np.int64)
    at = 0
    for pick in parts:
        out[at:at + pick.size] = pick
        at += pick.size
    return out, n_pick


@njit
def _templates(bg, k, target, w, wsum, size):  # pragma: no cover - compiled
    """One municipality of draw_templates (its heads' weights w, summing to wsum, and sizes; its k and target),
    drawing from the bit generator at address bg: positions into w."""
    n = w.size
    cdf = w / wsum  # (the divisions in loops of their own, which the compiler vectorises)
    acc = 0.0
    for i in range(n):  # numpy's cumulative sum adds in order
        acc += cdf[i]
        cdf[i] = acc
    cdf /= cdf[n - 1]
    # np.searchsorted(cdf, u, side="right") of each uniform u (how many values are <= u; cdf ascends), found
    # between below[b] and below[b + 1] for u in bucket b = floor(u * nb) of [0, 1): below[b], how many values
    # are <= b / nb (exact: nb a power of 2), a table filled in one pass; then a binary search of a few values
    # instead of about fifteen steps over all of cdf, each a likely cache miss and branch miss
    nb = 1
    while nb < n // 4:
        nb *= 2
    below = np.empty(nb + 1, dtype=np.int64)
    step = 1.0 / nb
    b = 0
    for i in range(n):
        while b <= nb and b * step < cdf[i]:  # the buckets whose edge is below this value: i values are <= it
            below[b] = i
            b += 1
    below[b:] = n
    pick = np.empty(k + 1, dtype=np.int64)
    for t in range(k):
        u = _next_double(bg)
        b = np.int64(u * nb)
        lo, hi = below[b], below[b + 1]
        while lo < hi:
            mid = (lo + hi) >> 1
            if cdf[mid] <= u:
                lo = mid + 1
            else:
                hi = mid
        pick[t] = lo
    # the first households whose persons fit in the target (sizes >= 0: a running sum, as np.cumsum)
    total = 0
    kept = 0
    while kept < k and total + size[pick[kept]] <= target:
        total += size[pick[kept]]
        kept += 1
    rest = target - total
    if rest > 0:
        fits = np.empty(n, dtype=np.int64)  # the heads of households of that size, listed without branches
        n_fits = 0
        for i in range(n):
            fits[n_fits] = i
            n_fits += size[i] == rest
        best, best_v = -1, 0.0
        for f in fits[:n_fits]:
            v = w[f] * _next_double(bg)
            # np.argmax: the first of the largest, or the first NaN
            if best < 0 or (best_v == best_v and (v > best_v or v != v)):
                best, best_v = f, v
        if best >= 0:
            pick[kept] = best
            kept += 1
    return pick[:kept]


#: Household slots above which template_members marks the templates in a bitmap rather than in an index per slot
#: (_members_loop): the index of the full region (176,000 slots, 0.7 MB) stays in the cache
#: and its test is one load (bitmap 1.73 -> 2.09 ms there); that of 20 national copies (3.5 million slots, 14 MB)
#: does not (83 -> 56 ms with the bitmap).
BITMAP_SLOTS = 1 << 21


def template_members(member, hrow_of, income, size, t_hrow, n_slots):
    """The members of the template households (household rows ``t_hrow``, repeats allowed, of ``n_slots``
    slots): (members, t_start, t_count, t_income): each template's members are
    members[t_start[i]:t_start[i] + t_count[i]] (ascending person rows), and its income the sum of its members'
    ``income`` in ascending person rows (as np.bincount over the members adds them). ``member``: the persons who
    belong to a household, ``hrow_of`` their household rows; ``size``: the households' numbers of members (the
    member table's, up to date: the compiled pass lists the members into that much room)."""
    if use_compiled(member.size):
        out = _members_loop(member, hrow_of, income, size, t_hrow, n_slots, n_slots > BITMAP_SLOTS)
        if out[0].size or not t_hrow.size:
            return out
    mark = np.zeros(n_slots, dtype=bool)
    mark[t_hrow] = True
    rows = np.flatnonzero(member & mark.take(hrow_of, mode="clip"))
    mhrow = hrow_of.take(rows)
    income_of = np.bincount(mhrow, weights=income.take(rows), minlength=n_slots)
    order = np.argsort(mhrow, kind="stable")
    members, mhrow = rows.take(order), mhrow.take(order)
    t_start = np.searchsorted(mhrow, t_hrow, side="left")
    return members, t_start, np.searchsorted(mhrow, t_hrow, side="right") - t_start, income_of.take(t_hrow)


_ONE = np.uint64(1)
_M1, _M2, _M4, _H01 = (np.uint64(0x5555555555555555), np.uint64(0x3333333333333333), np.uint64(0x0F0F0F0F0F0F0F0F),
                       np.uint64(0x0101010101010101))


@njit
def _popcount(x):  # pragma: no cover - compiled
    """The number of bits set in the uint64 ``x`` (the SWAR count: a few shifts, masks and a product)."""
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return np.int64((x * _H01) >> np.uint64(56))


@njit
def _template_number(hr, by_bits, slot, bits, before):  # pragma: no cover - compiled
    """The number of the template household at row ``hr``, -1 for a household that is no template: from the index
    per slot, or (``by_bits``) from the bitmap, where a row's number is the marks before it (``before`` counts
    them per word)."""
    if not by_bits:
        return np.int64(slot[hr])
    word = bits[hr >> 6]
    sh = np.uint64(hr & 63)
    if (word >> sh) & _ONE:
        return before[hr >> 6] + _popcount(word & ((_ONE << sh) - _ONE))
    return np.int64(-1)


@njit
def _members_loop(member, hrow_of, income, size, t_hrow, n_slots, by_bits):  # pragma: no cover - compiled
    """template_members: the distinct template households numbered, one pass over the persons listing their
    members (into room for their sizes) with their incomes summed, then the members grouped by household (a
    counting sort). The templates are numbered in order of first appearance in an index per slot, or
    (``by_bits``) marked in a bitmap over the household slots and numbered in ascending rows (one bit a slot:
    1.3 MB for the national stock, which stays in the cache, where the index, 40 MB, was written in full and
    read at every member). Empty arrays where the members do not fit their sizes (the caller then takes the
    numpy code)."""
    n_d = 0
    room = 0
    if by_bits:
        slot = np.empty(0, dtype=np.int32)
        n_words = (n_slots + 63) >> 6
        bits = np.zeros(n_words, dtype=np.uint64)
        for hr in t_hrow:
            bit = _ONE << np.uint64(hr & 63)
            if not bits[hr >> 6] & bit:
                bits[hr >> 6] |= bit
                room += size[hr]
        before = np.empty(n_words, dtype=np.int64)  # the marked rows before each word
        for i in range(n_words):
            before[i] = n_d
            n_d += _popcount(bits[i])
    else:
        bits, before = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        slot = np.full(n_slots, -1, dtype=np.int32)
        for hr in t_hrow:
            if slot[hr] < 0:
                slot[hr] = n_d
                n_d += 1
                room += size[hr]
    listed, of = np.empty(room, dtype=np.int64), np.empty(room, dtype=np.int32)
    income_of = np.zeros(n_d, dtype=np.float64)
    start = np.zeros(n_d + 1, dtype=np.int64)
    k = 0
    for r in range(member.size):
        if member[r]:
            d = _template_number(hrow_of[r], by_bits, slot, bits, before)
            if d >= 0:
                if k == room:
                    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
                listed[k], of[k] = r, d
                k += 1
                income_of[d] += income[r]
                start[d + 1] += 1
    for d in range(n_d):
        start[d + 1] += start[d]
    members = np.empty(k, dtype=np.int64)
    at = start[:n_d].copy()
    for j in range(k):
        d = of[j]
        members[at[d]] = listed[j]
        at[d] += 1
    n = t_hrow.size
    t_start, t_count, t_income = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n)
    for i in range(n):
        d = _template_number(t_hrow[i], by_bits, slot, bits, before)
        t_start[i], t_count[i], t_income[i] = start[d], start[d + 1] - start[d], income_of[d]
    return members, t_start, t_count, t_income


def copies(members, start, count):
    """The members of each template, one template after the other: members[start[i]:start[i] + count[i]]
    concatenated."""
    if use_compiled(members.size):
        return _copies_loop(members, start, count)
    # (np.arange(a, b) for each template, concatenated)
    idx = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(start, count)
    return members.take(idx)


@njit
def _copies_loop(members, start, count):  # pragma: no cover - compiled
    """copies: the runs copied one after the other."""
    out = np.empty(count.sum(), dtype=members.dtype)
    k = 0
    for i in range(start.size):
        for j in range(start[i], start[i] + count[i]):
            out[k] = members[j]
            k += 1
    return out


def changed_persons(hid, role, alive, hid_copy, role_copy, alive_copy, n0):
    """The persons whose household id, role or alive differ from the copies (rows below ``n0``, ascending), then
    those added since (rows n0..hid.size-1), with their household ids, roles and alive: what the member index's
    update (model.income._MemberIndex.update) reads. numpy: three comparisons, two ors, np.flatnonzero, a
    concatenation and three gathers, some ten passes over the persons; the loop: one pass without branches on
    the data (every row written to the list, the position moved on where a column differs), then the gathers."""
    n = hid.size
    if use_compiled(n):
        return _changed_loop(hid, role, alive, hid_copy, role_copy, alive_copy, n0)
    changed = hid[:n0] != hid_copy[:n0]
    changed |= role[:n0] != role_copy[:n0]
    changed |= alive[:n0] != alive_copy[:n0]
    c = np.flatnonzero(changed)
    if n > n0:
        c = np.concatenate([c, np.arange(n0, n)])
    return c, hid.take(c), role.take(c), alive.take(c)


@njit
def _changed_loop(hid, role, alive, hid_copy, role_copy, alive_copy, n0):  # pragma: no cover - compiled
    """changed_persons: the listing pass, the added rows, the gathers."""
    n = hid.size
    c = np.empty(n, dtype=np.int64)
    k = 0
    for r in range(n0):
        c[k] = r
        k += (hid[r] != hid_copy[r]) | (role[r] != role_copy[r]) | (alive[r] != alive_copy[r])
    for r in range(n0, n):
        c[k] = r
        k += 1
    c = c[:k].copy()
    c_hid, c_role, c_alive = np.empty(k, dtype=hid.dtype), np.empty(k, dtype=role.dtype), np.empty(k, np.bool_)
    for i in range(k):
        r = c[i]
        c_hid[i], c_role[i], c_alive[i] = hid[r], role[r], alive[r]
    return c, c_hid, c_role, c_alive
