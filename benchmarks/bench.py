"""Benchmark harness: wall time and agent-years per second of the vectorised model and of the object-per-agent
reference, side by side in one run.

    python -m benchmarks.bench [--scales 0.01 0.1 1.0] [--reference-scales 0.01 0.1] [--end-year 2050] [--seed 1]
                               [--scenario scenarios/baseline.toml] [--numpy-fallback]

Per scale, a ``vectorised`` row (model.HousingModel) and, for the scales in ``--reference-scales``, a
``reference`` row: the same yearly rules written the plain Mesa way, one agent object per person, household
and dwelling (benchmarks/reference; an exact oracle, see tests/test_reference.py), run on the same stock
(same scale and seed) over the same years. Columns: agents (persons + households + dwellings at the start),
years, wall seconds (stock build and simulation separately), agent-years per second (agents x years / run
seconds), peak resident memory of the process so far, and on the reference row the speed ratio
vectorised / reference of agent-years per second. The reference runs only on the scales given (nothing is
extrapolated); it implements no policies, so the scenario must have none switched on (the baseline).
Then the time per process for each scale (both implementations where the reference ran), and the time of
output writing after the run (HousingModel.table() and pyarrow.parquet.write_table of it) as a share of the
run time (the issue's goal: under 5 %). The first line says whether the compiled kernels (model/kernels.py,
numba) are in use; ``--numpy-fallback`` adds a row per scale for the same model with their numpy fallback
(ZODRENTHE_NUMBA=0, in a child process), which gives the same outputs.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from model import HousingModel, core, demography, income, kernels, market, renovation, stock_change
from model import allocation as allocation_mod

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


#: The yearly processes, by module (and the indicators: core.measure, called by HousingModel._collect).
PROCESSES = ((demography, ("mortality", "care", "fertility", "separation", "partnership", "leave_home",
                           "out_migration", "in_migration", "ageing")),
             (income, ("yearly_means",)),
             (market, ("update_prices", "moves")),
             (renovation, ("maintenance", "owner_renovation", "corporation_renovation")),
             (stock_change, ("corporation_sales", "structural_vacancy_demolition", "demolition", "construction")),
             (allocation_mod, ("tenant_moves",)),
             (core, ("measure",)))


def timed_processes():
    """Wrap the yearly process functions to accumulate their wall time."""
    totals: dict[str, float] = defaultdict(float)
    originals = []
    for mod, names in PROCESSES:
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


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(scale: float, end_year: int, seed: int, scenario=BASELINE) -> dict:
    totals, restore = timed_processes()
    try:
        t0 = time.perf_counter()
        m = HousingModel(scenario, rng=seed, scale=scale, end_year=end_year)
        totals.clear()  # the indicators of the base year, measured while the model is built, count as build time
        t1 = time.perf_counter()
        agents = m.state.persons.count() + m.state.households.count() + m.state.dwellings.count()
        years = 0
        while m.running:
            m.step()
            years += 1
        t2 = time.perf_counter()
    finally:
        restore()
    table_s, write_s = output_writing(m)
    return dict(implementation="vectorised", scale=scale, agents=agents, years=years, build_s=t1 - t0,
                run_s=t2 - t1, agent_years_per_s=agents * years / (t2 - t1), processes=dict(totals),
                peak_mib=peak_mib(), table_s=table_s, write_s=write_s)


def output_writing(model: HousingModel) -> tuple[float, float]:
    """Seconds to build the indicator table (HousingModel.table(), with the manifest and ledgers) and to
    write it as Parquet (what ``run.py run`` writes), after the run."""
    t0 = time.perf_counter()
    table = model.table()
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pq.write_table(table, f"{tmp}/indicators.parquet")
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def bench_reference(scale: float, end_year: int, seed: int, scenario=BASELINE) -> dict:
    """The object-per-agent reference on the same stock; its steps are timed process by process (exactly
    what ReferenceModel.step does: begin_year, the processes in order, end_year)."""
    from benchmarks.reference import ReferenceModel

    totals: dict[str, float] = defaultdict(float)
    t0 = time.perf_counter()
    m = ReferenceModel(scenario, rng=seed, scale=scale, end_year=end_year)
    t1 = time.perf_counter()
    agents = len(m.agents)
    years = 0
    while m.running:
        m.begin_year()
        for name, process in m.processes():
            t = time.perf_counter()
            process()
            totals[name] += time.perf_counter() - t
        m.end_year()
        years += 1
    t2 = time.perf_counter()
    return dict(implementation="reference", scale=scale, agents=agents, years=years, build_s=t1 - t0,
                run_s=t2 - t1, agent_years_per_s=agents * years / (t2 - t1), processes=dict(totals),
                peak_mib=peak_mib())


HEADER = (f"{'implementation':<16}{'scale':>7}{'agents':>10}{'years':>7}{'build s':>9}{'run s':>9}"
          f"{'agent-years/s':>15}{'peak MiB':>10}{'vectorised/reference':>22}")


def bench_fallback(scale: float, end_year: int, seed: int, scenario) -> dict:
    """The vectorised model with the numpy fallback of the compiled kernels (ZODRENTHE_NUMBA=0), in a child
    process (the choice is made when model.kernels is imported)."""
    env = dict(os.environ, ZODRENTHE_NUMBA="0")
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench", "--_json", str(scale), "--end-year", str(end_year),
                          "--seed", str(seed), "--scenario", str(scenario)], env=env, capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    r = json.loads(out.stdout.splitlines()[-1])
    r["implementation"] = "numpy fallback"
    return r


def row(r: dict, ratio: float | None = None) -> str:
    return (f"{r['implementation']:<16}{r['scale']:>7}{r['agents']:>10,}{r['years']:>7}{r['build_s']:>9.2f}"
            f"{r['run_s']:>9.2f}{r['agent_years_per_s']:>15,.0f}{r['peak_mib']:>10.0f}"
            + ("" if ratio is None else f"{ratio:>21.1f}x"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.1, 1.0],
                    help="scales of the vectorised model (the reference scales are added)")
    ap.add_argument("--reference-scales", type=float, nargs="*", default=[0.01, 0.1],
                    help="scales the object-per-agent reference runs on too (none: --reference-scales)")
    ap.add_argument("--end-year", type=int, default=2050)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=str(BASELINE), help="scenario file (no policies if the reference runs)")
    ap.add_argument("--numpy-fallback", action="store_true",
                    help="also run the vectorised model with the numpy fallback of the compiled kernels")
    ap.add_argument("--_json", type=float, help=argparse.SUPPRESS)  # one vectorised run, as JSON (bench_fallback)
    args = ap.parse_args(argv)
    if args._json is not None:
        print(json.dumps(bench(args._json, args.end_year, args.seed, args.scenario)))
        return 0
    scales = sorted(set(args.scales) | set(args.reference_scales))
    what = (f"compiled by numba {importlib.metadata.version('numba')} for arrays of {kernels.MIN_SIZE:,} elements "
            "or more" if kernels.COMPILED else "numpy fallback")
    print(f"kernels: {what} (model/kernels.py; ZODRENTHE_NUMBA=0 selects the fallback)", flush=True)
    print(HEADER, flush=True)
    results = []
    for scale in scales:
        vec = bench(scale, args.end_year, args.seed, args.scenario)
        print(row(vec), flush=True)
        if args.numpy_fallback and kernels.COMPILED:
            fb = bench_fallback(scale, args.end_year, args.seed, args.scenario)
            print(row(fb) + f"   (compiled kernels: {fb['run_s'] / vec['run_s']:.2f}x faster)", flush=True)
        ref = None
        if scale in args.reference_scales:
            ref = bench_reference(scale, args.end_year, args.seed, args.scenario)
            if (ref["agents"], ref["years"]) != (vec["agents"], vec["years"]):
                raise SystemExit(f"the reference ran {ref['agents']} agents x {ref['years']} years, the vectorised "
                                 f"model {vec['agents']} x {vec['years']}: not the same stock")
            print(row(ref, vec["agent_years_per_s"] / ref["agent_years_per_s"]), flush=True)
        results.append((vec, ref))
    for vec, ref in results:
        total = sum(vec["processes"].values())
        print(f"\ntime per process at scale {vec['scale']} (vectorised: {total:.2f} s of {vec['run_s']:.2f} s"
              + ("" if ref is None else f"; reference: {sum(ref['processes'].values()):.2f} s of {ref['run_s']:.2f} s")
              + "):")
        print(f"  {'process':<30}{'vectorised s':>13}" + ("" if ref is None else f"{'reference s':>13}{'ratio':>9}"))
        for name, s in sorted(vec["processes"].items(), key=lambda kv: -kv[1]):
            line = f"  {name:<30}{s:>13.2f}"
            if ref is not None and name in ref["processes"]:
                r = ref["processes"][name]
                line += f"{r:>13.2f}{r / s if s > 0 else float('nan'):>8.0f}x"
            print(line)
        out = vec["table_s"] + vec["write_s"]
        print(f"  output writing (vectorised): {out:.3f} s = {100 * out / vec['run_s']:.2f} % of the run time "
              f"(table() {vec['table_s']:.3f} s, Parquet {vec['write_s']:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
