"""The report (run.py report): built from a small real comparison run; every figure exists as PNG, is not
empty and is embedded; the HTML fetches nothing from outside; bands come from the per-seed runs; Dutch and
English; units, palette and source line on the figures."""

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import run
from report import data, figures

SCEN = Path(__file__).resolve().parent.parent / "scenarios"
EXPECTED = ["population", "households", "vacancy_rate_pct", "unsellable", "mean_value_keur", "labels",
            "low_income_owners_in_EFG", "energy_poor_households", "persons_75plus_not_lifetime_proof",
            "fund_balance", "fund_flows", "cost_effectiveness", "municipalities_population",
            "municipalities_vacancy_rate_pct", "municipalities_low_income_owners_in_EFG",
            "municipalities_energy_poor_households", "municipalities_persons_75plus_not_lifetime_proof"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    rc = run.main(["compare", str(SCEN / "baseline.toml"), str(SCEN / "proeftuin.toml"),
                   str(SCEN / "transformatiefonds.toml"), "--seeds", "1-3", "--scale", "0.03", "--end-year", "2026",
                   "--executor", "serial", "--out", str(out), "--quiet", "--years", "2024,2026"])
    assert rc == 0
    return out


@pytest.fixture(scope="module")
def report_en(results):
    rc = run.main(["report", str(results), "--lang", "en", "--years", "2024,2026"])
    assert rc == 0
    return results / "report" / "en" / "report.html"


def test_cli_prints_the_path_and_writes_every_figure(results, report_en, capsys):
    assert report_en.is_file()
    pngs = sorted(p.stem for p in report_en.parent.glob("*.png"))
    assert pngs == sorted(EXPECTED)
    import matplotlib.image as mpimg

    for name in EXPECTED:
        path = report_en.parent / f"{name}.png"
        raw = path.read_bytes()
        assert raw[:8] == b"\x89PNG\r\n\x1a\n", name
        img = mpimg.imread(path)[..., :3]
        assert img.shape[0] > 400 and img.shape[1] > 800, name
        not_white = (img < 0.95).any(axis=2).mean()
        assert 0.02 < not_white < 0.9, f"{name}: {not_white:.3f} of the pixels drawn"
        assert img.std() > 0.05, name
    rc = run.main(["report", str(results), "--lang", "en", "--out", str(results / "again")])
    assert rc == 0
    assert capsys.readouterr().out.strip() == str(results / "again" / "report.html")


def test_figures_are_embedded_in_the_html(report_en):
    text = report_en.read_text(encoding="utf-8")
    uris = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert len(uris) == len(EXPECTED)
    on_disk = {(report_en.parent / f"{n}.png").read_bytes() for n in EXPECTED}
    assert {base64.b64decode(u) for u in uris} == on_disk


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags, self.style = [], [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for k, val in attrs:
            if k in ("src", "href", "srcset", "poster", "data", "action", "background", "xlink:href") or (
                    k == "style" and val and "url(" in val):
                self.refs.append((tag, k, val or ""))

    def handle_data(self, d):
        if self._in_style:
            self.style.append(d)

    def handle_endtag(self, tag):
        self._in_style = False


def test_html_references_no_external_resource(report_en):
    p = _Refs()
    p.feed(report_en.read_text(encoding="utf-8"))
    assert sum(1 for t, k, _ in p.refs if t == "img" and k == "src") == len(EXPECTED)
    for tag, attr, val in p.refs:
        assert val.startswith(("data:", "#")), f"<{tag} {attr}={val[:60]!r}> loads from outside the file"
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert tag not in p.tags
    css = "".join(p.style)
    assert css and "url(" not in css and "@import" not in css


def test_bands_come_from_the_per_seed_runs(results):
    res = data.load(results)
    # recompute the region's low-income owners in E-G homes per seed straight from the run files
    per_seed = {}
    for scen in ("baseline", "proeftuin"):
        for path in sorted((results / "runs" / f"scenario={scen}").glob("paramset=*/seed=*.parquet")):
            df = pq.read_table(path).to_pandas()
            per_seed[(scen, int(path.stem.split("=")[1]))] = df.groupby("year")["low_income_owners_in_EFG"].sum()
    seeds = sorted(s for sc, s in per_seed if sc == "proeftuin")
    assert seeds == [1, 2, 3]
    diff = pd.DataFrame({s: per_seed[("proeftuin", s)] - per_seed[("baseline", s)] for s in seeds})
    got = data.difference(res, "proeftuin", "low_income_owners_in_EFG")
    np.testing.assert_allclose(got["mean"], diff.mean(axis=1))
    np.testing.assert_allclose(got["p05"], np.percentile(diff, 5, axis=1))
    np.testing.assert_allclose(got["p95"], np.percentile(diff, 95, axis=1))
    lvl = data.level(res, "baseline", "population")
    pop = pd.DataFrame({s: pq.read_table(results / "runs" / "scenario=baseline" / "paramset=base" /
                                         f"seed={s}.parquet").to_pandas().groupby("year")["population"].sum()
                        for s in seeds})
    np.testing.assert_allclose(lvl["p95"], np.percentile(pop, 95, axis=1))
    assert (lvl["p05"] <= lvl["mean"]).all() and (lvl["mean"] <= lvl["p95"]).all()
    assert (lvl["p95"] - lvl["p05"]).iloc[1:].gt(0).all()  # the seeds differ: the band is not a line


def test_headline_table_and_settings(results, report_en):
    text = report_en.read_text(encoding="utf-8")
    assert "<h3>2024</h3>" in text and "<h3>2026</h3>" in text
    c = pq.read_table(results / "comparison.parquet").to_pandas()
    r = c[(c.scenario == "transformatiefonds") & (c.year == 2026) & (c.municipality_code == "REGION")
          & (c.measure == "cum_policy_spending_eur")].iloc[0]
    assert r.difference_mean > 0
    from report.build import _cell

    assert _cell(r.difference_mean, "en", True) in text
    # the scenario settings and manifest at the end
    assert text.index("Scenario settings and manifest") > text.index("cost_effectiveness.png")
    assert "fund.fund_total_budget_eur" in text and "proeftuin.proeftuin_total_budget_eur" in text
    assert "Full manifest of one run" in text and "&quot;code_version&quot;" in text


def test_dutch_and_english(results, report_en):
    assert run.main(["report", str(results), "--lang", "nl", "--years", "2024,2026"]) == 0
    nl = (results / "report" / "nl" / "report.html").read_text(encoding="utf-8")
    en = report_en.read_text(encoding="utf-8")
    assert '<html lang="nl">' in nl and '<html lang="en">' in en
    assert "Bevolking - zes gemeenten samen" in nl and "Kerncijfers" in nl
    assert "Population - six municipalities together" in en and "Bevolking" not in en
    assert sorted(p.stem for p in (results / "report" / "nl").glob("*.png")) == sorted(EXPECTED)
    assert run.main(["report", str(results), "--lang", "de"]) == 2


def test_figures_follow_good_practice(results):
    res = data.load(results)
    colours = figures.scenario_colours(res)
    assert colours["baseline"] == figures.BASELINE_COLOUR == "#000000"
    assert {colours["proeftuin"], colours["transformatiefonds"]} <= set(figures.OKABE_ITO)
    figs = figures.all_figures(res, "nl")
    assert [f.id for f in figs] == EXPECTED
    for f in figs:
        fig = f.figure
        texts = [t.get_text() for t in fig.texts] + [fig._supxlabel.get_text() if fig._supxlabel else ""]
        assert any(t.startswith("Bron: woningmodel") for t in texts), f.id  # source line under each figure
        axes = [ax for sf in [fig, *fig.subfigs] for ax in sf.axes if ax.get_visible()]
        assert axes, f.id
        for ax in axes:  # every row of panels has its unit on the value axis
            if ax.get_subplotspec().colspan.start == 0:
                assert ax.get_ylabel(), (f.id, ax.get_title())
            for lab in ax.get_yticklabels() + [ax.title, ax.xaxis.label]:
                if lab.get_text():
                    assert lab.get_fontsize() >= 9.5, (f.id, lab.get_text())
        fig.clear()


def test_errors_exit_2(tmp_path):
    assert run.main(["report", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert run.main(["report", str(tmp_path / "empty")]) == 2
