"""Scenario parameters: frozen, validated dataclasses loaded from TOML.

Every parameter is declared once, here, with its default, allowed range, unit, meaning and source; the
parameter reference (``docs/parameters.md``) is generated from these declarations
(``python run.py params --markdown``). Parameter names are unique across sections, so a single
parameter can be set by its bare name (``total_fertility_rate=1.5``) or as ``section.name``.

A scenario file is TOML with optional top-level ``name``, ``description`` and ``extends`` (a path, relative
to the file, of a scenario whose values this one starts from) and one table per section. An unknown key, a
value of the wrong type or a value out of range raises :class:`ScenarioError`, whose message names the
file, the key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .data import MUNICIPALITY_CODES


class ScenarioError(ValueError):
    """A scenario file or override is invalid; the message says where and what was expected."""


def P(default, low=None, high=None, *, unit="", doc="", source="", kind=None, length=None,
      calibratable=False, choices=None):
    """Declare a parameter: default, allowed range [low, high], unit, meaning and source."""
    if kind is None:
        kind = {bool: "bool", int: "int", float: "float", str: "str", tuple: "floats",
                dict: "by_municipality"}[type(default)]
    meta = dict(low=low, high=high, unit=unit, doc=doc, source=source, kind=kind, length=length,
                calibratable=calibratable, choices=choices)
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: _copy(d), metadata=meta)
    return field(default=default, metadata=meta)


def _copy(v):
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


ASSUMPTION = "assumption of this model (no figure in the fact base); calibrate within the range"


@dataclass(frozen=True)
class RunParams:
    """What is simulated: base year, horizon, scale."""

    base_year: int = P(2019, 2012, 2019, unit="year", kind="int", choices=(2012, 2017, 2018, 2019),
                       doc="Year whose 1 January CBS figures the synthetic stock is built from.",
                       source="years of the CBS KWB panel in calibration/data/facts.csv")
    end_year: int = P(2050, 2013, 2100, unit="year",
                      doc="Last year reported (1 January); the model steps base_year -> end_year.")
    scale: float = P(1.0, 0.001, 1.0, unit="fraction",
                     doc="Share of the population simulated; counts in the output are expanded by 1/scale.")


@dataclass(frozen=True)
class StockParams:
    """The synthetic initial stock: persons, households and dwellings."""

    # Persons in institutions (care homes): in the population, not in households.
    institution_rate_55_79: float = P(
        0.002, 0.0, 0.02, unit="share of persons",
        doc="Share of persons aged 55-79 living in an institution in the base year.",
        source="NL 2016: 116,000 55+ in care homes (2 % of 55+), 30 % of them 90+; most of the rest is "
               "80-89, leaving about 0.2 % for 55-79 (facts.csv persons_55plus_in_care_home)")
    institution_rate_80_89: float = P(
        0.10, 0.03, 0.2, unit="share of persons", calibratable=True,
        doc="Share of persons aged 80-89 living in an institution in the base year.",
        source="CBS, NL 2015: 10 % (facts.csv share_80_90_in_institution)")
    institution_rate_90plus: float = P(
        0.32, 0.1, 0.5, unit="share of persons", calibratable=True,
        doc="Share of persons aged 90+ living in an institution in the base year.",
        source="CBS, NL 2015: 32 % (facts.csv share_90plus_in_institution)")
    # Household composition
    share_single: float = P(0.317, 0.2, 0.5, unit="share of households",
                            doc="One-person households.",
                            source="Drenthe c.2016: 31.7 % (facts.csv share_households_single)")
    share_couple: float = P(0.339, 0.2, 0.5, unit="share of households",
                            doc="Couples without children at home.",
                            source="Drenthe c.2016: 33.9 % (facts.csv share_households_couple_no_children)")
    share_family: float = P(0.278, 0.15, 0.45, unit="share of households",
                            doc="Couples with children at home.",
                            source="Drenthe c.2016: 27.8 % (facts.csv share_households_with_children)")
    share_single_parent: float = P(0.066, 0.02, 0.15, unit="share of households",
                                   doc="Single parents with children at home.",
                                   source="Drenthe c.2016: 6.6 % (facts.csv share_households_single_parent)")
    old_age_cohort_decline: float = P(
        0.02, 0.0, 0.06, unit="per year of age",
        doc="Single-year ages within 65+ follow life-table survivorship times exp(-decline*(age-65)): the "
            "post-war cohorts now 65-75 are larger than older ones.",
        source="assumption; gives about a quarter of the 65+ aged 80+, as in NL 2017 (764,000 80+, "
               "facts.csv deaths_80plus_share)")
    adult_child_age_scale: float = P(
        4.0, 1.0, 10.0, unit="years",
        doc="Adults still living with their parents: selection weight exp(-(age-18)/scale).", source=ASSUMPTION)
    parent_age_mean: float = P(42.0, 30.0, 50.0, unit="years", source=ASSUMPTION,
                               doc="Mean age of adults in households with children (selection profile).")
    parent_age_sd: float = P(9.0, 4.0, 15.0, unit="years", source=ASSUMPTION,
                             doc="Spread of the age of adults in households with children.")
    couple_age_mean: float = P(63.0, 40.0, 75.0, unit="years", source=ASSUMPTION,
                               doc="Mean age of adults in couples without children at home (selection profile).")
    couple_age_sd: float = P(13.0, 5.0, 20.0, unit="years", source=ASSUMPTION,
                             doc="Spread of the age of adults in couples without children at home.")
    # Dwellings
    vacancy_rate_initial: float = P(
        0.03, 0.0, 0.1, unit="share of dwellings", calibratable=True,
        doc="Share of the dwelling stock vacant on 1 January of the base year. Households beyond the "
            "occupied stock live outside the regular stock (recreation homes, non-self-contained units).",
        source="NL 2019 administrative vacancy about 1 % (share_dwellings_vacant_admin); Drenthe 2013 "
               "uninhabited 5.6 %, Borger-Odoorn 9 %, Aa en Hunze 7 % incl. second homes "
               "(share_uninhabited_dwellings)")
    dwelling_count_correction: dict = P(
        {c: 1.0 for c in MUNICIPALITY_CODES}, 0.85, 1.15, unit="factor on the CBS dwelling count",
        calibratable=True,
        doc="Multiplier on the base year's CBS dwelling count (Woningvoorraad) when the stock is built. 1.0 "
            "for the base years 2017-2019 (counts from the BAG). The 2012 KWB counts are on an older basis: "
            "they lie below the households in four of the six municipalities and grow 2012->2019 by 6,157 "
            "dwellings in the five Drenthe municipalities, while all of Drenthe added 3,531 net 2011-2019 "
            "(BAG, facts.csv net_stock_change); the back-cast from 2012 estimates this factor per municipality "
            "(calibration/calibrated_2012.toml) and never applies it to later base years.",
        source="1.0: CBS KWB 2017-2019 (BAG); 2012: estimated by run.py calibrate")
    corporation_share_of_rented: float = P(
        0.674, 0.4, 0.9, unit="share of rented dwellings",
        doc="Share of rented dwellings owned by housing corporations; the rest private landlords.",
        source="NL 2021: corporation 28.8 %, other landlords 13.9 % of dwellings (facts.csv)")
    single_family_type_shares: tuple = P(
        (0.55, 0.20, 0.25), 0.0, 1.0, length=3, unit="shares (terraced, semi-detached, detached)",
        doc="Split of single-family dwellings by type; apartments are the rest of the stock.",
        source="NL 2021: terraced 42 %, detached 13 % of all dwellings (facts.csv share_terraced, "
               "share_detached); more detached homes assumed for this rural region")
    apartment_rented_odds: float = P(
        4.0, 1.0, 20.0, unit="odds ratio", source=ASSUMPTION,
        doc="How much likelier an apartment is rented than owner-occupied, relative to a single-family home.")
    construction_period_shares: tuple = P(
        (0.12, 0.14, 0.18, 0.30, 0.17, 0.09), 0.0, 1.0, length=6,
        unit="shares (<1945, 1945-64, 1965-74, 1975-91, 1992-2005, 2006-)", calibratable=True,
        doc="Construction period of the stock (regional profile: much 1965-1991 'bloemkoolwijk' stock).",
        source=ASSUMPTION)
    floor_area_median_m2: tuple = P(
        (110.0, 130.0, 155.0, 75.0), 20.0, 400.0, length=4,
        unit="m2 (terraced, semi-detached, detached, apartment)", source=ASSUMPTION,
        doc="Median usable floor area by dwelling type (lognormal).")
    floor_area_sigma: float = P(0.25, 0.05, 0.6, unit="log-sd", source=ASSUMPTION,
                                doc="Spread of floor area within a type.")
    ep2_median_by_period: tuple = P(
        (350.0, 320.0, 290.0, 235.0, 180.0, 110.0), 50.0, 700.0, length=6, calibratable=True,
        unit="kWh/m2.yr (per construction period)",
        doc="Median EP2 primary fossil energy by construction period; label follows NTA 8800 bounds.",
        source="chosen so that the label mix resembles NL 2020 (A 22 %, B 17 %, C 28 %; facts.csv "
               "share_label_*) with more E-G, as in comparable krimp regions (FG 14.7-21.7 %)")
    ep2_sigma: float = P(0.20, 0.05, 0.5, unit="log-sd", source=ASSUMPTION, calibratable=True,
                         doc="Spread of EP2 within a construction period (past renovations, type).")
    ep2_apartment_factor: float = P(0.9, 0.6, 1.2, unit="factor", source=ASSUMPTION,
                                    doc="EP2 of apartments relative to single-family homes of the same period.")
    technical_lifetime_years: float = P(
        110.0, 50.0, 200.0, unit="years", source=ASSUMPTION, calibratable=True,
        doc="Scale of the initial condition by age: condition = exp(-age / this) plus noise (homes are "
            "maintained over their life, so old homes are worn, not gone).")
    condition_sd: float = P(0.12, 0.0, 0.4, unit="condition points", source=ASSUMPTION,
                            doc="Spread of initial technical condition around its age-based expectation.")
    lifetime_proof_share_single_family: float = P(
        0.08, 0.0, 0.5, unit="share", source=ASSUMPTION,
        doc="Single-family homes lifetime-proof (bedroom and bathroom without stairs) in the base year.")
    lifetime_proof_share_apartment: float = P(
        0.5, 0.0, 1.0, unit="share", source=ASSUMPTION,
        doc="Apartments lifetime-proof (step-free, lift or ground floor) in the base year.")
    value_area_elasticity: float = P(0.7, 0.2, 1.2, unit="elasticity", source=ASSUMPTION,
                                     doc="Hedonic value: elasticity of value to floor area.")
    value_type_premium: tuple = P(
        (0.0, 0.12, 0.35, -0.10), -1.0, 1.0, length=4, unit="log points (terraced, semi, detached, apartment)",
        source=ASSUMPTION, doc="Hedonic value premium by dwelling type.")
    value_label_step: float = P(0.03, 0.0, 0.1, unit="log points per label step", source=ASSUMPTION,
                                doc="Hedonic value discount per label step below A.")
    value_sigma: float = P(0.2, 0.0, 0.5, unit="log-sd", source=ASSUMPTION,
                           doc="Unexplained spread of dwelling values (location, quality).")
    # Income, wealth, tenure
    income_sigma: float = P(0.45, 0.1, 1.0, unit="log-sd", source=ASSUMPTION, calibratable=True,
                            doc="Spread of personal gross income of adults (lognormal).")
    income_pensioner_ratio: float = P(0.65, 0.3, 1.0, unit="ratio", source=ASSUMPTION,
                                      doc="Median income of adults 67+ relative to working-age adults.")
    income_young_ratio: float = P(0.45, 0.1, 1.0, unit="ratio", source=ASSUMPTION,
                                  doc="Median income of adults 18-24 relative to working-age adults.")
    tenure_income_weight: float = P(
        2.15, 0.0, 5.0, unit="per log-sd of permanent income", calibratable=True,
        doc="How strongly household income (pensions and first incomes put back on the working-age level) "
            "raises the chance of owning, in the synthetic stock.",
        source="set so that the core target group (owners at or below 130 % of the social minimum) in the five "
               "Drenthe Regio Deal municipalities is about 1,600 in the 2019 stock, the 2022 figure "
               "(facts.csv owner_occupier_households_income_le_130pct_social_minimum)")
    tenure_age_weight: float = P(
        0.015, -0.05, 0.1, unit="per year of head age", source=ASSUMPTION,
        doc="How strongly the head's age raises the chance of owning.")
    savings_income_ratio: float = P(0.5, 0.0, 5.0, unit="years of income", source=ASSUMPTION,
                                    doc="Median savings of tenants relative to income (owners twice this).")
    savings_sigma: float = P(1.0, 0.1, 2.0, unit="log-sd", source=ASSUMPTION, doc="Spread of savings.")
    mortgage_ltv_at_purchase: float = P(0.9, 0.5, 1.05, unit="loan-to-value", source=ASSUMPTION,
                                        doc="Loan-to-value when an owner bought the home.")
    mortgage_term_years: float = P(30.0, 10.0, 40.0, unit="years", source="Dutch annuity mortgage term",
                                   doc="Mortgages are repaid linearly over this term from purchase.")


@dataclass(frozen=True)
class IncomeParams:
    """Incomes, savings and mortgages over the years; the income limits that flag low-income households."""

    wage_growth_per_year: float = P(
        0.025, -0.02, 0.08, unit="per year", calibratable=True,
        doc="Nominal growth of personal incomes and of the income limits below (scenario input).",
        source="NL mean income per income recipient EUR 29,500 (2014) -> 39,700 (2023): 3.4 %/yr nominal "
               "(facts.csv GemiddeldInkomenPerInkomensontvanger); 2.5 % as a long-run default")
    savings_rate: float = P(
        0.08, 0.0, 0.4, unit="share of income above 130 % of the social minimum", source=ASSUMPTION,
        doc="Share of the income above the core-group limit that a household saves each year.")
    social_minimum_130_single_eur: float = P(
        21335.0, 10000.0, 40000.0, unit="EUR/yr in prices of income_limits_year",
        doc="Income limit of the core target group (130 % of the social minimum), single-adult household.",
        source="Drenthe 2022 isolation scheme: EUR 21,335 single (facts.csv "
               "owner_occupier_households_income_le_130pct_social_minimum)")
    social_minimum_130_multi_eur: float = P(
        29589.0, 15000.0, 50000.0, unit="EUR/yr in prices of income_limits_year",
        doc="Income limit of the core target group (130 % of the social minimum), household of 2+ adults.",
        source="Drenthe 2022 isolation scheme: EUR 29,589 multiple owners (facts.csv)")
    daeb_income_limit_single_eur: float = P(
        47699.0, 20000.0, 80000.0, unit="EUR/yr in prices of daeb_limits_year",
        doc="Social-rent (DAEB) income limit, one-person household: below it a household is low-income.",
        source="NL 2024: EUR 47,699 (facts.csv DAEB_income_limit_single)")
    daeb_income_limit_multi_eur: float = P(
        52671.0, 20000.0, 90000.0, unit="EUR/yr in prices of daeb_limits_year",
        doc="Social-rent (DAEB) income limit, multi-person household.",
        source="NL 2024: EUR 52,671 (facts.csv DAEB_income_limit_multi)")
    income_limits_year: int = P(2022, 2012, 2030, unit="year", doc="Price year of the 130 % limits; other "
                                "years follow with wage_growth_per_year.", source="the 2022 Drenthe scheme")
    daeb_limits_year: int = P(2024, 2012, 2030, unit="year", doc="Price year of the DAEB limits; other years "
                              "follow with wage_growth_per_year.", source="the 2024 limits in facts.csv")
    energy_poverty_share: float = P(
        0.10, 0.04, 0.25, unit="share of income",
        doc="A low-income household whose energy cost exceeds this share of its income is energy-poor.",
        source="the usual 'high energy quota' definition (10 %); NL 2019: 550,000 energy-poor households, "
               "about 7 % (facts.csv households_energy_poor)")


@dataclass(frozen=True)
class EnergyParams:
    """Energy use, prices and emissions of dwellings."""

    gas_m3_per_ep2_kwh: float = P(
        0.049, 0.02, 0.1, unit="m3 gas per (kWh/m2.yr x m2)", calibratable=True,
        doc="Gas use of a dwelling = this x EP2 x floor area (labels overstate real use: the prebound effect).",
        source="set so that the 2019 stock's mean gas use equals the CBS 2019 municipal averages "
               "(1,330-1,740 m3 per dwelling, facts.csv GemiddeldAardgasverbruik) for the region as a whole")
    electricity_kwh_per_household: float = P(
        2900.0, 1000.0, 6000.0, unit="kWh/yr",
        doc="Electricity use of an occupied dwelling.",
        source="CBS 2019 municipal averages 2,690-3,150 kWh per dwelling (facts.csv "
               "GemiddeldElektriciteitsverbruik)")
    gas_price_eur_m3: dict = P(
        {2019: 0.80}, 0.1, 5.0, kind="path", unit="EUR/m3 incl. taxes, by year",
        doc="Consumer gas price path (scenario input): values in between years are interpolated, after the "
            "last year the last value holds.",
        source="assumption: about EUR 0.80/m3 in 2019 for households incl. taxes (not in facts.csv); a "
               "scenario sets its own path")
    electricity_price_eur_kwh: dict = P(
        {2019: 0.22}, 0.02, 2.0, kind="path", unit="EUR/kWh incl. taxes, by year",
        doc="Consumer electricity price path (scenario input), as gas_price_eur_m3.",
        source="assumption: about EUR 0.22/kWh in 2019 incl. taxes (not in facts.csv)")
    co2_kg_per_m3_gas: float = P(1.78, 1.5, 2.1, unit="kg CO2 per m3",
                                 doc="CO2 emitted per m3 of natural gas burnt.",
                                 source="Dutch standard emission factor for natural gas (56.6 kg/GJ x 31.65 MJ/m3)")


@dataclass(frozen=True)
class DemographyParams:
    """Yearly demographic processes."""

    mortality_improvement_per_year: float = P(
        0.013, 0.0, 0.04, unit="relative decline of q(x) per year", calibratable=True,
        doc="Yearly relative decline of death probabilities from the anchor year 2015.",
        source="NL life tables: q61 men 0.00771 (2015) -> 0.00694 (2023), q81 0.06355 -> 0.0569: "
               "1.3-1.4 %/yr (facts.csv qx_men_age61, qx_men_age81)")
    mortality_multiplier: float = P(1.0, 0.7, 1.4, unit="factor", calibratable=True,
                                    doc="Regional multiplier on national death probabilities.",
                                    source="1.0 = national life table; calibrate")
    institution_mortality_multiplier: float = P(
        2.0, 1.0, 5.0, unit="factor", source="assumption; 46 % of those dying at 80+ lived in a care home "
        "(facts.csv share_deceased_80plus_living_in_care_home_at_death) while about 14 % of 80+ lived there",
        doc="Death probability of persons 65+ in institutions relative to others of the same age and sex.")
    care_entry_rate_75_84: float = P(
        0.012, 0.0, 0.1, unit="per person-year", calibratable=True,
        doc="Yearly probability that a person aged 75-84 in a household moves to a care institution.",
        source="set so that institution shares stay near the 2015 levels (10 % at 80-89, 32 % at 90+)")
    care_entry_rate_85plus: float = P(
        0.07, 0.0, 0.3, unit="per person-year", calibratable=True,
        doc="Yearly probability that a person aged 85+ in a household moves to a care institution.",
        source="set so that institution shares stay near the 2015 levels (10 % at 80-89, 32 % at 90+)")
    total_fertility_rate: float = P(1.6, 1.0, 2.5, unit="children per woman", calibratable=True,
                                    doc="Total fertility rate applied to women aged 15-49.",
                                    source="NL TFR 2014-2019 about 1.6 (CBS 37422); NL 2014 births "
                                           "175,181 (facts.csv GeboorteTotaal)")
    fertility_mean_age: float = P(31.0, 25.0, 35.0, unit="years", source="NL mean age of mothers about 31",
                                  doc="Mean age of mothers at birth (normal age profile).")
    fertility_sd_age: float = P(5.0, 3.0, 8.0, unit="years", source=ASSUMPTION,
                                doc="Spread of the age of mothers at birth.")
    share_male_births: float = P(0.512, 0.5, 0.53, unit="share",
                                 doc="Share of boys among births.",
                                 source="about 105 boys per 100 girls, long-run demographic regularity")
    leave_home_rate: float = P(0.049, 0.02, 0.4, unit="per person-year", calibratable=True,
                               doc="Yearly probability that an adult child (18+) leaves the parental home to "
                                   "form a household in the municipality (leaving the region is out-migration).",
                               source="calibrated so that simulated households 2017->2019 match CBS "
                                      "(python -m calibration.migration)")
    household_formation_factor: dict = P(
        {c: 1.0 for c in MUNICIPALITY_CODES}, 0.1, 5.0, unit="factor on leave_home_rate", calibratable=True,
        doc="Per municipality, a multiplier on leave_home_rate: how readily adult children form their own "
            "household there (local housing supply for starters, student and labour moves that CBS counts "
            "as households). It sets the trend of the household count for a given population.",
        source="calibrated per municipality to the CBS households 2017-2019 (run.py calibrate; 1.0 = no "
               "local difference)")
    partnership_rate: float = P(0.06, 0.0, 0.2, unit="per person-year", calibratable=True,
                                doc="Yearly probability that a single adult aged 20-64 moves in with a partner.",
                                source=ASSUMPTION)
    survivor_income_share: float = P(
        0.6, 0.0, 1.0, unit="share of the deceased partner's income",
        doc="When a partner dies, this share of their income passes to the surviving partner "
            "(survivor's pension, higher single-person state pension).",
        source="assumption; Dutch partner pensions are commonly 70 % of the old-age pension and the single "
               "AOW rate is about 70 % of a couple's")
    separation_rate: float = P(0.012, 0.0, 0.05, unit="per couple-year", calibratable=True,
                               doc="Yearly probability that a couple separates; one partner moves out.",
                               source="assumption; NL about 1 % of marriages end in divorce each year")


@dataclass(frozen=True)
class MigrationParams:
    """Migration into and out of each municipality."""

    out_migration_rate_by_age: tuple = P(
        (0.050, 0.030, 0.012, 0.006, 0.004), 0.0, 0.3, length=5,
        unit="per person-year (head or adult child aged 18-24, 25-34, 35-54, 55-74, 75+)", calibratable=True,
        doc="Yearly probability of leaving the region. A household moves with its head; adult children "
            "living at home leave on their own.",
        source="18-24: Drenthe cohort retention 77 % from 17 to 22 (facts.csv "
               "cohort_retention_age17_to_22) gives 1-0.77^(1/5) = 5 %/yr; older ages: assumption")
    in_migration_per_1000: dict = P(
        {"GM0114": 17.4, "GM0109": 23.1, "GM1681": 22.7, "GM1680": 24.9, "GM0118": 22.3, "GM0160": 21.3},
        0.0, 100.0, unit="persons per 1000 inhabitants per year", calibratable=True,
        doc="In-migrants per year per 1000 inhabitants, as households resembling young local households; "
            "they settle only where a dwelling is vacant.",
        source="reasoned from the CBS panel: set so that the simulated 2017->2019 population change "
               "matches the observed one per municipality (python -m calibration.migration, 4 seeds, scale 0.25)")
    in_migration_growth_before_2019: float = P(
        0.0, -0.1, 0.2, unit="relative change per year", calibratable=True,
        doc="Before 2019 only (the back-cast from 2012): in-migration in year Y is in_migration_per_1000 x "
            "(1 + this)^(Y - 2019), so that the rates are those of 2019 and the years before had fewer (or "
            "more) in-migrants. Immigration into the Netherlands rose through 2014-2019; the fact base has no "
            "national series for it, so the back-cast estimates one regional figure. It never acts from 2019 "
            "on, so the forecasts use the 2019 rates.",
        source="estimated by run.py calibrate (calibration/calibrated_2012.toml); 0 = constant rates")
    in_migrant_head_age_mean: float = P(33.0, 20.0, 60.0, unit="years", source=ASSUMPTION,
                                        doc="Mean head age of in-migrant households.")
    in_migrant_head_age_sd: float = P(10.0, 3.0, 25.0, unit="years", source=ASSUMPTION,
                                      doc="Spread of the head age of in-migrant households.")


@dataclass(frozen=True)
class HousingParams:
    """Where households that need a dwelling find one (a simple rule until the housing market exists)."""

    max_price_to_income: float = P(
        4.5, 2.0, 8.0, unit="x gross household income", calibratable=True,
        doc="A household can buy a dwelling worth at most this multiple of its income plus its savings.",
        source="assumption in the range of Dutch lending norms (NIBUD/Hypotheekwet about 4-5x gross income)")
    buy_share_if_affordable: float = P(
        0.5, 0.0, 1.0, unit="share", calibratable=True, source=ASSUMPTION,
        doc="Share of households able to buy a vacant owner-occupied dwelling that prefer buying to renting.")
    choice_set_size: int = P(
        3, 1, 20, unit="homes", source=ASSUMPTION, calibratable=True,
        doc="A buyer looks at this many random homes within its budget and bids on the one with the lowest "
            "yearly cost of living there (energy cost + user_cost_rate x price); 1 = no preference.")
    user_cost_rate: float = P(
        0.04, 0.0, 0.15, unit="per year of the price", source="assumption: interest, maintenance and "
        "depreciation of an owner-occupied home, about 4 % of its value a year",
        doc="Yearly cost of owning a home as a share of its price, weighed against energy cost by buyers.")
    tenant_buy_rate: float = P(
        0.05, 0.0, 0.3, unit="per tenant household-year", calibratable=True, source=ASSUMPTION,
        doc="Yearly probability that a tenant household looks to buy; it buys an affordable vacant "
            "owner-occupied dwelling in its municipality if there is one, freeing its rented home.")


@dataclass(frozen=True)
class MarketParams:
    """The housing market: national price index, local price formation, moves, unsellable homes."""

    price_vacancy_elasticity: float = P(
        1.0, 0.0, 5.0, unit="price change per unit of excess vacancy rate", calibratable=True,
        doc="Yearly local price change = -this x (vacancy rate of owner-occupied homes of the municipality x "
            "type - natural_vacancy_rate), on top of the national index.",
        source="assumption, to calibrate (MODEL.md: no source gives the price elasticity under shrinkage); "
               "anchor: WOZ 2013-2017 Emmen -10.4 %, Borger-Odoorn -10.3 % against NL -3.1 % (facts.csv WOZ_change)")
    natural_vacancy_rate: float = P(
        0.02, 0.0, 0.1, unit="share of owner-occupied homes", calibratable=True, source=ASSUMPTION,
        doc="Vacancy for sale at which local prices move with the national index alone (frictional vacancy).")
    max_local_price_change: float = P(0.1, 0.0, 0.3, unit="per year", source=ASSUMPTION,
                                      doc="Bound on the yearly local price adjustment, up or down.")
    condition_value_weight: float = P(
        0.5, 0.0, 2.0, unit="relative value change per condition point", calibratable=True, source=ASSUMPTION,
        doc="Values follow the technical condition: a home whose condition fell (rose) by 0.1 since the last "
            "price update loses (gains) this x 10 % of its value.")
    vacant_value_loss: float = P(
        0.03, 0.0, 0.2, unit="per year", source=ASSUMPTION,
        doc="Extra yearly value loss of a home vacant for a year or more (MODEL.md: long-vacant homes lose value).")
    unsellable_after_years: int = P(
        3, 1, 10, unit="years", source=ASSUMPTION,
        doc="An owner-occupied home for sale this long without a buyer counts as unsellable.")
    elderly_move_rate: float = P(
        0.04, 0.0, 0.3, unit="per household-year", calibratable=True, source=ASSUMPTION,
        doc="Yearly probability that a household with a member 75+ in a home that is not lifetime-proof looks "
            "for a lifetime-proof one in its municipality.")
    family_move_rate: float = P(
        0.10, 0.0, 0.5, unit="per household-year", calibratable=True, source=ASSUMPTION,
        doc="Yearly probability that a crowded household of 3+ looks for a larger home in its municipality.")
    crowded_m2_per_person: float = P(25.0, 10.0, 60.0, unit="m2 per person", source=ASSUMPTION,
                                     doc="A household of 3+ with less floor area per person than this is crowded.")

    national_price_growth: dict = P(
        {2019: 0.077, 2020: 0.074, 2021: 0.093, 2022: 0.025}, -0.3, 0.3, kind="path",
        unit="growth of the national mean WOZ value per year, by year",
        doc="Exogenous national house-price index (scenario input): every dwelling's value follows it; the "
            "value in year Y applies from 1 January Y to 1 January Y+1; after the last year the last value holds.",
        source="NL mean WOZ (facts.csv mean_WOZ_value): 216k (2017) -> 270k (2020) = 7.7 %/yr for 2019; "
               "270k -> 290k (2021) -> 317k (2022); from 2022 on 2.5 %/yr, as wages (assumption)")


@dataclass(frozen=True)
class MaintenanceParams:
    """Technical condition: decay with age, maintenance by owners with means, written-off homes.

    Each year a dwelling's condition (0 = end of technical life, 1 = new) falls by
    ``condition_decay_base + condition_decay_per_year_of_age x age`` (times ``vacant_decay_multiplier`` when
    vacant). A dwelling that is maintained that year regains ``maintenance_restore_share`` of what it lacks
    to 1, at ``restoration_cost_eur_m2`` per m2 per condition point; so a home maintained with yearly
    probability p settles near 1 - decay / (p x restore share), and low-income owners fall behind.
    """

    condition_decay_base: float = P(
        0.004, 0.0, 0.05, unit="condition points per year", calibratable=True, source=ASSUMPTION,
        doc="Yearly loss of condition of a new dwelling without maintenance.")
    condition_decay_per_year_of_age: float = P(
        0.0001, 0.0, 0.001, unit="condition points per year, per year of dwelling age", calibratable=True,
        doc="Extra yearly loss of condition per year of the dwelling's age (old homes decay faster).",
        source="assumption; with condition_decay_base the loss is about 1/110 a year at age 50, as the "
               "stock's technical_lifetime_years = 110")
    vacant_decay_multiplier: float = P(
        2.0, 1.0, 5.0, unit="factor", source=ASSUMPTION, calibratable=True,
        doc="Vacant dwellings lose condition this many times faster (no heating, ventilation or upkeep).")
    maintenance_restore_share: float = P(
        0.12, 0.01, 0.5, unit="share of the missing condition", source=ASSUMPTION, calibratable=True,
        doc="A dwelling maintained in a year regains this share of the condition it lacks to 1.")
    restoration_cost_eur_m2: float = P(
        1000.0, 200.0, 3000.0, unit="EUR per m2 per condition point",
        doc="Cost of maintenance: restoring a dwelling from condition 0 to 1 costs this per m2 of floor "
            "area (about a full renovation); a year's maintenance costs it times the points regained.",
        source="assumption: full renovation of an old home EUR 800-1,500 per m2; gives EUR 1,500-3,000 a "
               "year for a well-kept 110 m2 home, about 1 % of its value, the usual rule of thumb")
    maintenance_savings_reserve_eur: float = P(
        2500.0, 0.0, 50000.0, unit="EUR", source=ASSUMPTION,
        doc="An owner-occupier maintains only if its savings exceed the year's maintenance cost by this "
            "reserve.")
    maintenance_prob_owner: float = P(
        0.7, 0.0, 1.0, unit="per dwelling-year", source=ASSUMPTION, calibratable=True,
        doc="Yearly probability that an owner-occupier with the means (savings above the year's "
            "maintenance cost plus maintenance_savings_reserve_eur) maintains the home.")
    maintenance_low_income_factor: float = P(
        0.5, 0.0, 1.0, unit="factor", source=ASSUMPTION, calibratable=True,
        doc="maintenance_prob_owner is multiplied by this for owners with income below the social-rent "
            "(DAEB) limit.")
    maintenance_core_income_factor: float = P(
        0.15, 0.0, 1.0, unit="factor", calibratable=True,
        doc="maintenance_prob_owner is multiplied by this (instead) for owners at or below 130 % of the "
            "social minimum: they fall behind.",
        source="assumption; Regio Deal 2018: many owners on (very) low incomes cannot invest in their home "
               "(MODEL.md); DNB 2022: 21 % of owners cannot pay for making their home sustainable "
               "(facts.csv homeowners_cannot_afford_sustainability)")
    maintenance_prob_corporation: float = P(
        0.9, 0.0, 1.0, unit="per dwelling-year", source=ASSUMPTION,
        doc="Yearly probability that a housing corporation maintains a dwelling (planned maintenance).")
    maintenance_prob_private_landlord: float = P(
        0.6, 0.0, 1.0, unit="per dwelling-year", source=ASSUMPTION,
        doc="Yearly probability that a private landlord maintains a dwelling.")
    write_off_condition: float = P(
        0.05, 0.0, 0.3, unit="condition (0-1)", calibratable=True,
        doc="A dwelling whose condition falls below this is written off ('afgeschreven'): a state that "
            "lasts until the dwelling is demolished or rehabilitated; written-off homes are not maintained "
            "or renovated by their owners.",
        source="assumption; gives about 4 % of the 2019 stock written off, nearly all built before 1945 (most "
               "of them at the stock's condition floor of 0.02)")


@dataclass(frozen=True)
class RenovationParams:
    """Owner-occupiers improving their energy label or making their home lifetime-proof.

    Each year an owner household in a home of label B or worse weighs a *step* (to just inside the next
    better label) and, from label D or worse, a *deep* renovation (to ``deep_renovation_ep2_kwh_m2``, label
    B). Cost follows the EP2 reduction x floor area at a cost per label band, by type and period; the yearly
    gas saving at the year's price is set against the yearly cost of what the household pays itself
    (savings at ``renovation_discount_rate``, loans at their interest) over ``renovation_lifetime_years``.
    The probability of renovating is logistic in an index of ln(benefit/cost), trigger moments (just moved
    in, just retired), the head's age and low income; a household that cannot pay from savings + grant +
    loan does not renovate. The policy levers (ISDE grant, Warmtefonds loans, outreach, collective
    procurement, local grants) are parameters; tables by municipality let a proeftuin set them locally.
    """

    # -- cost of energy renovation
    renovation_cost_eur_per_kwh: tuple = P(
        (2.1, 1.6, 1.35, 1.2, 1.05, 0.9, 0.8), 0.1, 10.0, length=7, calibratable=True,
        unit="EUR per kWh/yr of EP2 x floor area removed within label band A, B, C, D, E, F, G",
        doc="Cost of lowering EP2 by 1 kWh/m2.yr on 1 m2, by the label band the reduction falls in (the "
            "first kWh of a poor home are the cheapest: cavity wall, roof; the last ones need heat pumps).",
        source="set so that insulating an average 120 m2 label-E home to label B costs about EUR 24k, a "
               "detached home about 34k and an apartment about 14k (DNB 2022: insulation to label B plus "
               "heat pump EUR 24k average, 34k detached, 14k apartment; facts.csv cost_sustain_*)")
    renovation_cost_type_factor: tuple = P(
        (1.0, 1.0, 1.15, 0.95), 0.3, 3.0, length=4, unit="factor (terraced, semi-detached, detached, apartment)",
        doc="Cost of renovation by dwelling type, beyond what floor area explains.",
        source="DNB 2022 type ratios 34/24 (detached) and 14/24 (apartment) are mostly floor area "
               "(155 and 75 vs about 115 m2); the rest is this factor (facts.csv cost_sustain_*)")
    renovation_cost_period_factor: tuple = P(
        (1.25, 1.1, 1.0, 1.0, 1.15, 1.3), 0.3, 3.0, length=6,
        unit="factor (<1945, 1945-64, 1965-74, 1975-91, 1992-2005, 2006-)", source=ASSUMPTION,
        doc="Cost of renovation by construction period: old homes lack cavities and sound floors, recent "
            "homes have had the cheap measures already.")
    renovation_fixed_cost_eur: float = P(
        1000.0, 0.0, 10000.0, unit="EUR per renovation", source=ASSUMPTION,
        doc="Fixed cost of any energy renovation (advice, label, scaffolding, contractor's call-out).")
    renovation_ep2_margin_kwh_m2: float = P(
        5.0, 0.0, 30.0, unit="kWh/m2.yr", source=ASSUMPTION,
        doc="A renovation aims this far inside the better label's EP2 bound.")
    deep_renovation_ep2_kwh_m2: float = P(
        185.0, 100.0, 250.0, unit="kWh/m2.yr",
        doc="EP2 after a deep renovation (185 = just inside label B).",
        source="DNB 2022 anchor 'insulation to label B' (facts.csv cost_sustain_to_labelB_plus_heatpump_avg)")
    deep_renovation_share: float = P(
        0.3, 0.0, 1.0, unit="share of renovations", source=ASSUMPTION, calibratable=True,
        doc="Of the owners of a label D-G home who renovate and can pay for either, the share that does "
            "the deep renovation rather than one step.")
    renovation_value_uplift_per_step: float = P(
        0.02, 0.0, 0.1, unit="share of value per label step",
        doc="A renovated dwelling's value rises by this share per label step gained.",
        source="assumption; below the stock's hedonic value_label_step (0.03 log points per step) since "
               "part of that difference is location and quality")
    # -- the decision
    renovation_intercept: float = P(
        -2.1, -10.0, 5.0, unit="logit", calibratable=True,
        doc="Logit of the yearly renovation probability of an owner aged 55 or younger with no trigger "
            "and benefit/cost ratio 1.",
        source="calibrated loosely: about 3-4 % of owner households improve their label each year at "
               "2019 prices, and the owners' E-G share falls from 32 % (2019) toward the NL 19 % (2022, "
               "facts.csv share_label_EFG_owner_occupied) by the 2030s")
    renovation_bcr_weight: float = P(
        1.2, 0.0, 5.0, unit="logit per ln(benefit/cost)", source=ASSUMPTION, calibratable=True,
        doc="How strongly the ratio of the yearly energy saving to the yearly cost raises the renovation "
            "probability (at low uptake: an elasticity of the uptake to the energy price).")
    renovation_moved_in_weight: float = P(
        1.1, 0.0, 4.0, unit="logit", source=ASSUMPTION,
        doc="Added to the index in the year a household moves in and the next one (renovation at purchase "
            "is the most common trigger).")
    renovation_retired_weight: float = P(
        0.5, 0.0, 4.0, unit="logit", source=ASSUMPTION,
        doc="Added to the index in the year the head turns 67 (retirement).")
    renovation_age_weight: float = P(
        -0.04, -0.2, 0.0, unit="logit per year of head age above 55", source=ASSUMPTION,
        doc="Older owners renovate less (shorter horizon, more disruption).")
    renovation_low_income_weight: float = P(
        -0.4, -4.0, 0.0, unit="logit", source=ASSUMPTION, calibratable=True,
        doc="Added to the index for owners with income below the social-rent (DAEB) limit.")
    renovation_core_income_weight: float = P(
        -0.6, -4.0, 0.0, unit="logit", calibratable=True,
        doc="Added to the index (in addition) for owners at or below 130 % of the social minimum.",
        source="assumption; DNB 2022: 21 % of owners cannot afford to make their home sustainable "
               "(facts.csv homeowners_cannot_afford_sustainability)")
    renovation_discount_rate: float = P(
        0.05, 0.0, 0.3, unit="per year", source=ASSUMPTION,
        doc="Rate at which an owner discounts spending its own savings on a renovation.")
    renovation_lifetime_years: float = P(
        30.0, 10.0, 50.0, unit="years", source="assumption; insulation lasts 30-50 years, installations 15-20",
        doc="Horizon over which a renovation's cost is spread in the decision.")
    renovation_hassle_eur: float = P(
        200.0, 0.0, 2000.0, unit="EUR per year", source=ASSUMPTION,
        doc="Non-monetary yearly cost of a renovation in the decision (search, disruption, distrust): "
            "even a fully subsidised renovation is not done by everyone.")
    renovation_savings_buffer_eur: float = P(
        5000.0, 0.0, 50000.0, unit="EUR", source=ASSUMPTION,
        doc="Savings an owner keeps in reserve when paying for a renovation or an adaptation.")
    # -- national instruments
    isde_grant_share: float = P(
        0.15, 0.0, 1.0, unit="share of the cost",
        doc="ISDE-like grant for a one-step renovation (one measure).",
        source="ISDE since 2023: one measure about 15 % of the cost (facts.csv ISDE_subsidy_per_m2)")
    isde_deep_grant_share: float = P(
        0.30, 0.0, 1.0, unit="share of the cost",
        doc="ISDE-like grant for a deep renovation (two or more measures).",
        source="ISDE since 2023: two measures within 24 months about 30 % (facts.csv ISDE_subsidy_per_m2)")
    warmtefonds_max_loan_eur: float = P(
        25000.0, 0.0, 100000.0, unit="EUR",
        doc="Largest Warmtefonds-like energy-saving loan for owners with borrowing room.",
        source="Energiebespaarlening max EUR 25,000 (facts.csv Warmtefonds_Energiebespaarlening_max)")
    warmtefonds_income_limit_eur: float = P(
        60000.0, 0.0, 200000.0, unit="EUR household income/yr in prices of warmtefonds_price_year",
        doc="Below this household income the energy-saving loan is interest-free.",
        source="Warmtefonds 0 % below EUR 60,000 from 2023-07 (facts.csv Warmtefonds_0pct_income_limit)")
    warmtefonds_price_year: int = P(
        2023, 2012, 2030, unit="year", source="the 2023 limit in facts.csv",
        doc="Price year of warmtefonds_income_limit_eur; other years follow wage_growth_per_year.")
    warmtefonds_interest_rate: float = P(
        0.045, 0.0, 0.15, unit="per year",
        doc="Interest of the energy-saving loan above the income limit.",
        source="Warmtefonds 2023: 4.3-4.7 % above the income limit (facts.csv Warmtefonds_0pct_income_limit)")
    no_capacity_loan_eur: float = P(
        10000.0, 0.0, 50000.0, unit="EUR",
        doc="Capped energy-saving loan for owners without borrowing room (repaid by ability to pay).",
        source="Warmtefonds 2024: EUR 10,000 for owners without borrowing capacity, also 75+ "
               "(facts.csv Warmtefonds_no_capacity_loan)")
    renovation_loan_term_years: float = P(
        15.0, 5.0, 30.0, unit="years",
        doc="Renovation loans are repaid linearly over this term (from savings, as far as they go).",
        source="Energiebespaarlening terms 10-20 years (facts.csv Warmtefonds_Energiebespaarlening_max)")
    borrowing_income_multiple: float = P(
        6.0, 2.0, 10.0, unit="x household income above borrowing_income_floor_eur",
        doc="Borrowing room for a renovation loan: mortgage + renovation loans may not exceed this multiple "
            "of the household income above borrowing_income_floor_eur, nor borrowing_ltv_max x the "
            "dwelling's value.",
        source="assumption shaped after Dutch lending norms (NIBUD housing-cost shares rise with income): "
               "about 4.5x income at EUR 60k, 3x at 30k, 1.5x at 20k")
    borrowing_income_floor_eur: float = P(
        15000.0, 0.0, 40000.0, unit="EUR/yr in prices of income_limits_year",
        doc="Income a household needs for living, which cannot service debt (see borrowing_income_multiple).",
        source="assumption, about 70 % of the 130 % social minimum of a single adult")
    borrowing_ltv_max: float = P(
        1.06, 0.5, 1.2, unit="x dwelling value",
        doc="Borrowing room for a renovation loan: mortgage + renovation loans may not exceed this multiple "
            "of the dwelling's value (nor borrowing_income_multiple x income).",
        source="Dutch mortgage rules: loan-to-value at most 100 %, 106 % when the extra is spent on energy "
               "saving (not in facts.csv)")
    # -- local instruments (proeftuin levers; by municipality)
    outreach_multiplier: dict = P(
        {c: 1.0 for c in MUNICIPALITY_CODES}, 0.0, 10.0, unit="factor on the yearly probability",
        doc="Outreach (advice at the door, energy coaches): more owners consider renovating and adapting. "
            "1.0 = none.", source="policy lever; 1.0 in the baseline (national instruments only)")
    collective_discount: dict = P(
        {c: 0.0 for c in MUNICIPALITY_CODES}, 0.0, 0.9, unit="share of the cost",
        doc="Collective procurement lowers the cost of energy renovation by this share. 0.0 = none.",
        source="policy lever; 0.0 in the baseline")
    local_grant_eur: dict = P(
        {c: 0.0 for c in MUNICIPALITY_CODES}, 0.0, 100000.0, unit="EUR per renovation",
        doc="Local grant for an energy renovation by an owner at or below 130 % of the social minimum "
            "(at most the cost). 0 = none.",
        source="policy lever; the 2022 Drenthe scheme paid up to EUR 2,500 (facts.csv "
               "contribution_to_provincial_isolation_scheme); 0 in the baseline")
    # -- lifetime-proof adaptation
    adaptation_intercept: float = P(
        -4.6, -10.0, 2.0, unit="logit", source=ASSUMPTION, calibratable=True,
        doc="Logit of the yearly probability that an owner household whose oldest member is 65 adapts a "
            "home that is not lifetime-proof.")
    adaptation_age_weight: float = P(
        0.11, 0.0, 0.5, unit="logit per year of age above 65", source=ASSUMPTION, calibratable=True,
        doc="The adaptation probability rises with the age of the oldest member (about 5 %/yr at 80).")
    stairlift_cost_eur: float = P(
        5000.0, 1000.0, 20000.0, unit="EUR", doc="Straight stairlift.",
        source="EUR 4,000-6,000 (facts.csv stairlift_straight; commercial site, indicative)")
    stairlift_curved_cost_eur: float = P(
        9500.0, 2000.0, 30000.0, unit="EUR", doc="Curved stairlift.",
        source="EUR 7,000-12,000 (facts.csv stairlift_curved; indicative)")
    curved_stair_share: float = P(0.3, 0.0, 1.0, unit="share of single-family homes", source=ASSUMPTION,
                                  doc="Homes whose stair needs a curved stairlift.")
    accessible_bathroom_cost_eur: float = P(
        20000.0, 5000.0, 60000.0, unit="EUR", doc="Making the bathroom accessible (or adding one downstairs).",
        source="EUR 15,000-30,000 (facts.csv accessible_bathroom; indicative)")
    bathroom_adaptation_share: float = P(
        0.4, 0.0, 1.0, unit="share of homes", source=ASSUMPTION,
        doc="Homes that need an accessible bathroom to become lifetime-proof (the others: a stairlift and "
            "doors suffice).")
    door_widening_cost_eur: float = P(
        3500.0, 500.0, 15000.0, unit="EUR", doc="Widening doors and removing thresholds.",
        source="EUR 2,000-5,000 (facts.csv door_widening; indicative)")
    adaptation_grant_eur: dict = P(
        {c: 0.0 for c in MUNICIPALITY_CODES}, 0.0, 100000.0, unit="EUR per adaptation",
        doc="Local grant for making a home lifetime-proof, for households whose oldest member is at least "
            "adaptation_grant_min_age (at most the cost). 0 = none.",
        source="policy lever (MODEL.md proeftuin instruments); 0 in the baseline")
    adaptation_grant_min_age: int = P(65, 50, 100, unit="years", source="policy lever",
                                      doc="Minimum age of the oldest member for the adaptation grant.")


@dataclass(frozen=True)
class CorporationParams:
    """Housing corporations and private landlords: renovation toward label targets, demolition, sales.

    Each year a corporation renovates, in each municipality, its worst dwellings (highest EP2) to
    ``corporation_target_ep2_kwh_m2``: at least ``corporation_renovation_rate`` of those above the target
    label, and before ``corporation_efg_deadline_year`` enough to leave no E-G homes by then. Private
    landlords renovate a random ``private_landlord_renovation_rate`` of their homes above their target.
    """

    corporation_target_ep2_kwh_m2: float = P(
        185.0, 100.0, 290.0, unit="kWh/m2.yr",
        doc="EP2 after a corporation's renovation (185 = just inside label B); dwellings of a worse label "
            "are candidates.",
        source="corporations' sector goal of an average label B (energy index about 1.4) by 2030 (Aedes "
               "Woningwaardering; not in facts.csv)")
    corporation_renovation_rate: float = P(
        0.04, 0.0, 0.5, unit="share of candidates per year", calibratable=True,
        doc="Share of a corporation's dwellings above its target label renovated each year (worst first).",
        source="assumption; Drenthe corporations raised their A-C share from 29 % (2008) to 50 % (2011), "
               "about 7 points a year (facts.csv share_label_ABC_corporation); NL 2022: 10 % of "
               "corporation homes E-G against 16 % of all (share_label_EFG_*)")
    corporation_efg_deadline_year: int = P(
        2028, 2019, 2100, unit="year",
        doc="Corporations renovate their E-G dwellings evenly over the years to this one (2100: no deadline).",
        source="Nationale Prestatieafspraken 2022: no corporation homes with label E, F or G by 2028 "
               "(not in facts.csv)")
    private_landlord_target_ep2_kwh_m2: float = P(
        245.0, 100.0, 335.0, unit="kWh/m2.yr", source=ASSUMPTION,
        doc="EP2 after a private landlord's renovation (245 = just inside label C); worse labels are candidates.")
    private_landlord_renovation_rate: float = P(
        0.02, 0.0, 0.5, unit="share of candidates per year", calibratable=True,
        doc="Yearly probability that a private landlord renovates a dwelling of a label worse than its target.",
        source="assumption; NL 2022: E-G 22 % of private rentals against 19 % of owner-occupied homes "
               "(facts.csv share_label_EFG_private_rent, share_label_EFG_owner_occupied): slower than owners")


@dataclass(frozen=True)
class StockChangeParams:
    """New construction and demolition (a yearly rate until municipal plans and the market drive them)."""

    new_construction_per_1000: dict = P(
        {"GM0114": 5.5, "GM0109": 9.2, "GM1681": 4.6, "GM1680": 6.4, "GM0118": 10.8, "GM0160": 9.7},
        0.0, 50.0, unit="new dwellings per 1000 dwellings per year", calibratable=True,
        doc="New dwellings completed each year, per 1000 dwellings of the stock.",
        source="net stock growth 2017->2019 per municipality (CBS KWB Woningvoorraad) plus the demolition "
               "rate: e.g. Emmen (49187-48789)/2/48789 = 4.1 + 1.4 per 1000")
    construction_plans: dict = P(
        {}, 0.0, 1e5, kind="targets", unit="dwellings completed per municipality and year",
        doc="Municipal construction plans ({GM0114 = {2025 = 300}}): in a year with a plan, that number is "
            "built instead of the yearly rate.",
        source="scenario input (municipal housing programmes)")
    structural_vacancy_years: int = P(
        3, 1, 10, unit="years", source=ASSUMPTION,
        doc="A rented home vacant this long in a municipality whose population fell over the year counts as "
            "structurally vacant; its corporation or landlord demolishes it.")
    corporation_sale_rate: float = P(
        0.003, 0.0, 0.05, unit="per tenant household-year", source=ASSUMPTION,
        doc="Yearly probability that a corporation sells a home to its sitting tenant, if the tenant can afford it.")
    construction_vacancy_ceiling: float = P(
        0.05, 0.0, 0.2, unit="share of dwellings", calibratable=True,
        doc="No new construction in a municipality whose vacancy rate is at or above this share.",
        source="assumption; MODEL.md: construction 'when vacancy is below a norm'")
    demolition_per_1000: float = P(
        1.4, 0.0, 20.0, unit="dwellings per 1000 dwellings per year", calibratable=True,
        doc="Vacant dwellings demolished each year (worst condition first), per 1000 dwellings.",
        source="Drenthe 2011-2019: 2,767 demolished on about 219,000 dwellings over 9 years "
               "(facts.csv dwellings_demolished, dwelling_stock)")
    new_build_ep2_kwh_m2: float = P(90.0, 20.0, 160.0, unit="kWh/m2.yr", source="new homes have label A "
                                    "(MODEL.md); BENG-era homes are well below the A bound of 160",
                                    doc="EP2 of newly built dwellings.")
    new_build_owner_share: float = P(0.65, 0.0, 1.0, unit="share", source=ASSUMPTION,
                                     doc="Share of new dwellings built for owner-occupation (rest: corporations).")
    new_build_apartment_share: float = P(0.25, 0.0, 1.0, unit="share", source=ASSUMPTION,
                                         doc="Share of new dwellings that are apartments.")
    new_build_lifetime_proof_share: float = P(
        0.5, 0.0, 1.0, unit="share", source="new homes are often lifetime-proof (MODEL.md); share assumed",
        doc="Share of new dwellings that are lifetime-proof.")
    new_build_value_premium: float = P(0.25, -0.5, 1.0, unit="log points", source=ASSUMPTION,
                                       doc="Value of a new dwelling relative to the median of its type in the "
                                           "municipality.")


@dataclass(frozen=True)
class AlignmentParams:
    """External totals the run is aligned to (LIAM2-style), e.g. a CBS/PBL forecast. Empty: no alignment."""

    population_targets: dict = P(
        {}, 0.0, 1e7, kind="targets", unit="persons on 1 January",
        doc="Population per municipality code and year ({GM0114 = {2030 = 100000}}); in the year before a "
            "target, migration is adjusted so that the population hits it as closely as dwellings allow.",
        source="scenario input (e.g. PBL/CBS regional forecast)")


LABEL_CHOICES = ("A", "B", "C", "D", "E", "F", "G")
FUNDERS = ("rijk", "province") + MUNICIPALITY_CODES
DISPOSITIONS = ("improve_resell", "improve_let", "let_then_demolish", "demolish", "demolish_rebuild")
RD1 = ("Regio Deal I 2019-2023: Rijk 20 M, province 10 M, municipalities 10 M (facts.csv total_budget, "
       "provincial_contribution_RD_I, municipal_contribution_RD_I)")


@dataclass(frozen=True)
class FundParams:
    """The Transformatiefonds: a revolving fund that buys cheap owner-occupied homes and improves, lets or
    demolishes them (model/policies.py).

    Each year (process 8) the fund receives its contributions (per funder and year) and, with leverage,
    borrows; pays interest and repayments; collects rent and pays management; carries out dispositions
    that fall due (end of temporary letting, rebuilding); then buys eligible homes in priority order as
    long as its free cash (cash minus what is reserved for committed works) pays the price and the
    immediate works. The owner household that sells moves to another home in its municipality (to buy or
    rent, as in the housing market); an owner who finds none keeps the home. Homes the fund improves for
    resale are listed with the owner-occupied homes for sale, and the fund receives the price when a
    household buys one. With no contributions the fund does nothing and the run equals the baseline.
    Money amounts are euros of their year; costs are not indexed (as renovation costs elsewhere).
    """

    fund_contributions_eur: dict = P(
        {}, 0.0, 1e9, kind="funders", unit="EUR per funder and year",
        doc="Money paid into the fund, per funder (rijk, province or a municipality code) and year: "
            "{rijk = {2020 = 2000000}, GM0114 = {2020 = 350000}}. Empty = no fund (the baseline).",
        source="policy input; " + RD1)
    fund_total_budget_eur: float = P(
        0.0, 0.0, 1e10, unit="EUR",
        doc="If above 0, the scenario states the fund's total: the contributions must add up to it "
            "(a check that catches typing errors in the table above).", source="policy input")
    fund_leverage: float = P(
        1.0, 1.0, 5.0, unit="EUR of capacity per EUR contributed",
        doc="Each contributed euro is matched by (leverage - 1) euros borrowed in the same year "
            "(1 = no borrowing), repaid linearly over fund_loan_term_years with interest.",
        source="MODEL.md (Policies): optional leverage, '1 euro becomes 4'")
    fund_loan_interest_rate: float = P(0.02, 0.0, 0.1, unit="per year", source="assumption (BNG-like public "
                                       "lending rate)", doc="Interest on the fund's borrowing.")
    fund_loan_term_years: int = P(20, 1, 50, unit="years", source=ASSUMPTION,
                                  doc="Each year's borrowing is repaid in equal parts over this many years.")
    fund_start_year: int = P(2020, 2012, 2100, unit="year", source="policy input",
                             doc="First year in which the fund buys homes.")
    fund_end_year: int = P(2100, 2012, 2100, unit="year", source="policy input",
                           doc="Last year in which the fund buys homes (it keeps managing and selling after).")
    # -- eligibility
    fund_value_ceiling_eur: float = P(
        125000.0, 0.0, 1e6, unit="EUR of 2019, indexed with the national price index",
        doc="Only homes worth at most this (cheap owner-occupied homes).",
        source="assumption; Emmerhout: owner-occupied homes below EUR 125k more common than on average "
               "(facts.csv koopwoningen_WOZ_below_125k); regional mean WOZ 2019 about EUR 180k")
    fund_max_label: str = P(
        "E", kind="str", choices=LABEL_CHOICES, unit="energy label",
        doc="Homes with this label or worse qualify (E = E, F and G).", source="policy input")
    fund_written_off_qualifies: bool = P(
        True, unit="", source="MODEL.md: the fund buys written-off homes",
        doc="Written-off homes qualify whatever their label.")
    fund_owner_income: str = P(
        "low", kind="str", choices=("core", "low", "any"), unit="",
        doc="Owners who qualify: 'core' = at or below 130 % of the social minimum, 'low' = below the "
            "social-rent (DAEB) limit, 'any' = all.", source="policy input (Regio Deal target group)")
    fund_owner_min_age: int = P(0, 0, 100, unit="years", source="policy input",
                                doc="Only owners whose household head is at least this old (0 = any age).")
    fund_unsold_years: int = P(
        0, 0, 20, unit="years", source="policy input",
        doc="If above 0, vacant owner-occupied homes for sale this long without a buyer also qualify (their "
            "sellers, outside the model, accept the offer). 0 = only occupied homes.")
    fund_sale_probability: float = P(
        0.1, 0.0, 1.0, unit="per eligible owner household-year", calibratable=True, source=ASSUMPTION,
        doc="Yearly probability that an eligible owner household accepts the fund's offer (voluntary sale).")
    fund_priority: str = P(
        "worst_first", kind="str", choices=("worst_first", "surplus_wijken"), unit="",
        doc="Order of purchase when money is short: 'worst_first' = lowest condition, then worst label; "
            "'surplus_wijken' = homes in the wijken with the largest projected surplus first (vacant homes "
            "plus homes of households whose oldest member is 75+, per dwelling), worst first within.",
        source="MODEL.md (Policies)")
    fund_price_factor: float = P(1.0, 0.5, 1.5, unit="x value", source="policy input",
                                 doc="Purchase price as a multiple of the home's market (WOZ-like) value.")
    fund_price_premium_eur: float = P(0.0, 0.0, 100000.0, unit="EUR", source="policy input",
                                      doc="Amount added to the purchase price (e.g. a moving allowance).")
    # -- disposition
    fund_disposition: str = P(
        "improve_resell", kind="str", choices=DISPOSITIONS, unit="",
        doc="What the fund does with a home that is not written off: improve_resell, improve_let (social "
            "rent), let_then_demolish, demolish, demolish_rebuild.", source="MODEL.md (Policies)")
    fund_disposition_written_off: str = P(
        "demolish_rebuild", kind="str", choices=DISPOSITIONS, unit="",
        doc="What the fund does with a written-off home (same choices).", source="MODEL.md (Policies)")
    fund_improve_ep2_kwh_m2: float = P(
        185.0, 50.0, 290.0, unit="kWh/m2.yr", source="as corporation_target_ep2_kwh_m2 (label B)",
        doc="EP2 after the fund's improvement (the condition is restored to 1 as well).")
    fund_improve_condition: float = P(
        0.8, 0.0, 1.0, unit="condition (0-1)", source=ASSUMPTION,
        doc="Condition after the fund's improvement (at restoration_cost_eur_m2 per m2 per condition point "
            "gained; 1 = as new, a full renovation).")
    fund_improve_lifetime_proof: bool = P(
        True, unit="", source="Regio Deal: lifetime-proof homes (MODEL.md)",
        doc="The fund's improvement also makes the home lifetime-proof (at the adaptation cost).")
    fund_let_years: int = P(5, 1, 30, unit="years", source="policy input",
                            doc="let_then_demolish: years of temporary letting before demolition.")
    fund_rent_eur_month: float = P(
        600.0, 200.0, 1200.0, unit="EUR/month",
        doc="Rent the fund receives for a let home (social rent, below the liberalisation limit).",
        source="assumption; liberalisation limit EUR 879.66/month in 2024 (facts.csv liberalisatiegrens_rent)")
    fund_management_eur_year: float = P(
        900.0, 0.0, 5000.0, unit="EUR per home held per year", source=ASSUMPTION,
        doc="Management, insurance and local taxes of a home the fund holds (let or for sale).")
    fund_demolition_cost_eur_m2: float = P(
        50.0, 10.0, 200.0, unit="EUR/m2 floor area",
        doc="Demolition including foundations.",
        source="EUR 10-50/m2, about 50 with foundations (facts.csv demolition_cost_full_incl_foundation; "
               "indicative)")
    fund_demolition_fixed_eur: float = P(
        1500.0, 0.0, 20000.0, unit="EUR per home",
        doc="Fixed cost per demolition (asbestos inventory and removal, connections).",
        source="asbestos roof/facade sanitation EUR 1,513 per dwelling (facts.csv "
               "asbestos_roof_facade_sanitation_incl_rebuild, 2012)")
    fund_land_value_eur: float = P(
        10000.0, 0.0, 100000.0, unit="EUR per plot", source=ASSUMPTION,
        doc="Residual land value the fund receives for a plot it clears and does not rebuild (sold as "
            "garden or green space).")
    fund_rebuild_ratio: float = P(
        0.5, 0.0, 1.0, unit="new homes per demolished home", source="policy input ('fewer homes', MODEL.md)",
        doc="demolish_rebuild: lifetime-proof homes built per demolished home; the rest of the land is sold "
            "at fund_land_value_eur.")
    fund_rebuild_cost_eur: float = P(
        180000.0, 50000.0, 500000.0, unit="EUR per new home", source=ASSUMPTION,
        doc="Construction cost of a new lifetime-proof home (label A).")
    fund_rebuild_delay_years: int = P(2, 0, 10, unit="years", source=ASSUMPTION,
                                      doc="Years from demolition to the completion of the new homes.")
    fund_rebuild_floor_area_m2: float = P(90.0, 40.0, 200.0, unit="m2", source=ASSUMPTION,
                                          doc="Floor area of a new home built by the fund.")


@dataclass(frozen=True)
class ProeftuinParams:
    """Proeftuinen 'toekomstbestendig wonen': per municipality a neighbourhood approach for low-income owners
    (model/policies.py).

    In the target wijken, from the start year for the pilot's duration (and in roll-out wijken after it),
    the municipality's proeftuin changes the owner decision of model.renovation through its instruments:
    outreach (more owners consider a renovation or adaptation), collective procurement (a lower cost),
    a grant per home for owners below an income limit, access to a zero-interest loan whatever the
    borrowing room, and a grant for making the home lifetime-proof above an age. Its spending (grants,
    outreach visits, the organisation of collective procurement, the interest it pays on owners' loans)
    comes out of the municipality's budget, spread evenly over the pilot's years (and the roll-out's); when
    a year's budget runs out, the remaining owners decide as in the baseline, except for the outreach.
    A municipality with budget 0 has no proeftuin.
    """

    proeftuin_budget_eur: dict = P(
        {c: 0.0 for c in MUNICIPALITY_CODES}, 0.0, 1e9, unit="EUR per municipality (whole period)",
        doc="Budget of each municipality's proeftuin, for the pilot and any roll-out. 0 = no proeftuin.",
        source="policy input; " + RD1)
    proeftuin_total_budget_eur: float = P(
        0.0, 0.0, 1e10, unit="EUR", source="policy input",
        doc="If above 0, the municipal budgets must add up to this (a check of the scenario).")
    proeftuin_wijken: dict = P(
        {}, kind="wijken", unit="CBS wijk codes per municipality",
        doc="Target wijken per municipality ({GM0114 = ['WK011410']}); a municipality not listed gets the "
            "wijk with the most low-income owners in E-G homes at the start year.",
        source="policy input; wijk codes from calibration/data/wijk_shares.csv (CBS)")
    proeftuin_start_year: int = P(2020, 2012, 2100, unit="year", source="Regio Deal I 2019-2023",
                                  doc="First year in which the instruments act.")
    proeftuin_duration_years: int = P(4, 1, 50, unit="years", source="Regio Deal I 2019-2023",
                                      doc="Years of the pilot in the target wijken.")
    proeftuin_rollout_wijken_per_year: int = P(
        0, 0, 50, unit="wijken per year", source="policy input",
        doc="After the pilot, this many further wijken per year join (same ranking as the default target), "
            "while the budget lasts. 0 = no roll-out: the instruments stop after the pilot.")
    proeftuin_rollout_end_year: int = P(2100, 2012, 2100, unit="year", source="policy input",
                                        doc="Last year of the roll-out (its budget is spread over the years "
                                            "to this one, or to the end of the run).")
    proeftuin_outreach_multiplier: float = P(
        2.0, 1.0, 10.0, unit="x renovation and adaptation probability", calibratable=True, source=ASSUMPTION,
        doc="Outreach (energy coaches, kitchen-table talks): multiplies the yearly probability that an owner "
            "household in a target wijk renovates or adapts.")
    proeftuin_outreach_cost_eur: float = P(
        150.0, 0.0, 2000.0, unit="EUR per owner household in an active wijk per year", source=ASSUMPTION,
        doc="Cost of the outreach (visits, advice).")
    proeftuin_collective_discount: float = P(
        0.10, 0.0, 0.4, unit="share of the renovation cost", source=ASSUMPTION,
        doc="Collective procurement lowers the cost of an energy renovation by this share.")
    proeftuin_procurement_cost_eur: float = P(
        300.0, 0.0, 5000.0, unit="EUR per renovation", source=ASSUMPTION,
        doc="Cost to the proeftuin of organising collective procurement, per renovation done through it.")
    proeftuin_grant_eur: float = P(
        2500.0, 0.0, 50000.0, unit="EUR per home",
        doc="Grant per energy renovation for owners below the income limit (at most the cost).",
        source="Drenthe isolation scheme 2022: up to EUR 2,500 for owners at or below 130 % of the social "
               "minimum (facts.csv contribution_to_provincial_isolation_scheme)")
    proeftuin_grant_income: str = P(
        "core", kind="str", choices=("core", "low", "any"), unit="",
        doc="Who gets the grant: 'core' = at or below 130 % of the social minimum, 'low' = below the "
            "social-rent (DAEB) limit, 'any' = all owners in the wijk.",
        source="Drenthe isolation scheme 2022 (130 % of the social minimum)")
    proeftuin_zero_interest_loans: bool = P(
        True, unit="", source="MODEL.md proeftuin instruments",
        doc="Owners in the wijk can borrow at 0 % up to proeftuin_loan_max_eur whatever their borrowing room; "
            "the proeftuin pays the interest (its present value at warmtefonds_interest_rate).")
    proeftuin_loan_max_eur: float = P(
        15000.0, 0.0, 100000.0, unit="EUR",
        doc="Maximum zero-interest loan per owner household in the wijk.",
        source="assumption; Warmtefonds loans up to EUR 25,000 (facts.csv Warmtefonds_Energiebespaarlening_max)")
    proeftuin_adaptation_grant_eur: float = P(
        5000.0, 0.0, 60000.0, unit="EUR per adaptation",
        doc="Grant for making the home lifetime-proof (at most the cost).",
        source="assumption; a stairlift costs EUR 4,000-12,000 (facts.csv stairlift_*)")
    proeftuin_adaptation_min_age: int = P(65, 50, 100, unit="years", source="policy input",
                                          doc="The adaptation grant goes to households whose oldest member "
                                              "is at least this old.")


ANTICIPATION_REGION = ["GM1680", "GM1681", "GM0109", "GM0114"]
EXPERIMENT_SOURCE = ("Regio Deal proposal 2018 (../shared/seeds/, WONEN): experimenteerruimte for corporations in "
                     "the anticipation region of Oost-Drenthe (Aa en Hunze, Borger-Odoorn, Coevorden, Emmen)")


@dataclass(frozen=True)
class CorporationFundParams:
    """Experimenteerruimte 1: corporations buy eligible owner-occupied homes with their own capital
    (model/corporation_levers.py). They work as the Transformatiefonds does ([fund]: eligibility, purchase,
    costs of works, demolition and building), with their own money, municipalities, eligibility and
    dispositions; the homes they buy are owned by 'corporation_fund' and let as social rent (or demolished).
    Capital 0 = off."""

    corp_fund_municipalities: list = P(
        ANTICIPATION_REGION, kind="municipalities", unit="municipality codes",
        doc="Municipalities where the corporations may buy.", source=EXPERIMENT_SOURCE)
    corp_fund_capital_eur: float = P(
        0.0, 0.0, 1e10, unit="EUR", source="scenario input (corporations' equity in the named municipalities)",
        doc="Capital of the corporations of the named municipalities; 0 = the lever is off.")
    corp_fund_max_capital_share: float = P(
        0.02, 0.0, 0.5, unit="share of capital", source="policy input (the limit the deregulation would set)",
        doc="Share of that capital the corporations may put into buying owner-occupied homes (paid in at the "
            "start year).")
    corp_fund_start_year: int = P(2020, 2012, 2100, unit="year", source="policy input",
                                  doc="First year in which the corporations buy.")
    corp_fund_end_year: int = P(2100, 2012, 2100, unit="year", source="policy input",
                                doc="Last year in which the corporations buy.")
    corp_fund_value_ceiling_eur: float = P(
        125000.0, 0.0, 1e6, unit="EUR of 2019, indexed with the national price index",
        source="as fund_value_ceiling_eur",
        doc="Only homes worth at most this.")
    corp_fund_max_label: str = P("E", kind="str", choices=LABEL_CHOICES, unit="energy label",
                                 source="policy input", doc="Homes with this label or worse qualify (or written off).")
    corp_fund_owner_income: str = P("low", kind="str", choices=("core", "low", "any"), unit="",
                                    source="policy input", doc="Owners who qualify (as fund_owner_income).")
    corp_fund_sale_probability: float = P(
        0.1, 0.0, 1.0, unit="per eligible owner household-year", source=ASSUMPTION,
        doc="Yearly probability that an eligible owner accepts the corporation's offer.")
    corp_fund_disposition: str = P(
        "improve_let", kind="str", choices=("improve_let", "let_then_demolish", "demolish", "demolish_rebuild"),
        unit="", source="issue: typically let as social rent, or demolish and rebuild",
        doc="What the corporations do with a home that is not written off (new homes are let as social rent).")
    corp_fund_disposition_written_off: str = P(
        "demolish_rebuild", kind="str", choices=("improve_let", "let_then_demolish", "demolish", "demolish_rebuild"),
        unit="", source="policy input", doc="What the corporations do with a written-off home.")
    corp_fund_rent_eur_month: float = P(600.0, 200.0, 1200.0, unit="EUR/month", source="as fund_rent_eur_month",
                                        doc="Rent of the homes the corporations let.")


@dataclass(frozen=True)
class CorporationLifetimeParams:
    """Experimenteerruimte 2: corporations build (or convert) lifetime-proof homes for elderly owners from the
    cheap owner-occupied stock (model/corporation_levers.py). Each year, in each named municipality, they
    add homes kept for those owners; an eligible elderly owner household accepts with a probability, sells its
    home (to the market, the Transformatiefonds or the corporation) and rents the new home. Homes per year 0 =
    off."""

    corp_lp_municipalities: list = P(
        ANTICIPATION_REGION, kind="municipalities", unit="municipality codes",
        doc="Municipalities where the corporations build.", source=EXPERIMENT_SOURCE)
    corp_lp_homes_per_year: int = P(0, 0, 1000, unit="homes per municipality per year", source="policy input",
                                    doc="Lifetime-proof homes added each year in each named municipality; 0 = off.")
    corp_lp_start_year: int = P(2020, 2012, 2100, unit="year", source="policy input", doc="First year.")
    corp_lp_end_year: int = P(2030, 2012, 2100, unit="year", source="policy input", doc="Last year.")
    corp_lp_mode: str = P("build", kind="str", choices=("build", "convert"), unit="", source="issue 10",
                          doc="'build' new homes, or 'convert' vacant corporation homes.")
    corp_lp_build_cost_eur: float = P(170000.0, 50000.0, 500000.0, unit="EUR per home", source=ASSUMPTION,
                                      doc="Construction cost of a new lifetime-proof corporation home.")
    corp_lp_floor_area_m2: float = P(75.0, 40.0, 150.0, unit="m2", source=ASSUMPTION,
                                     doc="Floor area of a new home.")
    corp_lp_convert_cost_eur: float = P(
        25000.0, 2000.0, 100000.0, unit="EUR per home",
        doc="Cost of making a vacant corporation home lifetime-proof.",
        source="lifetime-proofing EUR 4,000-30,000 by measure (MODEL.md; facts.csv stairlift_*, accessible_bathroom)")
    corp_lp_rent_eur_month: float = P(650.0, 200.0, 1200.0, unit="EUR/month", source=ASSUMPTION,
                                      doc="Rent the elderly tenants pay.")
    corp_lp_min_age: int = P(70, 55, 100, unit="years", source="policy input",
                             doc="Households whose oldest member is at least this old qualify.")
    corp_lp_value_ceiling_eur: float = P(
        150000.0, 0.0, 1e6, unit="EUR of 2019, indexed with the national price index", source="policy input",
        doc="Only owners of a home worth at most this (the cheap owner-occupied stock) qualify.")
    corp_lp_acceptance: float = P(0.2, 0.0, 1.0, unit="per eligible household-year", source=ASSUMPTION,
                                  doc="Yearly probability that an eligible elderly owner household takes a home.")
    corp_lp_sell_to: str = P(
        "market", kind="str", choices=("market", "fund", "corporation"), unit="", source="issue 10",
        doc="Who buys the home the household leaves: 'market' (for sale), 'fund' (the Transformatiefonds, if "
            "the home qualifies and the fund has the money; otherwise the market) or 'corporation' (which then "
            "lets it as social rent).")


@dataclass(frozen=True)
class CorporationEnergyParams:
    """Experimenteerruimte 3: the corporation as energy supplier (model/corporation_levers.py). From the start
    year, the corporations connect their homes in the named municipalities and, each year, owner-occupied
    homes whose owners take it up, to a collective supply (solar, heat network) while the investment budget
    lasts. Connected homes pay a tariff instead of the gas price for their heat, which changes their energy
    cost, energy poverty and the owner's gain from an energy renovation; their heat emits a share of the
    CO2 of gas. Budget 0 = off."""

    corp_energy_municipalities: list = P(
        ANTICIPATION_REGION, kind="municipalities", unit="municipality codes",
        doc="Municipalities where the corporations supply energy.", source=EXPERIMENT_SOURCE)
    corp_energy_budget_eur: float = P(0.0, 0.0, 1e10, unit="EUR", source="policy input",
                                      doc="Investment budget for connections (all named municipalities); 0 = off.")
    corp_energy_start_year: int = P(2022, 2012, 2100, unit="year", source="policy input", doc="First year.")
    corp_energy_investment_eur: float = P(
        8000.0, 500.0, 50000.0, unit="EUR per connected home", source=ASSUMPTION,
        doc="Investment per home connected (share of the collective installation and the connection).")
    corp_energy_tariff_share: float = P(
        0.8, 0.1, 1.5, unit="x the year's gas price per m3 of gas replaced", source="policy input",
        doc="Tariff a connected home pays for its heat, relative to the gas price.")
    corp_energy_cost_share: float = P(
        0.5, 0.0, 1.5, unit="x the year's gas price per m3 of gas replaced", source=ASSUMPTION,
        doc="The corporation's running cost of the supply; tariff minus cost is its yearly margin.")
    corp_energy_co2_share: float = P(0.3, 0.0, 1.0, unit="x the CO2 of gas", source=ASSUMPTION,
                                     doc="CO2 of the collective heat relative to the gas it replaces.")
    corp_energy_owner_uptake: float = P(
        0.05, 0.0, 1.0, unit="per owner household-year", source=ASSUMPTION,
        doc="Yearly probability that an owner-occupied home in a named municipality connects.")


SECTIONS: dict[str, type] = {
    "run": RunParams,
    "stock": StockParams,
    "demography": DemographyParams,
    "migration": MigrationParams,
    "income": IncomeParams,
    "energy": EnergyParams,
    "housing": HousingParams,
    "market": MarketParams,
    "maintenance": MaintenanceParams,
    "renovation": RenovationParams,
    "corporations": CorporationParams,
    "stock_change": StockChangeParams,
    "alignment": AlignmentParams,
    "fund": FundParams,
    "proeftuin": ProeftuinParams,
    "corporation_fund": CorporationFundParams,
    "corporation_lifetime": CorporationLifetimeParams,
    "corporation_energy": CorporationEnergyParams,
}


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario: every parameter of every section."""

    name: str = "baseline"
    description: str = ""
    source_file: str = ""
    #: every scenario file this scenario was read from, parents first: ((path, name in the file), ...)
    files: tuple = ()
    run: RunParams = field(default_factory=RunParams)
    stock: StockParams = field(default_factory=StockParams)
    demography: DemographyParams = field(default_factory=DemographyParams)
    migration: MigrationParams = field(default_factory=MigrationParams)
    income: IncomeParams = field(default_factory=IncomeParams)
    energy: EnergyParams = field(default_factory=EnergyParams)
    housing: HousingParams = field(default_factory=HousingParams)
    market: MarketParams = field(default_factory=MarketParams)
    maintenance: MaintenanceParams = field(default_factory=MaintenanceParams)
    renovation: RenovationParams = field(default_factory=RenovationParams)
    corporations: CorporationParams = field(default_factory=CorporationParams)
    stock_change: StockChangeParams = field(default_factory=StockChangeParams)
    alignment: AlignmentParams = field(default_factory=AlignmentParams)
    fund: FundParams = field(default_factory=FundParams)
    proeftuin: ProeftuinParams = field(default_factory=ProeftuinParams)
    corporation_fund: CorporationFundParams = field(default_factory=CorporationFundParams)
    corporation_lifetime: CorporationLifetimeParams = field(default_factory=CorporationLifetimeParams)
    corporation_energy: CorporationEnergyParams = field(default_factory=CorporationEnergyParams)

    def parameters(self) -> dict[str, Any]:
        """All parameter values as {"section.name": value} (JSON-friendly)."""
        out = {}
        for sec in SECTIONS:
            obj = getattr(self, sec)
            for f in fields(obj):
                v = getattr(obj, f.name)
                out[f"{sec}.{f.name}"] = list(v) if isinstance(v, tuple) else v
        return out

    def with_overrides(self, where: str = "override", **overrides) -> Scenario:
        """A copy with single parameters replaced, by bare name or ``section.name``; validated."""
        by_section: dict[str, dict[str, Any]] = {}
        for key, value in overrides.items():
            sec, name = _locate(key, where)
            by_section.setdefault(sec, {})[name] = value
        changes = {}
        for sec, vals in by_section.items():
            current = getattr(self, sec)
            checked = {n: _check(where, sec, n, v, _field(SECTIONS[sec], n), getattr(current, n))
                       for n, v in vals.items()}
            changes[sec] = dataclasses.replace(current, **checked)
        out = dataclasses.replace(self, **changes)
        _cross_checks(out, where)
        return out


def _field(cls, name):
    return {f.name: f for f in fields(cls)}[name]


PARAM_INDEX: dict[str, str] = {}
for _sec, _cls in SECTIONS.items():
    for _f in fields(_cls):
        if _f.name in PARAM_INDEX:
            raise RuntimeError(f"parameter name {_f.name} is declared in two sections")
        PARAM_INDEX[_f.name] = _sec


def _locate(key: str, where: str) -> tuple[str, str]:
    if "." in key:
        sec, name = key.split(".", 1)
        if sec in SECTIONS and name in PARAM_INDEX and PARAM_INDEX[name] == sec:
            return sec, name
    elif key in PARAM_INDEX:
        return PARAM_INDEX[key], key
    raise ScenarioError(f"{where}: unknown parameter '{key}'{did_you_mean(key.split('.')[-1], PARAM_INDEX)}; "
                        "see `python run.py params` for the names")


def did_you_mean(word: str, candidates) -> str:
    """' (did you mean 'x'?)' for the closest of ``candidates`` to a misspelt ``word``, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _range_text(meta) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(map(str, meta["choices"]))
    lo, hi = meta["low"], meta["high"]
    unit = f" ({meta['unit']})" if meta["unit"] else ""
    return f"{lo} to {hi}{unit}"


def _number(where, label, v, meta, integer=False):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(f"{where}: {label} = {v!r} is not a number; expected {_range_text(meta)}")
    if integer and not float(v).is_integer():
        raise ScenarioError(f"{where}: {label} = {v!r} is not a whole number; expected {_range_text(meta)}")
    if not math.isfinite(v):
        raise ScenarioError(f"{where}: {label} = {v!r} is not a finite number; expected {_range_text(meta)}")
    if (meta["low"] is not None and v < meta["low"]) or (meta["high"] is not None and v > meta["high"]):
        raise ScenarioError(f"{where}: {label} = {v!r} is out of range; allowed {_range_text(meta)}")
    return int(v) if integer else float(v)


def _check(where: str, sec: str, name: str, v: Any, f, current: Any = None) -> Any:
    """Validate one value; tables keyed by municipality start from ``current`` (partial overrides)."""
    meta = f.metadata
    label = f"[{sec}] {name}"
    kind = meta["kind"]
    if kind == "int":
        v = _number(where, label, v, meta, integer=True)
        if meta.get("choices") and v not in meta["choices"]:
            raise ScenarioError(f"{where}: {label} = {v!r} is not allowed; expected {_range_text(meta)}")
        return v
    if kind == "float":
        return _number(where, label, v, meta)
    if kind == "str":
        if not isinstance(v, str):
            raise ScenarioError(f"{where}: {label} = {v!r} is not a string; expected {_range_text(meta)}")
        if meta.get("choices") and v not in meta["choices"]:
            raise ScenarioError(f"{where}: {label} = {v!r} is not allowed; expected {_range_text(meta)}")
        return v
    if kind == "funders":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where}: {label} must be a table {{funder = {{year = EUR}}}} with funders "
                                f"{', '.join(FUNDERS)}, got {v!r}")
        out = {}
        for funder, series in v.items():
            if funder not in FUNDERS:
                raise ScenarioError(f"{where}: {label}.{funder}: unknown funder; expected one of {', '.join(FUNDERS)}")
            if not isinstance(series, dict):
                raise ScenarioError(f"{where}: {label}.{funder} must be a table {{year = EUR}}, got {series!r}")
            out[funder] = {}
            for year, x in series.items():
                try:
                    y = int(year)
                except ValueError:
                    raise ScenarioError(f"{where}: {label}.{funder}.{year}: the key must be a year") from None
                out[funder][y] = _number(where, f"{label}.{funder}.{year}", x, meta)
        return out
    if kind == "municipalities":
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list | tuple) or not v:
            raise ScenarioError(f"{where}: {label} must be a list of municipality codes "
                                f"({', '.join(MUNICIPALITY_CODES)}), got {v!r}")
        for code in v:
            if code not in MUNICIPALITY_CODES:
                raise ScenarioError(f"{where}: {label}: unknown municipality code {code!r}; expected one of "
                                    f"{', '.join(MUNICIPALITY_CODES)}")
        return list(dict.fromkeys(v))
    if kind == "wijken":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where}: {label} must be a table {{GMxxxx = ['WKxxxxyy', ...]}}, got {v!r}")
        out = {}
        for code, wijken in v.items():
            if code not in MUNICIPALITY_CODES:
                raise ScenarioError(f"{where}: {label}.{code}: unknown municipality code; expected one of "
                                    f"{', '.join(MUNICIPALITY_CODES)}")
            if isinstance(wijken, str):
                wijken = [wijken]
            if not isinstance(wijken, list) or not wijken:
                raise ScenarioError(f"{where}: {label}.{code} must be a list of CBS wijk codes, got {wijken!r}")
            for w in wijken:
                if not (isinstance(w, str) and len(w) == 8 and w.startswith("WK") and w[2:].isdigit()
                        and w[2:6] == code[2:]):
                    raise ScenarioError(f"{where}: {label}.{code}: {w!r} is not a CBS wijk code of {code}; "
                                        f"expected 'WK{code[2:]}' followed by two digits")
            out[code] = list(dict.fromkeys(wijken))
        return out
    if kind == "bool":
        if not isinstance(v, bool):
            raise ScenarioError(f"{where}: {label} = {v!r} is not true or false")
        return v
    if kind == "floats":
        if not isinstance(v, (list, tuple)) or len(v) != meta["length"]:
            raise ScenarioError(f"{where}: {label} must be a list of {meta['length']} numbers "
                                f"({meta['unit']}), got {v!r}")
        return tuple(_number(where, f"{label}[{i}]", x, meta) for i, x in enumerate(v))
    if kind == "by_municipality":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where}: {label} must be a table keyed by municipality code "
                                f"({', '.join(MUNICIPALITY_CODES)}), got {v!r}")
        out = dict(current if current is not None else f.default_factory())
        for code, x in v.items():
            if code not in MUNICIPALITY_CODES:
                raise ScenarioError(f"{where}: {label}.{code}: unknown municipality code"
                                    f"{did_you_mean(code, MUNICIPALITY_CODES)}; expected one of "
                                    f"{', '.join(MUNICIPALITY_CODES)}")
            out[code] = _number(where, f"{label}.{code}", x, meta)
        return out
    if kind == "path":
        if not isinstance(v, dict) or not v:
            raise ScenarioError(f"{where}: {label} must be a table {{year = value}} with at least one year, "
                                f"got {v!r}")
        out = {}
        for year, x in v.items():
            try:
                y = int(year)
            except ValueError:
                raise ScenarioError(f"{where}: {label}.{year}: the key must be a year") from None
            _check_year_key(where, f"{label}.{year}", y)
            out[y] = _number(where, f"{label}.{year}", x, meta)
        return dict(sorted(out.items()))
    if kind == "targets":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where}: {label} must be a table {{GMxxxx = {{year = value}}}}, got {v!r}")
        out = {}
        for code, series in v.items():
            if code not in MUNICIPALITY_CODES:
                raise ScenarioError(f"{where}: {label}.{code}: unknown municipality code"
                                    f"{did_you_mean(code, MUNICIPALITY_CODES)}; expected one of "
                                    f"{', '.join(MUNICIPALITY_CODES)}")
            if not isinstance(series, dict):
                raise ScenarioError(f"{where}: {label}.{code} must be a table {{year = value}}, got {series!r}")
            out[code] = {}
            for year, x in series.items():
                try:
                    y = int(year)
                except ValueError:
                    raise ScenarioError(f"{where}: {label}.{code}.{year}: the key must be a year") from None
                _check_year_key(where, f"{label}.{code}.{year}", y)
                out[code][y] = _number(where, f"{label}.{code}.{year}", x, meta)
        return out
    raise AssertionError(kind)


YEAR_KEYS = (2012, 2100)  # years a table may be keyed by: the first base year with data to the last end year


def _check_year_key(where: str, label: str, year: int) -> None:
    lo, hi = YEAR_KEYS
    if not lo <= year <= hi:
        raise ScenarioError(f"{where}: {label}: year {year} is outside the years the model covers "
                            f"({lo} to {hi})")


def _cross_checks(s: Scenario, where: str) -> None:
    shares = (s.stock.share_single, s.stock.share_couple, s.stock.share_family, s.stock.share_single_parent)
    if abs(sum(shares) - 1.0) > 0.005:
        raise ScenarioError(f"{where}: [stock] share_single + share_couple + share_family + "
                            f"share_single_parent = {sum(shares):.3f}; they must sum to 1")
    for name in ("single_family_type_shares", "construction_period_shares"):
        total = sum(getattr(s.stock, name))
        if abs(total - 1.0) > 0.005:
            raise ScenarioError(f"{where}: [stock] {name} sums to {total:.3f}; the shares must sum to 1")
    f = s.fund
    if f.fund_total_budget_eur > 0:
        total = sum(sum(series.values()) for series in f.fund_contributions_eur.values())
        if abs(total - f.fund_total_budget_eur) > 0.5:
            raise ScenarioError(f"{where}: [fund] fund_contributions_eur add up to EUR {total:,.0f}, but "
                                f"fund_total_budget_eur = {f.fund_total_budget_eur:,.0f}; they must be equal")
    if f.fund_end_year < f.fund_start_year:
        raise ScenarioError(f"{where}: [fund] fund_end_year = {f.fund_end_year} is before fund_start_year = "
                            f"{f.fund_start_year}")
    pt = s.proeftuin
    if pt.proeftuin_total_budget_eur > 0:
        total = sum(pt.proeftuin_budget_eur.values())
        if abs(total - pt.proeftuin_total_budget_eur) > 0.5:
            raise ScenarioError(f"{where}: [proeftuin] proeftuin_budget_eur add up to EUR {total:,.0f}, but "
                                f"proeftuin_total_budget_eur = {pt.proeftuin_total_budget_eur:,.0f}; "
                                "they must be equal")
    if s.run.end_year <= s.run.base_year:
        raise ScenarioError(f"{where}: [run] end_year = {s.run.end_year} must be after base_year = "
                            f"{s.run.base_year}")


def read_toml(path: Path, error: type[Exception] = ScenarioError) -> dict:
    """A TOML file as a dict; a missing file or bad syntax raises ``error`` naming the file (and line)."""
    try:
        with Path(path).open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a TOML file") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); a TOML file must be UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def load_scenario(path: str | Path, _seen: tuple = ()) -> Scenario:
    """Read and validate a scenario TOML file (following ``extends``)."""
    path = Path(path)
    where = str(path)
    if path.resolve() in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path.resolve()))
        raise ScenarioError(f"{where}: 'extends' forms a cycle ({chain})")
    doc = read_toml(path)
    base = Scenario()
    if "extends" in doc:
        parents = doc.pop("extends")
        if isinstance(parents, str):
            parents = [parents]
        if not (isinstance(parents, list) and parents and all(isinstance(x, str) for x in parents)):
            raise ScenarioError(f"{where}: extends = {parents!r} must be a path to a scenario file or a list of "
                                "paths")
        for parent in parents:
            if not (path.parent / parent).exists():
                raise ScenarioError(f"{where}: extends = {parent!r}: {path.parent / parent}: file not found")
        base = load_scenario(path.parent / parents[0], _seen + (path.resolve(),))
        # further parents: the values each changes from the defaults, applied in order (later ones win)
        defaults = Scenario().parameters()
        files = list(base.files)
        for parent in parents[1:]:
            other_sc = load_scenario(path.parent / parent, _seen + (path.resolve(),))
            files += [f for f in other_sc.files if f not in files]
            changed = {k: v for k, v in other_sc.parameters().items() if v != defaults[k]}
            base = base.with_overrides(where=f"{where} (extends {parent})", **changed)
        base = dataclasses.replace(base, files=tuple(files))
    top = {}
    for key in ("name", "description"):
        if key in doc:
            if not isinstance(doc[key], str):
                raise ScenarioError(f"{where}: {key} = {doc[key]!r} must be a string")
            top[key] = doc.pop(key)
    overrides = {}
    for sec, table in doc.items():
        if sec not in SECTIONS:
            hint = did_you_mean(sec, [*SECTIONS, "name", "description", "extends"])
            if not hint and sec in PARAM_INDEX:
                hint = f" ('{sec}' belongs in the section [{PARAM_INDEX[sec]}])"
            raise ScenarioError(f"{where}: unknown section or key '{sec}'{hint}; expected name, description, "
                                f"extends or one of the sections [{'], ['.join(SECTIONS)}]")
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: '{sec}' must be a table [{sec}]")
        known = {f.name for f in fields(SECTIONS[sec])}
        for key, value in table.items():
            if key not in known:
                hint = did_you_mean(key, known)
                if not hint and key in PARAM_INDEX:
                    hint = f" ('{key}' belongs in [{PARAM_INDEX[key]}])"
                raise ScenarioError(f"{where}: unknown key '{key}' in [{sec}]{hint}; expected one of "
                                    f"{', '.join(sorted(known))}")
            overrides[f"{sec}.{key}"] = value
    files = (*base.files, (os.path.normpath(str(path)), top.get("name", "")))
    out = dataclasses.replace(base, source_file=str(path), files=files, **top)
    return out.with_overrides(where=where, **overrides)


def parameter_table() -> list[dict[str, Any]]:
    """Every parameter with section, default, range, unit, meaning and source (for docs and the CLI)."""
    rows = []
    for sec, cls in SECTIONS.items():
        for f in fields(cls):
            m = f.metadata
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default
            rows.append(dict(section=sec, name=f.name, default=default, range=_range_text(m), unit=m["unit"],
                             doc=m["doc"], source=m["source"], calibratable=m["calibratable"]))
    return rows
