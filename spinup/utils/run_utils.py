"""Running experiments: output folders, one experiment in a fresh process, and grids of them.

Three layers, each usable on its own::

    setup_logger_kwargs('ppo_cartpole', seed=0)       # where a run writes: data/ppo_cartpole/ppo_cartpole_s0
    call_experiment('ppo_cartpole', ppo, env_name='CartPole-v1', epochs=10)   # one run, in a subprocess

    eg = ExperimentGrid(name='ppo-bench')
    eg.add('env_name', 'CartPole-v1', '', True)
    eg.add('seed', [0, 10, 20])
    eg.add('ac_kwargs:hidden_sizes', [(32,), (64, 64)], 'hid')
    eg.run(ppo, parallel=2)                           # every variant, two at a time

Every experiment runs in its own Python process (``spinup/utils/run_entrypoint.py``), so runs
never share state. What differs from the original Spinning Up:

* ``ExperimentGrid.run`` runs the variants concurrently with ``parallel=N``, keeps going when a
  variant fails, prints a summary (status, wall time, output folder) and returns it.
* All output folders are worked out (and checked) before anything is launched, so a mistake in
  the grid fails at once rather than after hours; a datestamp is therefore the grid's launch time.
* ``env_name`` (with ``env_kwargs`` and ``env_pkg``) becomes ``env_fn=EnvFactory(...)``, which
  ``config.json`` records by name.
* ``resume=<run folder>`` makes the experiment write into that folder again. Without it, a folder
  that already holds a run (``progress.txt`` or ``resume.pt``) is refused before launch, and so is
  a folder that a running experiment is writing now.
* An experiment's process stops when its launcher dies (see ``run_entrypoint``).
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import os.path as osp
import shlex
import signal
import string
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import cloudpickle

from spinup import user_config
from spinup.utils.checkpoint import (
    RESUME_FILE,
    check_not_locked,
    folder_holds_run_message,
    run_contents,
)
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.logx import colorize
from spinup.utils.mpi_tools import launched_by_mpi, physical_cores, proc_id
from spinup.utils.serialization_utils import convert_json
from spinup.utils.validation import (
    check_arguments,
    check_data_dir,
    check_exp_name,
    check_num_cpu,
    default_of,
)

DIV_LINE_WIDTH = 80

# Characters kept as they are in folder names; everything else becomes '-'.
VALID_CHARS = "-_" + string.ascii_letters + string.digits

# Linux refuses a single command-line argument longer than 128 KiB.
MAX_ENCODED_THUNK_CHARS = 120_000

# Name of the file that receives a variant's output when variants run in parallel.
PARALLEL_LOG_FILE = "output.log"


# ---------------------------------------------------------------------------------------------
# Output folders.


def setup_logger_kwargs(exp_name: str, seed=None, data_dir: str | None = None, datestamp: bool = False,
                        **logger_options) -> dict:
    """The ``logger_kwargs`` for one run: its output folder and experiment name.

    The folder is ``data_dir/[YYYY-MM-DD_]exp_name/[YYYY-MM-DD_HH-MM-SS-]exp_name_s<seed>``
    (the inner folder only when a seed is given; the date parts only with ``datestamp``).

    Args:
        exp_name: the experiment's name: a plain folder name (no ``/``, not ``..``), so that the
            run stays inside ``data_dir``.
        seed: the run's seed, or None for no per-seed subfolder.
        data_dir: the base folder. Default: ``user_config.DEFAULT_DATA_DIR``.
        datestamp: prefix the folders with the date (and time). ``user_config.FORCE_DATESTAMP``
            turns this on always.
        **logger_options: further keyword arguments for the Logger, passed through unchanged
            (``snapshots=True``, ``tensorboard=True``, ...).

    Returns:
        ``dict(output_dir=..., exp_name=exp_name, **logger_options)``, ready for ``EpochLogger(**it)``.
    """
    check_exp_name(exp_name)
    datestamp = datestamp or user_config.FORCE_DATESTAMP
    now = time.localtime()
    relpath = (time.strftime("%Y-%m-%d_", now) if datestamp else "") + exp_name
    if seed is not None:
        subfolder = f"{exp_name}_s{seed}"
        if datestamp:
            subfolder = time.strftime("%Y-%m-%d_%H-%M-%S-", now) + subfolder
        relpath = osp.join(relpath, subfolder)
    data_dir = data_dir or user_config.DEFAULT_DATA_DIR
    return dict(output_dir=osp.abspath(osp.join(data_dir, relpath)), exp_name=exp_name, **logger_options)


def check_resume_dir(run_dir) -> str:
    """The absolute path of ``run_dir`` if it is a run folder that can be resumed, else :class:`UserError`."""
    if not isinstance(run_dir, str) or not run_dir:
        raise UserError(f"resume must be the folder of a run (a string), not {run_dir!r}.")
    if not osp.isdir(run_dir):
        raise UserError(f"Cannot resume: the folder {run_dir} does not exist. Give the folder of "
                        "one run, the one that holds progress.txt and resume.pt.")
    if not osp.isfile(osp.join(run_dir, RESUME_FILE)):
        raise UserError(f"Cannot resume: {run_dir} holds no {RESUME_FILE}. Give the folder of one "
                        "run (the one with progress.txt) that finished at least one epoch.")
    return osp.abspath(run_dir)


def _resumed_exp_name(run_dir: str, default: str) -> str:
    """The experiment name recorded in ``run_dir/config.json``, or ``default`` if there is none."""
    try:
        with open(osp.join(run_dir, "config.json")) as f:
            return json.load(f).get("exp_name") or default
    except (OSError, ValueError, AttributeError):
        return default


# ---------------------------------------------------------------------------------------------
# One experiment in a subprocess.


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


class ExperimentsFailed(RuntimeError):
    """Raised by :meth:`ExperimentGrid.run` when an experiment failed, once every variant has run
    and the summary is printed, so that a script running a grid exits with a non-zero status as
    the command line does. ``results`` holds every variant's :class:`ExperimentResult`."""

    def __init__(self, results: list[ExperimentResult]):
        self.results = list(results)
        failed = [r for r in self.results if not r.ok]
        which = ", ".join(f"{r.exp_name} (exit status {r.returncode}, {r.output_dir})" for r in failed)
        super().__init__(
            f"{len(failed)} of {len(self.results)} experiments failed: {which}. Their errors are "
            "printed above (or in output.log in their folders). To get every result back instead, "
            "call ExperimentGrid.run(..., check=False).")


