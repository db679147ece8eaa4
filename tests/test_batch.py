"""Batch experiments (``experiments`` and ``run.py batch``): definition, executors, failures, worker death,
shards, resume and the command line.

The executor tests share one small experiment: the baseline at scale 0.02 to 2022 (4 years x 6
municipalities per run), a 2-value grid on total_fertility_rate and seeds 0-2, i.e. 6 runs. The ``local``
executor tests start real Dask LocalClusters on 127.0.0.1 with two single-threaded worker processes; the
run functions they use are defined at module level here, so they pickle by reference and the (spawned)
workers import this module as ``tests.test_batch`` (pytest puts the project root on ``sys.path`` and
spawned processes inherit it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import experiments
from experiments import ExperimentError, load_experiment, parse_seeds, run_experiment
from experiments.dataset import write_atomic
from model import MUNICIPALITIES

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import run  # noqa: E402  (run.py lives at the project root)

BASELINE = ROOT / "scenarios" / "baseline.toml"
KEYS = ["scenario", "paramset", "seed", "year", "municipality_code"]
SMALL_TOML = f"""
name = "small"
scenarios = ["{BASELINE}"]
seeds = "0-2"
scale = 0.02
end_year = 2022

[parameters]
method = "grid"
[parameters.values]
total_fertility_rate = [1.4, 1.8]
"""
SMALL_RUNS = {(s, p, seed) for s in ("baseline",) for p in ("p000", "p001") for seed in (0, 1, 2)}
YEARS = [2019, 2020, 2021, 2022]
ROWS_PER_RUN = len(YEARS) * len(MUNICIPALITIES)


# -- helpers -------------------------------------------------------------------------------------------
def write_toml(folder: Path, text: str, name: str = "exp.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sorted_table(out: Path) -> pa.Table:
    """The experiment's dataset with dictionary columns as strings, sorted by run and row, without metadata."""
    table = experiments.open_dataset(out).to_table()
    for i, name in enumerate(table.column_names):
        if pa.types.is_dictionary(table.schema.field(name).type):
            table = table.set_column(i, name, pc.cast(table[name], pa.string()))
    return table.sort_by([(k, "ascending") for k in KEYS]).replace_schema_metadata(None)


def assert_same_dataset(a: Path, b: Path) -> None:
    ta, tb = sorted_table(a), sorted_table(b)
    assert ta.schema == tb.schema
    assert ta.num_rows == tb.num_rows
    if not ta.equals(tb):
        for name in ta.column_names:
            assert ta[name].to_pylist() == tb[name].to_pylist(), f"column {name} differs between {a} and {b}"


def temporaries(out: Path) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(out) for f in files if f.endswith(".tmp")]


def status_lines(out: Path, label: str = "main") -> list[dict]:
    return [json.loads(line) for line in (out / "status" / f"{label}.jsonl").read_text().splitlines()]


def check_complete_dataset(out: Path, runs=SMALL_RUNS) -> pa.Table:
    """Every (scenario, paramset, seed) exactly once, each with all its years x municipalities."""
    table = sorted_table(out)
    combos = list(zip(table["scenario"].to_pylist(), table["paramset"].to_pylist(), table["seed"].to_pylist(),
                      strict=True))
    assert set(combos) == runs
    for combo in runs:
        assert combos.count(combo) == ROWS_PER_RUN, combo
    assert table.num_rows == len(runs) * ROWS_PER_RUN
    rows = set(zip(combos, table["year"].to_pylist(), table["municipality_code"].to_pylist(), strict=True))
    assert len(rows) == table.num_rows  # no (run, year, municipality) twice
    assert sorted(set(table["year"].to_pylist())) == YEARS
    files = sorted((out / "runs").rglob("*.parquet"))
    assert len(files) == len(runs)
    return table


# -- run functions for run_fn= (module level so that they pickle by reference to Dask workers) ------------
FAIL_RUN = ("p001", 1)  # (paramset, seed) of the run that fails
KILL_INDEX = 2  # index of the run that kills its worker the first time


def raise_for_one_run(spec, out):
    """Raises for one run; the others run normally."""
    if (spec.paramset, spec.seed) == FAIL_RUN:
        raise RuntimeError(f"deliberate failure of {spec.run_id}")
    return experiments.execute_run(spec, out)


def invalid_parameter_for_one_run(spec, out):
    """One run gets a parameter value the model rejects, so that it fails inside ``execute_run``."""
    if (spec.paramset, spec.seed) == FAIL_RUN:
        spec = dataclasses.replace(spec, overrides={**spec.overrides, "total_fertility_rate": 99.0})
    return experiments.execute_run(spec, out)


