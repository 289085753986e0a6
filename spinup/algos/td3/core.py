"""TD3's networks and its target: a deterministic actor (as DDPG's), twin Q-functions Q1 and
Q2, and the smoothed, clipped double-Q target."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from spinup.algos.networks import (
    MLPDeterministicActor,
    MLPTwinQFunction,
    box_bounds,
    check_box_actions,
)


def td3_target(rew: torch.Tensor, next_obs: torch.Tensor, terminated: torch.Tensor, pi_targ, q_targ,
               gamma: float, target_noise: float, noise_clip: float, act_low: torch.Tensor,
               act_high: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
    """TD3's target (Fujimoto et al., 2018): target policy smoothing and clipped double-Q.

    .. math::
        a'(s') = \\mathrm{clip}\\left(\\mu_{\\theta_{targ}}(s') + \\mathrm{clip}(\\epsilon, -c, c),
        a_{low}, a_{high}\\right), \\quad \\epsilon \\sim \\mathcal{N}(0, \\sigma)

        y(r, s', d) = r + \\gamma (1 - d) \\min_{i=1,2} Q_{\\phi_{i,targ}}(s', a'(s'))

    σ (``target_noise``) and c (``noise_clip``) are fractions of half the action range of each
    dimension, so they are in the action's own units when the bounds are ±1.

    Args:
        rew: rewards r, shape ``[batch]``.
        next_obs: next observations s', shape ``[batch, *obs_shape]``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``[batch]``.
        pi_targ: the target policy, ``pi_targ(obs) -> act`` of shape ``[batch, act_dim]``.
        q_targ: the target twin Q-functions, ``q_targ(obs, act) -> (q1, q2)``, each ``[batch]``.
        gamma: discount factor γ.
        target_noise: σ, standard deviation of the smoothing noise.
        noise_clip: c, the noise is clipped to [−c, c].
        act_low, act_high: the action bounds, shape ``[act_dim]``.
        noise: standard normal draws of shape ``[batch, act_dim]`` (drawn here if None).
    """
    act_targ = pi_targ(next_obs)
    if noise is None:
        noise = torch.randn_like(act_targ)
    half_range = (act_high - act_low) / 2
    eps = torch.clamp(target_noise * noise, -noise_clip, noise_clip) * half_range
    next_act = torch.clamp(act_targ + eps, act_low, act_high)
    q1_targ, q2_targ = q_targ(next_obs, next_act)
    return rew + gamma * (1 - terminated) * torch.min(q1_targ, q2_targ)


class MLPActorCritic(nn.Module):
    """TD3's actor ``pi`` and twin critics ``q`` (``q(obs, act)`` gives Q1 and Q2, ``q.q1`` Q1 alone).

    Args:
        observation_space: a Box of any shape (flattened, or the Nature CNN's features for pictures).
        action_space: a Box with finite bounds (any per-dimension bounds).
        hidden_sizes: hidden layer sizes of all networks. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(256, 256), activation=nn.ReLU):
        super().__init__()
        check_box_actions(action_space, "TD3")
        act_low, act_high = box_bounds(action_space)
        self.act_shape = action_space.shape
        self.pi = MLPDeterministicActor(observation_space, act_low, act_high, hidden_sizes, activation)
        self.q = MLPTwinQFunction(observation_space, len(act_low), hidden_sizes, activation)

    def act(self, obs: torch.Tensor, deterministic: bool = True) -> np.ndarray:
        """μ(s) (numpy) for one observation, of the action space's shape, or for each row of a
        batch ``[n, *obs_shape]``. The policy is deterministic; the training loop adds the
        exploration noise."""
        act = self.pi.act_numpy(obs)
        return act.reshape(self.act_shape) if act.ndim == 1 else act.reshape(len(act), *self.act_shape)
