"""member_rows and household_table keep their (read-only) arrays while the persons table hands out no column
view and changes nothing and the households table adds or compacts no rows; every change recomputes them."""

import numpy as np
import pytest

from model import HousingModel
from model.demography import household_table
from model.income import household_income, member_rows, role_counts
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
