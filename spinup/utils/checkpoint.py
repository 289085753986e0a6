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

This module also guards run folders: :func:`lock_run_dir` keeps a second process from writing
into a folder while a run writes it, :func:`run_contents` says whether a folder already holds a
run, and :func:`check_resume_matches` refuses to resume a run with another algorithm,
environment, network shape or a ``progress.txt`` shorter than the checkpoint.
"""

from __future__ import annotations

import errno
import json
import os
import random
import tempfile
import time
import weakref

import gymnasium as gym
import numpy as np
import torch

from spinup.utils.errors import UserError
from spinup.utils.mpi_tools import gather_to_root, num_procs, proc_id
from spinup.utils.speed import set_time_limit_steps, time_limit_steps
from spinup.utils.vector_envs import VectorEnv, single_spaces, single_spec, sub_envs

RESUME_FILE = "resume.pt"
PROGRESS_FILE = "progress.txt"
CONFIG_FILE = "config.json"
LOCK_FILE = ".lock"

# The files that make a folder the record of a run, which a new run must not overwrite. A
# config.json alone (a run stopped before its first epoch ended) holds no result and may be replaced.
RUN_FILES = (PROGRESS_FILE, RESUME_FILE)

# Errors that mean "no space left": a full disk, or a full quota.
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskFullError(UserError):
    """The disk (or the user's quota) is full: ``path`` could not be written."""

    def __init__(self, path: str):
        self.path = path
        run_dir = os.path.dirname(os.path.abspath(path))
        if os.path.basename(run_dir) == "pyt_save":
            run_dir = os.path.dirname(run_dir)
        super().__init__(f"The disk is full: could not write {path}. Free some space and "
                         f"{continue_hint(run_dir)}")


def is_disk_full(error: BaseException) -> bool:
    """True for the ``OSError`` of a full disk or a full quota."""
    return isinstance(error, OSError) and error.errno in _DISK_FULL


def continue_hint(run_dir: str, algo: str | None = None) -> str:
    """How to go on with the run in ``run_dir`` after it stopped (the end of a sentence)."""
    if os.path.isfile(resume_path(run_dir)):
        if algo is None:
            return (f"resume it with --resume {run_dir} (the command that started it, with --resume added), "
                    f"or resume='{run_dir}' in Python.")
        return (f"resume it with: python -m spinup.run {algo} --resume {run_dir} (and the other flags "
                f"you gave), or {algo}(..., resume='{run_dir}') in Python.")
    if os.path.isfile(os.path.join(run_dir, PROGRESS_FILE)):
        return (f"start it again after deleting {run_dir} (it has no {RESUME_FILE} to resume from).")
    return "start it again (it had not finished an epoch, so there is nothing to resume)."


def _atomic_write(path: str, write) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)  # the file at ``path``, if any, is still the last complete one
        if is_disk_full(e):
            raise DiskFullError(path) from None
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
    """The states of an environment's generator and its action space's generator (JSON). For a
    vector environment: each copy's (where the copies live in this process, else None) and the
    single action space's, which draws the random actions."""
    if isinstance(env, VectorEnv):
        copies = sub_envs(env)
        return json.dumps({
            "copies": None if copies is None else [json.loads(env_rng_state(c)) for c in copies],
            "single_action_space": env.single_action_space.np_random.bit_generator.state,
        })
    return json.dumps(
        {
            "env": env.unwrapped.np_random.bit_generator.state,
            "action_space": env.action_space.np_random.bit_generator.state,
        }
    )