def _resolve_num_cpu(num_cpu) -> int:
    """``num_cpu`` as a positive int (``'auto'`` is the number of physical cores)."""
    if num_cpu == "auto":
        return physical_cores()
    if isinstance(num_cpu, bool) or not isinstance(num_cpu, int) or num_cpu < 1:
        raise UserError(f"num_cpu must be a whole number of processes (1 or more) or 'auto', not {num_cpu!r}.")
    return num_cpu


def encode_thunk(payload) -> str:
    """cloudpickle, then zlib, then base64: a picklable object as one command-line argument."""
    encoded = base64.b64encode(zlib.compress(cloudpickle.dumps(payload))).decode("ascii")
    if len(encoded) > MAX_ENCODED_THUNK_CHARS:
        raise UserError(
            f"The experiment's function and arguments take {len(encoded)} characters once encoded, too "
            "many to pass to a subprocess. Pass large data by file name instead of as an argument."
        )
    return encoded


def prepare_experiment(exp_name: str, thunk, seed=0, num_cpu=1, data_dir=None, datestamp=False,
                       logger_options: dict | None = None, **kwargs) -> Experiment:
    """Work out everything about one experiment without running it (see :func:`call_experiment`)."""
    if not callable(thunk):
        raise UserError(f"The experiment needs a function to call, not {thunk!r}.")
    num_cpu = _resolve_num_cpu(num_cpu)
    kwargs = dict(kwargs, seed=seed)
    if "env_name" in kwargs:
        kwargs["env_fn"] = EnvFactory(kwargs.pop("env_name"), kwargs.pop("env_kwargs", None),
                                      kwargs.pop("env_pkg", None))
    if "logger_kwargs" in kwargs:
        print(colorize("Note: call_experiment is not handling logger_kwargs (they were given).", "yellow"))
    elif kwargs.get("resume"):
        run_dir = check_resume_dir(kwargs["resume"])
        exp_name = _resumed_exp_name(run_dir, exp_name)
        kwargs["resume"] = run_dir
        kwargs["logger_kwargs"] = dict(output_dir=run_dir, exp_name=exp_name, **(logger_options or {}))
    else:
        kwargs["logger_kwargs"] = setup_logger_kwargs(exp_name, seed, data_dir, datestamp, **(logger_options or {}))
    output_dir = kwargs["logger_kwargs"].get("output_dir") or ""
    check_output_dir(output_dir, thunk, resuming=bool(kwargs.get("resume")))
    encoded = encode_thunk((thunk, kwargs, num_cpu))
    command = [sys.executable or "python", "-m", "spinup.utils.run_entrypoint", encoded]
    return Experiment(exp_name=exp_name, output_dir=output_dir, kwargs=kwargs, command=command)


