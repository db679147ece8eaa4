"""Shared fixtures: the fact base, and synthetic stocks at full scale (built once per session).

The stocks are read-only for tests: a test that changes a state must build its own.
"""

from __future__ import annotations

import os

import pytest

# Invariant checks (model/checks.py) every simulated year in every test, also in the subprocesses and Dask
# workers tests start (they inherit the environment). ZOD_CHECK=0 switches them off.
os.environ.setdefault("ZOD_CHECK", "1")

from model.data import load_facts, load_wijk_table
from model.params import Scenario
from model.stock import build_stock
from model.streams import Streams

STOCK_SEED = 1


@pytest.fixture(scope="session")
def facts():
    return load_facts()


@pytest.fixture(scope="session")
def wijken():
    return load_wijk_table()


def build(base_year: int = 2019, seed: int = STOCK_SEED, scale: float = 1.0, **overrides):
    """The initial stock of a scenario with the defaults (and overrides) for ``base_year``."""
    sc = Scenario().with_overrides(base_year=base_year, scale=scale, **overrides)
    return sc, build_stock(sc, load_facts(), load_wijk_table(), Streams(seed))


@pytest.fixture(scope="session")
def stock_2019():
    """(scenario, state) of the 2019 stock at scale 1.0 (about 0.5 s)."""
    return build(2019)


@pytest.fixture(scope="session")
def stock_2012():
    """(scenario, state) of the 2012 stock at scale 1.0."""
    return build(2012)