def set_env_rng_state(env, state: str) -> bool:
    """Restore :func:`env_rng_state`; False where the copies' generators could not be restored
    (a vector environment whose copies live in other processes, or a checkpoint of another kind)."""
    s = json.loads(state)
    if isinstance(env, VectorEnv):
        copies = sub_envs(env)
        if "copies" not in s:  # a checkpoint of one plain environment: the one copy of today's runs
            s = {"copies": [s], "single_action_space": s["action_space"]}
        env.single_action_space.np_random.bit_generator.state = s["single_action_space"]
        if copies is None or s["copies"] is None or len(copies) != len(s["copies"]):
            return False
        for copy, copy_state in zip(copies, s["copies"]):
            set_env_rng_state(copy, json.dumps(copy_state))
        return True
    env.unwrapped.np_random.bit_generator.state = s["env"]
    env.action_space.np_random.bit_generator.state = s["action_space"]
    return True


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


def progress_rows(run_dir: str) -> int:
    """The number of complete rows (after the header) in ``run_dir/progress.txt``; 0 if none."""
    try:
        with open(os.path.join(run_dir, PROGRESS_FILE), "rb") as f:
            complete_lines = f.read().count(b"\n")  # a last line without its newline is incomplete
    except FileNotFoundError:
        return 0
    return max(complete_lines - 1, 0)


def _saved_ac_kwargs(run_dir: str) -> str:
    try:
        with open(os.path.join(run_dir, CONFIG_FILE)) as f:
            return json.dumps(json.load(f).get("ac_kwargs"))
    except (OSError, ValueError, AttributeError):
        return "unknown"


def env_identity(env) -> dict:
    """What a checkpoint records about its environment: the registered id (or None) and spaces."""
    spec = single_spec(env)
    observation_space, action_space = single_spaces(env)
    return {"env_id": getattr(spec, "id", None), "spaces": json.dumps([str(observation_space), str(action_space)])}


def check_resume_matches(run_dir: str, state: dict, algo: str | None, env, modules: dict) -> None:
    """Refuse, before anything is written, to resume the checkpoint ``state`` of ``run_dir`` with
    another algorithm, another environment, networks of another shape, or a ``progress.txt``
    that holds fewer rows than the checkpoint's epochs (resuming would leave a gap in Epoch).

    Checkpoints written before these were recorded skip the algorithm and environment checks.
    """
    saved_algo = state.get("algo")
    if algo is not None and saved_algo is not None and saved_algo != algo:
        raise UserError(
            f"Cannot resume {run_dir} with {algo}: it holds a {saved_algo} run. Resume it with "
            f"{saved_algo} (python -m spinup.run {saved_algo} --resume {run_dir} ...), or start the "
            f"{algo} run in a new folder (another --exp_name).")
    now = env_identity(env)
    saved_id = state.get("env_id")
    if saved_id is not None and now["env_id"] is not None and saved_id != now["env_id"]:
        raise UserError(
            f"Cannot resume {run_dir} on {now['env_id']}: the run was trained on {saved_id}. Resume "
            f"it with --env {saved_id}, or start a new run for {now['env_id']} (another --exp_name).")
    if state.get("spaces") is not None and state["spaces"] != now["spaces"]:
        saved_obs, saved_act = json.loads(state["spaces"])
        obs, act = json.loads(now["spaces"])
        raise UserError(
            f"Cannot resume {run_dir}: the environment's spaces differ from the run's (observations "
            f"{obs} vs {saved_obs}, actions {act} vs {saved_act}). Give the same --env and "
            "--env_kwargs as the run.")
    for name, module in modules.items():
        if not isinstance(module, torch.nn.Module) or name not in state:
            continue
        saved = {k: tuple(v.shape) for k, v in state[name].items()}
        mine = {k: tuple(v.shape) for k, v in module.state_dict().items()}
        if saved != mine:
            key = next((k for k in mine if saved.get(k) != mine[k]), None) or next(iter(saved.keys() - mine.keys()))
            raise UserError(
                f"Cannot resume {run_dir}: its network has another shape than this run's "
                f"({name}.{key}: {saved.get(key, 'absent')} in the checkpoint, {mine.get(key, 'absent')} "
                f"now). Give the network settings of the run (its ac_kwargs: {_saved_ac_kwargs(run_dir)}), "
                "e.g. the same --hid.")
    rows, epoch = progress_rows(run_dir), int(state["epoch"])
    if rows < epoch:
        raise UserError(
            f"Cannot resume {run_dir}: its {PROGRESS_FILE} holds {rows} epoch row(s) but the "
            f"checkpoint was taken after epoch {epoch}, so the resumed log would have a gap in Epoch. "
            f"Put the full {PROGRESS_FILE} back, or start a new run (another --exp_name).")


