"""The speed seam: every device that makes spinup faster than its plain code, in one module.

The algorithm files read like their pseudocode; what makes them fast lives here. Each device
says what plain PyTorch or NumPy it stands for and what it saves (measured on the reference
machine: 2-core AMD EPYC, the torch 2.13 CPU build, one thread). ``tests/test_speed.py`` compares every one with its plain
equivalent, so raising the torch or Gymnasium cap is a test run, not an archaeology dig, and
``tests/test_layout.py`` checks that no other module calls a private torch or Gymnasium API.

==========================  ======================================================  ==============
device                      stands for                                              saves (measured)
==========================  ======================================================  ==============
:class:`Tanh`               ``nn.Tanh``                                             ~30% of its time
:func:`lerp_`               ``for t, s in zip(targets, sources): t.lerp_(s, w)``    ~20 µs/call
:func:`parameters_of`       ``list(module.parameters())``                           ~25 µs/call
:class:`FusedAdam`          ``torch.optim.Adam(params, lr, fused=True)``            ~40-70 µs/step
:class:`EnsembleMLP`        ``n`` separate MLPs of one shape (the twin critics)     ~10-15%
:class:`NumpyMLP`           ``net(obs[None])[0]`` under ``torch.inference_mode()``  ~35-80 µs/step
:func:`sample_gaussian`     ``Normal(mu, std).sample()`` and its ``log_prob``       (with the above)
:func:`sample_categorical`  ``Categorical(logits).sample()`` and its ``log_prob``   (with the above)
:class:`NumpyView`          ``tensor.detach().numpy()`` at every step               ~3 µs/step
:class:`SyncVectorEnv`      Gymnasium's ``SyncVectorEnv(..., SAME_STEP)``            ~35-70 µs/step
==========================  ======================================================  ==============

The figures are from ``python -m spinup.benchmarks.speed_devices`` (written to
``benchmarks/results/speed_devices.md``; they vary by about a third between machines and loads).

One entry is not about speed: :func:`time_limit_steps` and :func:`set_time_limit_steps` read
and write Gymnasium's private step counter of ``TimeLimit``, which an exact resume needs. It is
here so that one module holds every private call.
"""

from __future__ import annotations

import weakref

import numpy as np
import torch
import torch.nn as nn
from gymnasium.spaces import Box
from gymnasium.vector import AutoresetMode
from gymnasium.vector import SyncVectorEnv as _GymnasiumSyncVectorEnv

# ---------------------------------------------------------------------------------------------
# 1. Tanh as 2 sigmoid(2x) - 1


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
        return torch.ops.aten.tanh_backward(grad, y)  # grad * (1 - y^2), as nn.Tanh's backward


class Tanh(nn.Module):
    """``nn.Tanh``, computed as ``2 sigmoid(2x) - 1``.

    Why: on CPU, torch 2.13's ``tanh`` kernel is slower than its ``sigmoid`` on full-batch
    activations (4000 x 64, forward and backward: 1.08 ms against 0.77 ms for this), and tanh was
    the largest single cost of the on-policy updates. The results agree with ``torch.tanh`` to about 2e-7.
    The on-policy actor-critic asks for it through :func:`faster_activation`.
    """

    def forward(self, x):
        return _SigmoidTanh.apply(x)


def faster_activation(activation: type[nn.Module]) -> type[nn.Module]:
    """The class that computes ``activation`` fastest: :class:`Tanh` for ``nn.Tanh``, else itself."""
    return Tanh if activation is nn.Tanh else activation


# ---------------------------------------------------------------------------------------------
# 2, 3. Whole lists of parameters at once


_PARAMETERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def parameters_of(module: nn.Module) -> list[nn.Parameter]:
    """``list(module.parameters())``, remembered per module: walking the submodules costs about
    15 µs per call, half of a polyak update of TD3's networks. (A module's set of parameters is
    fixed once it is built; a deep copy is a new module with its own entry.)"""
    params = _PARAMETERS.get(module)
    if params is None:
        params = _PARAMETERS[module] = list(module.parameters())
    return params


