"""Calibration by the simulated method of moments (SMM) on the batch executors.

The moments are the targets (:mod:`calibration.targets`); a candidate parameter vector theta is simulated
with S seeds (the same seeds for every candidate: common random numbers, so that differences between
candidates are not noise) and the seed means are compared with the observed values. The distance is

    J(theta) = sum_i w_i ((m_i(theta) - y_i) / sigma_i)^2

with sigma_i the target's error scale (the diagonal weighting matrix Omega^-1). It is minimised in two stages:

1. a global search, :func:`scipy.optimize.differential_evolution` (Latin-hypercube start, deferred updating),
   whose population is evaluated in one batch per generation on the executor (serial, a local Dask cluster or
   an existing Dask cluster);
2. a local polish, :func:`scipy.optimize.least_squares` (trust-region reflective, within the prior bounds),
   whose Jacobian is computed by forward differences, again one parallel batch per iteration.

Uncertainty: the asymptotic SMM covariance (Gourieroux & Monfort; McFadden 1989) with the optimal weights,
``Var(theta) = (1 + 1/S) s^2 (G' Omega^-1 G)^-1`` where G is the Jacobian of the moments at the estimate and
``s^2 = max(1, J/(n - k))`` inflates it when the model does not reach the targets within their error scales
(misspecification). The reported 95 % ranges are theta +- 1.96 SE clipped to the prior.
"""

from __future__ import annotations

import json
import math
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution, least_squares

from model import Scenario, simulate
from model.core import resolve_scenario
from model.params import PARAM_INDEX, SECTIONS, ScenarioError, load_scenario

from .targets import Target, simulated_values

HERE = Path(__file__).resolve().parent
PRIORS_FILE = HERE / "priors.toml"
CALIBRATION_SCENARIO = HERE / "scenario_2012.toml"
CALIBRATED_FILE = HERE / "calibrated.toml"


class CalibrationError(ValueError):
    pass


# -- free parameters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FreeParam:
    """One free parameter: a calibratable scalar, or one municipality's entry of a by-municipality table."""

    key: str      # 'leave_home_rate' or 'in_migration_per_1000.GM0114'
    low: float
    high: float

    @property
    def name(self) -> str:
        return self.key.split(".")[0]

    @property
    def municipality(self) -> str | None:
        return self.key.split(".", 1)[1] if "." in self.key else None

    @property
    def section(self) -> str:
        return PARAM_INDEX[self.name]

    def value_in(self, sc: Scenario):
        v = getattr(getattr(sc, self.section), self.name)
        return v[self.municipality] if self.municipality else v


def _meta(name: str):
    from dataclasses import fields

    return {f.name: f for f in fields(SECTIONS[PARAM_INDEX[name]])}[name].metadata


def free_param(key: str, low: float, high: float, where: str = "priors") -> FreeParam:
    name = key.split(".")[0]
    if name not in PARAM_INDEX:
        raise CalibrationError(f"{where}: '{key}' is not a model parameter")
    meta = _meta(name)
    if not meta["calibratable"]:
        raise CalibrationError(f"{where}: '{name}' is not marked calibratable in model/params.py")
    if meta["kind"] == "by_municipality":
        if "." not in key:
            raise CalibrationError(f"{where}: '{name}' is a table by municipality; free it per municipality "
                                   f"as '{name}.GMxxxx'")
    elif meta["kind"] not in ("float", "int") or "." in key:
        raise CalibrationError(f"{where}: '{key}': only numbers and by-municipality entries can be calibrated")
    lo, hi = meta["low"], meta["high"]
    if not (low < high and lo <= low and high <= hi):
        raise CalibrationError(f"{where}: '{key}' prior [{low}, {high}] must be an interval inside the "
                               f"documented range [{lo}, {hi}]")
    return FreeParam(key, float(low), float(high))


def load_priors(path: Path | str = PRIORS_FILE) -> list[FreeParam]:
    with Path(path).open("rb") as f:
        doc = tomllib.load(f)
    free = doc.get("free", {})
    if not free:
        raise CalibrationError(f"{path}: no [free] table of parameters")
    return [free_param(k, *v, where=str(path)) for k, v in free.items()]


