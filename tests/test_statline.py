"""The CBS StatLine loader (calibration/statline.py) on small files in the shape of StatLine exports."""

import json
from pathlib import Path

import pytest

from calibration.calibrate import Executor, Problem
from calibration.statline import StatlineError, read_statline, targets_from_statline
from calibration.targets import load_targets, read_targets
from model import Scenario

DATA = Path(__file__).parent / "data"


def by_key(rows):
    return {(c, y, v): x for c, y, v, x in rows}


def test_typed_csv_needs_a_year_and_keeps_only_the_six_municipalities():
    with pytest.raises(StatlineError, match="Perioden"):
        read_statline(DATA / "statline_kwb2019_typed.csv")
    rows = by_key(read_statline(DATA / "statline_kwb2019_typed.csv", year=2019))
    assert {c for c, _, _ in rows} == {"GM0114", "GM0109", "GM1681"}  # not NL00, not the wijk row
    assert rows[("GM0114", 2019, "AantalInwoners")] == 107113
    assert rows[("GM0114", 2019, "Koopwoningen_pct")] == 62
    assert rows[("GM0114", 2019, "k_65JaarOfOuder_pct")] == pytest.approx(100 * 24148 / 107113)
    assert ("GM1681", 2019, "GemiddeldAardgasverbruik") not in rows  # '.' is missing, not zero


def test_statline_figures_equal_the_targets_built_from_facts():
    """The same CBS figures read from an export give the same target rows as calibration/targets.csv."""
    shipped = {t.target_id: t for t in read_targets()}
    new = targets_from_statline(DATA / "statline_kwb2019_typed.csv", year=2019)
    assert len(new) == 3 * 8 - 1
    for t in new:
        if t.variable == "share_65plus":  # the shipped target is the published whole percentage
            assert abs(t.observed - shipped[t.target_id].observed) < 0.005
        else:
            assert t.observed == pytest.approx(shipped[t.target_id].observed), t.target_id
            assert t.error_scale == pytest.approx(shipped[t.target_id].error_scale)


def test_odata_json_with_nulls_and_other_municipalities():
    rows = by_key(read_statline(DATA / "statline_kwb2019_odata.json", year=2019))
    assert {c for c, _, _ in rows} == {"GM0114", "GM0160"}
    assert rows[("GM0160", 2019, "GemiddeldeWoningwaarde")] == 217
    assert ("GM0160", 2019, "GemiddeldAardgasverbruik") not in rows


def test_website_csv_with_labels_names_periods_and_decimal_commas():
    rows = by_key(read_statline(DATA / "statline_regio_website.csv"))
    assert rows[("GM0114", 2018, "AantalInwoners")] == 107192
    assert rows[("GM1680", 2019, "GemiddeldeHuishoudensgrootte")] == 2.2
    assert rows[("GM1680", 2019, "Woningvoorraad")] == 11257
    assert all(c in ("GM0114", "GM1680") for c, _, _ in rows)  # the province row is dropped
    woz = {t.target_id: t.observed for t in targets_from_statline(DATA / "statline_regio_website.csv")}
    assert woz["mean_woz:GM0114:2018"] == 150000.0


def test_pointing_the_targets_at_a_newer_table(tmp_path):
    """A downloaded table replaces the matching targets; years after 2019 become weight-0 validation targets
    that the calibration never fits."""
    doc = json.loads((DATA / "statline_kwb2019_odata.json").read_text())
    doc["value"][0]["AantalInwoners_5"] = 107000
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"value": [dict(doc["value"][0], Perioden="2019JJ00"),
                                           dict(doc["value"][0], Perioden="2021JJ00", AantalInwoners_5=1)]}))
    base = read_targets()
    targets = load_targets(statline=[newer])
    ids = {t.target_id: t for t in targets}
    assert ids["population:GM0114:2019"].observed == 107000
    assert "CBS StatLine export newer.json" in ids["population:GM0114:2019"].source
    later = ids["population:GM0114:2021"]
    assert (later.kind, later.weight) == ("validation", 0.0)
    assert len(targets) == len(base) + 8  # the eight variables of 2021 added
    prob = Problem(Scenario(), targets, [], (0,), 0.01, Executor("serial"))
    assert "population:GM0114:2021" not in {t.target_id for t in prob.fit_targets}


def test_unreadable_exports_are_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text('"Onderwerp";"Waarde"\n"x";"1"\n')
    with pytest.raises(StatlineError, match="region"):
        read_statline(bad, year=2019)
    bad.write_text('{"value": 3}')
    with pytest.raises(StatlineError, match="value"):
        read_statline(bad, year=2019)
