"""Words of the report in Dutch (``nl``) and English (``en``): titles, axis labels with units, captions.

Every string the report shows comes from here, so that a council reads the whole report in one language.
"""

from __future__ import annotations

LANGS = ("nl", "en")

#: measure -> (title, unit) per language. Units go on the axes.
MEASURES: dict[str, dict[str, tuple[str, str]]] = {
    "population": {"en": ("Population", "persons"), "nl": ("Bevolking", "personen")},
    "households": {"en": ("Households", "households"), "nl": ("Huishoudens", "huishoudens")},
    "vacancy_rate_pct": {"en": ("Vacancy rate", "% of dwellings"), "nl": ("Leegstand", "% van de woningen")},
    "unsellable": {"en": ("Unsellable owner-occupied homes", "dwellings"),
                   "nl": ("Onverkoopbare koopwoningen", "woningen")},
    "mean_value_keur": {"en": ("Mean dwelling value (WOZ-like)", "EUR thousand"),
                        "nl": ("Gemiddelde woningwaarde (WOZ-achtig)", "duizend euro")},
    "low_income_owners_in_EFG": {"en": ("Low-income owners in homes with label E, F or G", "households"),
                                 "nl": ("Eigenaar-bewoners met laag inkomen in woning met label E, F of G",
                                        "huishoudens")},
    "energy_poor_households": {"en": ("Energy-poor households", "households"),
                               "nl": ("Huishoudens in energiearmoede", "huishoudens")},
    "persons_75plus_not_lifetime_proof": {"en": ("Persons 75+ in homes that are not lifetime-proof", "persons"),
                                          "nl": ("75-plussers in een niet-levensloopbestendige woning", "personen")},
    "efg_share_pct": {"en": ("Dwellings with label E, F or G", "% of dwellings"),
                      "nl": ("Woningen met label E, F of G", "% van de woningen")},
    "label_share_pct": {"en": ("Energy labels of the dwelling stock", "% of dwellings"),
                        "nl": ("Energielabels van de woningvoorraad", "% van de woningen")},
    # headline table (experiments/comparison.py HEADLINE)
    "cum_policy_spending_eur": {"en": ("Policy spending so far", "EUR"), "nl": ("Beleidsuitgaven tot dan", "euro")},
    "long_term_vacant_dwellings": {"en": ("Long-term vacant homes", "dwellings"),
                                   "nl": ("Langdurig leegstaande woningen", "woningen")},
    "cum_label_steps_all": {"en": ("Label steps so far", "label steps"),
                            "nl": ("Labelstappen tot dan", "labelstappen")},
    "eur_per_low_income_owner_out_of_EFG": {
        "en": ("Cost per low-income owner out of an E-G home", "EUR"),
        "nl": ("Kosten per eigenaar-bewoner met laag inkomen uit een E-G-woning", "euro")},
    "eur_per_label_step": {"en": ("Cost per label step", "EUR"), "nl": ("Kosten per labelstap", "euro")},
    "eur_per_energy_poor_household_fewer": {"en": ("Cost per energy-poor household fewer", "EUR"),
                                            "nl": ("Kosten per huishouden minder in energiearmoede", "euro")},
    "eur_per_person_75plus_in_lifetime_proof_home": {
        "en": ("Cost per person 75+ in a lifetime-proof home", "EUR"),
        "nl": ("Kosten per 75-plusser in een levensloopbestendige woning", "euro")},
    "eur_per_long_term_vacant_home_avoided": {"en": ("Cost per long-term vacant home avoided", "EUR"),
                                              "nl": ("Kosten per voorkomen langdurig leeg huis", "euro")},
    "deadweight_share_label_steps": {"en": ("Deadweight: paid label steps the baseline made anyway", "%"),
                                     "nl": ("Meeliftersaandeel: betaalde labelstappen die ook zonder beleid kwamen",
                                            "%")},
}

