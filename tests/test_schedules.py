"""Age schedules: mortality anchored on the CBS life-table figures in facts.csv; fertility sums to the TFR."""

from __future__ import annotations

import numpy as np
import pytest

from model.schedules import MAX_AGE, Q_CAP, fertility_by_age, life_expectancy, mortality_table

R = 0.013  # default mortality_improvement_per_year


def anchor(facts, year, var):
    return facts.value("Nederland", year, var)


def test_mortality_hits_the_cbs_anchors(facts):
    q2015 = mortality_table(facts, 2015, R)
    assert q2015[0, 61] == pytest.approx(anchor(facts, 2015, "qx_men_age61"), rel=1e-9)
    assert q2015[0, 81] == pytest.approx(anchor(facts, 2015, "qx_men_age81"), rel=1e-9)
    q2023 = mortality_table(facts, 2023, R)
    assert q2023[0, 0] == pytest.approx(anchor(facts, 2023, "qx_men_age0"), rel=1e-9)
    assert q2023[1, 0] == pytest.approx(anchor(facts, 2023, "qx_women_age0"), rel=1e-9)
    assert q2023[0, 21] == pytest.approx(anchor(facts, 2023, "qx_men_age21"), rel=1e-9)
    # the yearly improvement derived from the 2015 -> 2023 anchors reproduces the 2023 figures within 2 %
    assert q2023[0, 61] == pytest.approx(anchor(facts, 2023, "qx_men_age61"), rel=0.02)
    assert q2023[0, 81] == pytest.approx(anchor(facts, 2023, "qx_men_age81"), rel=0.02)


def test_women_life_expectancy_2023_matches_cbs(facts):
    q = mortality_table(facts, 2023, R)
    assert life_expectancy(q[1], 0) == pytest.approx(anchor(facts, 2023, "ex_women_age0"), abs=0.01)
    assert 75 < life_expectancy(q[0], 0) < life_expectancy(q[1], 0)  # men live shorter, but not absurdly


def test_mortality_shape(facts):
    q = mortality_table(facts, 2019, R)
    assert q.shape == (2, MAX_AGE + 1)
    assert (q >= 0).all() and (q <= Q_CAP).all()
    for sex in (0, 1):
        assert np.all(np.diff(q[sex, 21:101]) >= 0), "q must not fall with age from 21 to 100"
        assert np.all(np.diff(q[sex, 40:101]) > 0), "q must rise with age from 40 to 100"
        assert np.all(q[sex, 1:21] < q[sex, 21]), "childhood below the young-adult level"
    assert np.all(q[1, 21:95] < q[0, 21:95]), "women's q must be below men's at adult ages"


def test_mortality_improvement_and_multiplier(facts):
    base = mortality_table(facts, 2015, R)
    later = mortality_table(facts, 2025, R)
    unc = base < Q_CAP
    assert np.allclose(later[unc & (later < Q_CAP)], (base * (1 - R) ** 10)[unc & (later < Q_CAP)])
    doubled = mortality_table(facts, 2015, R, multiplier=2.0)
    small = base < Q_CAP / 2
    assert np.allclose(doubled[small], 2 * base[small])


@pytest.mark.parametrize(("tfr", "mean", "sd"), [(1.6, 31.0, 5.0), (1.2, 29.0, 4.0), (2.5, 33.0, 8.0)])
def test_fertility_schedule(tfr, mean, sd):
    f = fertility_by_age(tfr, mean, sd)
    ages = np.arange(f.size)
    assert f.sum() == pytest.approx(tfr)
    assert (f[(ages < 15) | (ages > 49)] == 0).all()
    assert (f >= 0).all()
    assert abs(int(np.argmax(f)) - mean) <= 1


def test_mortality_table_the_same_from_the_kept_curves(facts):
    from model.schedules import _curves

    _curves.cache_clear()
    first = [mortality_table(facts, y, R, m) for y, m in ((2019, 1.0), (2030, 1.3))]
    kept = [mortality_table(facts, y, R, m) for y, m in ((2019, 1.0), (2030, 1.3))]
    assert _curves.cache_info().hits >= 2
    for a, b in zip(first, kept, strict=True):
        assert a.tobytes() == b.tobytes()
        a[0, 0] = 1.0  # the tables handed out are the caller's own
    assert mortality_table(facts, 2019, R)[0, 0] == kept[0][0, 0]