def overrides_for(theta: Sequence[float], free: Sequence[FreeParam]) -> dict:
    """Scenario overrides for a parameter vector (by-municipality entries grouped into one table)."""
    out: dict = {}
    for p, x in zip(free, theta, strict=True):
        x = float(x)
        if _meta(p.name)["kind"] == "int":
            x = int(round(x))
        if p.municipality:
            out.setdefault(p.name, {})[p.municipality] = x
        else:
            out[p.name] = x
    return out


# -- executors ------------------------------------------------------------------------------------------
class Executor:
    """Maps a function over argument tuples: serially, on a local Dask cluster (127.0.0.1), or on an
    existing Dask cluster (``scheduler``). Use as a context manager."""

    def __init__(self, kind: str = "serial", workers: int | None = None, scheduler: str | None = None):
        if kind not in ("serial", "local", "dask"):
            raise CalibrationError(f"executor must be serial, local or dask, not {kind!r}")
        if kind == "dask" and not scheduler:
            raise CalibrationError("the dask executor needs a scheduler address (--scheduler tcp://HOST:PORT)")
        self.kind, self.workers, self.scheduler = kind, workers, scheduler
        self.cluster = self.client = None

    def __enter__(self) -> Executor:
        if self.kind == "local":
            from distributed import Client

            from experiments import local_cluster

            self.cluster = local_cluster(self.workers)
            self.client = Client(self.cluster)
        elif self.kind == "dask":
            from distributed import Client

            self.client = Client(self.scheduler)
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def map(self, fn: Callable, args: list[tuple]) -> list:
        if self.client is None:
            return [fn(*a) for a in args]
        futures = [self.client.submit(fn, *a, pure=False) for a in args]
        return self.client.gather(futures)


def run_moments(scenario: Scenario, overrides: dict, seed: int, scale: float, targets: list[Target]) -> np.ndarray:
    """One simulation (on a worker): the simulated counterparts of ``targets``."""
    end = max([t.last_year for t in targets if t.kind != "soft"] + [scenario.run.base_year + 1])
    sc = scenario.with_overrides(where="calibration candidate", end_year=end, **overrides)
    table = simulate(sc, seed=seed, scale=scale)
    df = table.select([c for c in table.column_names if c != "scenario"]).to_pandas()
    return simulated_values(df, targets)


# -- the SMM problem ------------------------------------------------------------------------------------
@dataclass
class Problem:
    scenario: Scenario
    targets: list[Target]
    free: list[FreeParam]
    seeds: tuple[int, ...]
    scale: float
    executor: Executor
    cache: dict = field(default_factory=dict)
    evaluations: int = 0

    def __post_init__(self):
        self.fit_targets = [t for t in self.targets if t.weight > 0 and t.kind != "soft"]
        if not self.fit_targets:
            raise CalibrationError("no targets to fit (every target has weight 0 or is soft)")
        self.obs = np.array([t.observed for t in self.fit_targets])
        self.sigma = np.array([t.error_scale for t in self.fit_targets])
        self.sqrt_w = np.sqrt([t.weight for t in self.fit_targets])
        self.lower = np.array([p.low for p in self.free])
        self.upper = np.array([p.high for p in self.free])

    def moments(self, thetas: list[np.ndarray]) -> np.ndarray:
        """Seed-mean simulated moments for each candidate (one parallel batch; cached)."""
        keys = [tuple(np.round(np.asarray(t, float), 12)) for t in thetas]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        args = [(self.scenario, overrides_for(k, self.free), s, self.scale, self.fit_targets)
                for k in todo for s in self.seeds]
        results = self.executor.map(run_moments, args) if args else []
        self.evaluations += len(args)
        n = len(self.seeds)
        for i, k in enumerate(todo):
            self.cache[k] = np.mean(results[i * n:(i + 1) * n], axis=0)
        return np.array([self.cache[k] for k in keys])

    def residuals_of(self, m: np.ndarray) -> np.ndarray:
        r = self.sqrt_w * (m - self.obs) / self.sigma
        return np.where(np.isfinite(r), r, 1e3)

    def residuals(self, theta) -> np.ndarray:
        return self.residuals_of(self.moments([np.asarray(theta, float)])[0])

    def distance(self, theta) -> float:
        return float(np.sum(self.residuals(theta) ** 2))

    def steps(self, theta: np.ndarray, rel: float) -> np.ndarray:
        h = rel * (self.upper - self.lower)
        return np.where(theta + h <= self.upper, h, -h)  # step inward at the upper bound

    def jacobian(self, theta: np.ndarray, rel: float = 0.05, central: bool = False) -> np.ndarray:
        """Finite-difference Jacobian of the standardised residuals (one batch of candidates): forward
        differences, or central ones where the prior box leaves room (for the standard errors: a wider,
        two-sided step is less dominated by simulation noise)."""
        theta = np.asarray(theta, float)
        k = len(theta)
        if not central:
            h = self.steps(theta, rel)
            cands = [theta] + [theta + np.eye(k)[j] * h[j] for j in range(k)]
            m = self.moments(cands)
            r0 = self.residuals_of(m[0])
            return np.column_stack([(self.residuals_of(m[j + 1]) - r0) / h[j] for j in range(k)])
        h = rel * (self.upper - self.lower)
        hp = np.minimum(h, self.upper - theta)
        hm = np.minimum(h, theta - self.lower)
        cands = [theta] + [theta + np.eye(k)[j] * hp[j] for j in range(k)] + \
                [theta - np.eye(k)[j] * hm[j] for j in range(k)]
        r = [self.residuals_of(m) for m in self.moments(cands)]
        return np.column_stack([(r[1 + j] - r[1 + k + j]) / (hp[j] + hm[j]) if hp[j] + hm[j] > 0 else
                                np.zeros_like(r[0]) for j in range(k)])


