"""Logging for experiments: a table per epoch on screen and in ``progress.txt``, the run's
settings in ``config.json``, and model snapshots in ``pyt_save/``.

Typical use inside an algorithm::

    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)
    logger.setup_pytorch_saver(ac, ac_kwargs)
    for epoch in range(epochs):
        ...
        logger.store(EpRet=ep_ret, EpLen=ep_len)      # any number of times per epoch
        ...
        logger.save_state({'env': env}, epoch)
        logger.log_tabular('Epoch', epoch)
        logger.log_tabular('EpRet', with_min_and_max=True)
        logger.dump_tabular()                          # one row in progress.txt

Under MPI, statistics are taken over every process's samples and only rank 0 writes.

Nothing a run wrote is lost to a later one: a new run refuses a folder that already holds a run
(``progress.txt`` or ``resume.pt``), a folder is locked while a run writes it, and a row with a
NaN or infinite value stops the run (see :meth:`Logger.dump_tabular`).
"""

from __future__ import annotations

import atexit
import json
import math
import os
import os.path as osp
import sys
import tempfile
import time
import warnings

import numpy as np
import torch

from spinup.utils.checkpoint import (
    CONFIG_FILE,
    DiskFullError,
    atomic_torch_save,
    atomic_write_text,
    folder_holds_run_message,
    is_disk_full,
    lock_run_dir,
    progress_rows,
    run_contents,
)
from spinup.utils.errors import UserError
from spinup.utils.mpi_tools import mpi_statistics_scalar, mpi_sum, proc_id
from spinup.utils.progress import ProgressLine
from spinup.utils.serialization_utils import convert_json, encode_kwargs, qualified_name

color2num = dict(gray=30, red=31, green=32, yellow=33, blue=34, magenta=35, cyan=36, white=37, crimson=38)


def colorize(string: str, color: str, bold: bool = False, highlight: bool = False) -> str:
    """Wrap ``string`` in ANSI escape codes for colour (and bold / highlighted background)."""
    num = color2num[color]
    if highlight:
        num += 10
    attrs = [str(num)] + (["1"] if bold else [])
    return f"\x1b[{';'.join(attrs)}m{string}\x1b[0m"


def env_spec_json(env) -> dict | None:
    """What is needed to rebuild ``env`` with ``gym.make``: its id, kwargs and entry point."""
    from spinup.utils.vector_envs import single_spec

    spec = single_spec(env)  # a vector environment: one copy's
    if spec is None:
        return None
    entry = spec.entry_point if isinstance(spec.entry_point, str) else None
    return {
        "id": spec.id,
        "kwargs": convert_json(dict(spec.kwargs)),
        "entry_point": entry,
        "max_episode_steps": spec.max_episode_steps,
    }


