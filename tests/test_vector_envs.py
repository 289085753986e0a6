"""What ``num_envs`` copies of an environment must mean, pinned on environments whose every
episode end is known in advance.

:class:`Counter` observes ``[copy, episode, t]`` and terminates copy ``c`` at step
``TERM_AT[c]``; a ``TimeLimit`` of ``LIMIT`` steps (the environment's own, or ``max_ep_len``)
truncates the copies that last longer. With ``TERM_AT = (3, 6, 9, 2)`` and ``LIMIT = 6``:

- copy 0 terminates every 3 steps, copy 3 every 2;
- copy 1 terminates at step 6, the step its time limit also falls on (a termination);
- copy 2 would terminate at step 9 but is truncated at step 6;
- at step 6 (and 12) all four copies end at once.

The tests check the vector environment itself (same-step autoreset, ``final_observations``, the
seeds, the lean ``SyncVectorEnv``), the batched NumPy acting, and then short real runs of the
algorithms: what the replay buffer stores, what the on-policy buffer bootstraps from, which
episodes are logged, how many updates are made, and that runs repeat and resume exactly.
"""

import numpy as np
import pytest
import torch
import torch.nn as nn
from gymnasium import Env, make, spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector import SyncVectorEnv as GymnasiumSyncVectorEnv
from gymnasium.wrappers import TimeLimit
from test_resume import rows_without_time

from spinup.algos import get_algo
from spinup.algos.networks import mlp
from spinup.algos.offpolicy import ReplayBuffer
from spinup.algos.onpolicy import GAEBuffer, MLPActorCritic
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger
from spinup.utils.speed import NumpyMLP, SyncVectorEnv, sample_categorical, sample_gaussian
from spinup.utils.vector_envs import EnvCopy, final_observations, make_vector_env

SEED = 7
TERM_AT = (3, 6, 9, 2)
LIMIT = 6

ON_POLICY = ("vpg", "trpo", "ppo")
OFF_POLICY = ("ddpg", "td3", "sac", "dqn")
BOX_ONLY = ("ddpg", "td3")

# The smallest settings that still run every part of each algorithm (policy actions included).
TINY = {
    "vpg": dict(train_v_iters=2),
    "trpo": dict(train_v_iters=2, cg_iters=3, backtrack_iters=3),
    "ppo": dict(train_pi_iters=2, train_v_iters=2),
    **{
        algo: dict(
            replay_size=1000,
            batch_size=8,
            start_steps=8,
            update_after=8,
            update_every=8,
            num_test_episodes=1,
        )
        for algo in OFF_POLICY
    },
}


class Counter(Env):
    """An environment whose episodes are known in advance.

    The observation is ``[copy, episode, t]``: which copy this is, how many episodes it has
    finished, and the step within the episode. The reward is ``copy + 1`` at every step, so an
    episode's return names its copy. Copy ``c`` terminates at step ``term_at[c]`` (modulo the
    length of ``term_at``, for the off-policy test environment).

    A copy learns its index from its first seed: a vector environment resets copy ``i`` with
    ``seed + i``, so with ``seed0`` the run's seed the copies number themselves 0, 1, 2...
    Every seed received is kept in ``seeds``.
    """

    def __init__(self, term_at=TERM_AT, seed0=SEED, discrete=True):
        self.term_at, self.seed0 = tuple(term_at), seed0
        self.observation_space = spaces.Box(0.0, np.inf, (3,), np.float32)
        self.action_space = (
            spaces.Discrete(2) if discrete else spaces.Box(-1.0, 1.0, (1,), np.float32)
        )
        self.copy, self.episode, self.t, self.seeds = -1, -1, 0, []

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.seeds.append(seed)
        if seed is not None:
            self.copy, self.episode = seed - self.seed0, -1
        self.episode += 1
        self.t = 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        terminated = self.t == self.term_at[self.copy % len(self.term_at)]
        return self._obs(), float(self.copy + 1), terminated, False, {}

    def _obs(self):
        return np.array([self.copy, self.episode, self.t], dtype=np.float32)


class CounterFn:
    """Builds a :class:`Counter`, inside a ``TimeLimit`` of ``limit`` steps if given; keeps every
    environment it built in ``made`` (those of this process). A class, so that 'async' can send
    it to its subprocesses."""

    def __init__(self, limit=None, **counter_kwargs):
        self.limit, self.counter_kwargs, self.made = limit, counter_kwargs, []

    def __call__(self):
        env = Counter(**self.counter_kwargs)
        self.made.append(env)
        return env if self.limit is None else TimeLimit(env, self.limit)