def check_env_count(run_dir: str, state: dict, n: int) -> None:
    """Refuse to resume a run with another number of environment copies than it had."""
    saved = state.get("num_envs", 1)
    if saved != n:
        raise UserError(
            f"Cannot resume {run_dir} with num_envs={n}: the run stepped {saved} environment "
            f"cop{'y' if saved == 1 else 'ies'}. Resume it with --num_envs {saved}.")


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


def vector_env_state(envs) -> str | None:
    """:func:`env_state` of every copy of a vector environment (JSON list), or None where a copy's
    state cannot be captured or the copies live in other processes."""
    copies = sub_envs(envs)
    if copies is None:
        return None
    states = [env_state(c) for c in copies]
    return None if any(st is None for st in states) else json.dumps(states)


def set_vector_env_state(envs, state: str | None) -> bool:
    """Put every copy back into its episode (see :func:`vector_env_state`); False, changing
    nothing, where that is not possible. A checkpoint of one plain environment (before
    ``num_envs`` existed) restores the one copy."""
    copies = sub_envs(envs)
    if state is None or copies is None:
        return False
    states = json.loads(state)
    if not isinstance(states, list):  # one environment's state
        states = [state]
    if len(states) != len(copies):
        return False
    return all(set_env_state(c, st) for c, st in zip(copies, states))


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
    state = {"wrappers": [time_limit_steps(w) for w in _wrappers(env)]}
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
            set_time_limit_steps(wrapper, elapsed)
    return True


# ---------------------------------------------------------------------------------------------
# A run's resume checkpoint: built once by each algorithm, restored in one line, saved in one line.


