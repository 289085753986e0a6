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

import warnings

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.wrappers import TimeLimit

from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.speed import SyncVectorEnv

VECTORIZATIONS = ("sync", "async", "envpool")


class EnvCopy:
    """Builds one training copy: ``env_fn()`` (for an Atari game, its training version), with ``max_ep_len`` as a ``TimeLimit`` where it is shorter
    than the environment's own limit. A class rather than a closure, so that ``'async'`` can send
    it to a subprocess."""

    def __init__(self, env_fn, max_ep_len: int | None = None):
        self.env_fn, self.max_ep_len = env_fn, max_ep_len

    def __call__(self) -> gym.Env:
        if isinstance(self.env_fn, EnvFactory) and self.env_fn.is_atari:
            # An Atari game is trained on lives with clipped rewards (spinup.utils.atari); max_ep_len
            # limits the whole game, beneath the lives, so that a cut-off game is logged as one
            limit = {} if self.max_ep_len is None else {"max_episode_steps": self.max_ep_len}
            return self.env_fn(training=True, **limit)
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


def log_finished_episode(logger, i: int, ep_ret: float, ep_len: int, info: dict) -> bool:
    """Store ``EpRet`` and ``EpLen`` for copy ``i``, whose episode just ended: the return and length
    the loop counted. For a copy of an Atari game trained on lives with clipped rewards
    (:mod:`spinup.utils.atari`), the loop's episode is one life and its return is clipped: what
    is stored instead is the real score and length of the whole game, when the game is over, and
    nothing when only a life was lost. Returns whether something was stored."""
    final = info.get("final_info")
    if final is not None and "game_over" in final and final["_game_over"][i]:
        if not final["game_over"][i]:
            return False
        ep_ret, ep_len = final["game_score"][i], final["game_length"][i]
    logger.store(EpRet=ep_ret, EpLen=ep_len)
    return True


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

    What EnvPool does by itself (envpool 1.2, measured): it resets a copy on the step *after* its
    episode ended (that step ignores the action and returns the first observation, reward 0 and
    both flags False); it reports a time limit reached on the step where the episode also
    terminated as truncated only, not terminated; its rewards are float32 and its MuJoCo action
    spaces float64. Here, instead:

    - the copies that ended are reset at once (``reset(env_ids)``, one call for all of them), their
      first observations returned and their real last ones put in ``info["final_obs"]``;
    - the time limit is counted here, from EnvPool's ``elapsed_step`` (EnvPool's own is set out of
      reach), so ``terminated`` and ``truncated`` can both be True, as with ``TimeLimit``;
    - rewards are float64, observations of the single observation space's dtype, and the single
      spaces are those of ``gym.make(env_name)`` (EnvPool's are only checked to agree in shape,
      and its action bounds to match).

    The physics and the random streams are EnvPool's, not Gymnasium's: the same seed gives other
    episodes than ``'sync'``, and rewards are computed in float32. No ``info`` from EnvPool is
    passed on (only ``final_obs``). Copy ``i`` is seeded with ``seed + i``.

    Only environments that both Gymnasium and EnvPool implement can be made (classic control,
    Box2D, MuJoCo ``-v4``/``-v5``, toy text...: ``envpool.list_all_envs()``), by name, without
    ``env_kwargs``.
    """

    def __init__(self, env_fn, num_envs: int, max_ep_len: int | None = None):
        try:
            import envpool
        except ImportError:
            raise UserError("vectorization='envpool' needs EnvPool: pip install envpool (Linux "
                            "only), or use vectorization 'sync' or 'async'.") from None
        env_name = getattr(env_fn, "env_name", None)
        if env_name is None:
            raise UserError("vectorization='envpool' needs an environment given by name (--env "
                            "NAME); a custom env_fn cannot be built by EnvPool. Use 'sync' or 'async'.")
        if getattr(env_fn, "env_kwargs", None) or getattr(env_fn, "env_pkg", None) or ":" in env_name:
            raise UserError(f"vectorization='envpool' builds EnvPool's own '{env_name}' and cannot "
                            "pass it env_kwargs or a package's environment (EnvPool has its own "
                            "parameters and implementations). Drop them, or use vectorization "
                            "'sync' or 'async'.")
        if env_name not in envpool.list_all_envs():
            raise UserError(f"EnvPool has no '{env_name}' (envpool.list_all_envs() lists what it "
                            "has: classic control, Box2D, MuJoCo -v4/-v5, ...). Use vectorization "
                            "'sync' or 'async'.")
        self._envpool, self._env_id, self.num_envs = envpool, env_name, num_envs
        # One copy as 'sync' would build it: its spaces and spec (time limit included) are the run's
        probe = EnvCopy(env_fn, max_ep_len)()
        self.single_observation_space = probe.observation_space
        self.single_action_space = probe.action_space
        self.spec = probe.spec
        probe.close()
        self._limit = self.spec.max_episode_steps if self.spec is not None else None
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, num_envs)
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}
        self._check_spaces()
        self._pool = None  # made by the first reset, with its seeds

    def _new_pool(self, seed):
        if np.isscalar(seed):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = [int(s) for s in seed]
        if len(seeds) != self.num_envs or not all(0 <= s < 2**31 for s in seeds):
            raise UserError(f"EnvPool needs one seed per copy in [0, 2**31) (copy i gets seed + i); "
                            f"got {seed!r} for {self.num_envs} copies.")
        # EnvPool's own time limit never fires: the one of this run is counted in step()
        pool = self._envpool.make(self._env_id, env_type="gymnasium", num_envs=self.num_envs,
                                  seed=seeds, max_episode_steps=np.iinfo(np.int32).max)
        # EnvPool builds its spaces (float32 Boxes from float64 bounds, which Gymnasium warns
        # about) at its first reset; built here, quietly, once per pool
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pool.observation_space, pool.action_space  # noqa: B018
        return pool

    def _check_spaces(self) -> None:
        """Refuse an EnvPool environment whose spaces differ from Gymnasium's in more than dtypes
        and observation bounds (an Atari id, for example, is preprocessed by EnvPool)."""
        def same(ours, theirs, bounds: bool) -> bool:
            if isinstance(ours, gym.spaces.Box) and isinstance(theirs, gym.spaces.Box):
                return ours.shape == theirs.shape and (not bounds or (
                    np.allclose(ours.low, theirs.low) and np.allclose(ours.high, theirs.high)))
            if isinstance(ours, gym.spaces.Discrete) and isinstance(theirs, gym.spaces.Discrete):
                return ours.n == theirs.n and ours.start == theirs.start
            return ours == theirs
        with warnings.catch_warnings():  # see _new_pool
            warnings.simplefilter("ignore")
            spec = self._envpool.make_spec(self._env_id)  # builds no environment
            obs_space, act_space = spec.gymnasium_observation_space, spec.gymnasium_action_space
        if not (same(self.single_observation_space, obs_space, bounds=False)
                and same(self.single_action_space, act_space, bounds=True)):
            raise UserError(
                f"EnvPool's '{self._env_id}' is not Gymnasium's: observations {obs_space} "
                f"and actions {act_space} against {self.single_observation_space} and "
                f"{self.single_action_space}. Use vectorization 'sync' or 'async'.")

    def reset(self, *, seed=None, options=None):
        if options is not None:
            raise UserError(f"vectorization='envpool' takes no reset options; got {options!r}.")
        if seed is None and self._pool is None:  # unseeded, like a Gymnasium environment
            seed = int(np.random.default_rng().integers(2**31 - self.num_envs))
        if seed is not None:  # EnvPool seeds its copies when the pool is made
            self.close_extras()
            self._pool = self._new_pool(seed)
        obs, _ = self._pool.reset()
        return obs.astype(self.single_observation_space.dtype), {}

    def step(self, actions):
        if self._pool is None:
            raise UserError("Call reset() before step() on vectorization='envpool'.")
        # In sync mode EnvPool returns row i for the i-th copy stepped (here: copy i)
        obs, rew, terminated, truncated, info = self._pool.step(np.asarray(actions))
        obs = obs.astype(self.single_observation_space.dtype)  # a fresh array, changed below
        if self._limit is not None:  # TimeLimit's rule: truncated whether or not also terminated
            truncated = truncated | (info["elapsed_step"] >= self._limit)
        done = terminated | truncated
        infos: dict = {}
        if done.any():
            ended = np.flatnonzero(done)
            final = np.full(self.num_envs, None, dtype=object)
            for i in ended:
                final[i] = obs[i].copy()
            first_obs, _ = self._pool.reset(ended.astype(np.int32))  # rows in the order of `ended`
            obs[ended] = first_obs
            infos = {"final_obs": final, "_final_obs": done}
        return obs, rew.astype(np.float64), terminated, truncated, infos

    def close_extras(self, **kwargs):
        if self._pool is not None:
            self._pool.close()
            self._pool = None
