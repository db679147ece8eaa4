"""Global sensitivity analysis with SALib: Morris elementary effects (screening) and Sobol indices.

The parameters and their ranges are in ``calibration/sensitivity.toml`` (at least ten). Each sample is a
run of a scenario (default ``scenarios/transformatiefonds.toml``, so that the fund acts) from 2019 to
``end_year``, on the batch executors; every sample uses the same seeds (common random numbers), so that the
indices measure the parameters, not the draws. Outcomes, for the six municipalities together in the outcome
year (default 2030):

* ``vacancy_rate``: vacant / all dwellings;
* ``low_income_owners_in_EFG``: low-income owner households in homes with label E, F or G;
* ``fund_eur_per_label_step``: net policy spending since the base year (purchases, works, demolition,
  building, management minus rent, sales and land) per energy-label step the fund gained (NaN when the fund
  gained none; such samples are replaced by the mean of the others before the analysis, and counted).

Morris: ``SALib.sample.morris`` trajectories and ``SALib.analyze.morris`` (mu*, sigma). Sobol: Saltelli/Sobol
sampling (``SALib.sample.sobol``, first and total order) and ``SALib.analyze.sobol`` (S1, ST with bootstrap
confidence intervals).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from .calibrate import Executor, free_param

HERE = Path(__file__).resolve().parent
SENSITIVITY_FILE = HERE / "sensitivity.toml"
OUTCOMES = ("vacancy_rate", "low_income_owners_in_EFG", "fund_eur_per_label_step")


def load_problem(path: Path | str = SENSITIVITY_FILE) -> dict:
    """The SALib problem (names, bounds) from the parameter file; names are checked against the model."""
    from model.params import PARAM_INDEX

    with Path(path).open("rb") as f:
        doc = tomllib.load(f)
    params = doc.get("parameters", {})
    names, bounds = [], []
    for key, (lo, hi) in params.items():
        if key not in PARAM_INDEX:
            raise ValueError(f"{path}: '{key}' is not a model parameter")
        try:
            free_param(key, lo, hi, where=str(path))  # a number inside its documented range
        except ValueError as exc:
            if "calibratable" not in str(exc):
                raise
        names.append(key)
        bounds.append([float(lo), float(hi)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def outcomes_of(df: pd.DataFrame, year: int) -> dict[str, float]:
    y = df[df["year"] == year]
    later = df[(df["year"] > df["year"].min()) & (df["year"] <= year)]
    steps = float(later["fund_label_steps"].fillna(0).sum())
    spending = float(later["policy_spending_eur"].fillna(0).sum())
    return {"vacancy_rate": float(y["vacant_dwellings"].sum() / max(y["dwellings"].sum(), 1)),
            "low_income_owners_in_EFG": float(y["low_income_owners_in_EFG"].sum()),
            "fund_eur_per_label_step": spending / steps if steps > 0 else float("nan")}


def run_outcomes(scenario, overrides: dict, seeds: tuple, scale: float, year: int) -> list[float]:
    """One sample (on a worker): the outcomes, averaged over the seeds."""
    from model import simulate

    sc = scenario.with_overrides(where="sensitivity sample", end_year=year, **overrides)
    vals = []
    for s in seeds:
        cols = ["year", "vacant_dwellings", "dwellings", "low_income_owners_in_EFG", "fund_label_steps",
                "policy_spending_eur"]
        vals.append(outcomes_of(simulate(sc, seed=s, scale=scale).select(cols).to_pandas(), year))
    return [float(np.nanmean([v[o] for v in vals])) if any(np.isfinite(v[o]) for v in vals) else float("nan")
            for o in OUTCOMES]


def _evaluate(scenario, problem: dict, X: np.ndarray, seeds, scale, year, executor: Executor) -> np.ndarray:
    from dataclasses import fields

    from model.params import PARAM_INDEX, SECTIONS

    ints = {f.name for sec in SECTIONS.values() for f in fields(sec) if f.metadata["kind"] == "int"}
    assert all(n in PARAM_INDEX for n in problem["names"])
    args = [(scenario, {n: (int(round(x)) if n in ints else float(x)) for n, x in zip(problem["names"], row,
                                                                                        strict=True)},
             tuple(seeds), scale, year) for row in X]
    return np.array(executor.map(run_outcomes, args), dtype=float)


def _fill(Y: np.ndarray) -> tuple[np.ndarray, list[int]]:
    Y = Y.copy()
    missing = []
    for j in range(Y.shape[1]):
        bad = ~np.isfinite(Y[:, j])
        missing.append(int(bad.sum()))
        if bad.all():
            Y[:, j] = 0.0
        elif bad.any():
            Y[bad, j] = np.nanmean(Y[:, j])
    return Y, missing


def morris(scenario, problem: dict, trajectories: int, seeds, scale: float, year: int, executor: Executor,
           rng_seed: int = 0) -> tuple[pd.DataFrame, dict]:
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    X = morris_sample.sample(problem, trajectories, num_levels=4, seed=rng_seed)
    Y, missing = _fill(_evaluate(scenario, problem, X, seeds, scale, year, executor))
    rows = []
    for j, o in enumerate(OUTCOMES):
        res = morris_analyze.analyze(problem, X, Y[:, j], num_levels=4, seed=rng_seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": o, "parameter": name, "mu_star": float(res["mu_star"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i]), "sigma": float(res["sigma"][i])})
    return pd.DataFrame(rows), {"runs": int(len(X) * len(seeds)), "samples": int(len(X)),
                                "missing": dict(zip(OUTCOMES, missing, strict=True))}


def sobol(scenario, problem: dict, n: int, seeds, scale: float, year: int, executor: Executor,
          rng_seed: int = 0) -> tuple[pd.DataFrame, dict]:
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=rng_seed)
    Y, missing = _fill(_evaluate(scenario, problem, X, seeds, scale, year, executor))
    rows = []
    for j, o in enumerate(OUTCOMES):
        if np.std(Y[:, j]) == 0:  # an outcome no sample moved (e.g. the fund gained no label step at all)
            res = {key: np.full(len(problem["names"]), np.nan) for key in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol_analyze.analyze(problem, Y[:, j], calc_second_order=False, seed=rng_seed)
        for i, name in enumerate(problem["names"]):
            rows.append({"outcome": o, "parameter": name, "S1": float(res["S1"][i]),
                         "S1_conf": float(res["S1_conf"][i]), "ST": float(res["ST"][i]),
                         "ST_conf": float(res["ST_conf"][i])})
    return pd.DataFrame(rows), {"runs": int(len(X) * len(seeds)), "samples": int(len(X)),
                                "missing": dict(zip(OUTCOMES, missing, strict=True))}


def plot(morris_df: pd.DataFrame | None, sobol_df: pd.DataFrame | None, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = int(morris_df is not None) + int(sobol_df is not None)
    fig, axes = plt.subplots(rows, len(OUTCOMES), figsize=(13, 4.2 * rows), squeeze=False)
    r = 0
    if morris_df is not None:
        for ax, o in zip(axes[r], OUTCOMES, strict=True):
            d = morris_df[morris_df["outcome"] == o]
            ax.scatter(d["mu_star"], d["sigma"], color="#0072B2", s=18)
            for _, row in d.iterrows():
                ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=6)
            ax.set_title(f"Morris: {o}", fontsize=9)
            ax.set_xlabel("mu* (mean |elementary effect|)", fontsize=8)
            ax.set_ylabel("sigma", fontsize=8)
            ax.tick_params(labelsize=7)
        r += 1
    if sobol_df is not None:
        for ax, o in zip(axes[r], OUTCOMES, strict=True):
            d = sobol_df[sobol_df["outcome"] == o].sort_values("ST")
            y = np.arange(len(d))
            ax.barh(y - 0.2, d["ST"], height=0.4, xerr=d["ST_conf"], color="#D55E00", label="total (ST)")
            ax.barh(y + 0.2, d["S1"], height=0.4, xerr=d["S1_conf"], color="#009E73", label="first order (S1)")
            ax.set_yticks(y, d["parameter"], fontsize=6)
            ax.set_title(f"Sobol: {o}", fontsize=9)
            ax.tick_params(labelsize=7)
        axes[r][0].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write(out: Path, morris_df, sobol_df, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if morris_df is not None:
        morris_df.to_csv(out / "morris.csv", index=False)
    if sobol_df is not None:
        sobol_df.to_csv(out / "sobol.csv", index=False)
    (out / "sensitivity.json").write_text(json.dumps(info, indent=1))
