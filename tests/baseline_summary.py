"""A small summary of one baseline run, committed as tests/data/baseline_summary.json to catch silent drift.

The run: the default scenario (``model.Scenario()``, i.e. the parameter defaults, not a scenario file),
seed 1, scale 0.05, 2019 -> 2030. The summary holds, per year, population, households, dwellings, vacant
dwellings and persons 65+ summed over the six municipalities, and the 2030 population per municipality. The
model is deterministic for a given seed, so tests/test_baseline_summary.py compares exactly.

    python -m tests.baseline_summary            # print the summary of the current code
    python -m tests.baseline_summary --check    # compare with the committed file (exit status 1 if different)
    python -m tests.baseline_summary --refresh  # rewrite the committed file (make baseline-refresh)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SUMMARY_PATH = Path(__file__).resolve().parent / "data" / "baseline_summary.json"
CONFIG = {"scenario": "defaults (model.Scenario())", "seed": 1, "scale": 0.05, "base_year": 2019,
          "end_year": 2030}
YEAR_COLUMNS = ("population", "households", "dwellings", "vacant_dwellings", "persons_65plus")
REFRESH_HINT = "if the change is intended, refresh with `make baseline-refresh`"


def compute() -> dict:
    """Run the baseline and summarise it."""
    from model import HousingModel, Scenario

    sc = Scenario().with_overrides(base_year=CONFIG["base_year"], end_year=CONFIG["end_year"],
                                   scale=CONFIG["scale"])
    table = HousingModel(sc, rng=CONFIG["seed"]).run_to_end()
    rows = table.to_pylist()
    years = sorted({r["year"] for r in rows})
    by_year = []
    for y in years:
        mine = [r for r in rows if r["year"] == y]
        by_year.append({"year": y, **{c: int(sum(r[c] for r in mine)) for c in YEAR_COLUMNS}})
    last = CONFIG["end_year"]
    by_municipality = {r["municipality_code"]: int(r["population"]) for r in rows if r["year"] == last}
    return {
        "about": "Summary of the default scenario, seed 1, scale 0.05, 2019-2030 (counts expanded by "
                 "1/scale). Compared exactly by tests/test_baseline_summary.py; regenerate with "
                 "`make baseline-refresh` after an intended change of the model's behaviour.",
        "config": dict(CONFIG),
        "by_year": by_year,
        f"population_{last}_by_municipality": by_municipality,
    }


def first_difference(expected: dict, actual: dict) -> str | None:
    """A message naming the first differing year and column (or part of the summary), or None if equal."""
    if expected.get("config") != actual.get("config"):
        return f"the run configuration differs: expected {expected.get('config')}, got {actual.get('config')}"
    exp_years = {r["year"]: r for r in expected.get("by_year", [])}
    act_years = {r["year"]: r for r in actual.get("by_year", [])}
    for year in sorted(set(exp_years) | set(act_years)):
        if year not in act_years:
            return f"year {year}: in the committed summary but not produced by the current model"
        if year not in exp_years:
            return f"year {year}: produced by the current model but not in the committed summary"
        for col in YEAR_COLUMNS:
            e, a = exp_years[year].get(col), act_years[year].get(col)
            if e != a:
                return f"year {year}, column {col}: expected {e}, got {a}"
    keys = sorted(k for k in set(expected) | set(actual)
                  if k.startswith("population_") and k.endswith("_by_municipality"))
    for key in keys:
        year = key.split("_")[1]
        e, a = expected.get(key, {}), actual.get(key, {})
        for code in sorted(set(e) | set(a)):
            if e.get(code) != a.get(code):
                return f"year {year}, column population[{code}]: expected {e.get(code)}, got {a.get(code)}"
    return None


def load(path: Path | None = None) -> dict:
    return json.loads((path or SUMMARY_PATH).read_text(encoding="utf-8"))


def write(summary: dict, path: Path | None = None) -> None:
    path = path or SUMMARY_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.baseline_summary",
                                     description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--refresh", action="store_true", help=f"rewrite {SUMMARY_PATH}")
    group.add_argument("--check", action="store_true", help="compare with the committed summary")
    args = parser.parse_args(argv)
    summary = compute()
    if args.refresh:
        write(summary)
        print(f"wrote {SUMMARY_PATH}")
        return 0
    if args.check:
        diff = first_difference(load(), summary)
        if diff:
            print(f"baseline summary differs: {diff}; {REFRESH_HINT}", file=sys.stderr)
            return 1
        print("baseline summary unchanged")
        return 0
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