class Logger:
    """Writes a tab-separated ``progress.txt`` (one row per :meth:`dump_tabular`), ``config.json``
    and model snapshots into ``output_dir``.

    Args:
        output_dir: folder for the outputs. Default: ``<tmp>/experiments/<timestamp>``.
        output_fname: name of the table file. Default ``progress.txt``.
        exp_name: the experiment's name, recorded in ``config.json`` (the plotter groups runs by it).
        snapshots: if True, every :meth:`save_state` with an ``itr`` also keeps
            ``pyt_save/model<itr>.pt`` beside the latest ``pyt_save/model.pt``.
        tensorboard: if True, also write every row's columns as TensorBoard scalars to
            ``<output_dir>/tb/`` (needs the ``tensorboard`` package; see :mod:`spinup.utils.tracking`).
        wandb: if True, also log every row to Weights & Biases (``WANDB_MODE=offline`` works).
        progress: show a line with epoch k/N, steps/s and ETA after each row. None (default):
            only when standard output is a terminal. N comes from ``epochs`` in the saved config.

    A folder that already holds a run (``progress.txt`` or ``resume.pt``) is only written again to
    resume that run (``save_config`` with ``resume`` set in the config, or ``restore_progress``);
    otherwise the first write raises :class:`~spinup.utils.errors.UserError`. The folder is locked
    (``.lock``) while this Logger lives, so a second process cannot write into it.
    """

    def __init__(self, output_dir=None, output_fname="progress.txt", exp_name=None, snapshots=False,
                 tensorboard=False, wandb=False, progress=None):
        self.exp_name = exp_name
        self.snapshots = snapshots
        self.tensorboard = tensorboard
        self.wandb = wandb
        self._trackers: list | None = None  # created at the first row, once resuming is known
        self._config_json: dict | None = None
        self._resumed = False
        self._row_count = 0  # rows in progress.txt, the fallback step for TensorBoard / W&B
        self._progress = ProgressLine(enabled=progress)
        self.output_file = None
        self._header_written = False
        self._resuming: bool | None = None  # known at save_config / restore_progress
        self._pending_config: str | None = None  # a resumed run's config.json, written once checked
        self._row_nonfinite: dict[str, bool] = {}  # column -> its value this epoch is NaN or inf
        # What an earlier run left in the folder (every rank looks, so that all refuse together).
        self._previous_run = run_contents(output_dir) if output_dir and osp.isdir(output_dir) else []
        self._lock = None
        if proc_id() == 0:
            self.output_dir = output_dir or osp.join(tempfile.gettempdir(), "experiments", str(int(time.time())))
            try:
                os.makedirs(self.output_dir, exist_ok=True)
            except OSError as e:
                raise UserError(f"Could not make the output folder {self.output_dir}: {e.strerror or e}. "
                                "Choose another folder (--data_dir, or output_dir in logger_kwargs).") from None
            self._lock = lock_run_dir(self.output_dir)  # UserError if another process writes here
            self._previous_run = run_contents(self.output_dir)
            self.output_path = osp.join(self.output_dir, output_fname)
            print(colorize(f"Logging data to {self.output_path}", "green", bold=True))
            from spinup.utils import tracking

            if tensorboard:
                tracking.require_tensorboard()
            if wandb:
                tracking.require_wandb()
        else:
            self.output_dir = None
            self.output_path = None
        self.first_row = True
        self.log_headers: list[str] = []
        self.log_current_row: dict = {}
        self._saver_module = None
        self._saver_meta = None

    # -- messages and settings ----------------------------------------------------------------

    def log(self, msg: str, color: str = "green") -> None:
        """Print a coloured message (rank 0 only)."""
        if proc_id() == 0:
            print(colorize(msg, color, bold=True))

    def save_config(self, config: dict) -> None:
        """Write the experiment's settings to ``config.json`` (sorted, indented) and print them.

        Pass the algorithm's arguments only, e.g. ``config = dict(locals())`` as the first line of
        the algorithm function. With ``config['resume']`` set, the run continues an earlier one in
        this folder: ``config.json`` is written only once :meth:`restore_progress` has accepted
        the checkpoint, so a refused resume leaves the folder as it was. Without it, a folder that
        already holds a run is refused (:class:`~spinup.utils.errors.UserError`).
        """
        config_json = convert_json(dict(config))
        if self.exp_name is not None:
            config_json["exp_name"] = self.exp_name
        self._config_json = config_json
        epochs = config_json.get("epochs")
        if isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0:
            self._progress.total_epochs = epochs
        if config.get("resume") is not None:
            self._resuming = True
        self._check_new_run()
        if proc_id() == 0:
            output = json.dumps(config_json, separators=(",", ":\t"), indent=4, sort_keys=True)
            print(colorize("Saving config:\n", color="cyan", bold=True))
            print(output)
            if self._resuming:
                self._pending_config = output
            else:
                atomic_write_text(osp.join(self.output_dir, CONFIG_FILE), output)

    def _check_new_run(self) -> None:
        """Before the first write of a run that is not a resume: refuse a folder holding a run."""
        if self._resuming:
            return
        if self._previous_run:
            raise UserError(folder_holds_run_message(self.output_dir or "The output folder", self._previous_run))
        self._resuming = False

    # -- the table --------------------------------------------------------------------------

    def log_tabular(self, key: str, val) -> None:
        """Set the value of column ``key`` in this epoch's row.

        The first row fixes the columns and their order; later rows may not add new ones.
        A number that is NaN or infinite stops the run at :meth:`dump_tabular`.
        """
        if self.first_row:
            self.log_headers.append(key)
        else:
            assert key in self.log_headers, (
                f"Trying to introduce a new key {key} that you didn't include in the first iteration"
            )
        assert key not in self.log_current_row, (
            f"You already set {key} this iteration. Maybe you forgot to call dump_tabular()"
        )
        self.log_current_row[key] = val
        self._row_nonfinite[key] = _is_nonfinite(val)

    def restore_progress(self, num_rows: int) -> None:
        """Continue an existing ``progress.txt`` after its first ``num_rows`` rows (for resuming).

        Rows beyond ``num_rows`` (written after the checkpoint being resumed) are dropped, so the
        resumed run appends exactly where the checkpoint was taken. Fewer rows than ``num_rows``
        are refused (:class:`~spinup.utils.errors.UserError`): Epoch would have a gap. This is the
        first write of a resumed run: the config given to :meth:`save_config` is written here.
        """
        self._resuming = True
        self.first_row = num_rows == 0
        if proc_id() != 0:
            return
        rows_there = progress_rows(self.output_dir)
        if rows_there < num_rows:
            raise UserError(
                f"Cannot resume {self.output_dir}: its progress.txt holds {rows_there} epoch row(s) "
                f"but the checkpoint was taken after epoch {num_rows}, so Epoch would have a gap.")
        if self._pending_config is not None:
            atomic_write_text(osp.join(self.output_dir, CONFIG_FILE), self._pending_config)
            self._pending_config = None
        if num_rows == 0 or not osp.exists(self.output_path):
            return
        with open(self.output_path) as f:
            lines = f.read().splitlines()
        header, rows = lines[0], lines[1 : 1 + num_rows]
        self.log_headers = header.split("\t")
        self._resumed = True
        self._row_count = len(rows)
        last = dict(zip(self.log_headers, rows[-1].split("\t"), strict=False)) if rows else {}
        self._progress.restart_from(len(rows), _float_or_none(last.get("TotalEnvInteracts")))
        atomic_write_text(self.output_path, "\n".join([header] + rows) + "\n")
        self.output_file = open(self.output_path, "a")
        atexit.register(self.output_file.close)
        self._header_written = True

    def dump_tabular(self) -> None:
        """Print this epoch's row as a table, append it to ``progress.txt`` and start a new row.

        If a value of the row is NaN or infinite (apart from the statistics of a key nothing was
        stored under), the row is still written, so that ``progress.txt`` shows it, and then the
        run stops with :class:`~spinup.utils.errors.UserError` naming the epoch and the columns.
        The checkpoint of the epoch before stays the last one.
        """
        if self._resuming is None:
            self._check_new_run()
        if self._pending_config is not None:  # resumed without restore_progress
            atomic_write_text(osp.join(self.output_dir, CONFIG_FILE), self._pending_config)
            self._pending_config = None
        nonfinite = self._nonfinite_columns()
        epoch = self.log_current_row.get("Epoch")
        if proc_id() == 0:
            vals = []
            key_lens = [len(key) for key in self.log_headers]
            max_key_len = max(15, max(key_lens))
            keystr = "%" + "%d" % max_key_len
            fmt = "| " + keystr + "s | %15s |"
            n_slashes = 22 + max_key_len
            lines = ["-" * n_slashes]
            for key in self.log_headers:
                val = self.log_current_row.get(key, "")
                valstr = "%8.3g" % val if hasattr(val, "__float__") else val
                lines.append(fmt % (key, valstr))
                vals.append(val)
            lines.append("-" * n_slashes)
            print("\n".join(lines), flush=True)
            try:
                if self.output_file is None:
                    self.output_file = open(self.output_path, "w")
                    atexit.register(self.output_file.close)
                if not self._header_written:
                    self.output_file.write("\t".join(self.log_headers) + "\n")
                    self._header_written = True
                self.output_file.write("\t".join(map(_cell, vals)) + "\n")
                self.output_file.flush()
            except OSError as e:
                if is_disk_full(e):
                    raise DiskFullError(self.output_path) from None
                raise
            self._mirror_row(dict(zip(self.log_headers, vals, strict=True)))
            self._progress.epoch_done(_float_or_none(self.log_current_row.get("TotalEnvInteracts")))
        self.log_current_row.clear()
        self._row_nonfinite.clear()
        self.first_row = False
        if nonfinite:
            where = f" Its row is the last one in {self.output_path}." if self.output_path else ""
            raise UserError(
                f"{'The row just logged' if epoch is None else f'Epoch {_cell(epoch)}'}: {', '.join(nonfinite)} {'is' if len(nonfinite) == 1 else 'are'} "
                f"NaN or infinite, so the run stopped.{where} Lower the learning rate(s), or check the "
                "environment's rewards and observations for NaN or inf; then resume from the last "
                "checkpoint (the epoch before) or start again.")

    def _nonfinite_columns(self) -> list[str]:
        """The columns of this row whose value is NaN or infinite."""
        return [k for k in self.log_current_row if self._row_nonfinite.get(k)]

    def _mirror_row(self, row: dict) -> None:
        """Hand a finished row to TensorBoard / W&B, if asked for (rank 0 only)."""
        if not (self.tensorboard or self.wandb):
            return
        from spinup.utils import tracking

        values = tracking.numeric_items(row)
        step = tracking.row_step(values, self._row_count)
        self._row_count += 1
        if self._trackers is None:
            self._trackers = []
            if self.tensorboard:
                purge = step if self._resumed else None
                self._trackers.append(tracking.TensorBoardWriter(osp.join(self.output_dir, "tb"), purge_step=purge))
            if self.wandb:
                w = tracking.WandbWriter(self.output_dir, group=self.exp_name, resume=self._resumed)
                if self._config_json is not None:
                    w.set_config(self._config_json)
                self._trackers.append(w)
            for t in self._trackers:
                atexit.register(t.close)
        for t in self._trackers:
            t.write(values, step)

    # -- model snapshots ------------------------------------------------------------------------

    def setup_pytorch_saver(self, what_to_save, ctor_kwargs: dict | None = None) -> None:
        """Register the module whose weights :meth:`save_state` writes.

        Args:
            what_to_save: the model (normally the actor-critic ``ac``), or a dict of modules
                (``{'pi': pi, 'q': q}``), whose weights are then saved as a dict of state dicts.
            ctor_kwargs: the keyword arguments it was built with besides the observation and
                action spaces (normally ``ac_kwargs``), recorded so the model can be rebuilt.
        """
        if isinstance(what_to_save, torch.nn.Module):
            meta = {"class": qualified_name(type(what_to_save)), "kwargs": encode_kwargs(dict(ctor_kwargs or {}))}
        elif (isinstance(what_to_save, dict) and what_to_save
              and all(isinstance(k, str) and isinstance(m, torch.nn.Module) for k, m in what_to_save.items())):
            meta = {"modules": {k: qualified_name(type(m)) for k, m in what_to_save.items()}}
        else:
            raise UserError(f"setup_pytorch_saver takes a torch.nn.Module or a dict of them (e.g. "
                            f"{{'pi': ac.pi, 'q': ac.q}}), not {type(what_to_save).__name__}.")
        self._saver_module = what_to_save
        self._saver_meta = meta

    def save_state(self, state_dict: dict, itr: int | None = None) -> None:
        """Save a snapshot of the registered model: weights and how to rebuild it and its env.

        Writes ``pyt_save/model.pt`` (the model's ``state_dict``) and ``pyt_save/model.json``
        (its class, constructor kwargs and the environment's spec). With ``snapshots=True`` and
        an ``itr``, also keeps ``pyt_save/model<itr>.pt``. Rank 0 only; every write is atomic.
        Without a model registered by :meth:`setup_pytorch_saver` it raises
        :class:`~spinup.utils.errors.UserError` rather than write nothing.

        Args:
            state_dict: normally ``{'env': env}``; the environment's spec is recorded so that
                ``test_policy`` can rebuild it. Other JSON-able entries are recorded as they are.
            itr: the epoch (or other counter) of this snapshot.
        """
        if self._saver_module is None:
            raise UserError("save_state: no model to save. Call logger.setup_pytorch_saver(model) "
                            "first (a torch.nn.Module, or a dict of them).")
        if self._resuming is None:
            self._check_new_run()
        if proc_id() != 0:
            return
        meta = dict(self._saver_meta)
        extra = dict(state_dict or {})
        env = extra.pop("env", None)
        meta["env"] = env_spec_json(env) if env is not None else None
        meta["itr"] = itr
        if env is not None:
            from spinup.utils.vector_envs import single_spaces

            observation_space, action_space = single_spaces(env)
            meta["observation_space"] = str(observation_space)
            meta["action_space"] = str(action_space)
        meta["extra"] = convert_json(extra)
        folder = osp.join(self.output_dir, "pyt_save")
        if isinstance(self._saver_module, dict):
            weights = {name: _cpu_weights(m) for name, m in self._saver_module.items()}
        else:
            weights = _cpu_weights(self._saver_module)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            atomic_torch_save(weights, osp.join(folder, "model.pt"))
            if self.snapshots and itr is not None:
                atomic_torch_save(weights, osp.join(folder, f"model{itr}.pt"))
        atomic_write_text(osp.join(folder, "model.json"), json.dumps(meta, indent=2, sort_keys=True))


