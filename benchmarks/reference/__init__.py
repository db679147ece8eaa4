"""An object-per-agent reference implementation of the model's yearly rules (plain Mesa), used as an exact
oracle for the vectorised model (tests/test_reference.py) and as the speed baseline (benchmarks/bench.py)."""

from .model import ReferenceModel, ReferencePolicyError, policies_in_use

__all__ = ["ReferenceModel", "ReferencePolicyError", "policies_in_use"]
