"""A one-line summary of a run's progress, printed after each epoch's table::

    epoch 12/50 · 3,412 steps/s · ETA 4m 31s

The :class:`~spinup.utils.logx.Logger` drives it: it learns the number of epochs from the
``epochs`` entry of the config it saves, and at every ``dump_tabular`` it counts one more epoch
and reads ``TotalEnvInteracts`` from the row for the speed. Algorithms need no code for it.

It stays quiet when standard output is not a terminal (a log file, a pipe, a test), so saved
output holds only the tables. ``SPINUP_PROGRESS=1`` forces it on and ``SPINUP_PROGRESS=0`` off.
"""

from __future__ import annotations

import os
import sys
import time


def format_duration(seconds: float) -> str:
    """``4071`` -> ``'1h 7m 51s'``; ``75`` -> ``'1m 15s'``; ``9.4`` -> ``'9s'``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def progress_enabled(stream=None) -> bool:
    """Whether to show the progress line: ``SPINUP_PROGRESS`` if set, else whether ``stream``
    (default ``sys.stdout``) is a terminal."""
    forced = os.environ.get("SPINUP_PROGRESS", "").strip().lower()
    if forced in ("1", "true", "yes", "on"):
        return True
    if forced in ("0", "false", "no", "off"):
        return False
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class ProgressLine:
    """Epoch count, speed and estimated time left, as one line per epoch.

    Speed and ETA are measured from the end of the first epoch seen (so start-up time, such as
    building environments and importing libraries, does not count), or from the start while
    only one epoch is done.

    Args:
        total_epochs: the number of epochs the run will do, if known (None: no ETA).
        stream: where to write. Default ``sys.stdout``.
        enabled: None (default) decides with :func:`progress_enabled`.
    """

    def __init__(self, total_epochs: int | None = None, stream=None, enabled: bool | None = None):
        self.total_epochs = total_epochs
        self.stream = stream
        self.enabled = progress_enabled(stream) if enabled is None else enabled
        self.restart_from(0, 0)

    def restart_from(self, epochs_done: int, total_steps: float | None = None) -> None:
        """Count from ``epochs_done`` finished epochs and ``total_steps`` steps (a resumed run),
        timing from now."""
        self.epochs_done = epochs_done
        self._start = (time.time(), epochs_done, total_steps)
        self._mark = None  # (time, epochs, steps) at the end of the first epoch seen

    def line(self, total_steps: float | None = None, now: float | None = None) -> str:
        """The text for the current state (without printing it)."""
        now = time.time() if now is None else now
        t0, e0, s0 = self._mark if self._mark and self.epochs_done > self._mark[1] else self._start
        dt = max(now - t0, 1e-9)
        parts = [f"epoch {self.epochs_done}" + (f"/{self.total_epochs}" if self.total_epochs else "")]
        if total_steps is not None and s0 is not None:
            parts.append(f"{(total_steps - s0) / dt:,.0f} steps/s")
        if self.total_epochs and self.epochs_done > e0:
            left = max(self.total_epochs - self.epochs_done, 0)
            parts.append("ETA " + format_duration(left * dt / (self.epochs_done - e0)))
        parts.append(f"elapsed {format_duration(now - self._start[0])}")
        return " · ".join(parts)

    def epoch_done(self, total_steps: float | None = None) -> None:
        """Count one finished epoch and print the line (when enabled).

        ``total_steps`` is the run's environment-step count so far (``TotalEnvInteracts``).
        """
        self.epochs_done += 1
        if self.enabled:
            stream = sys.stdout if self.stream is None else self.stream
            print("\x1b[2m" + self.line(total_steps) + "\x1b[0m", file=stream, flush=True)
        if self._mark is None:
            self._mark = (time.time(), self.epochs_done, total_steps)
