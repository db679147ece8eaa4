"""The Mesa model and the plain-function interface.

``HousingModel`` holds the entity arrays and steps them one year at a time; ``simulate()`` runs a whole
scenario and returns the indicator table (pyarrow) with the run manifest in its schema metadata.
"""

from __future__ import annotations

import json
import platform
import subprocess
from functools import cache
from pathlib import Path

import mesa
import numpy as np
import pyarrow as pa

from . import (
    allocation,
    checks,
    corporation_levers,
    demography,
    income,
    market,
    memory,
    policies,
    renovation,
    stock_change,
)
from .data import MUNICIPALITY_CODES, file_sha256, load_facts, load_wijk_table
from .indicators import ARROW_SCHEMA, alive_per_municipality, measure, rows_for_year
from .params import Scenario, ScenarioError, load_scenario
from .schedules import fertility_by_age, mortality_table
from .stock import build_stock
from .streams import Streams

__version__ = "0.1.0"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The persons and the households are compacted together, at the end of a year where either has this share of
#: dead slots, each then from COMPACT_WITH on: a compaction of either rebuilds the member index (model.income),
#: which costs about as much as the compaction itself, so one rebuild serves both; and the passes over the
#: persons and the households, which read the dead slots too, read fewer of them than with a compaction of each
#: at 25 % (full region, benchmarks.ab against that: 2-4 % off a year; 5 % alone for both cost 10 %: five
#: times as many rebuilds).
COMPACT_AT, COMPACT_WITH = 0.18, 0.05


def resolve_scenario(scenario: str | Path | Scenario | None, **overrides) -> Scenario:
    """A Scenario from a path, a Scenario or None (the defaults), with overrides applied."""
    if scenario is None:
        sc = Scenario()
    elif isinstance(scenario, Scenario):
        sc = scenario
    elif isinstance(scenario, (str, Path)):
        sc = load_scenario(scenario)
    else:
        raise ScenarioError(f"scenario must be a path or a Scenario, got {type(scenario).__name__}")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return sc.with_overrides(**overrides) if overrides else sc


def _seed_from(rng) -> int:
    if rng is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    raise TypeError(f"rng must be an int seed, a numpy Generator or None, got {type(rng).__name__}")


