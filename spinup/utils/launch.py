"""Launching experiments: one in a fresh Python process, several at a time on this machine, and
what is printed around them.

::

    call_experiment('ppo_cartpole', ppo, env_name='CartPole-v1', epochs=10)   # one run, in a subprocess

* :func:`prepare_experiment` works out everything about one experiment without running it: its
  output folder (checked), ``env_name`` turned into ``env_fn=EnvFactory(...)`` (which
  ``config.json`` records by name), and the command that runs it
  (``python -m spinup.utils.run_entrypoint <encoded>``).
* :func:`launch_experiment` runs that command to its end. Every experiment runs in its own
  process, so runs never share state; the process stops by itself when its launcher dies
  (see :mod:`spinup.utils.run_entrypoint`).
* :func:`run_in_parallel` runs several, ``parallel`` at a time, each writing to ``output.log``.
* :func:`stop_children_on_sigterm`: a SIGTERM to the launcher stops the experiments it runs.
  Experiments running when the launcher was interrupted are in :func:`interrupted_experiments`.
"""

from __future__ import annotations

import json
import os
import os.path as osp
import shlex
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from spinup.utils import run_entrypoint
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.logx import colorize
from spinup.utils.mpi_tools import launched_by_mpi, physical_cores, proc_id
from spinup.utils.run_folders import (
    check_output_dir,
    check_resume_dir,
    resumed_exp_name,
    setup_logger_kwargs,
)
from spinup.utils.serialization_utils import convert_json

DIV_LINE_WIDTH = 80

# Name of the file that receives an experiment's output when it does not run in the foreground.
PARALLEL_LOG_FILE = "output.log"


@dataclass
class Experiment:
    """One experiment, ready to launch: its name, output folder and the subprocess command."""

    exp_name: str
    output_dir: str
    kwargs: dict  # the keyword arguments the thunk receives (for display)
    command: list[str]


@dataclass
class ExperimentResult:
    """How one experiment ended. ``status`` is ``'ok'`` or ``'failed'``."""

    exp_name: str
    output_dir: str
    status: str
    returncode: int
    wall_time: float
    log_file: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def resolve_num_cpu(num_cpu) -> int:
    """``num_cpu`` as a positive int (``'auto'`` is the number of physical cores)."""
    if num_cpu == "auto":
        return physical_cores()
    if isinstance(num_cpu, bool) or not isinstance(num_cpu, int) or num_cpu < 1:
        raise UserError(f"num_cpu must be a whole number of processes (1 or more) or 'auto', not {num_cpu!r}.")
    return num_cpu


def prepare_experiment(exp_name: str, thunk, seed=0, num_cpu=1, data_dir=None, datestamp=False,
                       logger_options: dict | None = None, **kwargs) -> Experiment:
    """Work out everything about one experiment without running it (see :func:`call_experiment`)."""
    if not callable(thunk):
        raise UserError(f"The experiment needs a function to call, not {thunk!r}.")
    num_cpu = resolve_num_cpu(num_cpu)
    kwargs = dict(kwargs, seed=seed)
    if "env_name" in kwargs:
        kwargs["env_fn"] = EnvFactory(kwargs.pop("env_name"), kwargs.pop("env_kwargs", None),
                                      kwargs.pop("env_pkg", None))
    if "logger_kwargs" in kwargs:
        print(colorize("Note: call_experiment is not handling logger_kwargs (they were given).", "yellow"))
    elif kwargs.get("resume"):
        run_dir = check_resume_dir(kwargs["resume"])
        exp_name = resumed_exp_name(run_dir, exp_name)
        kwargs["resume"] = run_dir
        kwargs["logger_kwargs"] = dict(output_dir=run_dir, exp_name=exp_name, **(logger_options or {}))
    else:
        kwargs["logger_kwargs"] = setup_logger_kwargs(exp_name, seed, data_dir, datestamp, **(logger_options or {}))
    output_dir = kwargs["logger_kwargs"].get("output_dir") or ""
    check_output_dir(output_dir, thunk, resuming=bool(kwargs.get("resume")))
    encoded = run_entrypoint.encode_thunk((thunk, kwargs, num_cpu))
    command = [sys.executable or "python", "-m", "spinup.utils.run_entrypoint", encoded]
    return Experiment(exp_name=exp_name, output_dir=output_dir, kwargs=kwargs, command=command)


