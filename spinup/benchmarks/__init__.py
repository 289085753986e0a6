"""Benchmark suites, the Stable-Baselines3 runner and the results summary used by ``spinup.bench``.

* :mod:`spinup.benchmarks.suites`: which algorithms run on which environments, budgets, seeds;
* :mod:`spinup.benchmarks.sb3_runner`: Stable-Baselines3 at spinup's hyperparameters, logging
  into spinup's run-folder layout;
* :mod:`spinup.benchmarks.summary`: the table's numbers, the compact CSV, plots, machine record.
"""
