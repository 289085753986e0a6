"""What the on-policy algorithms (VPG, TRPO, PPO) share: the maths of returns and advantages
(discounted sums, GAE-Lambda, rewards-to-go), the actor-critic, the buffer that turns one epoch
of experience into advantages and returns, and the warning when a process's share of an epoch
ends no episode."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
from gymnasium.spaces import Box, Discrete

from spinup.algos.networks import MLPCategoricalActor, MLPCritic, MLPGaussianActor, obs_encoder
from spinup.utils.errors import UserError
from spinup.utils.mpi_tools import mpi_statistics_scalar, num_procs
from spinup.utils.speed import (
    NumpyMLP,
    NumpyView,
    faster_activation,
    flat_float32,
    sample_categorical,
    sample_gaussian,
)

# ---------------------------------------------------------------------------------------------
# The maths


def discount_cumsum(x: np.ndarray, discount: float) -> np.ndarray:
    """Discounted cumulative sums: ``y[t] = x[t] + discount * x[t+1] + discount**2 * x[t+2] + ...``.

    Computed backwards in one pass: ``y[t] = x[t] + discount * y[t+1]``.
    """
    y = np.zeros(len(x), dtype=np.float64)
    running = 0.0
    for t in range(len(x) - 1, -1, -1):
        running = x[t] + discount * running
        y[t] = running
    return y


def gae_advantages(rews: np.ndarray, vals: np.ndarray, last_val: float, gamma: float, lam: float) -> np.ndarray:
    """Generalized Advantage Estimation (GAE-Lambda) for one trajectory segment.

    .. math::
        \\delta_t = r_t + \\gamma V(s_{t+1}) - V(s_t), \\qquad
        \\hat A_t = \\sum_{l \\ge 0} (\\gamma \\lambda)^l \\delta_{t+l}

    Args:
        rews: rewards ``r_0 .. r_{T-1}``.
        vals: value estimates ``V(s_0) .. V(s_{T-1})``.
        last_val: ``V(s_T)`` if the segment was cut off (time limit or end of epoch), 0 if the
            episode terminated.
        gamma: discount factor.
        lam: GAE's lambda (0: one-step TD advantage; 1: Monte Carlo return minus baseline).
    """
    next_vals = np.append(vals[1:], last_val)
    deltas = rews + gamma * next_vals - vals
    return discount_cumsum(deltas, gamma * lam)


def rewards_to_go(rews: np.ndarray, last_val: float, gamma: float) -> np.ndarray:
    """Discounted rewards-to-go, the targets for the value function.

    .. math:: \\hat R_t = \\sum_{l=0}^{T-t-1} \\gamma^l r_{t+l} + \\gamma^{T-t} V(s_T)

    ``last_val`` is ``V(s_T)`` for a cut-off segment (it stands in for the rewards that were not
    observed) and 0 for a terminated episode.
    """
    return discount_cumsum(np.append(rews, last_val), gamma)[:-1]


def approx_kl(logp_old: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
    """A sample estimate of KL(old || new): the mean of ``logp_old - logp`` over the taken actions
    (which were drawn from the old policy)."""
    return (logp_old - logp).mean()


# ---------------------------------------------------------------------------------------------
# The actor-critic


class MLPActorCritic(nn.Module):
    """A policy ``pi`` and a value function ``v`` for Box or Discrete actions.

    Args:
        observation_space: a Box of any shape (flattened).
        action_space: a Box (diagonal Gaussian policy) or Discrete (categorical policy).
        hidden_sizes: sizes of the hidden layers of both networks. Default (64, 64).
        activation: activation module class between layers. Default ``torch.nn.Tanh``.
        encoder: what each network first makes of an observation (see
            :func:`~spinup.algos.networks.obs_encoder`): ``'auto'`` (default: a CNN for pictures,
            else the flattened observation), ``'nature'``, ``'impala'`` or ``'flatten'``. The policy
            and the value function each have their own.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(64, 64), activation=nn.Tanh,
                 encoder: str = "auto"):
        super().__init__()
        pi_encoder, obs_dim = obs_encoder(observation_space, encoder)
        activation = faster_activation(activation)  # nn.Tanh -> speed.Tanh: the same function, faster
        if isinstance(action_space, Box):
            self.pi = MLPGaussianActor(obs_dim, action_space.shape[0], hidden_sizes, activation, pi_encoder)
            self.numpy_pi = NumpyMLP(self.pi.mu_net)
        elif isinstance(action_space, Discrete):
            self.pi = MLPCategoricalActor(obs_dim, int(action_space.n), hidden_sizes, activation, pi_encoder)
            self.numpy_pi = NumpyMLP(self.pi.logits_net)
        else:
            raise UserError(
                f"The on-policy algorithms support Box and Discrete action spaces, not {action_space}."
            )
        self.v = MLPCritic(obs_dim, hidden_sizes, activation, obs_encoder(observation_space, encoder)[0])
        self.numpy_v = NumpyMLP(self.v.v_net)
        self.obs_shape = tuple(observation_space.shape)
        self.gaussian = isinstance(self.pi, MLPGaussianActor)
        if self.gaussian:
            self.numpy_log_std = NumpyView(self.pi.log_std)

    def step(self, obs: torch.Tensor):
        """Sample an action at each observation of a batch ``[n, *obs_shape]`` (one per
        environment copy): returns NumPy ``(a, v, logp_a)``, each with a leading dimension ``n``.

        On the CPU this is computed in NumPy (:class:`~spinup.utils.speed.NumpyMLP`: the same
        maths, several times faster at these sizes); elsewhere, by the torch modules.
        """
        if obs.is_cpu and self.numpy_pi.supported and self.numpy_v.supported:
            x = flat_float32(obs, batch=len(obs))
            out = self.numpy_pi(x)
            if self.gaussian:
                act, logp = sample_gaussian(out, self.numpy_log_std())
            else:
                act, logp = sample_categorical(out)
            return act, self.numpy_v(x)[:, 0], logp
        with torch.inference_mode():
            act, logp = self.pi.sample(obs)
            return act.cpu().numpy(), self.v(obs).cpu().numpy(), logp.cpu().numpy()

    @torch.inference_mode()
    def act(self, obs: torch.Tensor, deterministic: bool = False):
        """An action (numpy) for one observation, or one per row of a batch ``[n, *obs_shape]``:
        sampled, or the mean / most likely one if ``deterministic``."""
        one = tuple(obs.shape) == self.obs_shape
        obs = obs.to(self.pi.log_std.device if self.gaussian else next(self.pi.parameters()).device)
        batch = obs.unsqueeze(0) if one else obs
        if deterministic:
            if isinstance(self.pi, MLPGaussianActor):
                act = self.pi.mu_net(batch)
            else:
                act = self.pi.logits_net(batch).argmax(-1)
        else:
            act = self.pi.sample(batch)[0]
        act = act.cpu().numpy()
        return act[0] if one else act


