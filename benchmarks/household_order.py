"""What would persons stored in household order save? A measurement for a design decision, not a model option.

    python -m benchmarks.household_order [--year 2040] [--years 2] [--repeat 6] [--scale 1.0]
    python -m benchmarks.household_order --which [--scale 0.1] [--years 3]

Runs the baseline to 1 January of ``--year``, then compacts the persons in their stored order (as the model does)
and either leaves them so or sorts them by their household's row (stable, so each household keeps its members'
order; persons without a household last), and times the next ``--years`` years in process time. The two arms
alternate (which goes first alternates too) so that both meet the same state of this shared machine; it prints
each repeat and the median per process.

After the sort the model runs another realisation: the processes that list persons in row order (fertility,
separation, partnership, leave-home, in-migration; ``--which``) see them in another order. So this measures time
only; the outputs of the two arms differ, and the model itself keeps its order (see the README's Speed section).

``--which`` says which processes those are: from the base year, before each process (and each computation of
the indicators) of ``--years`` years, a copy of the model with its persons sorted by household runs it too, and
every table (alive entities by id, every column) or indicator is compared with the original's.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import time

import numpy as np

from benchmarks.bench import PROCESSES, timed_processes
from model.core import HousingModel
from model.income import person_household_rows


def reorder_persons(model: HousingModel, by_household: bool) -> None:
    """Compact the persons (every dead slot dropped, the order kept), then, ``by_household``, sort them by household
    row; row_of follows, and the caches keyed on the table's layout and compactions are rebuilt at their next use,
    as after a compaction."""
    p = model.state.persons
    p.compact(0.0)
    if not by_household:
        return
    hrow = person_household_rows(model.state).astype(np.int64)
    order = np.argsort(np.where(hrow >= 0, hrow, np.iinfo(np.int64).max), kind="stable")
    for arr in p._cols.values():
        arr[: p.n] = arr[: p.n][order]
    p.row_of[p._cols["id"][: p.n]] = np.arange(p.n, dtype=p.row_of.dtype)
    p._touch(layout=True)
    p.compactions += 1


def measure(scenario: str, seed: int, scale: float, year: int, years: int, repeat: int) -> dict:
    totals, restore = timed_processes()
    runs: dict[bool, list[float]] = {False: [], True: []}
    per: dict[bool, dict[str, list[float]]] = {False: {}, True: {}}
    try:
        for rep in range(repeat):
            for arm in ((False, True) if rep % 2 == 0 else (True, False)):
                model = HousingModel(scenario, rng=seed, scale=scale)
                while model.year < year:
                    model.step()
                reorder_persons(model, arm)
                totals.clear()
                t = time.process_time()
                for _ in range(years):
                    model.step()
                runs[arm].append(time.process_time() - t)
                for name, s in totals.items():
                    per[arm].setdefault(name, []).append(s)
                print(f"repeat {rep}: {'household order' if arm else 'stored order   '} {runs[arm][-1]:.3f} s")
    finally:
        restore()
    return {"runs": runs, "per": per}


def _tables(model: HousingModel) -> dict[str, np.ndarray]:
    """Every column of the alive entities of each table, in id order."""
    out = {}
    for name in ("persons", "households", "dwellings"):
        t = getattr(model.state, name)
        alive = t.peek("alive")
        order = np.argsort(t.peek("id")[alive])
        out.update((f"{name}.{k}", t.peek(k)[alive][order]) for k in t.dtypes if k != "alive")
    return out


def _differ(a: dict, b: dict) -> set[str]:
    return {k for k, x in a.items() if not np.array_equal(x, b[k], equal_nan=np.asarray(x).dtype.kind == "f")}


def which(scenario: str, seed: int, scale: float, years: int) -> dict[str, set[str]]:
    """Per process (and "measure"): the columns or indicators that differ when the persons are stored in
    household order before it runs; an empty set: the same results in either order."""
    found: dict[str, set[str]] = {}
    originals = []

    def probe(model, *args, __fn, __name, **kwargs):
        if getattr(model, "_twin", False):
            return __fn(model, *args, **kwargs)
        twin = pickle.loads(pickle.dumps(model))
        twin._twin = True
        reorder_persons(twin, by_household=True)
        twin_args, twin_kwargs = pickle.loads(pickle.dumps((args, kwargs)))  # (flows and targets are changed)
        result = __fn(model, *args, **kwargs)
        twin_result = __fn(twin, *twin_args, **twin_kwargs)
        if __name == "measure":
            diff = _differ(result, twin_result)
        else:
            diff = _differ(_tables(model), _tables(twin))
        found.setdefault(__name, set()).update(diff)
        return result

    try:
        for mod, names in PROCESSES:
            for name in names:
                fn = getattr(mod, name)
                originals.append((mod, name, fn))
                setattr(mod, name, lambda *a, __fn=fn, __name=name, **k: probe(*a, __fn=__fn, __name=__name, **k))
        model = HousingModel(scenario, rng=seed, scale=scale)
        for _ in range(years):
            model.step()
    finally:
        for mod, name, fn in originals:
            setattr(mod, name, fn)
    return found


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--year", type=int, default=2040, help="the state's year (1 January) at which to reorder")
    ap.add_argument("--years", type=int, default=2, help="years timed after the reordering")
    ap.add_argument("--repeat", type=int, default=6)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default="scenarios/baseline.toml")
    ap.add_argument("--which", action="store_true", help="say which processes depend on the persons' order")
    a = ap.parse_args(argv)
    if a.which:
        for name, cols in which(a.scenario, a.seed, a.scale, a.years).items():
            print(f"{name:32s} {'differs: ' + ', '.join(sorted(cols)) if cols else 'the same in either order'}")
        return
    r = measure(a.scenario, a.seed, a.scale, a.year, a.years, a.repeat)
    stored, sorted_ = (statistics.median(r["runs"][k]) for k in (False, True))
    print(f"\n{a.years} years from 1 January {a.year}, scale {a.scale}, median of {a.repeat}: stored order "
          f"{stored:.3f} s, household order {sorted_:.3f} s, ratio {sorted_ / stored:.3f}")
    print(f"{'process':32s} {'stored s':>9s} {'household s':>12s} {'ratio':>6s}")
    for name in sorted(r["per"][False], key=lambda k: -statistics.median(r["per"][False][k])):
        a_s, b_s = (statistics.median(r["per"][k][name]) for k in (False, True))
        print(f"{name:32s} {a_s:9.4f} {b_s:12.4f} {b_s / a_s if a_s else float('nan'):6.2f}")


if __name__ == "__main__":
    main()
