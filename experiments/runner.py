"""Running an experiment: executors, progress, failures, the experiment manifest and ``--resume``.

Executors:

* ``serial``: runs one after another in this process;
* ``local`` (default): a Dask distributed ``LocalCluster`` on 127.0.0.1, one single-threaded worker
  process per core;
* ``dask``: an existing Dask cluster (``scheduler="tcp://HOST:PORT"``), e.g. started by dask-jobqueue on
  Slurm (see docs/batch.md).

Any executor can take ``shard=(i, n)``: only the runs whose index modulo n is i, so that a Slurm job array
can split an experiment with no engine at all. Workers run the model and write their run's file
themselves; only a small status record travels back. A run that raises is recorded as failed with its
error and the others go on; a worker process that dies is replaced by Dask and its run rescheduled.

Before anything is written, every input is checked (the scenarios with every parameter set, the data files,
one small model per scenario and base year), the output folder must be writable and is locked against a
second batch process (:class:`experiments.dataset.OutputLock`). A run whose file cannot be written (disk
full, folder no longer writable) stops the experiment with :class:`experiments.dataset.OutputError`; the
files already complete stay as they are, and ``--resume`` finishes the rest.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from model import HousingModel, code_version, simulate
from model.data import default_data_dir, file_sha256, validate_data

from .dataset import (
    OUTPUT_ERRNOS,
    OutputError,
    OutputLock,
    check_writable,
    is_complete,
    open_log,
    remove_stale_temporaries,
    run_path,
    write_json_atomic,
    write_table_atomic,
)
from .definition import Experiment, ExperimentError, RunSpec

EXECUTORS = ("serial", "local", "dask")


def execute_run(spec: RunSpec, out_dir: str) -> dict:
    """Run one (scenario, parameter set, seed) and write its file; returns a small status record."""
    t0 = time.perf_counter()
    record = {"run_id": spec.run_id, "index": spec.index, "scenario": spec.scenario_name,
              "paramset": spec.paramset, "seed": spec.seed, "host": socket.gethostname(), "pid": os.getpid()}
    try:
        table = simulate(spec.scenario_path, seed=spec.seed, check=spec.check, **spec.overrides)
        meta = dict(table.schema.metadata or {})
        manifest = json.loads(meta[b"manifest"])
        manifest["paramset"] = spec.paramset
        manifest["overrides"] = spec.overrides
        keep = {k: v for k, v in meta.items() if k.endswith(b"_ledger")}  # the ledgers travel along
        table = table.drop_columns(["scenario"]).replace_schema_metadata(
            {b"manifest": json.dumps(manifest, sort_keys=True).encode(), **keep})
        path = run_path(out_dir, spec.scenario_name, spec.paramset, spec.seed)
        write_table_atomic(table, path)
        record.update(status="done", rows=table.num_rows)
    except OutputError as exc:  # not this run's fault: the experiment stops (see run_experiment)
        record.update(status="failed", error=str(exc), output_error=True)
    except Exception as exc:  # a failing run is recorded, the experiment goes on
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc(limit=8))
    record["seconds"] = round(time.perf_counter() - t0, 4)
    return record


@dataclass
class Summary:
    total: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)

    def line(self) -> str:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        return (f"{self.total} runs: {self.done} done, {self.failed} failed, {self.skipped} already complete "
                f"(skipped) in {self.seconds:.1f} s ({rate:.2f} runs/s)")


def _data_hashes() -> dict[str, str]:
    d = default_data_dir()
    return {n: file_sha256(d / n) for n in ("facts.csv", "wijk_shares.csv") if (d / n).exists()}


def _prepare(exp: Experiment, out: Path, resume: bool) -> None:
    """Create or check the experiment folder; refuse to mix two different experiments in one folder."""
    manifest_path = out / "experiment.json"
    definition = exp.to_dict()
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ExperimentError(f"{manifest_path}: unreadable experiment manifest ({exc})") from None
        if old.get("definition") != json.loads(json.dumps(definition)):
            raise ExperimentError(f"{out} holds another experiment ({old.get('definition', {}).get('name')}); "
                                  "choose another --out")
        if not resume:
            raise ExperimentError(f"{out} already holds this experiment; add --resume to finish it, "
                                  "or choose another --out")
        return
    if (out / "runs").exists() and any((out / "runs").iterdir()):
        raise ExperimentError(f"{out}/runs holds results without an experiment manifest; choose another --out")
    write_json_atomic({"definition": definition, "code_version": code_version(), "data_files": _data_hashes(),
                       "created": datetime.now(UTC).isoformat(timespec="seconds"),
                       "python": platform.python_version(), "runs": {}}, manifest_path)


def _failed(spec: RunSpec, exc: BaseException) -> dict:
    return {"run_id": spec.run_id, "index": spec.index, "scenario": spec.scenario_name,
            "paramset": spec.paramset, "seed": spec.seed, "status": "failed",
            "error": f"{type(exc).__name__}: {exc}", "seconds": None}


def _iter_serial(todo: list[RunSpec], out: str, run_fn) -> Iterator[dict]:
    for spec in todo:
        try:
            yield run_fn(spec, out)
        except Exception as exc:  # as on a cluster: the run fails, the experiment goes on
            yield _failed(spec, exc)


def _iter_dask(todo: list[RunSpec], out: str, run_fn, client) -> Iterator[dict]:
    from distributed import as_completed

    futures = {client.submit(run_fn, spec, out, key=f"run-{spec.index}-{os.getpid()}", pure=False): spec
               for spec in todo}
    for fut in as_completed(futures):
        spec = futures[fut]
        try:
            yield fut.result()
        except Exception as exc:  # e.g. KilledWorker: the run killed its worker too often
            yield _failed(spec, exc)
        finally:
            fut.release()


WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
}


def local_cluster(workers: int | None = None, host: str = "127.0.0.1"):
    """A Dask LocalCluster on loopback (``host``: another address to listen on, e.g. for workers started
    elsewhere): one single-threaded worker process per core, no dashboard.

    Three Dask defaults slow this model's runs down inside workers, and are switched off here (measured with
    benchmarks/batch_bench.py and a 12-run experiment: mean run 0.82 s with the defaults, 0.62 s without, as
    in a plain process): the nanny's MALLOC_TRIM_THRESHOLD_=65536, the statistical profiler that samples
    every worker thread every 10 ms, and the GIL monitor. A cluster of your own (``--executor dask``) keeps
    its own configuration: set the same keys there (docs/batch.md)."""
    import dask
    from distributed import LocalCluster

    n = workers or os.cpu_count() or 1
    saved = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    with dask.config.set(WORKER_CONFIG):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host=host,
                               dashboard_address=None, silence_logs=40)
    # the nanny also writes the variable into this process's environment; put it back as it was
    if saved is None:
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    else:
        os.environ["MALLOC_TRIM_THRESHOLD_"] = saved
    return cluster


class _Interrupted(BaseException):  # not an Exception: a run's error handler must not swallow it
    pass


def _raise_interrupt(signum, frame):  # SIGTERM from a scheduler: stop cleanly, like Ctrl-C
    raise _Interrupted(f"signal {signum}")


def preflight(runs: list[RunSpec]) -> None:
    """Check every input before anything is written: the data files, and one small model (scale 0.001, one
    year) per scenario file and base year, which reads every figure a run of it needs. Raises
    ScenarioError, MissingFactError or DataFileError naming the file."""
    validate_data()
    seen = set()
    for spec in runs:
        params = {k.split(".", 1)[-1]: v for k, v in spec.overrides.items()}
        key = (spec.scenario_path, params.get("base_year"))
        if key in seen:
            continue
        seen.add(key)
        params.update(scale=0.001)
        params.pop("end_year", None)
        HousingModel(spec.scenario_path, rng=0, **params)


def run_experiment(exp: Experiment, out_dir: str | Path, executor: str = "local", *, scheduler: str | None = None,
                   workers: int | None = None, shard: tuple[int, int] | None = None, resume: bool = False,
                   progress: bool = True, run_fn: Callable[[RunSpec, str], dict] = execute_run,
                   check: bool = False, listen: str | None = None) -> Summary:
    """Run every (scenario, parameter set, seed) of ``exp`` not yet complete in ``out_dir``.

    ``check``: invariant checks every year in every run (model/checks.py). ``listen``: the address the
    local cluster listens on (default 127.0.0.1)."""
    if executor not in EXECUTORS:
        raise ExperimentError(f"executor {executor!r}; expected one of {', '.join(EXECUTORS)}")
    if executor == "dask" and not scheduler:
        raise ExperimentError("the dask executor needs --scheduler tcp://HOST:PORT")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ExperimentError(f"workers = {workers!r}; expected a whole number >= 1")
    if shard is not None and not (len(shard) == 2 and 0 <= shard[0] < shard[1]):
        raise ExperimentError(f"shard {shard!r}; expected (I, N) with 0 <= I < N")
    out = Path(out_dir)
    runs = exp.runs()
    for spec in runs:  # names must make safe folder names before anything is written
        run_path(out, spec.scenario_name, spec.paramset, spec.seed)
    if check:
        runs = [dataclasses.replace(r, check=True) for r in runs]
    preflight(runs)
    check_writable(out)
    with OutputLock(out, shard):
        return _run_locked(exp, out, runs, executor, scheduler, workers, shard, resume, progress, run_fn, listen)


def _run_locked(exp, out, runs, executor, scheduler, workers, shard, resume, progress, run_fn, listen) -> Summary:
    _prepare(exp, out, resume or shard is not None)
    # shards may start while others write: only their own (or hour-old) temporaries are stale
    remove_stale_temporaries(out, older_than_s=3600.0 if shard is not None else 0.0)
    if shard is not None:
        i, n = shard
        runs = [r for r in runs if r.index % n == i]
    summary = Summary(total=len(runs))
    todo = [r for r in runs if not is_complete(run_path(out, r.scenario_name, r.paramset, r.seed))]
    summary.skipped = len(runs) - len(todo)
    label = f"shard{shard[0]}of{shard[1]}" if shard else "main"
    status_path = out / "status" / f"{label}.jsonl"
    status_path.parent.mkdir(exist_ok=True)
    # runs already complete (from an earlier, perhaps killed, session) are done whatever was recorded
    todo_ids = {r.run_id for r in todo}
    statuses: dict[str, dict] = {r.run_id: {"run_id": r.run_id, "status": "done", "note": "complete on start"}
                                 for r in runs if r.run_id not in todo_ids}

    bar = None
    if progress and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), unit="run", desc=exp.name, dynamic_ncols=True)

    t0 = time.perf_counter()
    client = cluster = None
    in_main_thread = threading.current_thread() is threading.main_thread()
    old_handler = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main_thread else None
    try:
        if not todo:
            results: Iterator[dict] = iter(())
        elif executor == "serial":
            results = _iter_serial(todo, str(out), run_fn)
        else:
            from distributed import Client
            if executor == "local":
                cluster = local_cluster(workers, listen or "127.0.0.1")
                client = Client(cluster)
            else:
                client = Client(scheduler, timeout="30s")
            results = _iter_dask(todo, str(out.resolve()), run_fn, client)
        output_error = None
        with open_log(status_path) as log:
            for rec in results:
                rec.pop("traceback", None) if rec.get("status") == "done" else None
                if rec.pop("output_error", False):
                    output_error = rec["error"]
                    statuses.pop(rec["run_id"], None)  # not a failure of the run: it reruns on --resume
                    break
                log.write(json.dumps(rec, sort_keys=True) + "\n")
                log.flush()
                statuses[rec["run_id"]] = rec
                if rec["status"] == "done":
                    summary.done += 1
                else:
                    summary.failed += 1
                    summary.failures.append(rec)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(done=summary.done, failed=summary.failed, refresh=False)
        if output_error is not None:
            raise OutputError(output_error)
    except (KeyboardInterrupt, _Interrupted):
        summary.seconds = time.perf_counter() - t0
        _record(out, statuses, summary, label, interrupted=True)
        raise KeyboardInterrupt from None
    except OSError as exc:  # the output could not be written: say so, keep what is complete
        if not isinstance(exc, OutputError) and exc.errno not in OUTPUT_ERRNOS:
            raise
        summary.seconds = time.perf_counter() - t0
        try:
            _record(out, statuses, summary, label, interrupted=True)
        except OSError:
            pass
        complete = sum(1 for r in runs if is_complete(run_path(out, r.scenario_name, r.paramset, r.seed)))
        raise OutputError(f"{exc}; the experiment stopped. The {complete} runs complete in {out} are intact: "
                          "make room or fix the folder and rerun the same command with --resume") from None
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, old_handler)
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    summary.seconds = time.perf_counter() - t0
    _record(out, statuses, summary, label, interrupted=False)
    return summary


def _record(out: Path, statuses: dict[str, dict], summary: Summary, label: str, interrupted: bool) -> None:
    """Per-run status into experiment.json (main process) or a shard's own status file."""
    entry = {"finished": datetime.now(UTC).isoformat(timespec="seconds"), "interrupted": interrupted,
             "done": summary.done, "failed": summary.failed, "skipped": summary.skipped,
             "seconds": round(summary.seconds, 3)}
    compact = {rid: {k: r.get(k) for k in ("status", "seconds", "error", "host", "note") if r.get(k) is not None}
               for rid, r in statuses.items()}
    if label != "main":
        write_json_atomic({"session": entry, "runs": compact}, out / "status" / f"{label}.json")
        return
    path = out / "experiment.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.setdefault("runs", {}).update(compact)
    manifest.setdefault("sessions", []).append(entry)
    write_json_atomic(manifest, path)