def counter_fn(algo, limit=LIMIT):
    """The Counter for ``algo``: Box actions for DDPG and TD3, discrete ones for the others."""
    return CounterFn(limit, discrete=algo not in BOX_ONLY)


def train(algo, env_fn, out, **kwargs):
    """Run ``algo`` with seed SEED and the TINY settings (and ``kwargs``) into ``out``; its
    progress.txt rows, without Time."""
    kwargs = {
        "ac_kwargs": dict(hidden_sizes=(8,)),
        "epochs": 1,
        "seed": SEED,
        **TINY[algo],
        **kwargs,
    }
    get_algo(algo)(env_fn, logger_kwargs=dict(output_dir=str(out), progress=False), **kwargs)
    return rows_without_time(out)


def spy_on(monkeypatch, cls, name, capture):
    """Wrap the method ``cls.name``: each call first appends ``capture(self, *args, **kwargs)``
    to the list returned, then runs as before."""
    calls, original = [], getattr(cls, name)

    def spy(self, *args, **kwargs):
        calls.append(capture(self, *args, **kwargs))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, spy)
    return calls


def record_replay_buffers(monkeypatch):
    """The replay buffers the algorithm makes, to read what they hold after the run."""
    return spy_on(monkeypatch, ReplayBuffer, "__init__", lambda self, *args, **kwargs: self)