# ---------------------------------------------------------------------------------------------
# The buffer


class GAEBuffer:
    """Stores one epoch of experience and computes GAE-Lambda advantages and rewards-to-go.

    Call :meth:`store` at every step (one row per environment copy), :meth:`finish_path` at the
    end of every trajectory segment of a copy (episode end or epoch cut-off), and :meth:`get` once
    the epoch is full. Each copy's steps are kept in their own row, so a segment is always one
    copy's consecutive steps, and the advantages are computed per segment as with one environment.

    Args:
        obs_shape, act_shape: shapes of one observation and one action.
        size: steps in the epoch, summed over the copies (a multiple of ``num_envs``).
        gamma, lam: discount and GAE's lambda.
        num_envs: number of environment copies stepped together.
        device: where :meth:`get` puts the epoch's data (the networks' device).
        obs_dtype: how observations are stored: float32, or uint8 for pictures
            (:func:`~spinup.algos.networks.obs_storage_dtype`), which stay uint8 in :meth:`get`.
    """

    def __init__(self, obs_shape, act_shape, size: int, gamma: float = 0.99, lam: float = 0.95, num_envs: int = 1,
                 device: torch.device | str = "cpu", obs_dtype: type = np.float32):
        if size % num_envs:
            raise UserError(
                f"Each process collects {size} steps per epoch, which is not a multiple of num_envs={num_envs}: "
                f"every copy must take the same number of steps. Choose steps_per_epoch (divided by the number of "
                f"processes) as a multiple of num_envs.")
        steps = size // num_envs
        self.device = torch.device(device)
        self.obs = np.zeros((num_envs, steps, *obs_shape), dtype=obs_dtype)
        self.act = np.zeros((num_envs, steps, *act_shape), dtype=np.float32)
        self.rew = np.zeros((num_envs, steps), dtype=np.float32)
        self.val = np.zeros((num_envs, steps), dtype=np.float32)
        self.logp = np.zeros((num_envs, steps), dtype=np.float32)
        self.adv = np.zeros((num_envs, steps), dtype=np.float32)
        self.ret = np.zeros((num_envs, steps), dtype=np.float32)
        self.gamma, self.lam = gamma, lam
        self.ptr, self.path_start_idx, self.max_size = 0, np.zeros(num_envs, dtype=np.int64), steps

    def store(self, obs, act, rew, val, logp) -> None:
        """Store one step of every copy (arrays with a leading dimension ``num_envs``)."""
        t = self.ptr
        self.obs[:, t] = obs
        self.act[:, t] = act
        self.rew[:, t] = rew
        self.val[:, t] = val
        self.logp[:, t] = logp
        self.ptr = t + 1

    def finish_path(self, last_val: float = 0.0, copy: int = 0) -> None:
        """Compute advantages and rewards-to-go for the segment of copy ``copy`` that just ended.

        ``last_val`` is ``V(s_T)`` when the segment was cut off (time limit, epoch end), so the
        missing future rewards are bootstrapped; it is 0 when the episode terminated.
        """
        path = slice(self.path_start_idx[copy], self.ptr)
        rew, val = self.rew[copy, path], self.val[copy, path]
        self.adv[copy, path] = gae_advantages(rew, val, last_val, self.gamma, self.lam)
        self.ret[copy, path] = rewards_to_go(rew, last_val, self.gamma)
        self.path_start_idx[copy] = self.ptr

    def get(self) -> dict:
        """The epoch's data as flat tensors (copy after copy), with advantages normalised (mean
        0, std 1 over all processes)."""
        assert self.ptr == self.max_size, "the buffer must be full before get()"
        self.ptr = 0
        self.path_start_idx[:] = 0
        adv = self.adv.reshape(-1)
        adv_mean, adv_std = mpi_statistics_scalar(adv)
        adv = (adv - adv_mean) / (adv_std + 1e-8)
        data = dict(obs=self.obs, act=self.act, ret=self.ret, adv=adv, logp=self.logp, v=self.val)
        n = self.obs.shape[0] * self.max_size
        return {k: torch.as_tensor(v.reshape(n, *v.shape[2:]) if v.ndim > 1 else v,
                                   dtype=None if v.dtype == np.uint8 else torch.float32, device=self.device)
                for k, v in data.items()}