def check_output_dir(output_dir: str, thunk, resuming: bool) -> None:
    """Before launch, :class:`UserError` if a run is writing to ``output_dir`` now, or if a new run
    (not ``resuming``) would write into a folder that holds a run. The second check is for thunks
    that take ``resume`` (spinup's algorithms); others decide for themselves, and their Logger
    still refuses such a folder."""
    if not output_dir or not osp.isdir(output_dir):
        return
    check_not_locked(output_dir)
    if resuming:
        return
    try:
        takes_resume = "resume" in inspect.signature(thunk).parameters
    except (TypeError, ValueError):
        takes_resume = False
    contents = run_contents(output_dir)
    if takes_resume and contents:
        raise UserError(folder_holds_run_message(output_dir, contents))


def _header(experiment: Experiment) -> str:
    """The "Running experiment" header with the kwargs as JSON."""
    kwargs_json = json.dumps(convert_json(experiment.kwargs), separators=(",", ":\t"), indent=4, sort_keys=True)
    return "\n".join([
        colorize("Running experiment:\n", color="cyan", bold=True),
        experiment.exp_name + "\n",
        colorize("with kwargs:\n", color="cyan", bold=True),
        kwargs_json,
        "",
    ])


# The experiments' processes now running in this process's threads, so that a SIGTERM to a grid
# (e.g. `kill` of a sweep started in the background) stops them instead of leaving them orphaned.
_children: set[subprocess.Popen] = set()
_children_lock = threading.RLock()  # re-entrant: the handler may run while the main thread holds it
_stopping = threading.Event()
_interrupted: list[Experiment] = []  # experiments stopped by Ctrl-C or SIGTERM while they ran


def interrupted_experiments() -> list[Experiment]:
    """The experiments of this process that were running when it was interrupted."""
    return list(_interrupted)


# Command-line flags that a resumed run does not need (they only choose a new folder).
_NEW_FOLDER_FLAGS = ("--resume", "--exp_name", "--data_dir", "--dt", "--datestamp")


def resume_commands(argv: list[str]) -> list[str]:
    """For each interrupted experiment that can be resumed, the command that continues it.

    ``argv`` is the command line that started the grid (``['ppo', '--env', ...]``): with one
    experiment, the command repeats its flags; with several, it names the experiment's own.
    """
    lines = []
    algo = argv[0] if argv else "<algo>"
    flags, skip = [], False
    for token in argv[1:]:
        if token.startswith("--"):
            skip = token.split("=")[0].split("[")[0] in _NEW_FOLDER_FLAGS
        if not skip:
            flags.append(token)
    single = len(_interrupted) == 1 and all(len(v) == 1 for v in _flag_values(flags))
    for e in _interrupted:
        if not osp.isfile(osp.join(e.output_dir, RESUME_FILE)):
            lines.append(f"{e.exp_name} had not finished an epoch: start it again to run it.")
            continue
        rest = shlex.join(flags) if single else f"<the flags of {e.exp_name}, one value each>"
        lines.append(f"python -m spinup.run {algo} {rest} --resume {shlex.quote(e.output_dir)}".replace("  ", " "))
    return lines


def _flag_values(tokens: list[str]) -> list[list[str]]:
    """The values of each flag in ``tokens`` (``--a 1 2 --b 3`` -> ``[['1', '2'], ['3']]``)."""
    groups: list[list[str]] = []
    for token in tokens:
        if token.startswith("--"):
            groups.append([token.partition("=")[2]] if "=" in token else [])
        elif groups:
            groups[-1].append(token)
    return groups