#: ledger quantities shown in the fund figures -> label per language
LEDGER: dict[str, dict[str, str]] = {
    "cash_end_eur": {"en": "cash", "nl": "kas"},
    "loan_eur": {"en": "loans outstanding", "nl": "leningen"},
    "homes_value_eur": {"en": "value of the homes held", "nl": "waarde van de woningen in bezit"},
    "net_assets_eur": {"en": "net assets", "nl": "eigen vermogen"},
    "in_contributions": {"en": "in: contributions", "nl": "in: bijdragen"},
    "in_borrowed": {"en": "in: borrowing", "nl": "in: leningen"},
    "in_rent": {"en": "in: rent", "nl": "in: huur"},
    "in_sales_land": {"en": "in: sales and land", "nl": "in: verkoop en grond"},
    "out_purchases": {"en": "out: purchases", "nl": "uit: aankopen"},
    "out_works": {"en": "out: works, demolition, new homes", "nl": "uit: werken, sloop, nieuwbouw"},
    "out_management": {"en": "out: management", "nl": "uit: beheer"},
    "out_finance": {"en": "out: interest and repayment", "nl": "uit: rente en aflossing"},
}

WORDS: dict[str, dict[str, str]] = {
    "title": {"en": "Housing scenarios for Zuid- en Oost-Drenthe", "nl": "Woningscenario's Zuid- en Oost-Drenthe"},
    "subtitle": {"en": "Policy scenarios against the baseline, 2019 to {end}",
                 "nl": "Beleidsscenario's vergeleken met het basisscenario, 2019 tot {end}"},
    "year": {"en": "year (1 January)", "nl": "jaar (1 januari)"},
    "year_end": {"en": "year (31 December)", "nl": "jaar (31 december)"},
    "level": {"en": "level", "nl": "niveau"},
    "difference": {"en": "difference from baseline", "nl": "verschil met basisscenario"},
    "baseline": {"en": "baseline", "nl": "basisscenario"},
    "band": {"en": "5-95 % over seeds", "nl": "5-95 % over de seeds"},
    "region": {"en": "six municipalities together", "nl": "zes gemeenten samen"},
    "source": {"en": "Source: housing model Zuid- en Oost-Drenthe (code {code}); {seeds} seeds, scale {scale}; "
                     "bands: 5-95 % over seeds; {folder}",
               "nl": "Bron: woningmodel Zuid- en Oost-Drenthe (code {code}); {seeds} seeds, schaal {scale}; "
                     "banden: 5-95 % over de seeds; {folder}"},
    "source_boot": {"en": "Source: housing model Zuid- en Oost-Drenthe (code {code}); {seeds} seeds, scale {scale}; "
                          "bands: bootstrap 5-95 % over seeds; {folder}",
                    "nl": "Bron: woningmodel Zuid- en Oost-Drenthe (code {code}); {seeds} seeds, schaal {scale}; "
                          "banden: bootstrap 5-95 % over de seeds; {folder}"},
    "eur_m": {"en": "EUR million", "nl": "miljoen euro"},
    "eur_k_per": {"en": "EUR thousand per result", "nl": "duizend euro per resultaat"},
    "per_municipality": {"en": "per municipality", "nl": "per gemeente"},
    "fund_balance": {"en": "Transformatiefonds: balance at the end of the year",
                     "nl": "Transformatiefonds: balans aan het eind van het jaar"},
    "fund_flows": {"en": "Transformatiefonds: cash flows per year (mean over seeds)",
                   "nl": "Transformatiefonds: kasstromen per jaar (gemiddelde over de seeds)"},
    "cost_effect": {"en": "Cost-effectiveness: cumulative extra spending per result gained",
                    "nl": "Kosteneffectiviteit: cumulatieve extra uitgaven per behaald resultaat"},
    "no_fund": {"en": "No scenario with a Transformatiefonds.", "nl": "Geen scenario met een Transformatiefonds."},
    "headline": {"en": "Headline figures", "nl": "Kerncijfers"},
    "headline_note": {
        "en": "Six municipalities together, 1 January of the year. Baseline: level (mean over seeds). Scenarios: "
              "difference from the baseline, mean over {seeds} seeds [5 %, 95 %] of the paired differences "
              "(cost per result: bootstrap band). '-' where there is no result to divide by.",
        "nl": "Zes gemeenten samen, 1 januari van het jaar. Basisscenario: niveau (gemiddelde over de seeds). "
              "Scenario's: verschil met het basisscenario, gemiddelde over {seeds} seeds [5 %, 95 %] van de "
              "gepaarde verschillen (kosten per resultaat: bootstrapband). '-' waar geen resultaat is om door te "
              "delen."},
    "measure": {"en": "measure", "nl": "maat"},
    "missing_years": {"en": "The runs end before {years}; the table shows {shown}.",
                      "nl": "De runs eindigen voor {years}; de tabel toont {shown}."},
    "figures": {"en": "Figures", "nl": "Figuren"},
    "settings": {"en": "Scenario settings and manifest", "nl": "Scenario-instellingen en manifest"},
    "settings_diff": {"en": "Parameters that differ from the baseline", "nl": "Parameters die afwijken van het "
                                                                               "basisscenario"},
    "parameter": {"en": "parameter", "nl": "parameter"},
    "no_diff": {"en": "none (this is the baseline or equal to it)", "nl": "geen (basisscenario of gelijk eraan)"},
    "manifest_full": {"en": "Full manifest of one run (seed {seed})",
                      "nl": "Volledig manifest van een run (seed {seed})"},
    "comparison_meta": {"en": "Comparison", "nl": "Vergelijking"},
    "how_to_read": {
        "en": "How to read: every scenario is run with the same seeds as the baseline (common random numbers), so "
              "the difference per seed is the policy's effect in that replication. Lines are means over seeds; "
              "shaded bands the 5th to 95th percentile over seeds. The baseline is always black. A row for year Y "
              "describes 1 January of Y.",
        "nl": "Leeswijzer: elk scenario draait met dezelfde seeds als het basisscenario (gemeenschappelijke "
              "toevalsgetallen), dus het verschil per seed is het effect van het beleid in die herhaling. Lijnen "
              "zijn gemiddelden over de seeds; de gekleurde banden het 5e tot 95e percentiel over de seeds. Het "
              "basisscenario is altijd zwart. Een rij voor jaar J beschrijft 1 januari van J."},
    "made": {"en": "Made with: python run.py report {folder} --lang {language}",
             "nl": "Gemaakt met: python run.py report {folder} --lang {language}"},
    "caption_level": {"en": "Top: level, baseline (black) and scenario; bottom: difference from the baseline.",
                      "nl": "Boven: niveau, basisscenario (zwart) en scenario; onder: verschil met het "
                            "basisscenario."},
    "caption_muni_level": {"en": "Level per municipality: baseline (black, grey band 5-95 % over seeds) and "
                                 "scenarios (mean over seeds).",
                           "nl": "Niveau per gemeente: basisscenario (zwart, grijze band 5-95 % over de seeds) en "
                                 "scenario's (gemiddelde over de seeds)."},
    "caption_muni_diff": {"en": "Difference from the baseline per municipality.",
                          "nl": "Verschil met het basisscenario per gemeente."},
    "caption_labels": {"en": "Top: label mix (mean over seeds); bottom: share E-G, difference from the baseline.",
                       "nl": "Boven: labelverdeling (gemiddelde over de seeds); onder: aandeel E-G, verschil met "
                             "het basisscenario."},
    "caption_cost": {"en": "Cumulative extra policy spending / result gained against the baseline; a gap means no "
                           "gain yet. Last panel: share of the paid label steps the baseline made anyway.",
                     "nl": "Cumulatieve extra beleidsuitgaven / behaald resultaat t.o.v. het basisscenario; een gat "
                           "betekent nog geen winst. Laatste paneel: aandeel van de betaalde labelstappen dat ook "
                           "zonder beleid was gezet."},
    "caption_fund_balance": {"en": "Mean over seeds with 5-95 % band.", "nl": "Gemiddelde over de seeds met "
                                                                              "5-95 %-band."},
    "caption_fund_flows": {"en": "Inflows above zero, outflows below.", "nl": "Inkomsten boven nul, uitgaven "
                                                                           "eronder."},
    "pp": {"en": "percentage points", "nl": "procentpunten"},
}


def word(key: str, lang: str, **fmt) -> str:
    text = WORDS[key][lang]
    return text.format(**fmt) if fmt else text


def measure_title(name: str, lang: str) -> str:
    return MEASURES[name][lang][0]


def measure_unit(name: str, lang: str) -> str:
    return MEASURES[name][lang][1]
