"""Several copies of an environment stepped as one: ``num_envs`` for every algorithm.

Every algorithm steps a :class:`gymnasium.vector.VectorEnv` of ``num_envs`` copies (one copy by
default, which repeats a one-environment run exactly). At each step it passes one action per copy
and receives, per copy, the next observation, the reward and the two flags ``terminated`` and
``truncated``.

**Autoreset: same step.** A copy whose episode ends is reset inside the same ``step`` call
(Gymnasium's ``AutoresetMode.SAME_STEP``): the observation it returns for that copy is already
the first one of its next episode, and the real last observation of the episode that ended is in
``info["final_obs"]``. We use this mode because every step is then a real transition: the
default mode of Gymnasium (``NEXT_STEP``) spends one extra call per episode on the reset, whose
"transition" must be masked out of buffers and step counts. The price is the trap this module's
:func:`final_observations` closes: the next observation of a copy that ended is *not* the
returned one, and bootstrapping from it (or storing it as ``next_obs``) would mix two episodes.

**Time limits.** ``max_ep_len`` becomes a ``TimeLimit`` on every copy (when it is shorter than the
environment's own), so a cut-off episode is a truncation like any other: bootstrapped, not
terminal, and reset by the vector environment.

**Backends** (``vectorization``):

- ``'sync'`` (default): the copies step one after the other in this process
  (:class:`spinup.utils.speed.SyncVectorEnv`, Gymnasium's ``SyncVectorEnv`` with a leaner step).
  Best for fast environments (classic control, small MuJoCo tasks), where a step costs less than
  passing messages between processes.
- ``'async'``: each copy runs in its own subprocess (Gymnasium's ``AsyncVectorEnv``). Worth it
  when a step is slow (large simulations, image rendering) and there are spare cores.
- ``'envpool'``: EnvPool's C++ thread pool (``pip install envpool``; Linux), for the
  environments it implements. Its own autoreset is turned into the same-step convention here.

**Seeds.** Copy ``i`` is reset with ``seed + i`` at the start, so copies play different
episodes and a run is reproducible.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.wrappers import TimeLimit

from spinup.utils.errors import UserError
from spinup.utils.speed import SyncVectorEnv

VECTORIZATIONS = ("sync", "async", "envpool")


class EnvCopy:
    """Builds one copy: ``env_fn()``, with ``max_ep_len`` as a ``TimeLimit`` where it is shorter
    than the environment's own limit. A class rather than a closure, so that ``'async'`` can send
    it to a subprocess."""

    def __init__(self, env_fn, max_ep_len: int | None = None):
        self.env_fn, self.max_ep_len = env_fn, max_ep_len

    def __call__(self) -> gym.Env:
        env = self.env_fn()
        limit = getattr(env.spec, "max_episode_steps", None) if env.spec is not None else None
        if self.max_ep_len is not None and (limit is None or self.max_ep_len < limit):
            env = TimeLimit(env, self.max_ep_len)
        return env


def make_vector_env(env_fn, num_envs: int = 1, vectorization: str = "sync",
                    max_ep_len: int | None = None) -> VectorEnv:
    """``num_envs`` copies of ``env_fn()`` as one vector environment with same-step autoreset.

    Args:
        env_fn: builds one copy of the environment.
        num_envs: number of copies (1 or more).
        vectorization: ``'sync'``, ``'async'`` or ``'envpool'`` (see the module's docstring).
        max_ep_len: a time limit on every copy's episodes (None: the environment's own).
    """
    if vectorization not in VECTORIZATIONS:
        raise UserError(f"vectorization must be one of {', '.join(VECTORIZATIONS)}; got {vectorization!r}.")
    copy = EnvCopy(env_fn, max_ep_len)
    if vectorization == "sync":
        return SyncVectorEnv([copy] * num_envs)
    if vectorization == "async":
        return gym.vector.AsyncVectorEnv([copy] * num_envs, autoreset_mode=AutoresetMode.SAME_STEP)
    return EnvPoolVectorEnv(env_fn, num_envs, max_ep_len)


def final_observations(next_obs: np.ndarray, info: dict, done: np.ndarray) -> np.ndarray:
    """The observation each copy really reached: ``next_obs``, except for the copies that ended
    (``done = terminated | truncated``), whose row is replaced by ``info["final_obs"]`` (the
    returned row is already the first observation of their next episode).

    This is what a transition's ``next_obs`` must be, and what a truncated episode bootstraps from.
    """
    if not done.any():
        return next_obs
    real = next_obs.copy()
    for i in np.flatnonzero(done):
        real[i] = info["final_obs"][i]
    return real


def random_actions(envs: VectorEnv) -> np.ndarray:
    """One action per copy, drawn uniformly from the single action space (whose generator the
    algorithm seeds): with one copy, exactly the draw of ``env.action_space.sample()``."""
    space = envs.single_action_space
    return np.stack([space.sample() for _ in range(envs.num_envs)])


def sub_envs(envs: VectorEnv) -> list[gym.Env] | None:
    """The copies themselves when they live in this process (``'sync'``), else None."""
    return list(envs.envs) if isinstance(envs, gym.vector.SyncVectorEnv) else None


def single_spec(env):
    """The ``EnvSpec`` of one copy of a vector environment (of ``env`` itself for a plain
    environment), or None."""
    if not isinstance(env, VectorEnv):
        return getattr(env, "spec", None)
    copies = sub_envs(env)
    if copies is not None:
        return copies[0].spec
    if isinstance(env, EnvPoolVectorEnv):
        return env.spec
    try:
        return env.get_attr("spec")[0]
    except Exception:  # a backend that cannot say
        return None


def single_spaces(env) -> tuple:
    """``(observation_space, action_space)`` of one copy (of ``env`` itself for a plain one)."""
    if isinstance(env, VectorEnv):
        return env.single_observation_space, env.single_action_space
    return env.observation_space, env.action_space


# ---------------------------------------------------------------------------------------------
# EnvPool


class EnvPoolVectorEnv(VectorEnv):
    """EnvPool's batched environment behind Gymnasium's vector API, with same-step autoreset.

    EnvPool resets a copy on the step *after* its episode ended (it returns the first observation
    of the next episode for whatever action it is given). To keep this module's convention, the
    copies that ended are stepped once more at once, their reset observations returned, and their
    real last observations put in ``info["final_obs"]``.

    Only environments EnvPool implements can be made (``EnvFactory`` ids such as
    ``'HalfCheetah-v5'``, ``'CartPole-v1'``); ``env_kwargs`` are not passed on.
    """

    def __init__(self, env_fn, num_envs: int, max_ep_len: int | None = None):
        try:
            import envpool
        except ImportError:
            raise UserError("vectorization='envpool' needs EnvPool: pip install envpool (Linux only), "
                            "or use vectorization 'sync' or 'async'.") from None
        env_id = getattr(env_fn, "env_name", None)
        if env_id is None:
            raise UserError("vectorization='envpool' needs an environment given by name (--env NAME); "
                            "a custom env_fn cannot be built by EnvPool. Use 'sync' or 'async'.")
        self._make = envpool.make
        self._env_id, self._max_ep_len, self.num_envs = env_id, max_ep_len, num_envs
        self._pool = None
        probe = self._new_pool(seed=0)
        self.single_observation_space = probe.observation_space
        self.single_action_space = probe.action_space
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}
        self.spec = gym.spec(env_id) if env_id in gym.registry else None
        self._pool = probe

    def _new_pool(self, seed: int):
        kwargs = dict(env_type="gymnasium", num_envs=self.num_envs, seed=seed)
        if self._max_ep_len is not None:
            kwargs["max_episode_steps"] = self._max_ep_len
        try:
            return self._make(self._env_id, **kwargs)
        except Exception as e:
            raise UserError(f"EnvPool cannot make '{self._env_id}' ({e}). Use vectorization 'sync' or 'async'.") from None

    def reset(self, *, seed=None, options=None):
        if seed is not None:  # EnvPool seeds its copies (seed + i) when the pool is made
            self._pool = self._new_pool(int(seed))
        obs, info = self._pool.reset()
        return obs, {}

    def step(self, actions):
        obs, rew, terminated, truncated, info = self._pool.step(np.asarray(actions))
        done = terminated | truncated
        infos: dict = {}
        if done.any():
            ids = np.flatnonzero(done)
            final = np.full(self.num_envs, None, dtype=object)
            for i in ids:
                final[i] = obs[i].copy()
            obs = obs.copy()
            first_obs, *_ = self._pool.step(np.asarray(actions)[ids], ids)
            obs[ids] = first_obs
            infos = {"final_obs": final, "_final_obs": done.copy()}
        return obs, rew.astype(np.float64), terminated, truncated, infos

    def close_extras(self, **kwargs):
        self._pool = None