def _run_child(command: list[str], **popen_kwargs) -> int:
    """Run an experiment's process to the end and return its exit status (like ``subprocess.run``,
    and like it, kill the process if we are interrupted while waiting)."""
    with _children_lock:
        if _stopping.is_set():  # a SIGTERM arrived: start nothing new
            return -signal.SIGTERM
        # The child stops by itself if this process dies (run_entrypoint watches this pid).
        proc = subprocess.Popen(command, env=dict(os.environ, SPINUP_LAUNCHER_PID=str(os.getpid())), **popen_kwargs)
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
def _stop_children_on_sigterm():
    """While the grid runs: on SIGTERM, terminate the running experiments' processes, start no
    more, and raise KeyboardInterrupt here (so callers clean up as after Ctrl-C). Finished epochs
    stay in each run's progress.txt, and a run with a resume checkpoint can be continued."""
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


def _launch(experiment: Experiment, log_file: str | None = None) -> ExperimentResult:
    """Run the experiment's subprocess to the end; its output goes to ``log_file`` or to ours."""
    start = time.time()
    try:
        returncode = _launch_process(experiment, log_file)
    except KeyboardInterrupt:
        _interrupted.append(experiment)
        raise
    return ExperimentResult(
        exp_name=experiment.exp_name,
        output_dir=experiment.output_dir,
        status="ok" if returncode == 0 else "failed",
        returncode=returncode,
        wall_time=time.time() - start,
        log_file=log_file,
    )


def _launch_process(experiment: Experiment, log_file: str | None) -> int:
    """The experiment's process, run to its end; returns its exit status."""
    if launched_by_mpi():
        # Started by the user's own mpiexec (e.g. across hosts): every rank already runs this
        # program, and a child process could not join their MPI job, so run the experiment here.
        from spinup.utils.run_entrypoint import main as run_entrypoint

        returncode = run_entrypoint(experiment.command[3:])
    elif log_file is None:
        sys.stdout.flush()
        returncode = _run_child(experiment.command)
    else:
        os.makedirs(osp.dirname(log_file), exist_ok=True)
        with open(log_file, "a") as f:
            f.write(_header(experiment) + "\n")
            f.flush()
            returncode = _run_child(experiment.command, stdout=f, stderr=subprocess.STDOUT)
    return returncode


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


def _run_in_foreground(experiment: Experiment) -> ExperimentResult:
    """Print the header, run the experiment with its output on our terminal, print the banner."""
    talk = proc_id() == 0  # under the user's own mpiexec, only the first rank prints banners
    if talk:
        print(_header(experiment), flush=True)
    result = _launch(experiment)
    if talk:
        print(end_banner(result.output_dir) if result.ok else error_banner(result), flush=True)
    return result


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
    result = _run_in_foreground(experiment)
    if not result.ok:
        raise subprocess.CalledProcessError(result.returncode, experiment.command[:3])
    return result


# ---------------------------------------------------------------------------------------------
# Grids of experiments.


def valid_str(v) -> str:
    """A string for ``v`` that is safe in a folder name.

    Classes and functions give their name, lists and tuples join their items with ``-``, and
    anything else is lower-cased with every character except letters, digits, ``-`` and ``_``
    replaced by ``-``. So ``0.1`` -> ``0-1``, ``[32, 32]`` -> ``32-32``, ``torch.nn.Tanh`` -> ``tanh``.
    """
    if hasattr(v, "__name__"):
        return valid_str(v.__name__)
    if isinstance(v, (tuple, list)):
        return "-".join(valid_str(x) for x in v)
    text = str(v).lower()
    return "".join(c if c in VALID_CHARS else "-" for c in text)


def default_shorthand(key: str) -> str:
    """The short name of a parameter: the first three letters and digits of each ``:`` part,
    joined by ``-`` (``clip_ratio`` -> ``cli``, ``ac_kwargs:hidden_sizes`` -> ``ac-hid``)."""
    parts = [part[:3] for part in key.split(":")]
    return "-".join("".join(c for c in part if c.isalnum()) for part in parts)


def _nested_get(variant: dict, key: str):
    """``variant['a']['b']`` for the key ``'a:b'``."""
    value = variant
    for part in key.split(":"):
        value = value[part]
    return value


