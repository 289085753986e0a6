"""Exercise 2.2: a silent bug in DDPG.

Below is an actor-critic for DDPG written from scratch. It runs without any error, and yet
DDPG trained with it learns much worse than with spinup's own actor-critic. This experiment
trains both and plots them. Find the bug: what is wrong, and why does it hurt learning so
much without ever raising an error? (The solution page in the docs explains it.)

    python -m spinup.exercises.check 2.2            # small budget: Pendulum-v1, 3 seeds, 15000 steps
    python -m spinup.exercises.check 2.2 --full     # the original's: HalfCheetah-v5, 3 seeds, 50000 steps

The small budget is six runs (two actor-critics, three seeds) of about 40 seconds of CPU time
each, 4 CPU-minutes in all (measured: 247 s), so about 2 minutes on an idle two-core machine, two
runs side by side with one thread each. Over the last 5 epochs the correct actor-critic averages
a test return of about -150 and the bugged one about -1050, barely better than where both start.
The plot shows this invocation's runs only.

Compare the code below with ``spinup/algos/ddpg/core.py`` and ``spinup/algos/ddpg/ddpg.py``.
"""

import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn

from spinup import user_config
from spinup.algos.ddpg.core import MLPActorCritic as CorrectActorCritic
from spinup.algos.networks import box_bounds, mlp, obs_encoder
from spinup.exercises.common import summarize_sweep
from spinup.exercises.problem_set_2 import plot_runs, threads_per_run
from spinup.utils.grid import ExperimentGrid


class Actor(nn.Module):
    """mu(s): tanh output scaled onto the action bounds."""

    def __init__(self, obs_dim, act_low, act_high, hidden_sizes, activation):
        super().__init__()
        self.pi = mlp([obs_dim, *hidden_sizes, len(act_low)], activation, nn.Tanh)
        self.register_buffer("center", torch.as_tensor((act_high + act_low) / 2, dtype=torch.float32))
        self.register_buffer("half_range", torch.as_tensor((act_high - act_low) / 2, dtype=torch.float32))

    def forward(self, obs):
        return self.center + self.half_range * self.pi(obs)


class QFunction(nn.Module):
    """Q(s, a) on the concatenated observation and action."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
        super().__init__()
        self.q = mlp([obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs, act):
        return self.q(torch.cat([obs, act], dim=-1))


class BuggedActorCritic(nn.Module):
    """An actor-critic for spinup's DDPG: ``pi``, ``q``, ``act(obs)`` and ``obs_dim``."""

    def __init__(self, observation_space, action_space, hidden_sizes=(256, 256), activation=nn.ReLU):
        super().__init__()
        _, self.obs_dim = obs_encoder(observation_space)
        act_low, act_high = box_bounds(action_space)
        self.act_shape = action_space.shape
        self.pi = Actor(self.obs_dim, act_low, act_high, hidden_sizes, activation)
        self.q = QFunction(self.obs_dim, len(act_low), hidden_sizes, activation)

    @torch.no_grad()
    def act(self, obs, deterministic=True):
        """μ(s) for one flat observation, or for each row of a batch (one per environment copy)."""
        obs = torch.as_tensor(obs, dtype=torch.float32)
        act = self.pi(obs.reshape(-1, self.obs_dim)).numpy()
        return act.reshape(self.act_shape) if obs.dim() == 1 else act.reshape(len(act), *self.act_shape)


def ddpg_with(bugged: bool, **kwargs):
    """Run spinup's DDPG with the bugged actor-critic or the correct one."""
    from spinup.algos.ddpg.ddpg import ddpg

    return ddpg(actor_critic=BuggedActorCritic if bugged else CorrectActorCritic, **kwargs)


BUDGETS = {
    "small": dict(env="Pendulum-v1", num_runs=3, steps_per_epoch=1500, total_steps=15000, start_steps=1000,
                  max_ep_len=200, hid=128, l=2),
    "full": dict(env="HalfCheetah-v5", num_runs=3, steps_per_epoch=5000, total_steps=50000, start_steps=5000,
                 max_ep_len=150, hid=300, l=1),
}


def main(argv=None) -> dict:
    """Run the sweep, print a summary and save the plot. Returns the runs' folders, the plot's
    path(s) and the runs that failed."""
    p = argparse.ArgumentParser(prog="python -m spinup.exercises.check 2.2",
                                description="DDPG with a bugged actor-critic and with the correct one.")
    p.add_argument("--full", action="store_true", help="the original's budget: HalfCheetah-v5, 3 seeds, 50000 steps")
    p.add_argument("--env", help="environment (small: Pendulum-v1, full: HalfCheetah-v5)")
    p.add_argument("--hid", type=int, help="hidden layer width (small 128, full 300)")
    p.add_argument("--l", type=int, help="number of hidden layers (small 2, full 1)")
    p.add_argument("--num_runs", "-n", type=int, help="seeds per setting (3)")
    p.add_argument("--steps_per_epoch", "-s", type=int, help="environment steps per epoch")
    p.add_argument("--total_steps", "-t", type=int, help="environment steps per run")
    p.add_argument("--start_steps", type=int, help="steps of uniformly random actions at the start")
    p.add_argument("--parallel", type=int, default=2, help="runs at the same time (default 2)")
    p.add_argument("--save", help="the plot's file (.png, .pdf or .svg; default data/<date>_ex2-2.png)")
    args = p.parse_args(argv)
    b = dict(BUDGETS["full" if args.full else "small"])
    b.update({k: v for k, v in vars(args).items() if k in b and v is not None})

    grid = ExperimentGrid(name="ex2-2_ddpg")
    grid.add("env_name", b["env"], "", True)
    grid.add("bugged", [False, True])
    grid.add("seed", [10 * i for i in range(b["num_runs"])])
    grid.add("ac_kwargs:hidden_sizes", [tuple([b["hid"]] * b["l"])], "hid")
    grid.add("steps_per_epoch", b["steps_per_epoch"])
    grid.add("epochs", int(np.ceil(b["total_steps"] / b["steps_per_epoch"])))
    grid.add("start_steps", min(b["start_steps"], b["total_steps"]))
    grid.add("update_after", min(1000, b["start_steps"]))
    grid.add("max_ep_len", b["max_ep_len"])
    grid.add("batch_size", 64)
    grid.add("polyak", 0.95)
    grid.add("replay_size", b["total_steps"])
    grid.add("num_test_episodes", 5)
    with threads_per_run(args.parallel):
        results = grid.run(ddpg_with, datestamp=True, parallel=args.parallel, check=False)

    print("\n" + summarize_sweep(results, ("AverageTestEpRet", "AverageQVals")))
    ok = [r for r in results if r.ok]
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    save = args.save or os.path.join(user_config.DEFAULT_DATA_DIR, f"{stamp}_ex2-2.png")
    plots = plot_runs(ok, save, value="AverageTestEpRet") if ok else []
    return dict(runs=[r.output_dir for r in results], plots=plots, failed=[r.exp_name for r in results if not r.ok])


if __name__ == "__main__":
    main()
