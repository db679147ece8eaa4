"""Copy the figures the model uses from the shared fact base into ``calibration/data/``.

The project keeps its own copy (with the source column) so that it runs where ``../shared`` does not exist.
Rows are selected by geography: the six Regio Deal municipalities, Drenthe, the Netherlands and the Regio
Deal budget rows. Comparator municipalities (Assen, Meppel, Stadskanaal, ...) are left out.

    python -m calibration.import_shared [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

KEEP_PREFIXES = (
    "Emmen", "Coevorden", "Borger-Odoorn", "Aa en Hunze", "Hoogeveen", "Hardenberg",
    "Drenthe", "Provincie Drenthe", "Nederland", "Regio Deal", "Volkshuisvestingsfonds",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared" / "data",
                        help="folder holding facts.csv and wijk_shares.csv (default: ../shared/data)")
    args = parser.parse_args(argv)
    src = args.shared / "facts.csv"
    if not src.exists():
        print(f"error: {src} not found", file=sys.stderr)
        return 2
    DATA.mkdir(parents=True, exist_ok=True)
    with src.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["geography"].startswith(KEEP_PREFIXES)]
        fields = reader.fieldnames
    with (DATA / "facts.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shutil.copyfile(args.shared / "wijk_shares.csv", DATA / "wijk_shares.csv")
    print(f"wrote {len(rows)} facts and the wijk shares to {DATA}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
