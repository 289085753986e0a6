"""TD3: its smoothed, clipped double-Q target on hand-computed numbers, space handling, and
learning Pendulum-v1."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from learning_cases import CASES, check
from test_ddpg import odd_pendulum

from spinup.algos.td3.core import td3_target
from spinup.algos.td3.td3 import td3
from spinup.utils.errors import UserError


def test_td3_target_by_hand():
    rew, terminated = torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.0])
    next_obs = torch.zeros(2, 1)
    pi_targ = lambda o: torch.tensor([[0.9], [0.1]])  # noqa: E731
    q_targ = lambda o, a: torch.stack([10 * a.sum(-1), 10 * a.sum(-1) + 1])  # noqa: E731  min = Q1
    noise = torch.tensor([[1.0], [-3.0]])
    # smoothing: 0.2 * [1, -3] = [0.2, -0.6], clipped to ±0.5 -> [0.2, -0.5];
    # a' = clip([1.1, -0.4], -1, 1) = [1.0, -0.4]; min Q = [10, -4]; y = 1 + 0.5 * min Q
    y = td3_target(rew, next_obs, terminated, pi_targ, q_targ, 0.5, 0.2, 0.5,
                   torch.tensor([-1.0]), torch.tensor([1.0]), noise=noise)
    torch.testing.assert_close(y, torch.tensor([6.0, -1.0]))


def test_td3_target_asymmetric_bounds_and_termination():
    # Bounds [0, 4]: half range 2, so the noise (fractions of it) doubles: [0.4, -1.0] -> a' = [3.4, 0.0]
    rew, terminated = torch.tensor([0.0, 0.0]), torch.tensor([0.0, 1.0])
    pi_targ = lambda o: torch.tensor([[3.0], [0.5]])  # noqa: E731
    q_targ = lambda o, a: torch.stack([a.sum(-1), a.sum(-1) + 2])  # noqa: E731
    y = td3_target(rew, torch.zeros(2, 1), terminated, pi_targ, q_targ, 1.0, 0.2, 0.5,
                   torch.tensor([0.0]), torch.tensor([4.0]), noise=torch.tensor([[1.0], [-3.0]]))
    torch.testing.assert_close(y, torch.tensor([3.4, 0.0]))


def test_td3_refuses_discrete_actions(tmp_path):
    with pytest.raises(UserError, match="sac"):
        td3(lambda: gym.make("CartPole-v1"), logger_kwargs=dict(output_dir=str(tmp_path)))


def test_td3_odd_spaces(tmp_path):
    actions = []
    td3(lambda: odd_pendulum(actions), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=200, epochs=1,
        start_steps=100, update_after=50, update_every=25, num_test_episodes=1,
        logger_kwargs=dict(output_dir=str(tmp_path)))
    acts = np.concatenate(actions)
    assert acts.min() >= 0.0 and acts.max() <= 4.0


@pytest.mark.slow
def test_td3_learns_pendulum(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["td3_pendulum"], tmp_path)