def _cpu_weights(module: torch.nn.Module) -> dict:
    """A copy of ``module``'s state dict on the CPU, detached."""
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def _float_or_none(val) -> float | None:
    try:
        return float(val)
    except (TypeError, ValueError):
        return None


def _is_nonfinite(val) -> bool:
    """True for a number (Python, NumPy or a one-element tensor) that is NaN or infinite."""
    if isinstance(val, (bool, str)) or not hasattr(val, "__float__"):
        return False
    try:
        return not math.isfinite(float(val))
    except (TypeError, ValueError, OverflowError):
        return False


def _cell(val) -> str:
    if isinstance(val, (np.floating, np.integer)):
        val = val.item()
    return str(val)


class EpochLogger(Logger):
    """A :class:`Logger` that collects values during an epoch and logs their statistics.

    ``store(EpRet=...)`` any number of times; then ``log_tabular('EpRet', with_min_and_max=True)``
    writes the columns ``AverageEpRet, StdEpRet, MaxEpRet, MinEpRet`` (over every MPI process's
    samples) and forgets the stored values.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epoch_dict: dict[str, list] = {}
        self._warned_empty: set[str] = set()

    def store(self, **kwargs) -> None:
        """Record values (scalars or arrays) to be summarised at the end of the epoch."""
        for k, v in kwargs.items():
            self.epoch_dict.setdefault(k, []).append(v)

    def _values(self, key: str) -> np.ndarray:
        v = self.epoch_dict.get(key, [])
        if len(v) and isinstance(v[0], np.ndarray) and v[0].ndim > 0:
            return np.concatenate(v)
        return np.asarray(v, dtype=np.float64)

    def log_tabular(self, key: str, val=None, with_min_and_max: bool = False, average_only: bool = False) -> None:
        """Log a value, or the statistics of the values stored under ``key`` this epoch.

        Args:
            key: the column name (or the name used with :meth:`store`).
            val: a value to log as it is. If None, log statistics of the stored values instead.
            with_min_and_max: also log ``Max<key>`` and ``Min<key>``.
            average_only: log just the mean, in a column named ``<key>``.

        If nothing was stored under ``key`` this epoch (e.g. no episode finished), the statistics
        are NaN and a warning is printed once.
        """
        if val is not None:
            super().log_tabular(key, val)
        else:
            vals = self._values(key)
            if vals.size == 0 and key not in self._warned_empty and proc_id() == 0:
                self._warned_empty.add(key)
                print(colorize(
                    f"Warning: nothing was stored for '{key}' this epoch, so it is logged as NaN "
                    "(for episode statistics: no episode finished within the epoch).", "yellow"),
                    file=sys.stderr)
            stats = mpi_statistics_scalar(vals, with_min_and_max=with_min_and_max)
            columns = [key if average_only else "Average" + key]
            super().log_tabular(columns[0], stats[0])
            if not average_only:
                columns.append("Std" + key)
                super().log_tabular("Std" + key, stats[1])
            if with_min_and_max:
                columns += ["Max" + key, "Min" + key]
                super().log_tabular("Max" + key, stats[3])
                super().log_tabular("Min" + key, stats[2])
            # NaN statistics of an empty key are not bad input; NaN or inf among the values are.
            bad = bool(vals.size) and not bool(np.isfinite(vals).all())
            for column in columns:
                self._row_nonfinite[column] = bad
        self.epoch_dict[key] = []

    def _nonfinite_columns(self) -> list[str]:
        """The bad columns of this row on any process (every process calls dump_tabular)."""
        keys = list(self.log_current_row)  # set in the same order on every process
        flags = np.array([float(bool(self._row_nonfinite.get(k))) for k in keys])
        if flags.size:
            flags = mpi_sum(flags)
        return [k for k, f in zip(keys, flags, strict=True) if f > 0]

    def get_stats(self, key: str):
        """(mean, std) of the values stored under ``key``, over all processes, without clearing them."""
        return mpi_statistics_scalar(self._values(key))
