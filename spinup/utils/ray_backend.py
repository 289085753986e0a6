"""The Ray backend of :meth:`ExperimentGrid.run <spinup.utils.grid.ExperimentGrid.run>`
(``backend='ray'``): one Ray task per experiment, each running the experiment's usual process.

``ray`` is imported only when this backend is used (``pip install 'spinup[ray]'``).
"""

from __future__ import annotations

import os
import os.path as osp

from spinup.utils.errors import UserError
from spinup.utils.launch import PARALLEL_LOG_FILE, Experiment, ExperimentResult, launch_experiment
from spinup.utils.logx import colorize


def require_ray():
    """Import and return ``ray``, or :class:`UserError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError("The Ray backend needs the ray package, which is not installed. Install it "
                        "with: pip install 'spinup[ray]' (or pip install ray).") from None
    return ray


def run_on_ray(experiments: list[Experiment], cpus_per_experiment: int = 1, parallel: int = 1,
               address: str | None = None) -> list[ExperimentResult]:
    """Run each experiment as a Ray task and return how each ended, in the given order.

    Each task reserves ``cpus_per_experiment`` CPUs and runs the experiment's subprocess (the
    same command as the local backend, with the worker's Python), writing its output to
    ``output.log`` in the experiment's folder. On a cluster, spinup must be installed on every
    node and ``data_dir`` must be a folder that every node writes to (a shared file system), since
    each run writes where it runs.

    Args:
        experiments: prepared experiments (see :func:`spinup.utils.launch.prepare_experiment`).
        cpus_per_experiment: CPUs reserved by each task (its MPI processes).
        parallel: with a local Ray instance, how many experiments run at once (the instance gets
            ``parallel * cpus_per_experiment`` CPUs). Ignored on a cluster, whose resources decide.
        address: the cluster to connect to (``'auto'``, ``'ray://host:10001'``). Default None:
            start a local instance, shut down again at the end. If Ray is already initialised in
            this process, that instance is used as it is.
    """
    ray = require_ray()
    started_here = not ray.is_initialized()
    if started_here:
        if address is None:
            # A private, throw-away instance: no dashboard, no authentication token on disk.
            os.environ.setdefault("RAY_AUTH_MODE", "disabled")
            ray.init(num_cpus=parallel * cpus_per_experiment, include_dashboard=False)
        else:
            try:
                ray.init(address=address)
            except (ConnectionError, ValueError, RuntimeError) as e:
                raise UserError(f"Could not connect to the Ray cluster at {address!r}: {e}") from None

    task = ray.remote(num_cpus=cpus_per_experiment, max_retries=0)(launch_experiment)
    refs = []
    try:
        for e in experiments:
            log_file = osp.join(e.output_dir, PARALLEL_LOG_FILE)
            refs.append(task.remote(e, log_file))
            print(f"[queued] {e.exp_name}  (output: {log_file})", flush=True)
        results: dict = {}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            i = refs.index(done[0])
            e = experiments[i]
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayError as err:
                result = ExperimentResult(e.exp_name, e.output_dir, "failed", -1, 0.0,
                                          osp.join(e.output_dir, PARALLEL_LOG_FILE))
                print(colorize(f"[FAILED] {e.exp_name}: the Ray task failed: {err}", "red"), flush=True)
            else:
                if result.ok:
                    print(colorize(f"[done]  {e.exp_name}  in {result.wall_time:.1f}s", "green"), flush=True)
                else:
                    print(colorize(f"[FAILED] {e.exp_name}  (exit status {result.returncode}); "
                                   f"see {result.log_file}", "red"), flush=True)
            results[i] = result
        return [results[i] for i in range(len(experiments))]
    except KeyboardInterrupt:
        # A plain cancel interrupts the task, and the experiment's process is then killed.
        for ref in refs:
            ray.cancel(ref)
        raise
    finally:
        if started_here:
            ray.shutdown()