@torch.no_grad()
def lerp_(targets: list[torch.Tensor], sources: list[torch.Tensor], weight: float) -> None:
    """``t ← t + weight (s − t)`` for every pair, in one fused call (``torch._foreach_lerp_``)
    instead of a Python loop of ``t.lerp_(s, weight)``: 43 µs against 63 µs for TD3's
    actor-critic. The results are the same bit for bit."""
    torch._foreach_lerp_(targets, sources, weight)


# ---------------------------------------------------------------------------------------------
# 4. Adam's step without its bookkeeping


class FusedAdam(torch.optim.Adam):
    """``torch.optim.Adam(params, lr, fused=True)`` with a leaner ``step`` and ``zero_grad``.

    Once the optimizer's state exists, ``step`` calls the same fused kernel directly: the same
    arithmetic, bit for bit, and the same ``state_dict``, without ``Adam.step``'s bookkeeping
    (profiler labels, hook calls, grouping tensors by device), which for these networks costs
    a large part of the kernel's time. Measured for TD3's twin Q-functions, (256, 256): 165-226 µs
    per step against 206-300 µs for the public step; the off-policy algorithms take one to three
    steps per update, 2-6% of an update. Step hooks (``register_step_pre_hook``) are not called.
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
# 5. An ensemble of MLPs evaluated as one


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
    """``n`` MLPs of identical shape evaluated together: one batched call per layer instead of one
    call per layer per member. It stands for ``torch.stack([mlp_i(x) for i in range(n)])``; for
    the twin Q-functions of TD3 and SAC ((256, 256) on HalfCheetah, batch 100) a forward and
    backward pass costs 11-16% less than two separate MLPs.

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
        *hidden, output = self.layers  # (slicing a ModuleList builds a new one: 10 µs)
        for layer in hidden:
            x = self.activation(layer(x, members))
        return output(x, members)


# ---------------------------------------------------------------------------------------------
# 6, 7. Acting on one observation in NumPy. During a rollout the policy acts on one observation
# per environment step; at these layer sizes a torch call costs far more in dispatch than in
# arithmetic (PPO's pi.sample and v: about 420 µs per step; the same in NumPy: about 50 µs).
# The arrays are views of the parameters' own memory, so every optimizer step is seen at once.

_NUMPY_ACTIVATIONS = {nn.Tanh: np.tanh, Tanh: np.tanh, nn.ReLU: lambda x: np.maximum(x, 0),
                      nn.Identity: lambda x: x}


def flat_float32(obs, batch: int | None = None) -> np.ndarray:
    """One observation (a NumPy array, or a float32 tensor as the algorithms pass to ``act``) as
    a flat float32 array; a CPU tensor's memory is shared, not copied (``.numpy()`` takes about
    half the time of ``np.asarray`` on a tensor). With ``batch=n``, ``n`` observations as
    ``[n, obs_dim]``."""
    shape = (-1,) if batch is None else (batch, -1)
    if isinstance(obs, torch.Tensor):
        if obs.dtype is torch.float32 and not obs.requires_grad and obs.device.type == "cpu":
            return obs.numpy().reshape(shape)  # the common case: 1 µs, where detach().to() costs 7
        return obs.detach().to("cpu", torch.float32).numpy().reshape(shape)
    return np.asarray(obs, dtype=np.float32).reshape(shape)


def _numpy_layers(net: nn.Module):
    """``[(W, b, activation), ...]`` for an MLP of Linear layers and known activations (behind a
    flattening first module, if any), with ``W`` and ``b`` NumPy views of its parameters; None
    for any other kind of module."""
    layers = [m for m in net.modules() if not isinstance(m, nn.Sequential)]
    if layers and isinstance(layers[0], (nn.Flatten, nn.Identity)):
        layers = layers[1:]  # observations are flattened before the first layer
    out = []
    for linear, act in zip(layers[0::2], layers[1::2], strict=False):
        if not isinstance(linear, nn.Linear) or type(act) not in _NUMPY_ACTIVATIONS:
            return None
        if linear.weight.dtype != torch.float32 or linear.bias is None:
            return None
        out.append((linear.weight.detach().numpy(), linear.bias.detach().numpy(), _NUMPY_ACTIVATIONS[type(act)]))
    return out if out and 2 * len(out) == len(layers) else None


