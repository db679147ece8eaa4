"""member_rows and household_table keep their (read-only) arrays while the persons table hands out no column
view and changes nothing and the households table adds or compacts no rows; after any change they are brought up
to date from the persons that changed (model.income._MemberIndex), which must give the arrays of a recount."""

import numpy as np
import pytest

from model import HousingModel, kernels
from model.data import MUNICIPALITY_CODES
from model.demography import household_table
from model.income import household_income, member_counts, member_rows, member_table, person_household_rows, role_counts
from model.indicators import alive_per_municipality, measure
from tests.helpers import change_persons_table


@pytest.fixture
def model():
    m = HousingModel("scenarios/baseline.toml", rng=7, scale=0.02, end_year=2021)
    m.step()
    return m


def fresh(state):
    p, h = state.persons, state.households
    hid = p.peek("household_id")
    rows = np.flatnonzero(p.peek("alive") & (hid >= 0))
    hrow = h.row_of[hid[rows]]
    return (rows, hrow, *role_counts(hrow, p.peek("role")[rows], h.n))


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_shared_and_read_only(model):
    st = model.state
    first, again = household_table(st), household_table(st)
    assert all(x is y for x, y in zip(first, again, strict=True))
    assert all(x is y for x, y in zip(member_rows(st), first[:2], strict=True))
    assert same(first, fresh(st))
    for v in first:
        with pytest.raises(ValueError):
            v[:1] = 0


@pytest.mark.parametrize("change", ["col", "attribute_view", "remove", "add_person", "add_household", "compact",
                                    "remove_household"])
def test_every_change_recomputes(model, change):
    st = model.state
    p, h = st.persons, st.households
    household_table(st)
    rows = p.alive_rows()
    rows = rows[p.household_id[rows] >= 0]
    if change == "col":
        p.col("role")[rows[:5]] = 2
    elif change == "attribute_view":
        _ = p.household_id
        p.col("household_id")[rows[:3]] = -1
    elif change == "remove_household":  # the table is per slot and from persons only: still valid
        h.remove_rows(h.alive_rows()[:2])
    else:
        assert change_persons_table(st, change, rows)
    assert same(household_table(st), fresh(st))
    assert same(member_rows(st), fresh(st)[:2])


def test_whole_run_matches_fresh_tables():
    m = HousingModel("scenarios/baseline.toml", rng=8, scale=0.02, end_year=2023)
    while m.running:
        m.step()
        assert same(household_table(m.state), fresh(m.state))


def test_unrelated_changes_keep_the_arrays(model):
    # a hand-out of another column (or of these, unchanged) changes the stamps, not the arrays: the same objects
    st = model.state
    p, h = st.persons, st.households
    first = household_table(st)
    p.col("age")[:5] += 1
    _ = p.household_id, p.role, p.alive
    h.remove_rows(h.alive_rows()[:1])
    again = household_table(st)
    assert all(x is y for x, y in zip(first, again, strict=True))


def test_a_change_after_an_update_is_seen(model):
    # the copies are brought up to date too: a change back to an earlier value shows
    st = model.state
    p = st.persons
    rows, hrow, *_ = household_table(st)
    head = rows[p.role[rows] == 0][0]
    for value in (1, 0, 2, 0):
        p.col("role")[head] = value
        assert same(household_table(st), fresh(st))
    hid = p.household_id[head]
    for value in (-1, hid, p.household_id[rows[-1]], hid):
        p.col("household_id")[head] = value
        assert same(household_table(st), fresh(st))


