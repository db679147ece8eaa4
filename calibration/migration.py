"""Default in-migration levels reasoned from the 2017-2019 CBS panel.

Starting from the synthetic 1 January 2017 stock (the first panel year with BAG-based dwelling counts
consistent with 2019; the 2012 counts are rounded and the stock definition differs), the model is run to 1 January 2019 and each
municipality's in-migration rate (persons per 1000 inhabitants per year) is adjusted until the simulated
2019 population matches the CBS 2019 figure (a fixed-point iteration, averaged over seeds). The result is
what ``[migration] in_migration_per_1000`` defaults to in ``model/params.py``.

    python -m calibration.migration [--scale 0.25] [--seeds 3] [--iterations 4]
"""

from __future__ import annotations

import argparse

import numpy as np

from model import HousingModel, Scenario
from model.data import MUNICIPALITY_CODES, NAME_BY_CODE, load_facts


def simulated_2019(scenario: Scenario, seeds: list[int], scale: float) -> np.ndarray:
    pops = []
    for seed in seeds:
        m = HousingModel(scenario, rng=seed, scale=scale)
        while m.running:
            m.step()
        t = m.table()
        years = np.array(t.column("year").to_pylist())
        pop = np.array(t.column("population").to_pylist())[years == 2019]
        pops.append(pop)
    return np.mean(pops, axis=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=4)
    args = ap.parse_args(argv)
    facts = load_facts()
    obs17 = np.array([facts.value(c, 2017, "AantalInwoners") for c in MUNICIPALITY_CODES])
    obs19 = np.array([facts.value(c, 2019, "AantalInwoners") for c in MUNICIPALITY_CODES])
    sc = Scenario().with_overrides(base_year=2017, end_year=2019)
    rates = np.array([sc.migration.in_migration_per_1000[c] for c in MUNICIPALITY_CODES])
    for it in range(args.iterations):
        sc = sc.with_overrides(in_migration_per_1000=dict(zip(MUNICIPALITY_CODES, rates.round(2).tolist(),
                                                              strict=True)))
        sim = simulated_2019(sc, list(range(args.seeds)), args.scale)
        gap = obs19 - sim
        print(f"iteration {it}: gap 2019 (observed - simulated) = {gap.round(0).tolist()}")
        rates = np.clip(rates + gap / 2.0 / obs17 * 1000.0, 0.0, 100.0)
    print("\nin_migration_per_1000 = {" + ", ".join(
        f'{c} = {r:.1f}' for c, r in zip(MUNICIPALITY_CODES, rates, strict=True)) + "}")
    for c, r in zip(MUNICIPALITY_CODES, rates, strict=True):
        print(f"  {NAME_BY_CODE[c]:14s} {r:5.1f} per 1000")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
