"""Validation report: observed vs simulated per target, MAPE per variable beside naive forecasts, and a
back-cast/forecast plot per municipality.

The calibrated model is run from the synthetic 2012 stock (``calibration/scenario_2012.toml`` with the
values of ``calibration/calibrated.toml``) over several seeds; every target gets its seed-mean simulated value,
the error and the error in units of its error scale. The in-sample measure is the mean absolute percentage
error (MAPE) per variable over the six municipalities and the years 2017-2019, beside two naive forecasts made
from the CBS panel alone:

* ``carry-forward``: the 2012 figure, unchanged;
* ``straight line``: the line through the 2012 and 2017 figures, extended to 2018 and 2019 (it uses the 2017
  figure, so its 2017 error is zero by construction; the table also gives the MAPE over 2018-2019).

The model "beats both naive forecasts" when its MAPE is below carry-forward's over 2017-2019 and below the
straight line's over 2018-2019, the years the line forecasts; both comparisons are in the table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.data import MUNICIPALITY_CODES, NAME_BY_CODE

from .calibrate import Executor
from .targets import CORE, GOALS, TARGET_YEARS, Target, observed_panel, simulated_value

PLOT_VARIABLES = ("population", "households", "dwellings", "mean_woz")


def run_frame(scenario, seed: int, scale: float, end_year: int) -> pd.DataFrame:
    """One run's indicator rows (on a worker)."""
    from model import simulate

    sc = scenario.with_overrides(where="validation", end_year=end_year)
    t = simulate(sc, seed=seed, scale=scale)
    cols = ["year", "municipality_code", "population", "households", "mean_household_size", "dwellings",
            "owner_occupied_dwellings", "mean_value_eur", "persons_65plus", "gas_m3", "occupied_dwellings",
            "new_construction", "demolished"]
    df = t.select(cols).to_pandas()
    df["seed"] = seed
    return df


def simulate_seeds(scenario, seeds, scale: float, end_year: int, executor: Executor) -> pd.DataFrame:
    frames = executor.map(run_frame, [(scenario, s, scale, end_year) for s in seeds])
    return pd.concat(frames, ignore_index=True)


def fit_table(runs: pd.DataFrame, targets: list[Target]) -> pd.DataFrame:
    """Observed vs simulated per target (seed mean and spread)."""
    rows = []
    for t in targets:
        vals = np.array([simulated_value(g, t) for _, g in runs.groupby("seed")])
        sim = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
        err = sim - t.observed
        rows.append(dict(target_id=t.target_id, kind=t.kind, variable=t.variable, municipality=t.municipality,
                         year=t.year, observed=t.observed, simulated=sim,
                         sim_sd=float(np.nanstd(vals)) if len(vals) > 1 else float("nan"),
                         error=err, pct_error=100.0 * err / t.observed if t.observed else float("nan"),
                         z=err / t.error_scale, relation=t.relation,
                         met=(sim >= t.observed) if t.relation == "ge" else abs(err) <= 2 * t.error_scale))
    return pd.DataFrame(rows)


def naive_forecasts(variable: str, data_dir: str | None = None) -> dict[str, pd.DataFrame]:
    """The two naive forecasts of a core variable for 2017-2019 (rows year, columns municipality)."""
    panel = observed_panel(variable, data_dir)
    carry = pd.DataFrame({y: panel.loc[2012] for y in TARGET_YEARS}).T
    slope = (panel.loc[2017] - panel.loc[2012]) / 5.0
    line = pd.DataFrame({y: panel.loc[2012] + slope * (y - 2012) for y in TARGET_YEARS}).T
    return {"carry-forward": carry, "straight line": line, "observed": panel.loc[list(TARGET_YEARS)]}


def mape_table(fit: pd.DataFrame, data_dir: str | None = None) -> pd.DataFrame:
    """MAPE (%) per core variable over the six municipalities, 2017-2019 (and 2018-2019), model and naive."""
    out = []
    core = fit[fit["kind"] == "core"]
    for variable in CORE:
        f = core[core["variable"] == variable]
        if f.empty:
            continue
        naive = naive_forecasts(variable, data_dir)
        obs = naive["observed"]
        row = {"variable": variable}
        for label, years in (("", TARGET_YEARS), (" 2018-19", (2018, 2019))):
            ff = f[f["year"].astype(int).isin(years)]
            row["model" + label] = float(np.mean(np.abs(ff["pct_error"])))
            for name in ("carry-forward", "straight line"):
                pred = naive[name].loc[list(years)]
                row[name + label] = float(np.mean(np.abs((pred - obs.loc[list(years)]) / obs.loc[list(years)]))
                                          * 100.0)
        row["goal"] = GOALS.get(variable, float("nan"))
        # each naive forecast over the years it forecasts: carry-forward 2017-2019; the straight line only
        # 2018-2019, since it is drawn through the 2017 figure and so has no error in 2017 by construction
        row["beats naive"] = bool(row["model"] < row["carry-forward"]
                                  and row["model 2018-19"] < row["straight line 2018-19"])
        out.append(row)
    return pd.DataFrame(out)


