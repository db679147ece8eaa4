"""Consistency checks of a model state, shared by the stock and accounting tests.

They live in :mod:`model.checks` (where a run with ``check=True`` uses them every year) and are re-exported
here for the tests. Each check raises :class:`model.checks.InvariantError` (an AssertionError) with a
message saying what is broken, where and how often.
"""

from __future__ import annotations

from model.checks import (  # noqa: F401  (re-exported)
    InvariantError,
    check_households_and_dwellings,
    check_persons,
    check_state,
    check_tables,
    check_tenure,
    population_by_municipality,
    stock_by_municipality,
)
