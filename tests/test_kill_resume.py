"""Interruptions and safe output, with real ``run.py batch`` processes:

* a batch on the local Dask executor killed with SIGKILL mid-run leaves no worker behind and, resumed,
  gives a dataset identical to an uninterrupted run;
* an output folder that cannot be written is refused before anything runs (exit 2), and one that stops
  being writable mid-experiment, or a "full disk" (a file-size limit on the process), stops the
  experiment with a clear message (exit 1) leaving every complete run byte for byte as it was;
* a second batch process pointed at a folder in use is refused (exit 2), a shard too;
* the local cluster listens on 127.0.0.1 only; nothing in the package evaluates or unpickles input.

(The serial SIGKILL and SIGTERM cases are in test_batch_interrupt.py.) Runs are the baseline at scale 0.02
to 2024, about 0.3 s each; most of the time goes into starting Python processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.test_batch import assert_same_dataset, temporaries

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import run  # noqa: E402  (run.py lives at the project root)

N = 4
COMMAND = [sys.executable, "run.py", "batch", "scenarios/baseline.toml", "--seeds", f"0-{N - 1}", "--scale", "0.02",
           "--end-year", "2024", "--quiet"]
SERIAL = ["--executor", "serial"]
ENV = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}


def start(out: Path, *extra: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([*COMMAND, "--out", str(out), *extra], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def batch(out: Path, *extra: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, "--out", str(out), *extra], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=180, **kw)


def batch_here(out: Path, capsys, *extra: str) -> tuple[int, str, str]:
    """The same command in this process (no interpreter start-up): exit code, stdout, stderr."""
    capsys.readouterr()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = run.main([*COMMAND[2:], "--out", str(out), *extra])
    finally:
        os.chdir(cwd)
    out_text, err_text = capsys.readouterr()
    return code, out_text, err_text


def run_files(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("scenario=*/paramset=*/seed=*.parquet"))


def digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in run_files(out)}


def wait_until(proc: subprocess.Popen, condition, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"the batch ended (exit {proc.returncode}) before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no {what} after {timeout} s")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted experiment (in this process)."""
    from experiments import experiment_from_args, run_experiment

    out = tmp_path_factory.mktemp("reference") / "out"
    exp = experiment_from_args(["scenarios/baseline.toml"], f"0-{N - 1}", {"scale": 0.02, "end_year": 2024})
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        summary = run_experiment(exp, out, "serial", progress=False)
    finally:
        os.chdir(cwd)
    assert summary.done == N and len(run_files(out)) == N
    return out


# -- SIGKILL --------------------------------------------------------------------------------------------
def test_sigkill_local_executor_mid_run_then_resume(tmp_path, reference, capsys):
    out = tmp_path / "out"
    proc = start(out, "--executor", "local", "--workers", "2")
    wait_until(proc, lambda: len(run_files(out)) >= 1, "first run file")
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) >= 2, workers
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the workers notice that their parent is gone and stop: nothing writes into the folder while we resume
    _, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive, f"worker processes outlived the killed batch: {alive}"
    written = len(run_files(out))
    assert 1 <= written < N, "the batch finished before it was killed: make the runs longer"
    code, stdout, stderr = batch_here(out, capsys, *SERIAL, "--resume")
    assert code == 0, stderr
    assert f"{N} runs: {N - written} done, 0 failed, {written} already complete (skipped)" in stdout
    assert_same_dataset(out, reference)
    assert temporaries(out) == []


