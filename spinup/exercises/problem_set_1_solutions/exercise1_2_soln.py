"""Solution to exercise 1.2: a Gaussian policy for PPO (``mlp``, ``DiagonalGaussianDistribution.sample``
and ``MLPGaussianActor.__init__``).

Check it:  python -m spinup.exercises.check 1.2 --solution
"""

import math

import torch
import torch.nn as nn

from spinup.exercises.problem_set_1_solutions.exercise1_1_soln import gaussian_likelihood


def mlp(sizes, activation, output_activation=nn.Identity) -> nn.Sequential:
    """A multi-layer perceptron.

    Args:
        sizes: the widths of the layers, input first and output last, e.g. ``[obs_dim, 64, act_dim]``
            means one ``nn.Linear(obs_dim, 64)`` and one ``nn.Linear(64, act_dim)``.
        activation: the activation *class* (e.g. ``nn.Tanh``) put after every hidden layer.
        output_activation: the activation class after the last layer. Default: none (identity).

    Returns:
        An ``nn.Sequential`` of the layers and activations, in order.
    """
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


class DiagonalGaussianDistribution:
    """A diagonal Gaussian with means ``mu`` (shape ``[batch, act_dim]``) and log standard
    deviations ``log_std`` (shape ``[act_dim]``, shared by the batch)."""

    def __init__(self, mu: torch.Tensor, log_std: torch.Tensor):
        self.mu, self.log_std = mu, log_std

    def sample(self) -> torch.Tensor:
        """One sample per row of ``mu``: a tensor of the same shape as ``mu``.

        Hint: a standard normal draw z (see ``torch.randn_like``), scaled and shifted.
        """
        return self.mu + torch.exp(self.log_std) * torch.randn_like(self.mu)

    # -- given ------------------------------------------------------------------------------

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """The log-likelihood of each row of ``value``, shape ``[batch]`` (exercise 1.1)."""
        return gaussian_likelihood(value, self.mu, self.log_std)

    def entropy(self) -> torch.Tensor:
        """The entropy of each dimension, shape ``[batch, act_dim]``: log sigma + log(2 pi e) / 2."""
        return (self.log_std + 0.5 * math.log(2 * math.pi * math.e)).expand_as(self.mu)


class MLPGaussianActor(nn.Module):
    """A Gaussian policy: the mean from an MLP, the log standard deviation a free parameter.

    Args:
        obs_dim: size of an observation.
        act_dim: size of an action.
        hidden_sizes: the hidden layers' widths, e.g. ``(64,)``.
        activation: the activation class between layers, e.g. ``nn.Tanh``.
    """

    def __init__(self, obs_dim: int, act_dim: int, hidden_sizes, activation):
        super().__init__()
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))
        self.mu_net = mlp([obs_dim, *hidden_sizes, act_dim], activation)

    # -- given ------------------------------------------------------------------------------

    def distribution(self, obs: torch.Tensor) -> DiagonalGaussianDistribution:
        return DiagonalGaussianDistribution(self.mu_net(obs), self.log_std)

    def forward(self, obs: torch.Tensor, act: torch.Tensor | None = None):
        """The action distribution at ``obs`` and, if ``act`` is given, its log-likelihood."""
        pi = self.distribution(obs)
        return pi, None if act is None else pi.log_prob(act)

    def sample(self, obs: torch.Tensor):
        """An action drawn at ``obs`` and its log-likelihood."""
        pi = self.distribution(obs)
        act = pi.sample()
        return act, pi.log_prob(act)


if __name__ == "__main__":
    import sys

    from spinup.exercises.check import main

    raise SystemExit(main(["1.2", "--solution", *sys.argv[1:]]))
