"""SAC: the soft targets, the tanh change of variables and the alpha loss on hand-computed
numbers, space handling, and learning Pendulum-v1 (continuous) and CartPole-v1 (discrete)."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from learning_cases import CASES, check
from test_ddpg import odd_pendulum, progress

from spinup.algos.sac.core import (
    SquashedGaussianMLPActor,
    alpha_loss,
    discrete_sac_target,
    sac_target,
    tanh_squash_logp_correction,
)
from spinup.algos.sac.sac import sac
from spinup.utils.errors import UserError


def test_sac_target_by_hand():
    rew, terminated = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])
    pi = lambda o: (torch.zeros(2, 1), torch.tensor([-1.0, 2.0]))  # noqa: E731  (act, logp)
    q_targ = lambda o, a: torch.tensor([[3.0, 5.0], [4.0, 1.0]])  # noqa: E731  min = [3, 1]
    y = sac_target(rew, torch.zeros(2, 1), terminated, pi, q_targ, alpha=0.5, gamma=0.9)
    # [1 + 0.9 (3 - 0.5 * -1), 2 + 0 (terminal)]
    torch.testing.assert_close(y, torch.tensor([1 + 0.9 * 3.5, 2.0]))


def test_discrete_sac_target_is_an_expectation_over_actions():
    probs = torch.tensor([[0.25, 0.75]])
    pi_probs = lambda o: (probs, probs.log())  # noqa: E731
    q_targ = lambda o: torch.tensor([[[1.0, 2.0]], [[3.0, 0.0]]])  # noqa: E731  min = [1, 0]
    y = discrete_sac_target(torch.tensor([1.0]), torch.zeros(1, 1), torch.tensor([0.0]), pi_probs, q_targ,
                            alpha=0.1, gamma=0.9)
    value = 0.25 * (1 - 0.1 * math.log(0.25)) + 0.75 * (0 - 0.1 * math.log(0.75))
    torch.testing.assert_close(y, torch.tensor([1 + 0.9 * value]))
    y_end = discrete_sac_target(torch.tensor([1.0]), torch.zeros(1, 1), torch.tensor([1.0]), pi_probs, q_targ,
                                alpha=0.1, gamma=0.9)
    torch.testing.assert_close(y_end, torch.tensor([1.0]))  # no bootstrap from a terminal state


def test_tanh_correction_matches_the_numerical_jacobian():
    u = torch.tensor([[-3.0, -0.5, 0.0, 0.7, 4.0]], dtype=torch.float64)
    h = 1e-6
    dtanh = (torch.tanh(u + h) - torch.tanh(u - h)) / (2 * h)  # d tanh(u) / du, numerically
    torch.testing.assert_close(tanh_squash_logp_correction(u), dtanh.log().sum(-1), rtol=1e-6, atol=1e-6)


def test_squashed_density_integrates_to_one():
    # The density of a = tanh(u), u ~ N(mu, sigma), from the actor's log-probability, over a in (-1, 1)
    torch.manual_seed(0)
    actor = SquashedGaussianMLPActor(gym.spaces.Box(-1, 1, (1,)), np.array([-1.0], np.float32),
                                     np.array([1.0], np.float32), (4,), torch.nn.ReLU)
    with torch.no_grad():  # mu = 0.4 and sigma = 0.8 whatever the observation
        actor.mu_log_std_layer.weight.zero_()
        actor.mu_log_std_layer.bias.copy_(torch.tensor([0.4, math.log(0.8)]))
    u = torch.linspace(-6, 6, 20001).unsqueeze(-1)
    a = torch.tanh(u).squeeze(-1)
    normal = torch.distributions.Normal(0.4, 0.8)
    logp = normal.log_prob(u).sum(-1) - tanh_squash_logp_correction(u)
    assert torch.trapezoid(logp.exp(), a).item() == pytest.approx(1.0, abs=1e-3)
    # and the actor's own log-probability of its samples agrees with the same formula
    act, logp_act = actor(torch.zeros(1000, 1))
    u_act = torch.atanh(act.clamp(-1 + 1e-6, 1 - 1e-6))
    expected = normal.log_prob(u_act).sum(-1) - tanh_squash_logp_correction(u_act)
    ok = act.abs().squeeze(-1) < 0.999  # away from the saturated ends, where atanh is ill-conditioned
    torch.testing.assert_close(logp_act[ok], expected[ok], rtol=1e-3, atol=1e-3)


def test_alpha_loss_by_hand():
    log_alpha = torch.tensor(math.log(2.0), requires_grad=True)
    loss = alpha_loss(log_alpha, torch.tensor([-1.0, -3.0]), target_entropy=-1.0)
    assert loss.item() == pytest.approx(3 * math.log(2.0))
    loss.backward()
    # entropy (2) above the target (-1): the gradient step lowers alpha
    assert log_alpha.grad.item() == pytest.approx(3.0)


def test_sac_refuses_bad_alpha(tmp_path):
    with pytest.raises(UserError, match="alpha"):
        sac(lambda: gym.make("Pendulum-v1"), alpha="learned", logger_kwargs=dict(output_dir=str(tmp_path)))


def test_sac_odd_spaces(tmp_path):
    actions = []
    sac(lambda: odd_pendulum(actions), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=200, epochs=1,
        start_steps=100, update_after=50, update_every=25, num_test_episodes=1, alpha="auto",
        logger_kwargs=dict(output_dir=str(tmp_path)))
    acts = np.concatenate(actions)
    assert acts.min() >= 0.0 and acts.max() <= 4.0
    assert "LossAlpha" in progress(tmp_path)[0]


@pytest.mark.slow
def test_sac_learns_pendulum(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["sac_pendulum"], tmp_path)


@pytest.mark.slow
def test_sac_learns_pendulum_with_4_envs(tmp_path):
    # Four copies of the environment, the same gradient steps per environment step; calibrated.
    check(CASES["sac_pendulum_4envs"], tmp_path)


@pytest.mark.slow
def test_discrete_sac_learns_cartpole(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["sac_discrete_cartpole"], tmp_path)
