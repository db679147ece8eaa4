"""Batch benchmark: one experiment with the serial executor and with the local Dask executor.

    python -m benchmarks.batch_bench [--seeds 0-23] [--scale 0.05] [--end-year 2030] [--workers 2] [--keep DIR]

Prints, for each executor, runs, wall seconds and runs per second; the speed-up (local / serial throughput),
the scaling efficiency (speed-up / workers), and the engine overhead per run. The start-up and close of
the LocalCluster are timed separately (``experiments.local_cluster(workers)`` plus its client, averaged
over two clusters) and taken out of the local wall time; the overhead per run is then

    (local wall without cluster start-up and close x workers - serial wall) / runs,

reported as a share of the mean serial run time (serial wall / runs). It includes any cost a worker pays on
its first run, which the serial executor (warmed up in this process) does not; the import of the model
happens while the workers start (spawn re-imports this module), so it counts as start-up. Goals: >= 1.8x
throughput with two workers, overhead < 5 % of a run.

OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS are set to 1 here, before numpy is imported,
so that neither executor gets extra BLAS threads; worker processes inherit them.

Two references help to read the figures: the CPU capacity actually available (a pure-Python loop timed
alone and in ``workers`` simultaneous processes, before and after the executors: on a shared or throttled
machine two cores may give much less than 2x), and, unless ``--no-reference``, the same experiment split
over ``workers`` plain processes with no engine at all (``run.py batch --executor serial --shard i/n``,
started together): what two processes on these cores can do, so that the engine's own overhead is the
difference between the local executor and these shards (both measured without process start-up).
"""

from __future__ import annotations

import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_NUMPY_ALREADY_IMPORTED = "numpy" in sys.modules
for _var in THREAD_VARS:
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from experiments import experiment_from_args, local_cluster, open_dataset, run_experiment  # noqa: E402
from model import simulate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "baseline.toml"
KEYS = ["scenario", "paramset", "seed", "year", "municipality_code"]
GOAL_SPEEDUP = 1.8
GOAL_OVERHEAD = 0.05


def cluster_start_close(workers: int, repeats: int = 2) -> tuple[float, float]:
    """Mean seconds to start (until every worker is up) and to close a LocalCluster with its client, as the
    local executor does. The spawned workers import this module's imports (the model) while they start."""
    from distributed import Client

    starts, closes = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        cluster = local_cluster(workers)
        client = Client(cluster)
        client.wait_for_workers(workers)
        t1 = time.perf_counter()
        client.close()
        cluster.close()
        starts.append(t1 - t0)
        closes.append(time.perf_counter() - t1)
    return statistics.mean(starts), statistics.mean(closes)


SPIN = "import time; t = time.perf_counter(); x = 0\nfor i in range(8_000_000): x += i\nprint(time.perf_counter() - t)"


def cpu_capacity(workers: int) -> tuple[float, float, float]:
    """(seconds of a pure-Python loop alone, mean seconds of the same loop in ``workers`` processes at once,
    capacity = workers x alone / together: the number of cores' worth of CPU actually available)."""
    def spin(n: int) -> list[float]:
        procs = [subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
                 for _ in range(n)]
        return [float(p.communicate()[0]) for p in procs]

    alone = min(spin(1)[0] for _ in range(2))
    together = statistics.mean(spin(workers))
    return alone, together, workers * alone / together


