"""The compiled loops of model/kernels_stock.py and their numpy fallbacks give identical results on random
inputs with edge cases (NaN conditions and values, types beyond the segments, codes outside the known ones)."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels
from model import kernels_stock as ks
from model.state import new_dwellings

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


def _dwellings(rng, n):
    d = new_dwellings()
    d.add(n, municipality=rng.integers(0, ks.N_MUN, n).astype(np.int8), type=rng.integers(0, 4, n).astype(np.int8),
          status=rng.choice(np.array([0, 1, 2], dtype=np.int8), n, p=[0.7, 0.25, 0.05]),
          owner=rng.integers(-1, 7, n).astype(np.int8), fund_status=rng.integers(-1, 6, n).astype(np.int8))
    return d


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_for_sale_counts(seed):
    rng = np.random.default_rng(seed)
    d = _dwellings(rng, 5000)
    rows = np.sort(rng.choice(d.n, 4000, replace=False)).astype(np.int64)
    got = ks.for_sale_counts(d, rows)
    want = ks._for_sale_counts_numpy(d, rows, d.peek("municipality"), d.peek("type"), d.peek("status"))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    assert got[0].sum() > got[1].sum() > 0
    empty = np.zeros(0, dtype=np.int64)
    assert all(np.array_equal(g, np.zeros(ks.N_MUN * ks.N_SEG)) for g in ks.for_sale_counts(d, empty))
    d.col("type")[rows[:3]] = 4  # beyond the segments of the last municipality: numpy's (longer) counts
    d.col("municipality")[rows[:3]] = ks.N_MUN - 1
    got = ks.for_sale_counts(d, rows)
    want = ks._for_sale_counts_numpy(d, rows, d.peek("municipality"), d.peek("type"), d.peek("status"))
    assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reprice(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    mun = rng.integers(0, ks.N_MUN, n).astype(np.int8)
    typ = rng.integers(-1, 6, n).astype(np.int8)
    status = rng.integers(0, 3, n).astype(np.int8)
    years_vacant = rng.integers(-1, 4, n).astype(np.int16)
    condition = rng.random(n).astype(np.float32)
    condition[rng.random(n) < 0.02] = np.nan
    priced = (condition + rng.normal(0, 0.3, n)).astype(np.float32)
    value = rng.uniform(5e4, 5e5, n)
    value[rng.random(n) < 0.01] = np.nan
    local = rng.normal(0, 0.02, (ks.N_MUN, ks.N_SEG))
    rows = np.sort(rng.choice(n, 4000, replace=False)).astype(np.int64)
    out = []
    for compiled in (True, False):
        p, v = priced.copy(), value.copy()
        args = (rows, mun, typ, status, years_vacant, condition, p, v, local, 1.02, 0.05, 2.5)
        ks.reprice(*args) if compiled else ks._reprice_numpy(*args[:8], local.ravel(), *args[9:])
        out.append((p, v))
    for g, w in zip(*out, strict=True):
        assert g.tobytes() == w.tobytes()
    assert not np.array_equal(out[0][1], value)


@needs_numba
@pytest.mark.parametrize("seed", [0, 1])
def test_group_by_municipality(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    mun = rng.integers(0, ks.N_MUN - 1, 5000).astype(np.int8)  # the last municipality without rows
    rows = np.sort(rng.choice(mun.size, 4000, replace=False)).astype(np.int64)
    got = ks.group_by_municipality(rows, mun)
    with monkeypatch.context() as m:
        m.setattr(ks, "use_compiled", lambda n: False)
        want = ks.group_by_municipality(rows, mun)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and np.array_equal(g, w)
    starts = np.concatenate([[0], got[1][:-1]])
    for m_, (a, b) in enumerate(zip(starts, got[1], strict=True)):
        assert np.array_equal(got[0][a:b], rows[mun[rows] == m_])
    empty = np.zeros(0, dtype=np.int64)
    assert [g.tolist() for g in ks.group_by_municipality(empty, mun)] == [[], [0] * ks.N_MUN]
