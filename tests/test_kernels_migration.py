"""The compiled loops of model/kernels_migration.py give what their numpy code gives: the heads grouped by
municipality, and the template draws of in_migration (the same picks, and the generator left in the same state)."""

from __future__ import annotations

import numpy as np
import pytest

from model import demography, kernels
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


def _templates_numpy(rng, k, target, w, w_sum, size):
    """The numpy code of in_migration that kernels_migration.templates replaces."""
    pick = demography._choice(rng, k, w / w_sum)
    tsize = size.take(pick)
    k = int(np.searchsorted(np.cumsum(tsize), target, side="right"))
    rest = target - int(tsize[:k].sum())
    pick = pick[:k]
    if rest > 0:
        fits = np.flatnonzero(size == rest)
        if fits.size:
            pick = np.append(pick, fits[np.argmax(w[fits] * rng.random(fits.size))])
    return pick


@needs_numba
@pytest.mark.parametrize("seed", range(6))
def test_templates_equal_numpy(seed):
    """The same picks and the same generator state afterwards, with weights with ties and of very different
    sizes, targets that the draws overshoot or not, remainders with and without a household of that size."""
    rng = np.random.default_rng(seed)
    for n in (1, 2, 5, 40, 3000, 4096):
        w = rng.choice([1e-9, 0.5, 1.0, 2.0], n) * rng.choice([1.0, 1.0, 3.7], n)
        w[rng.random(n) < 0.3] = 1.0  # ties
        if n == 4096:
            w[:] = 1.0  # the cumulative probabilities on the edges of the search's buckets
        for sizes in ((1,), (1, 2), (2, 3), (1, 2, 3, 4, 5, 6)):
            size = rng.choice(sizes, n).astype(np.int64)
            for target in (1, 2, 7, 50, 999):
                w_sum = w.sum()
                mean_size = max(1.0, float(np.multiply(size, w).sum() / w_sum))
                k = int(np.ceil(target / mean_size * rng.choice([0.3, 1.2]))) + 1
                a, b = np.random.default_rng([seed, n, target]), np.random.default_rng([seed, n, target])
                got, want = km.templates(a, k, target, w, w_sum, size), _templates_numpy(b, k, target, w, w_sum, size)
                assert got.dtype == want.dtype and np.array_equal(got, want)
                assert a.bit_generator.state == b.bit_generator.state


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