class HousingModel(mesa.Model):
    """The housing-stock model of Zuid- en Oost-Drenthe.

    Args:
        scenario: path of a scenario TOML file, a :class:`Scenario`, or None for the defaults.
        rng: the run's seed (int). All randomness comes from named per-process streams derived from it.
        scale: share of the population simulated (overrides ``run.scale``).
        data_dir: folder holding facts.csv and wijk_shares.csv (default ``calibration/data``).
        **overrides: single scenario parameters by name (``total_fertility_rate=1.5``).

    One step is one year: demography (see :mod:`model.demography` for the order), then indicators for
    1 January of the next year. ``running`` turns False when ``run.end_year`` is reached.
    """

    def __init__(self, scenario=None, rng=None, scale: float | None = None, data_dir: str | None = None,
                 check: bool = False, **overrides):
        memory.keep_freed_memory()  # large temporaries reuse freed pages (model/memory.py; once per process)
        seed = _seed_from(rng)
        super().__init__(rng=seed)
        self.seed = seed
        # invariant checks every year (model/checks.py): check=True, or ZOD_CHECK=1 in the environment
        self.check = bool(check) or checks.enabled_by_environment()
        self.scenario = resolve_scenario(scenario, scale=scale, **overrides)
        self.data_dir = str(data_dir) if data_dir else None
        self.facts = load_facts(self.data_dir)
        self.wijken = load_wijk_table(self.data_dir)
        self.streams = Streams(seed)
        run = self.scenario.run
        self.year = run.base_year
        self.state = build_stock(self.scenario, self.facts, self.wijken, self.streams)
        self._check_wijk_codes()
        # the institutions (Mesa agents): the Transformatiefonds and one proeftuin per municipality
        self.fund = policies.Transformatiefonds(self)
        self.proeftuinen = [policies.Proeftuin(self, m) for m in range(len(MUNICIPALITY_CODES))]
        # the experimenteerruimte: corporations' levers (off unless a scenario gives them money or homes)
        self.corporation_fund = corporation_levers.CorporationFund(self)
        self.corporation_lifetime = corporation_levers.CorporationLifetime(self)
        self.corporation_energy = corporation_levers.CorporationEnergy(self)
        self._rows: list[dict] = []
        self.events: dict[str, np.ndarray] = {}
        self.last_flows = None
        self._schedules()
        self.datacollector = mesa.DataCollector(model_reporters={
            "year": "year", "population": "total_population", "households": "total_households",
            "dwellings": "total_dwellings", "vacant_dwellings": "total_vacant", "vacancy_rate": "vacancy_rate",
            "persons_65plus": "total_65plus", "births": "total_births", "deaths": "total_deaths",
        })
        self._collect(None)

    # -- Mesa -----------------------------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:  # Mesa 3.5 defines a `scenario` property; ours is the parameter set
        return self._housing_scenario

    @scenario.setter
    def scenario(self, value) -> None:
        if isinstance(value, Scenario):
            self._housing_scenario = value
        else:  # Mesa's own Scenario object set by Model.__init__
            self._mesa_scenario = value

    def step(self) -> None:
        """Advance one year: 1 January of ``year`` to 1 January of ``year + 1``."""
        if self.year >= self.scenario.run.end_year:
            self.running = False
            return
        flows = demography.Flows()
        self.events = {}
        self._population_start = self._population()  # 1 January, before any process
        # 1. demography (with the simple dwelling allocation of model.allocation)
        demography.mortality(self, flows)
        demography.care(self, flows)
        demography.fertility(self, flows)
        demography.separation(self, flows)
        demography.partnership(self, flows)
        allocation.tenant_moves(self)
        demography.leave_home(self, flows)
        # migration; where a population target holds for next 1 January, aligned to it: extra departures
        # ranked by out-migration probability, then the arrivals that are still needed
        targets = self._alignment_targets()
        aligned = targets is not None and targets >= 0
        extra_out = None if targets is None else np.where(aligned, np.maximum(self._population() - targets, 0), 0)
        demography.out_migration(self, flows, extra_out)
        target_in = self._in_migration_rate_targets()
        if targets is not None:
            target_in = np.where(aligned, np.maximum(targets - self._population(), 0), target_in)
        demography.in_migration(self, flows, target_in)
        demography.ageing(self)
        # 2. incomes, savings, mortgages
        income.yearly_means(self)
        # 3. housing market: prices, moves of existing households, sales of rented homes
        market.update_prices(self)
        market.moves(self)
        self.count_event("corporation_sales", stock_change.corporation_sales(self))
        # 4.-6. maintenance and decay, owner renovation, corporations and landlords
        renovation.maintenance(self)
        for pt in self.proeftuinen:  # where the proeftuin instruments act this year (and the outreach)
            pt.begin_year()
        renovation.owner_renovation(self)
        renovation.corporation_renovation(self)
        # 7. stock change: demolition and new construction
        shrinking = self._population() < self._population_start
        structural = stock_change.structural_vacancy_demolition(self, shrinking)
        self.count_event("structural_vacancy_demolitions", structural)
        self.count_event("demolished", structural + stock_change.demolition(self))
        self.count_event("new_construction", stock_change.construction(self))
        # 8. policies: the Transformatiefonds buys and disposes (the proeftuinen acted in step 5)
        self.fund.step()
        self.corporation_fund.step()
        self.corporation_lifetime.step()
        self.corporation_energy.step()
        self.year += 1
        self._schedules()
        persons, households = self.state.persons, self.state.households
        if persons.compact(COMPACT_AT) | households.compact(COMPACT_AT):  # (both asked)
            persons.compact(COMPACT_WITH)
            households.compact(COMPACT_WITH)
        self.state.dwellings.compact()
        self._collect(flows)
        if self.year >= self.scenario.run.end_year:
            self.running = False
        if self.check:
            checks.check_year(self)

    def count_event(self, name: str, per_municipality: np.ndarray | None = None, *,
                    municipality: np.ndarray | None = None, weights: np.ndarray | None = None) -> None:
        """Add to the yearly event counter ``name`` (an event column of indicators.SCHEMA): either an array
        per municipality, or one entry per event with its ``municipality`` index (and ``weights``)."""
        if per_municipality is None:
            per_municipality = np.bincount(np.asarray(municipality, dtype=np.int64), weights=weights,
                                           minlength=len(MUNICIPALITY_CODES))
        current = self.events.get(name)
        self.events[name] = per_municipality.astype(float) if current is None else current + per_municipality

    # -- internals ------------------------------------------------------------------------------------
    def _check_wijk_codes(self) -> None:
        known = {w.code for w in self.wijken}
        for code, wijken in self.scenario.proeftuin.proeftuin_wijken.items():
            for w in wijken:
                if w not in known:
                    where = self.scenario.source_file or "scenario"
                    raise ScenarioError(f"{where}: [proeftuin] proeftuin_wijken.{code}: {w!r} is not a wijk of "
                                        f"{code} in the CBS wijk table (calibration/data/wijk_shares.csv)")

    def _schedules(self) -> None:
        d = self.scenario.demography
        self.mortality_q = mortality_table(self.facts, self.year, d.mortality_improvement_per_year,
                                           d.mortality_multiplier)
        self.fertility = fertility_by_age(d.total_fertility_rate, d.fertility_mean_age, d.fertility_sd_age)

    def _population(self) -> np.ndarray:
        # kept from the last count (the year's first call: from the last measure) where the persons' municipality
        # and alive columns have not changed since; read with peek, which leaves the cached household facts alone
        return alive_per_municipality(self.state)

    def _in_migration_rate_targets(self) -> np.ndarray:
        mig = self.scenario.migration
        per = np.array([mig.in_migration_per_1000[c] for c in MUNICIPALITY_CODES]) / 1000.0
        if self.year < 2019 and mig.in_migration_growth_before_2019 != 0.0:  # back-cast years only
            per = per * (1.0 + mig.in_migration_growth_before_2019) ** (self.year - 2019)
        return np.rint(per * self._population_start).astype(np.int64)

    def _alignment_targets(self) -> np.ndarray | None:
        """Population targets for next 1 January per municipality, scaled (-1 where none); None if no
        municipality has one."""
        targets = self.scenario.alignment.population_targets
        nxt = self.year + 1
        if not any(nxt in t for t in targets.values()):
            return None
        scale = self.scenario.run.scale
        return np.array([round(targets[c][nxt] * scale) if nxt in targets.get(c, {}) else -1
                         for c in MUNICIPALITY_CODES], dtype=np.int64)

    def _collect(self, flows) -> None:
        sc = self.scenario
        stock = measure(self)
        rows = rows_for_year(self.year, stock, flows, None if flows is None else self.events, sc.run.scale)
        self._rows.extend(rows)
        self.total_population = int(stock["population"].sum())
        self.total_households = int(stock["households"].sum())
        self.total_dwellings = int(stock["dwellings"].sum())
        self.total_vacant = int(stock["vacant_dwellings"].sum())
        self.vacancy_rate = self.total_vacant / max(self.total_dwellings, 1)
        self.total_65plus = int(stock["persons_65plus"].sum())
        self.total_births = None if flows is None else int(sum(r["births"] for r in rows))
        self.total_deaths = None if flows is None else int(sum(r["deaths"] for r in rows))
        self.last_flows = flows
        self.datacollector.collect(self)

    # -- output ---------------------------------------------------------------------------------------
    def manifest(self) -> dict:
        """Everything needed to reproduce this run."""
        data_dir = Path(self.facts.path).parent
        files = {path: _sha256_or_none(path) for path, _ in self.scenario.files}
        return {
            "scenario": self.scenario.name,
            "scenario_file": self.scenario.source_file,
            "scenario_files": files,
            "calibration": calibration_record(self.scenario, files),
            "description": self.scenario.description,
            "seed": self.seed,
            "parameters": self.scenario.parameters(),
            "code_version": code_version(),
            "model_version": __version__,
            "data_files": {name: file_sha256(data_dir / name) for name in ("facts.csv", "wijk_shares.csv")},
            "stock_notes": list(getattr(self.state, "notes", [])),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "pyarrow": pa.__version__,
        }

    def table(self) -> pa.Table:
        """The indicator rows collected so far, with the manifest in the schema metadata."""
        # pyarrow converts the row dicts itself (a third of the time of building Python lists per column)
        table = pa.Table.from_pylist([dict(r, scenario=self.scenario.name, seed=self.seed) for r in self._rows],
                                     schema=ARROW_SCHEMA)
        meta = {b"manifest": json.dumps(self.manifest(), sort_keys=True).encode()}
        for key, agent in self.ledgers().items():
            meta[key.encode()] = json.dumps(agent.ledger_table().to_pylist()).encode()
        return table.replace_schema_metadata(meta)

    def ledgers(self) -> dict:
        """The institutions with a ledger this run ({metadata key: agent}): the fund and the levers in use."""
        out = {"fund_ledger": self.fund} if self.fund.ledger.rows else {}
        for key, agent in (("corp_fund_ledger", self.corporation_fund), ("corp_lp_ledger", self.corporation_lifetime),
                           ("corp_energy_ledger", self.corporation_energy)):
            if agent.enabled:
                out[key] = agent
        return out

    def fund_ledger(self) -> pa.Table:
        """The Transformatiefonds' ledger: one row per year, balance and cash flows (model.policies)."""
        return self.fund.ledger_table()

    def run_to_end(self, progress=None) -> pa.Table:
        while self.running:
            self.step()
            if progress is not None:
                progress(self)
        return self.table()


