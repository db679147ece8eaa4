"""Default in-migration levels and leaving-home rate reasoned from the 2017-2019 CBS panel.

Starting from the synthetic 1 January 2017 stock (the first panel year whose dwelling counts are
consistent with 2019; the 2012 counts are rounded and below the households), the model is run to
1 January 2019. Each municipality's in-migration rate (persons per 1000 inhabitants per year) is adjusted
until the simulated 2019 population matches CBS, and the region-wide leaving-home rate until the simulated
number of households does (a joint fixed-point iteration, averaged over seeds). The results are the
defaults of ``[migration] in_migration_per_1000`` and ``[demography] leave_home_rate`` in
``model/params.py``; rerun this after changing the model's behaviour and copy them there.

    python -m calibration.migration [--scale 0.25] [--seeds 4] [--iterations 6]
"""

from __future__ import annotations

import argparse

import numpy as np

from model import HousingModel, Scenario
from model.data import MUNICIPALITY_CODES, NAME_BY_CODE, load_facts


def simulated_2019(scenario: Scenario, seeds: list[int], scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean simulated 2019 population and households per municipality."""
    pops, hhs = [], []
    for seed in seeds:
        m = HousingModel(scenario, rng=seed, scale=scale)
        while m.running:
            m.step()
        t = m.table()
        last = np.array(t.column("year").to_pylist()) == 2019
        pops.append(np.array(t.column("population").to_pylist())[last])
        hhs.append(np.array(t.column("households").to_pylist())[last])
    return np.mean(pops, axis=0), np.mean(hhs, axis=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=6)
    args = ap.parse_args(argv)
    facts = load_facts()
    pop17 = np.array([facts.value(c, 2017, "AantalInwoners") for c in MUNICIPALITY_CODES])
    pop19 = np.array([facts.value(c, 2019, "AantalInwoners") for c in MUNICIPALITY_CODES])
    hh19 = np.array([facts.value(c, 2019, "HuishoudensTotaal") for c in MUNICIPALITY_CODES])
    sc = Scenario().with_overrides(base_year=2017, end_year=2019)
    rates = np.array([sc.migration.in_migration_per_1000[c] for c in MUNICIPALITY_CODES])
    leave = sc.demography.leave_home_rate
    for it in range(args.iterations):
        sc = sc.with_overrides(leave_home_rate=round(float(leave), 4), in_migration_per_1000=dict(
            zip(MUNICIPALITY_CODES, rates.round(2).tolist(), strict=True)))
        pop, hh = simulated_2019(sc, list(range(args.seeds)), args.scale)
        gap = pop19 - pop
        hh_gap_pct = 100.0 * (hh.sum() - hh19.sum()) / hh19.sum()
        print(f"iteration {it}: leave_home_rate {leave:.4f}; population gap 2019 (CBS - model) "
              f"{gap.round(0).tolist()}; households {hh_gap_pct:+.2f} % against CBS")
        rates = np.clip(rates + gap / 2.0 / pop17 * 1000.0, 0.0, 100.0)
        # households respond by about 2.5 percentage points per unit of log leaving-home rate (measured)
        leave = float(np.clip(leave * np.exp(-hh_gap_pct / 2.5), 0.02, 0.4))
    print(f"\nleave_home_rate = {leave:.3f}")
    print("in_migration_per_1000 = {" + ", ".join(
        f'{c} = {r:.1f}' for c, r in zip(MUNICIPALITY_CODES, rates, strict=True)) + "}")
    for c, r in zip(MUNICIPALITY_CODES, rates, strict=True):
        print(f"  {NAME_BY_CODE[c]:14s} {r:5.1f} per 1000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
