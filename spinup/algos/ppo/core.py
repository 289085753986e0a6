"""PPO's networks and maths. The networks are the on-policy actor-critic shared with VPG and TRPO."""

from __future__ import annotations

import torch

from spinup.algos.onpolicy import (  # noqa: F401  (re-exported: ppo(actor_critic=core.MLPActorCritic))
    GAEBuffer,
    MLPActorCritic,
    approx_kl,
    discount_cumsum,
    gae_advantages,
    rewards_to_go,
)


def ppo_clip_objective(logp: torch.Tensor, logp_old: torch.Tensor, adv: torch.Tensor, clip_ratio: float) -> torch.Tensor:
    """PPO-Clip's surrogate objective, to be maximised.

    .. math::
        L^{CLIP}(\\theta) = \\mathbb{E}_t\\left[\\min\\left(\\rho_t(\\theta) \\hat A_t,\\;
        \\mathrm{clip}(\\rho_t(\\theta), 1-\\epsilon, 1+\\epsilon)\\, \\hat A_t\\right)\\right],
        \\qquad \\rho_t(\\theta) = \\frac{\\pi_\\theta(a_t|s_t)}{\\pi_{\\theta_{old}}(a_t|s_t)}

    Args:
        logp: log-probabilities of the taken actions under the current policy.
        logp_old: the same under the policy that collected the data.
        adv: advantage estimates.
        clip_ratio: epsilon, how far the probability ratio may move (typically 0.1 to 0.3).
    """
    ratio = torch.exp(logp - logp_old)
    clipped = torch.clamp(ratio, 1 - clip_ratio, 1 + clip_ratio) * adv
    return torch.min(ratio * adv, clipped).mean()


def clip_fraction(logp: torch.Tensor, logp_old: torch.Tensor, clip_ratio: float) -> torch.Tensor:
    """The fraction of samples whose probability ratio lies outside ``[1 - eps, 1 + eps]``."""
    ratio = torch.exp(logp - logp_old)
    return ((ratio > 1 + clip_ratio) | (ratio < 1 - clip_ratio)).float().mean()
