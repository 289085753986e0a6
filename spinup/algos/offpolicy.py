"""What the off-policy algorithms (DDPG, TD3, SAC, DQN) share: the replay buffer, the polyak
(moving-average) update of target networks, freezing the critics during the policy step, and the
test episodes run at each epoch's end."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch
import torch.nn as nn

from spinup.algos.networks import is_image_space, obs_storage_dtype
from spinup.utils.speed import lerp_, parameters_of
from spinup.utils.vector_envs import single_spec


class ReplayBuffer:
    """A first-in-first-out store of transitions ``(obs, act, rew, next_obs, terminated)``.

    ``terminated`` is 1.0 only when the episode really ended (the MDP's terminal state); a time
    limit is a truncation and is stored as 0.0, so the target still bootstraps from ``next_obs``.
    ``next_obs`` is the observation the step really reached, never the first observation of the
    next episode (see :func:`spinup.utils.vector_envs.final_observations`), so no transition
    spans two episodes.

    Args:
        obs_shape: shape of an observation.
        act_shape: shape of an action; ``()`` for a discrete action, stored as its integer index.
        size: capacity; the oldest transitions are overwritten once it is full.
        device: where the transitions live and batches are returned (``'cpu'`` by default; on a
            GPU, sampled batches need no copy to the device).
        obs_dtype: how observations are stored: float32, or uint8 for pictures
            (:func:`~spinup.algos.networks.obs_storage_dtype`).
    """

    KEYS = ("obs", "act", "rew", "next_obs", "terminated")

    def __init__(self, obs_shape: tuple, act_shape: tuple, size: int, device: torch.device | str = "cpu",
                 obs_dtype: type = np.float32):
        self.device = torch.device(device)
        act_dtype = torch.float32 if act_shape else torch.int64
        obs_dtype = torch.uint8 if obs_dtype == np.uint8 else torch.float32
        shapes = dict(obs=(obs_shape, obs_dtype), act=(act_shape, act_dtype), rew=((), torch.float32),
                      next_obs=(obs_shape, obs_dtype), terminated=((), torch.float32))
        self.tensors = {k: torch.zeros((size, *shape), dtype=dtype, device=self.device)
                        for k, (shape, dtype) in shapes.items()}
        # On the CPU, NumPy views of the same memory: storing and indexing in NumPy is faster
        self.on_cpu = self.device.type == "cpu"
        if self.on_cpu:
            self.obs, self.act, self.rew, self.next_obs, self.terminated = (self.tensors[k].numpy() for k in self.KEYS)
        self.ptr, self.size, self.max_size = 0, 0, size

    def store(self, obs, act, rew, next_obs, terminated) -> None:
        """Store one transition."""
        self.store_batch(*(np.asarray(v)[None] for v in (obs, act, rew, next_obs, terminated)))

    def store_batch(self, obs, act, rew, next_obs, terminated, done=None) -> None:
        """Store ``n`` transitions at once, one per environment copy (arrays with a leading
        dimension ``n``). ``done`` (the copies whose episode ended) is for the frame buffer's
        sake (:func:`make_replay_buffer`); this buffer does not need it."""
        n = len(rew)
        if n == 1:
            idx = slice(self.ptr, self.ptr + 1)
        else:
            idx = (self.ptr + np.arange(n)) % self.max_size
        values = (obs, act, rew, next_obs, terminated)
        if self.on_cpu:
            for key, value in zip(self.KEYS, values):
                getattr(self, key)[idx] = value
        else:
            if n > 1:
                idx = torch.as_tensor(idx, device=self.device)
            for key, value in zip(self.KEYS, values):
                tensor = self.tensors[key]
                tensor[idx] = torch.as_tensor(value, dtype=tensor.dtype).to(self.device)
        self.ptr = (self.ptr + n) % self.max_size
        self.size = min(self.size + n, self.max_size)

    def sample_batch(self, batch_size: int, rng: np.random.Generator) -> dict:
        """A batch drawn uniformly (with replacement) from the stored transitions, as tensors on
        the buffer's device.

        ``rng`` is the algorithm's own generator, so that its state can be checkpointed (and the
        same transitions are drawn on any device).
        """
        idxs = rng.integers(0, self.size, size=batch_size)
        if self.on_cpu:
            return {key: torch.from_numpy(getattr(self, key)[idxs]) for key in self.KEYS}
        idxs = torch.as_tensor(idxs, device=self.device)
        return {key: tensor[idxs] for key, tensor in self.tensors.items()}

    # For the resume checkpoint: only the filled part is saved, on the CPU.
    def state_dict(self) -> dict:
        n = self.size
        state = {key: tensor[:n].detach().to("cpu", copy=True) for key, tensor in self.tensors.items()}
        return dict(state, ptr=self.ptr, size=self.size)

    def load_state_dict(self, state: dict) -> None:
        n = state["size"]
        for key, tensor in self.tensors.items():
            tensor[:n] = state[key].to(self.device)
        self.ptr, self.size = state["ptr"], n


def frame_stack_size(envs) -> int | None:
    """``k`` when each copy's observation is the stack of its last ``k`` frames, made by
    Gymnasium's ``FrameStackObservation`` as the last change to the observation (as in
    :func:`spinup.utils.atari.make_atari`); else None."""
    spec = single_spec(envs)
    for wrapper in reversed(getattr(spec, "additional_wrappers", None) or ()):
        if wrapper.name == "TimeLimit":  # does not touch observations
            continue
        kwargs = wrapper.kwargs or {}
        if wrapper.name == "FrameStackObservation" and kwargs.get("padding_type", "reset") == "reset":
            return int(kwargs["stack_size"])
        return None
    return None


def make_replay_buffer(envs, act_shape: tuple, size: int, device: torch.device | str = "cpu"):
    """The replay buffer for ``envs``' observations: for stacks of picture frames (Atari) and
    discrete actions, a :class:`~spinup.algos.frame_buffer.FrameReplayBuffer`, which keeps each
    frame once instead of 2k times; otherwise a :class:`ReplayBuffer` (pictures in it stay uint8)."""
    space = envs.single_observation_space
    frames = is_image_space(space) and len(space.shape) == 3 and frame_stack_size(envs) == space.shape[0]
    if frames and act_shape == ():  # the frame buffer stores discrete actions (DQN, discrete SAC)
        from spinup.algos.frame_buffer import FrameReplayBuffer

        return FrameReplayBuffer(space.shape, size, envs.num_envs, device)
    return ReplayBuffer(space.shape, act_shape, size, device, obs_storage_dtype(space))


def one_action_per_copy(act, num_envs: int, act_shape: tuple) -> np.ndarray:
    """The actions an actor-critic's ``act`` returned for a batch of observations, as
    ``[num_envs, *act_shape]``. An actor-critic written for one observation at a time (as the
    original Spinning Up's were) returns its one action without the copies' dimension, which
    with one copy is still the whole batch."""
    return np.reshape(act, (num_envs, *act_shape))


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