# -- output that cannot be written ------------------------------------------------------------------------
@contextlib.contextmanager
def unwritable(folder: Path):
    """Make ``folder`` unwritable: chmod for an ordinary user; for root (whom chmod does not stop) the
    immutable attribute (chattr +i), which stops root too."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: cannot make a folder unwritable")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_unwritable_output_folder_is_refused_before_any_run(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with unwritable(out):
        t0 = time.monotonic()
        code, stdout, stderr = batch_here(out, capsys, *SERIAL)
        assert code == 2, (stdout, stderr)
        assert f"error: --out {out}: cannot write there" in stderr
        assert "Traceback" not in stderr
        assert time.monotonic() - t0 < 30  # refused up front, not after running the experiment
        code, stdout, stderr = batch_here(out / "sub", capsys, *SERIAL)  # a folder it cannot create
        assert code == 2 and f"--out {out / 'sub'}: cannot write there" in stderr, stderr
    assert list(out.iterdir()) == []


def test_folder_unwritable_mid_experiment_keeps_complete_runs(tmp_path, reference, capsys):
    out = tmp_path / "out"
    assert batch_here(out, capsys, *SERIAL, "--shard", "0/2")[0] == 0  # seeds 0, 2 complete
    before = digests(out)
    assert sorted(before) == ["seed=0.parquet", "seed=2.parquet"]
    folder = out / "runs" / "scenario=baseline" / "paramset=base"
    with unwritable(folder):
        code, stdout, stderr = batch_here(out, capsys, *SERIAL, "--resume")
    assert code == 1, (stdout, stderr)
    assert "Traceback" not in stderr
    assert re.search(r"error: cannot write .*seed=1\.parquet: .*the experiment stopped\. The 2 runs complete",
                     stderr), stderr
    assert "--resume" in stderr
    assert digests(out) == before  # complete runs untouched
    assert temporaries(out) == []
    code, stdout, stderr = batch_here(out, capsys, *SERIAL, "--resume")  # once the folder is writable again
    assert code == 0, stderr
    assert_same_dataset(out, reference)


def limit_file_size(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_stops_with_a_clear_error_and_keeps_complete_runs(tmp_path, capsys):
    """A file-size limit on the process makes every large write fail with EFBIG, as a full disk fails
    with ENOSPC: the resumed batch cannot write its run files."""
    out = tmp_path / "out"
    assert batch_here(out, capsys, *SERIAL, "--shard", "1/2")[0] == 0  # seeds 1, 3
    before = digests(out)
    smallest = min(p.stat().st_size for p in run_files(out))
    res = batch(out, *SERIAL, "--resume", preexec_fn=limit_file_size(smallest // 2))
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "error: cannot write" in res.stderr and "File too large" in res.stderr, res.stderr
    assert "The 2 runs complete" in res.stderr
    assert digests(out) == before
    assert temporaries(out) == []


# -- two processes, one folder -------------------------------------------------------------------------------
def test_second_batch_on_the_same_folder_is_refused(tmp_path, capsys):
    from experiments.dataset import OutputLock

    out = tmp_path / "out"
    long = [*COMMAND[:5], "0-29", *COMMAND[6:]]  # 30 runs: still running while the others are refused
    first = subprocess.Popen([*long, *SERIAL, "--out", str(out)], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_until(first, lambda: (out / "experiment.json").exists(), "experiment.json")
        for extra in (["--resume"], ["--shard", "0/2"]):
            capsys.readouterr()
            code = run.main([*long[2:], *SERIAL, "--out", str(out), *extra])
            stdout, stderr = capsys.readouterr()
            if first.poll() is not None:
                pytest.fail("the first batch ended before the second was refused: make it longer")
            assert code == 2, (extra, stdout, stderr)
            assert f"is being written by another batch process (pid {first.pid} on" in stderr, stderr
            assert "Traceback" not in stderr
        for shard in (None, (1, 2)):  # a whole batch or another shard, in-process
            with pytest.raises(Exception, match="another batch process"):
                with OutputLock(out, shard):
                    pass
    finally:
        first.kill()
        first.communicate()
    # the kernel released the lock with the killed process: the folder is free again
    with OutputLock(out):
        assert f"pid {os.getpid()} on" in (out / ".batch.lock").read_text()


# -- the cluster listens on loopback; input is data ------------------------------------------------------------
def test_local_cluster_listens_on_loopback_only():
    from distributed import Client

    from experiments import local_cluster

    cluster = local_cluster(workers=1)
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:"), cluster.scheduler_address
        with Client(cluster) as client:
            addresses = list(client.scheduler_info()["workers"])
        assert addresses and all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
    finally:
        cluster.close()


def test_no_code_is_evaluated_and_nothing_unpickled():
    """The package reads scenarios with tomllib and results as Parquet and JSON only."""
    forbidden = re.compile(r"\b(eval|exec)\(|pickle\.loads?\(|cloudpickle\.loads?\(|yaml\.load\(|__import__\(")
    files = [*sorted((ROOT / "model").glob("*.py")), *sorted((ROOT / "experiments").glob("*.py")), ROOT / "run.py"]
    hits = [f"{p.name}:{i}" for p in files for i, line in enumerate(p.read_text().splitlines(), 1)
            if forbidden.search(line)]
    assert hits == [], hits