def call_experiment(exp_name: str, thunk, seed=0, num_cpu=1, data_dir=None, datestamp=False,
                    logger_options: dict | None = None, **kwargs) -> ExperimentResult:
    """Run ``thunk(**kwargs)`` in a fresh Python process, with logging set up.

    The subprocess receives ``thunk`` and the kwargs pickled with cloudpickle; it forks into
    ``num_cpu`` MPI processes first if asked. ``seed`` is passed on as ``kwargs['seed']``.
    Unless ``logger_kwargs`` are given, they come from :func:`setup_logger_kwargs`; with
    ``resume=<run folder>`` the experiment writes into that folder instead. ``env_name``
    (with optional ``env_kwargs`` and ``env_pkg``) is replaced by ``env_fn=EnvFactory(...)``.

    Args:
        exp_name: the experiment's name (the output folder's name).
        thunk: the function to call, e.g. ``spinup.ppo``. It must accept ``seed`` and ``logger_kwargs``.
        seed: the seed. Default 0.
        num_cpu: MPI processes for this one experiment, or ``'auto'`` (physical cores). Default 1.
        data_dir: base folder for the output. Default ``user_config.DEFAULT_DATA_DIR``.
        datestamp: date-stamp the output folders. Default False.
        logger_options: extra Logger options (``snapshots``, ``tensorboard``, ``wandb``).
        **kwargs: everything else is passed to ``thunk``.

    Returns:
        An :class:`ExperimentResult` (status ``'ok'``).

    Raises:
        subprocess.CalledProcessError: if the experiment's process fails (after the error banner).
        UserError: for a mistake found before launch (e.g. a missing resume folder).
    """
    experiment = prepare_experiment(exp_name, thunk, seed=seed, num_cpu=num_cpu, data_dir=data_dir,
                                    datestamp=datestamp, logger_options=logger_options, **kwargs)
    result = launch_experiment(experiment)
    if not result.ok:
        raise subprocess.CalledProcessError(result.returncode, experiment.command[:3])
    return result


# ---------------------------------------------------------------------------------------------
# Running an experiment's process.


def launch_experiment(experiment: Experiment, log_file: str | None = None) -> ExperimentResult:
    """Run the experiment's process to its end and return how it ended.

    Without ``log_file`` the process writes to our terminal, between the "Running experiment"
    header and the "End of experiment" (or error) banner. With one, the header and everything the
    process prints go to that file instead (parallel and Ray runs, which print a line each).

    The command runs with this process's Python (on a Ray worker, the worker's). Under the user's
    own ``mpiexec`` (e.g. across hosts) every rank already runs this program, and a child process
    could not join their MPI job, so the experiment runs in this process, and only rank 0 prints.
    An interruption (Ctrl-C, or SIGTERM within :func:`stop_children_on_sigterm`) while it runs is
    raised on, the experiment noted in :func:`interrupted_experiments`.
    """
    talk = log_file is None and proc_id() == 0
    if talk:
        print(header(experiment), flush=True)
    command = [sys.executable or experiment.command[0], *experiment.command[1:]]
    start = time.time()
    try:
        if launched_by_mpi():
            returncode = run_entrypoint.main(command[3:])
        elif log_file is None:
            sys.stdout.flush()
            returncode = _run_child(command)
        else:
            os.makedirs(osp.dirname(log_file), exist_ok=True)
            with open(log_file, "a") as f:
                f.write(header(experiment) + "\n")
                f.flush()
                returncode = _run_child(command, stdout=f, stderr=subprocess.STDOUT)
    except KeyboardInterrupt:
        _interrupted.append(experiment)
        raise
    result = ExperimentResult(exp_name=experiment.exp_name, output_dir=experiment.output_dir,
                              status="ok" if returncode == 0 else "failed", returncode=returncode,
                              wall_time=time.time() - start, log_file=log_file)
    if talk:
        print(end_banner(result.output_dir) if result.ok else error_banner(result), flush=True)
    return result


# The experiments' processes now running in this process's threads, so that a SIGTERM to a grid
# (e.g. `kill` of a sweep started in the background) stops them instead of leaving them orphaned.
_children: set[subprocess.Popen] = set()
_children_lock = threading.RLock()  # re-entrant: the handler may run while the main thread holds it
_stopping = threading.Event()
_interrupted: list[Experiment] = []  # experiments stopped by Ctrl-C or SIGTERM while they ran


def interrupted_experiments() -> list[Experiment]:
    """The experiments of this process that were running when it was interrupted."""
    return list(_interrupted)


def _run_child(command: list[str], **popen_kwargs) -> int:
    """Run an experiment's process to the end and return its exit status (like ``subprocess.run``,
    and like it, kill the process if we are interrupted while waiting)."""
    with _children_lock:
        if _stopping.is_set():  # a SIGTERM arrived: start nothing new
            return -signal.SIGTERM
        # The child stops by itself if this process dies (run_entrypoint watches this pid).
        env = dict(os.environ, **{run_entrypoint.LAUNCHER_PID_VAR: str(os.getpid())})
        proc = subprocess.Popen(command, env=env, **popen_kwargs)
        _children.add(proc)
    try:
        return proc.wait()
    except BaseException:  # e.g. Ctrl-C, which the process also got: give it a moment to stop
        try:
            proc.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        with _children_lock:
            _children.discard(proc)


