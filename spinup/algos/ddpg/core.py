"""DDPG's networks and its Q-learning target.

The actor maps an observation to one action inside the Box's bounds; the critic maps an
observation and an action to one number. TD3 reuses the actor (``spinup.algos.td3.core``).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from spinup.algos.offpolicy import bounds_to_affine, box_bounds, flat_obs_dim, mlp, parameter_list
from spinup.algos.onpolicy import flat_float32, numpy_forward, numpy_mlp
from spinup.utils.errors import UserError


def ddpg_target(rew: torch.Tensor, next_obs: torch.Tensor, terminated: torch.Tensor, pi_targ, q_targ,
                gamma: float) -> torch.Tensor:
    """DDPG's Bellman target (Lillicrap et al., 2016):

    .. math:: y(r, s', d) = r + \\gamma (1 - d)\\, Q_{\\phi_{targ}}(s', \\mu_{\\theta_{targ}}(s'))

    Args:
        rew: rewards r, shape ``[batch]``.
        next_obs: next observations s', shape ``[batch, obs_dim]``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``[batch]``.
        pi_targ: the target policy μ_targ, ``pi_targ(obs) -> act``.
        q_targ: the target Q-function, ``q_targ(obs, act) -> [batch]``.
        gamma: discount factor γ.
    """
    return rew + gamma * (1 - terminated) * q_targ(next_obs, pi_targ(next_obs))


class MLPActor(nn.Module):
    """A deterministic policy μ(s): an MLP with a tanh output, mapped onto the action bounds
    [low, high] of each dimension."""

    def __init__(self, obs_dim: int, act_low: np.ndarray, act_high: np.ndarray, hidden_sizes, activation):
        super().__init__()
        self.pi = mlp([obs_dim, *hidden_sizes, len(act_low)], activation, nn.Tanh)
        center, half_range = bounds_to_affine(act_low, act_high)
        self.register_buffer("act_center", center)
        self.register_buffer("act_half_range", half_range)
        self._numpy_layers, self._numpy_pointers = None, None  # act_one()'s numpy views of the weights

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.act_center, self.act_half_range, self.pi(obs))

    def act_one(self, obs) -> np.ndarray:
        """μ(s) for one observation, flat, as numpy: the same maths computed in NumPy on views of
        the weights, 10 µs against 48 µs for a batch-1 torch call (measured, (256, 256) on
        HalfCheetah). Optimizer steps write into those views; they are rebuilt if a parameter's
        memory moves (e.g. in a deep copy)."""
        pointers = [p.data_ptr() for p in parameter_list(self)]
        if pointers != self._numpy_pointers:
            self._numpy_layers, self._numpy_pointers = numpy_mlp(self.pi), pointers
        if self._numpy_layers is None:  # layers that numpy_mlp does not know: use torch
            with torch.inference_mode():
                return self(torch.as_tensor(obs, dtype=torch.float32).reshape(1, -1))[0].numpy()
        x = numpy_forward(self._numpy_layers, flat_float32(obs))
        return self.act_center.numpy() + self.act_half_range.numpy() * x


class MLPQFunction(nn.Module):
    """Q(s, a): an MLP on the concatenated observation and action, output shape ``[batch]``."""

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes, activation):
        super().__init__()
        self.q = mlp([obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return self.q(torch.cat([obs, act], dim=-1)).squeeze(-1)


def check_box_actions(action_space, algo: str) -> None:
    """Refuse discrete action spaces with a pointer to the algorithms that handle them."""
    if not isinstance(action_space, gym.spaces.Box):
        raise UserError(
            f"{algo} needs a continuous (Box) action space, but this environment's is {action_space}. "
            "For discrete actions use dqn, or sac (which runs its discrete variant)."
        )


class MLPActorCritic(nn.Module):
    """DDPG's actor ``pi`` and critic ``q``.

    Args:
        observation_space: a Box of any shape (observations are flattened).
        action_space: a Box with finite bounds (any per-dimension bounds).
        hidden_sizes: hidden layer sizes of both networks. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(256, 256), activation=nn.ReLU):
        super().__init__()
        check_box_actions(action_space, "DDPG")
        self.obs_dim = flat_obs_dim(observation_space)
        act_low, act_high = box_bounds(action_space)
        self.act_shape = action_space.shape
        self.pi = MLPActor(self.obs_dim, act_low, act_high, hidden_sizes, activation)
        self.q = MLPQFunction(self.obs_dim, len(act_low), hidden_sizes, activation)

    def act(self, obs, deterministic: bool = True) -> np.ndarray:
        """μ(s) for one observation, as a numpy array of the action space's shape. (DDPG's policy is
        deterministic; the training loop adds the exploration noise.)"""
        return self.pi.act_one(obs).reshape(self.act_shape)
