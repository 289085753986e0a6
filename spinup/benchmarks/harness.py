"""The benchmark harness: ``python -m spinup.run bench SUITE [options]``.

It runs a suite's algorithms × environments × seeds through an
:class:`~spinup.utils.run_utils.ExperimentGrid` (locally, ``--parallel N`` at a time, or as Ray
tasks with ``--backend ray [--address ADDR]``), then writes the summary under ``--results_dir``
(default ``benchmarks/results/<suite>`` of the spinup checkout, wherever it is run from; without a
checkout, under the current folder): ``README.md`` with the table and the plots, one plot
per environment, ``runs.csv`` (every run's progress, a few columns) and ``meta.json`` (machine,
versions, commit, wall time of each launch).

It is resumable: a run whose ``progress.txt`` holds all its epochs is skipped, and an unfinished
spinup run continues exactly from its ``resume.pt`` (the off-policy algorithms save their replay
buffer in it, so a resumed run matches an uninterrupted one). Examples::

    python -m spinup.run bench classic --parallel 2          # the whole suite, two runs at a time
    python -m spinup.run bench classic --dry-run             # the plan and the estimated time only
    python -m spinup.run bench classic --algos ppo sac --envs CartPole-v1 --seeds 0 1
    python -m spinup.run bench mujoco-full --backend ray --address auto
    python -m spinup.run bench classic --summary-only        # rewrite the summary from the runs
"""

from __future__ import annotations

import argparse
import inspect
import os
import os.path as osp
import time
from dataclasses import dataclass, field

from spinup import user_config
from spinup.algos import get_algo
from spinup.benchmarks import summary
from spinup.benchmarks.sb3_runner import sb3_runner
from spinup.benchmarks.suites import SUITES, Case, Suite, get_suite
from spinup.utils.checkpoint import RESUME_FILE, load_resume_checkpoint, save_resume_checkpoint
from spinup.utils.errors import UserError
from spinup.utils.grid import ExperimentGrid
from spinup.utils.plot import read_progress
from spinup.utils.progress import format_duration
from spinup.utils.run_folders import setup_logger_kwargs

# Rough training speeds (env steps/s of one run on one thread of the reference machine, see
# benchmarks/README.md), used to estimate a suite's time before any of its runs has finished.
DEFAULT_SPEEDS = {
    ("spinup", "vpg"): 2000, ("spinup", "trpo"): 1800, ("spinup", "ppo"): 1800,
    ("spinup", "ddpg"): 240, ("spinup", "td3"): 220, ("spinup", "sac"): 170, ("spinup", "dqn"): 650,
    ("sb3", "ppo"): 1800, ("sb3", "ddpg"): 230, ("sb3", "td3"): 220, ("sb3", "sac"): 140, ("sb3", "dqn"): 550,
}
STARTUP_S = 5.0  # starting a run's process (Python, torch, the environment)


# ---------------------------------------------------------------------------------------------
# One run.


def run_case(case: Case, seed: int = 0, logger_kwargs=dict()):
    """Run one benchmark case with one seed (the function each grid variant calls).

    spinup's algorithms continue from ``resume.pt`` if an earlier launch of this run stopped
    part-way; SB3 runs start again. The off-policy algorithms save their replay buffer with each
    checkpoint (``save_buffer=True``; only its filled part, 17 MB after 100k steps of HalfCheetah),
    because a run resumed with an empty buffer would not be the run the table claims. Once the run
    has finished, the buffer is dropped from its checkpoint: a finished run is never resumed by
    the harness, and a full buffer is 100-250 MB per run of ``mujoco-full``.
    """
    env_fn, kwargs = case.env.factory(), algo_arguments(case)
    if case.impl == "sb3":
        return sb3_runner(case.algo, env_fn, seed=seed, logger_kwargs=logger_kwargs, **kwargs)
    algo = get_algo(case.algo)
    output_dir = logger_kwargs.get("output_dir")
    if output_dir and osp.isfile(osp.join(output_dir, RESUME_FILE)) and "resume" in inspect.signature(algo).parameters:
        kwargs["resume"] = output_dir
    result = algo(env_fn=env_fn, seed=seed, logger_kwargs=logger_kwargs, **kwargs)
    if kwargs.get("save_buffer") and output_dir:
        drop_buffer(output_dir)
    return result


