"""The figures the model is built on: CBS facts per (geography, year, variable) and wijk shares.

The project keeps its own copy of the shared fact base in ``calibration/data/`` (see
``calibration/import_shared.py``); every row carries its source. Lookups that find no figure raise
:class:`MissingFactError`, naming the file, the key and what is there instead.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: The six municipalities, as (CBS code, name). Order fixes the integer municipality index used in arrays.
MUNICIPALITIES: tuple[tuple[str, str], ...] = (
    ("GM0114", "Emmen"),
    ("GM0109", "Coevorden"),
    ("GM1681", "Borger-Odoorn"),
    ("GM1680", "Aa en Hunze"),
    ("GM0118", "Hoogeveen"),
    ("GM0160", "Hardenberg"),
)
MUNICIPALITY_CODES = tuple(code for code, _ in MUNICIPALITIES)
MUNICIPALITY_NAMES = tuple(name for _, name in MUNICIPALITIES)
NAME_BY_CODE = dict(MUNICIPALITIES)
CODE_BY_NAME = {name: code for code, name in MUNICIPALITIES}

#: Regio Deal municipalities in Drenthe (Hardenberg lies in Overijssel).
DRENTHE_CODES = ("GM0114", "GM0109", "GM1681", "GM1680", "GM0118")


def default_data_dir() -> Path:
    """``calibration/data`` beside the ``model`` package, or ``$ZOD_DATA_DIR`` when set."""
    env = os.environ.get("ZOD_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "calibration" / "data"


class MissingFactError(LookupError):
    """A figure the model needs is not in the fact file."""


@dataclass(frozen=True)
class Fact:
    geography: str
    code: str
    year: str
    variable: str
    value: str
    unit: str
    source: str
    note: str

    @property
    def number(self) -> float:
        try:
            return float(self.value)
        except ValueError as exc:
            raise MissingFactError(
                f"{self.geography} {self.year} {self.variable}: value {self.value!r} is not a number"
            ) from exc


class Facts:
    """Tidy CBS facts (``facts.csv``) indexed by (geography, year, variable).

    ``geography`` may be a name as in the file ('Emmen', 'Drenthe', 'Nederland') or, for the six
    municipalities, their CBS code ('GM0114').
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise MissingFactError(f"fact file {self.path} not found (run `python -m calibration.import_shared`)")
        self._rows: dict[tuple[str, str, str], Fact] = {}
        with self.path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                fact = Fact(**{k: (row.get(k) or "") for k in Fact.__dataclass_fields__})
                self._rows.setdefault((fact.geography, fact.year, fact.variable), fact)

    def _geo(self, geography: str) -> str:
        return NAME_BY_CODE.get(geography, geography)

    def fact(self, geography: str, year: int | str, variable: str) -> Fact:
        key = (self._geo(geography), str(year), variable)
        try:
            return self._rows[key]
        except KeyError:
            years = sorted(y for (g, y, v) in self._rows if g == key[0] and v == variable)
            have = f"years with this variable: {', '.join(years)}" if years else "no year has this variable"
            raise MissingFactError(
                f"no figure for {key[0]} ({geography}), {year}, {variable} in {self.path}; {have}"
            ) from None

    def value(self, geography: str, year: int | str, variable: str) -> float:
        """The numeric value of one figure; :class:`MissingFactError` if absent or not a number."""
        return self.fact(geography, year, variable).number

    def has(self, geography: str, year: int | str, variable: str) -> bool:
        return (self._geo(geography), str(year), variable) in self._rows

    def years(self, geography: str, variable: str) -> list[str]:
        g = self._geo(geography)
        return sorted(y for (gg, y, v) in self._rows if gg == g and v == variable)

    def sha256(self) -> str:
        return file_sha256(self.path)


@dataclass(frozen=True)
class Wijk:
    code: str
    municipality_code: str
    share_of_municipal_dwellings: float
    share_of_municipal_population: float


def load_wijken(path: Path) -> list[Wijk]:
    """CBS wijken of the six municipalities with their shares of the municipal dwellings and population."""
    if not Path(path).exists():
        raise MissingFactError(f"wijk file {path} not found (run `python -m calibration.import_shared`)")
    out = []
    with Path(path).open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["municipality_code"] in NAME_BY_CODE:
                out.append(Wijk(row["wijk_code"], row["municipality_code"],
                                float(row["share_of_municipal_dwellings"]),
                                float(row["share_of_municipal_population"])))
    missing = [c for c in MUNICIPALITY_CODES if not any(w.municipality_code == c for w in out)]
    if missing:
        raise MissingFactError(f"{path}: no wijken for {', '.join(missing)}")
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


@cache
def load_facts(data_dir: str | None = None) -> Facts:
    """The fact table in ``data_dir`` (default :func:`default_data_dir`), read once per process."""
    return Facts(Path(data_dir or default_data_dir()) / "facts.csv")


@cache
def load_wijk_table(data_dir: str | None = None) -> tuple[Wijk, ...]:
    return tuple(load_wijken(Path(data_dir or default_data_dir()) / "wijk_shares.csv"))
