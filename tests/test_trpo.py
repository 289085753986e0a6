"""TRPO and NPG: the natural-gradient maths on small problems checked against explicit
computations (conjugate gradient, the Fisher-vector product against the KL's Hessian, the
analytic KL against Monte Carlo), the line search, and learning on real environments."""


import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from learning_cases import CASES, check
from torch.distributions import Categorical, Normal

from spinup.algos.onpolicy import MLPActorCritic
from spinup.algos.trpo import core
from spinup.algos.trpo.trpo import trpo
from spinup.utils.errors import UserError

TRPO_COLUMNS = ["Epoch", "AverageEpRet", "StdEpRet", "MaxEpRet", "MinEpRet", "EpLen", "AverageVVals",
                "StdVVals", "MaxVVals", "MinVVals", "TotalEnvInteracts", "LossPi", "LossV",
                "DeltaLossPi", "DeltaLossV", "KL", "BacktrackIters", "Time"]


def run(tmp_path, env_fn, name="run", **kwargs):
    out = tmp_path / name
    trpo(env_fn, logger_kwargs=dict(output_dir=str(out), exp_name=name), **kwargs)
    return out, pd.read_table(out / "progress.txt")


# ---------------------------------------------------------------------------------------------
# The maths


def test_conjugate_gradient_solves_a_random_spd_system():
    gen = torch.Generator().manual_seed(0)
    m = torch.randn(12, 12, generator=gen, dtype=torch.float64)
    a = m @ m.T + 0.5 * torch.eye(12, dtype=torch.float64)
    b = torch.randn(12, generator=gen, dtype=torch.float64)
    x = core.conjugate_gradient(lambda v: a @ v, b, iters=40)
    torch.testing.assert_close(x, torch.linalg.solve(a, b), rtol=1e-7, atol=1e-8)
    # With fewer iterations than unknowns it is an approximation that still reduces the residual
    x3 = core.conjugate_gradient(lambda v: a @ v, b, iters=3)
    assert torch.linalg.norm(a @ x3 - b) < torch.linalg.norm(b)


def _tiny_policy_and_kl(action_space):
    """A tiny actor-critic, a batch of observations, and the mean KL from its current policy as a
    function of the policy's flat parameters."""
    torch.manual_seed(0)
    obs_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    ac = MLPActorCritic(obs_space, action_space, hidden_sizes=(4,))
    obs = torch.randn(7, 3)
    names = [n for n, _ in ac.pi.named_parameters()]
    params = list(ac.pi.parameters())
    with torch.no_grad():
        pi_old, _ = ac.pi(obs)

    def kl_of(flat):
        shaped, i = {}, 0
        for n, p in zip(names, params, strict=True):
            shaped[n] = flat[i : i + p.numel()].view_as(p)
            i += p.numel()
        pi, _ = torch.func.functional_call(ac.pi, shaped, (obs,))
        return core.mean_kl(pi_old, pi)

    return ac, params, kl_of


@pytest.mark.parametrize("action_space", [gym.spaces.Box(-1.0, 1.0, (2,), np.float32), gym.spaces.Discrete(3)])
def test_fisher_vector_product_matches_the_explicit_hessian_of_the_kl(action_space):
    ac, params, kl_of = _tiny_policy_and_kl(action_space)
    theta = core.flat_params(params)
    # At the old parameters the KL is 0 and so is its gradient; the Hessian is not
    hessian = torch.autograd.functional.hessian(kl_of, theta)
    assert hessian.abs().max() > 1e-3
    # fisher_vector_product differentiates through the module's own parameters
    live = torch.cat([p.reshape(-1) for p in params])
    kl_grad = core.flat_grad(kl_of(live), params, create_graph=True)
    v = torch.randn(len(theta), generator=torch.Generator().manual_seed(1))
    hv = core.fisher_vector_product(kl_grad, params, v, damping_coeff=0.1)
    torch.testing.assert_close(hv, hessian @ v + 0.1 * v, rtol=1e-4, atol=1e-5)


def test_gaussian_kl_matches_monte_carlo():
    gen = torch.Generator().manual_seed(0)
    mu_old, mu = torch.tensor([[0.3, -1.0]]), torch.tensor([[0.5, -0.6]])
    log_std_old, log_std = torch.tensor([-0.5, 0.2]), torch.tensor([-0.3, 0.0])
    analytic = core.gaussian_kl(mu_old, log_std_old, mu, log_std).item()
    old, new = Normal(mu_old, log_std_old.exp()), Normal(mu, log_std.exp())
    a = mu_old + log_std_old.exp() * torch.randn(400_000, 2, generator=gen, dtype=torch.float64).float()
    mc = (old.log_prob(a).sum(-1) - new.log_prob(a).sum(-1)).mean().item()
    assert analytic == pytest.approx(mc, abs=3e-3)
    assert analytic == pytest.approx(torch.distributions.kl_divergence(old, new).sum().item(), rel=1e-5)
    assert core.gaussian_kl(mu, log_std, mu, log_std).item() == 0.0


