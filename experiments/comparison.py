"""Comparing policy scenarios with the baseline: paired differences over seeds and cost per result.

``python run.py compare scenarios/baseline.toml scenarios/transformatiefonds.toml ... --seeds 0-19`` runs
every scenario with every seed (through the batch runner, so with any executor and ``--resume``) and then
calls :func:`compare`. The first file is the reference. Because the model draws its random numbers per
process and per entity, a scenario and the baseline with the same seed differ only where the policy acts
(common random numbers): the paired difference per seed is the policy's effect in that replication, and
the spread of those differences over seeds is the uncertainty shown (5th-95th percentile).

The comparison table (``comparison.parquet``) is long: one row per scenario x year x municipality (and
``REGION``, the six together) x measure, with the mean over seeds of the scenario, of the baseline and of
their paired difference, the 5 % and 95 % percentiles of the difference, and the number of seeds. Measures:

* stock indicators on 1 January of the year (see docs/output.md), e.g. ``low_income_owners_in_EFG``;
* cumulative flows from the base year to that 1 January (``cum_`` + the event column), e.g.
  ``cum_policy_spending_eur`` (for REGION including the fund's interest, from its ledger);
* cost per result, ``eur_per_<result>``: cumulative extra spending / result gained, where a result is a
  gain against the baseline (positive = better): label steps (owners', landlords' and the fund's
  renovations), low-income owners no longer in E-G homes, energy-poor households fewer, persons 75+ no
  longer in a home that is not lifetime-proof, long-term vacant homes fewer. The mean is the ratio of the
  means over seeds; the band is a bootstrap over seeds (1000 resamples); NaN where the mean gain is not
  positive;
* ``deadweight_share_label_steps``: the share of the label steps the policies paid for (proeftuin
  renovations and the fund's works) that the baseline made anyway: 1 - net extra label steps / label steps
  paid for.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REGION = "REGION"
STOCK = ("population", "households", "vacant_dwellings", "long_term_vacant_dwellings", "unsellable",
         "mean_value_eur", "owner_households_in_EFG", "low_income_owners_in_EFG", "energy_poor_households",
         "persons_75plus_not_lifetime_proof", "dwellings_in_EFG", "gas_m3", "co2_tonnes", "fund_dwellings",
         "written_off_dwellings")
FLOWS = ("policy_spending_eur", "proeftuin_spending_eur", "renovations", "label_steps_all", "proeftuin_renovations",
         "proeftuin_label_steps", "fund_label_steps", "corp_fund_label_steps", "lifetime_proof_adaptations",
         "proeftuin_adaptations", "fund_purchases", "fund_demolitions", "fund_new_homes", "fund_sales", "demolished",
         "new_construction")
#: result name -> (stock or cumulative measure, sign: +1 if more is better)
RESULTS = {
    "label_step": ("cum_label_steps_all", 1),
    "low_income_owner_out_of_EFG": ("low_income_owners_in_EFG", -1),
    "energy_poor_household_fewer": ("energy_poor_households", -1),
    "person_75plus_in_lifetime_proof_home": ("persons_75plus_not_lifetime_proof", -1),
    "long_term_vacant_home_avoided": ("long_term_vacant_dwellings", -1),
}
HEADLINE = ("cum_policy_spending_eur", "low_income_owners_in_EFG", "energy_poor_households",
            "persons_75plus_not_lifetime_proof", "long_term_vacant_dwellings", "cum_label_steps_all",
            "eur_per_low_income_owner_out_of_EFG", "eur_per_label_step")


def load_runs(out_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator rows of every finished run (with scenario and seed) and the fund ledgers."""
    from .dataset import open_dataset

    table = open_dataset(out_dir).to_table()
    df = table.to_pandas()
    df["scenario"] = df["scenario"].astype(str)
    ledgers = []
    for path in sorted((Path(out_dir) / "runs").glob("scenario=*/paramset=*/seed=*.parquet")):
        meta = pq.read_schema(path).metadata or {}
        if b"fund_ledger" in meta:
            led = pd.DataFrame(json.loads(meta[b"fund_ledger"]))
            led["scenario"] = path.parts[-3].split("=", 1)[1]
            led["seed"] = int(path.stem.split("=", 1)[1])
            ledgers.append(led)
    return df, (pd.concat(ledgers, ignore_index=True) if ledgers else pd.DataFrame())


