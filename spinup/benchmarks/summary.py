"""Benchmark results: where they go, the numbers of the summary table, the compact CSV, the plots
and the record of the machine, the versions, the commit and the wall time.

The numbers, for one algorithm on one environment over its seeds:

* **final return** of a run: the mean of its last 5 values of the metric column,
  ``AverageEpRet`` (training episodes) for on-policy algorithms and ``AverageTestEpRet``
  (deterministic test episodes) for off-policy ones; then mean ± standard deviation over seeds
  (the sample standard deviation, ``ddof=1``, as the plots' bands);
* **max of the mean curve**: the seeds' curves are averaged point by point (at equal
  ``TotalEnvInteracts``) and the maximum of that average is reported, with the standard deviation
  over seeds at that point;
* **steps/s**: each run's ``TotalEnvInteracts / Time`` at its last row, averaged over seeds.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

LAST_N = 5  # final return: the mean over this many last epochs / evaluations

# Columns of progress.txt kept in the compact CSV.
CSV_COLUMNS = ("Epoch", "TotalEnvInteracts", "AverageEpRet", "StdEpRet", "AverageTestEpRet",
               "StdTestEpRet", "EpLen", "Time")
GZIP_ABOVE_BYTES = 1_000_000  # the CSV is written gzipped when it would be larger than this

VERSIONED_PACKAGES = ("torch", "gymnasium", "mujoco", "numpy", "stable-baselines3", "ray", "spinup", "ale-py",
                      "opencv-python-headless")


# ---------------------------------------------------------------------------------------------
# Where the results go.


def checkout_root() -> str | None:
    """The root of the spinup checkout this package is in, or None when spinup is installed
    elsewhere (in site-packages, say), where there is no ``benchmarks/`` folder beside it."""
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    if osp.isfile(osp.join(root, "pyproject.toml")) and osp.isdir(osp.join(root, "benchmarks")):
        return root
    return None


def results_root() -> str:
    """The folder of the committed results: ``benchmarks/results/`` of the checkout, whatever the
    current folder; without a checkout, ``benchmarks/results/`` under the current folder."""
    return osp.join(checkout_root() or osp.abspath(os.curdir), "benchmarks", "results")


# ---------------------------------------------------------------------------------------------
# The maths.


def final_return(progress, metric: str, last: int = LAST_N) -> float:
    """The mean of the last ``last`` values of ``metric`` in one run's progress (NaN rows, epochs
    in which no episode finished, are left out; NaN if all are)."""
    values = np.asarray(progress[metric], dtype=np.float64)[-last:]
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; NaN for a single value)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan"), float("nan")
    std = float(values.std(ddof=1)) if values.size > 1 else float("nan")
    return float(values.mean()), std


def max_of_mean_curve(progresses: list, metric: str, xaxis: str = "TotalEnvInteracts") -> tuple[float, float, float]:
    """``(max, std over seeds there, x there)`` of the seeds' curves averaged point by point.

    Only the points (values of ``xaxis``) that every run has are averaged, so runs of different
    lengths are compared over their common range. NaN values are left out of a point's average.
    """
    import pandas as pd

    curves = [pd.Series(np.asarray(p[metric], dtype=np.float64), index=np.asarray(p[xaxis]))
              for p in progresses]
    table = pd.concat(curves, axis=1, join="inner")
    if table.empty:
        return float("nan"), float("nan"), float("nan")
    mean = table.mean(axis=1, skipna=True)
    if mean.isna().all():
        return float("nan"), float("nan"), float("nan")
    at = mean.idxmax()
    row = table.loc[at].to_numpy(dtype=np.float64)
    row = row[~np.isnan(row)]
    return float(mean.loc[at]), (float(row.std(ddof=1)) if row.size > 1 else float("nan")), float(at)


def steps_per_second(progress) -> float:
    """Environment steps per second of wall time over the whole run (its last row)."""
    steps = float(np.asarray(progress["TotalEnvInteracts"], dtype=np.float64)[-1])
    seconds = float(np.asarray(progress["Time"], dtype=np.float64)[-1])
    return steps / seconds if seconds > 0 else float("nan")


@dataclass
class Row:
    """One line of the summary table: one algorithm on one environment, over its finished seeds."""

    env: str
    label: str
    metric: str
    seeds_done: int
    seeds_planned: int
    total_steps: int
    final: tuple[float, float]
    best: tuple[float, float, float]
    sps: float


def summarise(env: str, label: str, metric: str, progresses: list, seeds_planned: int, total_steps: int) -> Row:
    """The table row for the finished runs (``progresses``) of one algorithm on one environment."""
    if not progresses:
        nan = float("nan")
        return Row(env, label, metric, 0, seeds_planned, total_steps, (nan, nan), (nan, nan, nan), nan)
    finals = [final_return(p, metric) for p in progresses]
    return Row(env, label, metric, len(progresses), seeds_planned, total_steps, mean_std(finals),
               max_of_mean_curve(progresses, metric), float(np.mean([steps_per_second(p) for p in progresses])))


# ---------------------------------------------------------------------------------------------
# Markdown.


def fmt_pm(mean: float, std: float) -> str:
    if np.isnan(mean):
        return "—"
    return f"{mean:.1f}" if np.isnan(std) else f"{mean:.1f} ± {std:.1f}"


def fmt_steps(n: float) -> str:
    if np.isnan(n):
        return "—"
    return f"{n / 1e6:g}M" if n >= 1e6 else f"{n / 1e3:g}k"


def table_markdown(rows: list[Row]) -> str:
    """The summary table: one line per algorithm and environment."""
    lines = ["| Environment | Algorithm | Seeds | Budget | Final return | Max of mean curve (at) | Env steps/s |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        seeds = f"{r.seeds_done}/{r.seeds_planned}"
        best = "—" if np.isnan(r.best[0]) else f"{fmt_pm(r.best[0], r.best[1])} ({fmt_steps(r.best[2])})"
        sps = "—" if np.isnan(r.sps) else f"{r.sps:,.0f}"
        lines.append(f"| {r.env} | {r.label} | {seeds} | {fmt_steps(r.total_steps)} | "
                     f"{fmt_pm(*r.final)} | {best} | {sps} |")
    return "\n".join(lines)


def best_of_each_markdown(rows: list[Row], thresholds: dict) -> str:
    """Per environment, the best final return of spinup's algorithms and of SB3's (rows whose
    label starts with ``sb3-``), next to the return at which Gymnasium calls it solved."""
    lines = ["| Environment | Best spinup (final return) | Best SB3 (final return) | Solved at |",
             "|---|---|---|---:|"]
    for env in dict.fromkeys(r.env for r in rows):
        cells = []
        for is_sb3 in (False, True):
            mine = [r for r in rows if r.env == env and r.label.startswith("sb3-") == is_sb3
                    and not np.isnan(r.final[0])]
            best = max(mine, key=lambda r: r.final[0], default=None)
            cells.append("—" if best is None else f"{best.label}: {fmt_pm(*best.final)}")
        threshold = thresholds.get(env)
        lines.append(f"| {env} | {cells[0]} | {cells[1]} | {'—' if threshold is None else f'{threshold:g}'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The compact CSV of every run's progress.


def write_runs_csv(runs: list[dict], results_dir: str) -> str:
    """Write every run's progress (:data:`CSV_COLUMNS`) to ``runs.csv``, or ``runs.csv.gz`` if large.

    Each entry of ``runs``: ``env``, ``algo`` (the label), ``seed``, ``complete`` and
    ``progress`` (a DataFrame). Returns the path written.
    """
    import pandas as pd

    frames = []
    for run in runs:
        progress = run["progress"]
        frame = pd.DataFrame({c: progress[c] if c in progress else np.nan for c in CSV_COLUMNS})
        frame.insert(0, "complete", int(run["complete"]))
        frame.insert(0, "seed", run["seed"])
        frame.insert(0, "algo", run["algo"])
        frame.insert(0, "env", run["env"])
        frames.append(frame)
    columns = ["env", "algo", "seed", "complete", *CSV_COLUMNS]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    text = data.to_csv(index=False, float_format="%.6g", lineterminator="\n")
    plain, zipped = osp.join(results_dir, "runs.csv"), osp.join(results_dir, "runs.csv.gz")
    os.makedirs(results_dir, exist_ok=True)
    if len(text.encode()) > GZIP_ABOVE_BYTES:
        with open(zipped, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as gz:
            gz.write(text.encode())
        stale, path = plain, zipped
    else:
        with open(plain, "w") as f:
            f.write(text)
        stale, path = zipped, plain
    if osp.exists(stale):
        os.remove(stale)
    return path


def read_runs_csv(path: str):
    """Read back the CSV written by :func:`write_runs_csv` (plain or gzipped)."""
    import pandas as pd

    if path.endswith(".gz"):
        with gzip.open(path, "rt") as f:
            return pd.read_csv(io.StringIO(f.read()))
    return pd.read_csv(path)


# ---------------------------------------------------------------------------------------------
# Plots.


def plot_env(env_label: str, run_dirs_by_label: dict, path: str) -> str | None:
    """One figure for one environment: the mean ± std over seeds of each algorithm's curve
    (``Performance``: test returns for off-policy, training returns for on-policy runs),
    drawn by :func:`spinup.utils.plot.make_plots`. Returns the file written, or None."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spinup.utils.plot import make_plots

    folders, legend = [], []
    for label, run_dirs in run_dirs_by_label.items():
        for run_dir in run_dirs:
            folders.append(osp.join(run_dir, ""))  # a trailing separator: exactly this folder
            legend.append(label)
    if not folders:
        return None
    saved = make_plots(folders, legend=legend, xaxis="TotalEnvInteracts", values=["Performance"],
                       font_scale=1.0, save=path)
    plt.close("all")
    return saved[0] if saved else None


