"""The interactive view (app/app.py): the page imports and renders, the model steps year by year, and the
controls reach the model on Reset. Skipped where the [app] extra (solara) is not installed."""

import pytest

solara = pytest.importorskip("solara")
v = pytest.importorskip("ipyvuetify")


def test_app_page_imports_and_model_steps():
    # as Mesa's own example tests do: import the app's page, then step its model
    from app import app

    assert app.page is not None
    model = app.HousingView(rng=2, end_year=2023)
    df0 = model.datacollector.get_model_vars_dataframe()
    assert list(df0.year) == [2019]
    for _ in range(6):  # past the end year: the model stops by itself
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df.year) == [2019, 2020, 2021, 2022, 2023]
    assert not model.running
    assert set(app.UNITS) <= set(df.columns)
    assert (df["Population"] > 100_000).all()
    assert df["Fund cash"].iloc[-1] > 0  # the combined scenario's fund received its contributions


def test_levers_match_the_chosen_totals():
    from app import app

    o = app.levers(proeftuin_meur=2.0, fund_meur=20.0, fund_leverage=0.5)
    assert o["fund_total_budget_eur"] == pytest.approx(20e6)
    assert sum(v for t in o["fund_contributions_eur"].values() for v in t.values()) == pytest.approx(20e6)
    assert sum(o["proeftuin_budget_eur"].values()) == pytest.approx(2e6)
    model = app.HousingView(rng=1, end_year=2021, proeftuin_meur=0.0, fund_meur=0.0)
    assert model.housing.scenario.fund.fund_total_budget_eur == 0
    assert model.indicators["Proeftuin budget left"] == 0


def test_page_renders_steps_and_resets_with_the_controls():
    from mesa.visualization import SolaraViz

    from app import app

    model = solara.reactive(app.HousingView(rng=3, end_year=2024))
    page = solara.AppLayout(children=[SolaraViz(model, components=app.components, model_params=app.model_params)])
    _, rc = solara.render(page, handle_error=False)
    rc.find(v.Btn, children=["Step"]).widget.fire_event("click", {})
    assert model.value.year == 2020 and model.value.steps == 1
    assert len(model.value.datacollector.get_model_vars_dataframe()) == 2
    rc.find(v.Slider, label="Transformatiefonds contributions (EUR million)").widget.v_model = 0.0
    rc.find(v.Slider, label="Last year").widget.v_model = 2022
    rc.find(v.Btn, children=["Reset"]).widget.fire_event("click", {})
    assert model.value.year == 2019
    assert model.value.housing.scenario.fund.fund_total_budget_eur == 0
    assert model.value.housing.scenario.run.end_year == 2022
