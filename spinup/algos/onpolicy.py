"""Pieces shared by the on-policy algorithms (VPG, TRPO, PPO): the actor-critic networks (with
a fast path for acting on one observation at a time), the buffer that turns one epoch of
experience into advantages and returns, the maths behind it (discounted sums, GAE-Lambda,
rewards-to-go), and the parts of the main loop they share word for word (the resume checkpoint,
the warning when a process's share of an epoch ends no episode)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
from gymnasium.spaces import Box, Discrete

from spinup.utils import checkpoint
from spinup.utils.errors import UserError
from spinup.utils.mpi_tools import gather_to_root, mpi_statistics_scalar, num_procs, proc_id

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
# Networks


class _SigmoidTanh(torch.autograd.Function):
    """tanh(x) = 2 sigmoid(2x) - 1, with the derivative 1 - tanh(x)^2 (twice differentiable)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.sigmoid(x * 2).mul_(2).sub_(1)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return torch.ops.aten.tanh_backward(grad, y)


class Tanh(nn.Module):
    """The same function as ``nn.Tanh``, computed as ``2 sigmoid(2x) - 1``.

    Why: on CPU, torch 2.13's ``tanh`` kernel is about 6 times slower than its ``sigmoid`` on
    full-batch activations (4000 x 64), which made tanh the largest single cost of the on-policy
    updates (benchmarks/results/onpolicy_throughput.md). :func:`mlp` uses it wherever ``nn.Tanh``
    is asked for; the results agree with ``torch.tanh`` to about 2e-7.
    """

    def forward(self, x):
        return _SigmoidTanh.apply(x)


def mlp(sizes, activation, output_activation=nn.Identity) -> nn.Sequential:
    """A multi-layer perceptron: Linear layers of the given ``sizes`` with ``activation`` between
    (``nn.Tanh`` is computed by the faster, equal :class:`Tanh`)."""
    activation = Tanh if activation is nn.Tanh else activation
    output_activation = Tanh if output_activation is nn.Tanh else output_activation
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


def obs_encoder(observation_space) -> tuple[nn.Module, int]:
    """A module that flattens observations of ``observation_space``, and the flat size."""
    if not isinstance(observation_space, Box):
        raise UserError(
            f"spinup's MLP policies need a Box observation space, but this environment's is "
            f"{observation_space}. Wrap the environment (e.g. gymnasium.wrappers.FlattenObservation) "
            "or pass your own actor_critic."
        )
    shape = observation_space.shape
    flat = nn.Flatten(start_dim=-len(shape)) if len(shape) > 1 else nn.Identity()
    return flat, int(np.prod(shape))


LOG_2PI = math.log(2 * math.pi)


class MLPCategoricalActor(nn.Module):
    """A categorical policy over ``act_dim`` discrete actions, with logits from an MLP."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, encoder=nn.Identity()):
        super().__init__()
        self.logits_net = nn.Sequential(encoder, mlp([obs_dim, *hidden_sizes, act_dim], activation))

    def distribution(self, obs):
        # No argument validation: NaN weights must reach the epoch's log, which stops the run
        # naming the epoch and the columns, rather than fail here with a traceback.
        return torch.distributions.Categorical(logits=self.logits_net(obs), validate_args=False)

    def log_prob(self, pi, act):
        return pi.log_prob(act)

    def sample(self, obs):
        """One action and its log-probability, without building a distribution object (fast path)."""
        logp_all = torch.log_softmax(self.logits_net(obs), dim=-1)
        act = torch.multinomial(logp_all.exp(), 1).squeeze(-1)
        return act, logp_all.gather(-1, act.unsqueeze(-1)).squeeze(-1)

    def forward(self, obs, act=None):
        """The action distribution at ``obs`` and, if ``act`` is given, its log-probability."""
        pi = self.distribution(obs)
        return pi, None if act is None else self.log_prob(pi, act)


class MLPGaussianActor(nn.Module):
    """A diagonal Gaussian policy: the mean from an MLP, a state-independent log standard deviation."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, encoder=nn.Identity()):
        super().__init__()
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))
        self.mu_net = nn.Sequential(encoder, mlp([obs_dim, *hidden_sizes, act_dim], activation))

    def distribution(self, obs):
        # No argument validation: see MLPCategoricalActor.distribution.
        return torch.distributions.Normal(self.mu_net(obs), torch.exp(self.log_std), validate_args=False)

    def log_prob(self, pi, act):
        return pi.log_prob(act).sum(dim=-1)

    def sample(self, obs):
        """One action and its log-probability, without building a distribution object (fast path).

        ``a = mu + std * eps`` with ``eps ~ N(0, I)``, so
        ``log pi(a) = -0.5 * sum(eps**2 + 2 log_std + log 2pi)``.
        """
        mu = self.mu_net(obs)
        eps = torch.randn_like(mu)
        act = mu + torch.exp(self.log_std) * eps
        logp = -0.5 * (eps.pow(2) + 2 * self.log_std + LOG_2PI).sum(dim=-1)
        return act, logp

    def forward(self, obs, act=None):
        pi = self.distribution(obs)
        return pi, None if act is None else self.log_prob(pi, act)


