"""The report's figures (matplotlib, no pyplot state, Agg canvas).

Good practice kept throughout: units on every value axis, fonts of 10-13 pt at 150 dpi, the Okabe-Ito
palette (colour-blind safe) with the baseline always black, uncertainty as 5-95 % bands over seeds, and a
source line under every figure.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from model.state import LABELS

from . import data
from .data import Results
from .text import LEDGER, measure_title, measure_unit, word

#: Okabe & Ito (2008), colour-blind safe. The baseline is always black.
BASELINE_COLOUR = "#000000"
OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
GREY = "#999999"
STYLE = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "xtick.labelsize": 10, "ytick.labelsize": 10,
    "legend.fontsize": 10, "figure.titlesize": 14, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#dddddd", "grid.linewidth": 0.6, "lines.linewidth": 2.0,
    "savefig.dpi": 150, "figure.dpi": 150, "font.family": "DejaVu Sans",
}
BAND_ALPHA = 0.22


@dataclass
class Fig:
    id: str
    title: str
    caption: str
    figure: Figure

    def png(self) -> bytes:
        buf = io.BytesIO()
        with matplotlib.rc_context(STYLE):
            FigureCanvasAgg(self.figure)
            self.figure.savefig(buf, format="png", dpi=150, facecolor="white")
        return buf.getvalue()


def baseline_label(res: Results, lang: str) -> str:
    """'baseline', with the scenario's name when that is not simply 'baseline'."""
    w = word("baseline", lang)
    return w if res.baseline.lower() in (w.lower(), "baseline") else f"{w} ({res.baseline})"


def scenario_colours(res: Results) -> dict[str, str]:
    colours = {res.baseline: BASELINE_COLOUR}
    for i, s in enumerate(res.scenarios):
        colours[s] = OKABE_ITO[i % len(OKABE_ITO)]
    return colours


def number(x: float, lang: str, decimals: int = 0) -> str:
    """A number with the thousands separator of the language (nl: 12.345,6; en: 12,345.6)."""
    if x is None or not np.isfinite(x):
        return "-"
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".") if lang == "nl" else s


class LangFormatter(Formatter):
    """Tick labels with the language's separators and as many decimals as the tick spacing needs."""

    def __init__(self, lang: str):
        self.lang = lang
        self.decimals = 0

    def set_locs(self, locs):
        super().set_locs(locs)
        steps = np.diff(np.sort(np.asarray(locs, float)))
        step = steps[steps > 0].min() if (steps > 0).any() else 1.0
        self.decimals = 0 if step >= 1 else min(int(np.ceil(-np.log10(step) - 1e-9)), 4)

    def __call__(self, x, pos=None):
        return number(0.0 if abs(x) < 1e-12 else x, self.lang, self.decimals)


def _new(res: Results, lang: str, width: float, height: float, title: str, source_key: str = "source") -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
    fig.suptitle(title, fontsize=STYLE["figure.titlesize"], fontweight="bold")
    src = word(source_key, lang, code=res.code_version[:10], seeds=len(res.seeds), scale=res.scale,
               folder=res.folder.name)
    # the source line as the figure's x label: constrained layout keeps room for it under the panels
    fig.supxlabel(src, x=0.005, ha="left", fontsize=8.5, color="#555555")
    return fig


def _head_body(fig: Figure, head_inch: float = 0.45):
    """A strip under the title for a shared legend, and the panels' area below it."""
    height = fig.get_figheight()
    with matplotlib.rc_context(STYLE):
        head, body = fig.subfigures(2, 1, height_ratios=[head_inch, height - head_inch - 0.8])
    return head, body


def _legend(head, handles, labels, ncols: int) -> None:
    with matplotlib.rc_context(STYLE):
        head.legend(handles, labels, loc="center", ncols=ncols, frameon=False)


def _axes(fig: Figure, nrows: int, ncols: int, **kw):
    with matplotlib.rc_context(STYLE):
        return np.atleast_2d(fig.subplots(nrows, ncols, squeeze=False, **kw))


def _style_axis(ax, lang: str, ylabel: str | None = None, xlabel: str | None = None) -> None:
    ax.yaxis.set_major_formatter(LangFormatter(lang))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    if ylabel:
        ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)