def shard_reference(args, out: Path, workers: int) -> float:
    """Run the experiment as ``workers`` plain ``run.py batch --shard i/n`` processes started together;
    returns the longest shard's summed run time (its busy time without Python and model start-up)."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, str(ROOT / "run.py"), "batch", str(SCENARIO), "--seeds", args.seeds, "--scale",
           str(args.scale), "--end-year", str(args.end_year), "--executor", "serial", "--quiet", "--name",
           "batch_bench", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    procs = [subprocess.Popen(cmd + ["--shard", f"{i}/{workers}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
             for i in range(workers)]
    if any(p.wait() != 0 for p in procs):
        raise SystemExit("a shard process failed")
    busy = []
    for i in range(workers):
        lines = (out / "status" / f"shard{i}of{workers}.jsonl").read_text().splitlines()
        busy.append(sum(json.loads(line)["seconds"] for line in lines))
    return max(busy)


def run_seconds(out: Path) -> list[float]:
    """Seconds of each run as measured inside execute_run (simulation and file), from the status log."""
    lines = (out / "status" / "main.jsonl").read_text().splitlines()
    return [json.loads(line)["seconds"] for line in lines if json.loads(line)["status"] == "done"]


def sorted_table(out: Path) -> pa.Table:
    table = open_dataset(out).to_table()
    for i, name in enumerate(table.column_names):
        if pa.types.is_dictionary(table.schema.field(name).type):
            table = table.set_column(i, name, pc.cast(table[name], pa.string()))
    return table.sort_by([(k, "ascending") for k in KEYS]).replace_schema_metadata(None)


def timed_run(exp, out: Path, executor: str, workers: int, repeat: int) -> tuple[float, list[float]]:
    """The shortest wall time of ``repeat`` runs of the experiment into a fresh ``out``, and the seconds of
    each run (inside execute_run) in that repetition."""
    best: tuple[float, list[float]] | None = None
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        summary = run_experiment(exp, out, executor, workers=workers, progress=False)
        wall = time.perf_counter() - t0
        if summary.done != summary.total:
            raise SystemExit(f"{executor}: {summary.line()}; failures: {summary.failures[:3]}")
        if best is None or wall < best[0]:
            best = (wall, run_seconds(out))
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-23", help="seeds of the experiment (default 0-23: 24 runs)")
    ap.add_argument("--scale", type=float, default=0.05)
    ap.add_argument("--end-year", type=int, default=2030)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", metavar="DIR", help="write the datasets under DIR and keep them")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run each executor N times and keep the shortest wall time (default 1)")
    ap.add_argument("--no-reference", action="store_true",
                    help="skip the engine-free reference (the experiment split over plain shard processes)")
    args = ap.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # keep the report in order with Dask's log lines on stderr

    exp = experiment_from_args([str(SCENARIO)], args.seeds, {"scale": args.scale, "end_year": args.end_year},
                               name="batch_bench")
    runs = len(exp.runs())
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="batch_bench_"))
    for sub in ("serial", "local", "shards"):
        if (base / sub).exists():
            shutil.rmtree(base / sub)
    w = args.workers

    print(f"batch benchmark: baseline, {runs} runs (seeds {args.seeds}), scale {args.scale}, 2019 -> "
          f"{args.end_year}; {w} local workers on {os.cpu_count()} cores (the driver and the Dask scheduler "
          f"share them); best wall time of {args.repeat} repetition(s) per executor")
    print(f"environment: {', '.join(f'{v}=1' for v in THREAD_VARS)} set before numpy was imported"
          + (" (numpy was imported already: the setting may not apply to this process)"
             if _NUMPY_ALREADY_IMPORTED else "") + "; worker processes inherit them")

    cap_before = cpu_capacity(w)
    simulate(str(SCENARIO), seed=10_000, scale=args.scale, end_year=2020)  # warm-up of this process (not timed)
    serial_wall, serial_runs = timed_run(exp, base / "serial", "serial", w, args.repeat)
    start_s, close_s = cluster_start_close(w)
    local_wall, local_runs = timed_run(exp, base / "local", "local", w, args.repeat)
    shards_busy = None
    if not args.no_reference:
        shards_busy = min(shard_reference(args, base / "shards", w) for _ in range(args.repeat))
    cap_after = cpu_capacity(w)

    identical = sorted_table(base / "serial").equals(sorted_table(base / "local"))
    mean_run = serial_wall / runs
    serial_tp = runs / serial_wall

    def figures(wall: float) -> tuple[float, float, float, float, float]:
        net = wall - start_s - close_s
        overhead = (net * w - serial_wall) / runs
        return net, (runs / wall) / serial_tp, (runs / net) / serial_tp, overhead, overhead / mean_run

    local_net, speedup, speedup_net, overhead, share = figures(local_wall)

    print(f"CPU capacity: a pure-Python loop takes {cap_before[0]:.2f} s alone and {cap_before[1]:.2f} s in {w} "
          f"processes at once = {cap_before[2]:.2f} cores' worth before the runs, {cap_after[2]:.2f} after "
          f"(the most any executor can get here)")
    print()
    print(f"{'executor':<38}{'runs':>6}{'wall s':>9}{'runs/s':>9}{'speed-up':>10}{'efficiency':>12}")
    rows = [("serial", serial_wall, 1.0, 1), (f"local, {w} workers (end to end)", local_wall, speedup, w),
            (f"local, {w} workers (no start-up)", local_net, speedup_net, w)]
    if shards_busy is not None:
        rows.append((f"no engine: {w} shard processes", shards_busy, (runs / shards_busy) / serial_tp, w))
    for label, wall, sp, n in rows:
        print(f"{label:<38}{runs:>6}{wall:>9.2f}{runs / wall:>9.3f}{sp:>9.2f}x{sp / n:>11.0%}")
    print()
    print(f"cluster start-up {start_s:.2f} s and close {close_s:.2f} s (LocalCluster + client, mean of 2), "
          f"left out of the 'no start-up' lines")
    print(f"mean serial run {mean_run:.3f} s (serial wall / runs; {statistics.mean(serial_runs):.3f} s inside "
          f"execute_run); mean run inside a worker {statistics.mean(local_runs):.3f} s")
    print(f"engine overhead per run: ({local_net:.2f} s x {w} - {serial_wall:.2f} s) / {runs} = "
          f"{overhead * 1000:.0f} ms = {share:.1%} of a mean serial run")
    if shards_busy is not None:
        engine = (local_net - shards_busy) * w / runs
        print(f"no-engine reference: {w} plain processes (shards) busy {shards_busy:.2f} s (longest shard's run "
              f"time, process start-up excluded): two processes on these cores run "
              f"{(runs / shards_busy) / serial_tp:.2f}x the serial throughput")
        print(f"engine overhead against that reference: ({local_net:.2f} s - {shards_busy:.2f} s) x {w} / {runs} "
              f"= {engine * 1000:.0f} ms per run = {engine / mean_run:.1%} of a mean serial run")
    print("  (worker processes import the model while they start, so that cost is in the start-up time)")
    print(f"results identical (serial vs local): {'yes' if identical else 'NO'}")
    ok_tp, ok_tp_net, ok_oh = speedup >= GOAL_SPEEDUP, speedup_net >= GOAL_SPEEDUP, share < GOAL_OVERHEAD
    print(f"GOALS (local executor as shipped): throughput >= {GOAL_SPEEDUP}x with {w} workers: "
          f"{'met' if ok_tp_net else 'NOT met'} without cluster start-up ({speedup_net:.2f}x), "
          f"{'met' if ok_tp else 'NOT met'} end to end ({speedup:.2f}x); overhead < {GOAL_OVERHEAD:.0%} of a run: "
          f"{'met' if ok_oh else 'NOT met'} ({share:.1%}); CPU capacity {min(cap_before[2], cap_after[2]):.2f} "
          f"of {w} cores")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
