"""The compiled loops of model/kernels_demography.py and their numpy fallbacks give identical results on random
inputs and edge cases (dead slots, ages beyond the life table and below zero, NaN rates, care-home rates
multiplied above 1, no persons)."""

from __future__ import annotations

import numpy as np
import pytest

from model import kernels
from model import kernels_demography as kd
from model.streams import Streams

needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


@pytest.fixture(autouse=True)
def _compiled_at_any_size(monkeypatch):
    """The entry points take the compiled loops for every size (not only from kernels.MIN_SIZE elements on)."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)


def _persons(rng, n, n_age=101):
    alive = rng.random(n) < 0.9
    age = rng.integers(-1, n_age + 20, n).astype(np.int16)
    female = rng.random(n) < 0.5
    institution = rng.random(n) < 0.2
    key = rng.integers(-(1 << 62), 1 << 62, n, dtype=np.int64)
    mq = rng.random((2, n_age)) * 0.6
    mq[0, 3] = np.nan
    mq[1, -1] = 1.0
    return alive, age, female, institution, key, mq


@needs_numba
@pytest.mark.parametrize("seed,multiplier", [(0, 2.0), (1, 1.0), (2, 3.5), (3, 0.0)])
def test_deaths_compiled_equals_numpy(seed, multiplier):
    rng = np.random.default_rng(seed)
    args = _persons(rng, 20_000)
    s0, s1 = Streams(seed).salts("mortality", 2030)
    got = kd.deaths(*args, multiplier, s0, s1)
    expected = kd._deaths_numpy(*args, multiplier, s0, s1)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert 0 < got.size < args[0].sum()


def test_deaths_draws_the_streams_uniforms():
    # the same rule as the numpy code of mortality: uniform_by_key < q
    rng = np.random.default_rng(7)
    alive, age, female, institution, key, mq = _persons(rng, 5_000)
    streams = Streams(11)
    got = kd.deaths(alive, age, female, institution, key, mq, 2.0, *streams.salts("mortality", 2025))
    rows = np.flatnonzero(alive)
    a = age[rows]
    q = mq[female[rows].astype(np.int64), np.minimum(a, mq.shape[1] - 1)]
    home = institution[rows] & (a >= 65)
    q[home] = np.minimum(q[home] * 2.0, 1.0)
    assert np.array_equal(got, rows[streams.uniform_by_key("mortality", 2025, key[rows]) < q])


def test_deaths_edge_cases():
    rng = np.random.default_rng(3)
    alive, age, female, institution, key, mq = _persons(rng, 10)
    s0, s1 = Streams(1).salts("mortality", 2020)
    nobody = [np.zeros(0, dtype=x.dtype) for x in (alive, age, female, institution, key)]
    assert kd.deaths(*nobody, mq, 2.0, s0, s1).size == 0
    assert kd.deaths(np.zeros(10, dtype=bool), age, female, institution, key, mq, 2.0, s0, s1).size == 0
    # certain death everywhere: every alive person, in row order
    assert np.array_equal(kd.deaths(alive, age, female, institution, key, np.ones_like(mq), 2.0, s0, s1),
                          np.flatnonzero(alive))
    # an age below the table's negative indexing: ignored in a dead slot, raises in both paths where alive
    alive[1], age[1] = False, -500
    assert np.array_equal(kd.deaths(alive, age, female, institution, key, mq, 2.0, s0, s1),
                          kd._deaths_numpy(alive, age, female, institution, key, mq, 2.0, s0, s1))
    age[np.flatnonzero(alive)[0]] = -500
    with pytest.raises(IndexError):
        kd.deaths(alive, age, female, institution, key, mq, 2.0, s0, s1)
    with pytest.raises(IndexError):
        kd._deaths_numpy(alive, age, female, institution, key, mq, 2.0, s0, s1)


def test_salts_are_those_of_uniform_by_key():
    streams = Streams(5)
    keys = np.arange(-3, 100, dtype=np.int64)
    for sub in (0, 1, 7):
        assert np.array_equal(kernels.hash_uniform(keys, *streams.salts("out_migration", 2031, sub)),
                              streams.uniform_by_key("out_migration", 2031, keys, sub))


@needs_numba
@pytest.mark.parametrize("seed,share", [(0, 0.01), (1, 0.5), (2, 0.0), (3, 1.0)])
def test_members_of_compiled_equals_numpy(seed, share):
    rng = np.random.default_rng(seed)
    n, n_ids = 20_000, 9_000
    alive = rng.random(n) < 0.9
    hid = rng.integers(-1, n_ids, n)
    mask = np.zeros(n_ids + 1, dtype=bool)
    mask[:-1] = rng.random(n_ids) < share
    got = kd.members_of(alive, hid, mask)
    expected = np.flatnonzero(mask[hid] & alive)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    kernels.MIN_SIZE = 10 ** 9  # (the fixture restores it) the numpy fallback, before numba is loaded
    loaded, kernels._LOADED[0] = kernels._LOADED[0], False
    try:
        assert np.array_equal(kd.members_of(alive, hid, mask), expected)
    finally:
        kernels._LOADED[0] = loaded


def test_members_of_edge_cases():
    mask = np.array([False, True, False])  # ids 0 and 1; the last slot stands for -1
    none = np.zeros(0, dtype=np.int64)
    assert kd.members_of(np.zeros(0, dtype=bool), none, mask).size == 0
    alive = np.array([True, True, False, True])
    hid = np.array([-1, 1, 1, 0])
    assert kd.members_of(alive, hid, mask).tolist() == [1]


@needs_numba
@pytest.mark.parametrize("seed,rates", [(0, (0.012, 0.07)), (1, (0.5, 0.9)), (2, (0.0, 0.0)), (3, (1.0, 1.0)),
                                        (4, (np.nan, 0.3))])
def test_care_moves_compiled_equals_numpy(seed, rates):
    rng = np.random.default_rng(seed)
    alive, age, _, institution, key, _ = _persons(rng, 20_000)
    s0, s1 = Streams(seed).salts("care", 2030)
    got = kd.care_moves(alive, age, institution, key, *rates, s0, s1)
    expected = kd._care_moves_numpy(alive, age, institution, key, *rates, s0, s1)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    candidates = np.flatnonzero(alive & (age >= 75) & ~institution)
    if rates[0] == rates[1] == 1.0:
        assert np.array_equal(got, candidates)
    elif rates[1] == 0.0:
        assert got.size == 0


def test_care_moves_draw_the_streams_uniforms():
    # the rule of the numpy code of care: uniform_by_key < the rate of the age band, among the alive 75+ at home
    rng = np.random.default_rng(8)
    alive, age, _, institution, key, _ = _persons(rng, 5_000)
    streams = Streams(12)
    got = kd.care_moves(alive, age, institution, key, 0.2, 0.6, *streams.salts("care", 2027))
    rows = np.flatnonzero(alive & (age >= 75) & ~institution)
    rate = np.where(age[rows] >= 85, 0.6, 0.2)
    assert np.array_equal(got, rows[streams.uniform_by_key("care", 2027, key[rows]) < rate])
    nobody = [np.zeros(0, dtype=x.dtype) for x in (alive, age, institution, key)]
    assert kd.care_moves(*nobody, 0.2, 0.6, 1, 2).size == 0


@needs_numba
@pytest.mark.parametrize("n", [kd._CHUNK - 1, kd._CHUNK, kd._CHUNK + 1, 3 * kd._CHUNK + 17])
def test_care_moves_at_the_chunk_bounds(n):
    # all persons 75+ at home and moving (rates 1): the loop lists every one, chunk by chunk, in order
    alive, institution = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    age, key = np.full(n, 80, dtype=np.int16), np.arange(n, dtype=np.int64)
    assert kd.care_moves(alive, age, institution, key, 1.0, 1.0, 1, 2).tolist() == list(range(n))
    alive[-1] = False  # the last slot, at the end of its chunk or alone in it
    assert kd.care_moves(alive, age, institution, key, 1.0, 1.0, 1, 2).tolist() == list(range(n - 1))


def _members(rng, n, n_ids):
    alive = rng.random(n) < 0.9
    hid = rng.integers(-1, n_ids, n)
    role = rng.integers(-1, 3, n).astype(np.int8)
    age = rng.integers(-3, 120, n).astype(np.int16)
    key = rng.integers(-(1 << 62), 1 << 62, n, dtype=np.int64)
    municipality = rng.integers(0, 6, n).astype(np.int8)
    return alive, hid, role, age, key, municipality


_DRAWN_CASES = [  # (want_role, table shape, keyword arguments)
    (2, (1, 76), dict(min_age=18)),  # adult children, rates by age
    (1, (1, 1), dict()),  # one rate
    (0, (1, 1), dict(min_age=20, max_age=64)),
    (2, (6, 1), dict(min_age=18)),  # leave_home
    (2, (6, 30), dict(min_age=-2, max_age=200)),  # both, ages clipped at both ends
]


@needs_numba
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("want_role,table_shape,options", _DRAWN_CASES)
def test_persons_drawn_compiled_equals_numpy(seed, want_role, table_shape, options):
    rng = np.random.default_rng(seed)
    alive, _, role, age, key, municipality = _members(rng, 20_000, 7_000)
    table = rng.random(table_shape)
    if table.size > 1:
        table.flat[0] = np.nan
    columns = alive, role, age, key, municipality
    s0, s1 = Streams(seed).salts("leave_home", 2030)
    got = kd.persons_drawn(*columns, want_role, table, s0, s1, **options)
    expected = kd._drawn_numpy(*columns, want_role, options.get("min_age", -(1 << 15)),
                               options.get("max_age", (1 << 15) - 1), table, s0, s1)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert 0 < got.size


def test_persons_drawn_draw_the_streams_uniforms():
    # the rule of the numpy code of leave_home: the adult children's uniforms below their municipality's rate
    rng = np.random.default_rng(9)
    alive, _, role, age, key, municipality = _members(rng, 5_000, 2_000)
    rate = rng.random(6)
    streams = Streams(13)
    got = kd.persons_drawn(alive, role, age, key, municipality, 2, rate[:, None], *streams.salts("leave_home", 2028),
                           min_age=18)
    kids = np.flatnonzero(alive & (role == 2) & (age >= 18))
    assert np.array_equal(got, kids[streams.uniform_by_key("leave_home", 2028, key[kids]) < rate[municipality[kids]]])
    # one rate of 1: every person selected, in row order; of 0: nobody
    assert np.array_equal(kd.persons_drawn(alive, role, age, key, municipality, 2, np.ones((1, 1)), 1, 2, min_age=18),
                          kids)
    assert kd.persons_drawn(alive, role, age, key, municipality, 2, np.zeros((1, 1)), 1, 2).size == 0
    nobody = [np.zeros(0, dtype=x.dtype) for x in (alive, role, age, key, municipality)]
    assert kd.persons_drawn(*nobody, 2, np.ones((1, 1)), 1, 2).size == 0


@needs_numba
@pytest.mark.parametrize("n", [kd._CHUNK - 1, kd._CHUNK, kd._CHUNK + 1, 3 * kd._CHUNK + 17])
def test_drawn_loops_at_the_chunk_bounds(n):
    # everyone selected and drawn (rates 1): every loop lists them all, chunk by chunk, in order
    alive, hid, role = np.ones(n, dtype=bool), np.arange(n), np.full(n, 2, dtype=np.int8)
    age, key, municipality = np.full(n, 30, dtype=np.int16), np.arange(n, dtype=np.int64), np.zeros(n, np.int8)
    assert kd.persons_drawn(alive, role, age, key, municipality, 2, np.ones((1, 1)), 1, 2).tolist() == list(range(n))
    role[1::2] = 0  # heads and children alternating
    heads, kids = kd.out_migrants(alive, hid, role, age, key, np.ones(76), (1, 2), (3, 4), np.arange(n), key)
    assert heads.tolist() == list(range(1, n, 2)) and kids.tolist() == list(range(0, n, 2))
    assert kd.single_heads_drawn(alive, hid, role, age, key, 1.0, 1, 2, n).tolist() == list(range(1, n, 2))
    role[-1] = 1  # the last person a partner in the household of the first head (marked after it was listed)
    hid[-1] = 1
    assert kd.single_heads_drawn(alive, hid, role, age, key, 1.0, 1, 2, n).tolist() == list(range(3, n - 1, 2))


@needs_numba
@pytest.mark.parametrize("seed,rate", [(0, 0.3), (1, 1.0), (2, 0.0), (3, np.nan)])
def test_single_heads_drawn_compiled_equals_numpy(seed, rate):
    rng = np.random.default_rng(seed)
    alive, hid, role, age, key, _ = _members(rng, 20_000, 6_000)
    s0, s1 = Streams(seed).salts("partnership", 2030)
    got = kd.single_heads_drawn(alive, hid, role, age, key, rate, s0, s1, 6_000)
    expected = kd._single_heads_numpy(alive, hid, role, age, key, rate, s0, s1, 6_000)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert (got.size > 0) == (rate > 0)


def test_single_heads_drawn_draw_the_streams_uniforms():
    # the rule of the numpy code of partnership: heads 20-64 of a household without a partner, uniform < rate
    rng = np.random.default_rng(12)
    alive, hid, role, age, key, _ = _members(rng, 5_000, 1_500)
    streams = Streams(16)
    got = kd.single_heads_drawn(alive, hid, role, age, key, 0.4, *streams.salts("partnership", 2027), 1_500)
    member = alive & (hid >= 0)
    partnered = set(hid[member & (role == 1)].tolist())
    heads = np.array([r for r in np.flatnonzero(member & (role == 0) & (age >= 20) & (age <= 64))
                      if hid[r] not in partnered], dtype=np.int64)
    assert np.array_equal(got, heads[streams.uniform_by_key("partnership", 2027, key[heads]) < 0.4])
    nobody = [np.zeros(0, dtype=x.dtype) for x in (alive, hid, role, age, key)]
    assert kd.single_heads_drawn(*nobody, 0.4, 1, 2, 10).size == 0


def _women(rng, n):
    alive, age, female, institution, key, _ = _persons(rng, n, 60)
    age = rng.integers(-2, 110, n).astype(np.int16)
    rate = rng.random(101) * 0.3
    rate[20] = np.nan
    return alive, female, institution, age, key, rate


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_births_compiled_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    args = _women(rng, 20_000)
    s0, s1 = Streams(seed).salts("fertility", 2030)
    got = kd.births(*args, s0, s1)
    expected = kd._births_numpy(*args, s0, s1)
    assert got.dtype == expected.dtype and np.array_equal(got, expected) and got.size > 0


def test_births_draw_the_streams_uniforms():
    # the rule of the numpy code of fertility: uniform_by_key < the rate of the age, among women 15-49 at home
    rng = np.random.default_rng(10)
    alive, female, institution, age, key, rate = _women(rng, 5_000)
    streams = Streams(14)
    got = kd.births(alive, female, institution, age, key, rate, *streams.salts("fertility", 2026))
    rows = np.flatnonzero(alive & female & ~institution & (age >= 15) & (age <= 49))
    assert np.array_equal(got, rows[streams.uniform_by_key("fertility", 2026, key[rows]) < rate[age[rows]]])
    nobody = [np.zeros(0, dtype=x.dtype) for x in (alive, female, institution, age, key)]
    assert kd.births(*nobody, rate, 1, 2).size == 0


def _out_migrants_args(rng, n, n_ids):
    alive, hid, role, age, key, _ = _members(rng, n, n_ids)
    by_age = rng.random(76) * 0.2
    by_age[:18] = 0.0
    by_age[40] = np.nan
    row_of = rng.permutation(n_ids + 5)[:n_ids]  # (ids -1 are not members: never read)
    household_key = rng.integers(-(1 << 62), 1 << 62, n_ids + 5, dtype=np.int64)
    return alive, hid, role, age, key, by_age, row_of, household_key


@needs_numba
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_out_migrants_compiled_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    alive, hid, role, age, key, by_age, row_of, household_key = _out_migrants_args(rng, 20_000, 7_000)
    streams = Streams(seed)
    salts = streams.salts("out_migration", 2030), streams.salts("out_migration", 2030, 1)
    got = kd.out_migrants(alive, hid, role, age, key, by_age, *salts, row_of, household_key)
    expected = kd._out_migrants_numpy(alive, hid, role, age, key, by_age, *salts, row_of, household_key)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype and np.array_equal(g, e) and g.size > 0


def test_out_migrants_draw_the_streams_uniforms():
    # the rule of the numpy code of out_migration: heads draw from their household's key, adult children from
    # their own, below the probability of their age
    rng = np.random.default_rng(11)
    alive, hid, role, age, key, by_age, row_of, household_key = _out_migrants_args(rng, 5_000, 2_000)
    streams = Streams(15)
    heads, kids = kd.out_migrants(alive, hid, role, age, key, by_age, streams.salts("out_migration", 2029),
                                  streams.salts("out_migration", 2029, 1), row_of, household_key)
    member = alive & (hid >= 0)
    all_heads = np.flatnonzero(member & (role == 0))
    u = streams.uniform_by_key("out_migration", 2029, household_key[row_of[hid[all_heads]]])
    assert np.array_equal(heads, all_heads[u < by_age[np.clip(age[all_heads], 0, 75)]])
    all_kids = np.flatnonzero(member & (role == 2) & (age >= 18))
    u = streams.uniform_by_key("out_migration", 2029, key[all_kids], 1)
    assert np.array_equal(kids, all_kids[u < by_age[np.clip(age[all_kids], 0, 75)]])
    nobody = [np.zeros(0, dtype=x.dtype) for x in (alive, hid, role, age, key)]
    assert all(rows.size == 0 for rows in kd.out_migrants(*nobody, by_age, (1, 2), (3, 4), row_of, household_key))