def kill_worker_once(spec, out):
    """Run KILL_INDEX kills its own worker process (SIGKILL) on its first attempt; a marker file beside the
    output folder records the attempt and the pid of the killed worker."""
    if spec.index == KILL_INDEX:
        marker = Path(out).parent / "killed-worker.pid"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
    return experiments.execute_run(spec, out)


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_exp(tmp_path_factory):
    return load_experiment(write_toml(tmp_path_factory.mktemp("exp"), SMALL_TOML))


@pytest.fixture(scope="module")
def serial_run(small_exp, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    summary = run_experiment(small_exp, out, "serial", progress=False)
    return out, summary


@pytest.fixture(scope="module")
def local_run(small_exp, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    summary = run_experiment(small_exp, out, "local", workers=2, progress=False)
    return out, summary


# -- experiment definition -------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, expected", [
    ("0-3", (0, 1, 2, 3)),
    ("1,5,7", (1, 5, 7)),
    (" 2 , 4-5 ", (2, 4, 5)),
    ("7", (7,)),
    (3, (0, 1, 2)),
    ([2, 4], (2, 4)),
])
def test_parse_seeds(spec, expected):
    assert parse_seeds(spec) == expected


@pytest.mark.parametrize("spec, words", [
    ("3-1", "backwards"),
    ("x", "not a seed specification"),
    ("1,2,1", "twice"),
    ("0-3,2", "twice"),
    ("", "not a seed specification"),
    ("-1", "not a seed specification"),
    (0, "at least 1"),
    (True, "not a seed specification"),
    ([], "non-empty"),
    ([1, -2], "non-empty list"),
    (1.5, "not a seed specification"),
])
def test_parse_seeds_errors(spec, words):
    with pytest.raises(ExperimentError, match=words) as err:
        parse_seeds(spec, where="exp.toml: seeds")
    assert "exp.toml: seeds" in str(err.value)


def test_parse_seeds_list_with_duplicates():
    with pytest.raises(ExperimentError, match="twice"):
        parse_seeds([1, 1])


def test_grid_is_the_product_of_the_values(tmp_path):
    path = write_toml(tmp_path, f"""
        scenarios = ["{BASELINE}"]
        seeds = 2
        [parameters]
        method = "grid"
        [parameters.values]
        total_fertility_rate = [1.4, 1.6, 1.8]
        partnership_rate = [0.04, 0.08]
        """)
    exp = load_experiment(path)
    assert exp.name == "exp" and exp.seeds == (0, 1) and exp.source_file == str(path)
    ids = [pid for pid, _ in exp.parameter_sets]
    assert ids == [f"p{i:03d}" for i in range(6)]
    combos = [(p["total_fertility_rate"], p["partnership_rate"]) for _, p in exp.parameter_sets]
    assert combos == [(a, b) for a in (1.4, 1.6, 1.8) for b in (0.04, 0.08)]
    runs = exp.runs()
    assert len(runs) == 12 and [r.index for r in runs] == list(range(12))
    assert len({r.run_id for r in runs}) == 12
    assert runs[3].run_id == "baseline/p001/seed1" and runs[3].overrides == exp.parameter_sets[1][1]


def test_experiment_without_parameters_has_one_base_set(tmp_path):
    exp = load_experiment(write_toml(tmp_path, f'name = "plain"\nscenarios = ["{BASELINE}"]\nseeds = "3-4"\n'
                                               "scale = 0.05\nend_year = 2025\n"))
    assert exp.parameter_sets == (("base", {}),)
    assert [r.run_id for r in exp.runs()] == ["baseline/base/seed3", "baseline/base/seed4"]
    assert exp.runs()[0].overrides == {"scale": 0.05, "end_year": 2025}