class ResumeCheckpoint:
    """What a run's ``resume.pt`` holds, and continuing a stopped run from it.

    Each algorithm builds one with everything it must save, then makes one call before its main
    loop and one at the end of each epoch::

        checkpoint = ResumeCheckpoint(logger, "td3", env, dict(ac=ac, ac_targ=ac_targ, ...),
                                      test_env=test_env, rng=rng, replay_buffer=replay_buffer,
                                      save_buffer=save_buffer)
        start_epoch, start_time, (obs, ep_ret, ep_len) = checkpoint.resume_or_start(resume, (obs, 0.0, 0))
        ...
        checkpoint.save(epoch, start_time, (obs, ep_ret, ep_len))

    The file holds the state dicts of ``modules`` (networks and optimizers), the epochs done and
    the time spent, the algorithm's name and environment (resume refuses another), the
    algorithm's own generator ``rng``, and for every MPI process its global random states, its
    environments' generators and, for algorithms whose episodes run across epochs (the
    off-policy ones pass ``episode``), the episode in progress; with ``save_buffer``, the replay
    buffer. Rank 0 alone writes it.

    Args:
        logger: the run's logger (its ``output_dir`` is where ``resume.pt`` goes).
        algo: the algorithm's name, e.g. ``"ppo"``.
        env: the training environment.
        modules: name -> ``torch.nn.Module`` or optimizer, everything with a ``state_dict``.
        test_env: a separate test environment, if the algorithm has one.
        rng: the algorithm's own ``numpy.random.Generator``, if it has one.
        replay_buffer: restored whenever the checkpoint holds one.
        save_buffer: whether :meth:`save` writes ``replay_buffer`` too.
    """

    def __init__(self, logger, algo: str, env, modules: dict, test_env=None, rng: np.random.Generator | None = None,
                 replay_buffer=None, save_buffer: bool = False):
        self.logger, self.algo, self.env, self.modules = logger, algo, env, modules
        self.test_env, self.rng = test_env, rng
        self.replay_buffer, self.save_buffer = replay_buffer, save_buffer

    def save(self, epoch: int, start_time: float, episode: tuple | None = None) -> None:
        """Write ``resume.pt`` after ``epoch`` completed epochs (``start_time`` as returned by
        :meth:`resume_or_start`), with ``episode`` (e.g. ``(obs, ep_ret, ep_len)``) in progress."""
        capture = vector_env_state if isinstance(self.env, VectorEnv) else env_state
        mine = dict(rng=global_rng_state(), env_rng=env_rng_state(self.env),
                    test_env_rng=None if self.test_env is None else env_rng_state(self.test_env),
                    env_state=None if episode is None else capture(self.env),
                    episode=None if episode is None else [_to_tensor(v) for v in episode])
        processes = gather_to_root(mine)
        if proc_id() != 0:
            return
        state = {name: m.state_dict() for name, m in self.modules.items()}
        state.update(format=CHECKPOINT_FORMAT, algo=self.algo, epoch=epoch, elapsed=time.time() - start_time,
                     processes=processes, num_envs=getattr(self.env, "num_envs", 1), **env_identity(self.env),
                     rng=None if self.rng is None else json.dumps(self.rng.bit_generator.state))
        if self.save_buffer and self.replay_buffer is not None:
            state["buffer"] = self.replay_buffer.state_dict()
        save_resume_checkpoint(self.logger.output_dir, state)

    def resume_or_start(self, run_dir: str | None, episode: tuple | None = None) -> tuple[int, float, tuple | None]:
        """Start a new run (``run_dir`` None): returns ``(0, time.time(), episode)``. Or restore
        the run in ``run_dir`` into the modules, generators, environments and replay buffer, and
        return ``(epochs done, the start time that counts the time already spent, the episode in
        progress)``; if that episode could not be saved, a new one is started.

        Refuses, before anything is written, a different number of processes, another algorithm
        or environment, networks of another shape, or a ``progress.txt`` shorter than the
        checkpoint.
        """
        if run_dir is None:
            return 0, time.time(), episode
        state = _current_format(load_resume_checkpoint(run_dir))
        check_process_count(state, num_procs())
        check_env_count(run_dir, state, getattr(self.env, "num_envs", 1))
        check_resume_matches(run_dir, state, self.algo, self.env, self.modules)
        for name, m in self.modules.items():
            m.load_state_dict(state[name])
        if self.rng is not None:
            self.rng.bit_generator.state = json.loads(state["rng"])
        mine = state["processes"][proc_id()]
        set_global_rng_state(mine["rng"])
        restore = set_vector_env_state if isinstance(self.env, VectorEnv) else set_env_state
        restored = episode is not None and restore(self.env, mine["env_state"])
        if not set_env_rng_state(self.env, mine["env_rng"]):
            self.logger.log("Warning: the environment copies run in other processes, so their random "
                            "generators were not saved; the resumed run will not match an uninterrupted run "
                            "exactly (use vectorization 'sync' for exact resumes).", "yellow")
        if self.test_env is not None:
            set_env_rng_state(self.test_env, mine["test_env_rng"])
        if self.replay_buffer is not None and "buffer" in state:
            self.replay_buffer.load_state_dict(state["buffer"])

        self.logger.restore_progress(state["epoch"])
        self.logger.log(f"Resuming from {run_dir} after epoch {state['epoch']}.")
        if episode is not None:
            if restored:
                saved = [v.numpy() if isinstance(v, torch.Tensor) else v for v in mine["episode"]]
                # (a checkpoint from before num_envs holds one episode's unbatched values)
                episode = tuple(np.reshape(v, np.shape(now)) for v, now in zip(saved, episode))
            else:
                self.logger.log("Warning: the environment's episode in progress could not be saved, so the "
                                "resumed run starts a new episode; it will not match an uninterrupted run "
                                "exactly.", "yellow")
                episode = (self.env.reset()[0], *(0 * v for v in episode[1:]))
        if self.replay_buffer is not None and "buffer" not in state:
            self.logger.log("Note: the replay buffer was not saved (save_buffer=False), so the resumed run "
                            "starts with an empty buffer and will differ from an uninterrupted run.", "yellow")
        return int(state["epoch"]), time.time() - state["elapsed"], episode


