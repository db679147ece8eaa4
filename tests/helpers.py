"""Small helpers shared by tests (importable from a subprocess as ``tests.helpers``)."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa


def table_digest(table: pa.Table) -> str:
    """SHA-256 of a table's data (not its metadata), independent of the process that made it."""
    rows = table.to_pylist()
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=repr).encode()).hexdigest()
