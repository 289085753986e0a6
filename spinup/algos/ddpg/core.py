"""DDPG's networks and its Q-learning target.

The actor maps an observation to one action inside the Box's bounds (the deterministic actor
of :mod:`spinup.algos.networks`, shared with TD3); the critic maps an observation and an action
to one number.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from spinup.algos.networks import (
    MLPDeterministicActor,
    box_bounds,
    check_box_actions,
    mlp,
    obs_encoder,
)


def ddpg_target(rew: torch.Tensor, next_obs: torch.Tensor, terminated: torch.Tensor, pi_targ, q_targ,
                gamma: float) -> torch.Tensor:
    """DDPG's Bellman target (Lillicrap et al., 2016):

    .. math:: y(r, s', d) = r + \\gamma (1 - d)\\, Q_{\\phi_{targ}}(s', \\mu_{\\theta_{targ}}(s'))

    Args:
        rew: rewards r, shape ``[batch]``.
        next_obs: next observations s', shape ``[batch, *obs_shape]``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``[batch]``.
        pi_targ: the target policy μ_targ, ``pi_targ(obs) -> act``.
        q_targ: the target Q-function, ``q_targ(obs, act) -> [batch]``.
        gamma: discount factor γ.
    """
    return rew + gamma * (1 - terminated) * q_targ(next_obs, pi_targ(next_obs))


class MLPQFunction(nn.Module):
    """Q(s, a): an MLP on the concatenated (flattened) observation and action, output ``[batch]``."""

    def __init__(self, observation_space, act_dim: int, hidden_sizes, activation):
        super().__init__()
        self.flatten, obs_dim = obs_encoder(observation_space)
        self.q = mlp([obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return self.q(torch.cat([self.flatten(obs), act], dim=-1)).squeeze(-1)


class MLPActorCritic(nn.Module):
    """DDPG's actor ``pi`` and critic ``q``.

    Args:
        observation_space: a Box of any shape (flattened, or the Nature CNN's features for pictures).
        action_space: a Box with finite bounds (any per-dimension bounds).
        hidden_sizes: hidden layer sizes of both networks. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(256, 256), activation=nn.ReLU):
        super().__init__()
        check_box_actions(action_space, "DDPG")
        act_low, act_high = box_bounds(action_space)
        self.act_shape = action_space.shape
        self.pi = MLPDeterministicActor(observation_space, act_low, act_high, hidden_sizes, activation)
        self.q = MLPQFunction(observation_space, len(act_low), hidden_sizes, activation)

    def act(self, obs: torch.Tensor, deterministic: bool = True) -> np.ndarray:
        """μ(s) (numpy) for one observation, of the action space's shape, or for each row of a
        batch ``[n, *obs_shape]``. The policy is deterministic; the training loop adds the
        exploration noise."""
        act = self.pi.act_numpy(obs)
        return act.reshape(self.act_shape) if act.ndim == 1 else act.reshape(len(act), *self.act_shape)
