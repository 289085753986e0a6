"""Plot learning curves from ``progress.txt`` files.

Command line::

    python -m spinup.run plot LOGDIR [LOGDIR ...] [-l LEGEND ...] [-x XAXIS] [-y VALUE ...]
        [--count] [-s SMOOTH] [--select S ...] [--exclude S ...] [--est mean] [--save FILE]

Each LOGDIR is a folder or the *prefix* of folders: ``data/bench_ppo`` plots every entry of
``data/`` whose name contains ``bench_ppo``. (A folder named with a trailing slash,
``data/bench_ppo/``, is taken as it is.) Inside, every folder holding a ``progress.txt`` is a run.
Runs with the same experiment name (from their ``config.json``) form one curve: the mean over
seeds, with a band of ± one standard deviation. ``--count`` draws every run on its own.

Without a display (a server, or matplotlib's Agg back-end) the figures are saved to files
instead of shown; ``--save FILE`` chooses the file (``.png``, ``.pdf`` or ``.svg``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import os.path as osp
import sys

import numpy as np

from spinup.utils.errors import UserError

DIV_LINE_WIDTH = 50
FIGURE_FORMATS = (".png", ".pdf", ".svg")
ESTIMATORS = ("mean", "median", "max", "min")
NON_INTERACTIVE_BACKENDS = ("agg", "pdf", "svg", "ps", "cairo", "pgf", "template")


def warn(msg: str) -> None:
    print(f"Warning: {msg}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Reading runs


def read_progress(path: str):
    """Read one ``progress.txt`` into a DataFrame, or return None (with a warning) if unusable.

    A last line without its newline (the run was killed while writing it) is dropped.
    """
    import pandas as pd

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        warn(f"could not read {path} ({e}); skipping it.")
        return None
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
        warn(f"the last line of {path} is incomplete (was the run stopped while writing?); ignoring it.")
    lines = text.splitlines()
    if len(lines) < 2:
        warn(f"{path} has no rows yet; skipping it.")
        return None
    try:
        data = pd.read_table(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as e:
        warn(f"could not parse {path} ({e}); skipping it.")
        return None
    return data


def read_exp_name(run_dir: str) -> str | None:
    """``exp_name`` from a run's ``config.json``, or None."""
    path = osp.join(run_dir, "config.json")
    try:
        with open(path) as f:
            return json.load(f).get("exp_name")
    except (OSError, ValueError, AttributeError):
        return None


def get_datasets(logdir: str, condition: str | None = None, counter: list[int] | None = None) -> list:
    """Every run (folder with a ``progress.txt``) below ``logdir``, as DataFrames.

    Each gets the columns ``Condition1`` (the legend entry: ``condition``, else the experiment
    name, else ``'exp'``), ``Condition2`` (``Condition1-<n>``, one per run), ``Unit`` (the run's
    number within its condition) and ``Performance`` (``AverageTestEpRet`` if the run has it, as
    off-policy runs do, else ``AverageEpRet``).

    Args:
        counter: a one-element list numbering runs across calls (so ``Condition2`` is unique).
    """
    counter = counter if counter is not None else [0]
    units: dict[str, int] = {}
    datasets = []
    for root, dirs, files in os.walk(logdir):
        dirs.sort()
        if "progress.txt" not in files:
            continue
        data = read_progress(osp.join(root, "progress.txt"))
        if data is None:
            continue
        cond1 = condition or read_exp_name(root) or "exp"
        cond2 = f"{cond1}-{counter[0]}"
        counter[0] += 1
        units[cond1] = units.get(cond1, -1) + 1
        perf = "AverageTestEpRet" if "AverageTestEpRet" in data else "AverageEpRet"
        if perf in data:
            data.insert(len(data.columns), "Performance", data[perf])
        data.insert(len(data.columns), "Unit", units[cond1])
        data.insert(len(data.columns), "Condition1", cond1)
        data.insert(len(data.columns), "Condition2", cond2)
        data.attrs["path"] = root
        datasets.append(data)
    return datasets


def resolve_logdirs(all_logdirs, select=None, exclude=None) -> list[str]:
    """Turn folders and prefixes into the list of folders to plot (see the module docstring).

    ``select``: keep only folders whose path contains every one of these strings.
    ``exclude``: drop folders whose path contains any of these strings.
    """
    logdirs = []
    for logdir in all_logdirs:
        if osp.isdir(logdir) and logdir.endswith(os.sep):
            logdirs.append(logdir)
            continue
        basedir = osp.dirname(logdir) or "."
        prefix = osp.basename(logdir)
        if not osp.isdir(basedir):
            raise UserError(f"plot: no folder matches {logdir!r}: {basedir} does not exist.")
        found = sorted(osp.join(basedir, x) for x in os.listdir(basedir) if prefix in x)
        found = [f for f in found if osp.isdir(f)]
        if not found:
            raise UserError(f"plot: no folder in {basedir} has {prefix!r} in its name. Give run or "
                            "experiment folders (or the start of their names), e.g. data/ppo_cartpole.")
        logdirs += found
    if select:
        logdirs = [d for d in logdirs if all(s in d for s in select)]
    if exclude:
        logdirs = [d for d in logdirs if not any(s in d for s in exclude)]
    return logdirs


