"""The process in which one experiment runs (started by ``run_utils.call_experiment``).

Usage: ``python -m spinup.utils.run_entrypoint <encoded>``, where ``<encoded>`` is
``(thunk, kwargs, num_cpu)`` pickled with cloudpickle, compressed with zlib and base64-encoded.
The process forks into ``num_cpu`` MPI processes if asked (each re-runs this same command and
so decodes the same experiment), then calls ``thunk(**kwargs)``.

A :class:`~spinup.utils.errors.UserError` raised by the experiment is printed as its message
alone, and the process exits with status 2.
"""

from __future__ import annotations

import os
import sys

# When mpi_fork re-runs this file as a script, Python puts spinup/utils/ first on sys.path;
# drop it so that module names there (plot, envs, ...) cannot hide other packages.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import base64  # noqa: E402
import pickle  # noqa: E402
import zlib  # noqa: E402

from spinup.utils.errors import UserError  # noqa: E402
from spinup.utils.mpi_tools import mpi_fork  # noqa: E402


def decode_thunk(encoded: str):
    """Inverse of ``run_utils.encode_thunk``."""
    return pickle.loads(zlib.decompress(base64.b64decode(encoded)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run one experiment encoded by spinup's call_experiment.")
    parser.add_argument("encoded_thunk")
    args = parser.parse_args(argv)
    try:
        thunk, kwargs, num_cpu = decode_thunk(args.encoded_thunk)
        mpi_fork(num_cpu)
        thunk(**kwargs)
    except UserError as e:
        print(f"\nError: {e}\n", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
