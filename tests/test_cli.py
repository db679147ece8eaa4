"""The command line (run.py), tested in-process through ``run.main(argv)``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import model  # noqa: E402
import run  # noqa: E402  (run.py lives at the project root)

BASELINE = ROOT / "scenarios" / "baseline.toml"
QUICK = ["--scale", "0.02", "--end-year", "2022"]


def test_run_writes_parquet_and_manifest(tmp_path, capsys):
    code = run.main(["run", str(BASELINE), "--seed", "1", *QUICK, "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    path = tmp_path / "baseline_seed1.parquet"
    assert path.is_file()
    assert str(path) in out

    table = pq.read_table(path)
    assert table.num_rows == len(model.MUNICIPALITIES) * 4  # 2019, 2020, 2021, 2022
    assert sorted(set(table.column("year").to_pylist())) == [2019, 2020, 2021, 2022]
    assert set(table.column("seed").to_pylist()) == {1}
    manifest = json.loads(pq.read_schema(path).metadata[b"manifest"])
    assert manifest["seed"] == 1
    assert manifest["scenario"] == "baseline"
    assert manifest["parameters"]["run.scale"] == 0.02
    assert manifest["parameters"]["run.end_year"] == 2022

    side = json.loads((tmp_path / "baseline_seed1.manifest.json").read_text())
    assert side == manifest
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_run_default_out_and_set(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = run.main(["run", str(BASELINE), "--seed", "3", "--scale", "0.02", "--end-year", "2020", "--quiet",
                     "--set", "total_fertility_rate=1.5",
                     "--set", "out_migration_rate_by_age=[0.05,0.03,0.01,0.006,0.004]",
                     "--set", "migration.in_migration_per_1000={GM0114 = 20}"])
    out, err = capsys.readouterr()
    assert code == 0, err
    path = tmp_path / "results" / "baseline" / "baseline_seed3.parquet"
    assert out.strip() == str(Path("results") / "baseline" / "baseline_seed3.parquet")
    params = json.loads(pq.read_schema(path).metadata[b"manifest"])["parameters"]
    assert params["demography.total_fertility_rate"] == 1.5
    assert params["migration.out_migration_rate_by_age"] == [0.05, 0.03, 0.01, 0.006, 0.004]
    assert params["migration.in_migration_per_1000"]["GM0114"] == 20.0


def _bad_scenario(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("file_name, text, key", [
    ("unknown_key.toml", '[demography]\ntotal_fertility = 1.5\n', "total_fertility"),
    ("out_of_range.toml", '[demography]\ntotal_fertility_rate = 7.0\n', "total_fertility_rate"),
    ("wrong_type.toml", '[migration]\nout_migration_rate_by_age = "high"\n', "out_migration_rate_by_age"),
    ("unknown_section.toml", '[demograpy]\ntotal_fertility_rate = 1.5\n', "demograpy"),
])
def test_bad_scenario_file_exits_2_with_message(tmp_path, capsys, file_name, text, key):
    path = _bad_scenario(tmp_path, file_name, text)
    code = run.main(["run", str(path), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: ")
    assert file_name in err and key in err
    assert "Traceback" not in err + out
    assert not (tmp_path / "out").exists()


def test_missing_scenario_file_exits_2(tmp_path, capsys):
    code = run.main(["run", str(tmp_path / "no_such_scenario.toml")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "no_such_scenario.toml" in err
    assert "Traceback" not in err + out


@pytest.mark.parametrize("setting, key", [
    ("no_such_parameter=1", "no_such_parameter"),
    ("total_fertility_rate", "total_fertility_rate"),          # no '='
    ("total_fertility_rate=abc", "total_fertility_rate"),      # not a TOML value
    ("total_fertility_rate=9", "total_fertility_rate"),        # out of range
    ("total_fertility_rate=\"1.5\"", "total_fertility_rate"),  # wrong type
])
def test_bad_set_exits_2_naming_the_key(tmp_path, capsys, setting, key):
    code = run.main(["run", str(BASELINE), *QUICK, "--out", str(tmp_path), "--set", setting])
    out, err = capsys.readouterr()
    assert code == 2
    assert key in err
    assert "Traceback" not in err + out
    assert not list(tmp_path.iterdir())


def test_bad_option_exits_2(tmp_path, capsys):
    assert run.main(["run", str(BASELINE), "--scale", "2", "--out", str(tmp_path)]) == 2
    assert "scale" in capsys.readouterr().err
    assert run.main(["run", str(BASELINE), "--seed", "-1"]) == 2
    assert run.main(["frobnicate"]) == 2


def test_help_returns_0(capsys):
    assert run.main(["--help"]) == 0
    assert "params" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["params"], ["params", "--markdown"], ["schema"], ["schema", "--markdown"]])
def test_params_and_schema_return_0(capsys, argv):
    assert run.main(argv) == 0
    out = capsys.readouterr().out
    assert "total_fertility_rate" in out or "vacancy_rate" in out


def test_params_lists_every_parameter(capsys):
    run.main(["params"])
    out = capsys.readouterr().out
    for row in model.parameter_table():
        assert f"{row['name']} = " in out


@pytest.mark.parametrize("argv, doc", [
    (["params", "--markdown"], "docs/parameters.md"),
    (["schema", "--markdown"], "docs/output.md"),
])
def test_generated_docs_are_current(capsys, argv, doc):
    assert run.main(argv) == 0
    printed = capsys.readouterr().out
    command = " ".join(["python run.py", *argv, ">", doc])
    assert printed.splitlines()[0].find(command) >= 0
    assert (ROOT / doc).read_text(encoding="utf-8") == printed, (
        f"{doc} is out of date: regenerate it with `{command}`")


def test_baseline_scenario_equals_the_defaults_with_the_calibrated_values():
    """scenarios/baseline.toml writes out defaults on top of calibration/calibrated.toml; after a default
    changes in model/params.py, update it. No value of the 2012 starting stock may reach it."""
    import tomllib

    from calibration.calibrate import BACKCAST_SECTIONS, CALIBRATED_FILE

    loaded = model.load_scenario(BASELINE).parameters()
    expected = model.Scenario().parameters()
    calibrated = tomllib.loads(CALIBRATED_FILE.read_text())
    assert not set(calibrated) & set(BACKCAST_SECTIONS), "2012-stock values in calibrated.toml"
    for sec, table in calibrated.items():
        if isinstance(table, dict):
            for k, v in table.items():
                expected[f"{sec}.{k}"] = {**expected[f"{sec}.{k}"], **v} if isinstance(v, dict) else v
    differ = {k: (loaded[k], expected[k]) for k in expected if loaded[k] != expected[k]}
    assert not differ, f"scenarios/baseline.toml differs from defaults + calibrated values (file, expected): {differ}"
    assert len([k for k in calibrated if isinstance(calibrated[k], dict)]) >= 3
