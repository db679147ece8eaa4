"""Entities held as columns (structure of arrays) with stable ids, an alive mask and an id -> row lookup.

A table has *slots* (rows ``0 .. n-1``, some of them dead) and *alive* rows. Ids are never reused: a new
entity gets the next id; ``row_of[id]`` is its row, or -1 once it is removed and the table compacted.

Besides its id, every entity has a *draw key* (column ``key``) that fixes its random draws: the
municipality in the high bits and a counter per municipality in the low bits. Ids are global and
sequential, so an extra entity in one municipality shifts the ids of all later ones; keys do not shift
across municipalities, so a change confined to one municipality leaves the draws of the others untouched.
Processes work on whole columns, usually restricted to ``alive_rows()``: they read a column by attribute
(``t.age``, a read-only view) and write it through ``t.col("age")``. Compaction keeps the order of
the alive rows, so it changes no result.
"""

from __future__ import annotations

import numpy as np

from .kernels import njit, use_compiled

KEY_BITS = 40
#: The dtype of ids, of ``row_of`` (rows) and of the columns that hold another table's ids (a person's household,
#: a household's dwelling, a dwelling's household): int32 holds the ids of a run at the national scale many times
#: over (``_reserve`` refuses more than 2**31 - 1), and the passes over the persons that read a household id
#: or gather through ``row_of`` read half the bytes of int64 (10-20 % off those loops). The draw keys stay int64
#: (the municipality sits above bit 40).
ID = np.dtype(np.int32)
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
#: Tables of at least this many slots are compacted in place by compiled loops (numpy's gathers make a fresh
#: copy of every column's kept rows: at the national scale, 18 million persons, 1.4-1.9 s against 0.2-0.6 s a
#: compaction). Below it numpy's: on the full region (350,000 persons) the loops save about 5 ms a compaction,
#: some five a run, which loading them (about 20 ms, once) would take back.
COMPILED_COMPACTION = 1_000_000


