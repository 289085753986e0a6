"""Given for exercise 1.2: an actor-critic that PPO can train, built around the policy class you
write (``actor``) and spinup's value network. Nothing to fill in here."""

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from spinup.algos.onpolicy import MLPCritic
from spinup.utils.errors import UserError


class ExerciseActorCritic(nn.Module):
    """``pi``: an instance of ``actor``; ``v``: spinup's MLP value function.

    Args:
        observation_space: a Box of vector observations.
        action_space: a Box (the policy is a diagonal Gaussian).
        hidden_sizes: hidden layer widths of both networks. Default (64, 64).
        activation: activation class between layers. Default ``nn.Tanh``.
        actor: the policy class, called as ``actor(obs_dim, act_dim, hidden_sizes, activation)``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(64, 64), activation=nn.Tanh, actor=None):
        super().__init__()
        if not isinstance(action_space, gym.spaces.Box) or len(observation_space.shape) != 1:
            raise UserError("Exercise 1.2's policy needs vector observations and a Box action space "
                            f"(got {observation_space} and {action_space}); use e.g. InvertedPendulum-v5.")
        obs_dim, act_dim = observation_space.shape[0], action_space.shape[0]
        self.pi = actor(obs_dim, act_dim, hidden_sizes, activation)
        self.v = MLPCritic(obs_dim, hidden_sizes, activation)

    @torch.inference_mode()
    def step(self, obs: torch.Tensor):
        """Sample an action at each observation of a batch ``[n, obs_dim]`` (one per environment
        copy): returns numpy ``(a, v, logp_a)``, each with a leading dimension ``n``."""
        act, logp = self.pi.sample(obs)
        return act.numpy(), self.v(obs).numpy(), logp.numpy()

    @torch.inference_mode()
    def act(self, obs: torch.Tensor, deterministic: bool = False) -> np.ndarray:
        """An action for one observation ``[obs_dim]``, or one per row of a batch."""
        one = obs.dim() == 1
        batch = obs.unsqueeze(0) if one else obs
        act = self.pi.mu_net(batch) if deterministic else self.pi.sample(batch)[0]
        return act[0].numpy() if one else act.numpy()
