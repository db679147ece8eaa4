"""Read CBS StatLine exports into calibration targets.

A user who downloads a newer CBS table (e.g. *Kerncijfers wijken en buurten* of a later year, or
*Regionale kerncijfers Nederland* 70072NED) can point the targets at it::

    python run.py validate --statline 85039NED_TypedDataSet.json
    python run.py calibrate --statline kwb-2019.csv --statline-year 2019

Three shapes are read:

* the OData JSON of a table (``opendata.cbs.nl/ODataApi/odata/<table>/TypedDataSet`` or the v4 ``Observations``
  -free ``TypedDataSet``): ``{"value": [{"WijkenEnBuurten": "GM0114    ", "AantalInwoners_5": 107113, ...}]}``;
* the CSV of the same data set (semicolon-separated, quoted, column keys such as ``AantalInwoners_5``, the
  region in ``WijkenEnBuurten``, ``RegioS`` or ``Codering_3``, the period, when there is one, in ``Perioden``
  as ``2019JJ00``);
* the CSV that the StatLine website exports (semicolon-separated, columns named by their labels such as
  ``Bevolking/Aantal inwoners (aantal)``, regions by name or code, ``Perioden`` as ``2019``).

Column keys lose their numeric suffix (``AantalInwoners_5`` -> ``AantalInwoners``); labels are matched on
their last part without the unit. Missing values (``.``, empty, ``null``) are skipped. Only the six
municipalities are kept. Rows of years after 2019 become ``validation`` targets with weight 0: they are
reported by ``run.py validate`` but never fitted (the calibration uses 2019 and earlier only).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from model.data import CODE_BY_NAME, MUNICIPALITY_CODES

from .targets import CORE, LAST_OBSERVED_YEAR, Target, _core_target


class StatlineError(ValueError):
    """A StatLine export cannot be read; the message names the file and what is wrong."""


#: CBS keys (suffix removed) and website labels -> the CBS variable of calibration/targets.py
KEYS = {
    "AantalInwoners": "AantalInwoners", "TotaleBevolking": "AantalInwoners",
    "HuishoudensTotaal": "HuishoudensTotaal", "ParticuliereHuishoudens": "HuishoudensTotaal",
    "GemiddeldeHuishoudensgrootte": "GemiddeldeHuishoudensgrootte",
    "Woningvoorraad": "Woningvoorraad", "BeginstandVoorraad": "Woningvoorraad",
    "GemiddeldeWoningwaarde": "GemiddeldeWoningwaarde", "GemiddeldeWOZWaardeVanWoningen": "GemiddeldeWoningwaarde",
    "Koopwoningen": "Koopwoningen_pct", "Koopwoningen_pct": "Koopwoningen_pct",
    "k_65JaarOfOuder": "k_65JaarOfOuder", "k_65JaarOfOuder_pct": "k_65JaarOfOuder_pct",
    "GemiddeldAardgasverbruikTotaal": "GemiddeldAardgasverbruik",
    "GemiddeldAardgasverbruik": "GemiddeldAardgasverbruik",
}
LABELS = {
    "aantal inwoners": "AantalInwoners", "totale bevolking": "AantalInwoners",
    "huishoudens totaal": "HuishoudensTotaal", "particuliere huishoudens": "HuishoudensTotaal",
    "gemiddelde huishoudensgrootte": "GemiddeldeHuishoudensgrootte",
    "woningvoorraad": "Woningvoorraad",
    "gemiddelde woningwaarde": "GemiddeldeWoningwaarde", "gemiddelde woz-waarde van woningen": "GemiddeldeWoningwaarde",
    "koopwoningen": "Koopwoningen_pct", "percentage koopwoningen": "Koopwoningen_pct",
    "65 jaar of ouder": "k_65JaarOfOuder",
    "gemiddeld aardgasverbruik totaal": "GemiddeldAardgasverbruik",
    "gemiddeld aardgasverbruik": "GemiddeldAardgasverbruik",
}
REGION_COLUMNS = ("WijkenEnBuurten", "RegioS", "Codering", "Regio's", "Wijken en buurten", "Regioaanduiding",
                  "Gemeentenaam", "Codering (code)")
PERIOD_COLUMNS = ("Perioden", "Periode")
MISSING = {"", ".", "x", "-", "null", "none"}
CBS_TO_VARIABLE = {cbs: var for var, (cbs, *_rest) in CORE.items()}


def _key(column: str) -> str | None:
    base = re.sub(r"_\d+$", "", column.strip())
    if base in KEYS:
        return KEYS[base]
    label = column.split("/")[-1]
    label = re.sub(r"\s*\([^)]*\)\s*$", "", label).strip().lower()
    return LABELS.get(label)


def _region(value) -> str | None:
    v = str(value).strip().strip('"').strip()
    code = v[:6].upper()
    if code in MUNICIPALITY_CODES and (len(v) == 6 or not v[6:].strip() or v.upper().startswith("GM")):
        return code
    return CODE_BY_NAME.get(v)


def _year(value, path) -> int:
    m = re.match(r"\s*(\d{4})", str(value))
    if not m:
        raise StatlineError(f"{path}: period {value!r} is not a year (expected e.g. 2019 or 2019JJ00)")
    return int(m.group(1))


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    s = str(value).strip().strip('"').strip()
    if s.lower() in MISSING:
        return None
    s = s.replace("\u00a0", "").replace(" ", "")
    if "," in s and "." not in s:  # Dutch decimal comma
        s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def read_records(path: str | Path) -> list[dict]:
    """The rows of a StatLine export (JSON or CSV) as dicts of column -> raw value."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    except OSError as exc:
        raise StatlineError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if text.lstrip().startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StatlineError(f"{path}: not valid JSON ({exc})") from None
        rows = doc.get("value") if isinstance(doc, dict) else doc
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise StatlineError(f"{path}: expected OData JSON with a 'value' list of records")
        return rows
    sample = text[:4096]
    delim = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delim)
    if not reader.fieldnames:
        raise StatlineError(f"{path}: empty CSV")
    return [dict(r) for r in reader]