def _band(ax, s, colour: str, label: str | None = None, linestyle: str = "-", zorder: int = 2,
          band: bool = True) -> None:
    s = s.dropna(subset=["mean"])
    if s.empty:
        return
    x = s.index.to_numpy(int)
    if band:
        ax.fill_between(x, s["p05"].to_numpy(float), s["p95"].to_numpy(float),
                        color=colour if colour != BASELINE_COLOUR else GREY, alpha=BAND_ALPHA, linewidth=0,
                        zorder=zorder)
    ax.plot(x, s["mean"].to_numpy(float), color=colour, label=label, linestyle=linestyle, zorder=zorder + 1)


def level_and_difference(res: Results, measure: str, lang: str) -> Fig:
    """Top row: baseline and scenario over time with bands; bottom row: paired difference with band."""
    colours = scenario_colours(res)
    n = len(res.scenarios)
    title = f"{measure_title(measure, lang)} - {word('region', lang)}"
    fig = _new(res, lang, max(4.2 * n, 7.0), 6.6, title)
    axes = _axes(fig, 2, n, sharex=True, sharey="row")
    unit = measure_unit(measure, lang)
    base = data.level(res, res.baseline, measure)
    for j, scen in enumerate(res.scenarios):
        top, bottom = axes[0, j], axes[1, j]
        _band(top, base, BASELINE_COLOUR, baseline_label(res, lang))
        _band(top, data.level(res, scen, measure), colours[scen], scen)
        top.set_title(scen, color=colours[scen], fontweight="bold")
        top.legend(loc="best", frameon=False)
        bottom.axhline(0, color=BASELINE_COLOUR, linewidth=0.8)
        _band(bottom, data.difference(res, scen, measure), colours[scen], scen)
        _style_axis(top, lang, unit if j == 0 else None)
        _style_axis(bottom, lang, f"{unit}\n{word('difference', lang)}" if j == 0 else None, word("year", lang))
    return Fig(f"{measure}", title, word("caption_level", lang), fig)


