"""Exercise 2.1: value-function fitting in TRPO.

TRPO (like VPG and PPO) learns a value function V(s) alongside the policy and uses it as the
baseline in its advantage estimates (GAE-Lambda). ``train_v_iters`` is the number of gradient
steps on the value function per epoch. This experiment trains TRPO with ``train_v_iters=0`` (the
value function stays as it was initialised) and with ``train_v_iters=80`` (the default).

Run it, look at the plot, and answer: what happens when the value function is not trained, and
why? (The solution page in the docs discusses it.)

    python -m spinup.exercises.check 2.1            # small budget: Hopper-v5, 3 seeds, 80 epochs
    python -m spinup.exercises.check 2.1 --full     # the original's: 3 seeds, 250 epochs (hours)

The small budget is six runs (two settings, three seeds) of about 2 minutes of CPU time each,
12 CPU-minutes in all (measured: 700 s), so about 6 minutes on an idle two-core machine, two runs
side by side with one thread each. The curves part after about 40 epochs (160k steps); at the end
the runs with the fitted value function return about 850, those without about 360.
``--num_runs 1`` takes a third of the time. The plot shows this invocation's runs only, even if
the experiment ran before on the same day.

The same experiment from the command line:

    python -m spinup.run trpo --env Hopper-v5 --train_v_iters[v] 0 80 --exp_name ex2-1 \\
        --epochs 250 --steps_per_epoch 4000 --seed 0 10 20 --dt
"""

import argparse
import os
import time

from spinup import user_config
from spinup.exercises.common import summarize_sweep
from spinup.exercises.problem_set_2 import plot_runs, threads_per_run
from spinup.utils.errors import UserError
from spinup.utils.grid import ExperimentGrid

BUDGETS = {
    "small": dict(env="Hopper-v5", epochs=80, steps_per_epoch=4000, num_runs=3),
    "full": dict(env="Hopper-v5", epochs=250, steps_per_epoch=4000, num_runs=3),
}


def main(argv=None) -> dict:
    """Run the sweep, print a summary and save the plot. Returns the runs' folders, the plot's
    path(s) and the runs that failed."""
    p = argparse.ArgumentParser(prog="python -m spinup.exercises.check 2.1",
                                description="TRPO with and without value-function training.")
    p.add_argument("--full", action="store_true", help="the original's budget: 3 seeds of 250 epochs")
    p.add_argument("--env", help="environment (default Hopper-v5)")
    p.add_argument("--epochs", type=int, help="epochs per run (small 80, full 250)")
    p.add_argument("--steps_per_epoch", type=int, help="environment steps per epoch (4000)")
    p.add_argument("--num_runs", "-n", type=int, help="seeds per setting (3)")
    p.add_argument("--parallel", type=int, default=2, help="runs at the same time (default 2)")
    p.add_argument("--save", help="the plot's file (.png, .pdf or .svg; default data/<date>_ex2-1.png)")
    args = p.parse_args(argv)
    budget = dict(BUDGETS["full" if args.full else "small"])
    budget.update({k: v for k, v in vars(args).items() if k in budget and v is not None})

    try:
        from spinup.algos.trpo.trpo import trpo
    except ImportError:
        raise UserError("Exercise 2.1 needs TRPO (spinup.algos.trpo), which this installation lacks.") from None

    grid = ExperimentGrid(name="ex2-1")
    grid.add("env_name", budget["env"], "", True)
    grid.add("seed", [10 * i for i in range(budget["num_runs"])])
    grid.add("epochs", budget["epochs"])
    grid.add("steps_per_epoch", budget["steps_per_epoch"])
    grid.add("train_v_iters", [0, 80], "v")
    with threads_per_run(args.parallel):
        results = grid.run(trpo, datestamp=True, parallel=args.parallel, check=False)

    print("\n" + summarize_sweep(results, ("AverageEpRet", "LossV")))
    ok = [r for r in results if r.ok]
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    save = args.save or os.path.join(user_config.DEFAULT_DATA_DIR, f"{stamp}_ex2-1.png")
    plots = plot_runs(ok, save) if ok else []
    return dict(runs=[r.output_dir for r in results], plots=plots, failed=[r.exp_name for r in results if not r.ok])


if __name__ == "__main__":
    main()
