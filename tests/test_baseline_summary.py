"""The baseline run still produces the committed summary (tests/data/baseline_summary.json)."""

from __future__ import annotations

import copy

import pytest

from tests import baseline_summary as bs


@pytest.fixture(scope="module")
def current():
    return bs.compute()


def test_baseline_summary_unchanged(current):
    assert bs.SUMMARY_PATH.is_file(), f"{bs.SUMMARY_PATH} is missing; create it with `make baseline-refresh`"
    diff = bs.first_difference(bs.load(), current)
    if diff:
        pytest.fail(f"baseline summary differs from {bs.SUMMARY_PATH.name}: {diff}; {bs.REFRESH_HINT}")


def test_committed_summary_has_the_expected_shape():
    s = bs.load()
    assert s["config"] == bs.CONFIG
    assert [r["year"] for r in s["by_year"]] == list(range(2019, 2031))
    for r in s["by_year"]:
        assert set(r) == {"year", *bs.YEAR_COLUMNS}
        assert all(isinstance(r[c], int) and r[c] >= 0 for c in bs.YEAR_COLUMNS)
        assert r["vacant_dwellings"] <= r["dwellings"] and r["persons_65plus"] <= r["population"]
    by_mun = s["population_2030_by_municipality"]
    assert len(by_mun) == 6
    assert sum(by_mun.values()) == s["by_year"][-1]["population"]


def test_summary_is_deterministic(current):
    assert bs.compute() == current


def test_first_difference_names_year_and_column(current):
    assert bs.first_difference(current, copy.deepcopy(current)) is None
    changed = copy.deepcopy(current)
    changed["by_year"][4]["households"] += 20
    changed["by_year"][7]["population"] += 20
    msg = bs.first_difference(current, changed)
    assert msg.startswith("year 2023, column households:")
    changed = copy.deepcopy(current)
    changed["population_2030_by_municipality"]["GM1680"] -= 20
    assert "year 2030, column population[GM1680]" in bs.first_difference(current, changed)
    changed = copy.deepcopy(current)
    changed["by_year"].pop()
    assert "year 2030" in bs.first_difference(current, changed)
    changed = copy.deepcopy(current)
    changed["config"]["seed"] = 2
    assert "configuration" in bs.first_difference(current, changed)


def test_check_mode_reports_the_refresh_command(tmp_path, monkeypatch, capsys, current):
    stale = copy.deepcopy(current)
    stale["by_year"][2]["dwellings"] += 20
    path = tmp_path / "summary.json"
    bs.write(stale, path)
    monkeypatch.setattr(bs, "SUMMARY_PATH", path)
    monkeypatch.setattr(bs, "compute", lambda: current)
    assert bs.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "year 2021, column dwellings" in err and "make baseline-refresh" in err
    assert bs.main(["--refresh"]) == 0
    assert bs.load(path) == current
    assert bs.main(["--check"]) == 0
