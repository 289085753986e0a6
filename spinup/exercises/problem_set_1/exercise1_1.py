"""Exercise 1.1: the log-likelihood of a diagonal Gaussian.

A diagonal Gaussian policy with mean mu and log standard deviation log_std gives an action x of
dimension k the log-likelihood

    log pi(x) = -1/2 * sum_{i=1..k} [ (x_i - mu_i)^2 / sigma_i^2 + 2 log sigma_i ] - k/2 log(2 pi),

with sigma_i = exp(log_std_i). Write it for a whole batch at once, with torch operations only
(so that gradients flow through it; exercise 1.2 trains a policy with your function).

Check your answer:  python -m spinup.exercises.check 1.1
"""

import torch


def gaussian_likelihood(x: torch.Tensor, mu: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """The log-likelihood of each sample in a batch under a diagonal Gaussian.

    Args:
        x: samples, shape ``[batch, dim]``.
        mu: means, shape ``[batch, dim]``.
        log_std: log standard deviations, shape ``[batch, dim]`` (one per sample) or ``[dim]``
            (shared by every sample, as in a policy whose log_std is a parameter).

    Returns:
        The log-likelihoods, shape ``[batch]``.
    """
    # ---------------- YOUR CODE HERE (then delete the line below) ----------------
    raise NotImplementedError


if __name__ == "__main__":
    import sys

    from spinup.exercises.check import main

    raise SystemExit(main(["1.1", *sys.argv[1:]]))
