"""The networks the algorithms are built from, and the spaces they accept.

One ``mlp``; the policies and value functions that more than one algorithm uses (each
algorithm's ``core.py`` assembles its actor-critic from these, and keeps the pieces only it
uses). Every network takes observations of the space's own shape, ``[batch, *obs_shape]``, and
flattens them first. What makes them fast (the fused twin critics, acting in NumPy) is in
:mod:`spinup.utils.speed`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
from gymnasium.spaces import Box, Discrete

from spinup.utils.errors import UserError
from spinup.utils.speed import EnsembleMLP, NumpyMLP, flat_float32

# ---------------------------------------------------------------------------------------------
# Spaces


ENCODERS = ("auto", "nature", "impala", "flatten")


def is_image_space(space) -> bool:
    """Whether observations of ``space`` are pictures: a ``uint8`` Box of shape ``(C, H, W)``
    (channels first, e.g. Atari's stack of 4 grey frames), ``(H, W, C)`` (a colour screen, C of
    1, 3 or 4) or ``(H, W)``."""
    return isinstance(space, Box) and space.dtype == np.uint8 and len(space.shape) in (2, 3)


def obs_storage_dtype(space) -> type:
    """How buffers store observations of ``space``: pictures as ``uint8`` (as they come: a
    quarter of float32's memory; the network scales them), everything else as float32."""
    return np.uint8 if is_image_space(space) else np.float32


def obs_encoder(observation_space, encoder: str = "auto") -> tuple[nn.Module, int]:
    """A module that turns observations of ``observation_space`` (a Box of any shape) into flat
    features, and their size; a message for any other space.

    ``encoder``: ``'auto'`` (default) is ``'nature'`` for pictures (:func:`is_image_space`) of
    at least 36×36 pixels, ``'impala'`` for smaller pictures, and ``'flatten'`` for everything
    else; ``'nature'``, ``'impala'`` (:class:`NatureCNN`, :class:`ImpalaCNN`) and ``'flatten'``
    (the observation's numbers as one vector, for an MLP) choose one.
    """
    if not isinstance(observation_space, Box):
        raise UserError(
            f"spinup's networks need a Box observation space (of any shape), but this "
            f"environment's is {observation_space}. Wrap the environment (e.g. "
            "gymnasium.wrappers.FlattenObservation for a Dict space) or pass your own actor_critic."
        )
    if encoder not in ENCODERS:
        raise UserError(f"ac_kwargs encoder must be one of {', '.join(map(repr, ENCODERS))}; got {encoder!r}.")
    if encoder == "auto" and is_image_space(observation_space):
        encoder = "nature" if min(image_layout(observation_space.shape)[1:3]) >= 36 else "impala"
    if encoder == "nature":
        cnn = NatureCNN(observation_space)
        return cnn, cnn.features
    if encoder == "impala":
        cnn = ImpalaCNN(observation_space)
        return cnn, cnn.features
    shape = observation_space.shape
    flatten = nn.Flatten(start_dim=-len(shape)) if len(shape) > 1 else nn.Identity()
    return flatten, int(np.prod(shape))


def check_box_actions(action_space, algo: str) -> None:
    """Refuse non-Box action spaces with a pointer to the algorithms that handle them."""
    if not isinstance(action_space, Box):
        raise UserError(
            f"{algo} needs a continuous (Box) action space, but this environment's is {action_space}. "
            "For discrete actions use dqn, or sac (which runs its discrete variant)."
        )


def check_discrete_actions(action_space, algo: str) -> None:
    """Refuse non-Discrete action spaces with a pointer to the algorithms that handle them."""
    if not isinstance(action_space, Discrete):
        raise UserError(
            f"{algo} needs a Discrete action space, but this environment's is {action_space}. "
            "For continuous (Box) actions use sac, td3 or ddpg."
        )


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


def bounds_to_affine(low: np.ndarray, high: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """``(center, half_range)`` such that ``center + half_range * x`` maps x in [−1, 1] onto
    [low, high], dimension by dimension (bounds need not be symmetric nor equal)."""
    low_t, high_t = torch.as_tensor(low, dtype=torch.float32), torch.as_tensor(high, dtype=torch.float32)
    return (high_t + low_t) / 2, (high_t - low_t) / 2


# ---------------------------------------------------------------------------------------------
# Convolutional encoders, for pictures


def image_layout(shape: tuple) -> tuple[int, int, int, bool]:
    """``(channels, height, width, channels_last)`` of a picture of this shape: ``(C, H, W)``
    unless the last dimension is 1, 3 or 4 and the first is larger (``(H, W, C)``); ``(H, W)``
    has one channel."""
    if len(shape) == 2:
        return 1, shape[0], shape[1], False
    if shape[-1] in (1, 3, 4) and shape[0] > 4:
        return shape[2], shape[0], shape[1], True
    return shape[0], shape[1], shape[2], False


class PixelScaling(nn.Module):
    """``uint8`` pictures (any of :func:`image_layout`'s layouts, with a batch dimension) to float
    ``[batch, C, H, W]`` in [0, 1]. Observations stay ``uint8`` (4 times smaller than float32)
    in buffers, up to this first step of the network."""

    def __init__(self, shape: tuple):
        super().__init__()
        self.channels, _, _, self.channels_last = image_layout(tuple(shape))
        self.rank = len(shape)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs.float() / 255.0
        if self.rank == 2:
            return x.unsqueeze(-3)
        return x.movedim(-1, -3) if self.channels_last else x


def conv_output_size(convs: nn.Module, channels: int, height: int, width: int) -> int:
    """The number of features ``convs`` makes of one ``channels × height × width`` picture."""
    with torch.no_grad():
        return int(convs(torch.zeros(1, channels, height, width)).shape[-1])


class NatureCNN(nn.Module):
    """The convolutional torso of the Nature DQN (Mnih et al., 2015): 32 filters 8×8 with stride 4,
    64 filters 4×4 with stride 2, 64 filters 3×3 with stride 1, each followed by a ReLU, then a
    fully connected layer of 512 ReLU units. Needs pictures of at least 36×36 pixels; on Atari's
    4×84×84 it has 1.7 million parameters. ``features`` is its output size."""

    def __init__(self, observation_space, features: int = 512):
        super().__init__()
        c, h, w, _ = image_layout(observation_space.shape)
        if min(h, w) < 36:
            raise UserError(f"The Nature CNN needs pictures of at least 36×36 pixels, not {h}×{w}; "
                            "use ac_kwargs encoder='impala' for small pictures.")
        convs = nn.Sequential(
            nn.Conv2d(c, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten(),
        )
        self.net = nn.Sequential(PixelScaling(observation_space.shape), convs,
                                 nn.Linear(conv_output_size(convs, c, h, w), features), nn.ReLU())
        self.features = features

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


class ResidualBlock(nn.Module):
    """x + conv(relu(conv(relu(x)))), with 3×3 convolutions that keep the size."""

    def __init__(self, channels: int):
        super().__init__()
        self.convs = nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1),
                                   nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.convs(x)


class ImpalaCNN(nn.Module):
    """The residual torso of IMPALA (Espeholt et al., 2018): three stages (16, 32 and 32 channels),
    each a 3×3 convolution, a 3×3 max-pool with stride 2 and two residual blocks; then a ReLU and
    a fully connected layer of 256 ReLU units. Deeper than the Nature CNN with fewer parameters
    (1.1 million on Atari, most of them in the last layer), and it takes pictures of any size."""

    def __init__(self, observation_space, features: int = 256):
        super().__init__()
        c, h, w, _ = image_layout(observation_space.shape)
        layers, channels = [], c
        for out in (16, 32, 32):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.MaxPool2d(3, stride=2, padding=1),
                       ResidualBlock(out), ResidualBlock(out)]
            channels = out
        convs = nn.Sequential(*layers, nn.ReLU(), nn.Flatten())
        self.net = nn.Sequential(PixelScaling(observation_space.shape), convs,
                                 nn.Linear(conv_output_size(convs, c, h, w), features), nn.ReLU())
        self.features = features

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs)


