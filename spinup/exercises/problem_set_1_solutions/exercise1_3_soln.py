"""Solution to exercise 1.3: TD3's loss functions (see ``problem_set_1/exercise1_3.py`` for the
arguments). Check it:  python -m spinup.exercises.check 1.3 --solution"""

import torch


def compute_loss_q(ac, ac_targ, data, gamma, target_noise, noise_clip, act_low, act_high, noise):
    """TD3's loss for the Q-functions: MSE(Q1, y) + MSE(Q2, y)."""
    obs, act, rew, next_obs, d = data["obs"], data["act"], data["rew"], data["next_obs"], data["terminated"]
    q1, q2 = ac.q(obs, act)

    # The Bellman target is a label: no gradient through it.
    with torch.no_grad():
        # Target policy smoothing: clipped noise on the target action, then back into bounds.
        eps = torch.clamp(target_noise * noise, -noise_clip, noise_clip)
        next_act = torch.clamp(ac_targ.pi(next_obs) + eps, act_low, act_high)
        # Clipped double-Q: the smaller of the two target values.
        q1_targ, q2_targ = ac_targ.q(next_obs, next_act)
        y = rew + gamma * (1 - d) * torch.min(q1_targ, q2_targ)

    return ((q1 - y) ** 2).mean() + ((q2 - y) ** 2).mean()


def compute_loss_pi(ac, data):
    """TD3's loss for the policy: -mean Q1(s, mu(s))."""
    obs = data["obs"]
    q1_pi, _ = ac.q(obs, ac.pi(obs))
    return -q1_pi.mean()