def _unflatten(flat: dict) -> dict:
    """``{'a:b': 1, 'a:c': 2, 'd': 3}`` -> ``{'a': {'b': 1, 'c': 2}, 'd': 3}``, at any depth."""
    out, nested = {}, {}
    for key, value in flat.items():
        if ":" in key:
            head, _, rest = key.partition(":")
            nested.setdefault(head, {})[rest] = value
        else:
            out[key] = value
    for head, sub in nested.items():
        if head in out:
            raise UserError(
                f"You can't assign multiple values to the same key. '{head}' is given whole and also "
                f"part by part ('{head}:...'); use one form or the other."
            )
        out[head] = _unflatten(sub)
    return out


class ExperimentGrid:
    """A set of experiments: every combination of the values given to :meth:`add`.

    Args:
        name: the grid's name; the first part of every variant's name and output folder.
    """

    def __init__(self, name: str = ""):
        self.keys: list[str] = []
        self.vals: list[list] = []
        self.shs: list[str | None] = []
        self.in_names: list[bool] = []
        self.name(name)

    def name(self, _name: str) -> None:
        """Set the grid's name."""
        if not isinstance(_name, str):
            raise UserError(f"An ExperimentGrid's name must be a string, not {_name!r}.")
        self._name = _name

    def add(self, key: str, vals, shorthand: str | None = None, in_name: bool = False) -> None:
        """Add a parameter and its values (one grid axis if there are several).

        Args:
            key: the thunk's keyword argument; ``'a:b'`` sets ``a['b']`` (nested dicts, any depth).
            vals: a list of values, or a single value. To give one list-valued setting, wrap it
                (``[[64, 64]]``) or use a tuple (``(64, 64)``).
            shorthand: the parameter's short name in variant names. Default: made from the key
                when ``user_config.DEFAULT_SHORTHAND`` is on. ``''`` puts the value alone in the name.
            in_name: put the parameter in variant names even when it has a single value.
        """
        if not isinstance(key, str):
            raise UserError(f"A grid parameter's key must be a string, not {key!r}.")
        if shorthand is not None and not isinstance(shorthand, str):
            raise UserError(f"The shorthand for {key} must be a string, not {shorthand!r}.")
        if key in self.keys:
            raise UserError(f"The parameter {key} was added to the grid twice; give all its values in one add().")
        if not isinstance(vals, list):
            vals = [vals]
        if shorthand is None and user_config.DEFAULT_SHORTHAND:
            shorthand = default_shorthand(key)
        self.keys.append(key)
        self.vals.append(vals)
        self.shs.append(shorthand)
        self.in_names.append(in_name)

    def print(self) -> None:
        """Print the grid: each parameter, its shorthand and its values, and the number of variants."""
        print("=" * DIV_LINE_WIDTH)
        title = f"ExperimentGrid {self._name} runs over parameters:\n"
        if len(title) > DIV_LINE_WIDTH:
            title = f"ExperimentGrid {self._name}\nruns over parameters:\n"
        print(colorize(title, color="green", bold=True))
        for key, vals, sh in zip(self.keys, self.vals, self.shs, strict=True):
            print(colorize(key.ljust(40), color="cyan", bold=True) + (f"[{sh}]" if sh is not None else ""))
            for val in vals:
                print("\t" + str(convert_json(val)))
            print()
        num_variants = 1
        for vals in self.vals:
            num_variants *= len(vals)
        num_seeds = len(self.vals[self.keys.index("seed")]) if "seed" in self.keys else 1
        print(f" Variants, counting seeds: {num_variants:>10}")
        print(f" Variants, not counting seeds: {num_variants // num_seeds:>6}")
        print()
        print("=" * DIV_LINE_WIDTH)

    def variant_name(self, variant: dict) -> str:
        """The name of one variant: the grid's name, then ``_<shorthand><value>`` for each
        parameter that has several values (or ``in_name``), except ``seed``. A parameter whose
        values are all booleans appears as ``_<shorthand>`` when True and not at all when False."""
        name = self._name
        for key, vals, sh, in_name in zip(self.keys, self.vals, self.shs, self.in_names, strict=True):
            if key == "seed" or not (len(vals) > 1 or in_name):
                continue
            param_name = valid_str(sh if sh is not None else key)
            value = _nested_get(variant, key)
            if all(isinstance(v, bool) for v in vals):
                name += f"_{param_name}" if value else ""
            else:
                name += f"_{param_name}{valid_str(value)}"
        return name.lstrip("_")

    def _flat_variants(self) -> list[dict]:
        """The cartesian product of the values, as flat dicts; the first key added varies slowest."""
        variants = [{}]
        for key, vals in zip(self.keys, self.vals, strict=True):
            variants = [dict(var, **{key: v}) for var in variants for v in vals]
        return variants

    def variants(self) -> list[dict]:
        """Every variant as a dict of keyword arguments (``'a:b'`` keys become nested dicts)."""
        return [_unflatten(var) for var in self._flat_variants()]

    def run(self, thunk, num_cpu=1, data_dir=None, datestamp=False, parallel: int = 1, backend: str = "local",
            logger_options: dict | None = None, address: str | None = None,
            check: bool = True) -> list[ExperimentResult]:
        """Run every variant, each in its own process, and return how each ended.

        All variants are prepared (names, folders, checks) before anything is launched: every
        variant's arguments go through :func:`spinup.utils.validation.check_arguments` (types,
        ranges, ``env_kwargs``), ``data_dir`` must be a writable folder (or one that can be made),
        and ``num_cpu`` at most each variant's ``steps_per_epoch``; the first mistake raises an
        ``InvalidValue`` or ``InvalidType`` (a :class:`UserError`) before anything is printed or
        written.

        A failing variant does not stop the others, in sequence or in parallel; the summary printed
        at the end (for more than one variant) says which failed, and then, unless
        ``check=False``, :class:`ExperimentsFailed` is raised.

        Args:
            thunk: the function to call (e.g. ``spinup.ppo``), or the name of a grid parameter
                whose value is the function to call.
            num_cpu: MPI processes per variant (on-policy algorithms), or ``'auto'``.
            data_dir: base folder for the output. Default ``user_config.DEFAULT_DATA_DIR``.
            datestamp: date-stamp the output folders.
            parallel: how many variants run at once. With 1 (the default) each variant's output
                comes to the terminal; with more, each variant writes it to ``output.log`` in its
                output folder and one line is printed when it starts and when it ends.
            backend: ``'local'`` (processes on this machine) or ``'ray'`` (one Ray task per
                variant, each launching the same process as ``'local'``; see :func:`run_on_ray`).
            logger_options: extra Logger options (``snapshots``, ``tensorboard``, ``wandb``).
            address: with ``backend='ray'``, the Ray cluster to connect to (``'auto'``, or
                ``'ray://host:10001'``). Default None: start a local Ray instance with
                ``parallel * num_cpu`` CPUs.
            check: if True (the default) and an experiment failed, raise
                :class:`ExperimentsFailed` (holding every result) after all have run, so that a
                script running the grid exits with a non-zero status. With False, return the
                results whatever happened.

        Returns:
            One :class:`ExperimentResult` per variant, in launch order.
        """
        if backend not in ("local", "ray"):
            raise UserError(f"Unknown backend {backend!r}; use 'local' or 'ray'.")
        if address is not None and backend != "ray":
            raise UserError(f"address={address!r} is for the Ray backend; add backend='ray' (--backend ray).")
        if backend == "ray":
            require_ray()  # before anything is printed or prepared
        if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
            raise UserError(f"parallel must be a whole number of experiments at once (1 or more), not {parallel!r}.")

        check_data_dir(data_dir)
        experiments = self._prepare_all(thunk, num_cpu, data_dir, datestamp, logger_options)
        self.print()
        names = sorted({e.exp_name for e in experiments})
        print("\n" + colorize("Preparing to run the following experiments...", color="green", bold=True))
        print("\n".join(names) + "\n" + "=" * DIV_LINE_WIDTH)
        if backend == "ray":
            self._countdown()
            results = run_on_ray(experiments, cpus_per_experiment=_resolve_num_cpu(num_cpu),
                                 parallel=parallel, address=address)
        else:
            with _stop_children_on_sigterm():
                self._countdown()
                if parallel == 1:
                    results = [_run_in_foreground(e) for e in experiments]
                else:
                    results = _run_in_parallel(experiments, parallel)
        if len(results) > 1 or parallel > 1 or backend == "ray":
            print(summary_text(results))
        if check and not all(r.ok for r in results):
            raise ExperimentsFailed(results)
        return results

    def _prepare_all(self, thunk, num_cpu, data_dir, datestamp, logger_options) -> list[Experiment]:
        """Prepare every variant, its arguments checked (and converted) by ``check_arguments``;
        fail before launch if one is invalid or two would share an output folder."""
        experiments = []
        for var in self.variants():
            exp_name = self.variant_name(var)
            fn = var.pop(thunk) if isinstance(thunk, str) else thunk
            if callable(fn):
                var = check_arguments(fn, var, convert=True)
                steps = var.get("steps_per_epoch", default_of(fn, "steps_per_epoch"))
                check_num_cpu(num_cpu, steps)
            experiments.append(prepare_experiment(exp_name, fn, num_cpu=num_cpu, data_dir=data_dir,
                                                  datestamp=datestamp, logger_options=logger_options, **var))
        seen = {}
        for e in experiments:
            if e.output_dir in seen:
                raise UserError(
                    f"Two variants ({seen[e.output_dir]} and {e.exp_name}) would write to the same folder "
                    f"{e.output_dir}. Give the parameters that tell them apart a shorthand, or in_name=True."
                )
            seen[e.output_dir] = e.exp_name
        return experiments

    @staticmethod
    def _countdown() -> None:
        """Wait ``user_config.WAIT_BEFORE_LAUNCH`` seconds with a progress bar (0 skips it)."""
        wait = user_config.WAIT_BEFORE_LAUNCH
        if not wait or wait <= 0:
            return
        from tqdm import trange

        print(colorize(
            "Launch delayed to give you a few seconds to review your experiments. To change or "
            "disable the delay, set WAIT_BEFORE_LAUNCH in spinup/user_config.py (or the environment "
            "variable SPINUP_WAIT_BEFORE_LAUNCH).", color="cyan", bold=True))
        print()
        for _ in trange(100, desc="Launching in...", leave=False, ncols=DIV_LINE_WIDTH, mininterval=0.25):
            time.sleep(wait / 100)