def test_categorical_kl_matches_monte_carlo():
    gen = torch.Generator().manual_seed(0)
    old, new = Categorical(logits=torch.tensor([[0.2, 1.0, -0.5]])), Categorical(logits=torch.tensor([[1.0, 0.1, 0.0]]))
    analytic = core.categorical_kl(old.logits, new.logits).item()
    a = torch.multinomial(old.probs.expand(200_000, 3), 1, replacement=True, generator=gen).squeeze(-1)
    mc = (old.logits[0, a] - new.logits[0, a]).mean().item()
    assert analytic == pytest.approx(mc, abs=3e-3)
    assert core.mean_kl(old, new).item() == pytest.approx(analytic)


def test_surrogate_advantage_and_step_size_by_hand():
    logp_old = torch.zeros(2)
    logp = torch.log(torch.tensor([2.0, 0.5]))
    # ratios 2 and 0.5, advantages 1 and -1: (2 - 0.5) / 2
    assert core.surrogate_advantage(logp, logp_old, torch.tensor([1.0, -1.0])).item() == pytest.approx(0.75)
    # 1/2 (a x)^T H (a x) = delta with x^T H x = 2: a = sqrt(2 * 0.01 / 2) = 0.1
    assert core.natural_step_size(torch.tensor([1.0, 0.0]), torch.tensor([2.0, 0.0]), 0.01) == pytest.approx(0.1, rel=1e-5)


def test_line_search_accepts_the_first_step_within_the_trust_region():
    tried = []

    def evaluate(theta):  # KL grows with the step; the loss improves for any step
        tried.append(theta.clone())
        return -float(theta[0]), float(theta[0]) ** 2

    messages = []
    j, loss, kl = core.backtracking_line_search(evaluate, torch.zeros(1), torch.tensor([-1.0]), 0.0, delta=0.5,
                                                backtrack_coeff=0.8, backtrack_iters=10, log=messages.append)
    # 0.8**j <= sqrt(0.5) first at j = 2 (0.64)
    assert j == 2 and kl == pytest.approx(0.64**2) and len(tried) == 3
    assert messages == ["Accepting new params at step 2 of line search."]


def test_line_search_restores_the_old_parameters_when_it_fails():
    params = [torch.nn.Parameter(torch.tensor([1.0, 2.0]))]

    def evaluate(theta):  # every step makes the loss worse
        core.set_flat_params(params, theta)
        return 1.0 + float((theta - torch.tensor([1.0, 2.0])).abs().sum()), 0.0

    messages = []
    theta_old = core.flat_params(params)
    j, loss, kl = core.backtracking_line_search(evaluate, theta_old, torch.tensor([0.3, 0.3]), 1.0, delta=0.01,
                                                backtrack_iters=4, log=messages.append)
    assert j == 4 and loss == 1.0
    assert torch.equal(params[0].detach(), torch.tensor([1.0, 2.0]))
    assert messages == ["Line search failed! Keeping old params."]


# ---------------------------------------------------------------------------------------------
# The algorithm


def test_outputs_columns_and_npg(tmp_path):
    _, progress = run(tmp_path, lambda: gym.make("CartPole-v1"), seed=1, steps_per_epoch=300, epochs=2,
                      train_v_iters=2)
    assert list(progress.columns) == TRPO_COLUMNS
    assert list(progress["TotalEnvInteracts"]) == [300, 600]
    assert (progress["KL"] <= 0.01 + 1e-6).all()
    _, npg = run(tmp_path, lambda: gym.make("Pendulum-v1"), name="npg", algo="npg", steps_per_epoch=250,
                 epochs=2, train_v_iters=2, ac_kwargs=dict(hidden_sizes=(16,)))
    assert "BacktrackIters" not in npg.columns
    assert (npg["KL"] > 0).all()
    with pytest.raises(UserError, match="'trpo', 'npg'"):
        run(tmp_path, lambda: gym.make("CartPole-v1"), name="bad", algo="TRPO")


def test_resume_continues_exactly(tmp_path):
    kw = dict(steps_per_epoch=200, train_v_iters=3, seed=3)
    _, straight = run(tmp_path, lambda: gym.make("CartPole-v1"), name="straight", epochs=3, **kw)
    out, _ = run(tmp_path, lambda: gym.make("CartPole-v1"), name="stopped", epochs=2, **kw)
    _, resumed = run(tmp_path, lambda: gym.make("CartPole-v1"), name="stopped", epochs=3, resume=str(out), **kw)
    pd.testing.assert_frame_equal(straight.drop(columns="Time"), resumed.drop(columns="Time"))


@pytest.mark.slow
def test_trpo_learns_cartpole(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["trpo_cartpole"], tmp_path)


@pytest.mark.slow
def test_trpo_learns_inverted_pendulum(tmp_path):
    # Calibrated for seeds 0-9 at 1 and 2 threads: tests/learning_cases.py, tests/calibration/.
    check(CASES["trpo_inverted_pendulum"], tmp_path)