def read_statline(path: str | Path, year: int | None = None) -> list[tuple[str, int, str, float]]:
    """(municipality code, year, CBS variable, value) for the six municipalities in a StatLine export."""
    rows = read_records(path)
    if not rows:
        raise StatlineError(f"{path}: no rows")
    columns = list(rows[0].keys())
    region_col = next((c for c in columns if re.sub(r"_\d+$", "", c.strip()) in REGION_COLUMNS
                       or c.split("/")[-1].strip() in REGION_COLUMNS), None)
    if region_col is None:
        raise StatlineError(f"{path}: no region column (one of {', '.join(REGION_COLUMNS[:3])}, ...)")
    period_col = next((c for c in columns if re.sub(r"_\d+$", "", c.strip()) in PERIOD_COLUMNS), None)
    if period_col is None and year is None:
        raise StatlineError(f"{path}: no Perioden column; give the table's year (--statline-year)")
    keyed = {c: _key(c) for c in columns}
    keyed = {c: k for c, k in keyed.items() if k}
    if not keyed:
        raise StatlineError(f"{path}: none of the columns is a variable the targets use "
                            f"({', '.join(sorted(set(KEYS)))})")
    out = []
    for r in rows:
        code = _region(r[region_col])
        if code is None:
            # KWB tables name a municipality in a second column when the first is a wijk/buurt code
            continue
        y = _year(r[period_col], path) if period_col else int(year)
        vals = {k: _number(r[c]) for c, k in keyed.items()}
        if vals.get("k_65JaarOfOuder") is not None and vals.get("AantalInwoners"):
            vals["k_65JaarOfOuder_pct"] = 100.0 * vals["k_65JaarOfOuder"] / vals["AantalInwoners"]
        for k, v in vals.items():
            if v is not None and k in CBS_TO_VARIABLE:
                out.append((code, y, k, v))
    if not out:
        raise StatlineError(f"{path}: no figures for the six municipalities "
                            f"({', '.join(MUNICIPALITY_CODES)}) in the usable columns")
    return out


def targets_from_statline(path: str | Path, year: int | None = None) -> list[Target]:
    """Targets (same ids as calibration/targets.csv, so they replace its rows) from a StatLine export;
    years after 2019 become weight-0 ``validation`` targets."""
    out = []
    for code, y, cbs, v in read_statline(path, year):
        t = _core_target(CBS_TO_VARIABLE[cbs], code, y, v, f"CBS StatLine export {Path(path).name} [{cbs}]")
        if y > LAST_OBSERVED_YEAR:
            t.kind, t.weight = "validation", 0.0
        out.append(t)
    return out
