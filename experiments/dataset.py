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

Safety: every path is built from checked names and must resolve inside the output folder; a batch process
holds a lock on the folder (:class:`OutputLock`) so that two processes cannot write one experiment at
once (shards of one experiment share it); a write that fails (disk full, folder not writable) raises
:class:`OutputError`, and the files already complete are never touched. Results are read back only as
Parquet and JSON: nothing is unpickled.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .definition import ExperimentError

SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
TMP_SUFFIX = ".tmp"
LOCK_NAME = ".batch.lock"
#: errno values that mean "the output cannot be written" rather than "this run is wrong"
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                 errno.EIO}


class OutputError(OSError):
    """Results could not be written (disk full, folder not writable); the message names the path."""


def safe_name(label: str, value: str) -> str:
    """``value`` if it can name a folder (letters, digits, '_', '-', '.', not starting with '.'), else
    ExperimentError: a name such as '../x' must not lead out of the output folder."""
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value):
        raise ExperimentError(f"{label} {value!r} cannot name a folder; use letters, digits, '_', '-' and '.' "
                              "(not first)")
    return value


def run_path(out_dir: str | Path, scenario: str, paramset: str, seed: int) -> Path:
    """Where the file of one run lives (names are checked so that no path escapes ``out_dir``)."""
    safe_name("scenario name", scenario)
    safe_name("parameter set", paramset)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ExperimentError(f"seed {seed!r} is not a whole number >= 0")
    out = Path(out_dir)
    path = out / "runs" / f"scenario={scenario}" / f"paramset={paramset}" / f"seed={seed}.parquet"
    if not path.resolve().is_relative_to(out.resolve()):  # e.g. a symlinked runs/ folder leading elsewhere
        raise ExperimentError(f"{path} leads outside the output folder {out}")
    return path


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a hidden temporary file beside ``path``, fsync it, rename it to ``path``."""
    path = Path(path)
    tmp = _tmp_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def check_writable(out_dir: str | Path, option: str = "--out") -> Path:
    """Create ``out_dir`` if needed and write and remove a probe file in it; ExperimentError (a usage error)
    naming the folder if that fails, before any result is computed."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"{option} {out}: is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe.{os.getpid()}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ExperimentError(f"{option} {out}: cannot write there ({exc.strerror or exc}); choose another "
                              "folder") from None
    return out


class OutputLock:
    """An advisory lock (``flock``) on ``OUT/.batch.lock`` for as long as a batch process writes ``OUT``.

    A whole experiment takes it exclusively; a shard takes it shared, plus an exclusive lock of its own
    (``OUT/.shard<I>of<N>.lock``), so that the shards of an array run side by side while a second whole
    batch, or the same shard twice, is refused with ExperimentError. The kernel drops the lock when the
    process ends, however it ends. On a file system without locks a warning is printed and the batch runs
    unlocked."""

    def __init__(self, out: Path, shard: tuple[int, int] | None = None):
        self.out, self.shard = Path(out), shard
        self._files: list = []

    def __enter__(self) -> OutputLock:
        import fcntl

        me = f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"
        plan = [(self.out / LOCK_NAME, fcntl.LOCK_SH if self.shard else fcntl.LOCK_EX)]
        if self.shard:
            plan.append((self.out / f".shard{self.shard[0]}of{self.shard[1]}.lock", fcntl.LOCK_EX))
        try:
            for path, mode in plan:
                f = open(path, "a+", encoding="utf-8")  # noqa: SIM115  (held open while locked)
                self._files.append(f)
                try:
                    fcntl.flock(f.fileno(), mode | fcntl.LOCK_NB)
                except BlockingIOError:
                    f.seek(0)
                    holder = f.read().strip() or "a shard of an array"
                    raise ExperimentError(
                        f"{self.out} is being written by another batch process ({holder}); wait until it has "
                        "finished, or choose another --out") from None
                except OSError as exc:  # e.g. ENOLCK on a file system without locks
                    print(f"warning: cannot lock {path} ({exc.strerror}); two batch processes writing "
                          f"{self.out} at once would not be stopped", flush=True)
                    continue
                if mode == fcntl.LOCK_EX:
                    f.seek(0)
                    f.truncate()
                    f.write(me + "\n")
                    f.flush()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for f in reversed(self._files):
            try:
                f.close()  # closing releases the flock
            except OSError:
                pass
        self._files = []


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """A Parquet file that appears whole or not at all."""
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def write_json_atomic(obj, path: Path) -> None:
    """A JSON file that appears whole or not at all."""
    text = json.dumps(obj, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def open_log(path: Path):
    """A log opened for appending lines; if a killed writer left a last line without its newline, it is
    ended first so that every new line stays readable on its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    f = path.open("a", encoding="utf-8")
    if f.tell() > 0:
        with path.open("rb") as r:
            r.seek(-1, os.SEEK_END)
            if r.read(1) != b"\n":
                f.write("\n")
    return f


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
