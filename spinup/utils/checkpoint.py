"""Atomic file writes, random-number-generator states, and the resume checkpoint.

Two kinds of files are written during training:

* **Model snapshots** (``pyt_save/model.pt`` or ``model<itr>.pt`` with ``model.json``): the
  actor-critic's weights plus the JSON needed to rebuild it and its environment; what
  ``test_policy`` loads. Written by :meth:`spinup.utils.logx.Logger.save_state`.
* **The resume checkpoint** (``resume.pt`` in the run folder): everything needed to continue
  a stopped run exactly — weights, optimizer states, counters, and every random-number
  generator (Python, NumPy, torch, the environment and its action space).

Both are written atomically (a temporary file in the same folder, then a rename), so a run
killed at any moment leaves either the old file or the new one, never half a file. Both are
loaded with ``torch.load(..., weights_only=True)``: nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
import random
import tempfile

import numpy as np
import torch

from spinup.utils.errors import UserError

RESUME_FILE = "resume.pt"


def _atomic_write(path: str, write) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a part."""
    _atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save(obj, path)``, atomically."""
    _atomic_write(path, lambda f: torch.save(obj, f))


def safe_torch_load(path: str):
    """``torch.load`` with ``weights_only=True`` and a clear message when the file is unusable."""
    if not os.path.isfile(path):
        raise UserError(f"No file at {path}.")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated, foreign or non-weights file
        raise UserError(
            f"Could not read {path} ({type(e).__name__}: {e}). The file may be damaged or may not "
            "have been written by spinup; spinup loads only weights and JSON, never pickled objects."
        ) from None


# ---------------------------------------------------------------------------------------------
# Random-number generators. States are kept as JSON strings or tensors so that they load with
# weights_only=True.


def global_rng_state() -> dict:
    """The states of Python's, NumPy's and torch's global generators."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return {
        "python": json.dumps(random.getstate()),
        "numpy": json.dumps([kind, keys.tolist(), int(pos), int(has_gauss), float(gauss)]),
        "torch": torch.get_rng_state(),
    }


def set_global_rng_state(state: dict) -> None:
    version, internal, gauss = json.loads(state["python"])
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, gauss = json.loads(state["numpy"])
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])


def env_rng_state(env) -> str:
    """The states of an environment's generator and its action space's generator (JSON)."""
    return json.dumps(
        {
            "env": env.unwrapped.np_random.bit_generator.state,
            "action_space": env.action_space.np_random.bit_generator.state,
        }
    )


def set_env_rng_state(env, state: str) -> None:
    s = json.loads(state)
    env.unwrapped.np_random.bit_generator.state = s["env"]
    env.action_space.np_random.bit_generator.state = s["action_space"]


# ---------------------------------------------------------------------------------------------
# The resume checkpoint.


def resume_path(run_dir: str) -> str:
    return os.path.join(run_dir, RESUME_FILE)


def save_resume_checkpoint(run_dir: str, state: dict) -> None:
    """Write ``state`` (tensors, state dicts, numbers, strings) to ``run_dir/resume.pt`` atomically."""
    atomic_torch_save(state, resume_path(run_dir))


def load_resume_checkpoint(run_dir: str) -> dict:
    """Load the checkpoint written by :func:`save_resume_checkpoint`, with clear errors."""
    if not os.path.isdir(run_dir):
        raise UserError(f"Cannot resume: {run_dir} is not a folder. Give the folder of one run "
                        "(the one that holds progress.txt and resume.pt).")
    path = resume_path(run_dir)
    if not os.path.isfile(path):
        raise UserError(
            f"Cannot resume: {run_dir} holds no {RESUME_FILE}. Only runs that finished at least "
            "one epoch with this version of spinup can be resumed."
        )
    return safe_torch_load(path)