def municipalities(res: Results, measure: str, lang: str, mode: str = "level") -> Fig:
    """Small multiples, one panel per municipality: levels of all scenarios, or differences from the baseline."""
    colours = scenario_colours(res)
    title = f"{measure_title(measure, lang)} - {word('per_municipality', lang)}"
    fig = _new(res, lang, 12.0, 7.8, title)
    head, body = _head_body(fig)
    ncols = 3
    nrows = int(np.ceil(len(res.municipalities) / ncols))
    axes = _axes(body, nrows, ncols, sharex=True)
    unit = measure_unit(measure, lang)
    for k, (code, name) in enumerate(res.municipalities):
        ax = axes[k // ncols, k % ncols]
        if mode == "level":
            # the baseline's band (the spread over seeds); scenarios as lines, their differences are shown in the
            # region figures and the difference small multiples
            _band(ax, data.level(res, res.baseline, measure, code), BASELINE_COLOUR, baseline_label(res, lang),
                  zorder=5)
            for scen in res.scenarios:
                _band(ax, data.level(res, scen, measure, code), colours[scen], scen, band=False)
        else:
            ax.axhline(0, color=BASELINE_COLOUR, linewidth=0.8, label=word("baseline", lang))
            for scen in res.scenarios:
                _band(ax, data.difference(res, scen, measure, code), colours[scen], scen)
        ax.set_title(name)
        ylabel = (unit if mode == "level" else f"{unit}\n{word('difference', lang)}") if k % ncols == 0 else None
        _style_axis(ax, lang, ylabel, word("year", lang) if k // ncols == nrows - 1 else None)
    for k in range(len(res.municipalities), nrows * ncols):
        axes[k // ncols, k % ncols].set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    _legend(head, handles, labels, len(labels))
    cap = word("caption_muni_level" if mode == "level" else "caption_muni_diff", lang)
    return Fig(f"municipalities_{measure}", title, cap, fig)


def labels(res: Results, lang: str) -> Fig:
    """Stacked label mix per scenario (mean over seeds) and the E-G share's difference from the baseline."""
    colours = scenario_colours(res)
    names = [res.baseline, *res.scenarios]
    title = f"{measure_title('label_share_pct', lang)} - {word('region', lang)}"
    fig = _new(res, lang, max(3.4 * len(names), 9.0), 8.0, title)
    mosaic = [[f"s{i}" for i in range(len(names))], ["diff"] * len(names)]
    with matplotlib.rc_context(STYLE):
        axd = fig.subplot_mosaic(mosaic, height_ratios=[1.3, 1.0])
    label_colours = matplotlib.colormaps["viridis_r"](np.linspace(0.0, 1.0, len(LABELS)))
    unit = measure_unit("label_share_pct", lang)
    for i, scen in enumerate(names):
        ax = axd[f"s{i}"]
        shares = [data.level(res, scen, f"label_{x}_pct")["mean"] for x in LABELS]
        x = shares[0].index.to_numpy(int)
        ax.stackplot(x, *[s.to_numpy(float) for s in shares], labels=list(LABELS), colors=label_colours,
                     edgecolor="white", linewidth=0.4)
        ax.set_ylim(0, 100)
        ax.set_xlim(x.min(), x.max())
        ax.set_title(scen if scen != res.baseline else baseline_label(res, lang), color=colours[scen],
                     fontweight="bold")
        _style_axis(ax, lang, unit if i == 0 else None)
        if i > 0:
            ax.tick_params(labelleft=False)
    handles, lab = axd["s0"].get_legend_handles_labels()
    fig.legend(handles[::-1], lab[::-1], loc="outside right upper", title="label", frameon=False)
    ax = axd["diff"]
    ax.axhline(0, color=BASELINE_COLOUR, linewidth=0.8, label=word("baseline", lang))
    for scen in res.scenarios:
        _band(ax, data.difference(res, scen, "efg_share_pct"), colours[scen], scen)
    ax.set_title(f"{measure_title('efg_share_pct', lang)}: {word('difference', lang)}")
    _style_axis(ax, lang, word("pp", lang), word("year", lang))
    ax.legend(loc="best", frameon=False, ncols=len(names))
    return Fig("labels", title, word("caption_labels", lang), fig)


def fund_balance(res: Results, lang: str) -> Fig | None:
    scen = data.fund_scenarios(res)
    if not scen:
        return None
    title = word("fund_balance", lang)
    fig = _new(res, lang, max(4.6 * len(scen), 7.0), 4.8, title)
    axes = _axes(fig, 1, len(scen), sharey=True)
    quantities = (("cash_end_eur", OKABE_ITO[1], "-"), ("loan_eur", OKABE_ITO[3], "--"),
                  ("homes_value_eur", OKABE_ITO[2], "-."), ("net_assets_eur", OKABE_ITO[4], ":"))
    for j, s in enumerate(scen):
        ax = axes[0, j]
        ax.axhline(0, color="#666666", linewidth=0.8)
        for col, colour, ls in quantities:
            _band(ax, data.ledger_series(res, s, col) / 1e6, colour, LEDGER[col][lang], ls)
        ax.set_title(s, fontweight="bold")
        _style_axis(ax, lang, word("eur_m", lang) if j == 0 else None, word("year_end", lang))
    axes[0, 0].legend(loc="best", frameon=False)
    return Fig("fund_balance", title, word("caption_fund_balance", lang), fig)


def fund_flows(res: Results, lang: str) -> Fig | None:
    scen = data.fund_scenarios(res)
    if not scen:
        return None
    groups = {
        "in_contributions": ("contributions_rijk_eur", "contributions_province_eur",
                             "contributions_municipalities_eur"),
        "in_borrowed": ("borrowed_eur",), "in_rent": ("rent_eur",), "in_sales_land": ("sales_eur", "land_eur"),
        "out_purchases": ("purchases_eur",), "out_works": ("works_eur", "demolition_eur", "rebuild_eur"),
        "out_management": ("management_eur",), "out_finance": ("interest_eur", "repayment_eur"),
    }
    colours = dict(zip(groups, (*OKABE_ITO, GREY), strict=True))
    title = word("fund_flows", lang)
    fig = _new(res, lang, max(4.6 * len(scen), 8.0), 5.8, title)
    head, body = _head_body(fig, 1.0)
    axes = _axes(body, 1, len(scen), sharey=True)
    for j, s in enumerate(scen):
        ax = axes[0, j]
        led = res.ledgers[res.ledgers.scenario == s]
        mean = led.groupby("year").mean(numeric_only=True)
        x = mean.index.to_numpy(int)
        pos = np.zeros(len(x))
        neg = np.zeros(len(x))
        for g, cols in groups.items():
            v = mean[list(cols)].sum(axis=1).to_numpy(float) / 1e6
            if g.startswith("out_"):
                ax.bar(x, -v, bottom=neg, color=colours[g], label=LEDGER[g][lang], width=0.8)
                neg -= v
            else:
                ax.bar(x, v, bottom=pos, color=colours[g], label=LEDGER[g][lang], width=0.8)
                pos += v
        ax.axhline(0, color=BASELINE_COLOUR, linewidth=0.8)
        ax.set_title(s, fontweight="bold")
        _style_axis(ax, lang, word("eur_m", lang) if j == 0 else None, word("year_end", lang))
    handles, lab = axes[0, 0].get_legend_handles_labels()
    _legend(head, handles, lab, 3)
    return Fig("fund_flows", title, word("caption_fund_flows", lang), fig)


COST_MEASURES = ("eur_per_label_step", "eur_per_low_income_owner_out_of_EFG", "eur_per_energy_poor_household_fewer",
                 "eur_per_person_75plus_in_lifetime_proof_home", "eur_per_long_term_vacant_home_avoided",
                 "deadweight_share_label_steps")


def cost_effectiveness(res: Results, lang: str) -> Fig:
    """Cost per result over time per scenario (bootstrap band over seeds, from comparison.parquet)."""
    colours = scenario_colours(res)
    title = word("cost_effect", lang)
    fig = _new(res, lang, 13.0, 8.2, title, "source_boot")
    head, body = _head_body(fig)
    axes = _axes(body, 2, 3, sharex=True)
    for k, m in enumerate(COST_MEASURES):
        ax = axes[k // 3, k % 3]
        for scen in res.scenarios:
            s = data.comparison_series(res, scen, m)
            if m == "deadweight_share_label_steps":
                s = s * 100.0
                s["p05"], s["p95"] = s["mean"], s["mean"]
            else:
                s = s / 1e3
            _band(ax, s, colours[scen], scen)
        ax.set_title(measure_title(m, lang), fontsize=10.5, wrap=True)
        ylabel = "%" if m.startswith("deadweight") else word("eur_k_per", lang)
        _style_axis(ax, lang, ylabel, word("year", lang) if k // 3 == 1 else None)
    handles, lab = axes[0, 0].get_legend_handles_labels()
    if not handles:
        for ax in axes.flat:
            handles, lab = ax.get_legend_handles_labels()
            if handles:
                break
    _legend(head, handles, lab, max(len(lab), 1))
    return Fig("cost_effectiveness", title, word("caption_cost", lang), fig)


LEVEL_MEASURES = ("population", "households", "vacancy_rate_pct", "unsellable", "mean_value_keur",
                  "low_income_owners_in_EFG", "energy_poor_households", "persons_75plus_not_lifetime_proof")
MUNICIPALITY_FIGURES = (("population", "level"), ("vacancy_rate_pct", "level"),
                        ("low_income_owners_in_EFG", "difference"), ("energy_poor_households", "difference"),
                        ("persons_75plus_not_lifetime_proof", "difference"))


def all_figures(res: Results, lang: str) -> list[Fig]:
    """Every figure of the report, in the order they appear."""
    figs = [level_and_difference(res, m, lang) for m in LEVEL_MEASURES[:5]]
    figs.append(labels(res, lang))
    figs += [level_and_difference(res, m, lang) for m in LEVEL_MEASURES[5:]]
    figs += [f for f in (fund_balance(res, lang), fund_flows(res, lang)) if f is not None]
    figs.append(cost_effectiveness(res, lang))
    figs += [municipalities(res, m, lang, mode) for m, mode in MUNICIPALITY_FIGURES]
    return figs