def get_all_datasets(all_logdirs, legend=None, select=None, exclude=None) -> list:
    """Resolve the folders, print them, and read every run below them."""
    logdirs = resolve_logdirs(all_logdirs, select, exclude)
    if not logdirs:
        raise UserError(f"plot: --select {select} / --exclude {exclude} left no folders to plot.")
    print("Plotting from...\n" + "=" * DIV_LINE_WIDTH + "\n")
    for d in logdirs:
        print(d)
    print("\n" + "=" * DIV_LINE_WIDTH)
    if legend and len(legend) != len(logdirs):
        raise UserError(
            f"plot: {len(legend)} legend entries for {len(logdirs)} folders; give one per folder, "
            "in this order:\n  " + "\n  ".join(logdirs)
        )
    counter = [0]
    data = []
    for i, d in enumerate(logdirs):
        found = get_datasets(d, legend[i] if legend else None, counter)
        if not found:
            warn(f"no readable progress.txt below {d}; skipping it.")
        data += found
    if not data:
        raise UserError(
            "plot: nothing to plot: no readable progress.txt with at least one row below "
            + ", ".join(logdirs) + "."
        )
    return data


# ---------------------------------------------------------------------------------------------
# Drawing


def smooth_runs(data: list, value: str, smooth: int) -> None:
    """Replace each run's ``value`` by its moving average over ``smooth`` rows (centred; near
    the ends, over the rows that exist). In place."""
    if smooth <= 1:
        return
    window = np.ones(smooth)
    start = (smooth - 1) // 2  # where the centred part of the full convolution begins
    for datum in data:
        y = np.asarray(datum[value], dtype=np.float64)
        centred = slice(start, start + len(y))  # also right when the run is shorter than the window
        sums = np.convolve(y, window, "full")[centred]
        counts = np.convolve(np.ones(len(y)), window, "full")[centred]
        datum[value] = sums / counts


