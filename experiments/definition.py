"""What an experiment is: scenarios x parameter sets x seeds, from a TOML file or the command line.

An experiment file::

    name = "fertility-and-migration"
    scenarios = ["../scenarios/baseline.toml"]      # paths relative to this file
    seeds = "0-9"                                   # "0-99", a list [1, 5, 7], or a number of seeds
    scale = 0.1                                     # optional: run.scale for every run
    end_year = 2030                                 # optional: run.end_year for every run

    [parameters]                                    # optional; without it every scenario runs as is
    method = "lhs"                                  # "grid", "lhs" (Latin hypercube) or "sobol"
    samples = 16                                    # lhs / sobol: number of parameter sets
    sample_seed = 0                                 # lhs / sobol: seed of the sampler
    [parameters.values]                             # grid: a list of values per parameter
    # total_fertility_rate = [1.4, 1.6, 1.8]
    [parameters.ranges]                             # lhs / sobol: [low, high] per parameter
    total_fertility_rate = [1.3, 1.9]

Latin hypercube and Sobol samples come from ``scipy.stats.qmc``. Every run is identified by
(scenario, parameter set, seed); parameter sets are numbered ``p000``, ``p001``, ... (``base`` when there
are none), and every parameter value is validated against the model's declared ranges before anything runs.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from model import ScenarioError, load_scenario
from model.params import PARAM_INDEX, Scenario, did_you_mean, read_toml

METHODS = ("grid", "lhs", "sobol")
MAX_SEED = 2**63 - 1  # seeds are stored as int64
MAX_RUNS = 1_000_000  # seeds, parameter sets or runs in one experiment: beyond this a typing error is likelier
NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


class ExperimentError(ValueError):
    """An experiment definition is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario file with one parameter set and one seed."""

    scenario_path: str
    scenario_name: str
    paramset: str
    overrides: dict
    seed: int
    index: int
    check: bool = False  # invariant checks every year (model/checks.py); not part of the definition

    @property
    def run_id(self) -> str:
        return f"{self.scenario_name}/{self.paramset}/seed{self.seed}"


@dataclass(frozen=True)
class Experiment:
    name: str
    scenarios: tuple[str, ...]
    seeds: tuple[int, ...]
    parameter_sets: tuple[tuple[str, dict], ...] = (("base", {}),)
    run_overrides: dict = field(default_factory=dict)  # scale, end_year for every run
    source_file: str = ""

    def scenario_objects(self) -> dict[str, Scenario]:
        """Loaded scenarios by path (validates them)."""
        return {p: load_scenario(p) for p in self.scenarios}

    def runs(self) -> list[RunSpec]:
        loaded = self.scenario_objects()
        names = [loaded[p].name for p in self.scenarios]
        for path, name in zip(self.scenarios, names, strict=True):
            if not NAME.fullmatch(name):
                raise ExperimentError(f"{path}: name = {name!r} cannot name a results folder; use letters, "
                                      "digits, '_', '-' and '.' (not first)")
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ExperimentError(f"{self.source_file or 'experiment'}: two scenarios are named "
                                  f"{', '.join(sorted(dupes))}; scenario names must be unique")
        out = []
        for (path, name), (pid, params), seed in itertools.product(
                zip(self.scenarios, names, strict=True), self.parameter_sets, self.seeds):
            out.append(RunSpec(path, name, pid, {**self.run_overrides, **params}, seed, len(out)))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "scenarios": list(self.scenarios), "seeds": list(self.seeds),
                "parameter_sets": {pid: params for pid, params in self.parameter_sets},
                "run_overrides": dict(self.run_overrides), "source_file": self.source_file}


def parse_seeds(spec: Any, where: str = "--seeds") -> tuple[int, ...]:
    """'0-99', '1,5,7', a list of ints, or a count n (seeds 0..n-1)."""
    if isinstance(spec, bool):
        raise ExperimentError(f"{where}: {spec!r} is not a seed specification")
    if isinstance(spec, int):
        if spec < 1 or spec > MAX_RUNS:
            raise ExperimentError(f"{where}: the number of seeds must be at least 1 and at most {MAX_RUNS:,}, got {spec}")
        return tuple(range(spec))
    if isinstance(spec, list):
        if not spec or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in spec):
            raise ExperimentError(f"{where}: seeds must be a non-empty list of whole numbers >= 0, got {spec!r}")
        if max(spec) > MAX_SEED:
            raise ExperimentError(f"{where}: seed {max(spec)} is above the largest seed, {MAX_SEED}")
        if len(spec) > MAX_RUNS:
            raise ExperimentError(f"{where}: {len(spec):,} seeds; at most {MAX_RUNS:,}")
        if len(set(spec)) != len(spec):
            raise ExperimentError(f"{where}: {spec!r} names a seed twice")
        return tuple(spec)
    if isinstance(spec, str):
        seeds: list[int] = []
        for part in spec.split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m:
                raise ExperimentError(f"{where}: {spec!r} is not a seed specification; expected e.g. "
                                      "'0-99' or '1,5,7'")
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
            if hi < lo:
                raise ExperimentError(f"{where}: in {spec!r} the range {part} runs backwards")
            if hi > MAX_SEED:
                raise ExperimentError(f"{where}: seed {hi} is above the largest seed, {MAX_SEED}")
            if len(seeds) + hi - lo + 1 > MAX_RUNS:
                raise ExperimentError(f"{where}: {spec!r} names more than {MAX_RUNS:,} seeds")
            seeds.extend(range(lo, hi + 1))
        if len(set(seeds)) != len(seeds):
            raise ExperimentError(f"{where}: {spec!r} names a seed twice")
        return tuple(seeds)
    raise ExperimentError(f"{where}: {spec!r} is not a seed specification")


def _check_params(where: str, params: dict) -> None:
    for key in params:
        name = key.split(".", 1)[-1]
        if name not in PARAM_INDEX:
            raise ExperimentError(f"{where}: unknown parameter '{key}'{did_you_mean(name, PARAM_INDEX)}; "
                                  "see `python run.py params`")
    try:
        Scenario().with_overrides(where=where, **params)
    except ScenarioError as exc:
        raise ExperimentError(str(exc)) from None


def parameter_sets(where: str, table: dict | None) -> tuple[tuple[str, dict], ...]:
    """The parameter sets of a [parameters] table (grid, lhs or sobol)."""
    if not table:
        return (("base", {}),)
    table = dict(table)
    method = table.pop("method", "grid")
    if method not in METHODS:
        raise ExperimentError(f"{where}: [parameters] method = {method!r}; expected one of {', '.join(METHODS)}")
    if method == "grid":
        values = table.pop("values", None)
        if not isinstance(values, dict) or not values:
            raise ExperimentError(f"{where}: [parameters.values] must list values per parameter for a grid")
        for k, v in values.items():
            if not isinstance(v, list) or not v:
                raise ExperimentError(f"{where}: [parameters.values] {k} must be a non-empty list of values")
        if table:
            raise ExperimentError(f"{where}: unknown key(s) in [parameters]: {', '.join(table)}"
                                  f"{did_you_mean(next(iter(table)), ['method', 'values'])}")
        names = list(values)
        n_sets = int(np.prod([len(v) for v in values.values()], dtype=float))
        if n_sets > MAX_RUNS:
            raise ExperimentError(f"{where}: [parameters.values] makes {n_sets:,} parameter sets; at most "
                                  f"{MAX_RUNS:,}")
        sets = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values.values())]
    else:
        ranges = table.pop("ranges", None)
        samples = table.pop("samples", None)
        sample_seed = table.pop("sample_seed", 0)
        if table:
            raise ExperimentError(f"{where}: unknown key(s) in [parameters]: {', '.join(table)}"
                                  f"{did_you_mean(next(iter(table)), ['method', 'ranges', 'samples', 'sample_seed'])}")
        if not isinstance(ranges, dict) or not ranges:
            raise ExperimentError(f"{where}: [parameters.ranges] must give [low, high] per parameter for {method}")
        if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= MAX_RUNS:
            raise ExperimentError(f"{where}: [parameters] samples = {samples!r}; expected a whole number from 1 "
                                  f"to {MAX_RUNS:,}")
        if not isinstance(sample_seed, int) or isinstance(sample_seed, bool) or not 0 <= sample_seed <= MAX_SEED:
            raise ExperimentError(f"{where}: [parameters] sample_seed = {sample_seed!r}; expected a whole number "
                                  ">= 0")
        names = list(ranges)
        lo, hi = [], []
        for k, r in ranges.items():
            if (not isinstance(r, list) or len(r) != 2
                    or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in r)
                    or r[0] >= r[1]):
                raise ExperimentError(f"{where}: [parameters.ranges] {k} = {r!r}; expected [low, high] with low < high")
            lo.append(float(r[0]))
            hi.append(float(r[1]))
        if method == "lhs":
            unit = qmc.LatinHypercube(d=len(names), seed=sample_seed).random(samples)
        else:
            unit = qmc.Sobol(d=len(names), scramble=True, seed=sample_seed).random(samples)
        points = qmc.scale(unit, lo, hi)
        sets = [dict(zip(names, (float(x) for x in row), strict=True)) for row in np.atleast_2d(points)]
    for i, s in enumerate(sets):
        _check_params(f"{where}: [parameters] set p{i:03d}", s)
    return tuple((f"p{i:03d}", s) for i, s in enumerate(sets))


def load_experiment(path: str | Path) -> Experiment:
    path = Path(path)
    where = str(path)
    doc = read_toml(path, ExperimentError)
    known = {"name", "scenarios", "seeds", "scale", "end_year", "parameters"}
    for key in doc:
        if key not in known:
            raise ExperimentError(f"{where}: unknown key '{key}'{did_you_mean(key, known)}; expected one of "
                                  f"{', '.join(sorted(known))}")
    scen = doc.get("scenarios")
    if not isinstance(scen, list) or not scen or not all(isinstance(s, str) for s in scen):
        raise ExperimentError(f"{where}: scenarios must be a non-empty list of scenario file paths")
    scenarios = tuple(str(path.parent / s) for s in scen)
    for s in scenarios:
        if not Path(s).exists():
            raise ExperimentError(f"{where}: scenarios: {s} not found")
    seeds = parse_seeds(doc.get("seeds", 1), f"{where}: seeds")
    run_overrides = {k: doc[k] for k in ("scale", "end_year") if k in doc}
    if run_overrides:
        _check_params(where, run_overrides)
    name = doc.get("name", path.stem)
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ExperimentError(f"{where}: name = {name!r}; use letters, digits, '_', '-' and '.' (not first)")
    return Experiment(name, scenarios, seeds, parameter_sets(where, doc.get("parameters")), run_overrides,
                      str(path))


def experiment_from_args(scenarios: list[str], seeds: str, overrides: dict, name: str | None = None) -> Experiment:
    """An experiment from the command line: scenario files x one parameter set (the overrides) x seeds."""
    for s in scenarios:
        if not Path(s).exists():
            raise ExperimentError(f"{s}: file not found")
    if name is not None and not NAME.fullmatch(name):
        raise ExperimentError(f"--name {name!r}: use letters, digits, '_', '-' and '.' (not first)")
    run_overrides = {k: v for k, v in overrides.items() if k in ("scale", "end_year", "run.scale", "run.end_year")}
    params = {k: v for k, v in overrides.items() if k not in run_overrides}
    if overrides:
        _check_params("command line", overrides)
    return Experiment(name or "batch", tuple(scenarios), parse_seeds(seeds),
                      (("base", params),), run_overrides, "")
