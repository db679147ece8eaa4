"""Benchmark harness: wall time and agent-years per second of the vectorised model.

    python -m benchmarks.bench [--scales 0.1 1.0] [--end-year 2050] [--seed 1]

Prints, per scale: agents (persons + households + dwellings at the start), years, wall seconds (stock
build and simulation separately), agent-years per second, peak resident memory, and the time per
process. The object-per-agent Mesa reference that the issues ask to compare against is not written yet
(issue "Performance: a benchmark harness, an object-per-agent reference, and national scale").
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict

from model import HousingModel, demography, income, market, renovation, stock_change
from model import allocation as allocation_mod


def timed_processes():
    """Wrap the yearly process functions to accumulate their wall time."""
    totals: dict[str, float] = defaultdict(float)
    originals = []
    for mod, names in ((demography, ("mortality", "care", "fertility", "separation", "partnership", "leave_home",
                                     "out_migration", "in_migration", "ageing")),
                       (income, ("yearly_means",)),
                       (market, ("update_prices", "moves")),
                       (renovation, ("maintenance", "owner_renovation", "corporation_renovation")),
                       (stock_change, ("corporation_sales", "structural_vacancy_demolition", "demolition",
                                       "construction")),
                       (allocation_mod, ("tenant_moves",))):
        for name in names:
            fn = getattr(mod, name)
            originals.append((mod, name, fn))

            def wrapper(*a, __fn=fn, __name=name, **k):
                t = time.perf_counter()
                try:
                    return __fn(*a, **k)
                finally:
                    totals[__name] += time.perf_counter() - t

            setattr(mod, name, wrapper)

    def restore():
        for mod, name, fn in originals:
            setattr(mod, name, fn)

    return totals, restore


def bench(scale: float, end_year: int, seed: int) -> dict:
    totals, restore = timed_processes()
    try:
        t0 = time.perf_counter()
        m = HousingModel(None, rng=seed, scale=scale, end_year=end_year)
        t1 = time.perf_counter()
        agents = m.state.persons.count() + m.state.households.count() + m.state.dwellings.count()
        years = 0
        while m.running:
            m.step()
            years += 1
        t2 = time.perf_counter()
    finally:
        restore()
    return dict(scale=scale, agents=agents, years=years, build_s=t1 - t0, run_s=t2 - t1,
                agent_years_per_s=agents * years / (t2 - t1), processes=dict(totals))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--end-year", type=int, default=2050)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    print(f"{'implementation':<16}{'scale':>7}{'agents':>10}{'years':>7}{'build s':>9}{'run s':>8}"
          f"{'agent-years/s':>15}{'peak MiB':>10}")
    results = []
    for scale in args.scales:
        r = bench(scale, args.end_year, args.seed)
        results.append(r)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'vectorised':<16}{scale:>7}{r['agents']:>10,}{r['years']:>7}{r['build_s']:>9.2f}{r['run_s']:>8.2f}"
              f"{r['agent_years_per_s']:>15,.0f}{peak:>10.0f}")
        print(f"{'reference':<16}{scale:>7}{'(object-per-agent reference not written yet)':>66}")
    for r in results:
        total = sum(r["processes"].values())
        print(f"\ntime per process at scale {r['scale']} ({total:.2f} s of {r['run_s']:.2f} s):")
        for name, s in sorted(r["processes"].items(), key=lambda kv: -kv[1]):
            print(f"  {name:<30}{s:8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
