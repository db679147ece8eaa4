"""National-scale benchmark: the region's synthetic stock replicated until it has the size of the Netherlands.

    python -m benchmarks.national [--copies 30] [--years 2] [--seed 1] [--scenario scenarios/baseline.toml]

The full-region stock of 2019 (about 310,000 persons, 135,000 households and 137,000 dwellings) is built
once and its three tables are replicated ``--copies`` times (ids, draw keys and the links between persons,
households and dwellings shifted per copy), which keeps the six municipalities' distributions; 30 copies
give about 9.3 million persons, 4.0 million households and 4.1 million dwellings, 58 copies about the
Netherlands (18 million persons). The model then runs ``--years`` years and the harness prints agents,
years, wall seconds (build, replication, each year), agent-years per second, peak resident memory and the time
per process over the years run and in each of them (the first year is slower: its heap grows to its peak, and a
new page costs its first touch). It measures the years it runs and extrapolates nothing.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from benchmarks.bench import timed_processes
from model import HousingModel, kernels
from model.entities import KEY_BITS, EntityTable

LOW = (1 << KEY_BITS) - 1
BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


def _replicate_table(t: EntityTable, copies: int, links: dict[str, int]) -> None:
    """Replace the table's rows by ``copies`` copies of them; ``links`` maps columns holding ids of another
    table to that table's id count (the shift per copy; -1 stays -1). The slots and the id lookup keep the
    table's headroom (``copies`` times its capacity), as a table grown to that size by the model would have:
    without it the first year's births would copy every column to a larger array."""
    n, next_id = t.n, t.next_id
    kmax = max(t._key_next.values()) if t._key_next else 0
    cols = {}
    for name, arr in t._cols.items():
        base = arr[:n]
        out = np.zeros(t._cap * copies, dtype=arr.dtype)
        for r in range(copies):
            part = out[r * n:(r + 1) * n]
            if name == "id":
                np.add(base, r * next_id, out=part)
            elif name == "key":
                part[:] = ((base >> KEY_BITS) << KEY_BITS) | ((base & LOW) + r * kmax)
            elif name in links:
                part[:] = np.where(base >= 0, base + r * links[name], base)
            else:
                part[:] = base
        cols[name] = out
    t._cols = cols
    t._cap = t._cap * copies
    t.n = n * copies
    t.next_id = next_id * copies
    t.row_of = np.full(max(t.row_of.size * copies, t.next_id), -1, dtype=t.row_of.dtype)
    alive = cols["alive"][: t.n]
    t.row_of[cols["id"][: t.n][alive]] = np.flatnonzero(alive)
    t._key_next = {m: kmax * copies for m in t._key_next}
    t._touch(layout=True)  # rows replaced: cached derived values (household_facts) are stale


def replicate(model: HousingModel, copies: int) -> None:
    """Replicate the model's persons, households and dwellings ``copies`` times in place."""
    st = model.state
    n_h, n_d = st.households.next_id, st.dwellings.next_id
    _replicate_table(st.persons, copies, {"household_id": n_h})
    _replicate_table(st.households, copies, {"dwelling_id": n_d})
    _replicate_table(st.dwellings, copies, {"household_id": n_h})
    model._rows.clear()  # the base-year rows describe the replicated stock
    model._collect(None)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=30, help="copies of the region's stock (58 = the Netherlands)")
    ap.add_argument("--years", type=int, default=2, help="years to simulate from 2019")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=str(BASELINE), help="scenario file (default: the calibrated baseline)")
    args = ap.parse_args(argv)
    print(f"kernels: {'compiled by numba' if kernels.COMPILED else 'numpy fallback'} (model/kernels.py)", flush=True)
    t0 = time.perf_counter()
    m = HousingModel(args.scenario, rng=args.seed, end_year=2019 + args.years)
    t1 = time.perf_counter()
    replicate(m, args.copies)
    t2 = time.perf_counter()
    st = m.state
    counts = st.persons.count(), st.households.count(), st.dwellings.count()
    agents = sum(counts)
    print(f"copies {args.copies}: {counts[0]:,} persons, {counts[1]:,} households, {counts[2]:,} dwellings "
          f"({agents:,} agents); build {t1 - t0:.2f} s, replication {t2 - t1:.2f} s")
    years, per_year = [], []
    totals, restore = timed_processes()
    try:
        while m.running:
            before = dict(totals)
            t = time.perf_counter()
            m.step()
            years.append(time.perf_counter() - t)
            per_year.append({k: v - before.get(k, 0.0) for k, v in totals.items()})
            print(f"  year {m.year - 1}: {years[-1]:.2f} s, peak memory {peak_mib():,.0f} MiB", flush=True)
    finally:
        restore()
    run = sum(years)
    print(f"agents {agents:,}  years {len(years)}  run {run:.2f} s  agent-years/s {agents * len(years) / run:,.0f}  "
          f"peak MiB {peak_mib():,.0f}")
    # per year too: the first year also pays for the memory the process takes on (the heap grows to its peak,
    # every new page is zeroed at its first touch), the later ones reuse it
    print(f"time per process ({sum(totals.values()):.2f} s of {run:.2f} s; then each year's):")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<30}{seconds:8.2f}" + "".join(f"{y.get(name, 0.0):8.2f}" for y in per_year))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
