"""Assemble the report: PNG files of every figure and one self-contained HTML page (figures embedded as
base64 data URIs, styles inline, no script, font or link fetched from anywhere)."""

from __future__ import annotations

import base64
import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import data, figures
from .data import REGION, ReportError, Results
from .text import LANGS, MEASURES, measure_title, word

HEADLINE = ("cum_policy_spending_eur", "low_income_owners_in_EFG", "energy_poor_households",
            "persons_75plus_not_lifetime_proof", "long_term_vacant_dwellings", "cum_label_steps_all",
            "eur_per_low_income_owner_out_of_EFG", "eur_per_label_step")
CSS = """
body { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222;
       line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.9em; margin-bottom: 0.1em; } h2 { margin-top: 2em; border-bottom: 2px solid #ddd; }
figure { margin: 1.5em 0 2.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.95em; color: #444; margin-top: 0.3em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f3f3; }
.note { color: #555; font-size: 0.92em; } .swatch { display: inline-block; width: 0.9em; height: 0.9em;
        margin-right: 0.3em; vertical-align: middle; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
nav ul { columns: 2; font-size: 0.95em; }
"""


def _write_bytes(path: Path, payload: bytes) -> None:
    """Write to a temporary name and rename, so a file with the final name is always whole."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def _cell(x: float, lang: str, money: bool) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    if money:
        unit = {"en": ("M", "k"), "nl": ("mln", "dzd")}[lang]
        return (f"{figures.number(x / 1e6, lang, 1)} {unit[0]}" if abs(x) >= 1e6
                else f"{figures.number(x / 1e3, lang, 0)} {unit[1]}")
    return figures.number(x, lang, 0)


def headline_years(res: Results, wanted: tuple[int, ...]) -> tuple[list[int], str]:
    have = set(int(y) for y in res.comparison.year.unique())
    years = [y for y in wanted if y in have]
    note = ""
    if len(years) < len(wanted):
        last = max(have)
        if last not in years:
            years.append(last)
        note = word("missing_years", "en", years=", ".join(map(str, wanted)), shown=", ".join(map(str, years)))
    return years, note


def headline_table(res: Results, year: int, lang: str) -> str:
    c = res.comparison
    c = c[(c.municipality_code == REGION) & (c.year == year)]
    colours = figures.scenario_colours(res)
    head = [f"<th>{word('measure', lang)}</th>", f"<th>{html.escape(figures.baseline_label(res, lang))}</th>"]
    head += [f"<th><span class='swatch' style='background:{colours[s]}'></span>{html.escape(s)}</th>"
             for s in res.scenarios]
    rows = []
    for m in HEADLINE:
        money = m.startswith(("cum_policy", "eur_per"))
        title, unit = MEASURES[m][lang]
        cells = [f"<td>{html.escape(title)} ({html.escape(unit)})</td>"]
        sub = c[c.measure == m]
        base = sub.baseline_mean.dropna()
        cells.append(f"<td>{_cell(float(base.iloc[0]) if len(base) else np.nan, lang, money)}</td>")
        for s in res.scenarios:
            r = sub[sub.scenario == s]
            if r.empty:
                cells.append("<td>-</td>")
                continue
            r = r.iloc[0]
            mid = _cell(r.difference_mean, lang, money)
            if not money and np.isfinite(r.difference_mean):
                mid = ("+" if r.difference_mean > 0 else "") + mid
            band = (f" [{_cell(r.difference_p05, lang, money)}, {_cell(r.difference_p95, lang, money)}]"
                    if np.isfinite(r.difference_p05) else "")
            cells.append(f"<td>{mid}{band}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{''.join(head)}</tr>{''.join(rows)}</table>"


def _settings(res: Results, lang: str) -> str:
    parts = []
    for s in [res.baseline, *res.scenarios]:
        man = res.manifests.get(s, {})
        parts.append(f"<h3>{html.escape(s)}</h3>")
        parts.append(f"<p>{html.escape(str(man.get('description', '')))}</p>")
        parts.append(f"<p class='note'>{html.escape(str(man.get('scenario_file', '')))}</p>")
        if s == res.baseline:
            continue
        diffs = data.parameter_differences(res, s)
        parts.append(f"<p><b>{word('settings_diff', lang)}</b></p>")
        if not diffs:
            parts.append(f"<p>{word('no_diff', lang)}</p>")
            continue
        rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(_short(b))}</td>"
                       f"<td>{html.escape(_short(v))}</td></tr>" for k, b, v in diffs)
        parts.append(f"<table><tr><th>{word('parameter', lang)}</th><th>{html.escape(res.baseline)}</th>"
                     f"<th>{html.escape(s)}</th></tr>{rows}</table>")
    parts.append(f"<h3>{word('comparison_meta', lang)}</h3><pre>{html.escape(json.dumps(res.meta, indent=2))}</pre>")
    man = res.manifests.get(res.baseline, {})
    parts.append(f"<details><summary>{word('manifest_full', lang, seed=man.get('seed', '?'))}</summary>"
                 f"<pre>{html.escape(json.dumps(man, indent=2, sort_keys=True, default=str))}</pre></details>")
    return "\n".join(parts)


def _short(v) -> str:
    text = json.dumps(v, default=str, ensure_ascii=False)
    return text if len(text) <= 300 else text[:297] + "..."


def build_report(folder: str | Path, lang: str = "nl", out: str | Path | None = None,
                 years: tuple[int, ...] = (2030, 2040)) -> Path:
    """Write ``<out>/report.html`` and ``<out>/<figure>.png`` for a ``run.py compare`` folder; return the HTML path.

    ``out`` defaults to ``<folder>/report/<lang>``.
    """
    if lang not in LANGS:
        raise ReportError(f"--lang {lang!r}: expected one of {', '.join(LANGS)}")
    res = data.load(folder)
    out = Path(out) if out else Path(folder) / "report" / lang
    out.mkdir(parents=True, exist_ok=True)
    figs = figures.all_figures(res, lang)
    blocks, toc = [], []
    for f in figs:
        png = f.png()
        _write_bytes(out / f"{f.id}.png", png)
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        toc.append(f"<li><a href='#{f.id}'>{html.escape(f.title)}</a></li>")
        blocks.append(f"<figure id='{f.id}'><img src='{uri}' alt='{html.escape(f.title, quote=True)}'>"
                      f"<figcaption>{html.escape(f.caption)} ({f.id}.png)</figcaption></figure>")
        f.figure.clear()
    hyears, note = headline_years(res, years)
    if note and lang == "nl":
        note = word("missing_years", "nl", years=", ".join(map(str, years)), shown=", ".join(map(str, hyears)))
    tables = "".join(f"<h3>{y}</h3>{headline_table(res, y, lang)}" for y in hyears)
    end = max(res.years)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(word('title', lang))}</title><style>{CSS}</style></head>
<body>
<h1>{html.escape(word('title', lang))}</h1>
<p><b>{html.escape(word('subtitle', lang, end=end))}</b><br>
<span class="note">{html.escape(res.folder.name)} &middot; {len(res.seeds)} seeds &middot; scale {res.scale} &middot;
code {html.escape(res.code_version[:12])} &middot; {now}</span></p>
<p>{html.escape(word('how_to_read', lang))}</p>
<h2 id="headline">{word('headline', lang)}</h2>
<p class="note">{html.escape(word('headline_note', lang, seeds=len(res.seeds)))} {html.escape(note)}</p>
{tables}
<h2>{word('figures', lang)}</h2>
<nav><ul>{''.join(toc)}</ul></nav>
{''.join(blocks)}
<h2 id="settings">{word('settings', lang)}</h2>
{_settings(res, lang)}
<p class="note">{html.escape(word('made', lang, folder=str(folder), language=lang))}</p>
</body></html>
"""
    path = out / "report.html"
    _write_bytes(path, page.encode("utf-8"))
    return path


__all__ = ["build_report", "ReportError", "measure_title"]
