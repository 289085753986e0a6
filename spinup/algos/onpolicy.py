"""Pieces shared by the on-policy algorithms (VPG, TRPO, PPO): the actor-critic networks, the
buffer that turns one epoch of experience into advantages and returns, and the maths behind it
(discounted sums, GAE-Lambda, rewards-to-go)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
from gymnasium.spaces import Box, Discrete

from spinup.utils.errors import UserError
from spinup.utils.mpi_tools import mpi_statistics_scalar

# ---------------------------------------------------------------------------------------------
# The maths


def discount_cumsum(x: np.ndarray, discount: float) -> np.ndarray:
    """Discounted cumulative sums: ``y[t] = x[t] + discount * x[t+1] + discount**2 * x[t+2] + ...``.

    Computed backwards in one pass: ``y[t] = x[t] + discount * y[t+1]``.
    """
    y = np.zeros(len(x), dtype=np.float64)
    running = 0.0
    for t in range(len(x) - 1, -1, -1):
        running = x[t] + discount * running
        y[t] = running
    return y


def gae_advantages(rews: np.ndarray, vals: np.ndarray, last_val: float, gamma: float, lam: float) -> np.ndarray:
    """Generalized Advantage Estimation (GAE-Lambda) for one trajectory segment.

    .. math::
        \\delta_t = r_t + \\gamma V(s_{t+1}) - V(s_t), \\qquad
        \\hat A_t = \\sum_{l \\ge 0} (\\gamma \\lambda)^l \\delta_{t+l}

    Args:
        rews: rewards ``r_0 .. r_{T-1}``.
        vals: value estimates ``V(s_0) .. V(s_{T-1})``.
        last_val: ``V(s_T)`` if the segment was cut off (time limit or end of epoch), 0 if the
            episode terminated.
        gamma: discount factor.
        lam: GAE's lambda (0: one-step TD advantage; 1: Monte Carlo return minus baseline).
    """
    next_vals = np.append(vals[1:], last_val)
    deltas = rews + gamma * next_vals - vals
    return discount_cumsum(deltas, gamma * lam)


def rewards_to_go(rews: np.ndarray, last_val: float, gamma: float) -> np.ndarray:
    """Discounted rewards-to-go, the targets for the value function.

    .. math:: \\hat R_t = \\sum_{l=0}^{T-t-1} \\gamma^l r_{t+l} + \\gamma^{T-t} V(s_T)

    ``last_val`` is ``V(s_T)`` for a cut-off segment (it stands in for the rewards that were not
    observed) and 0 for a terminated episode.
    """
    return discount_cumsum(np.append(rews, last_val), gamma)[:-1]


# ---------------------------------------------------------------------------------------------
# Networks


def mlp(sizes, activation, output_activation=nn.Identity) -> nn.Sequential:
    """A multi-layer perceptron: Linear layers of the given ``sizes`` with ``activation`` between."""
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


def obs_encoder(observation_space) -> tuple[nn.Module, int]:
    """A module that flattens observations of ``observation_space``, and the flat size."""
    if not isinstance(observation_space, Box):
        raise UserError(
            f"spinup's MLP policies need a Box observation space, but this environment's is "
            f"{observation_space}. Wrap the environment (e.g. gymnasium.wrappers.FlattenObservation) "
            "or pass your own actor_critic."
        )
    shape = observation_space.shape
    flat = nn.Flatten(start_dim=-len(shape)) if len(shape) > 1 else nn.Identity()
    return flat, int(np.prod(shape))


LOG_2PI = math.log(2 * math.pi)


class MLPCategoricalActor(nn.Module):
    """A categorical policy over ``act_dim`` discrete actions, with logits from an MLP."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, encoder=nn.Identity()):
        super().__init__()
        self.logits_net = nn.Sequential(encoder, mlp([obs_dim, *hidden_sizes, act_dim], activation))

    def distribution(self, obs):
        return torch.distributions.Categorical(logits=self.logits_net(obs))

    def log_prob(self, pi, act):
        return pi.log_prob(act)

    def sample(self, obs):
        """One action and its log-probability, without building a distribution object (fast path)."""
        logp_all = torch.log_softmax(self.logits_net(obs), dim=-1)
        act = torch.multinomial(logp_all.exp(), 1).squeeze(-1)
        return act, logp_all.gather(-1, act.unsqueeze(-1)).squeeze(-1)

    def forward(self, obs, act=None):
        """The action distribution at ``obs`` and, if ``act`` is given, its log-probability."""
        pi = self.distribution(obs)
        return pi, None if act is None else self.log_prob(pi, act)