# ---------------------------------------------------------------------------------------------
# Pieces of the main loop that VPG, TRPO and PPO share word for word.


def warn_if_no_episode_finished(logger, finished_episodes: int, local_steps_per_epoch: int,
                                already_warned: bool, num_envs: int = 1) -> bool:
    """Warn (once per run) when a process's share of an epoch ended no episode; returns whether
    the warning has been given.

    With ``P`` processes and ``N`` environment copies each copy takes
    ``steps_per_epoch / (P * N)`` steps per epoch; if that is shorter than an episode, the
    episode statistics are NaN for that process (and for the epoch, if it holds for all).
    Training is still correct: the cut-off segments are bootstrapped (and with several copies,
    the episodes go on in the next epoch).
    """
    if finished_episodes > 0 or already_warned or (num_procs() == 1 and num_envs == 1):
        return already_warned
    shares = []
    if num_procs() > 1:
        shares.append(f"{local_steps_per_epoch} steps = steps_per_epoch / {num_procs()} processes")
    if num_envs > 1:
        shares.append(f"{local_steps_per_epoch // num_envs} steps for each of {num_envs} environment copies")
    logger.log(
        f"Warning: no episode finished within a process's share of the epoch ({'; '.join(shares)}), so "
        "this epoch's episode returns are missing from the statistics (NaN if no process finished one). "
        "Cut-off segments are bootstrapped, which is correct but gives noisier advantages. Use a larger "
        "steps_per_epoch (or fewer copies or processes) to see returns in every epoch.", "yellow")
    return True
