"""benchmarks.household_order: the persons reordered by household, the tables still consistent, the model steps."""

import numpy as np

from benchmarks import household_order
from benchmarks.bench import PROCESSES
from model import checks
from model.core import HousingModel
from model.income import person_household_rows


def _model():
    m = HousingModel("scenarios/baseline.toml", rng=3, scale=0.01)
    for _ in range(3):
        m.step()
    return m


def test_household_order_sorts_members_and_keeps_their_order():
    m = _model()
    p = m.state.persons
    alive = p.peek("alive")
    before = dict(zip(p.peek("id")[alive].tolist(), p.peek("household_id")[alive].tolist(), strict=True))
    order_in = {}
    for i in p.peek("id")[alive]:
        order_in.setdefault(before[int(i)], []).append(int(i))
    household_order.reorder_persons(m, by_household=True)
    p.check()
    assert p.n == len(before) and p.peek("alive").all()
    hrow = person_household_rows(m.state).astype(np.int64)
    key = np.where(hrow >= 0, hrow, np.iinfo(np.int64).max)
    assert (np.diff(key) >= 0).all()  # household rows ascending, persons without one last
    order_out = {}
    for i in p.peek("id"):
        order_out.setdefault(before[int(i)], []).append(int(i))
    assert order_out == order_in  # each household's members in their former order
    m.step()
    checks.check_year(m)


def test_which_processes_depend_on_the_persons_order():
    found = household_order.which("scenarios/baseline.toml", seed=1, scale=0.01, years=3)
    names = {n for _, names in PROCESSES for n in names}
    assert set(found) == names  # every process (and the indicators) was probed
    # fertility numbers the newborns in the order of their mothers' rows; the processes that read only the
    # persons' own rows (and the indicators' counts and sums per household) do not depend on it
    assert found["fertility"] & {"persons.household_id", "persons.key"}
    for name in ("mortality", "care", "ageing", "yearly_means", "measure", "maintenance"):
        assert found[name] == set(), name
