"""Explore one scenario year by year in the browser: Mesa's SolaraViz on the housing model.

    pip install '.[app]'          # solara, altair (Mesa's [viz] extra)
    solara run app/app.py         # then open the address it prints (http://localhost:8765)

The controls are levers of ``scenarios/combined.toml`` (a Transformatiefonds and a proeftuin per
municipality): the seed, the last year, the proeftuin budget and the fund's contributions as two totals in
EUR million (spread over the funders, municipalities and years in the proportions of the scenario file; 0
switches the policy off), and the fund's leverage. Press Reset after changing a control, then Step (one
year) or play. The plots are the model's indicators for the six municipalities together, per 1 January.

``HousingModel`` is wrapped rather than handed to SolaraViz directly: its ``scenario`` attribute is the
housing parameter set, while SolaraViz expects Mesa's own ``Scenario`` there when it rebuilds a model.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from model import load_scenario
from model.core import HousingModel
from model.indicators import measure

SCENARIO_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "combined.toml"
BASE = load_scenario(SCENARIO_FILE)
FUND_EUR = sum(v for table in BASE.fund.fund_contributions_eur.values() for v in table.values())
PROEFTUIN_EUR = sum(BASE.proeftuin.proeftuin_budget_eur.values())

#: model-level indicators of the six municipalities together (DataCollector name -> unit, for the axes)
UNITS = {
    "Population": "persons", "Households": "households", "Vacancy rate": "% of dwellings",
    "Unsellable homes": "dwellings", "Low-income owners in E-G homes": "households",
    "Energy-poor households": "households", "Persons 75+ in homes not lifetime-proof": "persons",
    "Dwellings with label E-G": "% of dwellings", "Fund cash": "EUR million", "Proeftuin budget left": "EUR million",
}


def levers(proeftuin_meur: float, fund_meur: float, fund_leverage: float) -> dict:
    """Scenario overrides from the controls: the scenario file's budget tables scaled to the chosen totals."""
    f = fund_meur * 1e6 / FUND_EUR
    contributions = {who: {y: v * f for y, v in table.items()} for who, table in
                     BASE.fund.fund_contributions_eur.items()}
    p = proeftuin_meur * 1e6 / PROEFTUIN_EUR
    budget = {code: v * p for code, v in BASE.proeftuin.proeftuin_budget_eur.items()}
    return {
        "fund_contributions_eur": contributions,
        "fund_total_budget_eur": sum(v for t in contributions.values() for v in t.values()),
        "fund_leverage": float(fund_leverage),
        "proeftuin_budget_eur": budget,
        "proeftuin_total_budget_eur": sum(budget.values()),
    }


class HousingView(mesa.Model):
    """A Mesa model around one ``HousingModel`` run: one step is one year; the DataCollector holds the region's
    indicators on 1 January of every year so far."""

    def __init__(self, rng=1, scale: float = 0.02, end_year: int = 2040, proeftuin_meur: float = 4.0,
                 fund_meur: float = 10.0, fund_leverage: float = 1.0):
        seed = int(rng)
        super().__init__(rng=seed)
        self.housing = HousingModel(SCENARIO_FILE, rng=seed, scale=scale, end_year=int(end_year),
                                    **levers(proeftuin_meur, fund_meur, fund_leverage))
        self.year = self.housing.year
        self.datacollector = mesa.DataCollector(model_reporters={
            "year": "year", **{name: (lambda m, n=name: m.indicators[n]) for name in UNITS}})
        self._measure()
        self.datacollector.collect(self)

    def _measure(self) -> None:
        h = self.housing
        s = {k: np.asarray(v, float).sum() for k, v in measure(h).items()
             if k not in ("mean_household_size", "vacancy_rate", "mean_value_eur", "median_value_eur",
                          "mean_condition")}
        efg = s["label_E"] + s["label_F"] + s["label_G"]
        ledger = h.fund.ledger.rows[-1] if h.fund.ledger.rows else None
        self.indicators = {
            "Population": s["population"], "Households": s["households"],
            "Vacancy rate": 100.0 * s["vacant_dwellings"] / max(s["dwellings"], 1),
            "Unsellable homes": s["unsellable"], "Low-income owners in E-G homes": s["low_income_owners_in_EFG"],
            "Energy-poor households": s["energy_poor_households"],
            "Persons 75+ in homes not lifetime-proof": s["persons_75plus_not_lifetime_proof"],
            "Dwellings with label E-G": 100.0 * efg / max(s["dwellings"], 1),
            "Fund cash": 0.0 if ledger is None else ledger["cash_end_eur"] / h.scenario.run.scale / 1e6,
            "Proeftuin budget left": s["proeftuin_budget_left_eur"] / 1e6,
        }

    def step(self) -> None:
        """One year of the housing model, then the indicators of the new 1 January (nothing after the end year)."""
        if not self.housing.running:
            self.running = False
            return
        self.housing.step()
        self.year = self.housing.year
        self.running = self.housing.running
        self._measure()
        self.datacollector.collect(self)


