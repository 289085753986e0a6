"""Pieces shared by the off-policy algorithms (DDPG, TD3, SAC, DQN): the replay buffer and the
polyak (moving-average) update of target networks."""

from __future__ import annotations

import numpy as np
import torch


class ReplayBuffer:
    """A first-in-first-out store of transitions ``(obs, act, rew, next_obs, terminated)``.

    ``terminated`` is 1.0 only when the episode really ended (the MDP's terminal state); a time
    limit is a truncation and is stored as 0.0, so the target still bootstraps from ``next_obs``.

    Args:
        obs_dim: size of a (flattened) observation.
        act_dim: size of an action (0 for a discrete action, stored as one integer index).
        size: capacity; the oldest transitions are overwritten once it is full.
    """

    def __init__(self, obs_dim: int, act_dim: int, size: int):
        self.obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.act = np.zeros((size, act_dim) if act_dim else (size,), dtype=np.float32 if act_dim else np.int64)
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

    One fused call over all parameters (``torch._foreach_lerp_``) instead of a Python loop.
    """
    targ = list(net_targ.parameters())
    src = list(net.parameters())
    torch._foreach_lerp_(targ, src, 1.0 - polyak)
