"""The model under Mesa's batch runner, and garbage collection of finished models."""

from __future__ import annotations

import gc
import weakref

import mesa
import pytest

from model import HousingModel

MODEL_COLUMNS = ("year", "population", "households", "dwellings", "vacant_dwellings", "vacancy_rate",
                 "persons_65plus", "births", "deaths")


@pytest.fixture(scope="module")
def batch():
    return mesa.batch_run(HousingModel, parameters={"scale": 0.02, "end_year": 2022}, rng=[1, 2],
                          max_steps=10, number_processes=1, data_collection_period=1, display_progress=False)


def test_batch_run_rows_for_both_seeds(batch):
    assert {r["rng"] for r in batch} == {1, 2}
    for seed in (1, 2):
        rows = sorted((r for r in batch if r["rng"] == seed), key=lambda r: r["Step"])
        # one row per collected step: the initial state (step 0, 2019) and the three years stepped
        assert [r["Step"] for r in rows] == [0, 1, 2, 3]
        assert [r["year"] for r in rows] == [2019, 2020, 2021, 2022]
        for r in rows:
            for col in MODEL_COLUMNS:
                assert col in r, col
            assert r["scale"] == 0.02 and r["end_year"] == 2022
            assert r["population"] > 250_000 and r["households"] > 100_000 and r["dwellings"] > 100_000
            assert 0 <= r["vacant_dwellings"] <= r["dwellings"]
            assert r["persons_65plus"] < r["population"]
        assert rows[0]["births"] is None and rows[0]["deaths"] is None
        assert all(r["births"] > 0 and r["deaths"] > 0 for r in rows[1:])
        assert len({r["RunId"] for r in rows}) == 1


def test_batch_run_seeds_reach_the_model(batch):
    """rng=[1, 2] must become the models' seeds: the rows equal direct runs with those seeds, and differ."""
    for seed in (1, 2):
        model = HousingModel(None, rng=seed, scale=0.02, end_year=2022)
        while model.running:
            model.step()
        direct = model.datacollector.get_model_vars_dataframe().to_dict("records")
        rows = sorted((r for r in batch if r["rng"] == seed), key=lambda r: r["Step"])
        for r, d in zip(rows, direct, strict=True):
            for col in ("population", "households", "dwellings", "vacant_dwellings", "persons_65plus"):
                assert r[col] == d[col], (seed, r["year"], col)
    last = {r["rng"]: r for r in batch if r["Step"] == 3}
    assert (last[1]["population"], last[1]["deaths"]) != (last[2]["population"], last[2]["deaths"])


def test_max_steps_caps_a_long_run():
    rows = mesa.batch_run(HousingModel, parameters={"scale": 0.02, "end_year": 2050}, rng=[1], max_steps=2,
                          number_processes=1, data_collection_period=1, display_progress=False)
    assert [r["year"] for r in sorted(rows, key=lambda r: r["Step"])] == [2019, 2020, 2021]


def test_model_can_be_garbage_collected():
    model = HousingModel(None, rng=1, scale=0.02, end_year=2021)
    while model.running:
        model.step()
    model.table()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
