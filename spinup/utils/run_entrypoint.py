"""The process in which one experiment runs (launched by :mod:`spinup.utils.launch`).

Usage: ``python -m spinup.utils.run_entrypoint <encoded>``, where ``<encoded>`` is
:func:`encode_thunk` of ``(thunk, kwargs, num_cpu)``: pickled with cloudpickle (which pickles a
function defined in a script by value), compressed with zlib and base64-encoded, so that the
whole experiment is one command-line argument. Both ends of that round trip are in this file. The
process forks into ``num_cpu`` MPI processes if asked (each re-runs this same command line and
so decodes the same experiment, which is why the experiment travels in the command line and not
through a pipe), then calls ``thunk(**kwargs)``.

A :class:`~spinup.utils.errors.UserError` raised by the experiment is printed as its message
alone, and the process exits with status 2; so is a full disk ("The disk is full: ..."). Ctrl-C
prints "Interrupted." and how to resume the run, and exits with status 130.

The process stops when the process that launched it dies (killed, even by SIGKILL), and so do
its MPI processes: no experiment goes on writing after its launcher is gone. The launcher names
itself in ``SPINUP_LAUNCHER_PID``; MPI processes watch the experiment's process instead.
"""

from __future__ import annotations

import os
import sys

# When mpi_fork re-runs this file as a script, Python puts spinup/utils/ first on sys.path;
# drop it so that module names there (plot, envs, ...) cannot hide other packages.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import base64  # noqa: E402
import pickle  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402

from spinup.utils.checkpoint import DiskFullError, continue_hint, is_disk_full  # noqa: E402
from spinup.utils.errors import UserError  # noqa: E402
from spinup.utils.mpi_tools import launched_by_mpi, mpi_fork, proc_id  # noqa: E402

# The launcher's pid (set by spinup.utils.launch for the experiment's process), and the
# experiment process's pid (set for its MPI processes).
LAUNCHER_PID_VAR = "SPINUP_LAUNCHER_PID"
TRAINER_PID_VAR = "SPINUP_TRAINER_PID"

# Linux refuses a single command-line argument longer than 128 KiB.
MAX_ENCODED_THUNK_CHARS = 120_000


def encode_thunk(payload) -> str:
    """cloudpickle, then zlib, then base64: ``(thunk, kwargs, num_cpu)`` as one command-line
    argument. :func:`main` decodes it (with plain ``pickle``, so this process never imports
    cloudpickle unless the payload needs it)."""
    import cloudpickle

    encoded = base64.b64encode(zlib.compress(cloudpickle.dumps(payload))).decode("ascii")
    if len(encoded) > MAX_ENCODED_THUNK_CHARS:
        raise UserError(
            f"The experiment's function and arguments take {len(encoded)} characters once encoded, too "
            "many to pass to a subprocess. Pass large data by file name instead of as an argument."
        )
    return encoded


def run_dir_of(kwargs: dict) -> str | None:
    """The folder the experiment writes: ``resume``, or ``logger_kwargs['output_dir']``."""
    return kwargs.get("resume") or (kwargs.get("logger_kwargs") or {}).get("output_dir")


def interrupted_message(algo: str | None, run_dir: str | None) -> str:
    """What a trainer stopped by Ctrl-C says: "Interrupted." and how to go on."""
    if not run_dir:
        return "Interrupted."
    return f"Interrupted. Finished epochs are kept in {run_dir}; to go on, {continue_hint(run_dir, algo)}"


def main(argv=None) -> int:
    """Decode the experiment in ``argv`` (default ``sys.argv[1:]``: one :func:`encode_thunk`
    string), fork into its MPI processes if it asks for them, and run it; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m spinup.utils.run_entrypoint ENCODED (made by encode_thunk; this "
              "process is started by spinup, not by hand)", file=sys.stderr)
        return 2
    thunk, kwargs, run_dir = None, {}, None
    try:
        thunk, kwargs, num_cpu = pickle.loads(zlib.decompress(base64.b64decode(argv[0])))
        run_dir = run_dir_of(kwargs)
        try:
            mpi_fork(num_cpu)
        except KeyboardInterrupt:  # the MPI processes were interrupted too, and say so themselves
            return 130
        thunk(**kwargs)
    except UserError as e:
        print(f"\nError: {e}\n", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        if proc_id() == 0:
            print("\n" + interrupted_message(getattr(thunk, "__name__", None), run_dir), file=sys.stderr, flush=True)
        return 130
    except OSError as e:
        if not is_disk_full(e):
            raise
        print(f"\nError: {DiskFullError(e.filename or run_dir or '?')}\n", file=sys.stderr, flush=True)
        return 2
    return 0


def _exit_on_sigterm(signum, frame):
    # SystemExit unwinds the stack, so an atomic write in progress removes its temporary file.
    raise SystemExit(128 + signum)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_with_launcher(poll_s: float = 0.5) -> None:
    """End this process (SIGTERM to itself) when the process it depends on is gone: the launcher
    that started it (``SPINUP_LAUNCHER_PID``, its parent) or, in an MPI process, the experiment's
    process (``SPINUP_TRAINER_PID``). On Linux the kernel also sends SIGTERM when the parent dies
    (``PR_SET_PDEATHSIG``); the watching thread covers macOS and MPI processes."""
    launcher = int(os.environ.get(LAUNCHER_PID_VAR) or 0)
    trainer = int(os.environ.get(TRAINER_PID_VAR) or 0) if launched_by_mpi() else 0
    parent = launcher if launcher and not launched_by_mpi() else 0
    if not (parent or trainer):
        return
    if parent and sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def gone() -> bool:
        return (parent and os.getppid() != parent) or (trainer and not _alive(trainer))

    def watch():
        while not gone():
            time.sleep(poll_s)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the main thread did not stop (stuck in a call that ignores signals)
        os._exit(128 + signal.SIGTERM)

    if gone():  # the launcher died before the watch began
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="stop-with-launcher", daemon=True).start()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if not launched_by_mpi():
        os.environ[TRAINER_PID_VAR] = str(os.getpid())  # for the MPI processes mpi_fork starts
    stop_with_launcher()
    sys.exit(main())