@dataclass
class Result:
    free: list[FreeParam]
    estimate: np.ndarray
    se: np.ndarray
    distance: float
    n_moments: int
    s2: float
    seeds: tuple[int, ...]
    scale: float
    evaluations: int
    seconds: float
    history: list = field(default_factory=list)

    @property
    def ci(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.array([p.low for p in self.free])
        hi = np.array([p.high for p in self.free])
        return np.clip(self.estimate - 1.96 * self.se, lo, hi), np.clip(self.estimate + 1.96 * self.se, lo, hi)

    def table(self, defaults: Scenario | None = None) -> pd.DataFrame:
        lo, hi = self.ci
        defaults = defaults or Scenario()
        return pd.DataFrame({
            "parameter": [p.key for p in self.free],
            "default": [p.value_in(defaults) for p in self.free],
            "estimate": self.estimate, "se": self.se, "ci95_low": lo, "ci95_high": hi,
            "prior_low": [p.low for p in self.free], "prior_high": [p.high for p in self.free],
        })


def calibrate(scenario: Scenario | str | Path, targets: list[Target], free: list[FreeParam], *,
              seeds: Sequence[int] = (0, 1, 2), scale: float = 0.05, executor: Executor | None = None,
              popsize: int = 2, maxiter: int = 4, polish_nfev: int = 6, x0: Sequence[float] | None = None,
              rng_seed: int = 0, log: Callable[[str], None] | None = None) -> Result:
    """Estimate ``free`` by SMM: differential evolution over the prior box, then a least-squares polish.

    ``x0`` (e.g. the current defaults) is put into the initial population so the search never ends worse
    than the starting point. Returns the estimate with its standard errors (see the module docstring)."""
    log = log or (lambda s: None)
    t0 = time.perf_counter()
    sc = resolve_scenario(scenario)
    ex = executor or Executor("serial")
    prob = Problem(sc, targets, list(free), tuple(seeds), scale, ex)
    k = len(free)
    bounds = list(zip(prob.lower, prob.upper, strict=True))
    history: list = []
    best = {"x": None, "J": math.inf}

    def batch(func, xs):  # DE's map: the whole generation in one batch on the executor
        xs = [np.asarray(x, float) for x in xs]
        ms = prob.moments(xs)
        out = [float(np.sum(prob.residuals_of(m) ** 2)) for m in ms]
        for x, j in zip(xs, out, strict=True):
            if j < best["J"]:
                best.update(x=x, J=j)
        history.append(("de", len(history), best["J"]))
        log(f"  generation {len(history)}: best distance {best['J']:.1f} ({prob.evaluations} runs so far)")
        return out

    init = "latin"
    if maxiter > 0:
        npop = max(5, popsize * k)
        sampler = np.random.default_rng(rng_seed)
        # Latin hypercube in the prior box, with the starting point as one member
        u = (np.argsort(sampler.random((npop, k)), axis=0) + sampler.random((npop, k))) / npop
        init = prob.lower + u * (prob.upper - prob.lower)
        if x0 is not None:
            init[0] = np.clip(np.asarray(x0, float), prob.lower, prob.upper)
        log(f"global search: differential evolution, {npop} candidates x {maxiter} generations x "
            f"{len(seeds)} seeds")
        de = differential_evolution(lambda x: prob.distance(x), bounds, init=init, maxiter=maxiter,
                                    workers=batch, updating="deferred", polish=False, seed=rng_seed, tol=0.0)
        start = de.x if de.fun <= best["J"] else best["x"]
    else:
        start = np.clip(np.asarray(x0 if x0 is not None else (prob.lower + prob.upper) / 2, float),
                        prob.lower, prob.upper)
    log(f"local polish: least squares (trust region), Jacobian by forward differences, {polish_nfev} steps")
    if polish_nfev > 0:
        def resid(x):
            r = prob.residuals(x)
            log(f"  polish: distance {float(np.sum(r ** 2)):.1f} ({prob.evaluations} runs so far)")
            return r

        ls = least_squares(resid, start, jac=lambda x: prob.jacobian(x), bounds=(prob.lower, prob.upper),
                           x_scale=prob.upper - prob.lower, max_nfev=polish_nfev, method="trf")
        est = ls.x if prob.distance(ls.x) <= prob.distance(start) else start
    else:
        est = np.asarray(start, float)
    J = prob.distance(est)
    history.append(("polish", len(history), J))
    log(f"  distance after polish {J:.1f} ({prob.evaluations} runs)")
    G = prob.jacobian(est, rel=0.1, central=True)
    n = len(prob.fit_targets)
    s2 = max(1.0, J / max(n - k, 1))
    cov = (1.0 + 1.0 / len(seeds)) * s2 * np.linalg.pinv(G.T @ G)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    se = np.where(np.isfinite(se), se, prob.upper - prob.lower)
    return Result(list(free), np.asarray(est, float), se, J, n, s2, tuple(seeds), scale, prob.evaluations,
                  time.perf_counter() - t0, history)


# -- writing the result ---------------------------------------------------------------------------------
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return repr(round(float(v), 4))


#: Sections whose calibrated values describe the 2012 starting stock, not behaviour: they go to the back-cast's
#: own file (calibrated_2012.toml) and never into the scenarios of later base years.
BACKCAST_SECTIONS = ("stock",)
#: Single parameters of other sections that act only before 2019 (in the back-cast): in calibrated_2012.toml too
BACKCAST_PARAMS = ("in_migration_growth_before_2019",)


def is_backcast(p: FreeParam) -> bool:
    return p.section in BACKCAST_SECTIONS or p.name in BACKCAST_PARAMS


def backcast_file(calibrated: Path | str) -> Path:
    """The file beside a calibrated scenario file that holds its 2012-stock values (calibrated_2012.toml)."""
    p = Path(calibrated)
    return p.with_name(f"{p.stem}_2012{p.suffix}")


def calibrated_toml(result: Result, fit_lines: list[str], when: str | None = None, backcast: bool = False) -> str:
    """A scenario file with only the calibrated values, its name and description saying how it was made:
    the behavioural values (used by the scenarios), or with ``backcast`` those of the 2012 starting stock
    (sections BACKCAST_SECTIONS, used only by the back-cast)."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d")
    by_section: dict[str, dict[str, object]] = {}
    for p, x in zip(result.free, result.estimate, strict=True):
        if is_backcast(p) != backcast:
            continue
        x = int(round(x)) if _meta(p.name)["kind"] == "int" else float(x)
        if p.municipality:
            by_section.setdefault(p.section, {}).setdefault(p.name, {})[p.municipality] = x
        else:
            by_section.setdefault(p.section, {})[p.name] = x
    lo, hi = result.ci
    searched = any(h[0] == "de" for h in result.history)
    method = ("differential evolution then least squares" if searched else
              "least squares (trust region) from a given start")
    desc = (f"Calibrated on {when} by `python run.py calibrate` (simulated method of moments: {method}) "
            f"from the synthetic 2012 stock to the CBS targets of 2017-2019 "
            f"(calibration/targets.csv); {len(result.seeds)} seeds per candidate, scale {result.scale}, "
            f"{result.evaluations} runs, distance {result.distance:.1f} over {result.n_moments} moments.")
    if backcast:
        lines = ["# Calibrated values of the 2012 starting stock (written by `python run.py calibrate`; do not edit",
                 "# by hand). Used only by the back-cast from 2012 (calibration/scenario_2012.toml), never by the",
                 "# scenarios from 2019: they correct the 2012 CBS figures, not the model's behaviour.",
                 "# estimate [95 % range] per parameter:"]
        name = "calibrated-2012-stock"
    else:
        lines = ["# Calibrated parameter values (written by `python run.py calibrate`; do not edit by hand).",
                 "# Only the calibrated values are here; scenarios/baseline.toml uses them with",
                 "#   extends = \"../calibration/calibrated.toml\"",
                 "# and every scenario built on the baseline inherits them (docs/calibration.md).",
                 "# The values of the 2012 starting stock are in calibrated_2012.toml beside this file.",
                 "# estimate [95 % range] per parameter:"]
        name = "calibrated"
    for p, x, a, b in zip(result.free, result.estimate, lo, hi, strict=True):
        if is_backcast(p) == backcast:
            lines.append(f"#   {p.key} = {x:.4g} [{a:.4g}, {b:.4g}]")
    lines.append("# In-sample fit 2017-2019 (MAPE over the six municipalities):")
    lines += [f"#   {s}" for s in fit_lines]
    lines += [f'name = "{name}"', f'description = """{desc}"""', ""]
    for sec, vals in by_section.items():
        lines.append(f"[{sec}]")
        tables = []
        for name, v in vals.items():
            if isinstance(v, dict):
                tables.append((name, v))
            else:
                lines.append(f"{name} = {_toml_value(v)}")
        for name, v in tables:
            inner = ", ".join(f"{c} = {_toml_value(x)}" for c, x in v.items())
            lines.append(f"{name} = {{{inner}}}")
        lines.append("")
    text = "\n".join(lines)
    tomllib.loads(text)  # a malformed file must not be written
    return text


def write_result(result: Result, out_dir: Path, fit_lines: list[str], calibrated_path: Path | None) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    result.table().to_csv(out_dir / "parameters.csv", index=False)
    paths["parameters"] = out_dir / "parameters.csv"
    record = {"seeds": list(result.seeds), "scale": result.scale, "evaluations": result.evaluations,
              "seconds": round(result.seconds, 1), "distance": result.distance, "moments": result.n_moments,
              "s2": result.s2, "history": result.history,
              "estimate": dict(zip([p.key for p in result.free], result.estimate.tolist(), strict=True)),
              "se": dict(zip([p.key for p in result.free], result.se.tolist(), strict=True))}
    (out_dir / "calibration_run.json").write_text(json.dumps(record, indent=1))
    paths["record"] = out_dir / "calibration_run.json"
    if calibrated_path is not None:
        write_calibrated(result, fit_lines, calibrated_path)
        paths["calibrated"] = calibrated_path
        if backcast_file(calibrated_path).exists():
            paths["calibrated_2012"] = backcast_file(calibrated_path)
    return paths


def write_calibrated(result: Result, fit_lines: list[str], path: Path) -> None:
    """Write the calibrated scenario file and, when the 2012 stock was calibrated too, its _2012 sibling
    (each written whole to a temporary name, validated, then renamed)."""
    path = Path(path)
    texts = {path: calibrated_toml(result, fit_lines)}
    if any(is_backcast(p) for p in result.free):
        texts[backcast_file(path)] = calibrated_toml(result, fit_lines, backcast=True)
    for target, text in texts.items():
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text)
        try:
            load_scenario(tmp)  # validates it
        except ScenarioError:
            tmp.unlink()
            raise
        tmp.replace(target)


def calibrated_overrides(path: Path | str = CALIBRATED_FILE) -> dict:
    """The parameter values a calibrated scenario file sets (as overrides by bare name)."""
    with Path(path).open("rb") as f:
        doc = tomllib.load(f)
    out = {}
    for sec, table in doc.items():
        if sec in SECTIONS and isinstance(table, dict):
            out.update(table)
    return out


def calibration_scenario(calibrated: Path | str | None = None,
                         base: Path | str = CALIBRATION_SCENARIO) -> Scenario:
    """The 2012 back-cast scenario, with the calibrated values applied when a file is given (and those of its
    2012 starting stock, calibrated_2012.toml beside it, when that exists)."""
    sc = load_scenario(base)
    if calibrated is not None:
        files = [Path(calibrated)] + [f for f in [backcast_file(calibrated)] if f.exists()]
        for f in files:
            try:
                sc = sc.with_overrides(where=str(f), **calibrated_overrides(f))
            except ScenarioError as exc:
                raise CalibrationError(str(exc)) from None
    return sc
