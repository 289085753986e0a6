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


def print_result(correct: bool, exercise: str = "", message: str = "") -> None:
    """Print a banner saying whether the answer to ``exercise`` is correct, after ``message``."""
    if message:
        print("\n" + message)
    title = f"Exercise {exercise}: " if exercise else ""
    if correct:
        line = colorize(f"{title}Congratulations! Your answer is correct.", "green", bold=True)
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