@pytest.mark.parametrize("numba", [False, True])
def test_random_changes_match_a_recount(monkeypatch, numba):
    """Random rounds of the changes the processes make (deaths, moves, new households, births, roles, removed
    and compacted households, compacted persons), the table after each against a recount; tables held by the
    test through an update keep their values."""
    if numba and not kernels.COMPILED:
        pytest.skip("numba is not in use")
    monkeypatch.setattr(kernels, "COMPILED", numba)
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    m = HousingModel("scenarios/baseline.toml", rng=9, scale=0.02, end_year=2021)
    st = m.state
    p, h = st.persons, st.households
    rng = np.random.default_rng(1)
    held = values = None
    for step in range(60):
        alive = p.alive_rows()
        members = alive[p.household_id[alive] >= 0]
        pick = rng.choice(members, 1 + rng.integers(0, 40), replace=False)
        kind = step % 8
        if kind == 0:  # deaths
            p.col("household_id")[pick] = -1
            p.col("role")[pick] = 3
            p.remove_rows(pick)
        elif kind == 1:  # moves to other existing households
            p.col("household_id")[pick] = rng.choice(h.id[h.alive_rows()], pick.size)
        elif kind == 2:  # new one-person households
            p.col("household_id")[pick] = h.add(pick.size, municipality=0, dwelling_id=-1)
            p.col("role")[pick] = 0
        elif kind == 3:  # births
            p.add(pick.size, age=-1, household_id=p.household_id[pick], role=2, municipality=0)
        elif kind == 4:  # roles, some out of range
            p.col("role")[pick] = rng.integers(-1, 4, pick.size)
        elif kind == 5:  # households without members removed, then compacted
            empty = np.flatnonzero(h.alive & (fresh(st)[2] == 0))
            h.remove_rows(empty)
            h.compact(0.0)
        elif kind == 6:  # persons leave without their columns changing (remove_rows alone), compaction
            p.remove_rows(pick)
            if step % 16 == 6:
                p.compact(0.0)
        else:  # many new persons at once: the copies grow
            p.add(3000, age=30, household_id=rng.choice(h.id[h.alive_rows()], 3000), role=2, municipality=0)
        got = household_table(st)
        assert same(got, fresh(st)), (step, kind)
        assert all(v.dtype == np.int64 and not v.flags.writeable for v in got)
        assert held is None or same(held, values)  # held through the update: unchanged
        if step % 3:  # held through the next update (new buffers) or not (the same ones written again)
            held, values = got, [v.copy() for v in got]
        else:
            held = values = None
        del got


@pytest.mark.parametrize("numba", [False, True])
def test_counts_without_the_listing(monkeypatch, numba):
    """member_counts and person_household_rows bring the table up to date without listing the members; a listing
    asked for afterwards (member_table) is that of a recount, and the counts stay the same objects."""
    if numba and not kernels.COMPILED:
        pytest.skip("numba is not in use")
    monkeypatch.setattr(kernels, "COMPILED", numba)
    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    m = HousingModel("scenarios/baseline.toml", rng=5, scale=0.02, end_year=2021)
    st = m.state
    p = st.persons
    rng = np.random.default_rng(2)
    for step in range(12):
        alive = p.alive_rows()
        pick = rng.choice(alive[p.household_id[alive] >= 0], 5, replace=False)
        if step % 3 == 0:
            p.col("household_id")[pick] = -1
        elif step % 3 == 1:
            p.add(pick.size, age=-1, household_id=p.household_id[pick], role=2, municipality=0)
        else:
            p.col("role")[pick] = 1
        want = fresh(st)
        if step % 2:
            assert np.array_equal(person_household_rows(st)[want[0]], want[1])
        counts = member_counts(st)
        assert same(counts, want[2:]) and all(not v.flags.writeable for v in counts)
        table = member_table(st)
        assert same(table, want) and all(a is b for a, b in zip(table[2:], counts, strict=True))
        assert member_table(st) is table
        del counts, table


