"""Exercise 1.3: TD3's loss functions.

TD3 (Fujimoto et al., 2018) is DDPG with three tricks against overestimated Q-values. Two of them
are in its losses, which you write here:

* clipped double-Q: two Q-functions learn from one target, built with the *smaller* of their two
  target-network values;
* target policy smoothing: the target action is the target policy's action plus clipped noise.

The third (updating the policy less often) and everything else (replay buffer, exploration,
target-network updates) are given in ``exercise1_3_auxiliary.py``.

The actor-critic ``ac`` (and its target copy ``ac_targ``) has:

* ``ac.pi(obs)``: the deterministic policy's actions, shape ``[batch, act_dim]``;
* ``ac.q(obs, act)``: both Q-functions, ``q1, q2 = ac.q(obs, act)``, each of shape ``[batch]``;
* ``ac.q.q1(obs, act)``: Q1 alone, shape ``[batch]``.

Check your answer:  python -m spinup.exercises.check 1.3   (add --train for a short training run)
"""

import torch  # noqa: F401  (you will need it)


def compute_loss_q(ac, ac_targ, data, gamma, target_noise, noise_clip, act_low, act_high, noise):
    """TD3's loss for the Q-functions: MSE(Q1, y) + MSE(Q2, y), where

        a'  = clip( mu_targ(s') + clip(target_noise * noise, -noise_clip, noise_clip), act_low, act_high )
        y   = r + gamma * (1 - d) * min( Q1_targ(s', a'), Q2_targ(s', a') )

    and MSE(Q, y) is the mean over the batch of (Q(s, a) - y)^2. The target y is a fixed label:
    no gradient should flow through it.

    Args:
        ac, ac_targ: the actor-critic and its target networks.
        data: a batch of transitions, a dict of tensors: ``obs`` [batch, obs_dim], ``act``
            [batch, act_dim], ``rew`` [batch], ``next_obs`` [batch, obs_dim], ``terminated``
            [batch] (d: 1.0 where next_obs is terminal, else 0.0).
        gamma: the discount factor.
        target_noise: the smoothing noise's standard deviation, in action units, shape [act_dim].
        noise_clip: the limit of the smoothing noise, in action units, shape [act_dim].
        act_low, act_high: the action bounds, shape [act_dim].
        noise: standard normal draws, shape [batch, act_dim]: use them (do not draw your own),
            so that the check can compare with the reference exactly.

    Returns:
        The loss, a scalar tensor.
    """
    # ---------------- YOUR CODE HERE (then delete the line below) ----------------
    raise NotImplementedError


def compute_loss_pi(ac, data):
    """TD3's loss for the policy: minus the mean over the batch of Q1(s, mu(s)) (Q1 only).

    Args:
        ac: the actor-critic.
        data: a batch of transitions (only ``obs`` is used).

    Returns:
        The loss, a scalar tensor.
    """
    # ---------------- YOUR CODE HERE (then delete the line below) ----------------
    raise NotImplementedError


if __name__ == "__main__":
    import sys

    from spinup.exercises.check import main

    raise SystemExit(main(["1.3", *sys.argv[1:]]))