def _sha256_or_none(path: str) -> str | None:
    try:
        return file_sha256(Path(path))
    except OSError:
        return None


def calibration_record(scenario: Scenario, sha256: dict[str, str | None]) -> dict | None:
    """The calibrated parameter file a scenario builds on (a file in its ``extends`` chain named
    "calibrated", as ``run.py calibrate`` writes it): its path, sha256, description and the values it sets;
    None for a scenario that uses no calibrated values. ``sha256``: the digests of the scenario's files."""
    import tomllib

    for path, name in scenario.files:
        if name != "calibrated":
            continue
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        values = {f"{sec}.{k}": v for sec, table in doc.items() if isinstance(table, dict) for k, v in table.items()}
        return {"file": path, "sha256": sha256[path], "description": doc.get("description", ""),
                "values": values}
    return None


@cache
def code_version() -> str:
    """Git commit of the model code (with '+dirty' when the model or its data differ from it, untracked files
    included), or the package version. One ``git status`` gives both: its ``# branch.oid`` header line is the
    commit, any other line a change."""
    no_git = f"zodrenthe-housing {__version__} (no git)"
    try:
        status = subprocess.run(["git", "status", "--porcelain=v2", "--branch", "--", "model", "calibration/data"],
                                cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return no_git
    lines = status.stdout.splitlines()
    commit = next((line.split()[2] for line in lines if line.startswith("# branch.oid ")), None)
    if status.returncode != 0 or commit is None or commit == "(initial)":
        return no_git
    return commit + ("+dirty" if any(not line.startswith("#") for line in lines) else "")


def simulate(scenario: str | Path | Scenario | None = None, seed: int = 0, scale: float | None = None,
             progress=None, **overrides) -> pa.Table:
    """Run a scenario from its base year to its end year and return the indicator table.

    ``scenario`` is a path of a TOML file or a :class:`Scenario`; ``scale`` (default: the scenario's
    ``run.scale``, 1.0) simulates a share of the population; ``overrides`` set single parameters by their
    documented names, e.g. ``simulate("scenarios/baseline.toml", seed=3, total_fertility_rate=1.4)``.
    The run manifest is in ``table.schema.metadata[b"manifest"]`` (JSON).
    """
    model = HousingModel(scenario, rng=seed, scale=scale, **overrides)
    return model.run_to_end(progress)
