"""The results of an experiment as one Parquet dataset, a file per run, and safe writing.

Layout of an experiment's output folder::

    OUT/experiment.json                                   definition, code and data versions, per-run status
    OUT/status/<process>.jsonl                            one line per finished run (appended by the driver)
    OUT/runs/scenario=<name>/paramset=<id>/seed=<n>.parquet

The runs folder is a hive-partitioned dataset: the ``scenario`` and ``paramset`` columns come from the
folder names, everything else (``seed``, ``year``, ``municipality_code``, the indicators) from the files.
Files are written under a hidden temporary name in the same folder and renamed when complete, so a file
with its final name is always whole and a crash leaves at most a hidden ``.tmp`` file, which the next
``--resume`` removes. ``open_dataset(OUT)`` opens it for analysis.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
TMP_SUFFIX = ".tmp"


def run_path(out_dir: str | Path, scenario: str, paramset: str, seed: int) -> Path:
    """Where the file of one run lives (names are checked so that no path escapes ``out_dir``)."""
    for label, value in (("scenario name", scenario), ("parameter set", paramset)):
        if not SAFE_NAME.fullmatch(value) or value in (".", ".."):
            raise ValueError(f"{label} {value!r} cannot name a folder; use letters, digits, '_', '-', '.'")
    return Path(out_dir) / "runs" / f"scenario={scenario}" / f"paramset={paramset}" / f"seed={int(seed)}.parquet"


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a hidden temporary file beside ``path``, fsync it, rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """A Parquet file that appears whole or not at all."""
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def write_json_atomic(obj, path: Path) -> None:
    """A JSON file that appears whole or not at all."""
    text = json.dumps(obj, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def is_complete(path: Path) -> bool:
    """A run file exists under its final name and its Parquet footer reads."""
    if not path.is_file():
        return False
    try:
        pq.read_metadata(path)
        return True
    except (pa.ArrowInvalid, OSError):
        return False


def remove_stale_temporaries(out_dir: str | Path, older_than_s: float = 0.0) -> int:
    """Delete temporary files left by an interrupted writer (those not modified for ``older_than_s``
    seconds: a shard starting beside others leaves their files in progress alone); returns how many."""
    n = 0
    now = time.time()
    for p in Path(out_dir).rglob(f".*{TMP_SUFFIX}"):
        try:
            if now - p.stat().st_mtime >= older_than_s:
                p.unlink(missing_ok=True)
                n += 1
        except FileNotFoundError:
            pass
    return n


def open_dataset(out_dir: str | Path) -> ds.Dataset:
    """The experiment's results as a ``pyarrow.dataset`` (columns scenario and paramset from the folders).

    Example::

        dset = open_dataset("results/my-experiment")
        table = dset.to_table(filter=(ds.field("scenario") == "baseline") & (ds.field("year") == 2030))
    """
    runs = Path(out_dir) / "runs"
    if not runs.is_dir():
        raise FileNotFoundError(f"{runs} does not exist: no run of this experiment has finished")
    part = ds.partitioning(pa.schema([("scenario", pa.string()), ("paramset", pa.string())]), flavor="hive")
    return ds.dataset(runs, format="parquet", partitioning=part)
