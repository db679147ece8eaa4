"""The compiled kernels (model/kernels.py) and their numpy fallbacks give bit-identical results: kernel by
kernel on random inputs, and on whole runs (a subprocess with ``ZODRENTHE_NUMBA=0`` against this process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model import kernels
from model.streams import Streams

ROOT = Path(__file__).resolve().parent.parent
needs_numba = pytest.mark.skipif(not kernels.COMPILED, reason="numba is not in use (ZODRENTHE_NUMBA=0 or missing)")


def _keys(rng, n):
    """Draw keys as the model makes them (namespace << 40 | counter), plus arbitrary int64 values."""
    made = (rng.integers(0, 8, n) << 40) | rng.integers(0, 1 << 22, n)
    return np.concatenate([made, rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, n, dtype=np.int64),
                           np.array([0, 1, -1, np.iinfo(np.int64).max, np.iinfo(np.int64).min])])


@needs_numba
def test_hash_uniform_compiled_equals_numpy():
    rng = np.random.default_rng(5)
    keys = _keys(rng, 50_000)
    for s0, s1 in ((0, 0), (1, 2), (2**64 - 1, 2**63), (int(rng.integers(0, 2**63)), int(rng.integers(0, 2**63)))):
        compiled = np.empty(keys.size)
        kernels._hash_uniform_loop(keys.view(np.uint64), np.uint64(s0), np.uint64(s1), compiled)
        assert np.array_equal(compiled, kernels._hash_uniform_numpy(keys, s0, s1))
        assert np.array_equal(kernels.hash_uniform(keys, s0, s1), compiled)  # the public function, either path
    assert kernels.hash_uniform(keys[:3], 1, 2).tolist() == kernels._hash_uniform_numpy(keys[:3], 1, 2).tolist()


@needs_numba
def test_count_alive_compiled_equals_numpy(monkeypatch):
    rng = np.random.default_rng(11)
    for n in (0, 1, 7, 50_000):
        codes = rng.integers(0, 6, n).astype(np.int8)
        alive = rng.random(n) < 0.8
        out = np.zeros(6, dtype=np.int64)
        kernels._count_alive_loop(codes, alive, 6, out)
        expected = np.bincount(codes[alive], minlength=6)
        assert out.tolist() == expected.tolist()
        monkeypatch.setattr(kernels, "MIN_SIZE", 0)
        assert kernels.count_alive(codes, alive, 6).tolist() == expected.tolist()  # the public function, compiled
        monkeypatch.setattr(kernels, "COMPILED", False)
        assert kernels.count_alive(codes, alive, 6).tolist() == expected.tolist()  # and its fallback
        monkeypatch.undo()
    for n in (63, 64, 65, 130, 50_000):  # runs of equal codes (as the persons of a municipality) of any length
        codes = np.sort(rng.integers(0, 6, n)).astype(np.int8)
        codes[rng.integers(0, n, 3)] = rng.integers(0, 6, 3)  # a few breaks in the runs
        alive = rng.random(n) < 0.9
        out = np.zeros(6, dtype=np.int64)
        kernels._count_alive_loop(codes, alive, 6, out)
        assert out.tolist() == np.bincount(codes[alive], minlength=6).tolist()
    codes, alive = np.full(100, 7, dtype=np.int8), np.zeros(100, dtype=bool)
    kernels._count_alive_loop(codes, alive, 6, out := np.zeros(6, dtype=np.int64))  # a run of dead slots only
    assert out.tolist() == [0] * 6
    alive[99] = True
    with pytest.raises(ValueError, match="code out of range"):
        kernels._count_alive_loop(codes, alive, 6, out)
    codes, alive = np.array([0, 6], dtype=np.int8), np.array([True, True])
    with pytest.raises(ValueError, match="code out of range"):
        kernels._count_alive_loop(codes, alive, 6, np.zeros(6, dtype=np.int64))
    alive[1] = False  # a dead slot's code is not read
    kernels._count_alive_loop(codes, alive, 6, out := np.zeros(6, dtype=np.int64))
    assert out.tolist() == [1, 0, 0, 0, 0, 0]


def test_hash_uniform_range_and_independence_across_salts():
    # n = 100,000 keys: the mean has sd sqrt(1/12/n) = 0.0009, a correlation sd 1/sqrt(n) = 0.0032 (5 sd)
    n = 100_000
    s = Streams(3)
    keys = (np.arange(n) % 7 << 40) | (np.arange(n) // 7)
    a = s.uniform_by_key("mortality", 2020, keys)
    b = s.uniform_by_key("mortality", 2021, keys)  # the same keys one year on
    c = s.uniform_by_key("fertility", 2020, keys)
    for u in (a, b, c):
        assert 0.0 <= u.min() and u.max() < 1.0
        assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    for u, v in ((a, b), (a, c), (b, c)):
        assert abs(np.corrcoef(u, v)[0, 1]) < 5 / np.sqrt(n)
    # neighbouring counters within one namespace are not correlated either
    first = a[keys >> 40 == 0]
    assert abs(np.corrcoef(first[:-1], first[1:])[0, 1]) < 5 / np.sqrt(first.size)


_RUN = """
import hashlib, sys
import pyarrow as pa
from model import HousingModel, kernels
m = HousingModel(sys.argv[1], rng=3, scale=0.02, end_year=2024)
m.run_model()
t = m.table().replace_schema_metadata(None)
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, t.schema) as w:
    w.write_table(t)
print(kernels.COMPILED, hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest())
"""


def _run_digest(env_numba: str) -> tuple[str, str]:
    # every kernel call compiled (no size threshold), or none
    env = dict(os.environ, ZODRENTHE_NUMBA=env_numba, ZODRENTHE_NUMBA_MIN_SIZE="0", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", _RUN, str(ROOT / "scenarios" / "combined.toml")], env=env,
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    return out[0], out[1]


@needs_numba
def test_a_whole_run_is_the_same_with_and_without_numba():
    """The combined scenario (fund and proeftuinen on), scale 0.02, 2019 -> 2024: the same table, byte for
    byte (Arrow IPC of the table without its manifest), compiled and with the numpy fallback."""
    compiled, with_numba = _run_digest("1")
    fallback, without = _run_digest("0")
    assert (compiled, fallback) == ("True", "False")
    assert with_numba == without


def test_fallback_switch_is_read_from_the_environment():
    code = "from model import kernels; print(kernels.COMPILED)"
    env = dict(os.environ, ZODRENTHE_NUMBA="0", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

