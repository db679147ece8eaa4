"""The report's data: the per-seed runs of a comparison folder, regional totals, and bands over seeds.

Every band in the report comes from the per-seed runs: the 5th and 95th percentile over seeds of a
scenario's value, and of the paired difference (scenario - baseline, same seed) where a difference is shown.
Cost per result comes from ``comparison.parquet`` (ratio of means with a bootstrap band over the same seeds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from model.state import LABELS

REGION = "REGION"
#: counts that add up over municipalities
ADDITIVE = ("population", "households", "dwellings", "vacant_dwellings", "long_term_vacant_dwellings", "unsellable",
            "low_income_owners_in_EFG", "energy_poor_households", "persons_75plus_not_lifetime_proof",
            "value_total_eur", *(f"label_{x}" for x in LABELS))


class ReportError(ValueError):
    """The results folder cannot give a report (missing, no runs, no baseline)."""


@dataclass
class Results:
    folder: Path
    frame: pd.DataFrame            # scenario, seed, year, municipality_code, municipality, measures (incl. REGION)
    ledgers: pd.DataFrame          # fund ledger rows with scenario and seed (may be empty)
    comparison: pd.DataFrame       # the long table of experiments/comparison.py
    baseline: str
    scenarios: list[str]           # the others, in the order of the comparison
    seeds: list[int]
    meta: dict = field(default_factory=dict)        # comparison metadata
    manifests: dict = field(default_factory=dict)   # scenario -> manifest of its first seed's run
    municipalities: list[tuple[str, str]] = field(default_factory=list)  # (code, name), model order
    groups: dict = field(default_factory=dict, repr=False)  # (scenario, code) -> rows, filled on first use

    @property
    def code_version(self) -> str:
        return str(self.meta.get("code_version") or next(iter(self.manifests.values()), {}).get("code_version", "?"))

    @property
    def scale(self):
        m = self.manifests.get(self.baseline, {})
        return m.get("parameters", {}).get("run.scale", self.meta.get("overrides", {}).get("scale", "?"))

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.frame.year.unique())


def _derive(df: pd.DataFrame) -> pd.DataFrame:
    """Ratios and shares from the additive counts (for municipality and REGION rows alike)."""
    dw = df["dwellings"].clip(lower=1)
    df["vacancy_rate_pct"] = 100.0 * df["vacant_dwellings"] / dw
    df["mean_value_keur"] = df["value_total_eur"] / dw / 1e3
    for x in LABELS:
        df[f"label_{x}_pct"] = 100.0 * df[f"label_{x}"] / dw
    df["efg_share_pct"] = df["label_E_pct"] + df["label_F_pct"] + df["label_G_pct"]
    return df


def with_region(df: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows plus one REGION row per scenario x seed x year (the six municipalities together)."""
    df = df.copy()
    df["value_total_eur"] = df["mean_value_eur"] * df["dwellings"]
    keys = ["scenario", "seed", "year"]
    region = df.groupby(keys, as_index=False)[list(ADDITIVE)].sum(min_count=1)
    region["municipality_code"] = REGION
    region["municipality"] = REGION
    cols = [*keys, "municipality_code", "municipality", *ADDITIVE]
    out = pd.concat([df[cols], region[cols]], ignore_index=True)
    for c in ADDITIVE:
        out[c] = out[c].astype(float)
    return _derive(out).sort_values([*keys, "municipality_code"]).reset_index(drop=True)


def load(folder: str | Path) -> Results:
    """Read a ``run.py compare`` folder: the per-seed runs, the fund ledgers and comparison.parquet."""
    from experiments.comparison import compare, load_runs

    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such folder (expected the --out folder of 'run.py compare')")
    if not (folder / "runs").is_dir():
        raise ReportError(f"{folder}: no runs/ folder; make it with 'python run.py compare BASE.toml A.toml ... "
                          f"--out {folder}'")
    df, ledgers = load_runs(folder)
    if df.empty:
        raise ReportError(f"{folder}: no finished runs")
    cpath = folder / "comparison.parquet"
    if cpath.exists():
        table = pq.read_table(cpath)
        meta = json.loads((table.schema.metadata or {}).get(b"comparison", b"{}"))
        comparison = table.to_pandas()
    else:
        meta, comparison = {}, None
    names = list(meta.get("scenarios") or sorted(df.scenario.unique()))
    baseline = meta.get("baseline") or ("baseline" if "baseline" in names else names[0])
    seeds = list(meta.get("seeds") or sorted(int(s) for s in df.seed.unique()))
    df = df[df.scenario.isin(names) & df.seed.isin(seeds)]
    if "paramset" in df.columns and df.paramset.nunique() > 1:
        df = df[df.paramset.astype(str) == "base"]
    if baseline not in set(df.scenario):
        raise ReportError(f"{folder}: no runs of the baseline scenario {baseline!r}")
    if not ledgers.empty:
        ledgers = ledgers[ledgers.scenario.isin(names) & ledgers.seed.isin(seeds)]
    if comparison is None:
        comparison = compare(df, ledgers, baseline=baseline)
    others = [n for n in names if n != baseline and n in set(df.scenario)]
    if not others:
        raise ReportError(f"{folder}: only the baseline was run; compare needs at least one other scenario")
    manifests = {}
    for name in names:
        paths = sorted((folder / "runs").glob(f"scenario={name}/paramset=*/seed=*.parquet"))
        if paths:
            manifests[name] = json.loads((pq.read_schema(paths[0]).metadata or {}).get(b"manifest", b"{}"))
    munis = list(df[["municipality_code", "municipality"]].drop_duplicates().itertuples(index=False, name=None))
    df = df.astype({"scenario": str, "municipality_code": str, "municipality": str})
    return Results(folder=folder, frame=with_region(df), ledgers=ledgers.reset_index(drop=True),
                   comparison=comparison, baseline=baseline, scenarios=others, seeds=seeds, meta=meta,
                   manifests=manifests, municipalities=munis)


