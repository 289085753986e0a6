"""Parameters (or gradients) as one flat vector and back: how TRPO's natural-gradient maths sees
a network, and how MPI averages gradients in one message."""

from __future__ import annotations

from collections.abc import Iterable

import torch


def flat_params(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """All of ``tensors`` as one vector (a copy, without gradients)."""
    return torch.cat([t.detach().reshape(-1) for t in tensors])


@torch.no_grad()
def set_flat_params(tensors: Iterable[torch.Tensor], flat: torch.Tensor) -> None:
    """Copy the vector ``flat`` into ``tensors``, in place (the tensors keep their memory)."""
    i = 0
    for t in tensors:
        n = t.numel()
        t.copy_(flat[i : i + n].view_as(t))
        i += n
