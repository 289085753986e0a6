"""TD3's networks and its target: DDPG's actor, twin Q-functions evaluated in one fused call,
and the smoothed, clipped double-Q target."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from spinup.algos.ddpg.core import MLPActor, check_box_actions  # noqa: F401  (TD3's actor is DDPG's)
from spinup.algos.offpolicy import EnsembleMLP, box_bounds, flat_obs_dim


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
        next_obs: next observations s', shape ``[batch, obs_dim]``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``[batch]``.
        pi_targ: the target policy, ``pi_targ(obs) -> act`` of shape ``[batch, act_dim]``.
        q_targ: the target twin Q-functions, ``q_targ(obs, act) -> [2, batch]``.
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
    return rew + gamma * (1 - terminated) * q_targ(next_obs, next_act).min(dim=0).values


class MLPTwinQFunction(nn.Module):
    """Two Q-functions Q1(s, a), Q2(s, a) (MLPs on the concatenated observation and action),
    evaluated together: each layer of both is one batched matrix product.

    ``forward(obs, act)`` returns shape ``[2, batch]`` (Q1 then Q2); ``members=slice(0, 1)``
    evaluates Q1 only (shape ``[1, batch]``).
    """

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes, activation):
        super().__init__()
        self.q = EnsembleMLP(2, [obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs: torch.Tensor, act: torch.Tensor, members: slice = slice(None)) -> torch.Tensor:
        return self.q(torch.cat([obs, act], dim=-1), members).squeeze(-1)


class MLPActorCritic(nn.Module):
    """TD3's actor ``pi`` and twin critics ``q`` (Q1 and Q2 in one module).

    Args:
        observation_space: a Box of any shape (observations are flattened).
        action_space: a Box with finite bounds (any per-dimension bounds).
        hidden_sizes: hidden layer sizes of all networks. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(256, 256), activation=nn.ReLU):
        super().__init__()
        check_box_actions(action_space, "TD3")
        self.obs_dim = flat_obs_dim(observation_space)
        act_low, act_high = box_bounds(action_space)
        self.act_shape = action_space.shape
        self.pi = MLPActor(self.obs_dim, act_low, act_high, hidden_sizes, activation)
        self.q = MLPTwinQFunction(self.obs_dim, len(act_low), hidden_sizes, activation)

    def act(self, obs, deterministic: bool = True) -> np.ndarray:
        """μ(s) for one observation, as a numpy array of the action space's shape (the training
        loop adds the exploration noise)."""
        return self.pi.act_one(obs).reshape(self.act_shape)
