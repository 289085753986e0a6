"""Pieces shared by the off-policy algorithms (DDPG, TD3, SAC, DQN): the replay buffer, the
polyak (moving-average) update of target networks, space checks, the fused ensemble of MLPs
behind the twin Q-functions, and the test episodes run at each epoch's end."""

from __future__ import annotations

import json
from contextlib import contextmanager

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

from spinup.utils import checkpoint
from spinup.utils.errors import UserError


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
        # Observations of any Box shape are stored flattened.
        self.obs[i] = np.ravel(obs)
        self.act[i] = act
        self.rew[i] = rew
        self.next_obs[i] = np.ravel(next_obs)
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


def parameter_list(module: nn.Module) -> list[nn.Parameter]:
    """``list(module.parameters())``, kept on the module after the first call: walking the
    submodules costs about 15 µs per call, half of a polyak update of TD3's networks (measured).
    A deep copy of the module copies the list along with the parameters it names."""
    params = module.__dict__.get("_parameter_list")
    if params is None:
        params = module.__dict__["_parameter_list"] = list(module.parameters())
    return params


@torch.no_grad()
def polyak_update(net: torch.nn.Module, net_targ: torch.nn.Module, polyak: float) -> None:
    """Move the target network toward the main one: θ_targ ← ρ θ_targ + (1 − ρ) θ, with ρ = ``polyak``.

    One fused call over all parameters (``torch._foreach_lerp_``) instead of a Python loop.
    """
    torch._foreach_lerp_(parameter_list(net_targ), parameter_list(net), 1.0 - polyak)


class FusedAdam(torch.optim.Adam):
    """``torch.optim.Adam(params, lr, fused=True)`` with a leaner ``step`` and ``zero_grad``.

    Once the optimizer's state exists, ``step`` calls the same fused kernel directly: the same
    arithmetic and the same ``state_dict``, without ``Adam.step``'s bookkeeping (profiler hooks,
    grouping tensors by device), which costs as much as the kernel itself for these networks
    (about 90 µs against 50 µs per step for a (256, 256) Q-network on 1 CPU thread; measured in
    benchmarks/results/offpolicy_throughput.md).
    Step hooks (``register_step_pre_hook``) are not called.
    """

    def __init__(self, params, lr: float):
        super().__init__(params, lr=lr, fused=True)
        self._state_lists = None

    def load_state_dict(self, state_dict) -> None:
        super().load_state_dict(state_dict)
        self._state_lists = None  # the state tensors were replaced

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            return super().zero_grad(set_to_none=False)
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    @torch.no_grad()
    def step(self, closure=None):
        group = self.param_groups[0]
        params = group["params"]
        grads = [p.grad for p in params]
        if (self._state_lists is None or closure is not None or len(self.param_groups) != 1
                or any(g is None for g in grads)):
            # The general path: it also creates the state on the first step
            loss = super().step(closure)
            simple = not (len(self.param_groups) != 1 or group["amsgrad"] or group["maximize"] or group["weight_decay"])
            if simple and all(p in self.state for p in params):
                self._state_lists = [[self.state[p][k] for p in params] for k in ("exp_avg", "exp_avg_sq", "step")]
            return loss
        exp_avgs, exp_avg_sqs, steps = self._state_lists
        torch._foreach_add_(steps, 1)
        beta1, beta2 = group["betas"]
        torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                           beta1=beta1, beta2=beta2, weight_decay=0.0, eps=group["eps"], maximize=False)

    # torch.optim.Optimizer wraps every subclass's `step` in a profiler label and hook calls (most
    # of the 40 µs above) unless the method says it is already wrapped; these optimizers use no hooks
    step.hooked = True


# ---------------------------------------------------------------------------------------------
# Spaces, networks and test episodes shared by DDPG, TD3 and SAC (added after the buffer).


def flat_obs_dim(observation_space) -> int:
    """The size of a flattened observation; any Box shape is accepted, other spaces are refused."""
    if not isinstance(observation_space, gym.spaces.Box):
        raise UserError(
            f"The off-policy algorithms need Box observations (of any shape), but this environment "
            f"has {observation_space}. Wrap it (e.g. gymnasium.wrappers.FlattenObservation for a "
            "Dict space) or pick another environment."
        )
    return int(np.prod(observation_space.shape))


