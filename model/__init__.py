"""Agent-based model of the housing-stock transition in Zuid- en Oost-Drenthe.

The model writes no files and parses no command line: ``run.py``, ``calibration`` and the tests use it.

    from model import simulate
    table = simulate("scenarios/baseline.toml", seed=1, scale=0.1)
"""

from .core import HousingModel, code_version, simulate
from .data import MUNICIPALITIES, MissingFactError
from .params import Scenario, ScenarioError, load_scenario, parameter_table

__all__ = ["HousingModel", "simulate", "Scenario", "ScenarioError", "load_scenario", "parameter_table",
           "MissingFactError", "MUNICIPALITIES", "code_version"]
