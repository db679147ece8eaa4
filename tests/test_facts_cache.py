"""household_facts keeps its arrays between changes of the persons (and households' rows): every way of
changing the tables must invalidate them."""

import numpy as np
import pytest

from model import HousingModel
from model.income import household_facts
from tests.helpers import change_persons_table


@pytest.fixture(scope="module")
def model():
    m = HousingModel("scenarios/baseline.toml", rng=5, scale=0.02, end_year=2021)
    m.step()
    return m


def fresh(state):
    state.persons.__dict__.pop("_household_facts", None)
    return household_facts(state)


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_cached_until_changed(model):
    st = model.state
    first = household_facts(st)
    again = household_facts(st)
    assert all(first[k] is again[k] for k in first)  # shared, not recomputed
    assert same(again, fresh(st))
    with pytest.raises(ValueError):
        first["income"][0] = 1.0  # read-only: no caller can change the shared arrays


@pytest.mark.parametrize("change", ["col", "attribute_view", "remove", "add_person", "add_household", "compact"])
def test_every_change_invalidates(model, change):
    st = model.state
    p = st.persons
    before = household_facts(st)
    rows = p.alive_rows()
    rows = rows[p.household_id[rows] >= 0]
    if change == "col":
        p.col("income_eur")[rows[:5]] += 1000.0
    elif change == "attribute_view":
        view = p.age  # attribute views are read-only: a view kept across a facts call cannot change them
        household_facts(st)
        with pytest.raises(ValueError):
            view[rows[:5]] += 1
        p.col("age")[rows[:5]] += 1
    else:
        assert change_persons_table(st, change, rows)
    after = household_facts(st)
    assert same(after, fresh(st))
    if change in ("col", "attribute_view", "add_person"):
        assert not same(after, before)


@pytest.mark.parametrize("tables", [("persons",), ("households",), ("persons", "households")])
def test_a_compaction_alone(tables):
    """Dead rows removed before the facts are counted, then compacted: the facts are those of a recount (the same
    arrays where only the persons were compacted)."""
    m = HousingModel("scenarios/baseline.toml", rng=6, scale=0.02, end_year=2021)
    m.step()
    st = m.state
    p, h = st.persons, st.households
    gone = p.alive_rows()[::3]
    stay = np.setdiff1d(p.alive_rows(), gone)
    p.remove_rows(gone)
    h.remove_rows(np.setdiff1d(h.alive_rows(), h.row_of[p.peek("household_id")[stay]]))  # without members now
    before = household_facts(st)
    for name in tables:
        assert getattr(st, name).compact(0.0)
    after = household_facts(st)
    assert all((after[k] is before[k]) == (tables == ("persons",)) for k in after)
    assert household_facts(st)["income"] is after["income"]  # cached again
    assert same(after, fresh(st))


def test_a_compaction_after_other_changes_counts_again(model):
    st = model.state
    p = st.persons
    household_facts(st)
    p.remove_rows(p.alive_rows()[:5])  # a change after the facts were counted
    assert p.compact(0.0)
    assert same(household_facts(st), fresh(st))


def test_arrays_held_are_not_overwritten(model, monkeypatch):
    # a recount writes into the memory of the last facts only where nothing holds them any more
    from model import kernels

    monkeypatch.setattr(kernels, "MIN_SIZE", 0)
    st = model.state
    held = household_facts(st)
    kept = {k: v.copy() for k, v in held.items()}
    st.persons.col("age")  # a change: the next call counts again
    again = household_facts(st)
    assert all(not np.shares_memory(again[k], held[k]) for k in held)
    assert same(held, kept)
    del held, again
    buffers = st.persons.__dict__.get("_facts_buffers")
    st.persons.col("age")
    third = household_facts(st)
    assert same(third, kept)
    if kernels.COMPILED:
        assert st.persons.__dict__["_facts_buffers"] is buffers  # nothing held them: the same memory again
