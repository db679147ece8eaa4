"""EntityTable: stable ids, the id -> row lookup, compaction."""

from __future__ import annotations

import numpy as np
import pytest

from model import entities, kernels
from model.entities import KEY_BITS, EntityTable


def table(capacity: int = 16) -> EntityTable:
    return EntityTable("things", {"value": np.int64, "weight": np.float64}, capacity=capacity)


def test_add_returns_consecutive_ids_and_values():
    t = table()
    a = t.add(3, value=[10, 11, 12], weight=0.5)
    b = t.add(2, value=7)
    assert a.tolist() == [0, 1, 2] and b.tolist() == [3, 4]
    assert t.value.tolist() == [10, 11, 12, 7, 7]
    assert t.weight.tolist() == [0.5, 0.5, 0.5, 0.0, 0.0]  # unset columns start at 0
    assert t.count() == 5 and t.n == 5
    assert t.rows(b).tolist() == [3, 4]
    assert t.add(0).size == 0
    t.check()


def test_add_unknown_column_raises():
    with pytest.raises(KeyError, match="colour"):
        table().add(1, colour=3)


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="colour"):
        _ = table().colour


def test_growth_beyond_capacity_keeps_values_and_lookup():
    t = table(capacity=16)
    ids = t.add(10, value=np.arange(10))
    more = t.add(100, value=np.arange(100, 200))
    assert t.n == 110
    assert t.value[t.rows(ids)].tolist() == list(range(10))
    assert t.value[t.rows(more)].tolist() == list(range(100, 200))
    t.check()


def test_remove_keeps_ids_and_rows_until_compaction():
    t = table()
    ids = t.add(8, value=np.arange(8))
    t.remove_rows(t.rows(ids[[1, 4]]))
    assert t.count() == 6 and t.n == 8
    assert t.alive_rows().tolist() == [0, 2, 3, 5, 6, 7]
    t.check()
    new = t.add(1, value=99)
    assert new.tolist() == [8]  # ids are never reused


def test_compaction_keeps_order_ids_and_lookup():
    t = table()
    ids = t.add(10, value=np.arange(10) * 10)
    dead = ids[[0, 3, 4, 8]]
    t.remove_rows(t.rows(dead))
    alive_ids_before = t.id[t.alive_rows()].tolist()
    assert t.compact() is True
    assert t.n == 6 and t.count() == 6
    assert t.id.tolist() == alive_ids_before  # order of the alive rows kept
    assert t.value.tolist() == [10, 20, 50, 60, 70, 90]
    assert t.alive.all()
    t.check()
    survivors = np.setdiff1d(ids, dead)
    assert t.value[t.rows(survivors)].tolist() == (survivors * 10).tolist()
    assert (t.row_of[dead] == -1).all()
    with pytest.raises(KeyError):
        t.rows(dead[:1])
    # new entities after compaction get fresh ids and correct rows
    new = t.add(2, value=[1, 2])
    assert new.tolist() == [10, 11]
    assert t.value[t.rows(new)].tolist() == [1, 2]
    t.check()


def test_compaction_below_threshold_does_nothing():
    t = table()
    ids = t.add(10)
    t.remove_rows(t.rows(ids[:2]))  # 20 % dead < 25 %
    assert t.compact() is False
    assert t.n == 10
    assert t.compact(min_dead_share=0.1) is True
    assert t.n == 8
    t.check()


def test_compaction_of_everything_dead():
    t = table()
    ids = t.add(5)
    t.remove_rows(t.rows(ids))
    assert t.compact() is True
    assert t.n == 0 and t.count() == 0
    assert (t.row_of[ids] == -1).all()
    assert table().compact() is False  # empty table


def test_column_views_write_through():
    t = table()
    ids = t.add(4)
    t.col("value")[t.rows(ids[2:])] = 5
    assert t.value.tolist() == [0, 0, 5, 5]


def test_check_detects_a_broken_lookup():
    t = table()
    t.add(4)
    t.row_of[2] = 0
    with pytest.raises(AssertionError, match="row_of"):
        t.check()


