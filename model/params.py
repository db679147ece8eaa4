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
import math
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
        doc="Age at which an unmaintained dwelling's technical condition reaches 0 (condition = 1 - age/lifetime).")
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
    """Technical condition: decay with age, maintenance by owners with means, written-off homes."""


@dataclass(frozen=True)
class RenovationParams:
    """Owner-occupiers improving their energy label or making their home lifetime-proof."""


@dataclass(frozen=True)
class CorporationParams:
    """Housing corporations and private landlords: renovation toward label targets, demolition, sales."""


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
}


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario: every parameter of every section."""

    name: str = "baseline"
    description: str = ""
    source_file: str = ""
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
    raise ScenarioError(f"{where}: unknown parameter '{key}'; see `python run.py params` for the names")


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
    if not math.isfinite(v) or (meta["low"] is not None and v < meta["low"]) or (
            meta["high"] is not None and v > meta["high"]):
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
            raise ScenarioError(f"{where}: {label} = {v!r} is not a string")
        return v
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
                raise ScenarioError(f"{where}: {label}.{code}: unknown municipality code; expected one of "
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
            out[y] = _number(where, f"{label}.{year}", x, meta)
        return dict(sorted(out.items()))
    if kind == "targets":
        if not isinstance(v, dict):
            raise ScenarioError(f"{where}: {label} must be a table {{GMxxxx = {{year = value}}}}, got {v!r}")
        out = {}
        for code, series in v.items():
            if code not in MUNICIPALITY_CODES:
                raise ScenarioError(f"{where}: {label}.{code}: unknown municipality code; expected one of "
                                    f"{', '.join(MUNICIPALITY_CODES)}")
            if not isinstance(series, dict):
                raise ScenarioError(f"{where}: {label}.{code} must be a table {{year = value}}, got {series!r}")
            out[code] = {}
            for year, x in series.items():
                try:
                    y = int(year)
                except ValueError:
                    raise ScenarioError(f"{where}: {label}.{code}.{year}: the key must be a year") from None
                out[code][y] = _number(where, f"{label}.{code}.{year}", x, meta)
        return out
    raise AssertionError(kind)


def _cross_checks(s: Scenario, where: str) -> None:
    shares = (s.stock.share_single, s.stock.share_couple, s.stock.share_family, s.stock.share_single_parent)
    if abs(sum(shares) - 1.0) > 0.005:
        raise ScenarioError(f"{where}: [stock] share_single + share_couple + share_family + "
                            f"share_single_parent = {sum(shares):.3f}; they must sum to 1")
    for name in ("single_family_type_shares", "construction_period_shares"):
        total = sum(getattr(s.stock, name))
        if abs(total - 1.0) > 0.005:
            raise ScenarioError(f"{where}: [stock] {name} sums to {total:.3f}; the shares must sum to 1")
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
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def load_scenario(path: str | Path, _seen: tuple = ()) -> Scenario:
    """Read and validate a scenario TOML file (following ``extends``)."""
    path = Path(path)
    where = str(path)
    if path.resolve() in _seen:
        raise ScenarioError(f"{where}: 'extends' forms a cycle")
    doc = read_toml(path)
    base = Scenario()
    if "extends" in doc:
        parent = doc.pop("extends")
        if not isinstance(parent, str):
            raise ScenarioError(f"{where}: extends = {parent!r} must be a path to a scenario file")
        base = load_scenario(path.parent / parent, _seen + (path.resolve(),))
    top = {}
    for key in ("name", "description"):
        if key in doc:
            if not isinstance(doc[key], str):
                raise ScenarioError(f"{where}: {key} = {doc[key]!r} must be a string")
            top[key] = doc.pop(key)
    overrides = {}
    for sec, table in doc.items():
        if sec not in SECTIONS:
            raise ScenarioError(f"{where}: unknown section or key '{sec}'; expected name, description, "
                                f"extends or one of the sections [{'], ['.join(SECTIONS)}]")
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: '{sec}' must be a table [{sec}]")
        known = {f.name for f in fields(SECTIONS[sec])}
        for key, value in table.items():
            if key not in known:
                raise ScenarioError(f"{where}: unknown key '{key}' in [{sec}]; expected one of "
                                    f"{', '.join(sorted(known))}")
            overrides[f"{sec}.{key}"] = value
    out = dataclasses.replace(base, source_file=str(path), **top)
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