class MLPGaussianActor(nn.Module):
    """A diagonal Gaussian policy: the mean from an MLP, a state-independent log standard deviation."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, encoder=nn.Identity()):
        super().__init__()
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))
        self.mu_net = nn.Sequential(encoder, mlp([obs_dim, *hidden_sizes, act_dim], activation))

    def distribution(self, obs):
        return torch.distributions.Normal(self.mu_net(obs), torch.exp(self.log_std))

    def log_prob(self, pi, act):
        return pi.log_prob(act).sum(dim=-1)

    def sample(self, obs):
        """One action and its log-probability, without building a distribution object (fast path).

        ``a = mu + std * eps`` with ``eps ~ N(0, I)``, so
        ``log pi(a) = -0.5 * sum(eps**2 + 2 log_std + log 2pi)``.
        """
        mu = self.mu_net(obs)
        eps = torch.randn_like(mu)
        act = mu + torch.exp(self.log_std) * eps
        logp = -0.5 * (eps.pow(2) + 2 * self.log_std + LOG_2PI).sum(dim=-1)
        return act, logp

    def forward(self, obs, act=None):
        pi = self.distribution(obs)
        return pi, None if act is None else self.log_prob(pi, act)


class MLPCritic(nn.Module):
    """A state-value function V(s) as an MLP."""

    def __init__(self, obs_dim, hidden_sizes, activation, encoder=nn.Identity()):
        super().__init__()
        self.v_net = nn.Sequential(encoder, mlp([obs_dim, *hidden_sizes, 1], activation))

    def forward(self, obs):
        return self.v_net(obs).squeeze(-1)


class MLPActorCritic(nn.Module):
    """A policy ``pi`` and a value function ``v`` for Box or Discrete actions.

    Args:
        observation_space: a Box of any shape (flattened).
        action_space: a Box (diagonal Gaussian policy) or Discrete (categorical policy).
        hidden_sizes: sizes of the hidden layers of both networks. Default (64, 64).
        activation: activation module class between layers. Default ``torch.nn.Tanh``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(64, 64), activation=nn.Tanh):
        super().__init__()
        encoder, obs_dim = obs_encoder(observation_space)
        if isinstance(action_space, Box):
            self.pi = MLPGaussianActor(obs_dim, action_space.shape[0], hidden_sizes, activation, encoder)
        elif isinstance(action_space, Discrete):
            self.pi = MLPCategoricalActor(obs_dim, int(action_space.n), hidden_sizes, activation, encoder)
        else:
            raise UserError(
                f"The on-policy algorithms support Box and Discrete action spaces, not {action_space}."
            )
        self.v = MLPCritic(obs_dim, hidden_sizes, activation, encoder)

    @torch.inference_mode()
    def step(self, obs: torch.Tensor):
        """Sample an action at one observation: returns numpy ``(a, v, logp_a)``."""
        act, logp = self.pi.sample(obs)
        return act.numpy(), self.v(obs).item(), logp.item()

    @torch.inference_mode()
    def act(self, obs: torch.Tensor, deterministic: bool = False):
        """An action for ``obs`` (numpy): sampled, or the mean / most likely one if ``deterministic``."""
        if deterministic:
            if isinstance(self.pi, MLPGaussianActor):
                return self.pi.mu_net(obs).numpy()
            return self.pi.logits_net(obs).argmax(-1).numpy()
        return self.pi.sample(obs)[0].numpy()


# ---------------------------------------------------------------------------------------------
# The buffer


class GAEBuffer:
    """Stores one epoch of experience and computes GAE-Lambda advantages and rewards-to-go.

    Call :meth:`store` at every step, :meth:`finish_path` at the end of every trajectory segment
    (episode end or epoch cut-off), and :meth:`get` once the epoch is full.
    """

    def __init__(self, obs_shape, act_shape, size: int, gamma: float = 0.99, lam: float = 0.95):
        self.obs = np.zeros((size, *obs_shape), dtype=np.float32)
        self.act = np.zeros((size, *act_shape), dtype=np.float32)
        self.rew = np.zeros(size, dtype=np.float32)
        self.val = np.zeros(size, dtype=np.float32)
        self.logp = np.zeros(size, dtype=np.float32)
        self.adv = np.zeros(size, dtype=np.float32)
        self.ret = np.zeros(size, dtype=np.float32)
        self.gamma, self.lam = gamma, lam
        self.ptr, self.path_start_idx, self.max_size = 0, 0, size

    def store(self, obs, act, rew, val, logp) -> None:
        i = self.ptr
        self.obs[i] = obs
        self.act[i] = act
        self.rew[i] = rew
        self.val[i] = val
        self.logp[i] = logp
        self.ptr = i + 1

    def finish_path(self, last_val: float = 0.0) -> None:
        """Compute advantages and rewards-to-go for the segment that just ended.

        ``last_val`` is ``V(s_T)`` when the segment was cut off (time limit, epoch end), so the
        missing future rewards are bootstrapped; it is 0 when the episode terminated.
        """
        path = slice(self.path_start_idx, self.ptr)
        self.adv[path] = gae_advantages(self.rew[path], self.val[path], last_val, self.gamma, self.lam)
        self.ret[path] = rewards_to_go(self.rew[path], last_val, self.gamma)
        self.path_start_idx = self.ptr

    def get(self) -> dict:
        """The epoch's data as tensors, with advantages normalised (mean 0, std 1 over all processes)."""
        assert self.ptr == self.max_size, "the buffer must be full before get()"
        self.ptr, self.path_start_idx = 0, 0
        adv_mean, adv_std = mpi_statistics_scalar(self.adv)
        adv = (self.adv - adv_mean) / (adv_std + 1e-8)
        data = dict(obs=self.obs, act=self.act, ret=self.ret, adv=adv, logp=self.logp, v=self.val)
        return {k: torch.as_tensor(v, dtype=torch.float32) for k, v in data.items()}