def stored(buffer, num_envs):
    """What ``buffer`` holds (it must not have wrapped around), as ``{key: [step, copy, ...]}``."""
    n = buffer.size
    assert n < buffer.max_size and buffer.ptr == n and n % num_envs == 0
    return {
        key: tensor[:n].cpu().numpy().reshape(n // num_envs, num_envs, *tensor.shape[1:])
        for key, tensor in buffer.tensors.items()
    }


def assert_same_transitions(a, b):
    assert a.keys() == b.keys() == set(ReplayBuffer.KEYS)
    for key in ReplayBuffer.KEYS:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# ---------------------------------------------------------------------------------------------
# The vector environment itself


@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_same_step_autoreset_returns_the_reset_obs_and_keeps_the_final_one(vectorization):
    envs = make_vector_env(CounterFn(term_at=(2, 3)), 2, vectorization)
    try:
        obs, _ = envs.reset(seed=SEED)
        np.testing.assert_array_equal(obs, [[0, 0, 0], [1, 0, 0]])

        next_obs, _, terminated, truncated, info = envs.step(np.zeros(2, dtype=np.int64))
        done = terminated | truncated
        assert not done.any()
        assert final_observations(next_obs, info, done) is next_obs  # nothing ended: no copy made

        next_obs, rew, terminated, truncated, info = envs.step(np.zeros(2, dtype=np.int64))
        np.testing.assert_array_equal(terminated, [True, False])
        np.testing.assert_array_equal(truncated, [False, False])
        np.testing.assert_array_equal(rew, [1.0, 2.0])
        # Copy 0 ended and was reset in the same step: its row is the next episode's start...
        np.testing.assert_array_equal(next_obs, [[0, 1, 0], [1, 0, 2]])
        real = final_observations(next_obs, info, terminated | truncated)
        # ...and its real last observation comes from info; copy 1's row is untouched
        np.testing.assert_array_equal(real, [[0, 0, 2], [1, 0, 2]])
        np.testing.assert_array_equal(next_obs, [[0, 1, 0], [1, 0, 2]])  # not written over
        assert real is not next_obs
    finally:
        envs.close()


def test_max_ep_len_truncates_and_the_envs_own_limit_stays():
    envs = make_vector_env(CounterFn(term_at=(10, 10)), 2, "sync", max_ep_len=4)
    envs.reset(seed=SEED)
    for _ in range(3):
        _, _, terminated, truncated, _ = envs.step(np.zeros(2, dtype=np.int64))
        assert not (terminated | truncated).any()
    next_obs, _, terminated, truncated, info = envs.step(np.zeros(2, dtype=np.int64))
    np.testing.assert_array_equal(terminated, [False, False])
    np.testing.assert_array_equal(truncated, [True, True])
    np.testing.assert_array_equal(
        final_observations(next_obs, info, truncated), [[0, 0, 4], [1, 0, 4]]
    )

    # A max_ep_len longer than the environment's own limit adds no wrapper; a shorter one does
    def time_limits(env):
        limits = []
        while hasattr(env, "env"):
            if isinstance(env, TimeLimit):
                limits.append(env.spec.max_episode_steps)
            env = env.env
        return limits

    assert time_limits(EnvCopy(EnvFactory("CartPole-v1"), 1000)()) == [500]
    assert time_limits(EnvCopy(EnvFactory("CartPole-v1"), 50)()) == [50, 500]


@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_copy_i_is_reset_with_seed_plus_i(vectorization):
    env_fn = CounterFn()
    envs = make_vector_env(env_fn, 3, vectorization)
    try:
        obs, _ = envs.reset(seed=SEED)
        np.testing.assert_array_equal(obs[:, 0], [0, 1, 2])  # each copy's index is its seed - SEED
        if vectorization == "sync":
            assert [env.seeds for env in env_fn.made] == [[SEED], [SEED + 1], [SEED + 2]]
    finally:
        envs.close()


@pytest.mark.parametrize("env_id, max_episode_steps", [("CartPole-v1", None), ("Pendulum-v1", 40)])
def test_lean_sync_vector_env_steps_as_gymnasiums(env_id, max_episode_steps):
    def env_fn():
        return make(env_id, max_episode_steps=max_episode_steps)

    lean = SyncVectorEnv([env_fn] * 3)
    reference = GymnasiumSyncVectorEnv([env_fn] * 3, autoreset_mode=AutoresetMode.SAME_STEP)
    np.testing.assert_array_equal(lean.reset(seed=SEED)[0], reference.reset(seed=SEED)[0])
    lean.single_action_space.seed(SEED)
    ended, previous = 0, None
    for _ in range(300):
        act = np.stack([lean.single_action_space.sample() for _ in range(3)])
        got, want = lean.step(act), reference.step(act)
        for a, b in zip(got[:4], want[:4]):  # obs, rew, terminated, truncated
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
        info, info_ref = got[4], want[4]
        assert sorted(info) == sorted(info_ref)
        if "final_obs" in info_ref:
            np.testing.assert_array_equal(info["_final_obs"], info_ref["_final_obs"])
            for i in np.flatnonzero(info_ref["_final_obs"]):
                np.testing.assert_array_equal(info["final_obs"][i], info_ref["final_obs"][i])
            ended += int(info_ref["_final_obs"].sum())
        if previous is not None:  # fresh arrays: the last step's observations are not written over
            np.testing.assert_array_equal(previous[0], previous[1])
        previous = got[0], got[0].copy()
    assert ended >= 3  # the comparison covered episode ends
    lean.close()
    reference.close()


# ---------------------------------------------------------------------------------------------
# Acting on a batch of observations in NumPy


@pytest.mark.parametrize("activation", [nn.Tanh, nn.ReLU])
@pytest.mark.parametrize("n", [1, 5])
def test_numpy_mlp_on_a_batch_agrees_with_torch(activation, n):
    torch.manual_seed(0)
    net = mlp([4, 16, 16, 3], activation)
    x = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    with torch.inference_mode():
        want = net(torch.as_tensor(x)).numpy()
    got = NumpyMLP(net)(x)
    assert got.shape == (n, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if n == 1:  # one row: exactly the one-observation result
        np.testing.assert_array_equal(got[0], NumpyMLP(net)(x[0]))


@pytest.mark.parametrize("n", [1, 5])
def test_sample_gaussian_on_a_batch_gives_torchs_log_probs(n):
    rng = np.random.default_rng(1)
    mu, log_std = rng.standard_normal((n, 2)), np.array([-0.5, 0.3])
    np.random.seed(3)
    act, logp = sample_gaussian(mu, log_std)
    assert act.shape == (n, 2) and act.dtype == np.float32 and logp.shape == (n,)
    dist = torch.distributions.Normal(torch.as_tensor(mu), torch.as_tensor(log_std).exp())
    want = dist.log_prob(torch.as_tensor(act, dtype=torch.float64)).sum(-1).numpy()
    np.testing.assert_allclose(logp, want, rtol=1e-5, atol=1e-5)
    if n == 1:  # one row: exactly the draw and log-density of one observation
        np.random.seed(3)
        one_act, one_logp = sample_gaussian(mu[0], log_std)
        np.testing.assert_array_equal(act[0], one_act)
        assert logp[0] == one_logp


@pytest.mark.parametrize("n", [1, 5])
def test_sample_categorical_on_a_batch_gives_torchs_log_probs(n):
    logits = np.random.default_rng(2).standard_normal((n, 4)).astype(np.float32)
    np.random.seed(4)
    act, logp = sample_categorical(logits)
    assert act.shape == (n,) and act.dtype == np.int64 and logp.shape == (n,)
    want = torch.distributions.Categorical(logits=torch.as_tensor(logits)).log_prob(
        torch.as_tensor(act)
    )
    np.testing.assert_allclose(logp, want.numpy(), rtol=1e-5, atol=1e-6)
    if n == 1:
        np.random.seed(4)
        one_act, one_logp = sample_categorical(logits[0])
        assert act[0] == one_act and logp[0] == one_logp


def test_batched_samples_follow_their_distributions():
    # Many rows of one distribution: the batched draws have its frequencies, mean and spread
    np.random.seed(5)
    logits = np.tile(np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32), (20000, 1))
    act, _ = sample_categorical(logits)
    probs = np.exp(logits[0]) / np.exp(logits[0]).sum()
    np.testing.assert_allclose(np.bincount(act, minlength=4) / len(act), probs, atol=0.015)
    mu, log_std = np.tile([1.0, -2.0], (20000, 1)), np.array([0.0, -1.0])
    act, _ = sample_gaussian(mu, log_std)
    np.testing.assert_allclose(act.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(act.std(0), np.exp(log_std), rtol=0.03)


# ---------------------------------------------------------------------------------------------
# What the algorithms store, bootstrap and log


def check_no_transition_spans_an_episode_end(transitions, num_envs):
    """Every stored transition goes from ``[c, e, t]`` to ``[c, e, t + 1]`` of one copy, and is
    terminal exactly where that copy terminates; the next one stored for the copy starts where
    it arrived, or at the next episode's start."""
    obs, next_obs, terminated = (transitions[k] for k in ("obs", "next_obs", "terminated"))
    np.testing.assert_array_equal(next_obs[..., :2], obs[..., :2])  # same copy, same episode
    np.testing.assert_array_equal(next_obs[..., 2], obs[..., 2] + 1)
    np.testing.assert_array_equal(obs[..., 0], np.broadcast_to(np.arange(num_envs), obs.shape[:2]))
    term_at = np.array(TERM_AT)[obs[..., 0].astype(int)]
    np.testing.assert_array_equal(terminated, next_obs[..., 2] == term_at)  # only real terminations
    assert next_obs[..., 2].max() == LIMIT
    ended = (next_obs[..., 2] == term_at) | (next_obs[..., 2] == LIMIT)
    start_of_next = np.stack([obs[..., 0], obs[..., 1] + 1, 0 * obs[..., 2]], axis=-1)
    np.testing.assert_array_equal(
        obs[1:], np.where(ended[:-1, :, None], start_of_next[:-1], next_obs[:-1])
    )


@pytest.mark.parametrize("algo", OFF_POLICY)
def test_replay_buffer_stores_real_final_obs_and_only_real_terminations(
    algo, tmp_path, monkeypatch
):
    # The same episodes cut off by the environment's own TimeLimit or by max_ep_len
    runs = {}
    for how, env_fn, max_ep_len in [
        ("own", counter_fn(algo), 1000),
        ("max_ep_len", counter_fn(algo, None), LIMIT),
    ]:
        buffers = record_replay_buffers(monkeypatch)
        train(algo, env_fn, tmp_path / how, num_envs=4, steps_per_epoch=48, max_ep_len=max_ep_len)
        monkeypatch.undo()
        runs[how] = transitions = stored(buffers[0], 4)
        assert len(transitions["obs"]) == 12
        check_no_transition_spans_an_episode_end(transitions, 4)
        # Copy 2 is truncated at [2, e, LIMIT]: stored as not terminal
        copy_2 = {k: v[:, 2] for k, v in transitions.items()}
        truncations = copy_2["next_obs"][:, 2] == LIMIT
        assert truncations.sum() == 2 and not copy_2["terminated"][truncations].any()
    assert_same_transitions(runs["own"], runs["max_ep_len"])


def known_value(obs):
    """The value the :class:`KnownValues` actor-critic gives ``[copy, episode, t]``."""
    obs = np.asarray(obs, dtype=np.float64).reshape(-1, 3)
    return 1 + 100 * obs[:, 0] + 10 * obs[:, 1] + obs[:, 2]


class KnownValues(MLPActorCritic):
    """The on-policy actor-critic, whose rollout values V(s) are :func:`known_value`: each
    bootstrap value then names the observation it was computed at."""

    def step(self, obs):
        act, _, logp = super().step(obs)
        return act, known_value(obs.cpu().numpy()), logp


@pytest.mark.parametrize("algo", ON_POLICY)
def test_on_policy_bootstraps_from_the_real_final_obs_and_never_after_termination(
    algo, tmp_path, monkeypatch
):
    finished = spy_on(
        monkeypatch,
        GAEBuffer,
        "finish_path",
        lambda self, last_val=0.0, copy=0: (copy, float(last_val)),
    )
    # 8 steps per copy: the epoch cuts copies 0, 1 and 2 off after step 8; copy 3 terminates there
    train(
        algo, counter_fn(algo), tmp_path, actor_critic=KnownValues, num_envs=4, steps_per_epoch=32
    )

    def v(copy, episode, t):
        return float(known_value([copy, episode, t])[0])

    expected = {
        0: [0.0, 0.0, v(0, 2, 2)],  # terminated at 3 and 6; cut off by the epoch at [0, 2, 2]
        1: [0.0, v(1, 1, 2)],  # terminated at 6 (its time limit too: a termination wins)
        2: [v(2, 0, 6), v(2, 1, 2)],  # truncated at 6: V of its real last observation
        3: [0.0, 0.0, 0.0, 0.0],  # terminated at 2, 4, 6 and 8 (the epoch's last step)
    }
    got = {c: [val for copy, val in finished if copy == c] for c in range(4)}
    assert got == expected


def record_episodes(monkeypatch):
    """``(EpRet, EpLen)`` of every episode the algorithm logs."""
    stores = spy_on(monkeypatch, EpochLogger, "store", lambda self, **kwargs: kwargs)

    def episodes():
        return sorted((float(s["EpRet"]), int(s["EpLen"])) for s in stores if "EpRet" in s)

    return episodes


@pytest.mark.parametrize("algo", ON_POLICY + OFF_POLICY)
def test_every_finished_episode_of_every_copy_is_logged(algo, tmp_path, monkeypatch):
    episodes = record_episodes(monkeypatch)
    rows = train(algo, counter_fn(algo), tmp_path, num_envs=4, steps_per_epoch=48)
    # 12 steps per copy; all four copies end together at steps 6 and 12
    want = [(3.0, 3)] * 4 + [(12.0, 6)] * 2 + [(18.0, 6)] * 2 + [(8.0, 2)] * 6
    assert episodes() == sorted(want)
    (row,) = rows
    assert float(row["EpLen"]) == pytest.approx(48 / 14)
    assert row["TotalEnvInteracts"] == "48"


@pytest.mark.parametrize("algo", OFF_POLICY)
def test_updates_per_env_step_do_not_depend_on_num_envs(algo, tmp_path, monkeypatch):
    # update_every=6 is no multiple of num_envs=4; 80 steps in 2 epochs, updates from step 10
    updates, rows = {}, {}
    for num_envs in (1, 4):
        sampled = spy_on(monkeypatch, ReplayBuffer, "sample_batch", lambda self, *args: None)
        rows[num_envs] = train(
            algo,
            counter_fn(algo),
            tmp_path / str(num_envs),
            num_envs=num_envs,
            epochs=2,
            steps_per_epoch=40,
            update_after=10,
            update_every=6,
        )
        monkeypatch.undo()
        updates[num_envs] = len(sampled)
    assert updates[1] == updates[4] == 6 * len(range(12, 80, 6))
    for num_envs in (1, 4):  # steps summed over the copies
        assert [r["TotalEnvInteracts"] for r in rows[num_envs]] == ["40", "80"]


def test_dqn_gradient_steps_sets_the_updates_per_burst(tmp_path, monkeypatch):
    # gradient_steps=1 with update_every=6: one gradient step every 6 env steps (default: 6 of them)
    sampled = spy_on(monkeypatch, ReplayBuffer, "sample_batch", lambda self, *args: None)
    train("dqn", counter_fn("dqn"), tmp_path, num_envs=4, epochs=2, steps_per_epoch=40, update_after=10,
          update_every=6, gradient_steps=1)
    assert len(sampled) == len(range(12, 80, 6))


# ---------------------------------------------------------------------------------------------
# Seeds, repeatability, backends


@pytest.mark.parametrize("algo, env_id", [("sac", "Pendulum-v1"), ("dqn", "CartPole-v1")])
def test_each_copy_plays_the_episodes_of_one_env_seeded_seed_plus_i(
    algo, env_id, tmp_path, monkeypatch
):
    max_ep_len = 20
    for num_envs in (1, 3):
        buffers = record_replay_buffers(monkeypatch)
        train(
            algo,
            EnvFactory(env_id),
            tmp_path / str(num_envs),
            num_envs=num_envs,
            steps_per_epoch=30 * num_envs,
            max_ep_len=max_ep_len,
        )
        monkeypatch.undo()
        transitions, ended = stored(buffers[0], num_envs), 0
        for i in range(num_envs):
            env = make(env_id, max_episode_steps=max_ep_len)
            obs, _ = env.reset(seed=SEED + i)
            for step in range(30):
                got = {key: values[step, i] for key, values in transitions.items()}
                np.testing.assert_array_equal(got["obs"], obs)
                next_obs, rew, terminated, truncated, _ = env.step(got["act"])
                np.testing.assert_array_equal(got["next_obs"], next_obs)
                assert got["rew"] == np.float32(rew) and got["terminated"] == terminated
                obs = next_obs
                if terminated or truncated:
                    obs, _ = env.reset()
                    ended += 1
        assert ended >= num_envs  # every copy's stream went through a reset


@pytest.mark.parametrize("algo, env_id", [("ppo", "CartPole-v1"), ("sac", "Pendulum-v1")])
def test_same_seed_same_run_and_num_envs_1_is_the_default(algo, env_id, tmp_path):
    kw = dict(steps_per_epoch=60, epochs=2, max_ep_len=25)
    default = train(algo, EnvFactory(env_id), tmp_path / "default", **kw)
    one = train(algo, EnvFactory(env_id), tmp_path / "one", num_envs=1, **kw)
    assert one == default
    three = train(algo, EnvFactory(env_id), tmp_path / "three", num_envs=3, **kw)
    again = train(algo, EnvFactory(env_id), tmp_path / "again", num_envs=3, **kw)
    assert three == again
    assert three != default  # the comparisons above could tell runs apart


@pytest.mark.parametrize("algo, env_id", [("ppo", "CartPole-v1"), ("sac", "Pendulum-v1")])
def test_async_gives_the_transitions_of_sync(algo, env_id, tmp_path, monkeypatch):
    runs = {}
    for vectorization in ("sync", "async"):
        buffers = record_replay_buffers(monkeypatch)
        rows = train(
            algo,
            EnvFactory(env_id),
            tmp_path / vectorization,
            num_envs=2,
            steps_per_epoch=100,
            max_ep_len=25,
            vectorization=vectorization,
        )
        monkeypatch.undo()
        runs[vectorization] = rows, [stored(b, 2) for b in buffers]
    assert runs["async"][0] == runs["sync"][0]
    # The off-policy algorithm's buffer (none for PPO)
    for a, b in zip(runs["async"][1], runs["sync"][1], strict=True):
        assert_same_transitions(a, b)


# ---------------------------------------------------------------------------------------------
# Resuming a run of several copies


@pytest.mark.parametrize(
    "algo, env_id, kwargs",
    [
        ("ppo", "CartPole-v1", dict(steps_per_epoch=150, max_ep_len=40)),
        (
            "sac",
            "Pendulum-v1",
            dict(
                steps_per_epoch=60,
                max_ep_len=25,
                start_steps=30,
                update_after=30,
                update_every=15,
                batch_size=16,
                save_buffer=True,
            ),
        ),
    ],
)
def test_three_copies_stopped_and_resumed_match_an_uninterrupted_run(
    algo, env_id, kwargs, tmp_path
):
    kwargs = dict(kwargs, num_envs=3)
    reference = train(algo, EnvFactory(env_id), tmp_path / "reference", epochs=3, **kwargs)
    out = tmp_path / "run"
    assert len(train(algo, EnvFactory(env_id), out, epochs=1, **kwargs)) == 1
    resumed = train(algo, EnvFactory(env_id), out, epochs=3, resume=str(out), **kwargs)
    assert resumed == reference

    # Another number of copies is refused, naming the flag, before anything is written
    before = {name: (out / name).read_bytes() for name in ("progress.txt", "resume.pt")}
    with pytest.raises(UserError, match="--num_envs 3") as refused:
        train(algo, EnvFactory(env_id), out, epochs=4, resume=str(out), **dict(kwargs, num_envs=2))
    assert "num_envs=2" in str(refused.value) and "\n" not in str(refused.value)
    assert {name: (out / name).read_bytes() for name in before} == before