class NumpyMLP:
    """``net`` applied to one flat observation in NumPy: it stands for ``net(obs[None])[0]``
    under ``torch.inference_mode()`` (same maths; agrees to float32 rounding), at a third to a
    tenth of the cost for the layer sizes of the algorithms (see the table above).

    ``supported`` is False when ``net`` is not an MLP of ``nn.Linear`` layers and ReLU/Tanh/
    Identity activations, or not on the CPU; the caller then uses torch. The NumPy arrays are views of
    the parameters' memory, rebuilt when a parameter's memory moves (a deep copy, ``p.data = ...``).
    Call it with ``flat_float32(obs)``, computed once when several networks read one observation.
    """

    def __init__(self, net: nn.Module):
        self.net = net
        self.params = list(net.parameters())
        self._mlp = _numpy_layers(net) is not None
        self._layers, self._pointers = None, None

    @property
    def supported(self) -> bool:
        """Whether ``net`` is an MLP this class can compute, with its parameters on the CPU."""
        return self._mlp and self.params[0].is_cpu

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``net`` at one flat observation ``[obs_dim]`` or a batch of them ``[n, obs_dim]``."""
        pointers = [p.data_ptr() for p in self.params]
        if pointers != self._pointers:
            self._layers, self._pointers = _numpy_layers(self.net), pointers
        if x.ndim == 2 and len(x) > 1:
            for w, b, activation in self._layers:
                x = activation(x @ w.T + b)
            return x
        # One observation; a batch of one (one copy) too, through the same vector kernel, so that
        # num_envs=1 repeats a one-environment run exactly
        one_row = x.ndim == 2
        if one_row:
            x = x[0]
        for w, b, activation in self._layers:
            x = activation(w @ x + b)
        return x[None] if one_row else x


class NumpyView:
    """``tensor.detach().numpy()``, kept: a NumPy view of the tensor's memory (e.g. PPO's log σ),
    rebuilt when that memory moves."""

    def __init__(self, tensor: torch.Tensor):
        self.tensor = tensor
        self._array, self._pointer = None, None

    def __call__(self) -> np.ndarray:
        if self.tensor.data_ptr() != self._pointer:
            self._array, self._pointer = self.tensor.detach().numpy(), self.tensor.data_ptr()
        return self._array


_LOG_2PI = float(np.log(2 * np.pi))


def sample_gaussian(mu: np.ndarray, log_std: np.ndarray) -> tuple[np.ndarray, float | np.ndarray]:
    """An action ``a = mu + exp(log_std) * eps`` with ``eps ~ N(0, I)`` drawn from NumPy's global
    generator (which the algorithms seed and checkpoint), and its log-density
    ``log pi(a) = -1/2 sum(eps^2 + 2 log_std + log 2 pi)``. For a batch ``mu`` ``[n, act_dim]``,
    ``n`` actions and their log-densities ``[n]``."""
    if mu.ndim == 2 and len(mu) == 1:  # one copy: exactly the draws and sums of one observation
        act, logp = sample_gaussian(mu[0], log_std)
        return act[None], np.array([logp])
    eps = np.random.standard_normal(mu.shape)
    act = (mu + np.exp(log_std) * eps).astype(np.float32)
    logp = -0.5 * np.sum(eps * eps + 2 * log_std + _LOG_2PI, axis=-1)
    return act, (float(logp) if mu.ndim == 1 else logp)


def sample_categorical(logits: np.ndarray) -> tuple[np.int64 | np.ndarray, float | np.ndarray]:
    """An action drawn from ``softmax(logits)`` by inverting its CDF with one uniform draw from
    NumPy's global generator, and its log-probability. For a batch ``logits`` ``[n, k]``, ``n``
    actions (int64) and their log-probabilities ``[n]``."""
    if logits.ndim == 2:
        if len(logits) == 1:  # one copy: exactly the draw of one observation
            act, logp = sample_categorical(logits[0])
            return np.array([act]), np.array([logp])
        logp_all = logits - logits.max(axis=-1, keepdims=True)
        logp_all = logp_all - np.log(np.sum(np.exp(logp_all), axis=-1, keepdims=True))
        cdf = np.cumsum(np.exp(logp_all), axis=-1)
        u = np.random.random(len(cdf))[:, None] * cdf[:, -1:]
        act = np.minimum(np.sum(cdf <= u, axis=-1), cdf.shape[-1] - 1)  # searchsorted, row by row
        return act.astype(np.int64), logp_all[np.arange(len(act)), act]
    logp_all = logits - logits.max()
    logp_all = logp_all - np.log(np.sum(np.exp(logp_all)))
    cdf = np.cumsum(np.exp(logp_all))
    act = min(int(np.searchsorted(cdf, np.random.random() * cdf[-1], side="right")), len(cdf) - 1)
    return np.int64(act), float(logp_all[act])


# ---------------------------------------------------------------------------------------------
# 8. Stepping several copies of an environment. Gymnasium's SyncVectorEnv spends about 50 µs
# per step around one CartPole step of 30 µs (a deep copy of the observations, merging empty
# info dicts, checks for its three autoreset modes); the loop that matters is short.


class SyncVectorEnv(_GymnasiumSyncVectorEnv):
    """Gymnasium's ``SyncVectorEnv(env_fns, autoreset_mode=AutoresetMode.SAME_STEP)`` with a
    leaner ``step`` for Box observations: the same observations, rewards and flags, and
    ``info["final_obs"]``/``info["final_info"]`` of the copies that ended, in fresh arrays at
    every step. What it leaves out: the copies' own per-step ``info`` dicts are not merged into
    the returned ``info`` (only those of the copies that ended, as ``final_info``; the algorithms
    read nothing else). Merging them is what costs most: for HalfCheetah's six info entries,
    30 µs per copy and step, more than a third of the step itself. CartPole: 25 µs per step
    against Gymnasium's 62 (one copy). Everything else (``reset``, ``call``, ``close``...) is
    Gymnasium's own.
    """

    def __init__(self, env_fns):
        super().__init__(env_fns, autoreset_mode=AutoresetMode.SAME_STEP)
        space = self.single_observation_space
        self._lean = isinstance(space, Box)
        self._obs_shape, self._obs_dtype = (self.num_envs, *space.shape), space.dtype

    def step(self, actions):
        if not self._lean:
            return super().step(actions)
        n = self.num_envs
        obs = np.empty(self._obs_shape, self._obs_dtype)
        rew = np.empty(n, np.float64)
        terminated = np.empty(n, np.bool_)
        truncated = np.empty(n, np.bool_)
        infos = {}
        for i, env in enumerate(self.envs):
            o, rew[i], te, tr, info = env.step(actions[i])
            terminated[i], truncated[i] = te, tr
            if te or tr:
                infos = self._add_info(infos, {"final_obs": o, "final_info": info}, i)
                o, _ = env.reset()
            obs[i] = o
            self._env_obs[i] = o
        self._terminations, self._truncations = terminated, truncated
        self._autoreset_envs = terminated | truncated
        return obs, rew, terminated, truncated, infos


# ---------------------------------------------------------------------------------------------
# Not speed: Gymnasium's TimeLimit keeps its step count in a private attribute with no public
# setter; a resumed episode must continue with the count it had.


def time_limit_steps(wrapper) -> int | None:
    """The steps a ``TimeLimit`` wrapper has counted in the current episode (None for others)."""
    return wrapper.__dict__.get("_elapsed_steps")


def set_time_limit_steps(wrapper, steps: int) -> None:
    """Set the step count of a ``TimeLimit`` wrapper (see :func:`time_limit_steps`)."""
    wrapper._elapsed_steps = steps