def algo_arguments(case: Case) -> dict:
    """The arguments the harness gives the algorithm of ``case``, spinup's or SB3's (besides the
    environment, seed, logger and ``resume``)."""
    kwargs = dict(case.hyperparams, epochs=case.epochs, steps_per_epoch=case.steps_per_epoch)
    if case.impl == "spinup" and "save_buffer" in inspect.signature(get_algo(case.algo)).parameters:
        kwargs.setdefault("save_buffer", True)
    return kwargs


def drop_buffer(output_dir: str) -> None:
    """Rewrite a finished run's ``resume.pt`` without its replay buffer (atomically)."""
    state = load_resume_checkpoint(output_dir)
    if state.pop("buffer", None) is not None:
        save_resume_checkpoint(output_dir, state)


def run_dir(case: Case, seed: int, root: str) -> str:
    """The folder of one run: ``root/<exp_name>/<exp_name>_s<seed>`` (as ExperimentGrid names it)."""
    return setup_logger_kwargs(case.exp_name, seed, root)["output_dir"]


def rows_done(path: str) -> int:
    """How many complete epoch rows a run folder's ``progress.txt`` holds (0 if none)."""
    try:
        with open(osp.join(path, "progress.txt"), encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return 0
    complete_lines = text.count("\n")  # a last line without its newline is incomplete
    return max(complete_lines - 1, 0)


def is_finished(case: Case, seed: int, root: str) -> bool:
    """A run is finished when its ``progress.txt`` holds all its epochs."""
    return rows_done(run_dir(case, seed, root)) >= case.epochs


# ---------------------------------------------------------------------------------------------
# The plan: what to run, what to skip, how long it should take.


@dataclass
class Plan:
    suite: Suite
    root: str
    cases: list[Case]  # the selected cases
    todo: list[tuple[Case, int]] = field(default_factory=list)
    finished: list[tuple[Case, int]] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # label -> why it cannot run here
    estimates: dict[str, float] = field(default_factory=dict)  # exp_name -> seconds per run

    @property
    def planned(self) -> int:
        return sum(len(c.seeds) for c in self.cases)


def unavailable_reason(case: Case) -> str | None:
    """Why ``case`` cannot run in this installation, or None."""
    if case.impl == "sb3":
        try:
            import stable_baselines3  # noqa: F401
        except ImportError:
            return "stable-baselines3 is not installed (pip install 'spinup[sb3]')"
    return None


def measured_speed(case: Case, root: str) -> float | None:
    """The mean env steps/s of this case's finished runs, if any."""
    speeds = []
    for seed in case.seeds:
        if is_finished(case, seed, root):
            progress = read_progress(osp.join(run_dir(case, seed, root), "progress.txt"))
            if progress is not None and "Time" in progress:
                speeds.append(summary.steps_per_second(progress))
    return sum(speeds) / len(speeds) if speeds else None


def estimate_seconds(case: Case, root: str) -> float:
    """Estimated wall time of one run of ``case``: measured speed if some seeds finished, else
    :data:`DEFAULT_SPEEDS`."""
    speed = measured_speed(case, root) or DEFAULT_SPEEDS.get((case.impl, case.algo), 500)
    return STARTUP_S + case.total_steps / speed


def make_plan(cases: list[Case], suite: Suite, root: str) -> Plan:
    plan = Plan(suite, root, cases)
    for case in cases:
        reason = unavailable_reason(case)
        if reason:
            plan.unavailable[case.label] = reason
            continue
        plan.estimates[case.exp_name] = estimate_seconds(case, root)
        for seed in case.seeds:
            (plan.finished if is_finished(case, seed, root) else plan.todo).append((case, seed))
    return plan


def launch_groups(todo: list[tuple[Case, int]], estimates: dict) -> list[tuple[list[int], list[Case]]]:
    """Group the runs to launch into grids: cases missing the same seeds share a grid (a grid is
    every case × every seed). Within a grid the longest cases go first, for an even finish."""
    missing: dict[str, list[int]] = {}
    by_name: dict[str, Case] = {}
    for case, seed in todo:
        missing.setdefault(case.exp_name, []).append(seed)
        by_name[case.exp_name] = case
    groups: dict[tuple, list[Case]] = {}
    for name, seeds in missing.items():
        groups.setdefault(tuple(sorted(seeds)), []).append(by_name[name])
    out = []
    for seeds, cases in sorted(groups.items(), key=lambda g: -len(g[0]) * len(g[1])):
        out.append((list(seeds), sorted(cases, key=lambda c: -estimates.get(c.exp_name, 0.0))))
    return out


def makespan(durations: list[float], parallel: int) -> float:
    """Wall time of running ``durations`` in this order, ``parallel`` at a time, each starting as
    soon as a slot is free."""
    slots = [0.0] * max(parallel, 1)
    for d in durations:
        i = slots.index(min(slots))
        slots[i] += d
    return max(slots) if durations else 0.0


def estimated_wall(plan: Plan, parallel: int) -> tuple[float, float]:
    """(total run time, wall time at ``parallel``) in seconds for the runs still to do."""
    total = wall = 0.0
    for seeds, cases in launch_groups(plan.todo, plan.estimates):
        durations = [plan.estimates[c.exp_name] for _ in seeds for c in cases]  # the grid's order
        total += sum(durations)
        wall += makespan(durations, parallel)
    return total, wall


def plan_text(plan: Plan, parallel: int, backend: str) -> str:
    pairs = len(plan.cases)
    lines = [f"Benchmark suite {plan.suite.name}: {plan.suite.description}",
             f"Runs planned: {plan.planned} ({pairs} algorithm × environment pairs, with their seeds); "
             f"finished already (skipped): {len(plan.finished)}; to run now: {len(plan.todo)}."]
    for label, reason in sorted(plan.unavailable.items()):
        lines.append(f"Not run: {label}: {reason}.")
    total, wall = estimated_wall(plan, parallel)
    if backend == "ray":
        lines.append(f"Estimated time: {format_duration(total)} of runs (one CPU each), spread over the Ray "
                     "cluster's CPUs.")
    else:
        lines.append(f"Estimated time: {format_duration(total)} of runs, about {format_duration(wall)} of wall "
                     f"time with --parallel {parallel}.")
    lines.append(f"Run folders: {plan.root}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Running and summarising.


def launch(plan: Plan, parallel: int, backend: str, address: str | None) -> list:
    """Run every run still to do, one ExperimentGrid per group of cases missing the same seeds."""
    results = []
    for seeds, cases in launch_groups(plan.todo, plan.estimates):
        grid = ExperimentGrid(name="")
        grid.add("seed", seeds)  # added first, so it varies slowest: every case gets seed 0 first
        grid.add("case", cases, shorthand="", in_name=True)
        results += grid.run(run_case, data_dir=plan.root, parallel=parallel, backend=backend, address=address,
                            check=False)
    return results


def write_summary(suite: Suite, cases: list[Case], root: str, results_dir: str, meta: dict) -> str:
    """Write ``README.md``, the plots and ``runs.csv`` for ``cases`` into ``results_dir``; return
    the table."""
    os.makedirs(results_dir, exist_ok=True)
    failed = {path for session in meta.get("sessions", []) for path in session.get("failures", [])}
    rows, csv_runs, missing = [], [], []
    plots = []
    envs = list(dict.fromkeys(c.env.label for c in cases))
    for env in envs:
        run_dirs_by_label = {}
        for case in (c for c in cases if c.env.label == env):
            progresses, dirs, missing_seeds = [], [], {}
            for seed in case.seeds:
                path = run_dir(case, seed, root)
                done = rows_done(path)
                progress = read_progress(osp.join(path, "progress.txt")) if done else None
                complete = progress is not None and done >= case.epochs
                if progress is not None:
                    csv_runs.append(dict(env=env, algo=case.label, seed=seed, complete=complete, progress=progress))
                if complete:
                    progresses.append(progress)
                    dirs.append(path)
                else:
                    reason = unavailable_reason(case) or (
                        f"failed, see {osp.join(path, 'output.log')}" if path in failed else
                        f"stopped after {done} of {case.epochs} epochs" if done else "not run")
                    missing_seeds.setdefault(reason, []).append(seed)
            for reason, seeds in missing_seeds.items():
                missing.append(f"{case.label} on {env}, seed{'s' if len(seeds) > 1 else ''} "
                               f"{', '.join(map(str, seeds))}: {reason}")
            rows.append(summary.summarise(env, case.label, case.metric, progresses, len(case.seeds),
                                          case.total_steps))
            if dirs:
                run_dirs_by_label[case.label] = dirs
        figure = summary.plot_env(env, run_dirs_by_label, osp.join(results_dir, f"{env}.png"))
        if figure:
            plots.append((env, osp.basename(figure)))
    csv_path = summary.write_runs_csv(csv_runs, results_dir)
    table = summary.table_markdown(rows)
    thresholds = {c.env.label: c.env.reward_threshold for c in cases}
    table += "\n\n" + summary.best_of_each_markdown(rows, thresholds)
    readme = summary_markdown(suite, cases, rows, table, plots, missing, osp.basename(csv_path), meta)
    with open(osp.join(results_dir, "README.md"), "w") as f:
        f.write(readme)
    return table


def summary_markdown(suite: Suite, cases: list[Case], rows: list, table: str, plots: list, missing: list,
                     csv_name: str, meta: dict) -> str:
    machine, vers, git = meta.get("machine", {}), meta.get("versions", {}), meta.get("git", {})
    sessions = meta.get("sessions", [])
    lines = [f"# Benchmark results: `{suite.name}`", "", suite.description, "",
             "Final return: the mean over the last 5 epochs of each run of the average training return "
             "(on-policy: vpg, trpo, ppo) or of the average return of the deterministic test episodes "
             "(off-policy: ddpg, td3, sac, dqn), then mean ± standard deviation over seeds. Max of mean "
             "curve: the highest point of the seed-averaged curve (± std over seeds there, and the step "
             "it was reached at). Env steps/s: environment steps per second of wall time, learning "
             "included, averaged over seeds. `sb3-*` rows are Stable-Baselines3 at matched "
             "hyperparameters (see benchmarks/README.md); SB3 has no VPG or TRPO.", ""]
    if meta.get("notes"):
        lines += ["**Notes:**", ""] + [f"* {n}" for n in meta["notes"]] + [""]
    lines += [table, ""]
    if missing:
        count = sum(len(c.seeds) for c in cases) - sum(r.seeds_done for r in rows)
        lines += [f"**Missing runs ({count})**, not in the table:", ""]
        lines += [f"* {m}" for m in missing] + [""]
    else:
        lines += ["All planned runs finished.", ""]
    lines += ["## Set-up", "",
              f"* Machine: {machine.get('cpu', '?')}, {machine.get('physical_cores', '?')} physical / "
              f"{machine.get('logical_cores', '?')} logical cores, {machine.get('memory_gb', '?')} GB; "
              f"{machine.get('os', '')}",
              "* Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items() if v),
              f"* Commit: {git.get('commit') or 'unknown'}" + (" (with uncommitted changes)" if git.get("dirty") else ""),
              f"* Wall time: {format_duration(meta.get('wall_time_s', 0.0))} over {len(sessions)} launch(es)"]
    for s in sessions:
        if s.get("interrupted"):
            done = s.get("completed")
            runs = "interrupted" if done is None else f"interrupted, {done} run{'' if done == 1 else 's'} finished"
        else:
            n = s.get("launched", 0)
            runs = f"{n} run{'' if n == 1 else 's'} ({s.get('failed', 0)} failed)"
        lines.append(f"  * {s.get('started')} → {s.get('finished')}: {format_duration(s.get('wall_s', 0.0))}, "
                     f"{runs}, --parallel {s.get('parallel')}, backend {s.get('backend')}")
    lines += [f"* Every run's progress: [{csv_name}]({csv_name}) (columns {', '.join(summary.CSV_COLUMNS)}; "
              "`complete` is 0 for a run that stopped early)", ""]
    if plots:
        lines += ["## Learning curves", "",
                  "Mean ± one standard deviation over the finished seeds; test returns for off-policy, "
                  "training returns for on-policy algorithms.", ""]
        for env, name in plots:
            lines += [f"### {env}", "", f"![{env}]({name})", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Command line.


def select_cases(suite: Suite, algos=None, envs=None, sb3: bool = True, seeds=None) -> list[Case]:
    """The suite's cases, filtered by algorithm and environment, with ``seeds`` if given."""
    cases = list(suite.cases)
    if algos:
        known = sorted({c.algo for c in cases})
        bad = [a for a in algos if a.lower() not in known]
        if bad:
            raise UserError(f"bench: the suite {suite.name} has no algorithm {', '.join(bad)}; it has "
                            f"{', '.join(known)}.")
        cases = [c for c in cases if c.algo in {a.lower() for a in algos}]
    if envs:
        known = list(dict.fromkeys(c.env.label for c in suite.cases))
        wanted = {e.lower() for e in envs}
        bad = [e for e in envs if e.lower() not in {k.lower() for k in known}]
        if bad:
            raise UserError(f"bench: the suite {suite.name} has no environment {', '.join(bad)}; it has "
                            f"{', '.join(known)}.")
        cases = [c for c in cases if c.env.label.lower() in wanted]
    if not sb3:
        cases = [c for c in cases if c.impl != "sb3"]
    if seeds is not None:
        for c in cases:
            c.seeds = tuple(seeds)
    return cases


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spinup.run bench",
        description="Run a benchmark suite (algorithms × environments × seeds) and summarise it.",
        epilog="Suites: " + ", ".join(SUITES) + ". 'list' shows them.")
    p.add_argument("suite", help="the suite to run: " + ", ".join(SUITES) + ", or list")
    p.add_argument("--parallel", type=int, default=1, help="runs at once (default 1)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="where the runs go: local processes or Ray tasks (default local)")
    p.add_argument("--address", default=None,
                   help="with --backend ray: the cluster ('auto', 'ray://host:10001'); default: a local Ray instance")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds instead of the suite's")
    p.add_argument("--algos", nargs="+", default=None, help="only these algorithms (e.g. ppo sac)")
    p.add_argument("--envs", nargs="+", default=None, help="only these environments (e.g. CartPole-v1)")
    p.add_argument("--no-sb3", "--no_sb3", dest="sb3", action="store_false",
                   help="leave out the Stable-Baselines3 runs")
    p.add_argument("--data_dir", "--data-dir", default=None,
                   help="base folder of the runs (default: <spinup data dir>/bench); runs go to DATA_DIR/<suite>")
    p.add_argument("--results_dir", "--results-dir", default=None,
                   help="where the summary goes (default: benchmarks/results/<suite> of the spinup "
                        "checkout, or of the current folder when spinup is not run from a checkout)")
    p.add_argument("--summary-only", "--summary_only", dest="summary_only", action="store_true",
                   help="run nothing; write the summary from the runs that exist")
    p.add_argument("--dry-run", "--dry_run", dest="dry_run", action="store_true",
                   help="print the plan and the estimated time, run nothing, write nothing")
    p.add_argument("--note", default=None,
                   help="a remark kept in meta.json and shown in the summary (e.g. 'the machine was shared')")
    return p


def list_suites() -> str:
    lines = []
    for name in SUITES:
        suite = get_suite(name)
        plan = Plan(suite, "", suite.cases)
        total = sum(estimate_seconds(c, "") * len(c.seeds) for c in suite.cases)
        lines.append(f"{name}: {plan.planned} runs, about {format_duration(total)} of runs. {suite.description}")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.suite == "list":
        print(list_suites())
        return 0
    if args.parallel < 1:
        raise UserError(f"bench: --parallel must be 1 or more, not {args.parallel}.")
    if args.address is not None and args.backend != "ray":
        raise UserError("bench: --address is for the Ray backend; add --backend ray.")
    suite = get_suite(args.suite)
    cases = select_cases(suite, args.algos, args.envs, args.sb3, args.seeds)
    data_dir = args.data_dir or osp.join(user_config.DEFAULT_DATA_DIR, "bench")
    root = osp.abspath(osp.join(data_dir, suite.name))
    results_dir = osp.abspath(args.results_dir or osp.join(summary.results_root(), suite.name))

    plan = make_plan(cases, suite, root)
    print(plan_text(plan, args.parallel, args.backend), flush=True)
    if args.dry_run:
        return 0

    results = []
    if not args.summary_only and plan.todo:
        os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per run: runs share the cores
        started, start, interrupted = summary.now_utc(), time.time(), True
        try:
            results = launch(plan, args.parallel, args.backend, args.address)
            interrupted = False
        finally:
            # Counted on disk: an interrupted launch returns no results, but some runs finished.
            completed = sum(is_finished(case, seed, root) for case, seed in plan.todo)
            summary.record_session(results_dir, dict(
                started=started, finished=summary.now_utc(), wall_s=round(time.time() - start, 1),
                launched=len(results), completed=completed, failed=sum(not r.ok for r in results),
                parallel=args.parallel, backend=args.backend, commit=summary.git_commit().get("commit"),
                interrupted=interrupted, failures=[r.output_dir for r in results if not r.ok]))
    meta = summary.ensure_meta(results_dir)
    if args.note:
        meta.setdefault("notes", []).append(f"{summary.now_utc()}: {args.note}")
        summary.save_meta(results_dir, meta)
    # The summary covers the whole suite (every algorithm and environment), whatever was run now.
    summary_cases = select_cases(get_suite(args.suite), seeds=args.seeds)
    table = write_summary(suite, summary_cases, root, results_dir, meta)
    print("\n" + table + f"\n\nSummary written to {osp.join(results_dir, 'README.md')}")
    return 0 if all(r.ok for r in results) else 1
