"""benchmarks.ab: two source trees imported side by side and stepped in alternation."""

import sys
from pathlib import Path

import pytest

from benchmarks import ab

ROOT = Path(__file__).resolve().parent.parent


def test_compare_steps_both_trees_every_year(capsys):
    results = ab.compare(ROOT, ROOT, scale=0.01, end_year=2021, seed=1, repeat=1, scenario="scenarios/baseline.toml")
    assert sys.modules["model_old.core"] is not sys.modules["model_new.core"]
    assert sys.modules["model_old.core"].__file__ == sys.modules["model_new.core"].__file__
    (r,) = results
    assert r["years"] == 2 and r["old_s"] > 0 and r["new_s"] > 0
    assert r["ratio"] == pytest.approx(r["new_s"] / r["old_s"])
    assert "repeat 0: old" in capsys.readouterr().out


def test_a_tree_without_the_model_is_named(tmp_path):
    with pytest.raises(SystemExit, match="no model/__init__.py"):
        ab.load_tree(tmp_path, "model_missing")