def format_mape(table: pd.DataFrame) -> str:
    head = ("| variable | model MAPE 2017-19 | carry-forward | straight line | model 2018-19 | straight line "
            "2018-19 | goal | model beats both naive (carry-forward 2017-19, line 2018-19) |")
    lines = [head, "|" + "---|" * 8]
    for _, r in table.iterrows():
        goal = "" if np.isnan(r["goal"]) else f"<= {r['goal']:.0f} %"
        lines.append(f"| {r['variable']} | {r['model']:.2f} % | {r['carry-forward']:.2f} % | "
                     f"{r['straight line']:.2f} % | {r['model 2018-19']:.2f} % | {r['straight line 2018-19']:.2f} % | "
                     f"{goal} | {'yes' if r['beats naive'] else 'NO'} |")
    return "\n".join(lines)


def fit_lines(table: pd.DataFrame) -> list[str]:
    return [f"{r['variable']}: model {r['model']:.2f} %, carry-forward {r['carry-forward']:.2f} %, straight line "
            f"{r['straight line']:.2f} %" for _, r in table.iterrows()]


def plot(runs: pd.DataFrame, out_dir: Path, data_dir: str | None = None) -> list[Path]:
    """One figure per municipality: observed CBS points and the model's back-cast (from 2012) and forecast,
    seed mean with min-max band, for population, households, dwellings and mean WOZ."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    panels = {v: observed_panel(v, data_dir) for v in PLOT_VARIABLES}
    sim = runs.rename(columns={"mean_value_eur": "mean_woz"})
    paths = []
    for code in MUNICIPALITY_CODES:
        fig, axes = plt.subplots(2, 2, figsize=(9, 6), sharex=True)
        g = sim[sim["municipality_code"] == code]
        for ax, v in zip(axes.flat, PLOT_VARIABLES, strict=True):
            stats = g.groupby("year")[v].agg(["mean", "min", "max"])
            ax.fill_between(stats.index, stats["min"], stats["max"], color="#56B4E9", alpha=0.35, lw=0,
                            label="model, min-max over seeds")
            ax.plot(stats.index, stats["mean"], color="#0072B2", lw=1.5, label="model, mean")
            ax.axvline(2019.5, color="grey", lw=0.8, ls=":")
            obs = panels[v][code]
            ax.plot(obs.index, obs.values, "o", color="black", ms=4, label="CBS")
            ax.set_title(f"{v.replace('_', ' ')}", fontsize=9)
            ax.tick_params(labelsize=8)
        axes.flat[0].legend(fontsize=7, loc="best")
        fig.suptitle(f"{NAME_BY_CODE[code]} ({code}): back-cast from the 2012 stock to 2019 (fitted), forecast after",
                     fontsize=10)
        fig.tight_layout()
        path = out_dir / f"backcast_{code}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


def write_report(fit: pd.DataFrame, mape: pd.DataFrame, out_dir: Path, header: str = "") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    fit.to_csv(out_dir / "fit_table.csv", index=False)
    mape.to_csv(out_dir / "mape.csv", index=False)
    lines = ["# Validation of the calibrated model", "", header, "",
             "## In-sample fit 2017-2019: MAPE per variable over the six municipalities", "", format_mape(mape), "",
             "## Every target: observed vs simulated (seed mean)", "",
             "| target | observed | simulated | error | error % | z | within 2 error scales |",
             "|---|---|---|---|---|---|---|"]
    for _, r in fit.iterrows():
        lines.append(f"| {r['target_id']} | {r['observed']:.4g} | {r['simulated']:.4g} | {r['error']:+.3g} | "
                     f"{r['pct_error']:+.2f} | {r['z']:+.2f} | {'yes' if r['met'] else 'no'} |")
    path = out_dir / "validation.md"
    path.write_text("\n".join(lines) + "\n")
    return path