def _pivot(res: Results, scenario: str, code: str, measure: str) -> pd.DataFrame:
    """Years x seeds of one measure of one scenario in one municipality (or REGION)."""
    if not res.groups:
        res.groups = {k: g for k, g in res.frame.groupby(["scenario", "municipality_code"])}
    sub = res.groups[(scenario, code)]
    return sub.pivot(index="year", columns="seed", values=measure).sort_index()


def summarise(values: pd.DataFrame) -> pd.DataFrame:
    """Per row (year): mean, 5th and 95th percentile over the columns (seeds), NaN-aware."""
    arr = values.to_numpy(float)
    ok = ~np.isnan(arr).all(axis=1)
    out = pd.DataFrame(index=values.index, columns=["mean", "p05", "p95"], dtype=float)
    if ok.any():
        out.loc[ok, "mean"] = np.nanmean(arr[ok], axis=1)
        out.loc[ok, "p05"] = np.nanpercentile(arr[ok], 5, axis=1)
        out.loc[ok, "p95"] = np.nanpercentile(arr[ok], 95, axis=1)
    return out


def level(res: Results, scenario: str, measure: str, code: str = REGION) -> pd.DataFrame:
    """Mean and 5-95 % band over seeds of a scenario's value per year."""
    return summarise(_pivot(res, scenario, code, measure))


def difference(res: Results, scenario: str, measure: str, code: str = REGION) -> pd.DataFrame:
    """Mean and 5-95 % band over seeds of the paired difference scenario - baseline (same seed) per year."""
    s = _pivot(res, scenario, code, measure)
    b = _pivot(res, res.baseline, code, measure)
    seeds = s.columns.intersection(b.columns)
    years = s.index.intersection(b.index)
    return summarise(s.loc[years, seeds] - b.loc[years, seeds])


def ledger_series(res: Results, scenario: str, column: str) -> pd.DataFrame:
    """Mean and band over seeds of one ledger column per year (EUR)."""
    led = res.ledgers[res.ledgers.scenario == scenario]
    return summarise(led.pivot_table(index="year", columns="seed", values=column, aggfunc="first"))


def fund_scenarios(res: Results) -> list[str]:
    if res.ledgers.empty:
        return []
    have = set(res.ledgers.scenario)
    return [s for s in res.scenarios if s in have and res.ledgers[res.ledgers.scenario == s][
        ["contributions_rijk_eur", "contributions_province_eur", "contributions_municipalities_eur",
         "purchases_eur"]].abs().to_numpy().sum() > 0]


def comparison_series(res: Results, scenario: str, measure: str, code: str = REGION) -> pd.DataFrame:
    """From comparison.parquet: mean, p05, p95 of the difference (or of the cost per result) per year."""
    c = res.comparison
    sub = c[(c.scenario == scenario) & (c.municipality_code == code) & (c.measure == measure)]
    sub = sub.set_index("year").sort_index()
    return pd.DataFrame({"mean": sub.difference_mean, "p05": sub.difference_p05, "p95": sub.difference_p95,
                         "baseline": sub.baseline_mean})


def parameter_differences(res: Results, scenario: str) -> list[tuple[str, object, object]]:
    """(parameter, baseline value, scenario value) where the scenario's run manifest differs from the baseline's."""
    base = res.manifests.get(res.baseline, {}).get("parameters", {})
    mine = res.manifests.get(scenario, {}).get("parameters", {})
    return [(k, base.get(k), mine.get(k)) for k in sorted(set(base) | set(mine)) if base.get(k) != mine.get(k)]