class MLPCritic(nn.Module):
    """A state-value function V(s) as an MLP."""

    def __init__(self, obs_dim, hidden_sizes, activation, encoder=nn.Identity()):
        super().__init__()
        self.v_net = nn.Sequential(encoder, mlp([obs_dim, *hidden_sizes, 1], activation))

    def forward(self, obs):
        return self.v_net(obs).squeeze(-1)


class MLPActorCritic(nn.Module):
    """A policy ``pi`` and a value function ``v`` for Box or Discrete actions.

    Args:
        observation_space: a Box of any shape (flattened).
        action_space: a Box (diagonal Gaussian policy) or Discrete (categorical policy).
        hidden_sizes: sizes of the hidden layers of both networks. Default (64, 64).
        activation: activation module class between layers. Default ``torch.nn.Tanh``.
    """

    def __init__(self, observation_space, action_space, hidden_sizes=(64, 64), activation=nn.Tanh):
        super().__init__()
        encoder, obs_dim = obs_encoder(observation_space)
        if isinstance(action_space, Box):
            self.pi = MLPGaussianActor(obs_dim, action_space.shape[0], hidden_sizes, activation, encoder)
        elif isinstance(action_space, Discrete):
            self.pi = MLPCategoricalActor(obs_dim, int(action_space.n), hidden_sizes, activation, encoder)
        else:
            raise UserError(
                f"The on-policy algorithms support Box and Discrete action spaces, not {action_space}."
            )
        self.v = MLPCritic(obs_dim, hidden_sizes, activation, encoder)
        self.obs_shape = tuple(observation_space.shape)
        self._acting = None  # built on the first step(); False if this model has no fast path

    def step(self, obs: torch.Tensor):
        """Sample an action at one observation: returns numpy ``(a, v, logp_a)``.

        For a single observation this runs the fast path of :class:`BatchOneActing` (numpy views
        of the weights, no autograd); for a batch, the torch modules.
        """
        if tuple(obs.shape) == self.obs_shape:
            if self._acting is None or (self._acting and not self._acting.is_current()):
                self._acting = BatchOneActing.build(self) or False
            if self._acting:
                return self._acting.step(obs.numpy())
        with torch.inference_mode():
            act, logp = self.pi.sample(obs)
            return act.numpy(), self.v(obs).numpy(), logp.numpy()

    @torch.inference_mode()
    def act(self, obs: torch.Tensor, deterministic: bool = False):
        """An action for ``obs`` (numpy): sampled, or the mean / most likely one if ``deterministic``."""
        if deterministic:
            if isinstance(self.pi, MLPGaussianActor):
                return self.pi.mu_net(obs).numpy()
            return self.pi.logits_net(obs).argmax(-1).numpy()
        return self.pi.sample(obs)[0].numpy()



# ---------------------------------------------------------------------------------------------
# Acting one step at a time, fast. During an epoch's rollout the policy acts on one observation
# per environment step, thousands of times between two updates; at these layer sizes a torch
# call costs far more in dispatch than in arithmetic (about 300 us per step for pi and v,
# against about 40 us in numpy: benchmarks/results/onpolicy_throughput.md). The numpy arrays
# below are views of the parameters' own memory, so every optimizer step is seen at once.

_NUMPY_ACTIVATIONS = {nn.Tanh: np.tanh, Tanh: np.tanh, nn.ReLU: lambda x: np.maximum(x, 0), nn.Identity: lambda x: x}


def numpy_mlp(net: nn.Module):
    """``[(W, b, activation), ...]`` for an MLP built by :func:`mlp` (behind a flattening encoder),
    with ``W`` and ``b`` numpy views of its parameters; None for any other kind of module."""
    layers = [m for m in net.modules() if not isinstance(m, nn.Sequential)]
    if layers and isinstance(layers[0], (nn.Flatten, nn.Identity)):
        layers = layers[1:]  # the encoder: observations are flattened before the first layer
    out = []
    for linear, act in zip(layers[0::2], layers[1::2], strict=False):
        if not isinstance(linear, nn.Linear) or type(act) not in _NUMPY_ACTIVATIONS:
            return None
        if linear.weight.dtype != torch.float32 or linear.bias is None:
            return None
        out.append((linear.weight.detach().numpy(), linear.bias.detach().numpy(), _NUMPY_ACTIVATIONS[type(act)]))
    return out if out and 2 * len(out) == len(layers) else None


