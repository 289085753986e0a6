"""VPG's maths. The networks and the GAE buffer are the on-policy ones shared with TRPO and PPO."""

from __future__ import annotations

import torch

from spinup.algos.onpolicy import (  # noqa: F401  (re-exported: vpg(actor_critic=core.MLPActorCritic))
    GAEBuffer,
    MLPActorCritic,
    approx_kl,
    discount_cumsum,
    gae_advantages,
    rewards_to_go,
)


def policy_gradient_objective(logp: torch.Tensor, adv: torch.Tensor) -> torch.Tensor:
    """The surrogate objective whose gradient is the policy gradient, to be maximised.

    .. math::
        L^{PG}(\\theta) = \\frac{1}{N} \\sum_t \\log \\pi_\\theta(a_t|s_t) \\, \\hat A_t ,
        \\qquad \\nabla_\\theta L^{PG} = \\hat g

    Args:
        logp: log-probabilities of the taken actions under the current policy (differentiable).
        adv: advantage estimates, treated as constants.
    """
    return (logp * adv).mean()