def test_held_arrays_are_never_written(model):
    """An update writes into the buffers of the arrays handed out only when nothing holds them or a view of them
    any more: arrays (and slices of them) that a caller keeps keep their values."""
    st = model.state
    p = st.persons
    rows = member_rows(st)[0].copy()  # (a view would hold the buffer)
    kept = household_table(st)
    slices = [v[: v.size // 2] for v in household_table(st)]
    slice_values = [v.copy() for v in slices]
    del kept
    p.col("household_id")[rows[:4]] = -1
    p.col("role")[rows[10:14]] = 1
    assert same(household_table(st), fresh(st))
    assert same(slices, slice_values)
    del slices
    again = household_table(st)
    held = [v.copy() for v in again]
    p.col("household_id")[rows[20:24]] = -1
    assert same(household_table(st), fresh(st))
    assert same(again, held)  # held through the update: unchanged


def test_free_buffers_are_written_again(model):
    st = model.state
    p = st.persons
    rows = member_rows(st)[0].copy()  # (a view would hold the buffer)
    pointers = [v.__array_interface__["data"][0] for v in household_table(st)]
    p.col("household_id")[rows[:4]] = -1
    assert same(household_table(st), fresh(st))
    assert [v.__array_interface__["data"][0] for v in household_table(st)] == pointers


def test_spare_buffers_once_free(model):
    # a table held through an update leaves its buffers to its holder; once free again they are written again
    st = model.state
    p = st.persons
    rows = member_rows(st)[0].copy()
    first = household_table(st)
    pointers = [v.__array_interface__["data"][0] for v in first]
    p.col("household_id")[rows[:2]] = -1
    second = household_table(st)  # first held: other buffers
    assert same(second, fresh(st))
    assert all(v.__array_interface__["data"][0] not in pointers for v in second)
    del first
    kept = [v.copy() for v in second]
    p.col("household_id")[rows[2:4]] = -1
    third = household_table(st)  # second held, first free: first's buffers
    assert same(third, fresh(st)) and same(second, kept)
    assert [v.__array_interface__["data"][0] for v in third] == pointers


def test_a_member_without_a_household_row_raises_as_a_recount(model):
    st = model.state
    p, h = st.persons, st.households
    household_table(st)
    rows = member_rows(st)[0]
    gone = h.add(1, municipality=0, dwelling_id=-1)
    household_table(st)
    h.remove_rows(h.rows(gone))
    h.compact(0.0)  # the household's id has no row any more
    household_table(st)
    p.col("household_id")[rows[0]] = gone[0]
    with pytest.raises(ValueError):
        fresh(st)
    with pytest.raises(ValueError):
        member_table(st)
    p.col("household_id")[rows[0]] = h.next_id + 10**6  # beyond any id
    with pytest.raises(IndexError):
        member_table(st)


def test_household_income_of_some_households(model):
    st = model.state
    h = st.households
    rows = h.alive_rows()
    pick = np.concatenate([rows[::7], rows[:3], h.add(2, municipality=0, dwelling_id=-1) * 0 + h.n - 1])
    assert np.array_equal(household_income(st, pick), household_income(st)[pick])  # bit-identical sums


def test_label_index_is_label_of():
    from model.income import label_index
    from model.state import EP2_BOUNDS, label_of

    edges = np.concatenate([EP2_BOUNDS, np.nextafter(EP2_BOUNDS, 0), np.nextafter(EP2_BOUNDS, 1e9)])
    for x in (np.array([np.nan, -np.inf, np.inf, -5.0, 0.0, 1e6]), edges,
              np.random.default_rng(3).uniform(0, 500, 10_000)):
        for dt in (np.float64, np.float32):
            assert np.array_equal(label_index(x.astype(dt)), label_of(x.astype(dt)))
            assert label_index(x.astype(dt)).dtype == label_of(x.astype(dt)).dtype


def test_a_rebuild_writes_into_the_old_tables_memory_once_free(model):
    # after a compaction the index is built again: into the old index's buffers where nothing holds them
    st = model.state
    p = st.persons
    pointers = [v.__array_interface__["data"][0] for v in household_table(st)]
    p.remove_rows(member_rows(st)[0][:5].copy())
    assert p.compact(0.0)
    assert same(household_table(st), fresh(st))
    assert [v.__array_interface__["data"][0] for v in household_table(st)] == pointers
    held = household_table(st)
    kept = [v.copy() for v in held]
    p.remove_rows(member_rows(st)[0][:5].copy())
    assert p.compact(0.0)
    assert same(household_table(st), fresh(st)) and same(held, kept)


def test_path_value_remembered_is_np_interp():
    from model.income import path_value

    path = {2030: 1.25, 2019: 0.8, 2050: 0.3}
    years, values = np.array([2019.0, 2030.0, 2050.0]), np.array([0.8, 1.25, 0.3])
    for year in (2000, 2019, 2024, 2024, 2030, 2041.5, 2050, 2070):
        got = path_value(path, year)
        assert type(got) is float and got == float(np.interp(year, years, values))
    path[2030] = 2.0  # a changed path is a new one
    assert path_value(path, 2030) == 2.0


@pytest.mark.parametrize("column", ["household_id", "role", "alive"])
def test_a_write_through_a_handed_out_column_is_seen_after_adds(model, column):
    """An add alone (none of the member columns handed out since the last update) updates the table from the
    added persons without comparing the others; a write through col() of any of the three columns, before or
    after the add, must still be seen, and a hand-out of another column must not hide the add."""
    st = model.state
    p = st.persons
    assert same(household_table(st), fresh(st))
    rows = p.alive_rows()
    rows = rows[p.household_id[rows] >= 0]
    hid = p.peek("household_id").copy()  # (peek: an attribute access would count as a hand-out)
    p.add(5, age=0, household_id=p.household_id[rows[:5]], role=2, municipality=0)
    p.col("age")[:3] += 1
    assert same(household_table(st), fresh(st))
    for before in (True, False):  # written through col() before the add, or after it
        value = {"household_id": -1, "role": 1, "alive": False}[column]
        target = rows[10 + before]
        if before:
            p.col(column)[target] = value
        p.add(3, age=0, household_id=hid[rows[5:8]], role=2, municipality=0)
        if not before:
            p.col(column)[target] = value
        assert same(household_table(st), fresh(st)), (column, before)
        assert same(member_counts(st), fresh(st)[2:])
        assert np.array_equal(person_household_rows(st)[fresh(st)[0]], fresh(st)[1])


def _alive_recount(state):
    p = state.persons
    return np.bincount(p.peek("municipality")[p.peek("alive")], minlength=len(MUNICIPALITY_CODES))


@pytest.mark.parametrize("change", ["none", "municipality", "alive", "attribute_view", "remove", "add_person",
                                    "compact"])
def test_alive_per_municipality_after_measure_and_changes(model, change):
    # the count kept by the last measure (or the last call) stands only while neither column changed
    st = model.state
    p = st.persons
    measure(model)
    assert p.__dict__["_population"][1].tolist() == _alive_recount(st).tolist()
    rows = p.alive_rows()
    rows = rows[p.household_id[rows] >= 0]
    if change == "municipality":
        p.col("municipality")[rows[:7]] = (p.municipality[rows[:7]] + 1) % len(MUNICIPALITY_CODES)
    elif change == "alive":
        p.col("alive")[rows[:5]] = False
    elif change == "attribute_view":  # a hand-out (read-only) alone: counted again, to the same
        kept = p.__dict__["_population"]
        _ = p.municipality
        alive_per_municipality(st)
        assert p.__dict__["_population"] is not kept
    elif change != "none":
        assert change_persons_table(st, change, rows)
    first = alive_per_municipality(st)
    assert first.tolist() == _alive_recount(st).tolist()
    first[:] = -1  # a new array each time: the kept count is not the caller's
    assert alive_per_municipality(st).tolist() == model._population().tolist() == _alive_recount(st).tolist()
    p.col("age")[rows[:3]] += 1  # another column's hand-out keeps the count
    kept = p.__dict__["_population"]
    alive_per_municipality(st)
    assert p.__dict__["_population"] is kept
