"""Calibration data, targets and (later) calibration and sensitivity analysis. Imports `model`, never the reverse."""