def _measures(df: pd.DataFrame, ledgers: pd.DataFrame) -> pd.DataFrame:
    """Per scenario x seed x year x municipality (incl. REGION): the stock measures and cumulative flows."""
    df = df.copy()
    df["dwellings_in_EFG"] = df["label_E"] + df["label_F"] + df["label_G"]
    df["label_steps_all"] = (df["label_steps"] + df["rental_label_steps"] + df["fund_label_steps"]
                             + df["corp_fund_label_steps"])
    keys = ["scenario", "seed", "year"]
    value_sum = (df["mean_value_eur"] * df["dwellings"]).groupby([df[k] for k in keys]).sum()
    region = df.groupby(keys, as_index=False)[[*STOCK, *FLOWS, "dwellings"]].sum(min_count=1)
    region["mean_value_eur"] = value_sum.values / region["dwellings"].clip(lower=1).values
    region["municipality_code"] = REGION
    region["municipality"] = "Zuid- en Oost-Drenthe (six municipalities)"
    if not ledgers.empty:  # the fund's regional financing cost
        interest = ledgers[["scenario", "seed", "year", "interest_eur"]].copy()
        interest["year"] += 1  # flows of year Y are in the row of 1 January Y+1
        region = region.merge(interest, on=keys, how="left")
        region["policy_spending_eur"] += region.pop("interest_eur").fillna(0.0)
    cols = ["scenario", "seed", "year", "municipality_code", "municipality", *STOCK, *FLOWS]
    out = pd.concat([df[cols], region[cols]], ignore_index=True)
    out = out.sort_values(["scenario", "seed", "municipality_code", "year"])
    flows = out[list(FLOWS)].fillna(0.0)
    cum = flows.groupby([out["scenario"], out["seed"], out["municipality_code"]]).cumsum()
    out = out.drop(columns=list(FLOWS))
    for c in FLOWS:
        out[f"cum_{c}"] = cum[c].values
    return out.reset_index(drop=True)


def _bootstrap_ratio(num: np.ndarray, den: np.ndarray, rng: np.random.Generator, n: int = 1000):
    """5 % and 95 % bootstrap percentiles (over seeds) of mean(num) / mean(den); NaN where den <= 0."""
    idx = rng.integers(0, num.size, size=(n, num.size))
    dm = den[idx].mean(axis=1)
    ratio = np.where(dm > 0, num[idx].mean(axis=1) / np.where(dm > 0, dm, 1.0), np.nan)
    if np.isnan(ratio).any():
        return np.nan, np.nan
    return float(np.percentile(ratio, 5)), float(np.percentile(ratio, 95))


def compare(df: pd.DataFrame, ledgers: pd.DataFrame, baseline: str, seed: int = 0) -> pd.DataFrame:
    """The long comparison table (see the module doc) of every scenario against ``baseline``."""
    m = _measures(df, ledgers)
    names = [c for c in m.columns if c not in ("scenario", "seed", "year", "municipality_code", "municipality")]
    keys = ["seed", "year", "municipality_code"]
    base = m[m.scenario == baseline].set_index(keys)
    if base.empty:
        raise ValueError(f"no runs of the baseline scenario {baseline!r}")
    rng = np.random.default_rng(seed)
    rows = []
    for scen in sorted(set(m.scenario) - {baseline}):
        s = m[m.scenario == scen].set_index(keys)
        common = s.index.intersection(base.index)
        s, b = s.loc[common], base.loc[common]
        diff = s[names] - b[names]
        frame = pd.DataFrame({"year": common.get_level_values("year"),
                              "municipality_code": common.get_level_values("municipality_code"),
                              "municipality": s["municipality"].values})
        for (year, code), idx in frame.groupby(["year", "municipality_code"]).groups.items():
            muni = frame.loc[idx[0], "municipality"]
            n = len(idx)
            d, sv, bv = diff.iloc[idx], s[names].iloc[idx], b[names].iloc[idx]
            for name in names:
                x = d[name].to_numpy(float)
                rows.append((scen, year, code, muni, name, float(sv[name].mean()), float(bv[name].mean()),
                             float(x.mean()), float(np.percentile(x, 5)), float(np.percentile(x, 95)), n))
            spend = d["cum_policy_spending_eur"].to_numpy(float)
            for result, (measure, sign) in RESULTS.items():
                gain = sign * d[measure].to_numpy(float)
                mean = spend.mean() / gain.mean() if gain.mean() > 0 else np.nan
                lo, hi = _bootstrap_ratio(spend, gain, rng) if gain.mean() > 0 else (np.nan, np.nan)
                rows.append((scen, year, code, muni, f"eur_per_{result}", np.nan, np.nan, mean, lo, hi, n))
            paid = (sv["cum_proeftuin_label_steps"] + sv["cum_fund_label_steps"]
                    + sv["cum_corp_fund_label_steps"]).to_numpy(float)
            net = d["cum_label_steps_all"].to_numpy(float)
            dw = 1.0 - net.mean() / paid.mean() if paid.mean() > 0 else np.nan
            rows.append((scen, year, code, muni, "deadweight_share_label_steps", np.nan, np.nan, dw, np.nan, np.nan, n))
    return pd.DataFrame(rows, columns=["scenario", "year", "municipality_code", "municipality", "measure",
                                       "scenario_mean", "baseline_mean", "difference_mean", "difference_p05",
                                       "difference_p95", "seeds"])


