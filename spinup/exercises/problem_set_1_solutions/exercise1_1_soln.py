"""Solution to exercise 1.1: the log-likelihood of a diagonal Gaussian."""

import math

import torch

LOG_2PI = math.log(2 * math.pi)


def gaussian_likelihood(x: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """The log-likelihood of each sample in a batch under a diagonal Gaussian.

    Args:
        x: samples, shape ``[batch, dim]``.
        mu: means, shape ``[batch, dim]``.
        log_std: shape ``[batch, dim]`` or ``[dim]`` (broadcast over the batch).

    Returns:
        The log-likelihoods, shape ``[batch]``.
    """
    # One term per dimension; a [dim] log_std broadcasts against [batch, dim] by itself.
    per_dim = ((x - mu) / torch.exp(log_std)) ** 2 + 2 * log_std + LOG_2PI
    return -0.5 * per_dim.sum(dim=-1)