def _axes_labels(unit: str):
    def post_process(ax):
        ax.set_xlabel("years since 1 January 2019")
        ax.set_ylabel(unit)
    return post_process


@solara.component
def YearCard(model):
    """The year shown and the headline numbers of the current 1 January."""
    update_counter.get()
    ind = model.indicators
    solara.Markdown(
        f"### 1 January {model.year}\n"
        f"Population {ind['Population']:,.0f} &middot; households {ind['Households']:,.0f} &middot; "
        f"vacancy {ind['Vacancy rate']:.1f} % &middot; label E-G {ind['Dwellings with label E-G']:.1f} % "
        f"&middot; low-income owners in E-G homes {ind['Low-income owners in E-G homes']:,.0f}")


@solara.component
def LabelChart(model):
    """Energy labels of the stock on the current 1 January (bar chart)."""
    update_counter.get()
    stock = measure(model.housing)
    labels = "ABCDEFG"
    counts = np.array([np.asarray(stock[f"label_{x}"], float).sum() for x in labels])
    fig = Figure(figsize=(5, 3), layout="constrained")
    ax = fig.subplots()
    ax.bar(list(labels), 100 * counts / max(counts.sum(), 1), color="#0072B2")
    ax.set_xlabel("energy label")
    ax.set_ylabel("% of dwellings")
    ax.set_title(f"Energy labels, 1 January {model.year}")
    solara.FigureMatplotlib(fig, format="png")


model_params = {
    "rng": {"type": "InputText", "value": 1, "label": "Seed"},
    "scale": 0.02,  # fixed: 2 % of the population simulated, a few seconds for the whole run
    "end_year": {"type": "SliderInt", "value": 2040, "label": "Last year", "min": 2021, "max": 2050, "step": 1},
    "proeftuin_meur": {"type": "SliderFloat", "value": 4.0, "label": "Proeftuin budget (EUR million)",
                       "min": 0.0, "max": 20.0, "step": 0.5},
    "fund_meur": {"type": "SliderFloat", "value": 10.0, "label": "Transformatiefonds contributions (EUR million)",
                  "min": 0.0, "max": 50.0, "step": 1.0},
    "fund_leverage": {"type": "SliderFloat", "value": 1.0, "label": "Fund leverage (loans per EUR contributed)",
                      "min": 0.0, "max": 3.0, "step": 0.25},
}

COLOURS = {  # Okabe-Ito
    "Population": "#000000", "Households": "#0072B2", "Vacancy rate": "#D55E00", "Unsellable homes": "#CC79A7",
    "Low-income owners in E-G homes": "#E69F00", "Energy-poor households": "#009E73",
    "Persons 75+ in homes not lifetime-proof": "#56B4E9", "Dwellings with label E-G": "#0072B2",
    "Fund cash": "#009E73", "Proeftuin budget left": "#E69F00",
}
components = [YearCard, LabelChart] + [
    make_plot_component({name: COLOURS[name]}, post_process=_axes_labels(unit)) for name, unit in UNITS.items()]

model = HousingView()
page = SolaraViz(model, components=components, model_params=model_params,
                 name="Housing model Zuid- en Oost-Drenthe: combined scenario, year by year")
page  # noqa: B018
