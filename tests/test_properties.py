"""Property-based tests (hypothesis) of the scenario loader and of the yearly step, and tests that the
invariant checks (model/checks.py) catch a broken identity.

* any valid parameter values, written to a scenario file, load back unchanged;
* any value outside its declared range, not finite or of the wrong type, and any unknown key, is refused
  with a ScenarioError naming the file and the key;
* the yearly step on small random stocks (scale, base year, seed and behavioural parameters drawn at
  random within their ranges) keeps every accounting identity (``check=True``);
* each kind of corruption of a state or of the year's counters is reported by check_year with the year,
  the municipality and the identity.

The budget is fixed for CI: a bounded number of examples, no deadline, derandomized (the same examples on
every run).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import HousingModel, ScenarioError, load_scenario
from model.checks import InvariantError, check_year, population_by_municipality, stock_by_municipality
from model.data import MUNICIPALITY_CODES, NAME_BY_CODE
from model.params import SECTIONS, Scenario

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from run import toml_value  # noqa: E402

BUDGET = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
STEP_BUDGET = settings(BUDGET, max_examples=12)

# scalar parameters with a numeric range: (section, name, kind, low, high)
SCALARS = [(sec, f.name, f.metadata["kind"], f.metadata["low"], f.metadata["high"])
           for sec, cls in SECTIONS.items() for f in dataclasses.fields(cls)
           if f.metadata["kind"] in ("float", "int") and f.metadata["low"] is not None
           and f.metadata["high"] is not None and not f.metadata.get("choices")
           and f.name not in ("end_year", "scale")]
# parameters whose value enters a cross-check (shares that must sum to 1, the fund's budget)
CROSS = {"share_single", "share_couple", "share_family", "share_single_parent", "fund_total_budget_eur"}
FREE = [s for s in SCALARS if s[1] not in CROSS]


def value_in(kind: str, low: float, high: float):
    if kind == "int":
        return st.integers(int(math.ceil(low)), int(math.floor(high)))
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def valid_overrides(draw):
    chosen = draw(st.lists(st.sampled_from(FREE), min_size=1, max_size=6, unique_by=lambda s: s[1]))
    return {(sec, name): draw(value_in(kind, lo, hi)) for sec, name, kind, lo, hi in chosen}


def write_scenario(folder: Path, values: dict, extra: str = "") -> Path:
    by_section: dict[str, list[str]] = {}
    for (sec, name), v in values.items():
        by_section.setdefault(sec, []).append(f"{name} = {toml_value(v)}")
    text = extra + "".join(f"[{sec}]\n" + "\n".join(lines) + "\n" for sec, lines in by_section.items())
    path = folder / "prop.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the loader ----------------------------------------------------------------------------------------------
@BUDGET
@given(values=valid_overrides())
def test_valid_values_load_back_unchanged(tmp_path, values):
    """Values within their ranges load back exactly, unless a cross-check between parameters (e.g. the
    fund's end year before its start year) refuses the combination -- then with a message naming the file,
    and the same through the Python interface."""
    path = write_scenario(tmp_path, values)
    try:
        sc = load_scenario(path)
    except ScenarioError as exc:
        msg = str(exc)
        assert str(path) in msg and "out of range" not in msg and "not a" not in msg, msg
        with pytest.raises(ScenarioError):
            Scenario().with_overrides(**{f"{sec}.{name}": v for (sec, name), v in values.items()})
        return
    for (sec, name), v in values.items():
        got = getattr(getattr(sc, sec), name)
        assert got == v and type(got) is type(v), (sec, name, v, got)
    # everything else keeps its default
    default = Scenario().parameters()
    changed = {k for k, v in sc.parameters().items() if v != default[k]}
    assert changed <= {f"{sec}.{name}" for sec, name in values}


@st.composite
def invalid_value(draw):
    sec, name, kind, lo, hi = draw(st.sampled_from(SCALARS))
    span = max(hi - lo, 1.0)
    bad = draw(st.one_of(
        st.floats(hi + span * 1e-6 + 1e-9, hi + span * 1e6, allow_nan=False, allow_infinity=False),
        st.floats(lo - span * 1e6, lo - span * 1e-6 - 1e-9, allow_nan=False, allow_infinity=False),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.text(max_size=5), st.booleans(), st.lists(st.floats(0, 1), min_size=1, max_size=2),
    ))
    return sec, name, kind, bad


@BUDGET
@given(case=invalid_value())
def test_invalid_values_are_always_refused_naming_file_and_key(tmp_path, case):
    sec, name, kind, bad = case
    path = write_scenario(tmp_path, {(sec, name): bad})
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert str(path) in msg and f"[{sec}] {name}" in msg, msg
    assert any(w in msg for w in ("out of range", "not a finite number", "not a number", "not a whole number")), msg


@BUDGET
@given(key=st.from_regex(r"[a-z][a-z_]{2,20}", fullmatch=True), section=st.sampled_from(list(SECTIONS)))
def test_unknown_keys_are_always_refused(tmp_path, key, section):
    known = {f.name for f in dataclasses.fields(SECTIONS[section])}
    if key in known:
        return
    path = tmp_path / "unknown.toml"
    path.write_text(f"[{section}]\n{key} = 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f"unknown key '{key}' in [{section}]" in str(err.value) and str(path) in str(err.value)


@BUDGET
@given(code=st.from_regex(r"GM[0-9]{4}", fullmatch=True), value=st.floats(0, 20))
def test_unknown_municipality_codes_are_refused(tmp_path, code, value):
    path = tmp_path / "codes.toml"
    path.write_text(f"[migration]\nin_migration_per_1000 = {{{code} = {value!r}}}\n", encoding="utf-8")
    if code in MUNICIPALITY_CODES:
        assert load_scenario(path).migration.in_migration_per_1000[code] == value
        return
    with pytest.raises(ScenarioError, match=f"{code}: unknown municipality code"):
        load_scenario(path)


# -- the yearly step --------------------------------------------------------------------------------------------
BEHAVIOUR = ["total_fertility_rate", "mortality_multiplier", "partnership_rate", "separation_rate",
             "leave_home_rate", "demolition_per_1000", "construction_vacancy_ceiling", "tenant_buy_rate",
             "wage_growth_per_year", "price_vacancy_elasticity", "corporation_sale_rate"]
STEP_PARAMS = [s for s in SCALARS if s[1] in BEHAVIOUR]


@st.composite
def small_runs(draw):
    params = {name: draw(value_in(kind, lo, hi))
              for _, name, kind, lo, hi in draw(st.lists(st.sampled_from(STEP_PARAMS), max_size=4,
                                                         unique_by=lambda s: s[1]))}
    return dict(seed=draw(st.integers(0, 2**32)), scale=draw(st.sampled_from([0.005, 0.01, 0.02])),
                base_year=draw(st.sampled_from([2012, 2017, 2018, 2019])), years=draw(st.integers(1, 3)),
                params=params)


@STEP_BUDGET
@given(run=small_runs())
def test_yearly_step_keeps_every_identity(run):
    m = HousingModel(None, rng=run["seed"], scale=run["scale"], base_year=run["base_year"],
                     end_year=run["base_year"] + run["years"], check=True, **run["params"])
    pop = population_by_municipality(m.state)
    stock = stock_by_municipality(m.state)
    while m.running:
        m.step()  # check_year runs inside and raises InvariantError on the first broken identity
        f = m.last_flows
        new_pop, new_stock = population_by_municipality(m.state), stock_by_municipality(m.state)
        assert np.array_equal(new_pop, pop + f.births - f.deaths + f.in_migrants - f.out_migrants)
        assert np.array_equal(new_stock, stock + m.events.get("new_construction", 0)
                              - m.events.get("demolished", 0))
        pop, stock = new_pop, new_stock
        assert m._checks_previous.year == m.year  # the checks did run this year
    assert m.year == run["base_year"] + run["years"]


# -- the checks catch what they claim to catch ----------------------------------------------------------------
@pytest.fixture
def stepped():
    """A small model one year in (state as after a step), checks off: the tests corrupt it, then check."""
    m = HousingModel(None, rng=5, scale=0.02, end_year=2022)
    m.step()
    check_year(m)  # consistent as it is
    return m


def _first_row(table, municipality: int) -> int:
    rows = table.alive_rows()
    return int(rows[table.municipality[rows] == municipality][0])


def corrupt_birth(m):
    m.last_flows.births[2] += 1  # a birth counted that never happened


def corrupt_person(m):
    p = m.state.persons
    r = _first_row(p, 3)
    p.col("alive")[r] = False  # a person vanishes without a death or departure


def corrupt_dwelling(m):
    d = m.state.dwellings
    rows = d.alive_rows()
    r = rows[(d.municipality[rows] == 4) & (d.status[rows] == 1) & d.in_stock[rows]][0]
    d.col("status")[r] = 2  # demolished without being counted


def corrupt_savings(m):
    h = m.state.households
    h.col("savings_eur")[_first_row(h, 1)] = np.nan


def corrupt_value(m):
    d = m.state.dwellings
    rows = d.alive_rows()
    d.col("value_eur")[rows[(d.municipality[rows] == 5) & d.in_stock[rows]][0]] = 0.0


def corrupt_link(m):
    h = m.state.households
    rows = h.alive_rows()
    a, b = rows[h.municipality[rows] == 0][:2]
    h.col("dwelling_id")[b] = h.dwelling_id[a]  # two households in one dwelling


def corrupt_purchase(m):
    m.count_event("purchases", municipality=np.array([1]))


CORRUPTIONS = [
    (corrupt_birth, "GM1681", "population(1 Jan 2020) = population(1 Jan 2019) + births - deaths"),
    (corrupt_person, "GM1680", "population(1 Jan 2020) = population(1 Jan 2019) + births - deaths"),
    (corrupt_dwelling, "GM0118", "dwellings(1 Jan 2020) = dwellings(1 Jan 2019) + new_construction - demolished"),
    (corrupt_savings, "GM0109", "households' savings_eur is finite"),
    (corrupt_value, "GM0160", "value_eur > 0 for every dwelling of the stock"),
    (corrupt_link, "GM0114", "a household's dwelling points back to it"),
    (corrupt_purchase, "GM0109", "purchases = owner-occupied homes whose last sale was in 2019"),
]


@pytest.mark.parametrize("corrupt, code, identity", CORRUPTIONS, ids=[c[0].__name__ for c in CORRUPTIONS])
def test_check_year_reports_year_municipality_and_identity(stepped, corrupt, code, identity):
    corrupt(stepped)
    with pytest.raises(InvariantError) as err:
        check_year(stepped)
    e, msg = err.value, str(err.value)
    assert identity in msg, msg
    assert e.municipality == code and f"{code} ({NAME_BY_CODE[code]})" in msg, msg
    assert "2019" in msg or "2020" in msg
    if "=" in identity and e.left is not None:  # an identity between counts shows both sides
        assert "left side" in msg and "right side" in msg


def test_a_failing_check_stops_the_run_inside_step(monkeypatch):
    from model import demography

    original = demography.fertility

    def fertility_with_a_miscount(model, flows):
        original(model, flows)
        flows.births[0] += 3  # three births booked, none born

    monkeypatch.setattr(demography, "fertility", fertility_with_a_miscount)
    m = HousingModel(None, rng=1, scale=0.01, end_year=2021, check=True)
    with pytest.raises(InvariantError, match=r"year 2019, GM0114 \(Emmen\): population"):
        m.step()
    unchecked = HousingModel(None, rng=1, scale=0.01, end_year=2021, check=False)
    unchecked.check = False
    unchecked.step()  # off: the same miscount passes silently, which is why tests run with checks on


def test_extra_checks_of_a_model_are_called(stepped):
    calls = []

    def extra():
        calls.append(stepped.year)
        raise InvariantError("fund: cash(t+1) = cash(t) + in - out", year=stepped.year - 1, municipality="GM0114",
                             left=1.0, right=2.0)

    stepped.extra_checks = extra
    with pytest.raises(InvariantError, match=r"fund: cash.*left side 1, right side 2"):
        check_year(stepped)
    assert calls == [2020]