def sampled_toml(method: str, samples: int, sample_seed: int) -> str:
    return f"""
        scenarios = ["{BASELINE}"]
        [parameters]
        method = "{method}"
        samples = {samples}
        sample_seed = {sample_seed}
        [parameters.ranges]
        total_fertility_rate = [1.3, 1.9]
        leave_home_rate = [0.03, 0.08]
        """


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_sampled_sets_lie_in_their_ranges_and_are_reproducible(tmp_path, method):
    n = 8
    sets = load_experiment(write_toml(tmp_path, sampled_toml(method, n, 3))).parameter_sets
    assert [pid for pid, _ in sets] == [f"p{i:03d}" for i in range(n)]
    ranges = {"total_fertility_rate": (1.3, 1.9), "leave_home_rate": (0.03, 0.08)}
    for _, params in sets:
        assert set(params) == set(ranges)
        for name, (lo, hi) in ranges.items():
            assert lo <= params[name] <= hi and isinstance(params[name], float)
    assert len({tuple(p.values()) for _, p in sets}) == n
    again = load_experiment(write_toml(tmp_path, sampled_toml(method, n, 3), "again.toml")).parameter_sets
    assert again == sets
    other = load_experiment(write_toml(tmp_path, sampled_toml(method, n, 4), "other.toml")).parameter_sets
    assert other != sets
    if method == "lhs":  # a Latin hypercube: one sample in each of the n strata of every parameter
        for name, (lo, hi) in ranges.items():
            strata = sorted(int((p[name] - lo) / (hi - lo) * n) for _, p in sets)
            assert strata == list(range(n)), name


@pytest.mark.parametrize("body, words", [
    ('scenarios = ["{b}"]\nseedz = 3\n', "unknown key 'seedz'"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "grid"\nstep = 1\n[parameters.values]\n'
     "total_fertility_rate = [1.5]\n", r"unknown key\(s\) in \[parameters\]: step"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 4\nextra = 1\n[parameters.ranges]\n'
     "total_fertility_rate = [1.3, 1.9]\n", r"unknown key\(s\) in \[parameters\]: extra"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 4\n[parameters.ranges]\n'
     "total_fertility_rate = [1.9, 1.3]\n", "low < high"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "sobol"\nsamples = 4\n[parameters.ranges]\n'
     "total_fertility_rate = [1.3]\n", "low < high"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 4\n[parameters.ranges]\n'
     'total_fertility_rate = ["a", "b"]\n', "low < high"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 0\n[parameters.ranges]\n'
     "total_fertility_rate = [1.3, 1.9]\n", "samples"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 8\n[parameters.ranges]\n'
     "total_fertility_rate = [0.5, 1.9]\n", "total_fertility_rate"),  # below the model's range 1.0-2.5
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "grid"\n[parameters.values]\n'
     "total_fertility_rate = [1.6, 3.0]\n", r"set p001.*total_fertility_rate"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "grid"\n[parameters.values]\n'
     "fertility_rate_total = [1.6]\n", "unknown parameter 'fertility_rate_total'"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 2\n[parameters.ranges]\n'
     "no_such_parameter = [0.1, 0.2]\n", "unknown parameter 'no_such_parameter'"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "grid"\n[parameters.values]\n'
     "total_fertility_rate = []\n", "non-empty list"),
    ('scenarios = ["{b}"]\n[parameters]\nmethod = "latin"\n', "method"),
    ('scenarios = ["{b}"]\nscale = 2.0\n', "scale"),
    ('scenarios = ["{b}"]\nseeds = "3-1"\n', "backwards"),
    ('scenarios = ["no/such/scenario.toml"]\n', "not found"),
    ("scenarios = []\n", "non-empty list"),
    ('scenarios = ["{b}"]\nname = "a b"\n', "name"),
    ('scenarios = ["{b}"\n', "not valid TOML"),
])
def test_invalid_experiment_files_name_the_file(tmp_path, body, words):
    path = write_toml(tmp_path, body.replace("{b}", str(BASELINE)), "bad_experiment.toml")
    with pytest.raises(ExperimentError, match=words) as err:
        load_experiment(path)
    assert str(path) in str(err.value)


def test_missing_experiment_file(tmp_path):
    with pytest.raises(ExperimentError, match="not found") as err:
        load_experiment(tmp_path / "nope.toml")
    assert "nope.toml" in str(err.value)


# -- executors -----------------------------------------------------------------------------------------
def check_manifest(out: Path, exp, summary) -> dict:
    manifest = json.loads((out / "experiment.json").read_text())
    assert manifest["definition"] == json.loads(json.dumps(exp.to_dict()))
    assert manifest["code_version"]
    assert "facts.csv" in manifest["data_files"] and len(manifest["data_files"]["facts.csv"]) == 64
    assert set(manifest["runs"]) == {r.run_id for r in exp.runs()}
    assert all(r["status"] == "done" for r in manifest["runs"].values()), manifest["runs"]
    session = manifest["sessions"][-1]
    assert session["interrupted"] is False
    assert (session["done"], session["failed"], session["skipped"]) == (summary.done, summary.failed,
                                                                        summary.skipped)
    return manifest


