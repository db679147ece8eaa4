"""The figures the model is built on: CBS facts per (geography, year, variable) and wijk shares.

The project keeps its own copy of the shared fact base in ``calibration/data/`` (see
``calibration/import_shared.py``); every row carries its source. Lookups that find no figure raise
:class:`MissingFactError`, naming the file, the key and what is there instead.
"""

from __future__ import annotations

import csv
import hashlib
import math
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


class DataFileError(MissingFactError):
    """A data file is malformed: a column missing, a row cut short, a value that is not a number. The
    message names the file, the line and what was expected."""


#: Columns of facts.csv: the first four are required, the rest are documentation.
FACT_COLUMNS = ("geography", "code", "year", "variable", "value", "unit", "source", "note")
REQUIRED_FACT_COLUMNS = ("geography", "year", "variable", "value")
WIJK_COLUMNS = ("wijk_code", "municipality_code", "share_of_municipal_dwellings", "share_of_municipal_population")
#: Wijk shares are published with 5 decimals; the shares of a municipality sum to 1 within this.
SHARE_TOLERANCE = 1e-3


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
    file: str = ""
    line: int = 0

    @property
    def number(self) -> float:
        where = f"{self.file}, line {self.line}: " if self.file else ""
        try:
            v = float(self.value)
        except ValueError:
            raise MissingFactError(
                f"{where}{self.geography} {self.year} {self.variable}: value {self.value!r} is not a number"
            ) from None
        if not math.isfinite(v):
            raise MissingFactError(
                f"{where}{self.geography} {self.year} {self.variable}: value {self.value!r} is not a finite number")
        return v


def _read_csv(path: Path, required: tuple[str, ...], what: str):
    """(header, [(line number, row dict)]) of a CSV file; DataFileError for a missing column, a row with
    too few or too many fields, or text that is not UTF-8."""
    try:
        with Path(path).open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise DataFileError(f"{path}: empty {what}; expected a header line with {', '.join(required)}")
            header = [h.strip() for h in header]
            missing = [c for c in required if c not in header]
            if missing:
                raise DataFileError(f"{path}, line 1: {what} lacks the column(s) {', '.join(missing)}; "
                                    f"expected at least {', '.join(required)}")
            rows = []
            for fields_ in reader:
                line = reader.line_num
                if not fields_ or all(not x.strip() for x in fields_):
                    continue
                if len(fields_) != len(header):
                    raise DataFileError(f"{path}, line {line}: {len(fields_)} fields where the header has "
                                        f"{len(header)} ({', '.join(header)})")
                rows.append((line, dict(zip(header, fields_, strict=True))))
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise DataFileError(f"{path}: not a readable CSV file ({exc})") from None
    return header, rows


class Facts:
    """Tidy CBS facts (``facts.csv``) indexed by (geography, year, variable).

    ``geography`` may be a name as in the file ('Emmen', 'Drenthe', 'Nederland') or, for the six
    municipalities, their CBS code ('GM0114'). The file must have the columns geography, year, variable
    and value, and every row a geography, year and variable; values are read as numbers when used
    (qualitative rows are allowed), and a value that is not a finite number is refused naming file and line.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise MissingFactError(f"fact file {self.path} not found (run `python -m calibration.import_shared`)")
        self._rows: dict[tuple[str, str, str], Fact] = {}
        _, rows = _read_csv(self.path, REQUIRED_FACT_COLUMNS, "fact file")
        for line, row in rows:
            for col in ("geography", "year", "variable"):
                if not row[col].strip():
                    raise DataFileError(f"{self.path}, line {line}: the {col} is empty")
            fact = Fact(**{k: (row.get(k) or "") for k in FACT_COLUMNS}, file=str(self.path), line=line)
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
    """CBS wijken of the six municipalities with their shares of the municipal dwellings and population.

    Every share must be a number from 0 to 1 and each municipality's shares must sum to 1 (within
    SHARE_TOLERANCE); otherwise DataFileError names the file, the line or the municipality."""
    if not Path(path).exists():
        raise MissingFactError(f"wijk file {path} not found (run `python -m calibration.import_shared`)")
    out = []
    _, rows = _read_csv(Path(path), WIJK_COLUMNS, "wijk file")
    for line, row in rows:
        if row["municipality_code"].strip() not in NAME_BY_CODE:
            continue
        shares = []
        for col in ("share_of_municipal_dwellings", "share_of_municipal_population"):
            text = row[col].strip()
            try:
                v = float(text)
            except ValueError:
                raise DataFileError(f"{path}, line {line}: {col} = {text!r} is not a number") from None
            if not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise DataFileError(f"{path}, line {line}: {col} = {text!r}; expected a share from 0 to 1")
            shares.append(v)
        out.append(Wijk(row["wijk_code"].strip(), row["municipality_code"].strip(), *shares))
    missing = [c for c in MUNICIPALITY_CODES if not any(w.municipality_code == c for w in out)]
    if missing:
        raise MissingFactError(f"{path}: no wijken for {', '.join(missing)}")
    for code in MUNICIPALITY_CODES:
        for col in ("share_of_municipal_dwellings", "share_of_municipal_population"):
            total = sum(getattr(w, col) for w in out if w.municipality_code == code)
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise DataFileError(f"{path}: the {col} of the wijken of {code} ({NAME_BY_CODE[code]}) sum to "
                                    f"{total:.5f}; they must sum to 1")
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


def validate_data(data_dir: str | None = None) -> None:
    """Read both data files (facts.csv, wijk_shares.csv) once, raising MissingFactError or DataFileError
    naming the file and line if one is missing or malformed. Batch experiments call this before they
    write anything."""
    load_facts(data_dir)
    load_wijk_table(data_dir)
