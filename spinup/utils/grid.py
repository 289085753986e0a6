"""Grids of experiments: every combination of a set of parameter values, each variant named,
given its own output folder and run in its own process.

::

    eg = ExperimentGrid(name='ppo-bench')
    eg.add('env_name', 'CartPole-v1', '', True)
    eg.add('seed', [0, 10, 20])
    eg.add('ac_kwargs:hidden_sizes', [(32,), (64, 64)], 'hid')
    eg.run(ppo, parallel=2)                           # every variant, two at a time

What differs from the original Spinning Up:

* ``ExperimentGrid.run`` runs the variants concurrently with ``parallel=N``, keeps going when a
  variant fails, prints a summary (status, wall time, output folder) and returns it; if one
  failed, it then raises :class:`ExperimentsFailed` (unless ``check=False``).
* Every variant's arguments are checked, and all output folders worked out (and checked), before
  anything is launched, so a mistake in the grid fails at once rather than after hours; a
  datestamp is therefore the grid's launch time.

Each variant is launched by :mod:`spinup.utils.launch` (locally) or :mod:`spinup.utils.ray_backend`.
"""

from __future__ import annotations

import string
import time

from spinup import user_config
from spinup.utils.errors import UserError
from spinup.utils.launch import (
    DIV_LINE_WIDTH,
    Experiment,
    ExperimentResult,
    launch_experiment,
    prepare_experiment,
    resolve_num_cpu,
    run_in_parallel,
    stop_children_on_sigterm,
    summary_text,
)
from spinup.utils.logx import colorize
from spinup.utils.ray_backend import require_ray, run_on_ray
from spinup.utils.serialization_utils import convert_json
from spinup.utils.validation import check_arguments, check_data_dir, check_num_cpu, default_of

# Characters kept as they are in folder names; everything else becomes '-'.
VALID_CHARS = "-_" + string.ascii_letters + string.digits


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

    def variants(self) -> list[dict]:
        """Every variant as a dict of keyword arguments (``'a:b'`` keys become nested dicts): the
        cartesian product of the values, the first key added varying slowest."""
        flat = [{}]
        for key, vals in zip(self.keys, self.vals, strict=True):
            flat = [dict(var, **{key: v}) for var in flat for v in vals]
        return [_unflatten(var) for var in flat]

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
                variant, each launching the same process as ``'local'``; see
                :func:`~spinup.utils.ray_backend.run_on_ray`).
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
            results = run_on_ray(experiments, cpus_per_experiment=resolve_num_cpu(num_cpu),
                                 parallel=parallel, address=address)
        else:
            with stop_children_on_sigterm():
                self._countdown()
                if parallel == 1:
                    results = [launch_experiment(e) for e in experiments]
                else:
                    results = run_in_parallel(experiments, parallel)
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
