"""What the off-policy algorithms (DDPG, TD3, SAC, DQN) share: the replay buffer, the polyak
(moving-average) update of target networks, freezing the critics during the policy step, and the
test episodes run at each epoch's end."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
import torch.nn as nn

from spinup.utils.speed import lerp_, parameters_of


class ReplayBuffer:
    """A first-in-first-out store of transitions ``(obs, act, rew, next_obs, terminated)``.

    ``terminated`` is 1.0 only when the episode really ended (the MDP's terminal state); a time
    limit is a truncation and is stored as 0.0, so the target still bootstraps from ``next_obs``.

    Args:
        obs_shape: shape of an observation.
        act_shape: shape of an action; ``()`` for a discrete action, stored as its integer index.
        size: capacity; the oldest transitions are overwritten once it is full.
    """

    def __init__(self, obs_shape: tuple, act_shape: tuple, size: int):
        self.obs = np.zeros((size, *obs_shape), dtype=np.float32)
        self.next_obs = np.zeros((size, *obs_shape), dtype=np.float32)
        self.act = np.zeros((size, *act_shape), dtype=np.float32 if act_shape else np.int64)
        self.rew = np.zeros(size, dtype=np.float32)
        self.terminated = np.zeros(size, dtype=np.float32)
        self.ptr, self.size, self.max_size = 0, 0, size

    def store(self, obs, act, rew, next_obs, terminated) -> None:
        i = self.ptr
        self.obs[i] = obs
        self.act[i] = act
        self.rew[i] = rew
        self.next_obs[i] = next_obs
        self.terminated[i] = terminated
        self.ptr = (i + 1) % self.max_size
        self.size = min(self.size + 1, self.max_size)

    def sample_batch(self, batch_size: int, rng: np.random.Generator) -> dict:
        """A batch drawn uniformly (with replacement) from the stored transitions, as tensors.

        ``rng`` is the algorithm's own generator, so that its state can be checkpointed.
        """
        idxs = rng.integers(0, self.size, size=batch_size)
        return dict(
            obs=torch.from_numpy(self.obs[idxs]),
            act=torch.from_numpy(self.act[idxs]),
            rew=torch.from_numpy(self.rew[idxs]),
            next_obs=torch.from_numpy(self.next_obs[idxs]),
            terminated=torch.from_numpy(self.terminated[idxs]),
        )

    # For the resume checkpoint: only the filled part is saved.
    def state_dict(self) -> dict:
        n = self.size
        return dict(
            obs=torch.from_numpy(self.obs[:n].copy()),
            act=torch.from_numpy(self.act[:n].copy()),
            rew=torch.from_numpy(self.rew[:n].copy()),
            next_obs=torch.from_numpy(self.next_obs[:n].copy()),
            terminated=torch.from_numpy(self.terminated[:n].copy()),
            ptr=self.ptr,
            size=self.size,
        )

    def load_state_dict(self, state: dict) -> None:
        n = state["size"]
        for key in ("obs", "act", "rew", "next_obs", "terminated"):
            getattr(self, key)[:n] = state[key].numpy()
        self.ptr, self.size = state["ptr"], n


@torch.no_grad()
def polyak_update(net: torch.nn.Module, net_targ: torch.nn.Module, polyak: float) -> None:
    """Move the target network toward the main one: θ_targ ← ρ θ_targ + (1 − ρ) θ, with ρ = ``polyak``.

    (θ_targ moves the fraction 1 − ρ of the way to θ: a linear interpolation, in one call for all
    parameters.)
    """
    lerp_(parameters_of(net_targ), parameters_of(net), 1.0 - polyak)


@contextmanager
def frozen(module: nn.Module):
    """Inside this block, ``module``'s parameters get no gradients (autograd skips them).

    Used in the policy step: the loss goes through the Q-networks, but only the policy is
    being improved, so computing the Q-parameters' gradients would be wasted work.
    """
    params = [p for p in parameters_of(module) if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def run_test_episodes(test_env, act, num_episodes: int, max_ep_len: int, logger) -> None:
    """Run ``num_episodes`` episodes on ``test_env`` choosing actions with ``act(obs)`` (normally
    the deterministic policy), each capped at ``max_ep_len`` steps; store ``TestEpRet`` and
    ``TestEpLen`` in ``logger`` for each. ``act`` receives the observation as a float32 tensor,
    as an actor-critic's ``act`` does."""
    for _ in range(num_episodes):
        (obs, _), done, ep_ret, ep_len = test_env.reset(), False, 0.0, 0
        while not done:
            obs, rew, terminated, truncated, _ = test_env.step(act(torch.as_tensor(obs, dtype=torch.float32)))
            ep_ret += rew
            ep_len += 1
            done = terminated or truncated or ep_len == max_ep_len
        logger.store(TestEpRet=ep_ret, TestEpLen=ep_len)
