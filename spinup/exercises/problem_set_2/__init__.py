"""Problem set 2: experiments to run, plot and explain (value-function fitting in TRPO; a
silent bug in DDPG). ``python -m spinup.exercises.check 2.1`` runs one.

What the two experiments share lives here: how many threads each run may use, and a plot of
exactly the runs one invocation made.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def threads_per_run(parallel: int):
    """While the sweep runs, give each of its ``parallel`` processes an equal share of the cores.

    PyTorch starts one thread per core in every process; two runs side by side on two cores then
    fight over four threads and each takes several times longer. The runs inherit our environment,
    so ``OMP_NUM_THREADS`` set here reaches them. A value the user set already is kept.
    """
    if any(v in os.environ for v in THREAD_VARS):
        yield
        return
    share = str(max(1, (os.cpu_count() or 1) // max(1, parallel)))
    os.environ.update({v: share for v in THREAD_VARS})
    try:
        yield
    finally:
        for v in THREAD_VARS:
            os.environ.pop(v, None)


def plot_runs(results, save: str, value: str = "AverageEpRet") -> list[str]:
    """Plot the learning curves of exactly these runs (one curve per experiment: the mean over its
    seeds with a band of one standard deviation) into the file ``save``; returns the saved paths.

    The runs of one experiment share a dated parent folder with any earlier run of the same
    experiment that day; plotting the run folders themselves (a trailing separator tells the
    plotter to take a folder as it is) keeps those earlier runs out of this plot.
    """
    from spinup.utils.plot import make_plots

    folders = sorted(r.output_dir.rstrip(os.sep) + os.sep for r in results)
    return make_plots(folders, values=[value], save=save)
