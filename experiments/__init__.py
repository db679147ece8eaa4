"""Experiments at scale: scenarios x parameter sets x seeds on a serial, local-Dask or Dask-cluster executor,
written as one resumable Parquet dataset. Imports ``model``; the model never imports this package.

    from experiments import load_experiment, run_experiment, open_dataset
    summary = run_experiment(load_experiment("experiments/example.toml"), "results/example")
    table = open_dataset("results/example").to_table()
"""

from .dataset import open_dataset
from .definition import (
           Experiment,
           ExperimentError,
           RunSpec,
           experiment_from_args,
           load_experiment,
           parse_seeds,
)
from .runner import EXECUTORS, Summary, execute_run, local_cluster, run_experiment

__all__ = ["Experiment", "ExperimentError", "RunSpec", "experiment_from_args", "load_experiment", "parse_seeds",
           "open_dataset", "run_experiment", "execute_run", "local_cluster", "Summary", "EXECUTORS"]
