"""Where the networks train: ``device`` for every algorithm (``'cpu'``, ``'cuda'``, ``'mps'`` or
``'auto'``).

The default is ``'cpu'``: the networks of these algorithms are small (two hidden layers of 64 to
256 units), and for them a GPU spends more time launching kernels and copying observations than
it saves in arithmetic. A GPU pays off with large batches, wide networks, or images (CNNs).

On a device other than the CPU, the networks, their optimizers and (off-policy) the replay buffer
live on the device; observations go to it once per step, actions come back once per step, and
the on-policy buffer moves the epoch's data there once per update. Checkpoints always hold CPU
tensors, so a run trained on a GPU resumes or plays back on a machine without one.
"""

from __future__ import annotations

import torch

from spinup.utils.errors import UserError

DEVICES = ("cpu", "cuda", "mps", "auto")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def device_problem(name: str) -> str | None:
    """Why ``name`` cannot be used on this machine (a sentence), or None if it can."""
    if name == "cuda" and not torch.cuda.is_available():
        built = "this PyTorch is a build without CUDA" if torch.version.cuda is None else "no GPU is visible"
        return (f"this machine has no CUDA device that PyTorch can use ({built}). "
                "Use --device cpu, or --device auto to take a GPU only where there is one")
    if name == "mps" and not _mps_available():
        return "MPS (Apple GPUs) is not available on this machine. Use --device cpu or --device auto"
    return None


def resolve_device(name: str) -> torch.device:
    """The ``torch.device`` for ``name``: ``'auto'`` takes CUDA, then MPS, then the CPU.

    Raises:
        UserError: for a device this machine does not have (checked before a run starts).
    """
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if _mps_available() else "cpu")
    if name not in DEVICES:
        raise UserError(f"device must be one of {', '.join(DEVICES)}; got {name!r}.")
    problem = device_problem(name)
    if problem is not None:
        raise UserError(f"--device {name}: {problem}.")
    return torch.device(name)
