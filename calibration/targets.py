"""Calibration targets: observed CBS series with source, year, municipality, variable and error scale.

``calibration/targets.csv`` is made from ``calibration/data/facts.csv`` by ``python -m calibration.targets``
(every row names the fact it comes from) and read by :func:`load_targets`. A newer CBS table downloaded from
StatLine can replace or add rows: :func:`load_targets(statline=[...])` (see :mod:`calibration.statline`).

Kinds of target:

* ``core``: one figure per municipality and year (2017, 2018, 2019) of the CBS KWB panel: population,
  households, average household size, dwellings, share of owner-occupied dwellings, mean WOZ, share 65+ and
  gas use per dwelling;
* ``trend``: the change 2017 -> 2019 per municipality of population, households and dwellings (the recent
  trend, which the forecast's rates must reproduce);
* ``context``: regional figures the model should reproduce roughly: new construction and demolition per 1000
  dwellings a year in Drenthe 2011-2019 (Trendbureau Drenthe, BAG), compared with the five Drenthe
  municipalities of the model;
* ``validation``: figures after 2019 read from a newer StatLine table (weight 0: reported, never fitted);
* ``soft``: the long run, checked by the validation report and not fitted: the 2019 CBS/PBL forecast puts the
  national share of 65+ at 25.2 % in 2035 and 11 of the 12 Drenthe municipalities above it, so the model's
  region should be above it (a one-sided target).

``error_scale`` is the standard deviation used in the distance (same unit as ``observed``): publication
precision (whole percentages, one-decimal household size, WOZ in thousands) plus a tolerance for what the
model cannot be expected to reproduce. Figures after 2019 are never targets (project rule); the 2022
figure of low-income owner-occupiers in Drenthe is therefore left out.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from model.data import DRENTHE_CODES, MUNICIPALITY_CODES, NAME_BY_CODE, load_facts

HERE = Path(__file__).resolve().parent
TARGETS_FILE = HERE / "targets.csv"
TARGET_YEARS = (2017, 2018, 2019)
REGION = "REGION"
DRENTHE5 = "DRENTHE5"  # the five Drenthe municipalities of the model (Hardenberg is in Overijssel)
LAST_OBSERVED_YEAR = 2019  # project rule: no figures after 2019 for the region

#: model variable -> (CBS KWB variable, factor to the model's unit, error scale, relative?, unit, meaning)
CORE = {
    "population": ("AantalInwoners", 1.0, 0.005, True, "persons", "inhabitants on 1 January"),
    "households": ("HuishoudensTotaal", 1.0, 0.005, True, "households", "private households on 1 January"),
    "mean_household_size": ("GemiddeldeHuishoudensgrootte", 1.0, 0.03, False, "persons/household",
                            "average household size (published to 1 decimal)"),
    "dwellings": ("Woningvoorraad", 1.0, 0.005, True, "dwellings", "dwelling stock on 1 January"),
    "owner_share": ("Koopwoningen_pct", 0.01, 0.01, False, "share", "owner-occupied share of the dwelling stock"),
    "mean_woz": ("GemiddeldeWoningwaarde", 1000.0, 0.025, True, "EUR", "mean WOZ value of dwellings"),
    "share_65plus": ("k_65JaarOfOuder_pct", 0.01, 0.006, False, "share", "share of inhabitants aged 65+"),
    "gas_per_dwelling": ("GemiddeldAardgasverbruik", 1.0, 0.05, True, "m3/yr",
                         "mean gas use per dwelling (weather-dependent, hence the wide scale)"),
}
#: trend targets: the change 2017 -> 2019 per municipality of these counts, error scale as a share of the 2017
#: figure. They weigh the recent trend, from which the forecast's rates (in-migration, household formation,
#: construction) must come, beside the levels that the 2012 start and the years before also shape.
TREND = {"population": 0.003, "households": 0.003, "dwellings": 0.002}
#: headline variables of the Must-show fit measure and their goals (MAPE, %)
GOALS = {"population": 1.0, "households": 1.0, "dwellings": 1.0, "mean_woz": 5.0}


@dataclass
class Target:
    target_id: str
    kind: str            # core | context | soft
    variable: str        # model-side variable (see simulated_values)
    municipality: str    # GMxxxx, DRENTHE5 or REGION
    year: str            # a year, or a period 'YYYY-YYYY' for rates
    observed: float
    error_scale: float   # standard deviation in the unit of observed
    weight: float
    unit: str
    source: str
    relation: str = "eq"  # eq, or ge for a one-sided (soft) target

    @property
    def first_year(self) -> int:
        return int(str(self.year)[:4])

    @property
    def last_year(self) -> int:
        return int(str(self.year)[-4:])


def _core_target(variable: str, code: str, year: int, value: float, source: str) -> Target:
    cbs, factor, scale, relative, unit, _ = CORE[variable]
    obs = float(value) * factor
    return Target(f"{variable}:{code}:{year}", "core", variable, code, str(year), obs,
                  round(scale * obs if relative else scale, 6), 1.0, unit, source)


def build_targets(data_dir: str | None = None) -> list[Target]:
    """The target rows made from facts.csv (core panel 2017-2019, context rates, soft forecast)."""
    facts = load_facts(data_dir)
    out = []
    for variable, (cbs, *_rest) in CORE.items():
        for code in MUNICIPALITY_CODES:
            for year in TARGET_YEARS:
                f = facts.fact(code, year, cbs)
                out.append(_core_target(variable, code, year, f.number, f"{f.source} [{cbs}]"))
    # trend: the change 2017 -> 2019 per municipality
    for variable, scale in TREND.items():
        cbs = CORE[variable][0]
        for code in MUNICIPALITY_CODES:
            a, b = facts.fact(code, 2017, cbs), facts.fact(code, 2019, cbs)
            out.append(Target(f"{variable}_change:{code}:2017-2019", "trend", f"{variable}_change", code,
                              "2017-2019", b.number - a.number, round(scale * a.number, 6), 1.0,
                              CORE[variable][4], f"{b.source} [{cbs} 2019 - 2017]"))
    # context: new construction and demolition per 1000 dwellings per year, Drenthe 2011-2019 (BAG)
    stock = facts.fact("Drenthe", 2016, "dwelling_stock")
    for variable, fact_var, scale in (("construction_per_1000", "new_dwellings_built", 1.0),
                                      ("demolition_per_1000", "dwellings_demolished", 0.5)):
        f = facts.fact("Drenthe", "2011-2019", fact_var)
        rate = f.number / 9.0 / stock.number * 1000.0
        out.append(Target(f"{variable}:{DRENTHE5}:2012-2019", "context", variable, DRENTHE5, "2012-2019",
                          round(rate, 4), scale, 1.0, "per 1000 dwellings per year",
                          f"{f.source} [{fact_var} 2011-2019 = {f.number:.0f}, 9 years] / {stock.source} "
                          f"[dwelling_stock = {stock.number:.0f}]; Drenthe as a whole, compared with the model's "
                          "five Drenthe municipalities"))
    f = facts.fact("Nederland", 2035, "share_65plus_forecast")
    out.append(Target(f"share_65plus:{REGION}:2035", "soft", "share_65plus", REGION, "2035", f.number / 100.0,
                      0.01, 0.0, "share", f"{f.source} [share_65plus_forecast NL 2035; 11 of 12 Drenthe "
                      "municipalities above it]: the region should be at or above it", relation="ge"))
    return out


COLUMNS = [f.name for f in fields(Target)]


def write_targets(targets: list[Target], path: Path = TARGETS_FILE) -> None:
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for t in targets:
            w.writerow(asdict(t))


class TargetError(ValueError):
    """A targets file is malformed; the message names the file and the line."""


def read_targets(path: Path = TARGETS_FILE) -> list[Target]:
    out = []
    with Path(path).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(COLUMNS) - {"relation"} - set(reader.fieldnames or [])
        if missing:
            raise TargetError(f"{path}: missing columns {', '.join(sorted(missing))}")
        for i, row in enumerate(reader, start=2):
            try:
                t = Target(row["target_id"], row["kind"], row["variable"], row["municipality"], row["year"],
                           float(row["observed"]), float(row["error_scale"]), float(row["weight"]), row["unit"],
                           row["source"], row.get("relation") or "eq")
            except (TypeError, ValueError) as exc:
                raise TargetError(f"{path}, line {i}: {exc}") from None
            if not (t.error_scale > 0 and np.isfinite(t.observed)):
                raise TargetError(f"{path}, line {i}: error_scale must be > 0 and observed finite")
            if t.first_year > LAST_OBSERVED_YEAR and not (t.kind in ("soft", "validation") and t.weight == 0):
                raise TargetError(f"{path}, line {i}: year {t.year} is after {LAST_OBSERVED_YEAR}; only soft "
                                  "(forecast) and validation targets with weight 0 may lie beyond the calibration "
                                  "years")
            out.append(t)
    return out


def load_targets(path: Path | str | None = None, statline: list[str | Path] | None = None,
                 statline_year: int | None = None) -> list[Target]:
    """The targets file, with rows replaced or added from StatLine exports (CSV or OData JSON)."""
    targets = read_targets(Path(path) if path else TARGETS_FILE)
    if statline:
        from .statline import targets_from_statline

        by_id = {t.target_id: t for t in targets}
        for p in statline:
            for t in targets_from_statline(p, year=statline_year):
                by_id[t.target_id] = t
        targets = list(by_id.values())
    return targets


# -- simulated counterparts ------------------------------------------------------------------------------
def _region_rows(df: pd.DataFrame, which: str) -> pd.DataFrame:
    codes = DRENTHE_CODES if which == DRENTHE5 else MUNICIPALITY_CODES
    return df[df["municipality_code"].isin(codes)]


def _aggregate_value(rows: pd.DataFrame, variable: str) -> float:
    s = rows.sum(numeric_only=True)
    if variable in ("population", "households", "dwellings"):
        return float(s[variable])
    if variable == "mean_household_size":
        return float((rows["mean_household_size"] * rows["households"]).sum() / max(s["households"], 1))
    if variable == "owner_share":
        return float(s["owner_occupied_dwellings"] / max(s["dwellings"], 1))
    if variable == "mean_woz":
        return float((rows["mean_value_eur"] * rows["dwellings"]).sum() / max(s["dwellings"], 1))
    if variable == "share_65plus":
        return float(s["persons_65plus"] / max(s["population"], 1))
    if variable == "gas_per_dwelling":
        return float(s["gas_m3"] / max(s["occupied_dwellings"], 1))
    raise KeyError(variable)


def simulated_value(df: pd.DataFrame, t: Target) -> float:
    """The model's counterpart of target ``t`` in one run's indicator rows (a DataFrame); NaN if the run
    does not cover the target's years."""
    if t.variable in ("construction_per_1000", "demolition_per_1000"):
        col = "new_construction" if t.variable == "construction_per_1000" else "demolished"
        rows = _region_rows(df, t.municipality)
        # events of year Y are in the row of 1 January Y+1
        years = range(t.first_year + 1, t.last_year + 1)
        ev = rows[rows["year"].isin(years)]
        if ev["year"].nunique() < len(years):
            return float("nan")
        stock = rows[rows["year"].isin(range(t.first_year, t.last_year))].groupby("year")["dwellings"].sum()
        return float(ev[col].sum() / len(years) / stock.mean() * 1000.0)
    if t.municipality in (REGION, DRENTHE5):
        rows = _region_rows(df, t.municipality)
    else:
        rows = df[df["municipality_code"] == t.municipality]
    if t.variable.endswith("_change"):  # a trend target: last year minus first year
        base = t.variable.removesuffix("_change")
        first, last = rows[rows["year"] == t.first_year], rows[rows["year"] == t.last_year]
        if first.empty or last.empty:
            return float("nan")
        return _aggregate_value(last, base) - _aggregate_value(first, base)
    rows = rows[rows["year"] == t.first_year]
    if rows.empty:
        return float("nan")
    return _aggregate_value(rows, t.variable)


def simulated_values(df: pd.DataFrame, targets: list[Target]) -> np.ndarray:
    return np.array([simulated_value(df, t) for t in targets])


def observed_panel(variable: str, data_dir: str | None = None) -> pd.DataFrame:
    """The CBS KWB panel (2012, 2017, 2018, 2019) of one core variable: rows year, columns municipality code."""
    facts = load_facts(data_dir)
    cbs, factor, *_ = CORE[variable]
    return pd.DataFrame({code: {y: facts.value(code, y, cbs) * factor for y in (2012, *TARGET_YEARS)}
                         for code in MUNICIPALITY_CODES})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write calibration/targets.csv from calibration/data/facts.csv")
    ap.add_argument("--out", type=Path, default=TARGETS_FILE)
    args = ap.parse_args(argv)
    targets = build_targets()
    write_targets(targets, args.out)
    print(f"wrote {len(targets)} targets to {args.out}")
    for t in targets:
        if t.kind != "core":
            print(f"  {t.target_id}: {t.observed:.4g} {t.unit} ({t.kind})")
    names = ", ".join(NAME_BY_CODE[c] for c in MUNICIPALITY_CODES)
    print(f"  core: {', '.join(CORE)} for {names} in {', '.join(map(str, TARGET_YEARS))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
