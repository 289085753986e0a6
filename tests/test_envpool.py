"""``vectorization='envpool'``: EnvPool's copies behind the convention of
:mod:`spinup.utils.vector_envs`, checked on EnvPool's own CartPole and Pendulum (skipped where
EnvPool is not installed).

EnvPool's dynamics and random streams are its own, so these tests check the convention, not the
numbers of a Gymnasium run: same-step autoreset with the real last observation in
``info["final_obs"]``, per-copy flags, ``max_ep_len`` as Gymnasium's ``TimeLimit`` applies it,
copy ``i`` seeded with ``seed + i``, the dtypes and spaces of ``'sync'``, and short runs through
the algorithms.

CartPole's cart moves by Euler steps, ``x' = x + TAU * x_dot``: an observation and the one a
step returns after it are of the same episode exactly when this holds, which tells a real last
observation from the first one of the next episode.
"""

import gymnasium as gym
import numpy as np
import pytest
from test_vector_envs import train

from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.vector_envs import final_observations, make_vector_env

pytest.importorskip("envpool")

TAU = 0.02  # CartPole's time step
SEED = 3


def envpool_envs(env_id, num_envs, max_ep_len=None):
    return make_vector_env(EnvFactory(env_id), num_envs, "envpool", max_ep_len)


def same_episode(obs, next_obs):
    """Per row: is ``next_obs`` one CartPole step after ``obs``?"""
    return np.isclose(next_obs[:, 0], obs[:, 0] + TAU * obs[:, 1], atol=1e-5)


def push_right(num_envs):
    """Actions that topple the pole in about ten steps."""
    return np.ones(num_envs, dtype=np.int64)


def test_spaces_dtypes_and_spec_are_those_of_gymnasium():
    for env_id, num_envs in (("CartPole-v1", 2), ("Pendulum-v1", 3), ("HalfCheetah-v5", 2)):
        envs, env = envpool_envs(env_id, num_envs), gym.make(env_id)
        assert envs.single_observation_space == env.observation_space
        assert envs.single_action_space == env.action_space  # EnvPool's MuJoCo actions: float64
        assert envs.spec.id == env_id and envs.spec.max_episode_steps == env.spec.max_episode_steps
        obs, info = envs.reset(seed=SEED)
        assert obs.shape == (num_envs, *env.observation_space.shape)
        assert obs.dtype == env.observation_space.dtype and info == {}
        envs.single_action_space.seed(SEED)
        actions = np.stack([envs.single_action_space.sample() for _ in range(num_envs)])
        obs, rew, terminated, truncated, _ = envs.step(actions)
        assert obs.dtype == env.observation_space.dtype
        assert rew.dtype == np.float64 and rew.shape == (num_envs,)  # EnvPool's: float32
        assert terminated.dtype == truncated.dtype == np.bool_
        envs.close()


def test_same_step_autoreset_returns_the_reset_obs_and_keeps_the_final_one():
    envs = envpool_envs("CartPole-v1", 3)
    obs, _ = envs.reset(seed=SEED)
    ended = 0
    for _ in range(40):
        next_obs, rew, terminated, truncated, info = envs.step(push_right(3))
        done = terminated | truncated
        assert not truncated.any() and (rew == 1.0).all()  # no step is spent on a reset
        real = final_observations(next_obs, info, done)
        assert same_episode(obs, real).all()  # every copy's transition is a real one
        if done.any():
            ended += done.sum()
            np.testing.assert_array_equal(info["_final_obs"], done)
            assert info["final_obs"].dtype == object
            assert all((info["final_obs"][i] is None) != done[i] for i in range(3))
            # The pole fell (|angle| > 12 degrees); the returned row already starts over
            assert (np.abs(real[done, 2]) > 0.2095).all()
            assert (np.abs(next_obs[done]) <= 0.05).all()
            assert not same_episode(obs, next_obs)[done].any()
        else:
            assert info == {}
        obs = next_obs
    assert ended >= 6  # every copy went through a few episodes
    envs.close()


def test_flags_are_per_copy():
    # Copy 0 topples the pole, copy 1 balances it (alternating pushes), copy 2 topples it leftward
    envs = envpool_envs("CartPole-v1", 3, max_ep_len=20)
    envs.reset(seed=SEED)
    ep_len, endings = np.zeros(3, dtype=int), [[], [], []]
    for t in range(60):
        actions = np.array([1, t % 2, 0])
        _, _, terminated, truncated, info = envs.step(actions)
        ep_len += 1
        for i in np.flatnonzero(terminated | truncated):
            endings[i].append(("terminated" if terminated[i] else "truncated", int(ep_len[i])))
            ep_len[i] = 0
        if (terminated | truncated).any():
            np.testing.assert_array_equal(info["_final_obs"], terminated | truncated)
    assert endings[1] == [("truncated", 20)] * 3
    for i in (0, 2):
        assert endings[i] and all(kind == "terminated" and n < 20 for kind, n in endings[i])
    envs.close()


