"""Small MPI helpers for running one experiment in several processes.

Every function works in a plain single process too: ``mpi4py`` is imported only when the
program runs under ``mpiexec`` (or once ``mpi_fork`` has been asked for more than one
process), so single-process runs never load the MPI library.

Typical use (the on-policy algorithms do exactly this)::

    mpi_fork(num_cpu)            # re-launch this program under mpiexec with num_cpu processes
    setup_pytorch_for_mpi()      # one torch thread per process
    ...                          # each process collects steps_per_epoch / num_procs() steps
    mpi_avg_grads(module)        # between loss.backward() and optimizer.step()
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np

from spinup.utils.errors import UserError

# Variables that MPI launchers set in each process they start (MPICH/Hydra, Open MPI, Slurm's PMI).
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")

_comm = None


def launched_by_mpi() -> bool:
    """True when this process was started by ``mpiexec`` (by ``mpi_fork`` or by hand)."""
    return os.environ.get("IN_MPI") == "1" or any(v in os.environ for v in _LAUNCHER_VARS)


def _world():
    """The MPI world communicator, or None in a plain single process."""
    global _comm
    if _comm is None and launched_by_mpi():
        from mpi4py import MPI

        _comm = MPI.COMM_WORLD
    return _comm


def find_mpiexec() -> str:
    """The ``mpiexec`` installed beside the running Python (pip's ``mpich`` puts it there).

    Never the first one on PATH: that may belong to another MPI than the one mpi4py was built
    for, and mixing the two fails in confusing ways.
    """
    here = os.path.dirname(sys.executable)
    found = shutil.which("mpiexec", path=here)
    if found is None:
        raise UserError(
            f"Running with more than one process needs MPI, but there is no 'mpiexec' beside "
            f"{sys.executable}. Install it into this environment with:  pip install mpi4py mpich\n"
            "(Or start the program with your own MPI's launcher, e.g. 'mpiexec -n 4 python -m "
            "spinup.run ppo ...'; spinup then runs in the processes it started.)"
        )
    return found


def physical_cores() -> int:
    """The number of physical CPU cores (what ``--cpu auto`` means)."""
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except ImportError:  # pragma: no cover - psutil is a core dependency
        n = None
    return max(1, n or os.cpu_count() or 1)


def mpi_env() -> dict:
    """The environment ``mpi_fork`` gives its processes: this one's, plus one math-library thread
    per process and ``IN_MPI=1``.

    MPICH's waiting processes spin, which keeps an allreduce at about 16 us on free cores. When
    there are more processes than free cores (other work on the machine, or ``--cpu`` above the
    core count), ``MPIR_CVAR_ENABLE_HEAVY_YIELD=1`` in your environment makes them yield instead;
    on free cores it slows each allreduce to about 450 us, so it is not the default
    (benchmarks/results/onpolicy_throughput.md)."""
    env = os.environ.copy()
    env.update(MKL_NUM_THREADS="1", OMP_NUM_THREADS="1", IN_MPI="1")
    return env


def mpi_fork(n, bind_to_core: bool = False) -> None:
    """Re-launch the current program under ``mpiexec`` with ``n`` processes, then exit.

    Does nothing when ``n <= 1`` or when this process was already started by ``mpiexec``
    (so a program launched as ``mpiexec -n 4 python -m spinup.run ...`` is not forked again).
    Each child gets one math-library thread (``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``); see
    :func:`mpi_env`.

    Args:
        n: number of processes, an int or ``'auto'`` (the number of physical cores).
        bind_to_core: pin each process to one core (MPICH's ``-bind-to core``).
    """
    if n == "auto":
        n = physical_cores()
    n = int(n)
    if n <= 1 or launched_by_mpi():
        return
    args = [find_mpiexec(), "-n", str(n)]
    if bind_to_core:
        args += ["-bind-to", "core"]
    args += [sys.executable] + sys.argv
    result = subprocess.run(args, env=mpi_env())
    sys.exit(result.returncode)


def proc_id() -> int:
    """Rank of this process (0 in a single process)."""
    comm = _world()
    return 0 if comm is None else comm.Get_rank()


def num_procs() -> int:
    """Number of processes in the run (1 in a single process)."""
    comm = _world()
    return 1 if comm is None else comm.Get_size()


def broadcast(x: np.ndarray, root: int = 0) -> None:
    """Overwrite ``x`` (a numpy array) in place with rank ``root``'s copy."""
    comm = _world()
    if comm is not None:
        comm.Bcast(x, root=root)


def gather_to_root(obj) -> list | None:
    """Every process's ``obj`` as a list on rank 0 (None on the others); ``[obj]`` in one process."""
    comm = _world()
    return [obj] if comm is None else comm.gather(obj, root=0)


def _mpi_op(x, op_name: str):
    scalar = np.isscalar(x)
    x = np.asarray([x] if scalar else x, dtype=np.float64)
    comm = _world()
    if comm is None:
        buff = x.copy()
    else:
        from mpi4py import MPI

        buff = np.zeros_like(x)
        comm.Allreduce(x, buff, op=getattr(MPI, op_name))
    return buff[0] if scalar else buff


def mpi_sum(x):
    """Sum of ``x`` (a scalar or array) over all processes."""
    return _mpi_op(x, "SUM")


def mpi_avg(x):
    """Average of ``x`` (a scalar or array) over all processes."""
    return mpi_sum(x) / num_procs()


def mpi_statistics_scalar(x, with_min_and_max: bool = False):
    """Mean and (population) standard deviation of the samples ``x`` gathered over all processes.

    Args:
        x: this process's samples (any shape; flattened).
        with_min_and_max: also return the global min and max.

    Returns:
        ``(mean, std)`` or ``(mean, std, min, max)``. With no samples on any process, every
        statistic is NaN.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    global_sum, global_n = mpi_sum(np.array([x.sum(), len(x)]))
    if global_n == 0:
        nan = float("nan")
        return (nan, nan, nan, nan) if with_min_and_max else (nan, nan)
    mean = global_sum / global_n
    global_sum_sq = mpi_sum(np.sum((x - mean) ** 2))
    std = np.sqrt(global_sum_sq / global_n)
    if with_min_and_max:
        global_min = -_mpi_op(-(np.min(x) if len(x) else np.inf), "MAX")
        global_max = _mpi_op(np.max(x) if len(x) else -np.inf, "MAX")
        return float(mean), float(std), float(global_min), float(global_max)
    return float(mean), float(std)