class EntityTable:
    """Columns of equal length for one entity type (persons, households, dwellings)."""

    def __init__(self, name: str, columns: dict[str, np.dtype], capacity: int = 1024):
        self.name = name
        self.dtypes = {"id": ID, "key": np.dtype(np.int64), "alive": np.dtype(bool)}
        self._key_next: dict[int, int] = {}
        self.dtypes.update({k: np.dtype(v) for k, v in columns.items()})
        self.n = 0
        self.next_id = 0
        self._cap = max(capacity, 16)
        self._cols = {k: np.zeros(self._cap, dtype=dt) for k, dt in self.dtypes.items()}
        self.row_of = np.full(self._cap, -1, dtype=ID)
        self._views: dict[str, np.ndarray] = {}
        self._alive_rows: np.ndarray | None = None  # cached by alive_rows()
        # Change counters for caches of values derived from the table (model.income.household_facts and
        # member_table):
        # ``version`` counts every hand-out of a column view (col(); attribute access too, although its views
        # are read-only) and every add, removal and compaction; ``layout`` counts changes of n and row_of
        # (add, compaction); ``compactions`` counts the compactions alone, the only change that moves rows
        # (an add appends rows and ids and leaves the others where they are); ``_handed`` holds, per column, the
        # version of its last hand-out or write by the table (remove_rows: alive), for caches that depend on a
        # few columns (columns_stamp).
        self.version = 0
        self._handed: dict[str, int] = {}
        self.layout = 0
        self.compactions = 0

    # -- access -------------------------------------------------------------------------------------
    # Read-only views (attribute access, peek) are made once per column and layout and kept in ``_views``
    # (making one and setting its flag costs more than the lookup): a layout change (add, compaction, a new
    # column array) empties it. The views (and the alive rows) are not pickled or copied (a copy of a view is
    # no view).
    def __getattr__(self, key):
        """A column by attribute: a read-only view over the used slots (write through :meth:`col`)."""
        d = self.__dict__
        views = d.get("_views")
        if views is not None:
            view = views.get(key)
            if view is None and key in d["_cols"]:
                view = self._read_only(key)
            if view is not None:
                version = d["version"] = d["version"] + 1
                d["_handed"][key] = version
                return view
        raise AttributeError(f"{d.get('name', 'table')} has no column {key!r}")

    def _read_only(self, key: str) -> np.ndarray:
        """A new read-only view of the column over the used slots, kept in ``_views``."""
        view = self._cols[key][: self.n]
        view.flags.writeable = False
        self._views[key] = view
        return view

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_views"], state["_alive_rows"] = {}, None
        state["_handed"] = dict(self._handed)  # (a copy's hand-outs are its own)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "_handed" not in state:  # pickled before the per-column versions: every column as handed out now
            self._handed = dict.fromkeys(self._cols, self.version)

    def col(self, key: str) -> np.ndarray:
        """The column as a writable view over the used slots (writes go into the table). Write through it
        right away (``t.col("x")[rows] = v``): a view kept and written later, after other processes ran, would
        escape the change counter that caches rely on."""
        self.version += 1
        self._handed[key] = self.version
        if key == "alive":
            self._alive_rows = None
        return self._cols[key][: self.n]

    def peek(self, key: str) -> np.ndarray:
        """A read-only view of the column over the used slots; unlike attribute access and col() it leaves
        ``version`` unchanged (for computing cached values)."""
        view = self._views.get(key)
        return self._read_only(key) if view is None else view

    def stamp(self) -> tuple[int, int]:
        """(version, layout): equal stamps mean no column view was handed out and nothing added, removed or
        compacted in between."""
        return self.version, self.layout

    def columns_stamp(self, keys: tuple[str, ...]) -> tuple[int, int]:
        """(the last version at which one of the columns ``keys`` was handed out or written by the table, layout):
        equal stamps mean none of these columns was handed out (col(), attribute access) or changed by a removal
        and nothing added or compacted in between, whatever happened to the other columns."""
        handed = self._handed
        return max([handed.get(key, 0) for key in keys]), self.layout

    def _touch(self, layout: bool = False) -> None:
        self.version += 1
        if layout:
            self.layout += 1
            self._views.clear()
            self._alive_rows = None

    def alive_rows(self) -> np.ndarray:
        """The rows of the alive entities (ascending), read-only: the same array until an entity is added or
        removed, the table compacted or the alive column handed out by col() (the checks at the end of a year
        and the processes before the next change ask for it again)."""
        rows = self._alive_rows
        if rows is None:
            rows = self._alive_rows = np.flatnonzero(self._cols["alive"][: self.n])
            rows.flags.writeable = False
        return rows

    def count(self) -> int:
        return int(self._cols["alive"][: self.n].sum())

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the given ids (which must be alive), as int64 (``row_of`` holds int32: the callers' arrays of rows
        keep one dtype, so that the compiled loops they reach are compiled and loaded for one signature)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.next_id):
            raise KeyError(f"{self.name}: id out of range (-1 means 'none')")
        r = self.row_of[ids].astype(np.int64)
        if r.size and r.min() < 0:
            raise KeyError(f"{self.name}: id without a row")
        return r

    def id_mask(self, ids: np.ndarray) -> np.ndarray:
        """A lookup of membership by id: ``id_mask(ids)[x]`` is True where ``x`` is among ``ids``, for any ``x``
        from -1 ("none") to ``next_id - 1`` (the last slot stands for -1); the same as ``np.isin(x, ids)``
        without sorting. ``ids`` are ids of this table or -1."""
        mask = np.zeros(self.next_id + 1, dtype=bool)
        mask[np.asarray(ids, dtype=np.int64)] = True
        return mask

    # -- change -------------------------------------------------------------------------------------
    def add(self, k: int, **values) -> np.ndarray:
        """Append ``k`` alive entities with the given column values (scalars or arrays); returns their ids."""
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        self._touch(layout=True)
        self._reserve(self.n + k, self.next_id + k)
        lo, hi = self.n, self.n + k
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        for key, arr in self._cols.items():
            if key not in values:  # columns without a value start at 0
                arr[lo:hi] = 0
        self._cols["id"][lo:hi] = ids
        self._cols["alive"][lo:hi] = True
        self._cols["key"][lo:hi] = self._new_keys(k, values.get("municipality", 0))
        for key, v in values.items():
            if key not in self._cols:
                raise KeyError(f"{self.name} has no column {key!r}")
            self._cols[key][lo:hi] = v
        self.row_of[ids] = np.arange(lo, hi)
        self.n = hi
        self.next_id += k
        return ids

    def _new_keys(self, k: int, namespace) -> np.ndarray:
        """Draw keys: namespace (municipality) << KEY_BITS | per-namespace counter, in row order."""
        keys = np.empty(k, dtype=np.int64)
        if np.ndim(namespace) == 0:  # one namespace (the usual case): no search for the distinct values
            v = int(np.asarray(namespace, dtype=np.int64))
            start = self._key_next.get(v, 0)
            keys[:] = (v << KEY_BITS) | (start + np.arange(k))
            self._key_next[v] = start + k
            return keys
        ns = np.broadcast_to(np.asarray(namespace, dtype=np.int64), (k,))
        lo, hi = int(ns.min()), int(ns.max())
        if hi - lo < 1 << 15:
            # a few namespaces (municipalities): each row's rank among the rows of its namespace from a stable
            # sort by namespace (a counting sort on int16), instead of one pass over the rows per namespace
            code = (ns - lo).astype(np.int16)
            counts = np.bincount(code)
            start = np.zeros(counts.size, dtype=np.int64)
            for c in np.flatnonzero(counts).tolist():
                start[c] = self._key_next.get(lo + c, 0)
                self._key_next[lo + c] = int(start[c] + counts[c])
            rank = np.empty(k, dtype=np.int64)
            rank[np.argsort(code, kind="stable")] = np.arange(k) - np.repeat(np.cumsum(counts) - counts, counts)
            keys[:] = (ns << KEY_BITS) | (start.take(code) + rank)
            return keys
        for v in np.unique(ns):
            sel = np.flatnonzero(ns == v)
            start = self._key_next.get(int(v), 0)
            keys[sel] = (int(v) << KEY_BITS) | (start + np.arange(sel.size))
            self._key_next[int(v)] = start + sel.size
        return keys

    def remove_rows(self, rows: np.ndarray) -> None:
        self._touch()
        self._alive_rows = None
        self._handed["alive"] = self.version
        self._cols["alive"][np.asarray(rows, dtype=np.int64)] = False

    def _reserve(self, n_rows: int, n_ids: int) -> None:
        if n_rows > self._cap:
            cap = max(n_rows, int(self._cap * 1.5))
            for key, arr in self._cols.items():
                new = np.zeros(cap, dtype=arr.dtype)
                new[: self.n] = arr[: self.n]
                self._cols[key] = new
            self._cap = cap
        if n_ids > self.row_of.size:
            if n_ids > np.iinfo(ID).max:
                raise OverflowError(f"{self.name}: more than {np.iinfo(ID).max} ids")
            new = np.full(min(max(n_ids, int(self.row_of.size * 1.5)), np.iinfo(ID).max), -1, dtype=ID)
            new[: self.row_of.size] = self.row_of
            self.row_of = new

    def compact(self, min_dead_share: float = 0.25) -> bool:
        """Drop dead rows when they are at least ``min_dead_share`` of the slots; keeps row order."""
        if self.n == 0:
            return False
        alive = self._cols["alive"][: self.n]
        dead = self.n - int(alive.sum())
        if dead < min_dead_share * self.n:
            return False
        self._touch(layout=True)
        self.compactions += 1
        if self.n >= COMPILED_COMPACTION and use_compiled(self.n):
            # in place, a pass per column: no copy of the kept rows of each column (the alive column last, as it
            # says which rows are kept)
            _compact_ids_loop(alive, self._cols["id"][: self.n], self.row_of)
            keep = self.n - dead
            for key, arr in self._cols.items():
                if key != "alive":  # moved as unsigned integers of the same size: the same bytes, one loop per size
                    _compact_loop(alive, arr.view(_UNSIGNED[arr.itemsize]), keep)
            self.n = keep
            self._cols["alive"][:keep] = True
            return True
        keep = np.flatnonzero(alive)
        self.row_of[self._cols["id"][: self.n][~alive]] = -1
        for arr in self._cols.values():
            arr[: keep.size] = arr[keep]
        self.n = keep.size
        self.row_of[self._cols["id"][: self.n]] = np.arange(self.n)
        return True

    def check(self) -> None:
        """Assert the id -> row lookup is consistent (used in tests)."""
        ids = self._cols["id"][: self.n]
        alive = self._cols["alive"][: self.n]
        assert np.array_equal(self.row_of[ids[alive]], np.flatnonzero(alive)), f"{self.name}: row_of broken"


@njit
def _compact_ids_loop(alive, ids, row_of):  # pragma: no cover - compiled
    """row_of of a compaction: the new row of each alive entity (their order kept), -1 for the dead (ids are
    distinct, so the order of the writes does not matter)."""
    j = 0
    for r in range(alive.size):
        a = alive[r]
        row_of[ids[r]] = j if a else -1
        j += a


@njit
def _compact_loop(alive, arr, keep):  # pragma: no cover - compiled
    """The values of the ``keep`` alive rows moved to the front of ``arr`` in order, in place (a row moves only
    towards the front, after it was read). Without a branch (the dead rows are spread at random): every row is
    written to the next free place, which the next alive row overwrites; the place after the last alive row is
    restored."""
    if keep == alive.size:
        return
    after = arr[keep]
    j = 0
    for r in range(alive.size):
        arr[j] = arr[r]
        j += alive[r]
    arr[j] = after
