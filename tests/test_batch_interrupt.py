"""A real ``run.py batch`` process killed (SIGKILL) or terminated (SIGTERM) part-way, then ``--resume``d: the
result equals an uninterrupted run, and no temporary file is left.

Each run is the baseline at scale 0.05 to 2030 (about 0.5 s); 8 seeds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.test_batch import assert_same_dataset, sorted_table, temporaries

ROOT = Path(__file__).resolve().parent.parent
SEEDS = list(range(8))
COMMAND = [sys.executable, "run.py", "batch", "scenarios/baseline.toml", "--seeds", "0-7", "--scale", "0.05",
           "--end-year", "2030", "--quiet"]
SERIAL = ["--executor", "serial"]
LOCAL = ["--executor", "local", "--workers", "2"]
ROWS = len(SEEDS) * 12 * 6  # 2019-2030 x 6 municipalities per run
# The environment at collection time: a Dask nanny started by an earlier test writes its pre-spawn variables
# (MALLOC_TRIM_THRESHOLD_=65536, which slows the model down) into this process's environment.
ENV = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}


def start(out: Path, executor: list[str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*COMMAND, *executor, "--out", str(out), *extra], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def batch(out: Path, executor: list[str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *executor, "--out", str(out), *extra], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=120)


def run_files(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("scenario=*/paramset=*/seed=*.parquet"))


def wait_for_files(proc: subprocess.Popen, out: Path, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(run_files(out)) < n:
        if proc.poll() is not None:
            raise AssertionError(f"the batch ended (exit {proc.returncode}) before {n} runs were written: "
                                 f"{proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"fewer than {n} run files after {timeout} s")
        time.sleep(0.02)


def check_resumed(out: Path, reference: Path, done_before: int, executor: list[str]) -> None:
    res = batch(out, executor, "--resume")
    assert res.returncode == 0, res.stderr
    assert (f"{len(SEEDS)} runs: {len(SEEDS) - done_before} done, 0 failed, {done_before} already complete "
            "(skipped)") in res.stdout
    assert len(run_files(out)) == len(SEEDS)
    assert sorted_table(out).num_rows == ROWS
    assert_same_dataset(out, reference)
    assert temporaries(out) == []
    # (experiment.json's per-run statuses are not checked here: see test_batch.py
    # test_manifest_after_a_killed_session_and_resume and test_sigterm_stops_a_serial_batch below)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same command, uninterrupted."""
    out = tmp_path_factory.mktemp("reference") / "out"
    res = batch(out, SERIAL)
    assert res.returncode == 0, res.stderr
    assert len(run_files(out)) == len(SEEDS)
    return out


def test_sigkill_then_resume(tmp_path, reference):
    out = tmp_path / "out"
    proc = start(out, SERIAL)
    wait_for_files(proc, out, 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    written = len(run_files(out))
    assert 2 <= written < len(SEEDS), "the batch finished before it was killed: make the runs longer"
    # a writer killed mid-write leaves a hidden temporary file (planted here: the kill rarely hits a write)
    folder = out / "runs" / "scenario=baseline" / "paramset=base"
    (folder / f".seed={len(SEEDS) - 1}.parquet.{proc.pid}.0badf00d.tmp").write_bytes(b"PAR1 half a file")
    manifest = json.loads((out / "experiment.json").read_text())
    assert manifest["runs"] == {} and "sessions" not in manifest  # killed: no chance to record anything
    check_resumed(out, reference, written, SERIAL)


def test_sigterm_local_executor_then_resume(tmp_path, reference):
    out = tmp_path / "out"
    proc = start(out, LOCAL)
    wait_for_files(proc, out, 1)
    children = psutil.Process(proc.pid).children(recursive=True)  # the worker processes (nannies run in it)
    assert len(children) >= 2
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0, (stdout, stderr)
    # the cluster is shut down with the batch: no worker process outlives it
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, alive
    written = len(run_files(out))
    manifest = json.loads((out / "experiment.json").read_text())
    assert manifest["sessions"][-1]["interrupted"] is (proc.returncode == 130)
    check_resumed(out, reference, written, SERIAL)  # any executor resumes any other's experiment


def test_sigterm_stops_a_serial_batch(tmp_path):
    out = tmp_path / "out"
    proc = start(out, SERIAL)
    wait_for_files(proc, out, 1)
    time.sleep(0.2)  # into the second run (about 0.5 s), not between two runs
    proc.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = proc.communicate(timeout=3)  # stopping takes well under a second
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise AssertionError("the batch went on after SIGTERM") from None
    assert proc.returncode == 130, (stdout, stderr)
    failed = [json.loads(line) for line in (out / "status" / "main.jsonl").read_text().splitlines()
              if json.loads(line)["status"] == "failed"]
    assert failed == [], failed  # a signal is not a failure of the run it interrupted
    assert "interrupted" in stderr
    assert len(run_files(out)) < len(SEEDS)
    assert json.loads((out / "experiment.json").read_text())["sessions"][-1]["interrupted"] is True
    assert temporaries(out) == []
