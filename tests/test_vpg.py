"""VPG: the policy-gradient objective on hand-computed numbers, the logged diagnostics (KL and
DeltaLossPi measured after the policy step), exact resume, and learning CartPole."""

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from learning_cases import CASES, check

from spinup.algos.vpg import core
from spinup.algos.vpg.vpg import vpg

VPG_COLUMNS = ["Epoch", "AverageEpRet", "StdEpRet", "MaxEpRet", "MinEpRet", "EpLen", "AverageVVals",
               "StdVVals", "MaxVVals", "MinVVals", "TotalEnvInteracts", "LossPi", "LossV",
               "DeltaLossPi", "DeltaLossV", "Entropy", "KL", "Time"]


def run(tmp_path, env_fn, name="run", **kwargs):
    out = tmp_path / name
    vpg(env_fn, logger_kwargs=dict(output_dir=str(out), exp_name=name), **kwargs)
    return out, pd.read_table(out / "progress.txt")


def test_policy_gradient_objective_by_hand():
    logp = torch.tensor([-1.0, -2.0], requires_grad=True)
    adv = torch.tensor([0.5, -1.0])
    obj = core.policy_gradient_objective(logp, adv)
    assert obj.item() == pytest.approx((-0.5 + 2.0) / 2)
    obj.backward()
    # The gradient weights each log-probability by its advantage over N
    torch.testing.assert_close(logp.grad, adv / 2)


def test_outputs_columns_and_diagnostics_after_the_step(tmp_path):
    out, progress = run(tmp_path, lambda: gym.make("CartPole-v1"), seed=1, steps_per_epoch=400, epochs=2,
                        train_v_iters=2, pi_lr=1e-2)
    assert list(progress.columns) == VPG_COLUMNS
    assert list(progress["TotalEnvInteracts"]) == [400, 800]
    assert (out / "resume.pt").exists()
    # Measured after the policy step, one Adam step of lr 1e-2 moves the policy measurably and
    # lowers the loss it stepped on (the original measured both before the step: always ~0).
    assert (progress["KL"].abs() > 1e-5).all()
    assert (progress["DeltaLossPi"] < 0).all()


def test_box_actions_and_2d_observations(tmp_path):
    def env_fn():
        return gym.wrappers.ReshapeObservation(gym.make("Pendulum-v1"), (3, 1))

    _, progress = run(tmp_path, env_fn, steps_per_epoch=250, epochs=2, train_v_iters=2,
                      ac_kwargs=dict(hidden_sizes=(16,)))
    assert len(progress) == 2 and progress["EpLen"].iloc[0] == 200
    assert np.isfinite(progress["Entropy"]).all()


def test_resume_continues_exactly(tmp_path):
    kw = dict(steps_per_epoch=200, train_v_iters=3, seed=3, pi_lr=1e-2)
    _, straight = run(tmp_path, lambda: gym.make("CartPole-v1"), name="straight", epochs=3, **kw)
    out, _ = run(tmp_path, lambda: gym.make("CartPole-v1"), name="stopped", epochs=2, **kw)
    _, resumed = run(tmp_path, lambda: gym.make("CartPole-v1"), name="stopped", epochs=3, resume=str(out), **kw)
    pd.testing.assert_frame_equal(straight.drop(columns="Time"), resumed.drop(columns="Time"))


@pytest.mark.slow
def test_vpg_learns_cartpole(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["vpg_cartpole"], tmp_path)