@contextmanager
def stop_children_on_sigterm():
    """While experiments run: on SIGTERM, terminate their processes, start no more, and raise
    KeyboardInterrupt here (so callers clean up as after Ctrl-C). Finished epochs stay in each
    run's progress.txt, and a run with a resume checkpoint can be continued."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def on_sigterm(signum, frame):
        with _children_lock:
            _stopping.set()
            for proc in _children:
                proc.terminate()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stopping.clear()


def run_in_parallel(experiments: list[Experiment], parallel: int) -> list[ExperimentResult]:
    """Run the experiments ``parallel`` at a time, each writing its output to a log file."""
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            print(line, flush=True)

    def run_one(experiment: Experiment) -> ExperimentResult:
        log_file = osp.join(experiment.output_dir, PARALLEL_LOG_FILE)
        say(f"[start] {experiment.exp_name}  (output: {log_file})")
        result = launch_experiment(experiment, log_file=log_file)
        if result.ok:
            say(colorize(f"[done]  {experiment.exp_name}  in {result.wall_time:.1f}s", "green"))
        else:
            say(colorize(f"[FAILED] {experiment.exp_name}  (exit status {result.returncode}); see {log_file}", "red"))
        return result

    pool = ThreadPoolExecutor(max_workers=parallel)
    try:
        futures = [pool.submit(run_one, e) for e in experiments]
        return [f.result() for f in futures]
    finally:
        # On Ctrl-C the running experiments get the signal too; the waiting ones must not start.
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# What is printed around experiments.


def header(experiment: Experiment) -> str:
    """The "Running experiment" header with the kwargs as JSON."""
    kwargs_json = json.dumps(convert_json(experiment.kwargs), separators=(",", ":\t"), indent=4, sort_keys=True)
    return "\n".join([
        colorize("Running experiment:\n", color="cyan", bold=True),
        experiment.exp_name + "\n",
        colorize("with kwargs:\n", color="cyan", bold=True),
        kwargs_json,
        "",
    ])


def end_banner(output_dir: str) -> str:
    """The "End of experiment." banner with ready-to-copy plot and test_policy commands."""
    folder = shlex.quote(output_dir)
    plot_cmd = f"python -m spinup.run plot {folder}"
    test_cmd = f"python -m spinup.run test_policy {folder}"
    return "\n".join([
        "",
        "=" * DIV_LINE_WIDTH,
        "End of experiment.",
        "",
        "Plot results from this run with:",
        "",
        "\t" + colorize(plot_cmd, "green"),
        "",
        "Watch the trained agent with:",
        "",
        "\t" + colorize(test_cmd, "green"),
        "",
        "=" * DIV_LINE_WIDTH,
        "",
    ])


def error_banner(result: ExperimentResult) -> str:
    """The banner printed when an experiment's process fails."""
    if result.returncode == 2:
        why = "It stopped with the message above (exit status 2): fix what it names and run it again."
    else:
        why = (f"Its process ended with exit status {result.returncode}. The traceback above shows "
               "what went wrong inside the experiment.")
    return "\n".join([
        "",
        "=" * DIV_LINE_WIDTH,
        colorize("There appears to have been an error in your experiment.", "red", bold=True),
        "",
        why,
        f"Its output folder: {result.output_dir}",
        "=" * DIV_LINE_WIDTH,
        "",
    ])


def summary_text(results: list[ExperimentResult]) -> str:
    """A table of every experiment's status, wall time and output folder, and how to plot them."""
    rows = [("status", "wall time", "experiment", "output folder")]
    for r in results:
        status = "ok" if r.ok else f"FAILED ({r.returncode})"
        rows.append((status, f"{r.wall_time:.1f}s", r.exp_name, r.output_dir))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    table = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for i, r in enumerate(results, start=1):
        if not r.ok:
            table[i] = colorize(table[i], "red")
    failed = sum(not r.ok for r in results)
    lines = ["", "=" * DIV_LINE_WIDTH, colorize("Summary of the experiments:", "cyan", bold=True), ""]
    lines += table
    lines += ["", f"{len(results) - failed} of {len(results)} experiments finished; {failed} failed."]
    folders = sorted({osp.dirname(r.output_dir) for r in results if r.ok})
    if folders:
        plot_cmd = "python -m spinup.run plot " + " ".join(shlex.quote(f) for f in folders)
        lines += ["", "Plot them with:", "", "\t" + colorize(plot_cmd, "green")]
    lines.append("=" * DIV_LINE_WIDTH)
    return "\n".join(lines)
