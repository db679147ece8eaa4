"""The compiled loops of model/kernels_migration.py give what their numpy code gives: the heads grouped by
municipality, and the template draws of in_migration (the same picks, and the generator left in the same state)."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels
from model import kernels_migration as km
from model.state import HEAD, NO_HOUSEHOLD

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


def _persons(rng, n, n_mun, slots):
    """n persons: household rows (-1 for those without a household), roles, municipalities (some outside
    0..n_mun-1 where n_mun > 1), ages (int16), and the households' sizes (int64, per slot)."""
    hrow_of = rng.integers(-1, slots, n).astype(np.int64)
    role = rng.integers(NO_HOUSEHOLD, 3, n).astype(np.int8)
    mun = np.sort(rng.integers(0, n_mun, n)).astype(np.int8)  # mostly in order, as in the model
    moved = rng.random(n) < 0.1
    mun[moved] = rng.integers(0, n_mun, int(moved.sum()))
    if n_mun > 1 and n:
        mun[rng.integers(0, n, 2)] = n_mun  # no such municipality
    age = rng.integers(3, 105, n).astype(np.int16)
    size = rng.integers(1, 7, max(slots, 1)).astype(np.int64)
    return hrow_of, role, mun, age, size


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 2, 17, 1000, 50_000])
def test_heads_by_municipality_equals_numpy(monkeypatch, n):
    rng = np.random.default_rng(n)
    for n_mun in (1, 6):
        hrow_of, role, mun, age, size = _persons(rng, n, n_mun, max(n // 2, 1))
        weight = rng.random(110)
        args = (hrow_of >= 0, hrow_of, role, mun, age, weight, 2, size, n_mun)
        got = km.heads_by_municipality(*args)
        with monkeypatch.context() as mp:
            mp.setattr(km, "use_compiled", lambda n: False)
            want = km.heads_by_municipality(*args)
        for x, y in zip(got, want, strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y)
        start, rows, w, hsize = want
        assert start[0] == 0 and start[-1] == rows.size
        for m in range(n_mun):  # each municipality's heads, ascending, with their weights and household sizes
            sel = np.flatnonzero((role == HEAD) & (hrow_of >= 0) & (mun == m))
            assert np.array_equal(rows[start[m]:start[m + 1]], sel)
        assert np.array_equal(w, weight[age[rows] - 2]) and np.array_equal(hsize, size[hrow_of[rows]])


@needs_numba
@pytest.mark.parametrize("seed", range(4))
def test_draw_templates_equal_numpy(seed):
    """The same picks and the same generator states afterwards, for municipalities of 1 to 4096 heads with
    weights with ties and of very different sizes (and equal ones: cumulative probabilities on the edges of the
    search's buckets), targets that the draws overshoot or not, remainders with and without a household of that
    size."""
    rng = np.random.default_rng(seed)
    for sizes in ((1,), (1, 2), (2, 3), (1, 2, 3, 4, 5, 6)):
        n_heads = [1, 2, 5, 40, 3000, 4096]
        w = np.concatenate([rng.choice([1e-9, 0.5, 1.0, 2.0], n) * rng.choice([1.0, 1.0, 3.7], n) for n in n_heads])
        w[rng.random(w.size) < 0.3] = 1.0  # ties
        w[-4096:] = 1.0
        size = rng.choice(sizes, w.size).astype(np.int64)
        hi = np.cumsum(n_heads)
        lo = hi - n_heads
        targets = rng.choice([1, 2, 7, 50, 999, 5000], len(n_heads))
        a = [np.random.default_rng([seed, g, len(sizes)]) for g in range(len(n_heads))]
        b = [np.random.default_rng([seed, g, len(sizes)]) for g in range(len(n_heads))]
        pick, n_pick = km.draw_templates(a, targets, lo, hi, w, size)
        want = [km._draw_numpy(rng_b, int(t), w[x:y], size[x:y]) + x
                for rng_b, t, x, y in zip(b, targets, lo, hi, strict=True)]
        assert pick.dtype == np.int64 and np.array_equal(pick, np.concatenate(want))
        assert np.array_equal(n_pick, [x.size for x in want])
        assert [g.bit_generator.state for g in a] == [g.bit_generator.state for g in b]


@needs_numba
def test_pairwise_sum_is_numpys():
    """_pairwise_sum adds as np.sum does, to the bit, at every length around numpy's block sizes and beyond."""
    rng = np.random.default_rng(7)
    for n in [*range(0, 300), 1000, 4097, 8191, 8192, 8193, 23_456, 100_001]:
        a = rng.random(n) * rng.choice([1e-9, 1.0, 1e6], n)
        assert km._pairwise_sum(a, 0, n) == a.sum()
        if n > 3:
            assert km._pairwise_sum(a, 3, n - 3) == a[3:].sum()


def test_person_members_are_the_members():
    """income.person_members: alive with a household, per person slot, after changes to the persons."""
    from model.core import HousingModel
    from model.income import person_household_rows, person_members

    m = HousingModel("scenarios/baseline.toml", rng=2, scale=0.02)
    for _ in range(2):
        p = m.state.persons
        member = person_members(m.state)
        assert member.dtype == np.bool_ and not member.flags.writeable
        assert np.array_equal(member, p.peek("alive") & (p.peek("household_id") >= 0))
        assert np.array_equal(member, person_household_rows(m.state) >= 0)
        m.step()


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 17, 1000, 50_000])
@pytest.mark.parametrize("bitmap", [False, True])
def test_template_members_equal_numpy(monkeypatch, n, bitmap):
    """The members of each template household (repeats, households without other members, none at all) and
    their incomes, then their copies for some of the templates, as numpy finds them; the templates marked in an
    index per slot or in a bitmap (_members_loop with by_bits, above BITMAP_SLOTS slots)."""
    if bitmap:
        monkeypatch.setattr(km, "BITMAP_SLOTS", 0)
    rng = np.random.default_rng(n)
    slots = max(n // 3, 1)
    hrow_of = np.where(rng.random(n) < 0.1, -1, np.sort(rng.integers(0, slots, n)))
    hrow_of[rng.random(n) < 0.05] = rng.integers(0, slots)  # out of household order
    member = hrow_of >= 0
    size = np.bincount(hrow_of[member], minlength=slots).astype(np.int64)
    income = rng.choice([0.0, 1e4, 2.5e4, 3.3e4], n) * rng.random(n)
    for n_t in (0, 1, 5, 300):
        t_hrow = rng.choice(np.flatnonzero(size), n_t) if size.any() else np.zeros(0, np.int64)
        got = km.template_members(member, hrow_of, income, size, t_hrow, slots)
        with monkeypatch.context() as mp:
            mp.setattr(km, "use_compiled", lambda n: False)
            want = km.template_members(member, hrow_of, income, size, t_hrow, slots)
        housed = rng.random(t_hrow.size) < 0.7
        copies = []
        for members, t_start, t_count, _ in (got, want):
            assert np.array_equal(t_count, size.take(t_hrow))
            copies.append(km.copies(members, t_start[housed], t_count[housed]))
        assert np.array_equal(got[3], want[3])  # the incomes, to the bit
        with monkeypatch.context() as mp:
            mp.setattr(km, "use_compiled", lambda n: False)
            copies.append(km.copies(want[0], want[1][housed], want[2][housed]))
        assert all(c.dtype == np.int64 and np.array_equal(c, copies[0]) for c in copies)
        for i in np.flatnonzero(housed)[:20]:  # each template's copies are its household's members, ascending
            rows = got[0][got[1][i]:got[1][i] + got[2][i]]
            assert np.array_equal(rows, np.flatnonzero(member & (hrow_of == t_hrow[i])))


@needs_numba
@pytest.mark.parametrize("bitmap", [False, True])
def test_template_members_fall_back_where_the_sizes_are_short(monkeypatch, bitmap):
    """The compiled pass lists the members into room for the households' sizes; where they do not fit (a stale
    size), the numpy code gives the members."""
    if bitmap:
        monkeypatch.setattr(km, "BITMAP_SLOTS", 0)
    hrow_of = np.array([0, 0, 1, 1, 1], dtype=np.int64)
    member = hrow_of >= 0
    got = km.template_members(member, hrow_of, np.ones(5), np.array([2, 1]), np.array([1, 0]), 2)
    assert np.array_equal(km.copies(got[0], got[1], got[2]), [2, 3, 4, 0, 1])


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 17, 50_000])
def test_changed_persons_equal_numpy(monkeypatch, n):
    """The persons whose household id, role or alive changed since the copies (in one of them, several, none),
    then those added, with their columns, as numpy finds them."""
    rng = np.random.default_rng(n)
    hid = rng.integers(-1, max(n, 1), n)
    role = rng.integers(NO_HOUSEHOLD, 3, n).astype(np.int8)
    alive = rng.random(n) < 0.9
    for n0 in {0, n // 2, n}:
        copies = [hid.copy(), role.copy(), alive.copy()]
        for copy in copies:
            changed = rng.random(n0) < 0.05
            copy[:n0][changed] = np.roll(copy[:n0], 1)[changed] if copy.dtype != np.bool_ else ~copy[:n0][changed]
        got = km.changed_persons(hid, role, alive, *copies, n0)
        with monkeypatch.context() as mp:
            mp.setattr(km, "use_compiled", lambda n: False)
            want = km.changed_persons(hid, role, alive, *copies, n0)
        for x, y in zip(got, want, strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y)
        assert np.array_equal(got[0][got[0] >= n0], np.arange(n0, n))
