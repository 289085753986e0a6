"""Write one benchmark page per algorithm from the committed results in ``benchmarks/results/``.

    python docs/make_bench_pages.py            # rewrite docs/benchmarks/*.md and their plots
    python docs/make_bench_pages.py --check    # exit 1 if a page differs from what it would write

For every algorithm, every suite and every environment it ran on, the page shows its learning
curve next to Stable-Baselines3's implementation of the same algorithm (where SB3 has one) and a
table of the numbers: final return, the best point of the mean curve and the speed, computed with
the same functions the benchmark harness uses (``spinup.benchmarks.summary``), from the
``runs.csv`` of each suite. When new results are committed, run this script and commit what it
writes; ``tests/test_docs.py`` fails while the pages are out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
RESULTS = ROOT / "benchmarks" / "results"
OUT = DOCS / "benchmarks"
PLOTS = OUT / "plots"

sys.path.insert(0, str(ROOT))
from spinup.benchmarks import summary  # noqa: E402

ALGOS = {  # name: (title, family)
    "vpg": ("VPG", "on-policy"),
    "trpo": ("TRPO", "on-policy"),
    "ppo": ("PPO", "on-policy"),
    "ddpg": ("DDPG", "off-policy"),
    "td3": ("TD3", "off-policy"),
    "sac": ("SAC", "off-policy"),
    "dqn": ("DQN", "off-policy"),
}
SB3_HAS = {"ppo", "ddpg", "td3", "sac", "dqn"}  # SB3's own algorithms; it has no VPG, and TRPO only in sb3-contrib
COLOURS = {"spinup": "#1d5fa8", "sb3": "#c2571a"}
HEADER = "<!-- Written by docs/make_bench_pages.py from benchmarks/results/; edit the script, not this page. -->"


def suites() -> list[tuple[str, object]]:
    """The suites with results, in a stable order, each with its runs table."""
    found = []
    for folder in sorted(p for p in RESULTS.iterdir() if p.is_dir()):
        csv = next((folder / n for n in ("runs.csv", "runs.csv.gz") if (folder / n).is_file()), None)
        if csv is not None:
            found.append((folder.name, summary.read_runs_csv(str(csv))))
    return found


def metric_of(runs) -> str:
    """Off-policy runs have test returns; on-policy runs only training returns."""
    test = runs.get("AverageTestEpRet")
    return "AverageTestEpRet" if test is not None and test.notna().any() else "AverageEpRet"


def finished_runs(runs, env: str, label: str) -> list:
    """The progress tables of the complete runs of ``label`` on ``env``, one per seed."""
    sel = runs[(runs["env"] == env) & (runs["algo"] == label) & (runs["complete"].astype(bool))]
    return [group.sort_values("TotalEnvInteracts").reset_index(drop=True) for _, group in sel.groupby("seed")]


def row(progresses: list, metric: str) -> dict:
    finals = [summary.final_return(p, metric) for p in progresses]
    return dict(seeds=len(progresses),
                budget=int(max(float(p["TotalEnvInteracts"].iloc[-1]) for p in progresses)),
                final=summary.mean_std(finals),
                best=summary.max_of_mean_curve(progresses, metric),
                sps=float(np.mean([summary.steps_per_second(p) for p in progresses])))


def plot(path: Path, curves: dict, metric: str, title: str) -> None:
    """Mean ± one standard deviation over seeds, of each library's runs, against env steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots(figsize=(6.0, 3.6), dpi=80)
    for lib, (label, progresses) in curves.items():
        table = pd.concat([pd.Series(p[metric].to_numpy(dtype=float), index=p["TotalEnvInteracts"].to_numpy())
                           for p in progresses], axis=1, join="inner")
        mean = table.mean(axis=1)
        std = table.std(axis=1, ddof=1) if table.shape[1] > 1 else mean * 0
        ax.plot(table.index, mean, color=COLOURS[lib], lw=1.8, label=f"{label} ({table.shape[1]} seeds)")
        ax.fill_between(table.index, mean - std, mean + std, color=COLOURS[lib], alpha=0.2, lw=0)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("test return" if metric == "AverageTestEpRet" else "training return")
    ax.ticklabel_format(style="sci", axis="x", scilimits=(0, 0))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def fmt_row(lib: str, r: dict) -> str:
    best, at = summary.fmt_pm(r["best"][0], r["best"][1]), summary.fmt_steps(r["best"][2])
    return (f"| {lib} | {r['seeds']} | {summary.fmt_steps(r['budget'])} | {summary.fmt_pm(*r['final'])} | "
            f"{best} ({at}) | {r['sps']:,.0f} |")


def page(algo: str, all_suites: list, draw: bool) -> str:
    title, family = ALGOS[algo]
    measured = ("the average return of the training episodes" if family == "on-policy" else
                "the average return of the deterministic test episodes")
    lines = [HEADER, "", f"# Benchmarks: {title}", "",
             f"{title}'s results in the benchmark suites, each environment's learning curve beside "
             "Stable-Baselines3's implementation of the same algorithm where there is one. The curves "
             "are the mean over seeds with a band of one standard deviation; the numbers follow the "
             "[benchmark protocol](../spinningup/bench.md#what-the-tables-report). As an "
             f"{family} algorithm, {title} is scored by {measured}.", ""]
    n_envs = 0
    for suite, runs in all_suites:
        envs = [e for e in dict.fromkeys(runs["env"]) if finished_runs(runs, e, algo)]
        if not envs:
            continue
        lines += [f"## Suite `{suite}`", "",
                  f"The suite's own table, notes and raw data: `benchmarks/results/{suite}/`.", ""]
        for env in envs:
            n_envs += 1
            ours = finished_runs(runs, env, algo)
            theirs = finished_runs(runs, env, f"sb3-{algo}")
            metric = metric_of(pd_concat(ours))
            curves = {"spinup": (f"spinup {title}", ours)}
            if theirs:
                curves["sb3"] = (f"SB3 {title}", theirs)
            name = f"{suite}-{env}-{algo}.png"
            if draw:
                plot(PLOTS / name, curves, metric, f"{title} on {env} ({suite})")
            if theirs:
                against = f" and Stable-Baselines3's {title}"
            elif algo in SB3_HAS:
                against = f" (Stable-Baselines3's {title} does not support this environment's actions)"
            else:
                against = f" (Stable-Baselines3 has no {title})"
            lines += [f"### {env}", "",
                      f"```{{image}} plots/{name}",
                      f":alt: Learning curves on {env}: spinup's {title}{against}, return against "
                      "environment steps, mean and one standard deviation over seeds.",
                      ":width: 600px", "```", "",
                      "| library | seeds | steps | final return | max of mean curve (at) | env steps/s |",
                      "|---|---:|---:|---:|---:|---:|",
                      fmt_row("spinup", row(ours, metric))]
            if theirs:
                lines.append(fmt_row("SB3", row(theirs, metric)))
            lines.append("")
    if n_envs == 0:
        lines += ["No benchmark results for this algorithm are committed yet.", ""]
    return "\n".join(lines).rstrip() + "\n"


def pd_concat(progresses: list):
    import pandas as pd

    return pd.concat(progresses, ignore_index=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="only compare the pages with what would be written")
    args = p.parse_args(argv)
    all_suites = suites()
    stale = []
    for algo in ALGOS:
        text = page(algo, all_suites, draw=not args.check)
        path = OUT / f"{algo}.md"
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("Out of date (run python docs/make_bench_pages.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
