"""DQN's network and maths: the Q-network, the (Double) DQN targets and the ε schedule."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from spinup.algos.offpolicy import flat_obs_dim, mlp
from spinup.algos.onpolicy import flat_float32, numpy_forward, numpy_mlp
from spinup.utils.errors import UserError


def check_discrete_actions(action_space) -> None:
    """Refuse continuous action spaces with a pointer to the algorithms that handle them."""
    if not isinstance(action_space, gym.spaces.Discrete):
        raise UserError(
            f"DQN needs a Discrete action space, but this environment's is {action_space}. "
            "For continuous (Box) actions use sac, td3 or ddpg."
        )


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
    """Q(s, ·): an MLP from a flattened observation to one value per discrete action.

    Args:
        observation_space: a Box of any shape (flattened on input).
        action_space: a Discrete space with n actions.
        hidden_sizes: sizes of the hidden layers. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
    """

    def __init__(self, observation_space: gym.spaces.Box, action_space: gym.spaces.Discrete,
                 hidden_sizes=(256, 256), activation=nn.ReLU):
        super().__init__()
        check_discrete_actions(action_space)
        self.obs_dim = flat_obs_dim(observation_space)
        self.n_actions = int(action_space.n)
        # Discrete(n, start=k) numbers its actions k, ..., k+n−1; the network's outputs are 0..n−1.
        self.act_start = int(action_space.start)
        self.q = mlp([self.obs_dim, *hidden_sizes, self.n_actions], activation)
        # act()'s fast path: numpy views of the weights, built on first use
        self._params = list(self.parameters())
        self._numpy_layers, self._numpy_pointers = None, None

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values of every action, shape ``(batch, n_actions)``, for flattened ``obs`` ``(batch, obs_dim)``."""
        return self.q(obs)

    def act(self, obs, deterministic: bool = True) -> int:
        """The greedy action argmax_a Q(s, a) for one observation (array or tensor, of the space's
        own shape). ``deterministic`` is accepted for the common ``act`` interface and ignored:
        exploration (ε-greedy) is done by the training loop, not by the network.

        Computed in NumPy on views of the weights: the same maths, about 4 times faster than a
        batch-1 torch call. Optimizer steps and ``load_state_dict`` write into those views; the
        views are rebuilt if a parameter's memory moves (e.g. in a deep copy).
        """
        if self._numpy_pointers != [p.data_ptr() for p in self._params]:
            self._numpy_layers = numpy_mlp(self.q)
            self._numpy_pointers = [p.data_ptr() for p in self._params]
        if self._numpy_layers is None:  # layers that numpy_mlp does not know: use torch
            with torch.inference_mode():
                q = self.q(torch.as_tensor(obs, dtype=torch.float32).reshape(self.obs_dim))
            return int(q.argmax()) + self.act_start
        return int(np.argmax(numpy_forward(self._numpy_layers, flat_float32(obs)))) + self.act_start
