"""SAC's networks and maths: the squashed Gaussian policy (continuous actions), the categorical
policy (discrete actions), twin Q-functions Q1 and Q2, the soft Bellman targets, the tanh
change-of-variables correction and the entropy-coefficient loss."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from spinup.algos.networks import MLPTwinQFunction, bounds_to_affine, box_bounds, mlp, obs_encoder
from spinup.utils.errors import UserError
from spinup.utils.speed import EnsembleMLP

LOG_STD_MIN, LOG_STD_MAX = -20, 2
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def sac_target(rew: torch.Tensor, next_obs: torch.Tensor, terminated: torch.Tensor, pi, q_targ,
               alpha, gamma: float) -> torch.Tensor:
    """SAC's soft Bellman target (Haarnoja et al., 2018), with the next action drawn from the
    current policy (there is no target policy):

    .. math::
        y(r, s', d) = r + \\gamma (1 - d) \\left(\\min_{i=1,2} Q_{\\phi_{i,targ}}(s', \\tilde a')
        - \\alpha \\log \\pi_\\theta(\\tilde a' | s')\\right), \\quad \\tilde a' \\sim \\pi_\\theta(\\cdot | s')

    Args:
        rew: rewards r, shape ``[batch]``.
        next_obs: next observations s', shape ``[batch, *obs_shape]``.
        terminated: d, 1.0 where s' is terminal (never for a time limit), shape ``[batch]``.
        pi: the policy, ``pi(obs) -> (act, logp)`` with a sampled action and its log-probability.
        q_targ: the target twin Q-functions, ``q_targ(obs, act) -> (q1, q2)``, each ``[batch]``.
        alpha: the entropy coefficient α (a number or a 0-dim tensor).
        gamma: discount factor γ.
    """
    next_act, next_logp = pi(next_obs)
    q1_targ, q2_targ = q_targ(next_obs, next_act)
    soft_value = torch.min(q1_targ, q2_targ) - alpha * next_logp
    return rew + gamma * (1 - terminated) * soft_value


def discrete_sac_target(rew: torch.Tensor, next_obs: torch.Tensor, terminated: torch.Tensor, pi_probs,
                        q_targ, alpha, gamma: float) -> torch.Tensor:
    """The soft Bellman target of SAC for discrete actions (Christodoulou, 2019): the expectation
    over the next action is an exact sum over all actions instead of a sample:

    .. math::
        y(r, s', d) = r + \\gamma (1 - d) \\sum_{a'} \\pi_\\theta(a'|s') \\left(\\min_{i=1,2}
        Q_{\\phi_{i,targ}}(s', a') - \\alpha \\log \\pi_\\theta(a'|s')\\right)

    Args:
        rew, next_obs, terminated, alpha, gamma: as in :func:`sac_target`.
        pi_probs: ``pi_probs(obs) -> (probs, logp_all)``, ``π(·|s)`` and ``log π(·|s)``, shape
            ``[batch, n_actions]`` each.
        q_targ: the target twin Q-functions, ``q_targ(obs) -> (q1, q2)``, each
            ``[batch, n_actions]``.
    """
    probs, logp_all = pi_probs(next_obs)
    q1_targ, q2_targ = q_targ(next_obs)
    soft_q = torch.min(q1_targ, q2_targ) - alpha * logp_all
    return rew + gamma * (1 - terminated) * (probs * soft_q).sum(dim=-1)


def tanh_squash_logp_correction(u: torch.Tensor) -> torch.Tensor:
    """The change-of-variables term for a = tanh(u), summed over the action's dimensions:

    .. math::
        \\log \\pi(a|s) = \\log \\mu(u|s) - \\sum_{i} \\log(1 - \\tanh^2(u_i)),
        \\qquad \\log(1 - \\tanh^2 u) = 2(\\log 2 - u - \\mathrm{softplus}(-2u))

    Returns ``Σ_i log(1 − tanh²(u_i))`` (to be subtracted from the Gaussian log-density), in the
    numerically stable form on the right, over the last axis of ``u``.
    """
    return (2 * (math.log(2) - u - F.softplus(-2 * u))).sum(dim=-1)


def alpha_loss(log_alpha: torch.Tensor, logp: torch.Tensor, target_entropy: float) -> torch.Tensor:
    """The loss whose gradient steps tune the entropy coefficient α = exp(log α) (Haarnoja et al.,
    2018b, eq. 18, written with log α):

    .. math:: J(\\alpha) = \\mathbb{E}_{a \\sim \\pi}\\left[-\\log\\alpha \\,(\\log \\pi(a|s) + \\bar{\\mathcal{H}})\\right]

    When the policy's entropy −E[log π] falls below the target entropy H̄, the gradient raises
    α (more weight on entropy), and lowers it otherwise.

    Args:
        log_alpha: the learned log α (a 0-dim tensor with gradients).
        logp: log π(a|s) of actions from the current policy (for discrete actions, the
            expectation Σ_a π(a|s) log π(a|s)), shape ``[batch]``; treated as a constant.
        target_entropy: H̄.
    """
    return -(log_alpha * (logp.detach() + target_entropy)).mean()


def check_alpha(alpha) -> bool:
    """True if ``alpha`` asks for a learned entropy coefficient ('auto'), False for a fixed
    number; a UserError for anything else."""
    if isinstance(alpha, str) and alpha == "auto":
        return True
    if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha >= 0:
        return False
    raise UserError(f"alpha must be a number >= 0 (a fixed entropy coefficient, e.g. 0.2) or 'auto' "
                    f"(learned), not {alpha!r}.")


def default_target_entropy(action_space) -> float:
    """−dim(A) for Box actions; 0.5·log(n) for n discrete actions (half the uniform policy's entropy)."""
    if isinstance(action_space, gym.spaces.Discrete):
        return 0.5 * math.log(int(action_space.n))
    return -float(np.prod(action_space.shape))


class EntropyCoefficient(nn.Module):
    """The learned entropy coefficient, kept as ``log_alpha`` (so that α = exp(log α) > 0)."""

    def __init__(self, init: float = 1.0):
        super().__init__()
        self.log_alpha = nn.Parameter(torch.tensor(math.log(init)))


class SquashedGaussianMLPActor(nn.Module):
    """π(a|s) for Box actions: a Gaussian over u (mean and log-std from an MLP), squashed by tanh
    and mapped onto the action bounds [low, high] of each dimension.

    ``forward(obs, deterministic=False, with_logprob=True)`` returns ``(act, logp)``: a
    reparameterised sample (or tanh of the mean when ``deterministic``) and log π(a|s) of the
    tanh-squashed action, shape ``[batch]`` (None without ``with_logprob``). The log-probability
    is of the action in [−1, 1]^n; the constant log-Jacobian of the final affine map to the
    bounds is left out, as in the original.
    """

    def __init__(self, observation_space, act_low: np.ndarray, act_high: np.ndarray, hidden_sizes, activation,
                 encoder: str = "auto"):
        super().__init__()
        act_dim = len(act_low)
        self.flatten, obs_dim = obs_encoder(observation_space, encoder)
        self.net = mlp([obs_dim, *hidden_sizes], activation, activation)
        # The mean and log-std heads as one layer (one matrix product): outputs [mu, log_std]
        self.mu_log_std_layer = nn.Linear(hidden_sizes[-1], 2 * act_dim)
        center, half_range = bounds_to_affine(act_low, act_high)
        self.register_buffer("act_center", center)
        self.register_buffer("act_half_range", half_range)

    def forward(self, obs: torch.Tensor, deterministic: bool = False, with_logprob: bool = True):
        mu, log_std = self.mu_log_std_layer(self.net(self.flatten(obs))).chunk(2, dim=-1)
        if deterministic:
            return torch.addcmul(self.act_center, self.act_half_range, torch.tanh(mu)), None
        log_std = torch.clamp(log_std, LOG_STD_MIN, LOG_STD_MAX)
        eps = torch.randn_like(mu)
        u = torch.addcmul(mu, log_std.exp(), eps)  # u = μ + σ ε: the reparameterisation trick
        act = torch.addcmul(self.act_center, self.act_half_range, torch.tanh(u))
        if not with_logprob:
            return act, None
        # Gaussian log-density at u (with (u − μ)/σ = ε), then the tanh correction
        logp_u = -(0.5 * eps.square() + log_std).sum(dim=-1) - _HALF_LOG_2PI * u.shape[-1]
        return act, logp_u - tanh_squash_logp_correction(u)


class CategoricalMLPActor(nn.Module):
    """π(a|s) for Discrete actions: a softmax over the logits of an MLP.

    ``forward(obs, deterministic=False)`` returns ``(act, logp)`` for a sampled action (the most
    likely one when ``deterministic``), as action indices 0..n−1; ``probs(obs)`` returns the
    whole distribution ``(π(·|s), log π(·|s))``.
    """

    def __init__(self, observation_space, n_actions: int, hidden_sizes, activation, encoder: str = "auto"):
        super().__init__()
        self.flatten, obs_dim = obs_encoder(observation_space, encoder)
        self.logits_net = mlp([obs_dim, *hidden_sizes, n_actions], activation)

    def probs(self, obs: torch.Tensor):
        logp_all = F.log_softmax(self.logits_net(self.flatten(obs)), dim=-1)
        return logp_all.exp(), logp_all

    def forward(self, obs: torch.Tensor, deterministic: bool = False, with_logprob: bool = True):
        probs, logp_all = self.probs(obs)
        act = probs.argmax(dim=-1) if deterministic else torch.multinomial(probs, 1).squeeze(-1)
        logp = logp_all.gather(-1, act.unsqueeze(-1)).squeeze(-1) if with_logprob else None
        return act, logp


class MLPDiscreteTwinQFunction(nn.Module):
    """Two Q-functions Q1(s, ·), Q2(s, ·) with one output per discrete action.

    ``q(obs)`` returns every action's values ``(q1, q2)``, each ``[batch, n_actions]``;
    ``q(obs, act)`` those of the actions ``act`` (indices), each ``[batch]``. Underneath, both
    are one :class:`~spinup.utils.speed.EnsembleMLP`.
    """

    def __init__(self, observation_space, n_actions: int, hidden_sizes, activation, encoder: str = "auto"):
        super().__init__()
        self.flatten, obs_dim = obs_encoder(observation_space, encoder)
        self.q = EnsembleMLP(2, [obs_dim, *hidden_sizes, n_actions], activation)

    def forward(self, obs: torch.Tensor, act: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        q_all = self.q(self.flatten(obs))
        if act is not None:
            index = act.long().reshape(1, -1, 1).expand(q_all.shape[0], -1, 1)
            q_all = q_all.gather(-1, index).squeeze(-1)
        q1, q2 = q_all
        return q1, q2


class MLPActorCritic(nn.Module):
    """SAC's policy ``pi`` and twin critics ``q``, for Box or Discrete actions.

    For a Box action space: :class:`SquashedGaussianMLPActor` and Q-functions of (s, a). For a
    Discrete one: :class:`CategoricalMLPActor` and Q-functions with one output per action.

    Args:
        observation_space: a Box of any shape (flattened, or a CNN's features for pictures).
        action_space: a Box with finite bounds (any per-dimension bounds) or a Discrete space.
        hidden_sizes: hidden layer sizes of all networks. Default (256, 256).
        activation: activation class between layers. Default ``nn.ReLU``.
        encoder: what each network first makes of an observation
            (:func:`~spinup.algos.networks.obs_encoder`): ``'auto'`` (default: a CNN for pictures,
            else the flattened observation), ``'nature'``, ``'impala'`` or ``'flatten'``. The
            policy and the twin critics each have their own (Q1 and Q2 share theirs).
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(256, 256), activation=nn.ReLU,
                 encoder: str = "auto"):
        super().__init__()
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        self.obs_shape = tuple(observation_space.shape)
        if self.discrete:
            n_actions = int(action_space.n)
            self.act_start = int(action_space.start)  # Discrete(n, start=k) numbers actions k..k+n−1
            self.pi = CategoricalMLPActor(observation_space, n_actions, hidden_sizes, activation, encoder)
            self.q = MLPDiscreteTwinQFunction(observation_space, n_actions, hidden_sizes, activation, encoder)
        elif isinstance(action_space, gym.spaces.Box):
            act_low, act_high = box_bounds(action_space)
            self.act_shape = action_space.shape
            self.pi = SquashedGaussianMLPActor(observation_space, act_low, act_high, hidden_sizes, activation, encoder)
            self.q = MLPTwinQFunction(observation_space, len(act_low), hidden_sizes, activation, encoder)
        else:
            raise UserError(f"SAC needs a Box or Discrete action space, not {action_space}.")

    @torch.inference_mode()
    def act(self, obs, deterministic: bool = False):
        """An action for one observation: a numpy array of the action space's shape (Box), or an
        int (Discrete); or, for a batch ``[n, *obs_shape]``, one per row (``[n, *act_shape]``,
        or int64 ``[n]``). ``deterministic`` takes the mean (Box) or the most likely action."""
        obs = torch.as_tensor(obs, dtype=torch.float32).to(next(self.pi.parameters()).device)
        one = tuple(obs.shape) == self.obs_shape
        act, _ = self.pi(obs.unsqueeze(0) if one else obs, deterministic, with_logprob=False)
        act = act.cpu().numpy()
        if self.discrete:
            return int(act[0]) + self.act_start if one else act.astype(np.int64) + self.act_start
        return act.reshape(self.act_shape) if one else act.reshape(len(act), *self.act_shape)
