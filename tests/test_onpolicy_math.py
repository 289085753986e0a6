"""The on-policy maths on hand-computed numbers: discounted sums, GAE-Lambda, rewards-to-go, the
PPO-Clip objective, and the buffer that applies them to trajectory segments."""

import math

import numpy as np
import pytest
import torch

from spinup.algos.onpolicy import GAEBuffer, discount_cumsum, gae_advantages, rewards_to_go
from spinup.algos.ppo.core import approx_kl, clip_fraction, ppo_clip_objective
from spinup.utils.errors import UserError


def test_discount_cumsum():
    # [1 + .5*2 + .25*3, 2 + .5*3, 3]
    np.testing.assert_allclose(discount_cumsum(np.array([1.0, 2.0, 3.0]), 0.5), [2.75, 3.5, 3.0])


def test_gae_advantages_by_hand():
    rews, vals = np.array([1.0, 1.0]), np.array([0.5, 0.4])
    # delta_0 = 1 + .9*.4 - .5 = .86 ; delta_1 = 1 + .9*.2 - .4 = .78
    # A_1 = .78 ; A_0 = .86 + (.9*.5)*.78 = 1.211
    np.testing.assert_allclose(gae_advantages(rews, vals, 0.2, gamma=0.9, lam=0.5), [1.211, 0.78])


def test_gae_with_lambda_one_is_return_minus_value():
    rews, vals = np.array([1.0, 2.0, 3.0]), np.array([0.3, -0.2, 0.7])
    adv = gae_advantages(rews, vals, 0.0, gamma=0.9, lam=1.0)
    np.testing.assert_allclose(adv, rewards_to_go(rews, 0.0, 0.9) - vals)


def test_rewards_to_go_bootstraps_only_from_last_val():
    # R_1 = 1 + .9*.2 = 1.18 ; R_0 = 1 + .9*1.18 = 2.062
    np.testing.assert_allclose(rewards_to_go(np.array([1.0, 1.0]), 0.2, 0.9), [2.062, 1.18])
    np.testing.assert_allclose(rewards_to_go(np.array([1.0, 1.0]), 0.0, 0.9), [1.9, 1.0])


def test_ppo_clip_objective_by_hand():
    logp_old = torch.zeros(4)
    logp = torch.log(torch.tensor([1.5, 1.5, 0.5, 0.5]))
    adv = torch.tensor([2.0, -2.0, 1.0, -1.0])
    # ratio 1.5, A=+2: min(3, 1.2*2) = 2.4   (clipped: no reward for moving further)
    # ratio 1.5, A=-2: min(-3, -2.4) = -3     (unclipped: the pessimistic bound)
    # ratio 0.5, A=+1: min(.5, .8) = .5
    # ratio 0.5, A=-1: min(-.5, -.8) = -.8
    obj = ppo_clip_objective(logp, logp_old, adv, clip_ratio=0.2)
    assert obj.item() == pytest.approx((2.4 - 3 + 0.5 - 0.8) / 4)
    assert clip_fraction(logp, logp_old, 0.2).item() == 1.0
    assert approx_kl(logp_old, logp).item() == pytest.approx(-(2 * math.log(1.5) + 2 * math.log(0.5)) / 4)


def test_ppo_clip_gradient_vanishes_once_clipped():
    logp = torch.tensor([math.log(1.5)], requires_grad=True)
    ppo_clip_objective(logp, torch.zeros(1), torch.tensor([2.0]), 0.2).backward()
    assert logp.grad.item() == 0.0


def test_buffer_segments_and_normalisation():
    buf = GAEBuffer((2,), (), size=4, gamma=0.9, lam=0.5)
    for r, v in [(1.0, 0.5), (1.0, 0.4)]:
        buf.store(np.zeros(2), 0, r, v, -0.7)
    buf.finish_path(0.2)  # cut off: bootstrap with V(s_T) = 0.2
    for r, v in [(1.0, 0.5), (1.0, 0.4)]:
        buf.store(np.zeros(2), 1, r, v, -0.7)
    buf.finish_path(0.0)  # terminated: no bootstrap
    np.testing.assert_allclose(buf.ret[0], [2.062, 1.18, 1.9, 1.0], rtol=1e-6)  # the one copy's row
    data = buf.get()
    assert set(data) == {"obs", "act", "ret", "adv", "logp", "v"}
    assert data["adv"].mean().item() == pytest.approx(0.0, abs=1e-6)
    assert data["adv"].std(unbiased=False).item() == pytest.approx(1.0, abs=1e-4)
    assert buf.ptr == 0


def test_buffer_keeps_each_copys_segments_apart():
    """Two copies stepped together: each copy's segments are computed from its own steps only,
    in the same numbers as one copy alone, and get() returns copy after copy."""
    buf = GAEBuffer((2,), (), size=4, gamma=0.9, lam=0.5, num_envs=2)
    buf.store(np.zeros((2, 2)), [0, 0], [1.0, 1.0], [0.5, 0.5], [-0.7, -0.7])
    buf.finish_path(0.0, copy=1)  # copy 1 terminated after one step
    buf.store(np.zeros((2, 2)), [0, 0], [1.0, 2.0], [0.4, 0.3], [-0.7, -0.7])
    buf.finish_path(0.2, copy=0)  # epoch end: both cut off
    buf.finish_path(0.1, copy=1)
    np.testing.assert_allclose(buf.ret[0], [2.062, 1.18], rtol=1e-6)  # as the one-copy test above
    np.testing.assert_allclose(buf.ret[1], [1.0, 2.09], rtol=1e-6)  # 1; then 2 + 0.9 * 0.1
    data = buf.get()
    np.testing.assert_allclose(data["ret"].numpy(), [2.062, 1.18, 1.0, 2.09], rtol=1e-6)


def test_buffer_refuses_an_epoch_the_copies_cannot_share():
    with pytest.raises(UserError, match="num_envs=3"):
        GAEBuffer((2,), (), size=4, num_envs=3)