def flat_float32(obs) -> np.ndarray:
    """One observation (a NumPy array or a float32 tensor, as the algorithms pass to ``act``)
    as a flat float32 array; a CPU tensor's memory is shared, not copied (``.numpy()`` takes
    about half the time of ``np.asarray`` on a tensor)."""
    if isinstance(obs, torch.Tensor):
        return obs.detach().to(torch.float32).numpy().reshape(-1)
    return np.asarray(obs, dtype=np.float32).reshape(-1)


def numpy_forward(layers, x: np.ndarray) -> np.ndarray:
    """The MLP ``layers`` (from :func:`numpy_mlp`) applied to one flat input ``x``."""
    for w, b, activation in layers:
        x = activation(w @ x + b)
    return x


class BatchOneActing:
    """``step(obs)`` of an :class:`MLPActorCritic` for one observation, computed in numpy.

    The same maths as ``pi.sample`` and ``v`` (tests/test_onpolicy_math.py checks the log-probabilities
    and values against the torch modules), drawing its noise from NumPy's global generator, which
    the algorithms seed and checkpoint.
    """

    def __init__(self, ac, pi_layers, v_layers):
        self.params = [p for p in ac.parameters()]
        self.pointers = [p.data_ptr() for p in self.params]
        self.pi_layers, self.v_layers = pi_layers, v_layers
        self.gaussian = isinstance(ac.pi, MLPGaussianActor)
        if self.gaussian:
            self.log_std = ac.pi.log_std.detach().numpy()

    @classmethod
    def build(cls, ac) -> BatchOneActing | None:
        """The fast path for ``ac``, or None if its modules are not the plain MLPs of this file."""
        if not isinstance(ac.pi, (MLPGaussianActor, MLPCategoricalActor)) or not isinstance(ac.v, MLPCritic):
            return None
        pi_net = ac.pi.mu_net if isinstance(ac.pi, MLPGaussianActor) else ac.pi.logits_net
        pi_layers, v_layers = numpy_mlp(pi_net), numpy_mlp(ac.v.v_net)
        if pi_layers is None or v_layers is None:
            return None
        return cls(ac, pi_layers, v_layers)

    def is_current(self) -> bool:
        """False once a parameter's memory was replaced (``p.data = ...``, a deep copy): rebuild."""
        return [p.data_ptr() for p in self.params] == self.pointers

    def step(self, obs: np.ndarray):
        x = obs.reshape(-1)
        out = numpy_forward(self.pi_layers, x)
        if self.gaussian:
            # a = mu + sigma * eps, and log pi(a) = -1/2 sum(eps^2 + 2 log sigma + log 2 pi)
            eps = np.random.standard_normal(out.shape)
            act = (out + np.exp(self.log_std) * eps).astype(np.float32)
            logp = -0.5 * float(np.sum(eps * eps + 2 * self.log_std + LOG_2PI))
        else:
            # Inverse-CDF sampling from softmax(logits)
            logp_all = out - out.max()
            logp_all = logp_all - np.log(np.sum(np.exp(logp_all)))
            cdf = np.cumsum(np.exp(logp_all))
            act = min(int(np.searchsorted(cdf, np.random.random() * cdf[-1], side="right")), len(cdf) - 1)
            logp = float(logp_all[act])
            act = np.int64(act)
        v = float(numpy_forward(self.v_layers, x)[0])
        return act, v, logp

# ---------------------------------------------------------------------------------------------
# The buffer


