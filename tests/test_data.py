"""The fact loader (model.data): known figures, errors that say what is missing, wijk shares."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from model.data import (
    DRENTHE_CODES,
    MUNICIPALITIES,
    MUNICIPALITY_CODES,
    Facts,
    MissingFactError,
    default_data_dir,
    file_sha256,
    load_facts,
    load_wijken,
)

# CBS Kerncijfers wijken en buurten 2019 (84583NED), 1 January 2019.
KNOWN_2019 = [
    ("Emmen", "GM0114", "AantalInwoners", 107113),
    ("Emmen", "GM0114", "HuishoudensTotaal", 48429),
    ("Emmen", "GM0114", "Woningvoorraad", 49187),
    ("Emmen", "GM0114", "Mannen", 53289),
    ("Emmen", "GM0114", "k_65JaarOfOuder", 24148),
    ("Coevorden", "GM0109", "AantalInwoners", 35483),
    ("Borger-Odoorn", "GM1681", "AantalInwoners", 25372),
    ("Aa en Hunze", "GM1680", "AantalInwoners", 25386),
    ("Hoogeveen", "GM0118", "AantalInwoners", 55662),
    ("Hardenberg", "GM0160", "AantalInwoners", 60574),
]


@pytest.mark.parametrize(("name", "code", "variable", "value"), KNOWN_2019)
def test_known_2019_figures_by_name_and_code(facts, name, code, variable, value):
    assert facts.value(name, 2019, variable) == value
    assert facts.value(code, 2019, variable) == value
    assert facts.value(code, "2019", variable) == value  # year as text
    fact = facts.fact(code, 2019, variable)
    assert fact.geography == name and fact.code == code
    assert "CBS" in fact.source


def test_six_municipalities_with_codes():
    assert len(MUNICIPALITIES) == 6
    assert len(set(MUNICIPALITY_CODES)) == 6
    assert set(DRENTHE_CODES) == set(MUNICIPALITY_CODES) - {"GM0160"}  # Hardenberg is in Overijssel


def test_2019_sex_and_age_groups_add_up_to_population(facts):
    for code in MUNICIPALITY_CODES:
        pop = facts.value(code, 2019, "AantalInwoners")
        assert facts.value(code, 2019, "Mannen") + facts.value(code, 2019, "Vrouwen") == pop
        groups = ["k_0Tot15Jaar", "k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar", "k_65JaarOfOuder"]
        assert sum(facts.value(code, 2019, g) for g in groups) == pop


def test_missing_year_names_file_variable_and_available_years(facts):
    with pytest.raises(MissingFactError) as exc:
        facts.value("GM0114", 2015, "AantalInwoners")
    msg = str(exc.value)
    assert "facts.csv" in msg and str(facts.path) in msg
    assert "AantalInwoners" in msg
    assert "Emmen" in msg and "2015" in msg
    assert "2012, 2017, 2018, 2019" in msg  # the years that do have the figure


def test_missing_variable_says_no_year_has_it(facts):
    with pytest.raises(MissingFactError) as exc:
        facts.value("Emmen", 2019, "NoSuchVariable")
    msg = str(exc.value)
    assert "NoSuchVariable" in msg and "facts.csv" in msg and "no year has this variable" in msg


def test_missing_fact_error_is_a_lookup_error_exported_by_the_package(facts):
    import model

    assert model.MissingFactError is MissingFactError
    with pytest.raises(LookupError):
        facts.value("Nowhere", 2019, "AantalInwoners")


def test_non_numeric_value_raises_missing_fact(facts):
    # facts.csv holds a few qualitative rows; value() must refuse them rather than return garbage
    assert facts.has("Coevorden", 2019, "migration_balance_sign")
    with pytest.raises(MissingFactError, match="not a number"):
        facts.value("Coevorden", 2019, "migration_balance_sign")


def test_has_and_years(facts):
    assert facts.has("GM0114", 2019, "AantalInwoners")
    assert not facts.has("GM0114", 2015, "AantalInwoners")
    assert facts.years("GM0114", "AantalInwoners") == ["2012", "2017", "2018", "2019"]
    assert facts.years("Emmen", "NoSuchVariable") == []


def test_loader_is_cached_and_hash_matches_file(facts):
    assert load_facts() is facts
    assert facts.path == default_data_dir() / "facts.csv"
    expected = hashlib.sha256(Path(facts.path).read_bytes()).hexdigest()
    assert facts.sha256() == expected == file_sha256(facts.path)


def test_missing_fact_file_names_the_path(tmp_path):
    with pytest.raises(MissingFactError, match=str(tmp_path / "facts.csv")):
        load_facts(str(tmp_path))


def test_alternative_data_dir(tmp_path):
    (tmp_path / "facts.csv").write_text(
        "geography,code,year,variable,value,unit,source,note\n"
        "Emmen,GM0114,2019,AantalInwoners,1,persons,test,\n", encoding="utf-8")
    f = load_facts(str(tmp_path))
    assert f.value("GM0114", 2019, "AantalInwoners") == 1
    with pytest.raises(MissingFactError, match="2019"):
        f.value("GM0114", 2018, "AantalInwoners")


# -- wijken ---------------------------------------------------------------------------------------------
# Shares are published with 5 decimals: with up to ~40 wijken the rounding error of a sum is below
# 40 * 0.000005 = 0.0002; 0.001 leaves room without hiding a missing wijk (the smallest share is ~0.002).
SHARE_TOLERANCE = 1e-3


@pytest.mark.parametrize("code", MUNICIPALITY_CODES)
def test_wijk_shares_sum_to_one_per_municipality(wijken, code):
    mine = [w for w in wijken if w.municipality_code == code]
    assert len(mine) >= 2
    assert sum(w.share_of_municipal_dwellings for w in mine) == pytest.approx(1.0, abs=SHARE_TOLERANCE)
    assert sum(w.share_of_municipal_population for w in mine) == pytest.approx(1.0, abs=SHARE_TOLERANCE)
    assert all(0.0 <= w.share_of_municipal_dwellings <= 1.0 for w in mine)
    # CBS wijk codes are WK + the municipality's four digits + two digits
    assert all(w.code.startswith("WK" + code[2:]) and len(w.code) == 8 for w in mine)


def test_wijk_codes_unique_and_only_the_six_municipalities(wijken):
    codes = [w.code for w in wijken]
    assert len(codes) == len(set(codes))
    assert {w.municipality_code for w in wijken} == set(MUNICIPALITY_CODES)


def test_wijk_file_missing_a_municipality_is_rejected(tmp_path):
    path = tmp_path / "wijk_shares.csv"
    path.write_text("wijk_code,municipality_code,municipality,share_of_municipal_dwellings,"
                    "share_of_municipal_population\nWK011400,GM0114,Emmen,1.0,1.0\n", encoding="utf-8")
    with pytest.raises(MissingFactError) as exc:
        load_wijken(path)
    assert "GM0109" in str(exc.value) and str(path) in str(exc.value)


def test_facts_constructor_missing_file(tmp_path):
    with pytest.raises(MissingFactError, match="not found"):
        Facts(tmp_path / "nope.csv")