def test_serial_executor_writes_every_run_once(serial_run, small_exp):
    out, summary = serial_run
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (6, 6, 0, 0)
    table = check_complete_dataset(out)
    check_manifest(out, small_exp, summary)
    assert temporaries(out) == []
    assert len(status_lines(out)) == 6
    # the grid's values reached the model, and each file carries its run's manifest
    for spec in small_exp.runs():
        path = out / "runs" / "scenario=baseline" / f"paramset={spec.paramset}" / f"seed={spec.seed}.parquet"
        manifest = json.loads(pq.read_schema(path).metadata[b"manifest"])
        assert manifest["paramset"] == spec.paramset and manifest["seed"] == spec.seed
        assert manifest["overrides"] == spec.overrides
        assert manifest["parameters"]["demography.total_fertility_rate"] == spec.overrides["total_fertility_rate"]
        assert manifest["parameters"]["run.scale"] == 0.02
    births = {p: sum(b for b, y, pp in zip(table["births"].to_pylist(), table["year"].to_pylist(),
                                               table["paramset"].to_pylist(), strict=True)
                     if pp == p and y > 2019) for p in ("p000", "p001")}
    assert births["p001"] > births["p000"]  # fertility 1.8 gives more births than 1.4


def test_local_executor_equals_serial(local_run, serial_run, small_exp):
    out, summary = local_run
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (6, 6, 0, 0)
    check_complete_dataset(out)
    check_manifest(out, small_exp, summary)
    assert temporaries(out) == []
    pids = {rec["pid"] for rec in status_lines(out)}
    assert os.getpid() not in pids  # the runs ran in worker processes
    assert_same_dataset(out, serial_run[0])


def test_failing_run_is_recorded_and_the_others_complete(small_exp, tmp_path):
    """A run that fails inside execute_run (the model rejects its parameters) is recorded as failed with
    its error; the other five complete; a resume reruns only that run."""
    out = tmp_path / "out"
    summary = run_experiment(small_exp, out, "serial", progress=False, run_fn=invalid_parameter_for_one_run)
    check_failure_recorded(out, summary, "total_fertility_rate")
    assert "ScenarioError" in summary.failures[0]["error"]
    again = run_experiment(small_exp, out, "serial", resume=True, progress=False)
    assert (again.total, again.done, again.failed, again.skipped) == (6, 1, 0, 5)
    check_complete_dataset(out)
    manifest = json.loads((out / "experiment.json").read_text())
    assert all(r["status"] == "done" for r in manifest["runs"].values())
    assert "error" not in manifest["runs"]["baseline/p001/seed1"]


def check_failure_recorded(out: Path, summary, words: str) -> None:
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (6, 5, 1, 0)
    assert summary.done + summary.failed + summary.skipped == summary.total
    failed_id = "baseline/p001/seed1"
    assert [f["run_id"] for f in summary.failures] == [failed_id]
    assert words in summary.failures[0]["error"]
    manifest = json.loads((out / "experiment.json").read_text())
    statuses = {rid: r["status"] for rid, r in manifest["runs"].items()}
    assert statuses.pop(failed_id) == "failed"
    assert words in manifest["runs"][failed_id]["error"]
    assert set(statuses.values()) == {"done"} and len(statuses) == 5
    session = manifest["sessions"][-1]
    assert (session["done"], session["failed"], session["skipped"]) == (5, 1, 0)
    assert sum(1 for rec in status_lines(out) if rec["status"] == "failed") == 1
    check_complete_dataset(out, SMALL_RUNS - {("baseline", "p001", 1)})
    assert temporaries(out) == []


def test_raising_run_fn_is_recorded_as_failed_local(small_exp, tmp_path):
    out = tmp_path / "out"
    summary = run_experiment(small_exp, out, "local", workers=2, progress=False, run_fn=raise_for_one_run)
    check_failure_recorded(out, summary, "RuntimeError: deliberate failure of baseline/p001/seed1")


def test_raising_run_fn_is_recorded_as_failed_serial(small_exp, tmp_path):
    out = tmp_path / "out"
    summary = run_experiment(small_exp, out, "serial", progress=False, run_fn=raise_for_one_run)
    check_failure_recorded(out, summary, "RuntimeError: deliberate failure of baseline/p001/seed1")


