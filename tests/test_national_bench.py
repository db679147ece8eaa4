"""The national-scale benchmark's replication keeps the model's state consistent (benchmarks/national.py)."""

from benchmarks.national import replicate
from model import HousingModel, checks


def test_replicated_stock_is_consistent_and_steps_with_checks():
    m = HousingModel(None, rng=1, scale=0.01, end_year=2021, check=True)
    before = (m.state.persons.count(), m.state.households.count(), m.state.dwellings.count())
    tables = (m.state.persons, m.state.households, m.state.dwellings)
    capacity = [t._cap for t in tables]
    replicate(m, 3)
    assert [t._cap for t in tables] == [3 * c for c in capacity]  # the headroom of the region's tables kept
    after = (m.state.persons.count(), m.state.households.count(), m.state.dwellings.count())
    assert after == tuple(3 * x for x in before)
    assert len(set(m.state.persons.key.tolist())) == after[0]  # draw keys stay unique
    checks.check_state_of_model(m, None)
    m.run_to_end()  # every yearly identity holds on the replicated stock
    assert m.total_population > 2 * before[0]


def test_main_prints_years_and_time_per_process(capsys):
    from benchmarks.national import main
    assert main(["--copies", "1", "--years", "1"]) == 0
    out = capsys.readouterr().out
    assert "copies 1:" in out and "year 2019:" in out and "years 1" in out
    per_process = out.split("time per process (")[1].splitlines()[1:]
    names = [line.split()[0] for line in per_process]
    assert {"in_migration", "measure", "owner_renovation", "mortality"} <= set(names)
    assert all(float(line.split()[1]) >= 0 for line in per_process)
