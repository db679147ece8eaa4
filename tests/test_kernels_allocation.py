"""The compiled loops of model/kernels_allocation.py and their numpy fallbacks in model/allocation.py give the
same homes and draw the same random numbers (the generators end in the same state), with ties, NaN values and
budgets, municipalities without homes or without households, and every number of choices."""

from __future__ import annotations

import numpy as np
import pytest

from model import allocation, kernels
from model import kernels_allocation as ka

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


@needs_numba
@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 1000, 70_000])
def test_draws_equal_numpy(n):
    """_random and _permutation draw what Generator.random and Generator.permutation draw, also from a
    generator with a buffered 32-bit half (after an odd number of 32-bit draws), and leave the same state."""
    for warm in (0, 1, 2):
        a, b = np.random.default_rng([5, n, warm]), np.random.default_rng([5, n, warm])
        for rng in (a, b):
            rng.permutation(warm + 1)  # warm 1: one 32-bit draw, half a 64-bit one left in the buffer
        bg = ka.bitgen_address(a)
        got = (ka._random(bg, n), ka._permutation(bg, n), ka._random(bg, 3), ka._permutation(bg, 5))
        want = (b.random(n), b.permutation(n), b.random(3), b.permutation(5))
        for x, y in zip(got, want, strict=True):
            assert x.dtype == y.dtype and np.array_equal(x, y)
        assert a.bit_generator.state == b.bit_generator.state


def _offer(rng, n, n_mun):
    """An Offer of n homes in n_mun municipalities (ascending rows), with ties and NaN in the values, homes
    neither for sale nor to let, and scores with ties and NaN."""
    rows = np.sort(rng.choice(10 * n + 1, n, replace=False)).astype(np.int64)
    value = rng.choice([100_000.0, 150_000.0, 200_000.0], n) + rng.integers(0, 3, n) * 1000.0
    value[rng.random(n) < 0.02] = np.nan
    score = -rng.choice([1000.0, 2000.0, 3000.0, 4000.0], n)
    score[rng.random(n) < 0.02] = np.nan
    kind = rng.integers(0, 5, n)
    return allocation.Offer(rows, rng.integers(0, n_mun, n).astype(np.int8), kind < 2, (kind >= 2) & (kind < 4),
                            value, score)


def _allocate_both(seed, mun_h, budget, offer, share, choices):
    """allocation._allocate through the compiled loop and through numpy: the homes and the generators."""
    out = []
    for compiled in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if not compiled:
                mp.setattr(ka, "use_compiled", lambda n: False)
            muns = np.unique(mun_h)
            rngs = [np.random.default_rng([seed, int(m)]) for m in muns]
            dwelling = np.full(mun_h.size, -1, dtype=np.int64)
            allocation._allocate(rngs, muns, mun_h, budget, offer, share, choices, dwelling)
            out.append((dwelling, [rng.bit_generator.state for rng in rngs]))
    return out


@needs_numba
@pytest.mark.parametrize("seed", range(4))
def test_allocate_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    for n_h, n_homes in ((0, 10), (10, 0), (1, 1), (50, 20), (300, 1000), (1000, 300)):
        offer = _offer(rng, n_homes, 4)
        mun_h = rng.integers(0, 5, n_h).astype(np.int8)  # municipality 4 has no homes
        budget = rng.uniform(50_000, 260_000, n_h)
        budget[rng.random(n_h) < 0.02] = np.nan
        budget[: min(3, n_h)] = 100_000.0  # on a value
        for share in (0.0, 0.6, 1.0):
            for choices in (0, 1, 3):
                (a, a_states), (b, b_states) = _allocate_both(seed, mun_h, budget, offer, share, choices)
                assert a.dtype == b.dtype and np.array_equal(a, b)
                assert a_states == b_states
                assert np.unique(a[a >= 0]).size == (a >= 0).sum()  # one household per home


@needs_numba
def test_allocate_all_homes_nan():
    """A municipality whose homes for sale all have a NaN value: nobody can buy (cheapest is NaN)."""
    rng = np.random.default_rng(9)
    offer = _offer(rng, 200, 2)
    offer.value[:] = np.nan
    mun_h = rng.integers(0, 2, 400).astype(np.int8)
    (a, a_states), (b, b_states) = _allocate_both(9, mun_h, rng.uniform(50_000, 260_000, 400), offer, 0.8, 3)
    assert np.array_equal(a, b) and a_states == b_states
    assert not np.isin(a, offer.rows[offer.for_sale]).any()


@needs_numba
@pytest.mark.parametrize("seed", range(3))
def test_match_equals_numpy(seed):
    """kernels_allocation.match (through match_free) and allocation._match_numpy, with non-contiguous and
    float32 inputs."""
    rng = np.random.default_rng(seed)
    value = (rng.choice([100_000.0, 150_000.0], 600) + rng.integers(0, 3, 600) * 1000.0).astype(np.float32)[::2]
    score = -rng.choice([1000.0, 2000.0, 3000.0], 600)[::2]
    budget = rng.uniform(50_000, 200_000, 400)[::2]
    for choices in (1, 4):
        a_rng, b_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        a = allocation.match_free(a_rng, budget, value, score, choices)
        b = allocation._match_numpy(b_rng, budget, value, score, choices)
        assert a.dtype == b.dtype and np.array_equal(a, b)
        assert a_rng.bit_generator.state == b_rng.bit_generator.state


@needs_numba
def test_homes_on_offer_equals_numpy():
    """allocation.homes_on_offer through the compiled pass and through numpy, on a small region after a year,
    with written-off homes of every owner and fund status, homes sold this year and dead slots."""
    from model.core import HousingModel
    from model.state import CORPORATION_FUND, FUND, FUND_LET_TEMP, VACANT

    m = HousingModel("scenarios/baseline.toml", rng=4, scale=0.05)
    m.step()
    d = m.state.dwellings
    rng = np.random.default_rng(4)
    d.col("status")[rng.random(d.n) < 0.2] = VACANT
    d.col("written_off")[:] = rng.random(d.n) < 0.3
    d.col("owner")[rng.random(d.n) < 0.1] = rng.choice([FUND, CORPORATION_FUND])
    d.col("fund_status")[rng.random(d.n) < 0.2] = FUND_LET_TEMP
    d.col("last_sale_year")[rng.random(d.n) < 0.1] = m.year
    d.remove_rows(np.flatnonzero(d.alive)[::50])
    a = allocation.homes_on_offer(m)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ka, "use_compiled", lambda n: False)
        b = allocation.homes_on_offer(m)
    assert a.rows.size > 100 and a.for_sale.any() and a.for_rent.any()
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