def test_killed_worker_is_replaced_and_its_run_rescheduled(small_exp, tmp_path, serial_run):
    out = tmp_path / "out"
    summary = run_experiment(small_exp, out, "local", workers=2, progress=False, run_fn=kill_worker_once)
    marker = tmp_path / "killed-worker.pid"
    assert marker.exists(), "the chosen run never ran, so no worker was killed"
    killed_pid = int(marker.read_text())
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (6, 6, 0, 0), summary.failures
    killed = small_exp.runs()[KILL_INDEX]
    assert (out / "runs" / f"scenario={killed.scenario_name}" / f"paramset={killed.paramset}"
            / f"seed={killed.seed}.parquet").is_file()
    rec = [r for r in status_lines(out) if r["index"] == KILL_INDEX]
    assert len(rec) == 1 and rec[0]["status"] == "done"
    assert rec[0]["pid"] != killed_pid  # finished by another (replacement or surviving) worker process
    check_complete_dataset(out)
    check_manifest(out, small_exp, summary)
    assert temporaries(out) == []
    assert_same_dataset(out, serial_run[0])


def test_shards_make_the_same_dataset(small_exp, tmp_path, serial_run):
    out = tmp_path / "out"
    s0 = run_experiment(small_exp, out, "serial", shard=(0, 2), progress=False)
    s1 = run_experiment(small_exp, out, "serial", shard=(1, 2), progress=False)
    assert (s0.total, s0.done, s0.failed) == (3, 3, 0) and (s1.total, s1.done, s1.failed) == (3, 3, 0)
    check_complete_dataset(out)
    assert_same_dataset(out, serial_run[0])
    for i in range(2):
        status = json.loads((out / "status" / f"shard{i}of2.json").read_text())
        assert {rid: r["status"] for rid, r in status["runs"].items()} == {
            r.run_id: "done" for r in small_exp.runs() if r.index % 2 == i}
        assert status["session"]["done"] == 3
    assert temporaries(out) == []
    # a shard rerun finds its runs complete
    again = run_experiment(small_exp, out, "serial", shard=(1, 2), progress=False)
    assert (again.total, again.done, again.skipped) == (3, 0, 3)


def test_a_shard_starting_while_another_writes_does_not_break_it(small_exp, tmp_path, monkeypatch):
    """Two Slurm array tasks in the same folder: shard 1 starts while shard 0 is writing its first file."""
    import experiments.runner as runner_mod

    out = tmp_path / "out"
    other: list = []

    def write_while_another_shard_starts(table, path):
        def write(tmp):
            pq.write_table(table, tmp)
            if not other:  # the other array task starts now, in the same output folder
                other.append(None)
                other[0] = run_experiment(small_exp, out, "serial", shard=(1, 2), progress=False)
        write_atomic(path, write)

    monkeypatch.setattr(runner_mod, "write_table_atomic", write_while_another_shard_starts)
    s0 = run_experiment(small_exp, out, "serial", shard=(0, 2), progress=False)
    assert other[0].done == 3, other[0].failures
    assert s0.failed == 0, s0.failures