# ---------------------------------------------------------------------------------------------
# Machine, versions, commit.


def machine_info() -> dict:
    """The CPU model, core counts, memory and operating system of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpu": cpu, "logical_cores": os.cpu_count(), "os": platform.platform()}
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return info


def versions() -> dict:
    """Python and the versions of the packages that shape the results (None: not installed)."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def measurement_info() -> dict:
    """The one-line record of a throughput measurement (:mod:`onpolicy_throughput
    <spinup.benchmarks.onpolicy_throughput>`, :mod:`offpolicy_throughput
    <spinup.benchmarks.offpolicy_throughput>`): the short commit (``+local changes`` when the
    checkout had uncommitted ones), the :func:`versions` of the installed packages, the CPU, its
    logical cores and the load average of the last minute."""
    git = git_commit()
    commit = (git["commit"] or "unknown")[:7] + ("+local changes" if git["dirty"] else "")
    installed = {name: version for name, version in versions().items() if version}
    machine = machine_info()
    return dict(commit=commit, **installed, cpu=machine["cpu"], cores=machine["logical_cores"],
                load=round(os.getloadavg()[0], 2))


def run_worker(module: str, spec: dict, what: str) -> dict:
    """One measurement in a fresh process: ``python -m module --worker SPEC OUT`` with
    ``spec['threads']`` torch threads (``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` alike); the
    JSON the worker wrote to OUT. ``what`` names the run in the error if the worker fails."""
    threads = str(spec["threads"])
    env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, "result.json")
        cmd = [sys.executable, "-m", module, "--worker", json.dumps(spec), out]
        done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
        with open(out) as f:
            return json.load(f)


