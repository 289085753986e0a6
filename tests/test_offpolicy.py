"""Shared off-policy pieces: polyak averaging, freezing, action-bound scaling, space checks, the
replay buffer, environment-state capture, and exact resuming (SAC on Pendulum-v1). The speed
devices underneath (the fused ensemble, acting in NumPy) are pinned in test_speed.py."""

import math
from copy import deepcopy

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn as nn

from spinup.algos.networks import (
    MLPDeterministicActor,
    MLPTwinQFunction,
    bounds_to_affine,
    box_bounds,
    obs_encoder,
)
from spinup.algos.offpolicy import ReplayBuffer, frozen, polyak_update
from spinup.utils import checkpoint, speed
from spinup.utils.errors import UserError


def test_polyak_update_matches_formula():
    torch.manual_seed(0)
    net, targ = nn.Linear(3, 2), nn.Linear(3, 2)
    before = [p.detach().clone() for p in targ.parameters()]
    polyak_update(net, targ, 0.9)
    for p_targ, p_old, p in zip(targ.parameters(), before, net.parameters()):
        torch.testing.assert_close(p_targ, 0.9 * p_old + 0.1 * p.detach())


def test_polyak_update_by_hand():
    net, targ = nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(2.0)
        targ.weight.fill_(1.0)
    polyak_update(net, targ, 0.75)  # 0.75 * 1 + 0.25 * 2
    assert targ.weight.item() == pytest.approx(1.25)


def test_twin_q_function_gives_q1_and_q2():
    torch.manual_seed(0)
    space = gym.spaces.Box(-1, 1, (2, 3))
    q = MLPTwinQFunction(space, 2, (16,), nn.ReLU)
    obs, act = torch.randn(5, 2, 3), torch.randn(5, 2)
    q1, q2 = q(obs, act)
    assert q1.shape == q2.shape == (5,) and not torch.equal(q1, q2)
    torch.testing.assert_close(q.q1(obs, act), q1)
    x = torch.cat([obs.reshape(5, 6), act], dim=-1)  # Q2 by hand from its weights
    l0, l1 = q.q.layers
    h = torch.relu(x @ l0.weight[1] + l0.bias[1])
    torch.testing.assert_close(q2, (h @ l1.weight[1] + l1.bias[1]).squeeze(-1))


def test_actor_numpy_acting_matches_torch():
    torch.manual_seed(0)
    space = gym.spaces.Box(-1, 1, (3,))
    actor = MLPDeterministicActor(space, np.array([-1.0, 0.0], np.float32), np.array([1.0, 4.0], np.float32),
                                  (32, 32), nn.ReLU)
    obs = np.random.default_rng(0).standard_normal(3).astype(np.float32)
    with torch.no_grad():
        expected = actor(torch.as_tensor(obs).reshape(1, 3))[0].numpy()
    np.testing.assert_allclose(actor.act_numpy(obs), expected, rtol=1e-5, atol=1e-6)
    copy = deepcopy(actor)  # its own weights, not views of the original's
    with torch.no_grad():
        copy.pi[0].weight.add_(1.0)
    np.testing.assert_allclose(actor.act_numpy(obs), expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(copy.act_numpy(obs), expected)
    batch = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)  # one row per env copy
    with torch.no_grad():
        expected = actor(torch.as_tensor(batch)).numpy()
    np.testing.assert_allclose(actor.act_numpy(torch.as_tensor(batch)), expected, rtol=1e-5, atol=1e-6)


def test_frozen_blocks_gradients_of_the_module_only():
    q, x = nn.Linear(2, 1), torch.ones(1, 2, requires_grad=True)
    with frozen(q):
        q(x).sum().backward()
    assert q.weight.grad is None and x.grad is not None
    assert all(p.requires_grad for p in q.parameters())