def box_bounds(action_space) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` of a Box action space as flat float32 arrays, refusing infinite bounds."""
    low = np.asarray(action_space.low, dtype=np.float32).reshape(-1)
    high = np.asarray(action_space.high, dtype=np.float32).reshape(-1)
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise UserError(
            f"The action space {action_space} has infinite bounds; DDPG, TD3 and SAC squash actions "
            "into the Box's bounds and need them finite. Wrap the environment with "
            "gymnasium.wrappers.RescaleAction or ClipAction to give it finite bounds."
        )
    return low, high


def mlp(sizes, activation, output_activation=nn.Identity) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (``output_activation`` last)."""
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


class EnsembleLinear(nn.Module):
    """``n`` independent linear layers applied in one batched matrix product (``torch.baddbmm``).

    Weights have shape ``[n, in, out]`` and each member is initialised like ``nn.Linear``.
    Input ``[n, batch, in]`` (or ``[batch, in]``, shared by all members); output ``[n, batch, out]``.
    """

    def __init__(self, n: int, in_features: int, out_features: int):
        super().__init__()
        bound = 1.0 / np.sqrt(in_features)  # nn.Linear's default initialisation
        self.weight = nn.Parameter(torch.empty(n, in_features, out_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n, 1, out_features).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor, members: slice = slice(None)) -> torch.Tensor:
        if members == slice(None):
            weight, bias = self.weight, self.bias  # no slicing: its backward would copy the gradients
        else:
            weight, bias = self.weight[members], self.bias[members]
        if weight.shape[-1] == 1:
            # One output (a Q-value): multiply and sum, about 3x faster than a bmm with N = 1
            return torch.sum(x * weight.transpose(-1, -2), dim=-1, keepdim=True) + bias
        if x.dim() == 2:
            x = x.expand(weight.shape[0], *x.shape)
        return torch.baddbmm(bias, x, weight)


class EnsembleMLP(nn.Module):
    """``n`` MLPs with identical shapes evaluated together: one batched call per layer instead of
    one call per layer per member. Used for the twin Q-functions of TD3 and SAC.

    Args:
        n: number of members (2 for Q1, Q2).
        sizes: layer sizes, input first.
        activation: activation class between layers (none after the last).
    """

    def __init__(self, n: int, sizes, activation):
        super().__init__()
        self.layers = nn.ModuleList(EnsembleLinear(n, i, o) for i, o in zip(sizes[:-1], sizes[1:]))
        self.activation = activation()

    def forward(self, x: torch.Tensor, members: slice = slice(None)) -> torch.Tensor:
        """Outputs of the chosen members (all by default), shape ``[members, batch, out]``."""
        *hidden, output = self.layers  # (slicing a ModuleList builds a new one: 10 µs, measured)
        for layer in hidden:
            x = self.activation(layer(x, members))
        return output(x, members)


@contextmanager
def frozen(module: nn.Module):
    """Inside this block, ``module``'s parameters get no gradients (autograd skips them).

    Used in the policy step: the loss goes through the Q-networks, but only the policy is
    being improved, so computing the Q-parameters' gradients would be wasted work.
    """
    params = [p for p in parameter_list(module) if p.requires_grad]
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


def bounds_to_affine(low: np.ndarray, high: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``(center, half_range)`` such that ``center + half_range * x`` maps x in [−1, 1] onto
    [low, high], dimension by dimension (bounds need not be symmetric nor equal)."""
    low_t, high_t = torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high, dtype=torch.float32)
    return (high_t + low_t) / 2, (high_t - low_t) / 2


# ---------------------------------------------------------------------------------------------
# The resume checkpoint of DDPG, TD3 and SAC. Their episodes run across epoch boundaries, so it
# also holds the episode in progress (the environment's state and the current observation).


def save_checkpoint(logger, epoch, t, elapsed, env, test_env, rng, obs, ep_ret, ep_len, replay_buffer,
                    modules, algo=None):
    """Write ``resume.pt``: the state dicts of ``modules`` (networks and optimizers), the counters,
    every random state, the episode in progress, if given the replay buffer, and the algorithm's
    name and environment for resume's checks."""
    state = {name: m.state_dict() for name, m in modules.items()}
    state.update(
        epoch=epoch, t=t, elapsed=elapsed, algo=algo, **checkpoint.env_identity(env),
        rng=json.dumps(rng.bit_generator.state),
        global_rng=checkpoint.global_rng_state(),
        env_rng=checkpoint.env_rng_state(env),
        test_env_rng=checkpoint.env_rng_state(test_env),
        env_state=checkpoint.env_state(env),
        obs=torch.as_tensor(obs), ep_ret=float(ep_ret), ep_len=int(ep_len),
    )
    if replay_buffer is not None:
        state["buffer"] = replay_buffer.state_dict()
    checkpoint.save_resume_checkpoint(logger.output_dir, state)


def restore(run_dir, logger, env, test_env, rng, replay_buffer, modules, algo=None):
    """Load ``resume.pt`` from ``run_dir`` into ``modules``, the random states, the environments
    and (if it was saved) the replay buffer. Returns the checkpoint, with ``obs`` set to None
    when the episode in progress could not be restored. Refuses, before anything is written,
    another algorithm or environment, networks of another shape, or a ``progress.txt`` shorter
    than the checkpoint."""
    state = checkpoint.load_resume_checkpoint(run_dir)
    checkpoint.check_resume_matches(run_dir, state, algo, env, modules)
    for name, m in modules.items():
        m.load_state_dict(state[name])
    rng.bit_generator.state = json.loads(state["rng"])
    checkpoint.set_global_rng_state(state["global_rng"])
    restored = checkpoint.set_env_state(env, state["env_state"])
    checkpoint.set_env_rng_state(env, state["env_rng"])
    checkpoint.set_env_rng_state(test_env, state["test_env_rng"])
    if "buffer" in state:
        replay_buffer.load_state_dict(state["buffer"])
    state["obs"] = state["obs"].numpy() if restored else None
    logger.restore_progress(state["epoch"])
    logger.log(f"Resuming from {run_dir} after epoch {state['epoch']} (step {state['t']}).")
    if not restored:
        logger.log("Warning: the environment's episode in progress could not be saved, so the "
                   "resumed run starts a new episode; it will not match an uninterrupted run exactly.",
                   "yellow")
    if "buffer" not in state:
        logger.log("Note: the replay buffer was not saved (save_buffer=False), so the resumed run "
                   "starts with an empty buffer and will differ from an uninterrupted run.", "yellow")
    return state