def _run_in_parallel(experiments: list[Experiment], parallel: int) -> list[ExperimentResult]:
    """Run the experiments ``parallel`` at a time, each writing its output to a log file."""
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            print(line, flush=True)

    def run_one(experiment: Experiment) -> ExperimentResult:
        log_file = osp.join(experiment.output_dir, PARALLEL_LOG_FILE)
        say(f"[start] {experiment.exp_name}  (output: {log_file})")
        result = _launch(experiment, log_file=log_file)
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
# The Ray backend: one Ray task per experiment, each running the experiment's usual subprocess.


def require_ray():
    """Import and return ``ray``, or :class:`UserError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError("The Ray backend needs the ray package, which is not installed. Install it "
                        "with: pip install 'spinup[ray]' (or pip install ray).") from None
    return ray


def _ray_launch(experiment: Experiment, log_file: str) -> ExperimentResult:
    """The body of one Ray task: the experiment's subprocess, with this worker's Python."""
    command = [sys.executable or experiment.command[0], *experiment.command[1:]]
    return _launch(Experiment(experiment.exp_name, experiment.output_dir, experiment.kwargs, command),
                   log_file=log_file)


def run_on_ray(experiments: list[Experiment], cpus_per_experiment: int = 1, parallel: int = 1,
               address: str | None = None) -> list[ExperimentResult]:
    """Run each experiment as a Ray task and return how each ended, in the given order.

    Each task reserves ``cpus_per_experiment`` CPUs and runs the experiment's subprocess (the
    same command as the local backend), writing its output to ``output.log`` in the experiment's
    folder. On a cluster, spinup must be installed on every node and ``data_dir`` must be a
    folder that every node writes to (a shared file system), since each run writes where it runs.

    Args:
        experiments: prepared experiments (see :func:`prepare_experiment`).
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

    task = ray.remote(num_cpus=cpus_per_experiment, max_retries=0)(_ray_launch)
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
        # A plain cancel interrupts the task, and subprocess.run then kills the experiment's process.
        for ref in refs:
            ray.cancel(ref)
        raise
    finally:
        if started_here:
            ray.shutdown()


def summary_text(results: list[ExperimentResult]) -> str:
    """A table of every variant's status, wall time and output folder, and how to plot them."""
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
