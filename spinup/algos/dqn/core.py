"""DQN's network and maths: the Q-network, the (Double) DQN targets and the ε schedule."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from spinup.algos.networks import check_discrete_actions, mlp, obs_encoder
from spinup.utils.speed import NumpyMLP, flat_float32


def dqn_target(rew: torch.Tensor, terminated: torch.Tensor, next_q_targ: torch.Tensor,
               gamma: float) -> torch.Tensor:
    """The DQN target: y = r + γ (1 − d) max_a' Q_targ(s', a').

    Args:
        rew: rewards r, shape ``(batch,)``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``(batch,)``.
        next_q_targ: Q_targ(s', ·) for every action, shape ``(batch, n_actions)``.
        gamma: discount factor γ.
    """
    return rew + gamma * (1.0 - terminated) * next_q_targ.amax(dim=-1)


def double_dqn_target(rew: torch.Tensor, terminated: torch.Tensor, next_q: torch.Tensor,
                      next_q_targ: torch.Tensor, gamma: float) -> torch.Tensor:
    """The Double DQN target (van Hasselt et al., 2016):
    y = r + γ (1 − d) Q_targ(s', argmax_a' Q(s', a')).

    The online network chooses the next action and the target network evaluates it, which
    removes most of the overestimation of the plain max.

    Args:
        rew: rewards r, shape ``(batch,)``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``(batch,)``.
        next_q: Q(s', ·) from the online network, shape ``(batch, n_actions)``.
        next_q_targ: Q_targ(s', ·) from the target network, shape ``(batch, n_actions)``.
        gamma: discount factor γ.
    """
    next_act = next_q.argmax(dim=-1, keepdim=True)
    return rew + gamma * (1.0 - terminated) * next_q_targ.gather(-1, next_act).squeeze(-1)


def epsilon_schedule(t: int, eps_start: float, eps_end: float, eps_decay_steps: int) -> float:
    """ε for ε-greedy exploration at environment step ``t``: a straight line from ``eps_start``
    (at t = 0) to ``eps_end`` (at t = ``eps_decay_steps``), then constant:
    ε_t = eps_start + min(t / eps_decay_steps, 1) (eps_end − eps_start).
    """
    if eps_decay_steps <= 0:
        return eps_end
    frac = min(t / eps_decay_steps, 1.0)
    return eps_start + frac * (eps_end - eps_start)


class MLPQNetwork(nn.Module):
    """Q(s, ·): an MLP from the encoded observation (flattened, or a CNN's features for pictures)
    to one value per discrete action.

    Args:
        observation_space: a Box of any shape (flattened on input).
        action_space: a Discrete space with n actions.
        hidden_sizes: sizes of the hidden layers. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
        encoder: what the network first makes of an observation
            (:func:`~spinup.algos.networks.obs_encoder`): ``'auto'`` (default: the Nature CNN for
            pictures, else the flattened observation), ``'nature'``, ``'impala'`` or ``'flatten'``.
    """

    def __init__(self, observation_space: gym.spaces.Box, action_space: gym.spaces.Discrete,
                 hidden_sizes=(256, 256), activation=nn.ReLU, encoder: str = "auto"):
        super().__init__()
        check_discrete_actions(action_space, "DQN")
        self.flatten, obs_dim = obs_encoder(observation_space, encoder)
        self.n_actions = int(action_space.n)
        # Discrete(n, start=k) numbers its actions k, ..., k+n−1; the network's outputs are 0..n−1.
        self.act_start = int(action_space.start)
        self.q = mlp([obs_dim, *hidden_sizes, self.n_actions], activation)
        self.numpy_q = NumpyMLP(nn.Sequential(self.flatten, self.q))  # not for a CNN encoder
        self.obs_shape = tuple(observation_space.shape)

    @property
    def device(self) -> torch.device:
        return self.numpy_q.params[0].device

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values of every action, shape ``(batch, n_actions)``, for ``obs`` ``(batch, *obs_shape)``."""
        return self.q(self.flatten(obs))

    def act(self, obs: torch.Tensor, deterministic: bool = True) -> int | np.ndarray:
        """The greedy action argmax_a Q(s, a) for one observation (an int), or for each row of a
        batch ``[n, *obs_shape]`` (int64 array). ``deterministic`` is accepted for the common
        ``act`` interface and ignored: exploration (ε-greedy) is done by the training loop.

        Computed in NumPy on the CPU where it can be (:class:`~spinup.utils.speed.NumpyMLP`).
        """
        obs = torch.as_tensor(obs, dtype=torch.float32)
        one = tuple(obs.shape) == self.obs_shape
        if self.numpy_q.supported:
            q = self.numpy_q(flat_float32(obs) if one else flat_float32(obs, batch=len(obs)))
            act = np.argmax(q, axis=-1)
        else:
            with torch.inference_mode():
                batch = obs.to(self.device).unsqueeze(0) if one else obs.to(self.device)
                act = self(batch).argmax(-1).cpu().numpy()
                act = act[0] if one else act
        return int(act) + self.act_start if one else act + self.act_start
