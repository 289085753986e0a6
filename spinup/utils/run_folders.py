"""Where a run writes: its output folder's name, and the checks made on it before launch.

::

    setup_logger_kwargs('ppo_cartpole', seed=0)    # data/ppo_cartpole/ppo_cartpole_s0

``resume=<run folder>`` makes an experiment write into that folder again
(:func:`check_resume_dir`). Without it, a folder that already holds a run (``progress.txt`` or
``resume.pt``) is refused before launch, and so is a folder that a running experiment is writing
now (:func:`check_output_dir`).
"""

from __future__ import annotations

import inspect
import json
import os.path as osp
import time

from spinup import user_config
from spinup.utils.checkpoint import (
    RESUME_FILE,
    check_not_locked,
    folder_holds_run_message,
    run_contents,
)
from spinup.utils.errors import UserError
from spinup.utils.validation import check_exp_name


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


def resumed_exp_name(run_dir: str, default: str) -> str:
    """The experiment name recorded in ``run_dir/config.json``, or ``default`` if there is none."""
    try:
        with open(osp.join(run_dir, "config.json")) as f:
            return json.load(f).get("exp_name") or default
    except (OSError, ValueError, AttributeError):
        return default


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
