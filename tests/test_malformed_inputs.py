"""Malformed input of every kind -- scenario files, experiment files, data files, command-line arguments --
through the real command line (``run.main``): each ends with one message naming the file and the key or
line and what was expected, exit code 2, no traceback, and no file written anywhere.

Every case runs in an empty working folder (so that a default ``results/`` would show up) with ``--out``
inside it; the files in that folder are compared before and after.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import run  # noqa: E402  (run.py lives at the project root)
from model.data import default_data_dir, load_facts, load_wijk_table  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"
QUICK = ["--scale", "0.01", "--end-year", "2020"]
BATCH = ["--executor", "serial", "--quiet"]

# (id, {file name: text}, argv (placeholders {tmp} and {baseline}), words the message must contain)
SCENARIO_CASES = [
    ("toml-syntax", {"s.toml": "[demography]\ntotal_fertility_rate = \n"}, "line 2"),
    ("toml-syntax-unclosed", {"s.toml": 'name = "x\n'}, "not valid TOML"),
    ("unknown-key-typo", {"s.toml": "[demography]\ntotal_fertility = 1.5\n"},
     "did you mean 'total_fertility_rate'"),
    ("unknown-section-typo", {"s.toml": "[demograpy]\ntotal_fertility_rate = 1.5\n"}, "did you mean 'demography'"),
    ("key-in-wrong-section", {"s.toml": "[stock]\ntotal_fertility_rate = 1.5\n"}, "belongs in [demography]"),
    ("top-level-parameter", {"s.toml": "total_fertility_rate = 1.5\n"}, "belongs in the section [demography]"),
    ("wrong-type", {"s.toml": '[demography]\ntotal_fertility_rate = "high"\n'}, "is not a number"),
    ("out-of-range", {"s.toml": "[demography]\ntotal_fertility_rate = 7.0\n"}, "out of range; allowed 1.0 to 2.5"),
    ("nan", {"s.toml": "[demography]\ntotal_fertility_rate = nan\n"}, "not a finite number"),
    ("inf", {"s.toml": "[stock_change]\ndemolition_per_1000 = inf\n"}, "not a finite number"),
    ("not-whole", {"s.toml": "[stock_change]\nstructural_vacancy_years = 2.5\n"}, "not a whole number"),
    ("list-length", {"s.toml": "[migration]\nout_migration_rate_by_age = [0.05, 0.03]\n"}, "list of 5 numbers"),
    ("unknown-cbs-code", {"s.toml": "[migration]\nin_migration_per_1000 = {GM0115 = 20}\n"},
     "GM0115: unknown municipality code"),
    ("unknown-cbs-code-targets", {"s.toml": "[alignment]\npopulation_targets = {GM9999 = {2030 = 1000}}\n"},
     "GM9999: unknown municipality code"),
    ("year-outside-data", {"s.toml": "[alignment]\npopulation_targets = {GM0114 = {1990 = 100000}}\n"},
     "year 1990 is outside the years the model covers"),
    ("base-year-without-data", {"s.toml": "[run]\nbase_year = 2015\n"}, "expected one of 2012, 2017, 2018, 2019"),
    ("end-before-base", {"s.toml": "[run]\nend_year = 2019\n"}, "must be after base_year"),
    ("shares-do-not-add-up", {"s.toml": "[stock]\nshare_single = 0.5\n"}, "they must sum to 1"),
    ("shares-vector", {"s.toml": "[stock]\nsingle_family_type_shares = [0.5, 0.5, 0.5]\n"}, "must sum to 1"),
    ("circular-extends", {"s.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "s.toml"\n'},
     "'extends' forms a cycle (s.toml -> b.toml -> s.toml)"),
    ("extends-missing", {"s.toml": 'extends = "nowhere.toml"\n'}, "nowhere.toml: file not found"),
    ("name-not-string", {"s.toml": "name = 5\n"}, "name = 5 must be a string"),
    ("section-not-table", {"s.toml": "demography = 3\n"}, "must be a table [demography]"),
]


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def expect_usage_error(capsys, workdir: Path, argv: list[str], *words: str) -> str:
    """Run the command line; assert exit 2, one message with the words, no traceback, no new file."""
    before = snapshot(workdir)
    code = run.main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    assert "error: " in err, err
    for w in words:
        assert w in err, f"{w!r} not in the message: {err}"
    assert snapshot(workdir) == before, f"files appeared: {snapshot(workdir) - before}"
    assert not (workdir / "out").exists() and not (workdir / "results").exists()
    return err


@pytest.mark.parametrize("case, files, words", SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES])
def test_malformed_scenario(workdir, capsys, case, files, words):
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    err = expect_usage_error(capsys, workdir, ["run", "s.toml", *QUICK, "--out", "out"], words)
    assert "s.toml" in err  # the file is named


def test_scenario_not_utf8(workdir, capsys):
    (workdir / "s.toml").write_bytes(b"name = \"caf\xe9\"\n")
    expect_usage_error(capsys, workdir, ["run", "s.toml", "--out", "out"], "s.toml: not UTF-8")


def test_scenario_is_a_folder(workdir, capsys):
    (workdir / "s.toml").mkdir()
    before = snapshot(workdir)
    assert run.main(["run", "s.toml", "--out", "out"]) == 2
    assert "s.toml: is a folder" in capsys.readouterr().err
    assert snapshot(workdir) == before


def test_scenario_file_missing(workdir, capsys):
    expect_usage_error(capsys, workdir, ["run", "missing.toml", "--out", "out"], "missing.toml: file not found")


def test_code_in_a_scenario_is_data_not_code(workdir, capsys):
    """A value that looks like Python is text: refused as not a number, never evaluated."""
    marker = workdir.parent / "evaluated"
    (workdir / "s.toml").write_text(f'[demography]\ntotal_fertility_rate = "__import__(\'pathlib\').Path('
                                    f'\'{marker}\').touch() or 1.5"\n', encoding="utf-8")
    expect_usage_error(capsys, workdir, ["run", "s.toml", "--out", "out"], "is not a number")
    assert not marker.exists()


# -- experiment files ----------------------------------------------------------------------------------
EXPERIMENT_CASES = [
    ("exp-syntax", 'scenarios = ["{b}"]\nseeds = \n', "line 2"),
    ("exp-unknown-key", 'scenarios = ["{b}"]\nseed = 3\n', "did you mean 'seeds'"),
    ("exp-seeds-backwards", 'scenarios = ["{b}"]\nseeds = "5-1"\n', "runs backwards"),
    ("exp-seed-too-large", 'scenarios = ["{b}"]\nseeds = [9223372036854775808, 1]\nscale = 0.01\n',
     "above the largest seed"),
    ("exp-too-many-seeds", 'scenarios = ["{b}"]\nseeds = "0-99999999"\n', "more than 1,000,000 seeds"),
    ("exp-grid-out-of-range", 'scenarios = ["{b}"]\n[parameters]\nmethod = "grid"\n[parameters.values]\n'
                              "total_fertility_rate = [1.5, 3.5]\n", "set p001: [demography] total_fertility_rate"),
    ("exp-range-infinite", 'scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsamples = 2\n[parameters.ranges]\n'
                           "total_fertility_rate = [1.3, inf]\n", "low < high"),
    ("exp-parameters-typo", 'scenarios = ["{b}"]\n[parameters]\nmethod = "lhs"\nsample = 2\n',
     "did you mean 'samples'"),
    ("exp-unknown-parameter", 'scenarios = ["{b}"]\n[parameters]\nmethod = "grid"\n[parameters.values]\n'
                              "total_fertilty_rate = [1.5]\n", "did you mean 'total_fertility_rate'"),
    ("exp-name-dotdot", 'name = ".."\nscenarios = ["{b}"]\n', "name = '..'"),
    ("exp-scenario-missing", 'scenarios = ["nowhere.toml"]\n', "nowhere.toml not found"),
    ("exp-scale-nan", 'scenarios = ["{b}"]\nscale = nan\n', "not a finite number"),
]


@pytest.mark.parametrize("case, body, words", EXPERIMENT_CASES, ids=[c[0] for c in EXPERIMENT_CASES])
def test_malformed_experiment(workdir, capsys, case, body, words):
    (workdir / "exp.toml").write_text(body.replace("{b}", str(BASELINE)), encoding="utf-8")
    err = expect_usage_error(capsys, workdir, ["batch", "exp.toml", *BATCH, "--out", "out"], words)
    assert "exp.toml" in err


def test_scenario_name_cannot_leave_the_output_folder(workdir, capsys):
    """A scenario named '../x' would write beside the output folder: refused before anything is written."""
    (workdir / "s.toml").write_text('name = "../escape"\n', encoding="utf-8")
    expect_usage_error(capsys, workdir, ["batch", "s.toml", "--seeds", "0", *QUICK, *BATCH, "--out", "out"],
                       "s.toml: name = '../escape' cannot name a results folder")
    assert not (workdir.parent / "escape").exists()


# -- data files ------------------------------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the data files, used by the model through ZOD_DATA_DIR (caches cleared before and after)."""
    d = tmp_path / "data"
    shutil.copytree(default_data_dir(), d)
    monkeypatch.setenv("ZOD_DATA_DIR", str(d))
    load_facts.cache_clear()
    load_wijk_table.cache_clear()
    yield d
    load_facts.cache_clear()
    load_wijk_table.cache_clear()