def test_run_experiment_from_a_thread(small_exp, tmp_path):
    result: dict = {}

    def target():
        try:
            result["summary"] = run_experiment(small_exp, tmp_path / "out", "serial", progress=False)
        except BaseException as exc:  # noqa: BLE001  (handed to the test thread)
            result["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join(120)
    if "error" in result:
        raise result["error"]
    assert result["summary"].done == 6


def test_resume_redoes_incomplete_files_and_removes_temporaries(small_exp, tmp_path, serial_run):
    out = tmp_path / "out"
    run_experiment(small_exp, out, "serial", progress=False)
    folder = out / "runs" / "scenario=baseline" / "paramset=p000"
    broken = folder / "seed=1.parquet"
    broken.write_bytes(broken.read_bytes()[:100])  # a damaged file under the final name
    stale = folder / ".seed=2.parquet.99999.deadbeef.tmp"  # what a writer killed mid-write leaves
    stale.write_bytes(b"PAR1 partial")
    with pytest.raises(ExperimentError, match="--resume"):
        run_experiment(small_exp, out, "serial", progress=False)
    summary = run_experiment(small_exp, out, "serial", resume=True, progress=False)
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (6, 1, 0, 5)
    assert temporaries(out) == []
    assert_same_dataset(out, serial_run[0])
    manifest = json.loads((out / "experiment.json").read_text())
    assert len(manifest["sessions"]) == 2


def test_manifest_after_a_killed_session_and_resume(small_exp, tmp_path):
    """A batch process killed (SIGKILL) at run 2, then resumed: experiment.json has every run's status."""
    out = tmp_path / "out"
    code = ("import sys; from experiments import load_experiment, run_experiment; "
            "from tests.test_batch import kill_worker_once; "
            "run_experiment(load_experiment(sys.argv[1]), sys.argv[2], 'serial', progress=False, "
            "run_fn=kill_worker_once)")
    proc = subprocess.run([sys.executable, "-c", code, small_exp.source_file, str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr  # the process killed itself at run index 2
    assert len(list((out / "runs").rglob("*.parquet"))) == KILL_INDEX
    summary = run_experiment(small_exp, out, "serial", resume=True, progress=False)
    assert (summary.done, summary.skipped) == (6 - KILL_INDEX, KILL_INDEX)
    check_complete_dataset(out)
    manifest = json.loads((out / "experiment.json").read_text())
    assert {rid: r["status"] for rid, r in manifest["runs"].items()} == {r.run_id: "done" for r in small_exp.runs()}


def test_another_experiment_in_the_same_folder_is_refused(small_exp, serial_run, tmp_path):
    other = dataclasses.replace(small_exp, seeds=(0, 1))
    with pytest.raises(ExperimentError, match="another experiment"):
        run_experiment(other, serial_run[0], "serial", resume=True, progress=False)
    with pytest.raises(ExperimentError, match="executor"):
        run_experiment(small_exp, tmp_path / "x", "threads", progress=False)
    with pytest.raises(ExperimentError, match="--scheduler"):
        run_experiment(small_exp, tmp_path / "y", "dask", progress=False)


# -- command line --------------------------------------------------------------------------------------
CLI = ["batch", "scenarios/baseline.toml", "--seeds", "0-1", "--scale", "0.02", "--end-year", "2021",
       "--executor", "serial"]


def test_cli_batch_resume_and_usage_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "cli"
    assert run.main([*CLI, "--out", str(out)]) == 0
    stdout, _ = capsys.readouterr()
    assert str(out) in stdout and "2 runs: 2 done, 0 failed" in stdout
    table = sorted_table(out)
    assert table.num_rows == 2 * 3 * len(MUNICIPALITIES)
    assert set(table["paramset"].to_pylist()) == {"base"} and set(table["seed"].to_pylist()) == {0, 1}

    assert run.main([*CLI, "--out", str(out)]) == 2
    _, stderr = capsys.readouterr()
    assert "error: " in stderr and "--resume" in stderr

    assert run.main([*CLI, "--out", str(out), "--resume"]) == 0
    stdout, _ = capsys.readouterr()
    assert "0 done, 0 failed, 2 already complete (skipped)" in stdout

    # a different experiment into the same folder
    assert run.main([*CLI[:3], "0-2", *CLI[4:], "--out", str(out), "--resume"]) == 2
    assert "another experiment" in capsys.readouterr().err
    assert temporaries(out) == []


@pytest.mark.parametrize("shard", ["2/2", "x", "0/0", "1/", "-1/2"])
def test_cli_bad_shard(tmp_path, monkeypatch, capsys, shard):
    monkeypatch.chdir(ROOT)
    assert run.main([*CLI, "--out", str(tmp_path / "o"), "--shard", shard]) == 2
    assert "--shard" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_shard(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "o"
    assert run.main([*CLI, "--out", str(out), "--shard", "1/2", "--quiet"]) == 0
    assert "1 runs: 1 done" in capsys.readouterr().out
    assert [p.name for p in (out / "runs").rglob("*.parquet")] == ["seed=1.parquet"]


def test_cli_experiment_file_with_seeds_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    path = write_toml(tmp_path, SMALL_TOML)
    for extra in (["--seeds", "0-1"], ["--scale", "0.05"], ["--set", "total_fertility_rate=1.5"]):
        assert run.main(["batch", str(path), *extra, "--executor", "serial", "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and str(path) in err and "experiment file" in err
    assert not (tmp_path / "o").exists()


def test_cli_invalid_experiment_file_and_seeds(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    bad = write_toml(tmp_path, SMALL_TOML.replace("[1.4, 1.8]", "[1.4, 9.0]"))
    assert run.main(["batch", str(bad), "--executor", "serial", "--out", str(tmp_path / "o")]) == 2
    assert str(bad) in capsys.readouterr().err
    assert run.main([*CLI[:3], "3-1", *CLI[4:], "--out", str(tmp_path / "o")]) == 2
    assert "backwards" in capsys.readouterr().err
