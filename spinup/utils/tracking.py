"""Mirroring ``progress.txt`` to TensorBoard and to Weights & Biases.

The :class:`~spinup.utils.logx.Logger` creates these when asked (``logger_kwargs=dict(
tensorboard=True)`` or ``wandb=True``; on the command line ``--tensorboard`` / ``--wandb``) and
hands every row of ``progress.txt`` to them: each numeric column becomes a scalar, with
``TotalEnvInteracts`` as the step (``Epoch`` if a run has no step count, else the row number).

* TensorBoard files go to ``<run folder>/tb/``; view them with ``tensorboard --logdir <folder>``.
  Needs ``pip install "spinup[tensorboard]"``.
* W&B runs go to the project ``spinup`` (``WANDB_PROJECT`` overrides it) and are named after the
  run folder. ``WANDB_MODE=offline`` keeps everything on disk under ``<run folder>/wandb/``
  (upload later with ``wandb sync``). Needs ``pip install "spinup[wandb]"``.
"""

from __future__ import annotations

import math
import os
import uuid

from spinup.utils.errors import UserError

STEP_COLUMNS = ("TotalEnvInteracts", "Epoch")


def _missing(extra: str, module: str, feature: str) -> UserError:
    return UserError(
        f"{feature} needs the '{module}' package, which is not installed. Install it with:  "
        f'pip install "spinup[{extra}]"   (or pip install {module}), or leave out --{extra}.'
    )


def require_tensorboard() -> None:
    """Raise a :class:`UserError` saying how to install TensorBoard unless it is importable."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise _missing("tensorboard", "tensorboard", "TensorBoard logging (tensorboard=True)") from None


def require_wandb() -> None:
    """Raise a :class:`UserError` saying how to install wandb unless it is importable."""
    try:
        import wandb  # noqa: F401
    except ImportError:
        raise _missing("wandb", "wandb", "Weights & Biases logging (wandb=True)") from None


def numeric_items(row: dict) -> dict[str, float]:
    """The entries of a ``progress.txt`` row that are numbers, as floats (NaN kept)."""
    out = {}
    for key, val in row.items():
        if isinstance(val, bool):
            out[key] = float(val)
            continue
        try:
            out[key] = float(val)
        except (TypeError, ValueError):
            continue
    return out


def row_step(row: dict[str, float], row_index: int) -> int:
    """The step to file a row under: ``TotalEnvInteracts``, else ``Epoch``, else the row number."""
    for key in STEP_COLUMNS:
        val = row.get(key)
        if val is not None and math.isfinite(val):
            return int(val)
    return row_index


class TensorBoardWriter:
    """Writes each row's numeric columns as TensorBoard scalars into ``log_dir``.

    Args:
        log_dir: normally ``<run folder>/tb``.
        purge_step: when resuming, the first step of the new rows; events a stopped run wrote
            at this step or later are hidden by TensorBoard, so they are not shown twice.
    """

    def __init__(self, log_dir: str, purge_step: int | None = None):
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = log_dir
        self._writer = SummaryWriter(log_dir=log_dir, purge_step=purge_step)

    def write(self, row: dict, step: int) -> None:
        for key, val in numeric_items(row).items():
            self._writer.add_scalar(key, val, global_step=step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class WandbWriter:
    """Logs each row's numeric columns to a Weights & Biases run.

    Args:
        run_dir: the run folder; W&B keeps its files in ``<run_dir>/wandb``.
        name: the run's name in W&B (default: the run folder's name).
        group: groups runs in W&B (the experiment name, so seeds of one config sit together).
        resume: True when continuing a stopped run, so W&B appends to the same run.
    """

    def __init__(self, run_dir: str, name: str | None = None, group: str | None = None, resume: bool = False):
        require_wandb()
        import wandb

        self._wandb = wandb
        name = name or os.path.basename(os.path.normpath(run_dir))
        wandb_dir = os.path.join(run_dir, "wandb")
        os.makedirs(wandb_dir, exist_ok=True)
        # The run's W&B id is kept in its folder, so that a resumed run appends to the same W&B run.
        id_file = os.path.join(wandb_dir, "spinup_run_id")
        run_id = None
        if resume and os.path.isfile(id_file):
            with open(id_file) as f:
                run_id = f.read().strip() or None
        if run_id is None:
            run_id = uuid.uuid4().hex[:12]
            with open(id_file, "w") as f:
                f.write(run_id + "\n")
        self._run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "spinup"),
            name=name,
            group=group,
            dir=run_dir,
            id=run_id,
            resume="allow" if resume else None,
            reinit="create_new",
        )
        # Every column is plotted against TotalEnvInteracts (or Epoch) rather than W&B's own counter.
        self._run.define_metric("spinup_step")
        self._run.define_metric("*", step_metric="spinup_step")

    def set_config(self, config: dict) -> None:
        self._run.config.update(config, allow_val_change=True)

    def write(self, row: dict, step: int) -> None:
        data = numeric_items(row)
        data["spinup_step"] = step
        self._run.log(data)

    def close(self) -> None:
        self._run.finish()