def plot_data(data, xaxis="Epoch", value="AverageEpRet", condition="Condition1", smooth=1,
              estimator="mean", ax=None):
    """Draw one figure's curves: ``value`` against ``xaxis``, one curve per ``condition``, the
    ``estimator`` over runs with a ± standard deviation band."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    if isinstance(data, list):
        smooth_runs(data, value, smooth)
        data = pd.concat(data, ignore_index=True)
    data = data[[xaxis, value, condition, "Unit"]].copy()
    data[xaxis] = pd.to_numeric(data[xaxis], errors="coerce")
    data[value] = pd.to_numeric(data[value], errors="coerce")
    ax = ax or plt.gca()
    sns.lineplot(data=data, x=xaxis, y=value, hue=condition, errorbar="sd",
                 estimator=getattr(np, estimator), ax=ax)
    ax.legend(loc="best").set_draggable(True)
    if np.nanmax(np.asarray(data[xaxis], dtype=np.float64)) > 5e3:
        ax.ticklabel_format(style="sci", axis="x", scilimits=(0, 0))  # the x axis in steps
    plt.tight_layout(pad=0.5)
    return ax


def can_show() -> bool:
    """Whether ``plt.show()`` can open a window: an interactive back-end and, on Linux, a display."""
    import matplotlib

    backend = matplotlib.get_backend().lower()
    if backend in NON_INTERACTIVE_BACKENDS:
        return False
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "inline" in backend  # a notebook shows figures without a display
    return True


def figure_paths(save: str, values: list[str]) -> list[str]:
    """One file per value: ``save`` itself for one value, ``<stem>_<value><ext>`` for several."""
    stem, ext = osp.splitext(save)
    if ext.lower() not in FIGURE_FORMATS:
        raise UserError(f"plot: cannot save a figure as {save!r}: the file name must end in "
                        f"{', '.join(FIGURE_FORMATS)}.")
    if len(values) == 1:
        return [save]
    return [f"{stem}_{v}{ext}" for v in values]


def make_plots(all_logdirs, legend=None, xaxis=None, values=None, count=False, font_scale=1.5,
               smooth=1, select=None, exclude=None, estimator="mean", save=None) -> list[str]:
    """Plot the runs below ``all_logdirs``: one figure per value.

    Args:
        all_logdirs: folders or prefixes of folders (see the module docstring).
        legend: one legend entry per resolved folder (default: the experiment names).
        xaxis: the x column. Default ``TotalEnvInteracts``.
        values: the y column(s). Default ``Performance``: ``AverageTestEpRet`` if a run has it,
            else ``AverageEpRet``.
        count: draw each run as its own curve instead of averaging the runs of an experiment.
        font_scale: size of the fonts relative to seaborn's defaults. Default 1.5.
        smooth: average each curve over this many neighbouring points (1: no smoothing).
        select: keep only folders whose path contains all of these strings.
        exclude: drop folders whose path contains any of these strings.
        estimator: the central line: ``mean`` (default), ``median``, ``max`` or ``min`` over runs.
        save: a file (``.png``, ``.pdf``, ``.svg``) to save the figure to instead of showing it.
            With several values, ``<stem>_<value><ext>``. Without a display the figures are
            saved even if not asked, as ``plot_<value>.png`` in the current folder.

    Returns:
        The paths of the saved files (empty when the figures were shown).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    xaxis = xaxis or "TotalEnvInteracts"
    values = list(values) if values else ["Performance"]
    if isinstance(values, str):
        values = [values]
    if estimator not in ESTIMATORS:
        raise UserError(f"plot: --est must be one of {', '.join(ESTIMATORS)}, not {estimator!r}.")
    try:
        smooth = int(smooth)
    except (TypeError, ValueError):
        raise UserError(f"plot: --smooth must be a whole number of points, not {smooth!r}.") from None
    if smooth < 1:
        raise UserError(f"plot: --smooth must be at least 1, not {smooth}.")
    paths = figure_paths(save, values) if save else None

    data = get_all_datasets(all_logdirs, legend, select, exclude)
    for column in [xaxis, *values]:
        have = [d for d in data if column in d.columns]
        if not have:
            columns = sorted({c for d in data for c in d.columns} - {"Unit", "Condition1", "Condition2"})
            hint = ("Performance means AverageTestEpRet or AverageEpRet, and these runs have neither. "
                    if column == "Performance" else "")
            raise UserError(f"plot: no run has a column {column!r}. {hint}Available columns: "
                            + ", ".join(columns) + ".")
        for d in data:
            if column not in d.columns:
                warn(f"{d.attrs.get('path')} has no column {column!r}; leaving it out.")
        data = have

    if paths is None and not can_show():
        paths = [osp.abspath(f"plot_{v}.png") for v in values]
        print("No display: saving the figures to files instead (choose with --save FILE).")

    sns.set_theme(style="darkgrid", font_scale=font_scale)
    condition = "Condition2" if count else "Condition1"
    saved = []
    for i, value in enumerate(values):
        fig = plt.figure()
        plot_data(data, xaxis=xaxis, value=value, condition=condition, smooth=smooth, estimator=estimator,
                  ax=fig.gca())
        if paths is not None:
            os.makedirs(osp.dirname(osp.abspath(paths[i])), exist_ok=True)
            fig.savefig(paths[i])
            plt.close(fig)
            print(f"Saved {paths[i]}")
            saved.append(paths[i])
    if paths is None:
        plt.show()
    return saved


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spinup.run plot",
        description="Plot learning curves (mean ± std over seeds) from runs' progress.txt files.",
    )
    p.add_argument("logdir", nargs="+", help="run or experiment folders, or the start of their names")
    p.add_argument("--legend", "-l", nargs="*", help="one legend entry per folder (default: experiment names)")
    p.add_argument("--xaxis", "-x", default="TotalEnvInteracts", help="x column (default TotalEnvInteracts)")
    p.add_argument("--value", "-y", default=["Performance"], nargs="*",
                   help="y column(s), one figure each (default Performance: AverageTestEpRet or AverageEpRet)")
    p.add_argument("--count", action="store_true", help="draw every run separately instead of averaging seeds")
    p.add_argument("--smooth", "-s", type=int, default=1, help="moving-average window, in points (default 1)")
    p.add_argument("--select", nargs="*", help="keep only folders whose path contains all of these")
    p.add_argument("--exclude", nargs="*", help="drop folders whose path contains any of these")
    p.add_argument("--est", default="mean", choices=ESTIMATORS, help="central line over seeds (default mean)")
    p.add_argument("--font_scale", type=float, default=1.5, help="font size relative to seaborn's default (1.5)")
    p.add_argument("--save", metavar="FILE", help="save to FILE (.png, .pdf, .svg) instead of showing")
    return p


def main(argv=None) -> int:
    """``python -m spinup.run plot ...``: see :func:`build_parser` for the flags."""
    args = build_parser().parse_args(argv)
    make_plots(args.logdir, args.legend, args.xaxis, args.value, args.count, font_scale=args.font_scale,
               smooth=args.smooth, select=args.select, exclude=args.exclude, estimator=args.est,
               save=args.save)
    return 0


if __name__ == "__main__":
    try:
        main()
    except UserError as e:
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(2)
