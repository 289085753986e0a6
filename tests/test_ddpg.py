"""DDPG: its target on hand-computed numbers, space handling, and learning Pendulum-v1."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from learning_cases import CASES, check

from spinup.algos.ddpg.core import ddpg_target
from spinup.algos.ddpg.ddpg import ddpg
from spinup.utils.errors import UserError


def progress(path):
    with open(path / "progress.txt") as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, map(float, line.split("\t")))) for line in lines[1:]]


class ActionRecorder(gym.Wrapper):
    """Records every action passed to the environment."""

    def __init__(self, env, actions):
        super().__init__(env)
        self.actions = actions

    def step(self, action):
        self.actions.append(np.array(action, dtype=np.float64))
        return self.env.step(action)


def odd_pendulum(actions):
    """Pendulum with observations of shape (3, 1) and actions in the asymmetric range [0, 4]."""
    env = gym.make("Pendulum-v1")
    env = gym.wrappers.ReshapeObservation(env, (3, 1))
    env = gym.wrappers.RescaleAction(env, np.array([0.0], np.float32), np.array([4.0], np.float32))
    return ActionRecorder(env, actions)


def test_ddpg_target_by_hand():
    rew, terminated = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])
    next_obs = torch.tensor([[1.0], [3.0]])
    pi_targ = lambda o: 2 * o  # noqa: E731
    q_targ = lambda o, a: (o + a).sum(-1)  # noqa: E731  Q = [1 + 2, 3 + 6]
    y = ddpg_target(rew, next_obs, terminated, pi_targ, q_targ, gamma=0.9)
    torch.testing.assert_close(y, torch.tensor([1 + 0.9 * 3.0, 2.0]))


def test_ddpg_refuses_discrete_actions(tmp_path):
    with pytest.raises(UserError, match="dqn"):
        ddpg(lambda: gym.make("CartPole-v1"), logger_kwargs=dict(output_dir=str(tmp_path)))


def test_ddpg_odd_spaces(tmp_path):
    actions = []
    ddpg(lambda: odd_pendulum(actions), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=200, epochs=1,
         start_steps=100, update_after=50, update_every=25, num_test_episodes=1,
         logger_kwargs=dict(output_dir=str(tmp_path)))
    acts = np.concatenate(actions)
    assert acts.min() >= 0.0 and acts.max() <= 4.0
    assert acts[100:200].std() > 0.01  # policy actions with noise, inside the asymmetric bounds


@pytest.mark.slow
def test_ddpg_learns_pendulum(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["ddpg_pendulum"], tmp_path)
