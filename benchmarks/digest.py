"""Output digests: sha256 of full indicator tables, to prove that an optimisation changes no output.

    python -m benchmarks.digest                 # print the digests
    python -m benchmarks.digest --record        # write them to benchmarks/digests.json
    python -m benchmarks.digest --check         # compare with benchmarks/digests.json (exit 1 on a difference)

Runs: scenarios/baseline.toml seeds 1 and 2 at scale 0.1 to 2050; scenarios/combined.toml and
scenarios/experimenteerruimte.toml seed 3 at scale 0.1 to 2040. A digest covers the schema (names, types,
nullability), every column's values (the Arrow buffers of each column, combined into one chunk) and every
schema metadata entry except the manifest (which holds the git commit); the ledgers are in the metadata.
Each part also has its own digest so that a difference says where it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = Path(__file__).resolve().parent / "digests.json"
RUNS = (
    ("baseline-s1", "scenarios/baseline.toml", 1, 0.1, 2050),
    ("baseline-s2", "scenarios/baseline.toml", 2, 0.1, 2050),
    ("combined-s3", "scenarios/combined.toml", 3, 0.1, 2040),
    ("experimenteerruimte-s3", "scenarios/experimenteerruimte.toml", 3, 0.1, 2040),
)


def _column_bytes(col: pa.ChunkedArray) -> bytes:
    """The values of a column as bytes: its Python values, JSON-encoded (exact for floats: repr round-trips),
    so that chunking and buffer padding do not matter."""
    return json.dumps([None if v is None else (repr(v) if isinstance(v, float) else v)
                       for v in col.to_pylist()]).encode()


def table_digest(table: pa.Table) -> dict[str, str]:
    """sha256 per part (schema, each column, each metadata entry but the manifest) and of all of them."""
    parts: dict[str, str] = {"schema": hashlib.sha256(table.schema.remove_metadata().to_string().encode()).hexdigest(),
                             "rows": str(table.num_rows)}
    for name in table.column_names:
        parts[f"col:{name}"] = hashlib.sha256(_column_bytes(table.column(name))).hexdigest()
    for key, value in sorted((table.schema.metadata or {}).items()):
        if key == b"manifest":
            continue
        parts[f"meta:{key.decode()}"] = hashlib.sha256(value).hexdigest()
    total = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return {"all": total, **parts}


def compute(runs=RUNS, verbose: bool = True) -> dict[str, dict[str, str]]:
    from model import simulate

    out = {}
    for label, scenario, seed, scale, end_year in runs:
        t = time.perf_counter()
        table = simulate(str(ROOT / scenario), seed=seed, scale=scale, end_year=end_year)
        out[label] = table_digest(table)
        if verbose:
            print(f"{label:<26}{out[label]['all']}  ({time.perf_counter() - t:.1f} s)", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--record", action="store_true", help=f"write the digests to {DIGESTS.name}")
    g.add_argument("--check", action="store_true", help=f"compare with {DIGESTS.name}")
    args = ap.parse_args(argv)
    digests = compute()
    if args.record:
        DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
        print(f"recorded in {DIGESTS}")
        return 0
    if args.check:
        expected = json.loads(DIGESTS.read_text())
        bad = 0
        for label, parts in expected.items():
            got = digests.get(label, {})
            diff = sorted(k for k in set(parts) | set(got) if parts.get(k) != got.get(k))
            if diff:
                bad += 1
                print(f"DIFFERENT {label}: {', '.join(diff[:20])}")
        print("digests identical" if not bad else f"{bad} run(s) differ")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
