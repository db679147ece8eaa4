"""Small helpers shared by tests (importable from a subprocess as ``tests.helpers``)."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa


def table_digest(table: pa.Table) -> str:
    """SHA-256 of a table's data (not its metadata), independent of the process that made it."""
    rows = table.to_pylist()
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=repr).encode()).hexdigest()


def change_persons_table(state, change: str, rows) -> bool:
    """Apply one of the table changes that every cache of derived person values must notice: ``remove``
    (persons ``rows[:3]``), ``add_person`` (two children in the households of ``rows[:2]``), ``add_household``,
    ``compact`` (half the persons removed, then compaction). False for another ``change`` (the caller's own)."""
    p, h = state.persons, state.households
    if change == "remove":
        p.remove_rows(rows[:3])
    elif change == "add_person":
        p.add(2, age=30, household_id=p.household_id[rows[:2]], role=2, municipality=p.municipality[rows[:2]])
    elif change == "add_household":
        h.add(3, municipality=0, dwelling_id=-1)
    elif change == "compact":
        p.remove_rows(p.alive_rows()[::2])
        assert p.compact()
    else:
        return False
    return True