def test_max_ep_len_truncates_and_the_envs_own_limit_stays():
    # Pendulum never terminates: its episodes end only by a time limit
    for max_ep_len, limit in ((7, 7), (None, 200), (1000, 200)):
        envs = envpool_envs("Pendulum-v1", 2, max_ep_len)
        assert envs.spec.max_episode_steps == limit
        obs, _ = envs.reset(seed=SEED)
        for t in range(1, 2 * limit + 1):
            next_obs, _, terminated, truncated, info = envs.step(np.zeros((2, 1), np.float32))
            assert not terminated.any()
            assert truncated.all() == (t % limit == 0) and truncated.all() == truncated.any()
            if truncated.any():
                real = final_observations(next_obs, info, truncated)
                assert not np.allclose(real, next_obs)
        envs.close()


def test_a_termination_on_the_last_step_is_terminated_and_truncated():
    # EnvPool's own time limit would report it as truncated only; Gymnasium's TimeLimit as both
    envs = envpool_envs("CartPole-v1", 1)
    envs.reset(seed=SEED)
    steps = 1
    while not envs.step(push_right(1))[2][0]:
        steps += 1
    envs = envpool_envs("CartPole-v1", 1, max_ep_len=steps)
    envs.reset(seed=SEED)
    for _ in range(steps - 1):
        assert not np.any(envs.step(push_right(1))[2:4])
    _, _, terminated, truncated, info = envs.step(push_right(1))
    assert terminated[0] and truncated[0] and info["_final_obs"][0]
    envs.close()


def test_copy_i_is_seeded_with_seed_plus_i_and_seeds_repeat():
    def episode_starts(num_envs, seed, steps=30):
        envs = envpool_envs("CartPole-v1", num_envs)
        obs, _ = envs.reset(seed=seed)
        starts = [obs]
        for _ in range(steps):
            obs, _, terminated, truncated, _ = envs.step(push_right(num_envs))
            starts.append(np.where((terminated | truncated)[:, None], obs, np.nan))
        envs.close()
        return np.stack(starts, axis=1)  # [copy, step, obs]

    three = episode_starts(3, SEED)
    np.testing.assert_array_equal(three, episode_starts(3, SEED))
    for i in range(3):
        np.testing.assert_array_equal(three[i], episode_starts(1, SEED + i)[0])
    assert not np.allclose(three[0, 0], three[1, 0])

    # A later reset without a seed starts new episodes, not the seeded ones again
    envs = envpool_envs("CartPole-v1", 3)
    first, _ = envs.reset(seed=SEED)
    again, _ = envs.reset()
    assert not np.allclose(first, again)
    np.testing.assert_array_equal(envs.reset(seed=SEED)[0], first)
    envs.close()


def test_what_envpool_cannot_build_is_refused():
    with pytest.raises(UserError, match="env_kwargs"):
        make_vector_env(EnvFactory("CartPole-v1", {"sutton_barto_reward": True}), 2, "envpool")
    with pytest.raises(UserError, match="by name"):
        make_vector_env(lambda: gym.make("CartPole-v1"), 2, "envpool")
    with pytest.raises(UserError, match="EnvPool has no 'Taxi-v4'"):
        make_vector_env(EnvFactory("Taxi-v4"), 2, "envpool")
    with pytest.raises(UserError, match="not Gymnasium's"):
        make_vector_env(EnvFactory("Blackjack-v1"), 2, "envpool")  # another observation space
    with pytest.raises(UserError, match="one seed per copy"):
        envpool_envs("CartPole-v1", 2).reset(seed=2**31 - 1)


@pytest.mark.parametrize("algo, env_id", [("ppo", "CartPole-v1"), ("sac", "Pendulum-v1"),
                                          ("dqn", "CartPole-v1")])
def test_algorithms_run_on_envpool(algo, env_id, tmp_path):
    kw = dict(steps_per_epoch=60, epochs=2, max_ep_len=25, num_envs=2, vectorization="envpool")
    rows = train(algo, EnvFactory(env_id), tmp_path / "a", **kw)
    assert len(rows) == 2  # one per epoch
    assert rows[-1]["TotalEnvInteracts"] == "120"
    assert rows == train(algo, EnvFactory(env_id), tmp_path / "b", **kw)  # seeded: repeats
