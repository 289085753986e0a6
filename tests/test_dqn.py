"""DQN: the (Double) DQN targets and ε schedule on hand-computed numbers, the action-space check,
the saved model, exact resume, and learning CartPole-v1."""

import os

import gymnasium as gym
import numpy as np
import pytest
import torch
from learning_cases import CASES, check

from spinup.algos import offpolicy
from spinup.algos.dqn import core
from spinup.algos.dqn.dqn import dqn
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError


def _progress(folder):
    with open(os.path.join(folder, "progress.txt")) as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


# -- the maths --------------------------------------------------------------------------------

REW = torch.tensor([1.0, 2.0, 0.5])
TERMINATED = torch.tensor([0.0, 1.0, 0.0])
NEXT_Q_TARG = torch.tensor([[1.0, 3.0], [5.0, 2.0], [-1.0, -2.0]])


def test_dqn_target():
    # y = r + γ(1−d) max_a' Q_targ(s', a'), γ = 0.9; the terminated row keeps r only.
    y = core.dqn_target(REW, TERMINATED, NEXT_Q_TARG, 0.9)
    torch.testing.assert_close(y, torch.tensor([1.0 + 0.9 * 3.0, 2.0, 0.5 + 0.9 * -1.0]))


def test_double_dqn_target():
    # The online network picks actions 0, 1, 1; the target network's values there are 1, 2, −2.
    next_q = torch.tensor([[2.0, 1.0], [0.0, 1.0], [0.0, 5.0]])
    y = core.double_dqn_target(REW, TERMINATED, next_q, NEXT_Q_TARG, 0.9)
    torch.testing.assert_close(y, torch.tensor([1.0 + 0.9 * 1.0, 2.0, 0.5 + 0.9 * -2.0]))


def test_epsilon_schedule():
    assert core.epsilon_schedule(0, 1.0, 0.05, 100) == 1.0
    assert core.epsilon_schedule(50, 1.0, 0.05, 100) == pytest.approx(0.525)
    assert core.epsilon_schedule(100, 1.0, 0.05, 100) == pytest.approx(0.05)
    assert core.epsilon_schedule(10_000, 1.0, 0.05, 100) == pytest.approx(0.05)
    assert core.epsilon_schedule(5, 1.0, 0.1, 0) == 0.1


def test_q_network_flattens_and_acts_greedily():
    obs_space = gym.spaces.Box(-1.0, 1.0, shape=(2, 3))
    q_net = core.MLPQNetwork(obs_space, gym.spaces.Discrete(4, start=1), hidden_sizes=(8,))
    obs = torch.as_tensor(obs_space.sample())
    q = q_net(obs.unsqueeze(0))
    assert q.shape == (1, 4)
    assert q_net.act(obs) == int(q.argmax()) + 1
    assert q_net.act(obs, deterministic=True) == q_net.act(obs)


# -- the interface ----------------------------------------------------------------------------

def test_box_actions_are_refused(tmp_path):
    with pytest.raises(UserError, match="sac"):
        dqn(EnvFactory("Pendulum-v1"), epochs=1, logger_kwargs=dict(output_dir=str(tmp_path / "run")))


TINY = dict(steps_per_epoch=300, start_steps=100, update_after=100, update_every=2,
            target_update_every=50, batch_size=16, eps_decay_steps=500, num_test_episodes=2,
            ac_kwargs=dict(hidden_sizes=(16,)), seed=3)


def test_saved_model_acts(tmp_path):
    out = str(tmp_path / "run")
    dqn(EnvFactory("CartPole-v1"), epochs=1, double=True, logger_kwargs=dict(output_dir=out), **TINY)
    weights = torch.load(os.path.join(out, "pyt_save", "model.pt"), weights_only=True)
    env = gym.make("CartPole-v1")
    q_net = core.MLPQNetwork(env.observation_space, env.action_space, hidden_sizes=(16,))
    q_net.load_state_dict(weights)
    obs, _ = env.reset(seed=0)
    assert env.action_space.contains(q_net.act(torch.as_tensor(obs, dtype=torch.float32)))
    row = _progress(out)[0]
    assert row["TotalEnvInteracts"] == "300"
    assert np.isfinite(float(row["LossQ"]))


def test_resume_matches_uninterrupted_run(tmp_path):
    whole, part = str(tmp_path / "whole"), str(tmp_path / "part")
    dqn(EnvFactory("CartPole-v1"), epochs=4, save_buffer=True, logger_kwargs=dict(output_dir=whole), **TINY)
    dqn(EnvFactory("CartPole-v1"), epochs=2, save_buffer=True, logger_kwargs=dict(output_dir=part), **TINY)
    dqn(EnvFactory("CartPole-v1"), epochs=4, save_buffer=True, resume=part, **TINY)
    rows_whole, rows_part = _progress(whole), _progress(part)
    assert len(rows_whole) == len(rows_part) == 4
    for a, b in zip(rows_whole, rows_part):
        a.pop("Time"), b.pop("Time")
        assert a == b


# -- learning ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_dqn_learns_cartpole(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["dqn_cartpole"], tmp_path)


@pytest.mark.slow
def test_dqn_learns_pixels(tmp_path, monkeypatch):
    # A Nature CNN on stacks of 2 pictures (tests/image_envs.py), whose transitions go through the
    # FrameReplayBuffer; calibrated like the others.
    import spinup.algos.dqn.dqn as dqn_module
    from spinup.algos.frame_buffer import FrameReplayBuffer

    made = []

    def make_replay_buffer(*args, **kwargs):  # the real one, watched
        made.append(offpolicy.make_replay_buffer(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(dqn_module, "make_replay_buffer", make_replay_buffer)
    check(CASES["dqn_pixels"], tmp_path)
    assert [type(b) for b in made] == [FrameReplayBuffer]
