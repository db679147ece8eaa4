"""Scenario parameters: defaults, overrides, TOML scenario files and their error messages."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from model.data import MUNICIPALITY_CODES
from model.params import SECTIONS, Scenario, ScenarioError, load_scenario, parameter_table


# -- defaults -------------------------------------------------------------------------------------------
def test_defaults_validate_through_the_checker():
    sc = Scenario()
    again = sc.with_overrides(**sc.parameters())  # every default passes type, range and cross checks
    assert again.parameters() == sc.parameters()
    assert again == sc


def test_every_default_is_within_its_declared_range():
    for row in parameter_table():
        f = {x.name: x for x in dataclasses.fields(SECTIONS[row["section"]])}[row["name"]]
        lo, hi = f.metadata["low"], f.metadata["high"]
        values = row["default"]
        if isinstance(values, dict):
            values = [v for v in values.values() if not isinstance(v, dict)]
        elif not isinstance(values, tuple):
            values = [values]
        for v in values:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert lo is None or v >= lo, f"{row['section']}.{row['name']} = {v} below {lo}"
                assert hi is None or v <= hi, f"{row['section']}.{row['name']} = {v} above {hi}"


def test_parameter_names_are_unique_and_documented():
    rows = parameter_table()
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    assert set(Scenario().parameters()) == {f"{r['section']}.{r['name']}" for r in rows}
    assert all(r["doc"] for r in rows), [r["name"] for r in rows if not r["doc"]]


def test_default_household_shares_sum_to_one():
    s = Scenario().stock
    total = s.share_single + s.share_couple + s.share_family + s.share_single_parent
    assert total == pytest.approx(1.0, abs=0.005)


# -- overrides ------------------------------------------------------------------------------------------
def test_override_by_bare_name_and_by_section_name():
    a = Scenario().with_overrides(total_fertility_rate=1.4)
    b = Scenario().with_overrides(**{"demography.total_fertility_rate": 1.4})
    assert a.demography.total_fertility_rate == b.demography.total_fertility_rate == 1.4
    assert a == b
    assert Scenario().demography.total_fertility_rate != 1.4  # the default object is untouched (frozen copy)
    assert a.parameters()["demography.total_fertility_rate"] == 1.4


def test_override_converts_numbers():
    sc = Scenario().with_overrides(total_fertility_rate=2, end_year=2030.0)
    assert isinstance(sc.demography.total_fertility_rate, float) and sc.demography.total_fertility_rate == 2.0
    assert isinstance(sc.run.end_year, int) and sc.run.end_year == 2030


def test_override_of_a_table_by_municipality_keeps_the_other_codes():
    sc = Scenario().with_overrides(in_migration_per_1000={"GM0114": 40.0})
    rates = sc.migration.in_migration_per_1000
    assert rates["GM0114"] == 40.0
    assert set(rates) == set(MUNICIPALITY_CODES)
    assert rates["GM0109"] == Scenario().migration.in_migration_per_1000["GM0109"]


@pytest.mark.parametrize("key", ["no_such_parameter", "demography.no_such_parameter",
                                 "stock.total_fertility_rate", "nosection.total_fertility_rate"])
def test_unknown_parameter_names_the_key(key):
    with pytest.raises(ScenarioError) as exc:
        Scenario().with_overrides(**{key: 1.0})
    assert key in str(exc.value)
    assert "unknown parameter" in str(exc.value)


@pytest.mark.parametrize(("key", "value", "must_contain"), [
    ("total_fertility_rate", 3.0, ["total_fertility_rate", "out of range", "1.0 to 2.5"]),
    ("total_fertility_rate", -0.1, ["total_fertility_rate", "1.0 to 2.5"]),
    ("scale", 0.0, ["scale", "0.001 to 1.0"]),
    ("separation_rate", math.nan, ["separation_rate", "0.0 to 0.05"]),
    ("end_year", 2200, ["end_year", "2013 to 2100"]),
    ("base_year", 2015, ["base_year", "one of 2012, 2017, 2018, 2019"]),
    ("end_year", 2030.5, ["end_year", "not a whole number"]),
    ("total_fertility_rate", "high", ["total_fertility_rate", "not a number"]),
    ("total_fertility_rate", True, ["total_fertility_rate", "not a number"]),
    ("out_migration_rate_by_age", (0.1, 0.1), ["out_migration_rate_by_age", "list of 5"]),
    ("out_migration_rate_by_age", (0.1, 0.1, 0.1, 0.1, 0.9), ["out_migration_rate_by_age[4]", "0.0 to 0.3"]),
    ("in_migration_per_1000", {"GM9999": 1.0}, ["GM9999", "unknown municipality code"]),
    ("in_migration_per_1000", {"GM0114": 500.0}, ["GM0114", "0.0 to 100.0"]),
    ("in_migration_per_1000", 12.0, ["in_migration_per_1000", "table keyed by municipality"]),
    ("population_targets", {"GM0114": {"soon": 1.0}}, ["GM0114", "must be a year"]),
    ("population_targets", {"GM0114": 100000}, ["GM0114", "must be a table"]),
])
def test_invalid_values_raise_with_key_and_range(key, value, must_contain):
    with pytest.raises(ScenarioError) as exc:
        Scenario().with_overrides(**{key: value})
    for text in must_contain:
        assert text in str(exc.value), f"{text!r} not in {str(exc.value)!r}"


def test_boundaries_of_a_range_are_allowed():
    sc = Scenario().with_overrides(total_fertility_rate=1.0, separation_rate=0.05)
    assert sc.demography.total_fertility_rate == 1.0 and sc.demography.separation_rate == 0.05


def test_end_year_must_follow_base_year():
    with pytest.raises(ScenarioError, match="end_year = 2019 must be after base_year = 2019"):
        Scenario().with_overrides(end_year=2019)


def test_household_shares_not_summing_to_one_rejected():
    with pytest.raises(ScenarioError) as exc:
        Scenario().with_overrides(share_single=0.45)
    assert "share_single" in str(exc.value) and "sum to 1" in str(exc.value)
    # a consistent change of two shares is accepted
    s = Scenario().stock
    sc = Scenario().with_overrides(share_single=s.share_single + 0.1, share_couple=s.share_couple - 0.1)
    assert sc.stock.share_single == pytest.approx(0.417)


def test_other_share_vectors_must_sum_to_one():
    with pytest.raises(ScenarioError, match="construction_period_shares sums to"):
        Scenario().with_overrides(construction_period_shares=(0.2, 0.2, 0.2, 0.2, 0.2, 0.2))
    with pytest.raises(ScenarioError, match="single_family_type_shares"):
        Scenario().with_overrides(single_family_type_shares=(0.5, 0.5, 0.5))


# -- scenario files -------------------------------------------------------------------------------------
def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_scenario_applies_values(tmp_path):
    p = write(tmp_path / "s.toml", 'name = "low"\ndescription = "d"\n'
                                   '[demography]\ntotal_fertility_rate = 1.3\n'
                                   '[run]\nscale = 0.1\nend_year = 2030\n'
                                   '[migration]\nin_migration_per_1000 = {GM0114 = 10.0}\n'
                                   '[alignment]\npopulation_targets = {GM0114 = {2030 = 100000}}\n')
    sc = load_scenario(p)
    assert sc.name == "low" and sc.description == "d" and sc.source_file == str(p)
    assert sc.demography.total_fertility_rate == 1.3
    assert sc.run.scale == 0.1 and sc.run.end_year == 2030
    assert sc.migration.in_migration_per_1000["GM0114"] == 10.0
    assert sc.alignment.population_targets == {"GM0114": {2030: 100000.0}}
    assert sc.stock == Scenario().stock  # untouched sections keep their defaults


def test_unknown_section_names_file_and_section(tmp_path):
    p = write(tmp_path / "s.toml", "[demografie]\ntotal_fertility_rate = 1.3\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert str(p) in str(exc.value) and "demografie" in str(exc.value)
    assert "[demography]" in str(exc.value)  # says what is allowed


def test_unknown_key_names_file_section_and_key(tmp_path):
    p = write(tmp_path / "s.toml", "[demography]\ntotal_fertility = 1.3\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert str(p) in msg and "total_fertility" in msg and "[demography]" in msg
    assert "total_fertility_rate" in msg  # the known keys are listed


def test_key_of_another_section_is_unknown(tmp_path):
    p = write(tmp_path / "s.toml", "[stock]\ntotal_fertility_rate = 1.3\n")
    with pytest.raises(ScenarioError, match="unknown key 'total_fertility_rate' in \\[stock\\]"):
        load_scenario(p)


def test_wrong_type_names_file_key_and_range(tmp_path):
    p = write(tmp_path / "s.toml", '[demography]\ntotal_fertility_rate = "1.3"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert str(p) in msg and "total_fertility_rate" in msg and "not a number" in msg and "1.0 to 2.5" in msg


def test_out_of_range_in_file(tmp_path):
    p = write(tmp_path / "s.toml", "[demography]\nseparation_rate = 0.5\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert str(p) in str(exc.value) and "[demography] separation_rate" in str(exc.value)
    assert "0.0 to 0.05" in str(exc.value)


def test_list_of_wrong_length(tmp_path):
    p = write(tmp_path / "s.toml", "[stock]\nconstruction_period_shares = [0.5, 0.5]\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert "construction_period_shares" in str(exc.value) and "list of 6" in str(exc.value)


def test_section_that_is_not_a_table(tmp_path):
    p = write(tmp_path / "s.toml", "demography = 3\n")
    with pytest.raises(ScenarioError, match="must be a table"):
        load_scenario(p)


def test_invalid_toml_and_missing_file(tmp_path):
    p = write(tmp_path / "bad.toml", "[demography\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "absent.toml")


def test_household_shares_in_file_must_sum_to_one(tmp_path):
    p = write(tmp_path / "s.toml", "[stock]\nshare_single = 0.45\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert str(p) in str(exc.value) and "sum to 1" in str(exc.value)


def test_extends_chain_with_override(tmp_path):
    write(tmp_path / "base.toml", 'name = "base"\ndescription = "the base"\n'
                                  "[demography]\ntotal_fertility_rate = 1.4\nseparation_rate = 0.02\n"
                                  "[run]\nscale = 0.1\n")
    write(tmp_path / "mid.toml",
          'extends = "base.toml"\nname = "mid"\n[demography]\ntotal_fertility_rate = 1.8\n')
    top = write(tmp_path / "variants" / "top.toml",
                'extends = "../mid.toml"\n[demography]\npartnership_rate = 0.1\n')
    sc = load_scenario(top)
    assert sc.demography.total_fertility_rate == 1.8  # mid overrides base
    assert sc.demography.separation_rate == 0.02  # from base, through mid
    assert sc.run.scale == 0.1  # from base
    assert sc.demography.partnership_rate == 0.1  # top's own value
    assert sc.name == "mid"  # inherited when not given
    assert sc.description == "the base"
    assert sc.source_file == str(top)
    # the parent on its own is unchanged by its children
    assert load_scenario(tmp_path / "base.toml").demography.total_fertility_rate == 1.4


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "c.toml"\n')
    write(tmp_path / "c.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")
    write(tmp_path / "self.toml", 'extends = "self.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "self.toml")


def test_extends_missing_parent_and_wrong_type(tmp_path):
    p = write(tmp_path / "s.toml", 'extends = "nothere.toml"\n')
    with pytest.raises(ScenarioError, match="nothere.toml: file not found"):
        load_scenario(p)
    p = write(tmp_path / "t.toml", "extends = 3\n")
    with pytest.raises(ScenarioError, match="extends"):
        load_scenario(p)


def test_error_in_parent_names_the_parent_file(tmp_path):
    parent = write(tmp_path / "parent.toml", "[demography]\ntotal_fertility_rate = 9.0\n")
    child = write(tmp_path / "child.toml", 'extends = "parent.toml"\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario(child)
    assert str(parent) in str(exc.value)


def _toml_value(v) -> str:
    from run import toml_value  # the CLI's writer: what `run.py params` prints must load back

    return toml_value(v)


def test_all_defaults_written_to_toml_load_back_unchanged(tmp_path):
    """Every parameter is settable from a file: the defaults written out load back as the defaults."""
    sc = Scenario()
    lines = ['name = "roundtrip"']
    for sec in SECTIONS:
        lines.append(f"[{sec}]")
        for key, value in sc.parameters().items():
            s, name = key.split(".", 1)
            if s == sec:
                lines.append(f"{name} = {_toml_value(value)}")
    p = write(tmp_path / "all.toml", "\n".join(lines) + "\n")
    loaded = load_scenario(p)
    assert loaded.parameters() == sc.parameters()
    assert loaded.name == "roundtrip"