# ---------------------------------------------------------------------------------------------
# The multi-layer perceptron


def mlp(sizes, activation, output_activation=nn.Identity) -> nn.Sequential:
    """Linear layers of the given ``sizes`` (input first) with ``activation`` between them and
    ``output_activation`` after the last."""
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


# ---------------------------------------------------------------------------------------------
# Stochastic policies and V(s): VPG, TRPO and PPO


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
        """Actions and their log-probabilities, without building a distribution object."""
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
        """Actions ``a = mu + std * eps`` (``eps ~ N(0, I)``) and their log-densities
        ``log pi(a) = -1/2 sum(eps^2 + 2 log_std + log 2 pi)``, without a distribution object."""
        mu = self.mu_net(obs)
        eps = torch.randn_like(mu)
        act = mu + torch.exp(self.log_std) * eps
        logp = -0.5 * (eps.pow(2) + 2 * self.log_std + math.log(2 * math.pi)).sum(dim=-1)
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


# ---------------------------------------------------------------------------------------------
# A deterministic policy μ(s) and twin Q-functions Q1, Q2: DDPG, TD3 and SAC


class MLPDeterministicActor(nn.Module):
    """A deterministic policy μ(s): an MLP with a tanh output, mapped onto the action bounds
    [low, high] of each dimension (DDPG and TD3)."""

    def __init__(self, observation_space, act_low: np.ndarray, act_high: np.ndarray, hidden_sizes, activation,
                 encoder: str = "auto"):
        super().__init__()
        self.flatten, obs_dim = obs_encoder(observation_space, encoder)
        self.obs_shape = tuple(observation_space.shape)
        self.pi = mlp([obs_dim, *hidden_sizes, len(act_low)], activation, nn.Tanh)
        center, half_range = bounds_to_affine(act_low, act_high)
        self.register_buffer("act_center", center)
        self.register_buffer("act_half_range", half_range)
        self.numpy_pi = NumpyMLP(nn.Sequential(self.flatten, self.pi))  # not for a CNN encoder

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.act_center, self.act_half_range, self.pi(self.flatten(obs)))

    def act_numpy(self, obs: torch.Tensor) -> np.ndarray:
        """μ(s) as NumPy for one observation (flat, ``[act_dim]``) or a batch ``[n, *obs_shape]``
        (``[n, act_dim]``); computed in NumPy on the CPU where it can be."""
        one = tuple(obs.shape) == self.obs_shape
        if not self.numpy_pi.supported:
            with torch.inference_mode():
                obs = torch.as_tensor(obs, dtype=torch.float32).to(self.act_center.device)  # e.g. a test episode's
                out = self(obs.unsqueeze(0) if one else obs).cpu().numpy()
            return out[0] if one else out
        x = flat_float32(obs) if one else flat_float32(obs, batch=len(obs))
        return self.act_center.numpy() + self.act_half_range.numpy() * self.numpy_pi(x)


class MLPTwinQFunction(nn.Module):
    """Two Q-functions Q1(s, a) and Q2(s, a), MLPs on the concatenated (flattened) observation and
    action. ``q(obs, act)`` returns ``(q1, q2)``, each ``[batch]``; ``q.q1(obs, act)`` Q1 alone.

    Underneath, both are one :class:`~spinup.utils.speed.EnsembleMLP` (each layer of both is one
    batched matrix product), which is faster than two MLPs and the same maths.
    """

    def __init__(self, observation_space, act_dim: int, hidden_sizes, activation, encoder: str = "auto"):
        super().__init__()
        self.flatten, obs_dim = obs_encoder(observation_space, encoder)
        self.q = EnsembleMLP(2, [obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs: torch.Tensor, act: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q1, q2 = self.q(torch.cat([self.flatten(obs), act], dim=-1)).squeeze(-1)
        return q1, q2

    def q1(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return self.q(torch.cat([self.flatten(obs), act], dim=-1), members=slice(0, 1))[0].squeeze(-1)
