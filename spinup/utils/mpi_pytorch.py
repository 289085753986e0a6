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

from spinup.utils.flat import flat_params, set_flat_params
from spinup.utils.mpi_tools import broadcast, mpi_avg, num_procs


def setup_pytorch_for_mpi() -> None:
    """Give each process an equal share of torch's threads (at least one), to avoid oversubscription."""
    if num_procs() == 1:
        return
    fair = max(int(torch.get_num_threads() / num_procs()), 1)
    torch.set_num_threads(fair)


@torch.no_grad()
def mpi_avg_grads(module: torch.nn.Module) -> None:
    """Replace every parameter's gradient with its average over all processes (one allreduce)."""
    if num_procs() == 1:
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    avg = mpi_avg(flat_params(grads).cpu().numpy()).astype(np.float32)  # via the host on a GPU
    set_flat_params(grads, torch.from_numpy(avg))


@torch.no_grad()
def sync_params(module: torch.nn.Module) -> None:
    """Copy rank 0's parameters to every other process (one broadcast)."""
    if num_procs() == 1:
        return
    params = list(module.parameters())
    flat = np.ascontiguousarray(flat_params(params).cpu().numpy(), dtype=np.float32)
    broadcast(flat)
    set_flat_params(params, torch.from_numpy(flat))


def mpi_avg_tensor(x: torch.Tensor) -> torch.Tensor:
    """``x`` averaged over all processes (``x`` itself in a single process), e.g. a flat gradient."""
    if num_procs() == 1:
        return x
    return torch.as_tensor(mpi_avg(x.detach().cpu().numpy()), dtype=x.dtype, device=x.device)
