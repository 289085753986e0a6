"""What every exercise check shares: the result banner and the "not implemented yet" message."""

from __future__ import annotations

import os
import traceback

from spinup.utils.logx import colorize

BANNER_WIDTH = 60
TODO_MARK = "YOUR CODE HERE"


class CheckFailed(Exception):
    """The learner's answer ran but is wrong; the message says how."""


class NotDoneYet(Exception):
    """The learner's file still has parts to fill in.

    Args:
        path: the file to open.
        where: the function (and line) that still raises ``NotImplementedError``.
    """

    def __init__(self, path: str, where: str = ""):
        self.path, self.where = path, where
        at = f" ({where})" if where else ""
        super().__init__(f"not implemented yet: open {path} and fill in the parts marked {TODO_MARK}{at}.")


def print_result(correct: bool, exercise: str = "", message: str = "", success: str | None = None) -> None:
    """Print a banner saying whether the answer to ``exercise`` is correct, after ``message``.
    ``success`` replaces the congratulations (for experiments, which have no answer to check)."""
    if message:
        print("\n" + message)
    title = f"Exercise {exercise}: " if exercise else ""
    if correct:
        line = colorize(f"{title}{success or 'Congratulations! Your answer is correct.'}", "green", bold=True)
    else:
        line = colorize(f"{title}Your answer appears to be incorrect. Try again!", "red", bold=True)
    print("\n" + "=" * BANNER_WIDTH + "\n\n  " + line + "\n\n" + "=" * BANNER_WIDTH + "\n", flush=True)


def not_done_from(err: NotImplementedError, roots: list[str]) -> NotDoneYet:
    """Turn a ``NotImplementedError`` into :class:`NotDoneYet` naming the learner's file and the
    function that raised it: the deepest frame in a file under one of ``roots`` (files or folders)."""
    roots = [os.path.realpath(r) for r in roots]
    frames = traceback.extract_tb(err.__traceback__)

    def is_learners(filename: str) -> bool:
        real = os.path.realpath(filename)
        return any(real == r or real.startswith(r + os.sep) for r in roots)

    mine = [f for f in frames if is_learners(f.filename)] or frames
    if not mine:
        return NotDoneYet(roots[0] if roots else "the exercise file")
    frame = mine[-1]
    return NotDoneYet(frame.filename, f"function {frame.name}, line {frame.lineno}")


# ---------------------------------------------------------------------------------------------
# Problem set 2: summarising and plotting a sweep of runs


def _last_rows(path: str, column: str, n: int):
    """The mean of ``column`` over the last ``n`` rows of a ``progress.txt`` (None if absent)."""
    from spinup.utils.plot import read_progress

    data = read_progress(path)
    if data is None or column not in data.columns or len(data) == 0:
        return None
    return float(data[column].tail(n).mean())


def summarize_sweep(results, columns=("AverageEpRet",), last: int = 5) -> str:
    """A table with one line per experiment (seeds averaged): the mean of each column over the
    last ``last`` epochs of its runs."""
    by_name: dict[str, list[str]] = {}
    for r in results:
        by_name.setdefault(r.exp_name, []).append(r.output_dir)
    width = max(len(n) for n in by_name) + 2
    header = "experiment".ljust(width) + "seeds  " + "  ".join(c.rjust(14) for c in columns)
    lines = [f"Mean over seeds of the last {last} epochs:", header, "-" * len(header)]
    for name, dirs in by_name.items():
        cells = []
        for c in columns:
            vals = [v for v in (_last_rows(os.path.join(d, "progress.txt"), c, last) for d in dirs) if v is not None]
            cells.append(f"{sum(vals) / len(vals):14.1f}" if vals else " " * 13 + "-")
        lines.append(name.ljust(width) + f"{len(dirs):5d}  " + "  ".join(cells))
    return "\n".join(lines)


def plot_sweep(results, save: str, value: str = "AverageEpRet") -> list[str]:
    """Plot the sweep's learning curves (one curve per experiment, mean and spread over seeds)
    into the file ``save``; returns the saved paths."""
    from spinup.utils.plot import make_plots

    folders = sorted({os.path.dirname(r.output_dir) + os.sep for r in results})
    return make_plots(folders, values=[value], save=save)