def edit_lines(path: Path, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(edit(lines)), encoding="utf-8")


def replace_value(lines, geography, year, variable, new):
    out = []
    for ln in lines:
        f = ln.split(",")
        if f[0] == geography and f[2] == year and f[3] == variable:
            f[4] = new
            ln = ",".join(f)
        out.append(ln)
    return out


DATA_CASES = [
    ("facts-missing-column", "facts.csv",
     lambda ls: [ls[0].replace(",value,", ",waarde,")] + ls[1:], "lacks the column(s) value"),
    ("facts-non-numeric", "facts.csv",
     lambda ls: replace_value(ls, "Emmen", "2019", "AantalInwoners", "107.113 (approx)"),
     "Emmen 2019 AantalInwoners: value '107.113 (approx)' is not a number"),
    ("facts-nan", "facts.csv", lambda ls: replace_value(ls, "Hoogeveen", "2019", "Mannen", "nan"),
     "not a finite number"),
    ("facts-missing-figure", "facts.csv",
     lambda ls: [ln for ln in ls if not ln.startswith("Coevorden,GM0109,2019,Woningvoorraad,")],
     "no figure for Coevorden (GM0109), 2019, Woningvoorraad"),
    ("facts-row-cut-short", "facts.csv", lambda ls: ls[:5] + ["Emmen,GM0114,2019\n"] + ls[5:], "line 6: 3 fields"),
    ("wijk-non-numeric", "wijk_shares.csv", lambda ls: [ls[0], ls[1].replace(",0.43837,", ",veel,")] + ls[2:],
     "share_of_municipal_dwellings = 'veel' is not a number"),
    ("wijk-shares-do-not-sum", "wijk_shares.csv", lambda ls: [ls[0], ls[1].replace(",0.43837,", ",0.83837,")] + ls[2:],
     "of GM0109 (Coevorden) sum to 1.40000; they must sum to 1"),
    ("wijk-missing-column", "wijk_shares.csv",
     lambda ls: [ls[0].replace("municipality_code", "gemeente")] + ls[1:], "lacks the column(s) municipality_code"),
]