CHECKPOINT_FORMAT = 2


def _to_tensor(value):
    """A value of the episode in progress in a form that loads with ``weights_only=True``."""
    if isinstance(value, np.ndarray):
        return torch.as_tensor(value)
    return value.item() if isinstance(value, np.generic) else value


def _current_format(state: dict) -> dict:
    """A checkpoint of an earlier version of spinup in today's layout: the off-policy algorithms
    kept their single process's states at the top level."""
    if state.get("format") is None and "processes" not in state:
        state["processes"] = [dict(rng=state["global_rng"], env_rng=state["env_rng"],
                                   test_env_rng=state["test_env_rng"], env_state=state["env_state"],
                                   episode=[state["obs"], state["ep_ret"], state["ep_len"]])]
    return state


# ---------------------------------------------------------------------------------------------
# Run folders: what they hold, and the lock that keeps a second writer out.


def run_contents(folder: str) -> list[str]:
    """The files in ``folder`` that show it holds a run (``progress.txt``, ``resume.pt``)."""
    return [name for name in RUN_FILES if os.path.isfile(os.path.join(folder, name))]


def folder_holds_run_message(folder: str, contents: list[str]) -> str:
    """The one-line refusal for a new run pointed at a folder that holds a run."""
    return (f"{folder} already holds a run ({', '.join(contents)}); a new run never writes over one. "
            f"Continue that run with --resume {folder} (resume= in Python), give this run another "
            "--exp_name (or add --dt for a dated folder), or delete the folder.")


class RunLock:
    """An exclusive ``flock`` on ``<run folder>/.lock``, held while this object lives (the OS
    releases it when the process ends, even by SIGKILL). One per folder and process."""

    _held: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # real path -> RunLock

    def __init__(self, fd: int | None):
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self):
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):
        return None


def _other_writer_message(folder: str, pid: int | None) -> str:
    who = f"Another process (pid {pid})" if pid else "Another process"
    return (f"{who} is writing to {folder} now; two runs must not write one folder. Wait for it to "
            "end (or stop it), then resume the run, or give this run another --exp_name.")


def lock_run_dir(folder: str) -> RunLock:
    """Lock the run folder ``folder`` (which exists) for this process, or :class:`UserError` if
    another process holds it. Keep the returned object as long as the run writes. Where file
    locks are not available (Windows), nothing is locked."""
    real = os.path.realpath(folder)
    lock = RunLock._held.get(real)
    if lock is not None:
        return lock
    try:
        import fcntl
    except ImportError:  # Windows
        return RunLock(None)
    fd = os.open(os.path.join(folder, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        os.close(fd)
        raise UserError(_other_writer_message(folder, pid)) from None
    except OSError:  # a file system without locks (some network ones): go on unlocked
        os.close(fd)
        return RunLock(None)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    lock = RunLock(fd)
    RunLock._held[real] = lock
    return lock


def check_not_locked(folder: str) -> None:
    """:class:`UserError` if a run is writing to ``folder`` now (without taking the lock)."""
    real = os.path.realpath(folder)
    if RunLock._held.get(real) is not None:
        raise UserError(_other_writer_message(folder, os.getpid()))
    path = os.path.join(folder, LOCK_FILE)
    try:
        import fcntl

        fd = os.open(path, os.O_RDONLY)
    except (ImportError, OSError):
        return  # no lock file: no run has held this folder
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(_other_writer_message(folder, _read_pid(fd))) from None
    except OSError:  # a file system without locks
        pass
    finally:
        os.close(fd)