def test_random_operations_against_a_reference():
    """A long random sequence of add / remove / compact, compared with a dict id -> value after each step."""
    rng = np.random.default_rng(12345)
    t = table(capacity=16)
    ref: dict[int, int] = {}
    for step in range(400):
        op = rng.integers(3)
        if op == 0 or not ref:
            k = int(rng.integers(1, 40))
            vals = rng.integers(0, 10**6, k)
            for i, v in zip(t.add(k, value=vals).tolist(), vals.tolist(), strict=True):
                assert i not in ref
                ref[i] = v
        elif op == 1:
            alive = np.array(sorted(ref))
            gone = rng.choice(alive, size=int(rng.integers(1, alive.size + 1)), replace=False)
            t.remove_rows(t.rows(gone))
            for i in gone.tolist():
                del ref[i]
        else:
            before = t.id[t.alive_rows()].tolist()
            t.compact(min_dead_share=float(rng.random()))
            assert t.id[t.alive_rows()].tolist() == before, f"step {step}: compaction reordered rows"
        t.check()
        ids = np.array(sorted(ref), dtype=np.int64)
        assert t.count() == len(ref)
        assert sorted(t.id[t.alive_rows()].tolist()) == ids.tolist()
        if ids.size:
            assert t.value[t.rows(ids)].tolist() == [ref[i] for i in ids.tolist()]
        # alive rows are always in increasing id order (entities are appended, compaction keeps order)
        assert np.all(np.diff(t.id[t.alive_rows()]) > 0)


MINUS_ONE_WRAPS = (
    "BUG model/entities.py: EntityTable.rows() indexes row_of with the id, so the sentinel -1 "
    "(no household / no dwelling) wraps to the last slot of row_of; when row_of is exactly full, "
    "rows([-1]) silently returns the row of the newest entity instead of raising KeyError")


def test_rows_rejects_the_minus_one_sentinel():
    t = table(capacity=16)
    t.add(16)  # exactly fills row_of (size 16): row_of[-1] is the row of id 15
    with pytest.raises(KeyError):
        t.rows(np.array([-1]))


def test_rows_rejects_the_minus_one_sentinel_when_row_of_has_slack():
    t = table(capacity=16)
    t.add(5)
    with pytest.raises(KeyError):
        t.rows(np.array([-1]))


def _keys_reference(counters: dict, namespaces) -> list[int]:
    """Draw keys as the module docstring defines them: namespace << KEY_BITS | the namespace's counter."""
    out = []
    for v in namespaces:
        out.append((int(v) << KEY_BITS) | counters.get(int(v), 0))
        counters[int(v)] = counters.get(int(v), 0) + 1
    return out


def test_draw_keys_count_per_namespace_in_row_order():
    """Keys of rows added with one namespace, with an array of a few namespaces (negative ones too), with
    one namespace repeated in an array and with namespaces far apart."""
    rng = np.random.default_rng(5)
    t = EntityTable("things", {"municipality": np.int64})
    counters: dict = {}
    want: list[int] = []
    for namespaces in (np.full(7, 2), rng.integers(0, 6, 500), rng.integers(-3, 3, 40), np.full(9, 4),
                       rng.choice([0, 5, 70000, -40000], 30), np.array([1]), rng.integers(0, 6, 3000)):
        want += _keys_reference(counters, namespaces)
        t.add(namespaces.size, municipality=namespaces)
    t.add(4, municipality=3)  # one namespace as a scalar
    want += _keys_reference(counters, [3] * 4)
    assert t.key.tolist() == want
    assert t._key_next == counters


def test_kept_views_and_alive_rows_follow_every_change():
    """The read-only views of attribute access and peek() and the alive rows are kept between calls: each change
    (add, growth, removal, a write through col("alive"), compaction) shows in the next call, and a deep copy
    has its own."""
    import copy

    t = table(capacity=16)
    t.add(10, value=np.arange(10))
    assert t.value.tolist() == list(range(10)) and t.peek("value") is t.value
    assert t.alive_rows().tolist() == list(range(10)) and not t.alive_rows().flags.writeable
    with pytest.raises(ValueError):
        t.value[0] = 1
    t.add(10, value=np.arange(10, 20))  # beyond the capacity: new column arrays
    assert t.value.tolist() == list(range(20)) and t.alive_rows().size == 20
    t.col("value")[:3] = -1
    assert t.value[:3].tolist() == [-1, -1, -1]
    t.remove_rows(np.array([0, 5]))
    assert 0 not in t.alive_rows().tolist() and 5 not in t.alive_rows().tolist()
    t.col("alive")[1] = False
    assert t.alive_rows().tolist()[:2] == [2, 3]
    c = copy.deepcopy(t)
    t.compact(min_dead_share=0.0)
    assert t.alive_rows().tolist() == list(range(17)) and t.value.size == 17
    assert c.alive_rows().size == 17 and c.value.size == 20 and c.value[:3].tolist() == [-1, -1, -1]
    c.col("value")[4] = 99
    assert c.value[4] == 99 and t.value[1] != 99 and 99 not in t.value.tolist()
    t.check()
    c.check()


@pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")
@pytest.mark.parametrize("pattern", ["random", "none dead", "all dead", "first dead", "last dead", "runs"])
def test_compiled_compaction_leaves_the_same_memory_as_numpys(monkeypatch, pattern):
    """The compiled in-place compaction leaves every column (its whole memory, the slots past n too) and the id
    -> row lookup as numpy's gathers do."""
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    monkeypatch.setattr(entities, "COMPILED_COMPACTION", 0)
    rng = np.random.default_rng(3)
    columns = {"a": np.int8, "b": np.int16, "c": np.float32, "d": np.float64, "e": bool, "f": np.int64}
    n = 300
    dead = {"random": rng.random(n) < 0.3, "none dead": np.zeros(n, bool), "all dead": np.ones(n, bool),
            "first dead": np.arange(n) == 0, "last dead": np.arange(n) >= n - 3,
            "runs": (np.arange(n) // 17) % 2 == 1}[pattern]
    tables = []
    for compiled in (False, True):
        rng = np.random.default_rng(7)
        t = EntityTable("things", columns, capacity=16)
        for _ in range(3):  # grown in steps: slots past n hold values of their own
            t.add(n // 3, **{k: rng.integers(-100, 100, n // 3).astype(dt) for k, dt in columns.items()})
        t.remove_rows(np.flatnonzero(dead))
        monkeypatch.setattr(entities, "use_compiled", kernels.use_compiled if compiled else lambda k: False)
        assert t.compact(min_dead_share=0.0) is True
        t.check()
        tables.append(t)
    numpy_t, compiled_t = tables
    assert compiled_t.n == numpy_t.n == n - dead.sum()
    assert np.array_equal(compiled_t.row_of, numpy_t.row_of)
    for k in numpy_t._cols:
        assert np.array_equal(compiled_t._cols[k], numpy_t._cols[k]), k


def test_columns_stamp_moves_with_the_columns_changes_only():
    """columns_stamp(keys) moves at a hand-out of one of the columns (col(), attribute access), at a removal
    (the alive column), an add and a compaction; not at peek() or a hand-out of another column. A copy (shallow,
    deep or pickled) has its own record of hand-outs; a table pickled without one counts every column as handed
    out at its version."""
    import copy
    import pickle

    t = table()
    t.add(10, value=np.arange(10))
    keys = ("value", "alive")
    stamp = t.columns_stamp(keys)
    t.peek("value"), t.col("weight"), t.weight  # noqa: B018
    assert t.columns_stamp(keys) == stamp
    for change in (lambda: t.col("value"), lambda: t.value, lambda: t.alive, lambda: t.col("alive"),
                   lambda: t.remove_rows(np.array([3])), lambda: t.add(2), lambda: t.compact(0.0)):
        change()
        assert t.columns_stamp(keys) != stamp
        stamp = t.columns_stamp(keys)
    for c in (copy.copy(t), copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert c.columns_stamp(keys) == stamp
        c.col("value")
        assert c.columns_stamp(keys) != stamp and t.columns_stamp(keys) == stamp
    state = t.__getstate__()
    del state["_handed"]
    old = EntityTable.__new__(EntityTable)
    old.__setstate__(state)
    assert old.columns_stamp(("weight",)) == (t.version, t.layout)


def test_ids_and_rows_are_int32_and_rows_hands_out_int64():
    t = table()
    ids = t.add(5, value=np.arange(5))
    assert t.id.dtype == t.row_of.dtype == entities.ID == np.int32
    assert t.id.tolist() == ids.tolist()
    rows = t.rows(ids[1:4])
    assert rows.dtype == np.int64 and rows.tolist() == [1, 2, 3]


def test_reserve_refuses_ids_beyond_int32():
    t = table()
    with pytest.raises(OverflowError, match="things"):
        t._reserve(0, int(np.iinfo(entities.ID).max) + 1)


def test_persons_and_households_compact_together():
    """core.COMPACT_AT / COMPACT_WITH: in a year where either table is compacted, the other keeps fewer than
    COMPACT_WITH of its slots dead; neither ends a year with COMPACT_AT or more dead."""
    from model import core

    m = core.HousingModel("scenarios/baseline.toml", rng=1, scale=0.05, end_year=2045)
    p, h = m.state.persons, m.state.households
    together = 0
    while m.running:
        before = (p.compactions, h.compactions)
        m.step()
        dead = [1.0 - t.count() / t.n for t in (p, h)]
        assert max(dead) < core.COMPACT_AT
        if (p.compactions, h.compactions) != before:
            assert max(dead) < core.COMPACT_WITH
            together += p.compactions != before[0] and h.compactions != before[1]
    assert together > 0