class GAEBuffer:
    """Stores one epoch of experience and computes GAE-Lambda advantages and rewards-to-go.

    Call :meth:`store` at every step, :meth:`finish_path` at the end of every trajectory segment
    (episode end or epoch cut-off), and :meth:`get` once the epoch is full.
    """

    def __init__(self, obs_shape, act_shape, size: int, gamma: float = 0.99, lam: float = 0.95):
        self.obs = np.zeros((size, *obs_shape), dtype=np.float32)
        self.act = np.zeros((size, *act_shape), dtype=np.float32)
        self.rew = np.zeros(size, dtype=np.float32)
        self.val = np.zeros(size, dtype=np.float32)
        self.logp = np.zeros(size, dtype=np.float32)
        self.adv = np.zeros(size, dtype=np.float32)
        self.ret = np.zeros(size, dtype=np.float32)
        self.gamma, self.lam = gamma, lam
        self.ptr, self.path_start_idx, self.max_size = 0, 0, size

    def store(self, obs, act, rew, val, logp) -> None:
        i = self.ptr
        self.obs[i] = obs
        self.act[i] = act
        self.rew[i] = rew
        self.val[i] = val
        self.logp[i] = logp
        self.ptr = i + 1

    def finish_path(self, last_val: float = 0.0) -> None:
        """Compute advantages and rewards-to-go for the segment that just ended.

        ``last_val`` is ``V(s_T)`` when the segment was cut off (time limit, epoch end), so the
        missing future rewards are bootstrapped; it is 0 when the episode terminated.
        """
        path = slice(self.path_start_idx, self.ptr)
        self.adv[path] = gae_advantages(self.rew[path], self.val[path], last_val, self.gamma, self.lam)
        self.ret[path] = rewards_to_go(self.rew[path], last_val, self.gamma)
        self.path_start_idx = self.ptr

    def get(self) -> dict:
        """The epoch's data as tensors, with advantages normalised (mean 0, std 1 over all processes)."""
        assert self.ptr == self.max_size, "the buffer must be full before get()"
        self.ptr, self.path_start_idx = 0, 0
        adv_mean, adv_std = mpi_statistics_scalar(self.adv)
        adv = (self.adv - adv_mean) / (adv_std + 1e-8)
        data = dict(obs=self.obs, act=self.act, ret=self.ret, adv=adv, logp=self.logp, v=self.val)
        return {k: torch.as_tensor(v, dtype=torch.float32) for k, v in data.items()}


# ---------------------------------------------------------------------------------------------
# Pieces of the main loop that VPG, TRPO and PPO share word for word.


def warn_if_no_episode_finished(logger, finished_episodes: int, local_steps_per_epoch: int,
                                already_warned: bool) -> bool:
    """Warn (once per run) when a process's share of an epoch ended no episode; returns whether
    the warning has been given.

    With ``N`` processes each one collects ``steps_per_epoch / N`` steps; if that is shorter than
    an episode, the episode statistics are NaN for that process (and for the epoch, if it holds
    for all). Training is still correct: the cut-off segments are bootstrapped.
    """
    if finished_episodes > 0 or already_warned or num_procs() == 1:
        return already_warned
    logger.log(
        f"Warning: no episode finished within a process's share of the epoch "
        f"({local_steps_per_epoch} steps = steps_per_epoch / {num_procs()} processes), so its "
        "episode returns are missing from the statistics (NaN if no process finished one). Each "
        "process cut its episodes off and bootstrapped them, which is correct but gives noisier "
        "advantages. Use fewer processes or a larger steps_per_epoch to see full episodes.", "yellow")
    return True


def save_checkpoint(logger, epoch: int, elapsed: float, env, modules: dict, algo: str | None = None) -> None:
    """Write ``resume.pt`` after ``epoch`` completed epochs: the state dicts of ``modules``
    (networks and optimizers), the time spent, every process's random states (gathered to
    rank 0, which alone writes), and the algorithm's name and environment for resume's checks."""
    per_process = gather_to_root(dict(rng=checkpoint.global_rng_state(), env_rng=checkpoint.env_rng_state(env)))
    if proc_id() == 0:
        state = {name: m.state_dict() for name, m in modules.items()}
        state.update(epoch=epoch, elapsed=elapsed, processes=per_process, algo=algo, **checkpoint.env_identity(env))
        checkpoint.save_resume_checkpoint(logger.output_dir, state)


def restore(run_dir: str, logger, env, modules: dict, algo: str | None = None) -> tuple[int, float]:
    """Load ``resume.pt`` from ``run_dir`` into ``modules`` and this process's random states;
    returns the epoch to continue from and the time spent so far. Refuses, before anything is
    written, a different number of processes, another algorithm or environment, networks of
    another shape, or a ``progress.txt`` shorter than the checkpoint."""
    state = checkpoint.load_resume_checkpoint(run_dir)
    checkpoint.check_process_count(state, num_procs())
    checkpoint.check_resume_matches(run_dir, state, algo, env, modules)
    for name, m in modules.items():
        m.load_state_dict(state[name])
    mine = state["processes"][proc_id()]
    checkpoint.set_global_rng_state(mine["rng"])
    checkpoint.set_env_rng_state(env, mine["env_rng"])
    logger.restore_progress(state["epoch"])
    logger.log(f"Resuming from {run_dir} after epoch {state['epoch']}.")
    return state["epoch"], state["elapsed"]
