"""PPO end to end: it learns CartPole, handles Box and Discrete actions and observations of any
shape, writes the expected outputs, and bootstraps only truncated trajectories."""

import json

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from learning_cases import CASES, check

from spinup.algos.ppo.ppo import ppo

PPO_COLUMNS = ["Epoch", "AverageEpRet", "StdEpRet", "MaxEpRet", "MinEpRet", "EpLen", "AverageVVals",
               "StdVVals", "MaxVVals", "MinVVals", "TotalEnvInteracts", "LossPi", "LossV",
               "DeltaLossPi", "DeltaLossV", "Entropy", "KL", "ClipFrac", "StopIter", "Time"]


def run(tmp_path, env_fn, name="run", **kwargs):
    out = tmp_path / name
    ppo(env_fn, logger_kwargs=dict(output_dir=str(out), exp_name=name), **kwargs)
    return out, pd.read_table(out / "progress.txt")


@pytest.mark.slow
def test_ppo_learns_cartpole(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["ppo_cartpole"], tmp_path)


@pytest.mark.slow
def test_ppo_learns_cartpole_with_4_envs(tmp_path):
    # Four copies of the environment, the same 4000 steps per epoch; calibrated like the others.
    check(CASES["ppo_cartpole_4envs"], tmp_path)


@pytest.mark.slow
def test_ppo_learns_pixels(tmp_path):
    # A Nature CNN on single (H, W) pictures (tests/image_envs.py); calibrated like the others.
    check(CASES["ppo_pixels"], tmp_path)


def test_outputs_and_columns(tmp_path):
    out, progress = run(tmp_path, lambda: gym.make("CartPole-v1"), seed=1, steps_per_epoch=300,
                         epochs=2, train_pi_iters=2, train_v_iters=2, save_freq=1)
    assert list(progress.columns) == PPO_COLUMNS
    assert list(progress["TotalEnvInteracts"]) == [300, 600]
    config = json.load(open(out / "config.json"))
    assert config["steps_per_epoch"] == 300 and config["exp_name"] == "run"
    assert "logger" not in config and "env" not in config
    meta = json.load(open(out / "pyt_save" / "model.json"))
    assert meta["class"] == "spinup.algos.onpolicy.MLPActorCritic"
    assert meta["env"]["id"] == "CartPole-v1"
    weights = torch.load(out / "pyt_save" / "model.pt", weights_only=True)
    assert "pi.logits_net.1.0.weight" in weights
    assert (out / "resume.pt").exists()


def test_box_actions_and_2d_observations(tmp_path):
    def env_fn():
        return gym.wrappers.ReshapeObservation(gym.make("Pendulum-v1"), (3, 1))

    _, progress = run(tmp_path, env_fn, steps_per_epoch=250, epochs=2, train_pi_iters=2,
                      train_v_iters=2, ac_kwargs=dict(hidden_sizes=(16,)))
    assert len(progress) == 2
    # Pendulum never terminates: every episode is truncated at 200 steps.
    assert progress["EpLen"].iloc[0] == 200


def test_several_copies_carry_their_episodes_over_to_the_next_epoch(tmp_path):
    # Two copies of Pendulum (200-step episodes) with 100 steps each per epoch: no episode ends in
    # epoch 0, and both end in epoch 1 after 200 steps, played across the epoch boundary. (One
    # copy would start new episodes at every epoch, as the original did, and never finish one.)
    _, progress = run(tmp_path, lambda: gym.make("Pendulum-v1"), steps_per_epoch=200, epochs=2, num_envs=2,
                      train_pi_iters=1, train_v_iters=1, ac_kwargs=dict(hidden_sizes=(8,)))
    assert np.isnan(progress["EpLen"].iloc[0])
    assert progress["EpLen"].iloc[1] == 200
    assert list(progress["TotalEnvInteracts"]) == [200, 400]


def test_same_seed_same_run(tmp_path):
    kw = dict(steps_per_epoch=200, epochs=2, train_pi_iters=3, train_v_iters=3, seed=7)
    _, a = run(tmp_path, lambda: gym.make("CartPole-v1"), name="a", **kw)
    _, b = run(tmp_path, lambda: gym.make("CartPole-v1"), name="b", **kw)
    pd.testing.assert_frame_equal(a.drop(columns="Time"), b.drop(columns="Time"))


class Countdown(gym.Env):
    """Terminates after exactly ``n`` steps with reward 1 per step; the observation is the step."""

    observation_space = gym.spaces.Box(0.0, 10.0, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, n=5):
        self.n = n

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0], np.float32), {}

    def step(self, action):
        self.t += 1
        return np.array([self.t], np.float32), 1.0, self.t == self.n, False, {}


def test_termination_on_last_step_of_epoch_is_not_bootstrapped(tmp_path):
    # The episode terminates exactly on the epoch's last step. The value targets must be the
    # plain returns 5, 4, 3, 2, 1 (gamma=1): the original bootstrapped V(s_T) here.
    import spinup.algos.onpolicy as onpolicy

    seen = []
    original = onpolicy.GAEBuffer.finish_path

    def spy(self, last_val=0.0, copy=0):
        seen.append(last_val)
        original(self, last_val, copy)

    onpolicy.GAEBuffer.finish_path = spy
    try:
        run(tmp_path, lambda: Countdown(5), steps_per_epoch=5, epochs=1, gamma=1.0, lam=1.0,
            train_pi_iters=1, train_v_iters=1)
    finally:
        onpolicy.GAEBuffer.finish_path = original
    assert seen == [0.0]


@pytest.mark.parametrize("algo", ["ppo", "vpg", "trpo"])
def test_no_value_updates_is_allowed(tmp_path, algo):
    # exercise 2.1 runs TRPO with train_v_iters=0; the on-policy siblings accept it too
    import spinup

    getattr(spinup, algo)(lambda: gym.make("CartPole-v1"), steps_per_epoch=200, epochs=1, train_v_iters=0,
                          logger_kwargs=dict(output_dir=str(tmp_path / algo)))
    assert pd.read_table(tmp_path / algo / "progress.txt")["DeltaLossV"].iloc[0] == 0


@pytest.mark.parametrize("algo", ["ppo", "vpg", "trpo"])
def test_resume_continues_in_the_run_folder_without_logger_kwargs(tmp_path, algo):
    # as the off-policy algorithms do: resume=<run folder> is enough
    import spinup

    fn = getattr(spinup, algo)
    kw = dict(steps_per_epoch=200, train_v_iters=2, seed=3)
    fn(lambda: gym.make("CartPole-v1"), epochs=1, logger_kwargs=dict(output_dir=str(tmp_path)), **kw)
    fn(lambda: gym.make("CartPole-v1"), epochs=2, resume=str(tmp_path), **kw)
    assert list(pd.read_table(tmp_path / "progress.txt")["Epoch"]) == [0, 1]
