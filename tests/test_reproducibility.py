"""Same scenario and seed give the same table (with the same manifest); the manifest can reproduce a run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import model
from model import HousingModel, Scenario, simulate
from model.data import default_data_dir
from model.entities import EntityTable
from tests.helpers import table_digest

ROOT = Path(__file__).resolve().parent.parent
QUICK = dict(scale=0.05)
END = 2024


def run(seed: int, scenario=None, **overrides):
    sc = Scenario().with_overrides(end_year=END) if scenario is None else scenario
    return simulate(sc, seed=seed, **QUICK, **overrides)


def manifest_of(table) -> dict:
    return json.loads(table.schema.metadata[b"manifest"])


@pytest.fixture(scope="module")
def seed1():
    return run(1)


def test_same_seed_identical_tables_including_manifest(seed1):
    again = run(1)
    assert again.equals(seed1, check_metadata=True)
    assert again.schema.metadata == seed1.schema.metadata


def test_different_seeds_differ(seed1):
    other = run(2)
    assert not other.equals(seed1)
    a, b = seed1.to_pylist(), other.to_pylist()
    # the base-year counts are CBS figures whatever the seed ...
    for ra, rb in zip(a, b, strict=True):
        if ra["year"] == 2019:
            for k in ("population", "households", "dwellings"):
                assert ra[k] == rb[k]
    # ... the years after are not
    later = [(ra["population"], ra["deaths"]) != (rb["population"], rb["deaths"])
             for ra, rb in zip(a, b, strict=True) if ra["year"] > 2019]
    assert sum(later) >= len(later) // 2
    assert manifest_of(other)["seed"] == 2


def test_manifest_contents(seed1):
    man = manifest_of(seed1)
    assert man["seed"] == 1
    assert set(seed1.column("seed").to_pylist()) == {1}
    params = man["parameters"]
    assert set(params) == set(Scenario().parameters())
    assert params["run.scale"] == 0.05 and params["run.end_year"] == END
    expected = json.loads(json.dumps(Scenario().with_overrides(end_year=END, scale=0.05).parameters()))
    assert params == expected
    data_dir = default_data_dir()
    for name in ("facts.csv", "wijk_shares.csv"):
        assert man["data_files"][name] == hashlib.sha256((data_dir / name).read_bytes()).hexdigest()
    assert isinstance(man["code_version"], str) and man["code_version"]
    assert man["code_version"] == model.code_version()
    assert man["scenario"] == "baseline"
    for key in ("python", "numpy", "mesa", "pyarrow", "model_version"):
        assert man[key]


def test_code_version_is_the_commit_and_dirty_when_model_or_data_differ(tmp_path, monkeypatch):
    """code_version in a git work tree of its own: the commit, '+dirty' for a change (untracked files too)
    under model/ or calibration/data/ but not elsewhere; without a commit or without git, the package version."""
    from model import core

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    def version():
        core.code_version.cache_clear()
        return core.code_version()

    monkeypatch.setattr(core, "PROJECT_ROOT", tmp_path)
    try:
        assert version().endswith("(no git)")  # not a git work tree
        git("init", "-q")
        (tmp_path / "model").mkdir()
        (tmp_path / "model" / "a.py").write_text("x = 1\n")
        assert version().endswith("(no git)")  # no commit yet
        git("add", "-A")
        git("commit", "-q", "-m", "one")
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout
        assert version() == head.strip()
        (tmp_path / "README.md").write_text("elsewhere\n")
        assert version() == head.strip()
        (tmp_path / "model" / "b.py").write_text("y = 2\n")
        assert version() == head.strip() + "+dirty"
        (tmp_path / "model" / "b.py").unlink()
        (tmp_path / "model" / "a.py").write_text("x = 2\n")
        assert version() == head.strip() + "+dirty"
    finally:
        core.code_version.cache_clear()


def test_manifest_reproduces_the_run():
    """Parameters and seed read back from the manifest give the same table (non-default values included)."""
    sc = Scenario().with_overrides(end_year=2023, scale=0.05, total_fertility_rate=1.4,
                                   in_migration_per_1000={"GM0114": 25.0},
                                   population_targets={"GM1680": {2022: 25_000}})
    first = simulate(sc, seed=5)
    man = manifest_of(first)
    rebuilt = Scenario().with_overrides(**man["parameters"])
    assert rebuilt == sc
    second = simulate(rebuilt, seed=man["seed"])
    assert second.equals(first)
    assert table_digest(second) == table_digest(first)


def test_override_arguments_equal_scenario_values():
    a = simulate(None, seed=3, scale=0.05, end_year=2022, total_fertility_rate=1.4)
    b = simulate(Scenario().with_overrides(scale=0.05, end_year=2022, total_fertility_rate=1.4), seed=3)
    assert a.equals(b, check_metadata=True)


def test_stepping_equals_simulate(seed1):
    m = HousingModel(Scenario().with_overrides(end_year=END), rng=1, **QUICK)
    while m.running:
        m.step()
    assert m.table().equals(seed1, check_metadata=True)


def test_compaction_changes_no_result(seed1, monkeypatch):
    """entities.py: compaction keeps the order of alive rows 'so it changes no result'."""
    monkeypatch.setattr(EntityTable, "compact", lambda self, min_dead_share=0.25: False)
    assert run(1).equals(seed1)


def test_same_result_in_a_fresh_process_with_another_hash_seed(seed1):
    """No dependence on set/dict iteration order of strings or on state left by earlier tests."""
    code = ("from model import Scenario, simulate; from tests.helpers import table_digest; "
            f"print(table_digest(simulate(Scenario().with_overrides(end_year={END}), seed=1, scale=0.05)))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == table_digest(seed1)


def test_numpy_generator_seed_is_recorded():
    m = HousingModel(None, rng=np.random.default_rng(42), scale=0.02, end_year=2020)
    assert isinstance(m.seed, int)
    m2 = HousingModel(None, rng=m.seed, scale=0.02, end_year=2020)
    assert m.run_to_end().equals(m2.run_to_end())


def test_bad_rng_type_is_rejected():
    with pytest.raises(TypeError, match="rng"):
        HousingModel(None, rng="one", scale=0.02, end_year=2020)


def test_manifest_records_the_calibrated_values_the_baseline_uses():
    """scenarios/baseline.toml builds on calibration/calibrated.toml: a run's manifest names that file, its
    sha256 and the values it sets, and those are the values the run used; a scenario without it records none."""
    import tomllib

    from calibration.calibrate import CALIBRATED_FILE

    t = simulate(ROOT / "scenarios" / "baseline.toml", seed=1, scale=0.02, end_year=2020)
    man = manifest_of(t)
    cal = man["calibration"]
    assert Path(cal["file"]).resolve() == CALIBRATED_FILE.resolve()
    assert cal["sha256"] == hashlib.sha256(CALIBRATED_FILE.read_bytes()).hexdigest()
    doc = tomllib.loads(CALIBRATED_FILE.read_text())
    assert cal["description"] == doc["description"] and len(cal["values"]) >= 5
    for key, value in cal["values"].items():
        used = man["parameters"][key]
        assert used == (value if not isinstance(value, dict) else {**used, **value}), key
    assert any(Path(p).resolve() == CALIBRATED_FILE.resolve() for p in man["scenario_files"])
    assert manifest_of(simulate(Scenario().with_overrides(end_year=2020), seed=1, scale=0.02))["calibration"] is None