@pytest.mark.parametrize("case, file, edit, words", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_malformed_data_file_run(workdir, data_dir, capsys, case, file, edit, words):
    edit_lines(data_dir / file, edit)
    err = expect_usage_error(capsys, workdir, ["run", str(BASELINE), *QUICK, "--out", "out"], words)
    assert file in err


@pytest.mark.parametrize("case, file, edit, words", [DATA_CASES[1], DATA_CASES[3], DATA_CASES[6]],
                         ids=["batch-" + DATA_CASES[i][0] for i in (1, 3, 6)])
def test_malformed_data_file_batch(workdir, data_dir, capsys, case, file, edit, words):
    """The batch checks the data before it writes its folder (runs would otherwise fail one by one)."""
    edit_lines(data_dir / file, edit)
    expect_usage_error(capsys, workdir, ["batch", str(BASELINE), "--seeds", "0-1", *QUICK, *BATCH, "--out", "out"],
                       words, file)


# -- command-line arguments --------------------------------------------------------------------------------
CLI_CASES = [
    ("seed-negative", ["run", "{b}", "--seed", "-1"], "the seed must be from 0 to"),
    ("seed-too-large", ["run", "{b}", "--seed", "9223372036854775808"], "the seed must be from 0 to"),
    ("seed-not-a-number", ["run", "{b}", "--seed", "one"], "'one' is not a whole number"),
    ("scale-nan", ["run", "{b}", "--scale", "nan"], "[run] scale = nan is not a finite number"),
    ("scale-zero", ["run", "{b}", "--scale", "0"], "[run] scale = 0.0 is out of range"),
    ("end-year-out-of-range", ["run", "{b}", "--end-year", "2200"], "[run] end_year = 2200 is out of range"),
    ("set-typo", ["run", "{b}", "--set", "total_fertilty_rate=1.5"], "did you mean 'total_fertility_rate'"),
    ("set-not-toml", ["run", "{b}", "--set", "total_fertility_rate=high"], "is not a TOML value"),
    ("seeds-backwards", ["batch", "{b}", "--seeds", "9-3"], "runs backwards"),
    ("seeds-too-many", ["batch", "{b}", "--seeds", "0-5000000"], "more than 1,000,000 seeds"),
    ("seeds-too-large", ["batch", "{b}", "--seeds", "9223372036854775808"], "above the largest seed"),
    ("shard-out-of-range", ["batch", "{b}", "--shard", "3/2"], "--shard '3/2': expected I/N with 0 <= I < N"),
    ("shard-malformed", ["batch", "{b}", "--shard", "1of2"], "--shard '1of2'"),
    ("workers-zero", ["batch", "{b}", "--executor", "local", "--workers", "0"], "expected from 1 to 1024 workers"),
    ("scheduler-without-dask", ["batch", "{b}", "--executor", "local", "--scheduler", "tcp://10.0.0.1:8786"],
     "only used with --executor dask"),
    ("scheduler-malformed", ["batch", "{b}", "--executor", "dask", "--scheduler", "my cluster"],
     "expected an address such as tcp://HOST:PORT"),
    ("listen-without-local", ["batch", "{b}", "--executor", "serial", "--listen", "0.0.0.0"],
     "--listen is only used with --executor local"),
    ("name-escapes", ["batch", "{b}", "--name", "../../escape"], "--name '../../escape'"),
    ("executor-unknown", ["batch", "{b}", "--executor", "threads"], "invalid choice: 'threads'"),
    ("experiment-file-with-seeds", ["batch", "{exp}", "--seeds", "0-3"], "is an experiment file"),
]


@pytest.mark.parametrize("case, argv, words", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_malformed_command_line(workdir, capsys, case, argv, words):
    (workdir / "exp.toml").write_text(f'scenarios = ["{BASELINE}"]\n', encoding="utf-8")
    argv = [a.replace("{b}", str(BASELINE)).replace("{exp}", "exp.toml") for a in argv]
    extra = ["--out", "out"] if argv[0] == "run" else ["--out", "out", "--quiet"]
    if argv[0] == "batch" and "--executor" not in argv:
        extra += ["--executor", "serial"]
    expect_usage_error(capsys, workdir, [*argv, *extra], words)


def test_out_is_a_file(workdir, capsys):
    (workdir / "out").write_text("not a folder\n", encoding="utf-8")
    before = snapshot(workdir)
    for argv in (["run", str(BASELINE), *QUICK, "--out", "out"],
                 ["batch", str(BASELINE), "--seeds", "0", *QUICK, *BATCH, "--out", "out"]):
        assert run.main(argv) == 2
        err = capsys.readouterr().err
        assert "--out out: is a file, not a folder" in err, err
        assert snapshot(workdir) == before
    assert (workdir / "out").read_text(encoding="utf-8") == "not a folder\n"


def test_there_are_at_least_30_malformed_inputs():
    n = (len(SCENARIO_CASES) + 4 + len(EXPERIMENT_CASES) + 1 + len(DATA_CASES) + 3 + len(CLI_CASES) + 1)
    assert n >= 30, n
    assert os.environ.get("ZOD_DATA_DIR") is None  # the data fixture cleaned up after itself
