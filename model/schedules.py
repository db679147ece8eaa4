"""Age schedules built from the fact base: death probabilities q(x) by sex and year, fertility by age.

Mortality: a Gompertz curve through the CBS life-table anchors for men in 2015 (q at 61 and 81); women
by the women/men ratio of the 1995-2000 five-year tables (ages 60-85) and of the 2023 anchors (ages 0 and
21), rescaled from age 21 so that women's 2023 life expectancy at birth is CBS's; infant and young-adult
levels from the 2023 anchors; all moved to the simulated year with a yearly improvement rate (a parameter
whose default is derived from the 2015 -> 2023 anchors).
"""

from __future__ import annotations

import functools

import numpy as np

from .data import Facts

MAX_AGE = 110
Q_CAP = 0.7  # death probability above which the Gompertz curve is capped (ages 100+)


def _anchor(facts: Facts, year: int, variable: str) -> float:
    return facts.value("Nederland", year, variable)


#: The life-table anchors mortality_table reads: (geography, year, variable).
_ANCHORS = (
    ("Nederland", 2015, "qx_men_age61"), ("Nederland", 2015, "qx_men_age81"),
    ("Nederland", 2023, "qx_men_age0"), ("Nederland", 2023, "qx_men_age21"),
    ("Nederland", 2023, "qx_women_age0"), ("Nederland", 2023, "qx_women_age21"),
    *(("Nederland", "1995-2000", f"annual_q_{sex}_age{a}_derived") for a in (60, 65, 70, 75, 80, 85)
      for sex in ("women", "men")),
    ("Nederland", 2023, "ex_women_age0"),
)


def mortality_table(facts: Facts, year: int, improvement: float, multiplier: float = 1.0) -> np.ndarray:
    """Death probability within one year, shape (2, MAX_AGE + 1): row 0 men, row 1 women.

    The curves before the year's improvement and the multiplier (a bisection of 50 steps, about 1 ms) depend
    on the anchors and the improvement rate only: they are computed once for each and kept (_curves), and
    each year only scales them."""
    anchors = tuple(facts.value(*a) for a in _ANCHORS)
    men, women = _curves(anchors, improvement)
    q = np.vstack([men, women]) * multiplier * (1.0 - improvement) ** (year - 2015)
    return np.clip(q, 0.0, Q_CAP)


@functools.lru_cache(maxsize=16)
def _curves(anchors: tuple[float, ...], improvement: float) -> tuple[np.ndarray, np.ndarray]:
    """q(x) of men and women in 2015 terms (read-only), from the values of _ANCHORS in that order."""
    value = dict(zip(_ANCHORS, anchors, strict=True))

    def anchor(year, variable):
        return value[("Nederland", year, variable)]

    ages = np.arange(MAX_AGE + 1, dtype=float)
    # Men, anchor year 2015: Gompertz through q61 and q81.
    q61 = anchor(2015, "qx_men_age61")
    q81 = anchor(2015, "qx_men_age81")
    b = np.log(q81 / q61) / 20.0
    gompertz_2015 = q61 * np.exp(b * (ages - 61.0))
    # Young ages, anchor year 2023.
    shift_2023 = (1.0 - improvement) ** (2023 - 2015)
    q0_m = anchor(2023, "qx_men_age0") / shift_2023
    q21_m = anchor(2023, "qx_men_age21") / shift_2023
    men = np.maximum(gompertz_2015, q21_m)
    men[1:21] = 0.5 * q21_m  # childhood: below the young-adult level (assumption; tiny effect)
    men[0] = q0_m
    # Women: ratio women/men by age.
    ratio_ages = [0, 21, 60, 65, 70, 75, 80, 85]
    ratio_vals = [
        anchor(2023, "qx_women_age0") / anchor(2023, "qx_men_age0"),
        anchor(2023, "qx_women_age21") / anchor(2023, "qx_men_age21"),
    ]
    for a in ratio_ages[2:]:
        ratio_vals.append(anchor("1995-2000", f"annual_q_women_age{a}_derived")
                          / anchor("1995-2000", f"annual_q_men_age{a}_derived"))
    ratio = np.interp(ages, ratio_ages, ratio_vals)
    # The women's advantage has narrowed since 1995-2000: scale the ratio from age 21 on so that the
    # 2023 period life expectancy of women at birth matches CBS (ex_women_age0).
    target_e0 = anchor(2023, "ex_women_age0")
    men_2023 = men * (1.0 - improvement) ** (2023 - 2015)
    lo, hi = 0.5, 2.5
    for _ in range(50):
        k = 0.5 * (lo + hi)
        r = np.where(ages >= 21, ratio * k, ratio)
        if life_expectancy(np.clip(men_2023 * r, 0, Q_CAP), 0) > target_e0:
            lo = k
        else:
            hi = k
    ratio = np.where(ages >= 21, ratio * 0.5 * (lo + hi), ratio)
    women = men * ratio
    men.flags.writeable = False
    women.flags.writeable = False
    return men, women


def anchor_improvement_rate(facts: Facts) -> float:
    """Yearly relative decline of q(x) implied by the CBS anchors for men at 61 and 81, 2015 -> 2023."""
    rates = [1.0 - (_anchor(facts, 2023, v) / _anchor(facts, 2015, v)) ** (1 / 8)
             for v in ("qx_men_age61", "qx_men_age81")]
    return float(np.mean(rates))


def life_expectancy(q: np.ndarray, age: int) -> float:
    """Period life expectancy at ``age`` for one sex's q(x) (deaths mid-year)."""
    surv = np.cumprod(np.concatenate([[1.0], 1.0 - q[age:]]))
    return float((surv[:-1] - 0.5 * (surv[:-1] - surv[1:])).sum())


def fertility_by_age(tfr: float, mean_age: float, sd_age: float) -> np.ndarray:
    """Births per woman per year by age (0..MAX_AGE), normal profile over ages 15-49 summing to ``tfr``."""
    ages = np.arange(MAX_AGE + 1, dtype=float)
    w = np.exp(-0.5 * ((ages - mean_age) / sd_age) ** 2)
    w[(ages < 15) | (ages > 49)] = 0.0
    return tfr * w / w.sum()
