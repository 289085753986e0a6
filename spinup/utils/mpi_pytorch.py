"""PyTorch helpers for data-parallel training over MPI (one model copy per process).

Usage::

    setup_pytorch_for_mpi()   # once, at the start
    sync_params(ac)           # after building the model: every rank starts from rank 0's weights
    loss.backward()
    mpi_avg_grads(ac.pi)      # average the gradients over ranks
    pi_optimizer.step()
"""

from __future__ import annotations

import numpy as np
import torch

from spinup.utils.mpi_tools import broadcast, mpi_avg, num_procs


def setup_pytorch_for_mpi() -> None:
    """Give each process an equal share of torch's threads (at least one), to avoid oversubscription."""
    if num_procs() == 1:
        return
    fair = max(int(torch.get_num_threads() / num_procs()), 1)
    torch.set_num_threads(fair)


def _flat(tensors) -> np.ndarray:
    return torch.cat([t.detach().reshape(-1) for t in tensors]).numpy()


def _unflat(flat: np.ndarray, tensors) -> None:
    i = 0
    for t in tensors:
        n = t.numel()
        t.copy_(torch.from_numpy(flat[i : i + n]).view_as(t))
        i += n


@torch.no_grad()
def mpi_avg_grads(module: torch.nn.Module) -> None:
    """Replace every parameter's gradient with its average over all processes (one allreduce)."""
    if num_procs() == 1:
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    avg = mpi_avg(_flat(grads)).astype(np.float32)
    _unflat(avg, grads)


@torch.no_grad()
def sync_params(module: torch.nn.Module) -> None:
    """Copy rank 0's parameters to every other process (one broadcast)."""
    if num_procs() == 1:
        return
    params = list(module.parameters())
    flat = np.ascontiguousarray(_flat(params), dtype=np.float32)
    broadcast(flat)
    _unflat(flat, params)


def mpi_avg_tensor(x: torch.Tensor) -> torch.Tensor:
    """``x`` averaged over all processes (``x`` itself in a single process), e.g. a flat gradient."""
    if num_procs() == 1:
        return x
    return torch.as_tensor(mpi_avg(x.detach().numpy()), dtype=x.dtype)
