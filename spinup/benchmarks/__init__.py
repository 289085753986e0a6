"""Everything that benchmarks spinup; the results go to ``benchmarks/results/`` of the checkout.

* :mod:`spinup.benchmarks.harness`: the learning benchmarks, ``python -m spinup.run bench SUITE``
  (plan, launch, resume, summarise);
* :mod:`spinup.benchmarks.suites`: which algorithms run on which environments, budgets, seeds;
* :mod:`spinup.benchmarks.sb3_runner`: Stable-Baselines3 at spinup's hyperparameters, logging
  into spinup's run-folder layout;
* :mod:`spinup.benchmarks.summary`: where results go, the table's numbers, the compact CSV,
  plots, the record of machine, versions and commit;
* :mod:`spinup.benchmarks.onpolicy_throughput`, :mod:`spinup.benchmarks.offpolicy_throughput`:
  training speed next to Stable-Baselines3 (``python -m spinup.benchmarks.onpolicy_throughput``);
* :mod:`spinup.benchmarks.vector_throughput`: training speed with ``num_envs`` copies of the
  environment (PPO at 1 to 16, SAC and DQN at 1 and 4) next to Stable-Baselines3 at the same
  number of copies;
* :mod:`spinup.benchmarks.speed_devices`: what each device of :mod:`spinup.utils.speed` saves.
"""