def write(table: pd.DataFrame, path: Path, manifest: dict) -> None:
    """The comparison as Parquet (atomically), with what produced it in the metadata."""
    from .dataset import write_table_atomic

    t = pa.Table.from_pandas(table, preserve_index=False)
    write_table_atomic(t.replace_schema_metadata({b"comparison": json.dumps(manifest, sort_keys=True).encode()}),
                       path)


def _fmt(x: float, money: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if money:
        return f"{x / 1e6:,.1f} M" if abs(x) >= 1e6 else f"{x / 1e3:,.0f} k"
    return f"{x:+,.0f}"


LABELS = {
    "cum_policy_spending_eur": "policy spending so far (EUR)",
    "low_income_owners_in_EFG": "low-income owners in E-G homes",
    "energy_poor_households": "energy-poor households",
    "persons_75plus_not_lifetime_proof": "persons 75+ in homes not lifetime-proof",
    "long_term_vacant_dwellings": "long-term vacant homes",
    "cum_label_steps_all": "label steps gained so far",
    "eur_per_low_income_owner_out_of_EFG": "EUR per low-income owner out of E-G",
    "eur_per_label_step": "EUR per label step",
    "eur_per_energy_poor_household_fewer": "EUR per energy-poor household fewer",
    "eur_per_person_75plus_in_lifetime_proof_home": "EUR per person 75+ out of a home not lifetime-proof",
    "eur_per_long_term_vacant_home_avoided": "EUR per long-term vacant home avoided",
    "co2_tonnes": "CO2 (t/yr)",
    "cum_proeftuin_renovations": "proeftuin renovations so far",
    "cum_fund_purchases": "fund purchases so far",
    "deadweight_share_label_steps": "deadweight (share of paid label steps)",
}


def headline(table: pd.DataFrame, years: tuple[int, ...], code: str = REGION,
             measures: tuple[str, ...] = HEADLINE) -> str:
    """A Markdown table of measures (default the headline ones): difference against the baseline, mean over
    seeds [5 %, 95 %]."""
    t = table[(table.municipality_code == code) & table.year.isin(years) & table.measure.isin(measures)]
    scenarios = sorted(t.scenario.unique())
    head = "| scenario | year | " + " | ".join(LABELS.get(m, m) for m in measures) + " |"
    lines = [head, "|" + "---|" * (len(measures) + 2)]
    for scen in scenarios:
        for year in years:
            cells = []
            for mname in measures:
                r = t[(t.scenario == scen) & (t.year == year) & (t.measure == mname)]
                if r.empty:
                    cells.append("-")
                    continue
                r = r.iloc[0]
                money = mname.startswith(("cum_policy", "eur_per"))
                if mname.startswith("deadweight"):
                    cells.append(f"{r.difference_mean:.0%}" if np.isfinite(r.difference_mean) else "-")
                    continue
                mid = _fmt(r.difference_mean, money)
                band = (f" [{_fmt(r.difference_p05, money)}, {_fmt(r.difference_p95, money)}]"
                        if np.isfinite(r.difference_p05) else "")
                cells.append(mid + band)
            lines.append(f"| {scen} | {year} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
