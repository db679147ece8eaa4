"""Test suite of the housing model (a package so that ``python -m tests.baseline_summary`` works)."""