def git_commit(cwd: str | None = None) -> dict:
    """The commit of the spinup checkout and whether it had uncommitted changes (or None).
    Changes under ``benchmarks/results/`` do not count: they are the harness's own output."""
    here = cwd or osp.dirname(osp.abspath(__file__))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                ":(top)", ":(top,exclude)benchmarks/results"], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": bool(dirty) if commit else None}


def record_session(results_dir: str, session: dict) -> dict:
    """Append one launch of the harness (start, end, wall time, runs, ...) to ``meta.json`` and
    refresh the machine, versions and commit there. Returns the whole record."""
    meta = load_meta(results_dir)
    meta.setdefault("sessions", []).append(session)
    meta.update(machine=machine_info(), versions=versions(), git=git_commit())
    meta["wall_time_s"] = round(sum(s.get("wall_s", 0.0) for s in meta["sessions"]), 1)
    save_meta(results_dir, meta)
    return meta


def ensure_meta(results_dir: str) -> dict:
    """``meta.json``, created (machine, versions, commit, no launches yet) if there is none."""
    meta = load_meta(results_dir)
    if not meta:
        meta = dict(machine=machine_info(), versions=versions(), git=git_commit(), sessions=[], wall_time_s=0.0)
        save_meta(results_dir, meta)
    return meta


def load_meta(results_dir: str) -> dict:
    try:
        with open(osp.join(results_dir, "meta.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_meta(results_dir: str, meta: dict) -> None:
    os.makedirs(results_dir, exist_ok=True)
    with open(osp.join(results_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


def now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