def test_bounds_scaling_per_dimension():
    low, high = np.array([-1.0, 0.0, 2.0], np.float32), np.array([3.0, 1.0, 2.5], np.float32)
    center, half = bounds_to_affine(low, high)
    unit = torch.tensor([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(center + half * unit, torch.tensor([[-1.0, 0.0, 2.0], [3.0, 1.0, 2.5], [1.0, 0.5, 2.25]]))
    actor = MLPDeterministicActor(gym.spaces.Box(-1, 1, (4,)), low, high, (8,), nn.ReLU)
    with torch.no_grad():
        actor.pi[-2].bias.copy_(torch.tensor([100.0, -100.0, 0.0]))  # saturate the tanh
        actor.pi[-2].weight.zero_()
    torch.testing.assert_close(actor(torch.zeros(2, 4)), torch.tensor([[3.0, 0.0, 2.25]] * 2))


def test_space_checks():
    flatten, size = obs_encoder(gym.spaces.Box(-1, 1, (3, 4)))
    assert size == 12 and flatten(torch.zeros(5, 3, 4)).shape == (5, 12)
    with pytest.raises(UserError, match="need a Box observation space"):
        obs_encoder(gym.spaces.Discrete(3))
    with pytest.raises(UserError, match="infinite bounds"):
        box_bounds(gym.spaces.Box(-np.inf, np.inf, (2,)))


def test_replay_buffer_keeps_the_shape_of_observations():
    buf = ReplayBuffer((2, 3), (1,), 10)
    buf.store(np.ones((2, 3)), 0.5, 1.0, np.zeros((2, 3)), False)
    batch = buf.sample_batch(4, np.random.default_rng(0))
    assert batch["obs"].shape == (4, 2, 3) and batch["next_obs"].shape == (4, 2, 3)
    assert batch["act"].shape == (4, 1) and torch.equal(batch["obs"][0], torch.ones(2, 3))


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "CartPole-v1", "HalfCheetah-v5"])
def test_env_state_restores_the_episode_exactly(env_id):
    env = gym.make(env_id)
    env.reset(seed=1)
    env.action_space.seed(1)
    for _ in range(5):
        env.step(env.action_space.sample())
    state, rng_state = checkpoint.env_state(env), checkpoint.env_rng_state(env)
    acts = [env.action_space.sample() for _ in range(10)]
    expected = [env.step(a)[:4] for a in acts]
    other = gym.make(env_id)
    other.reset(seed=123)
    assert checkpoint.set_env_state(other, state)
    checkpoint.set_env_rng_state(other, rng_state)
    for a, (obs, rew, term, trunc) in zip(acts, expected):
        obs2, rew2, term2, trunc2, _ = other.step(a)
        np.testing.assert_array_equal(obs, obs2)
        assert (rew, term, trunc) == (rew2, term2, trunc2)
    assert speed.time_limit_steps(other) == speed.time_limit_steps(env) == 15


def test_env_state_of_an_engine_env_is_none():
    env = gym.make("LunarLander-v3")
    env.reset(seed=0)
    assert checkpoint.env_state(env) is None
    assert checkpoint.set_env_state(env, None) is False


def _rows(path):
    with open(path) as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    keep = [i for i, h in enumerate(header) if h != "Time"]
    return [[line.split("\t")[i] for i in keep] for line in lines[1:]]


def _sac_tiny(epochs, out, **kw):
    from spinup.algos.sac.sac import sac

    sac(lambda: gym.make("Pendulum-v1"), ac_kwargs=dict(hidden_sizes=(16, 16)), seed=3,
        steps_per_epoch=300, epochs=epochs, start_steps=150, update_after=100, update_every=50,
        batch_size=32, num_test_episodes=1, alpha="auto", logger_kwargs=dict(output_dir=str(out)), **kw)


def test_sac_resume_is_exact(tmp_path):
    _sac_tiny(4, tmp_path / "whole")
    _sac_tiny(2, tmp_path / "split", save_buffer=True)
    _sac_tiny(4, tmp_path / "ignored", save_buffer=True, resume=str(tmp_path / "split"))
    whole, split = _rows(tmp_path / "whole" / "progress.txt"), _rows(tmp_path / "split" / "progress.txt")
    assert len(whole) == 4
    assert split == whole


def test_sac_resume_without_buffer_runs(tmp_path):
    _sac_tiny(1, tmp_path / "run")
    _sac_tiny(2, tmp_path / "run", resume=str(tmp_path / "run"))
    rows = _rows(tmp_path / "run" / "progress.txt")
    assert [r[0] for r in rows] == ["1", "2"]
    assert not math.isnan(float(rows[1][1]))
