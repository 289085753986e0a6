"""TRPO's and NPG's maths: the surrogate advantage, the analytic KL between two policies, the
Fisher-vector product, conjugate gradient, the step size from the KL limit, and the backtracking
line search. The networks and the GAE buffer are the on-policy ones shared with VPG and PPO.

Every function works on flat parameter vectors (``flat_params``, from :mod:`spinup.utils.flat`), which is how the natural
gradient maths is written: theta is one vector, H one matrix over it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch.distributions import Categorical, Normal

from spinup.algos.onpolicy import (  # noqa: F401  (re-exported: trpo(actor_critic=core.MLPActorCritic))
    GAEBuffer,
    MLPActorCritic,
    discount_cumsum,
    gae_advantages,
    rewards_to_go,
)
from spinup.utils.flat import flat_params, set_flat_params  # noqa: F401  (used as core.flat_params)


def surrogate_advantage(logp: torch.Tensor, logp_old: torch.Tensor, adv: torch.Tensor) -> torch.Tensor:
    """TRPO's surrogate advantage, to be maximised; its gradient at the old policy is the policy gradient.

    .. math::
        \\mathcal{L}(\\theta_k, \\theta) = \\mathbb{E}_t\\left[
        \\frac{\\pi_\\theta(a_t|s_t)}{\\pi_{\\theta_k}(a_t|s_t)} \\hat A_t \\right]

    Args:
        logp: log-probabilities of the taken actions under the policy being evaluated.
        logp_old: the same under the policy that collected the data.
        adv: advantage estimates.
    """
    return (torch.exp(logp - logp_old) * adv).mean()


def gaussian_kl(mu_old: torch.Tensor, log_std_old: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """The mean over the batch of KL(old || new) between diagonal Gaussian policies, in closed form.

    .. math::
        D_{KL} = \\sum_i \\left[ \\log\\sigma_i - \\log\\sigma_{old,i}
        + \\frac{\\sigma_{old,i}^2 + (\\mu_{old,i} - \\mu_i)^2}{2\\sigma_i^2} - \\frac{1}{2} \\right]

    Args:
        mu_old, log_std_old: means ``[batch, act_dim]`` and log standard deviations (``[act_dim]``
            or ``[batch, act_dim]``) of the old policy.
        mu, log_std: the same for the new policy.
    """
    var_old, var = torch.exp(2 * log_std_old), torch.exp(2 * log_std)
    kl = log_std - log_std_old + (var_old + (mu_old - mu) ** 2) / (2 * var) - 0.5
    return kl.sum(dim=-1).mean()


def categorical_kl(logp_old_all: torch.Tensor, logp_all: torch.Tensor) -> torch.Tensor:
    """The mean over the batch of KL(old || new) between categorical policies, in closed form.

    .. math:: D_{KL} = \\sum_a \\pi_{old}(a|s) \\left[\\log \\pi_{old}(a|s) - \\log \\pi(a|s)\\right]

    Args:
        logp_old_all: log-probabilities of every action under the old policy, ``[batch, n]``
            (normalised: each row's exponentials sum to 1).
        logp_all: the same under the new policy.
    """
    return (torch.exp(logp_old_all) * (logp_old_all - logp_all)).sum(dim=-1).mean()


def mean_kl(pi_old, pi) -> torch.Tensor:
    """:math:`\\bar D_{KL}(\\pi_{old} \\| \\pi)` for two torch distributions of the same kind over a
    batch of states: :func:`gaussian_kl` for ``Normal``, :func:`categorical_kl` for ``Categorical``."""
    if isinstance(pi, Normal):
        return gaussian_kl(pi_old.loc, torch.log(pi_old.scale), pi.loc, torch.log(pi.scale))
    if isinstance(pi, Categorical):
        return categorical_kl(pi_old.logits, pi.logits)  # torch keeps .logits normalised
    raise TypeError(f"TRPO's analytic KL supports Normal and Categorical policies, not {type(pi).__name__}.")


# ---------------------------------------------------------------------------------------------
# Flat parameter vectors


def flat_grad(y: torch.Tensor, params: Iterable[torch.Tensor], create_graph: bool = False) -> torch.Tensor:
    """The gradient of the scalar ``y`` with respect to ``params``, as one vector."""
    grads = torch.autograd.grad(y, list(params), create_graph=create_graph, retain_graph=True)
    return torch.cat([g.reshape(-1) for g in grads])


# ---------------------------------------------------------------------------------------------
# The natural gradient step


def fisher_vector_product(kl_grad: torch.Tensor, params: Iterable[torch.Tensor], v: torch.Tensor,
                          damping_coeff: float) -> torch.Tensor:
    """The damped Fisher-vector product :math:`(H + \\beta I)\\, v`, never forming ``H``.

    ``H`` is the Hessian of the mean KL at the old parameters, which equals the Fisher information
    matrix there; its product with ``v`` is a second differentiation:

    .. math:: H v = \\nabla_\\theta \\left( (\\nabla_\\theta \\bar D_{KL})^\\top v \\right)

    Args:
        kl_grad: :math:`\\nabla_\\theta \\bar D_{KL}` as a flat vector, computed with
            ``create_graph=True`` (see :func:`flat_grad`), so that it can be differentiated again.
        params: the parameters it was differentiated with respect to.
        v: a flat vector.
        damping_coeff: beta, added for numerical stability (typically 0.01 to 0.1).
    """
    return flat_grad(kl_grad @ v, params) + damping_coeff * v


def conjugate_gradient(Avp: Callable[[torch.Tensor], torch.Tensor], b: torch.Tensor, iters: int = 10,
                       residual_tol: float = 1e-10) -> torch.Tensor:
    """An approximate solution of ``A x = b`` for symmetric positive-definite ``A``, by the
    conjugate gradient method, using only products ``Avp(v) = A v``.

    TRPO calls it with ``A = H`` (the Fisher-vector product) and ``b = g`` (the policy gradient),
    so ``x`` approximates the natural gradient :math:`H^{-1} g`. Starts from ``x = 0``; stops after
    ``iters`` iterations (``cg_iters``; exact after ``len(b)`` in exact arithmetic) or once the
    squared residual falls below ``residual_tol``.
    """
    x = torch.zeros_like(b)
    r = b.clone()  # residual b - A x
    p = b.clone()  # search direction
    r_dot_old = r @ r
    for _ in range(iters):
        if r_dot_old <= residual_tol:
            break
        Ap = Avp(p)
        alpha = r_dot_old / (p @ Ap)
        x += alpha * p
        r -= alpha * Ap
        r_dot_new = r @ r
        p = r + (r_dot_new / r_dot_old) * p
        r_dot_old = r_dot_new
    return x


def natural_step_size(x: torch.Tensor, Hx: torch.Tensor, delta: float) -> float:
    """The step length that makes the quadratic KL model equal ``delta``.

    .. math:: \\alpha = \\sqrt{\\frac{2\\delta}{x^\\top H x}}

    so that :math:`\\tfrac12 (\\alpha x)^\\top H (\\alpha x) = \\delta`. A tiny constant guards
    against division by zero.
    """
    return math.sqrt(2 * delta / (float(x @ Hx) + 1e-8))


def backtracking_line_search(evaluate: Callable[[torch.Tensor], tuple[float, float]], theta_old: torch.Tensor,
                             full_step: torch.Tensor, loss_old: float, delta: float,
                             backtrack_coeff: float = 0.8, backtrack_iters: int = 10,
                             log: Callable[[str], None] = print) -> tuple[int, float, float]:
    """TRPO's backtracking line search along the natural gradient step.

    Tries :math:`\\theta = \\theta_{old} - \\alpha^j \\, \\mathrm{full\\_step}` for
    ``j = 0, 1, ..., backtrack_iters - 1`` (``alpha`` = ``backtrack_coeff``) and accepts the first
    one whose mean KL from the old policy is at most ``delta`` *and* whose loss (the negated
    surrogate advantage) is no higher than ``loss_old``. If none qualifies, the old parameters
    are put back.

    Args:
        evaluate: sets the policy's parameters to the given flat vector and returns
            ``(loss, kl)`` there (averaged over MPI processes, so every process decides alike).
        theta_old: the parameters before the update.
        full_step: the step ``sqrt(2 delta / x^T H x) x`` that descends the loss.
        loss_old: the loss at ``theta_old``.
        delta: the KL limit.
        backtrack_coeff: the factor by which each try shrinks the step, in (0, 1). Default 0.8.
        backtrack_iters: the number of tries. Default 10.
        log: where to report the outcome.

    Returns:
        ``(j, loss, kl)``: the accepted try (``backtrack_iters`` if none was accepted) and the loss
        and KL of the parameters kept (0 KL when the old ones were restored).
    """
    for j in range(backtrack_iters):
        loss, kl = evaluate(theta_old - backtrack_coeff**j * full_step)
        if kl <= delta and loss <= loss_old:
            log(f"Accepting new params at step {j} of line search.")
            return j, loss, kl
    log("Line search failed! Keeping old params.")
    loss, kl = evaluate(theta_old)
    return backtrack_iters, loss, kl
