"""Report for policy makers: figures (PNG) and a self-contained HTML page from a ``run.py compare`` folder.

    python run.py report results/compare [--lang nl|en] [--out DIR]

See docs/report.md.
"""

from .build import build_report
from .data import ReportError

__all__ = ["build_report", "ReportError"]
