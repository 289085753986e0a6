"""An ExperimentGrid sweep: PPO on CartPole-v1 with two network sizes and two activations.

Every combination of the values given to ``add`` is one experiment, run in its own process and
written to its own folder, e.g. ``data/ppo-grid_cartpole-v1_hid32_tanh/..._s0``. (The original
Spinning Up called this example ``bench_ppo_cartpole.py``; it is a sweep of settings, not a
benchmark: those are in :mod:`spinup.benchmarks`.)

Run it with:   python spinup/examples/grid_ppo_cartpole.py --num_runs 3 [--cpu 2] [--parallel 2]
Plot it with:  python -m spinup.run plot data/ppo-grid_cartpole-v1 --value AverageEpRet
"""

import argparse

import torch.nn as nn

from spinup.algos.ppo.ppo import ppo
from spinup.utils.grid import ExperimentGrid


def make_grid(num_runs=3, epochs=10, steps_per_epoch=4000) -> ExperimentGrid:
    """The sweep: ``num_runs`` seeds of each of 2 network sizes x 2 activations."""
    eg = ExperimentGrid(name="ppo-grid")
    eg.add("env_name", "CartPole-v1", "", True)            # '' shorthand: the value alone in the name
    eg.add("seed", [10 * i for i in range(num_runs)])
    eg.add("epochs", epochs)
    eg.add("steps_per_epoch", steps_per_epoch)
    eg.add("ac_kwargs:hidden_sizes", [(32,), (64, 64)], "hid")
    eg.add("ac_kwargs:activation", [nn.Tanh, nn.ReLU], "")
    return eg


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=1, help="MPI processes per experiment (default 1)")
    parser.add_argument("--num_runs", type=int, default=3, help="seeds per setting (default 3)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps_per_epoch", type=int, default=4000)
    parser.add_argument("--parallel", type=int, default=1, help="experiments at the same time (default 1)")
    args = parser.parse_args(argv)
    grid = make_grid(args.num_runs, args.epochs, args.steps_per_epoch)
    return grid.run(ppo, num_cpu=args.cpu, parallel=args.parallel)


if __name__ == "__main__":
    main()
