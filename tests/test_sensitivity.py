"""Sensitivity analysis (calibration/sensitivity.py): SALib Morris and Sobol on tiny designs."""

import numpy as np
import pandas as pd
import pytest

from calibration import sensitivity as sa
from calibration.calibrate import Executor
from model import load_scenario

FUND = "scenarios/transformatiefonds.toml"


def test_parameter_file_has_ten_or_more_model_parameters_inside_their_ranges(tmp_path):
    problem = sa.load_problem()
    assert problem["num_vars"] >= 10
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters]\nleave_home_rate = [0.0, 0.5]\n")
    with pytest.raises(ValueError, match="documented range"):
        sa.load_problem(bad)
    bad.write_text("[parameters]\nno_such_parameter = [0.0, 0.5]\n")
    with pytest.raises(ValueError, match="not a model parameter"):
        sa.load_problem(bad)


def test_outcomes_of_a_run():
    df = pd.DataFrame({"year": [2019, 2019, 2020, 2020], "vacant_dwellings": [1, 2, 3, 5],
                       "dwellings": [10, 10, 10, 30],
                       "low_income_owners_in_EFG": [4, 4, 7, 1], "fund_label_steps": [None, None, 2, 2],
                       "policy_spending_eur": [None, None, 1000.0, 3000.0]})
    o = sa.outcomes_of(df, 2020)
    assert o == {"vacancy_rate": 8 / 40, "low_income_owners_in_EFG": 8.0, "fund_eur_per_label_step": 1000.0}
    df["fund_label_steps"] = 0
    assert np.isnan(sa.outcomes_of(df, 2020)["fund_eur_per_label_step"])


def test_morris_screening_over_all_parameters_writes_tables_and_a_plot(tmp_path):
    sc = load_scenario(FUND)
    problem = sa.load_problem()
    with Executor("serial") as ex:
        m, info = sa.morris(sc, problem, 2, seeds=(1,), scale=0.005, year=2020, executor=ex)
    assert info["samples"] == 2 * (problem["num_vars"] + 1)
    assert set(m["outcome"]) == set(sa.OUTCOMES) and len(m) == 3 * problem["num_vars"]
    assert np.isfinite(m["mu_star"]).all() and (m["mu_star"] >= 0).all()
    vac = m[m["outcome"] == "vacancy_rate"].set_index("parameter")["mu_star"]
    assert vac.max() > 0  # some parameter moves vacancy
    sa.write(tmp_path, m, None, info)
    assert sa.plot(m, None, tmp_path / "s.png").stat().st_size > 1000
    assert (tmp_path / "morris.csv").exists()


def test_sobol_indices_find_the_parameter_that_matters():
    """Three parameters, one of which (total fertility, inert for these outcomes within a year) should not
    dominate the demolition rate's effect on vacancy."""
    sc = load_scenario(FUND)
    problem = {"num_vars": 3, "names": ["demolition_per_1000", "total_fertility_rate", "fund_sale_probability"],
               "bounds": [[0.0, 20.0], [1.3, 1.9], [0.02, 0.4]]}
    with Executor("serial") as ex:
        s, info = sa.sobol(sc, problem, 4, seeds=(1,), scale=0.005, year=2020, executor=ex)
    assert info["samples"] == 4 * (3 + 2)
    st = s[s["outcome"] == "vacancy_rate"].set_index("parameter")["ST"]
    assert st["demolition_per_1000"] > st["total_fertility_rate"]
