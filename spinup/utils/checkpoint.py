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

import gymnasium as gym
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


def check_process_count(state: dict, n: int) -> None:
    """Refuse to resume with a different number of MPI processes than the run was started with."""
    saved = len(state.get("processes", [None]))
    if saved != n:
        raise UserError(
            f"This run was checkpointed with {saved} process(es) but is being resumed with {n}. "
            f"Resume it with --cpu {saved} so that every process continues its own stream."
        )


# ---------------------------------------------------------------------------------------------
# Environment state. Off-policy runs keep one episode going across epoch boundaries, so an exact
# resume needs the episode's state too: the physics (MuJoCo), the simple attributes of a
# pure-Python environment (classic control), and the step count of any TimeLimit wrapper.

# Attributes of an unwrapped environment that are not part of the episode's state.
_NOT_EPISODE_STATE = {
    "action_space", "observation_space", "spec", "metadata", "render_mode", "np_random",
    "_np_random", "_np_random_seed", "screen", "clock", "isopen", "surf", "viewer", "window",
    "_ezpickle_args", "_ezpickle_kwargs", "mujoco_renderer",
}


def _encode(value):
    """``value`` as JSON-able data that :func:`_decode` turns back into the same value, or raise
    TypeError for a value that is not plain data (an engine object, a surface...)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"__npscalar__": value.item(), "dtype": value.dtype.str}
    if isinstance(value, (list, tuple)):
        return {"__list__": [_encode(v) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v) for k, v in value.items()}}
    raise TypeError(type(value).__name__)


def _decode(data):
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        return np.array(data["__ndarray__"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if "__npscalar__" in data:
        return np.dtype(data["dtype"]).type(data["__npscalar__"])
    if "__list__" in data:
        items = [_decode(v) for v in data["__list__"]]
        return tuple(items) if data["tuple"] else items
    return {k: _decode(v) for k, v in data["__dict__"].items()}


def _wrappers(env):
    """The wrappers around the environment, outermost first."""
    while isinstance(env, gym.Wrapper):
        yield env
        env = env.env


def env_state(env) -> str | None:
    """The state of the episode in progress in ``env`` (JSON), or None where it cannot be captured.

    Captured: for MuJoCo environments, MuJoCo's full integration state (``mj_getState`` with
    ``mjSTATE_INTEGRATION``: time, qpos, qvel, act, warm start, controls, applied forces...);
    for other environments, every attribute of the unwrapped environment that is plain data
    (numbers, arrays, lists), e.g. ``state`` in the classic-control tasks; and in both cases the
    elapsed-step counters of the wrappers (``TimeLimit``). Environments holding engine objects
    (Box2D worlds, for instance) return None: their episodes cannot be restored.
    """
    inner = env.unwrapped
    state = {"wrappers": [w.__dict__.get("_elapsed_steps") for w in _wrappers(env)]}
    data = getattr(inner, "data", None)
    if data is not None and type(data).__module__.startswith("mujoco"):
        import mujoco

        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        physics = np.empty(mujoco.mj_stateSize(inner.model, spec))
        mujoco.mj_getState(inner.model, data, physics, spec)
        state["mujoco"] = physics.tolist()
        return json.dumps(state)
    attrs = {}
    for name, value in vars(inner).items():
        if name in _NOT_EPISODE_STATE:
            continue
        try:
            attrs[name] = _encode(value)
        except TypeError:
            return None
    state["attrs"] = attrs
    return json.dumps(state)


def set_env_state(env, state: str | None) -> bool:
    """Put ``env`` (already reset once) back into the episode captured by :func:`env_state`.

    Returns False, changing nothing, when ``state`` is None (the state could not be captured)
    or was captured from a different kind of environment.
    """
    if state is None:
        return False
    s = json.loads(state)
    wrappers = list(_wrappers(env))
    if len(wrappers) != len(s["wrappers"]):
        return False
    inner = env.unwrapped
    if "mujoco" in s:
        import mujoco

        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        physics = np.array(s["mujoco"], dtype=np.float64)
        if getattr(inner, "data", None) is None or physics.size != mujoco.mj_stateSize(inner.model, spec):
            return False
        mujoco.mj_setState(inner.model, inner.data, physics, spec)
        mujoco.mj_forward(inner.model, inner.data)
    else:
        for name, value in s["attrs"].items():
            setattr(inner, name, _decode(value))
    for wrapper, elapsed in zip(wrappers, s["wrappers"]):
        if elapsed is not None:
            wrapper._elapsed_steps = elapsed
    return True
