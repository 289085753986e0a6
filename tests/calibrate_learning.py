"""Calibrate the learning tests: run every case of ``tests/learning_cases.py`` for seeds 0-9 at 1
and 2 torch threads, and check that broken variants of each algorithm fail.

A learning test is only as good as its margin: the same seed gives other floating-point results
on another CPU, so a test that passes for one seed on one machine is a coin toss on the next. This
script runs each case at every seed and thread count, each in a fresh process, and writes

* ``tests/calibration/learning.csv``: one row per run (case, mutation, seed, threads, score, bar,
  margin, the whole curve, CPU seconds);
* ``tests/calibration/learning.md``: per case, the scores by seed and thread count, the smallest
  margin to the bar, and the mutations with their scores (each must stay below the bar).

Usage::

    python tests/calibrate_learning.py                       # every case, seeds 0-9, 1 and 2 threads
    python tests/calibrate_learning.py --case ppo_cartpole   # one case (its rows are replaced)
    python tests/calibrate_learning.py --mutations           # the broken variants only (seeds 0-2, 1 thread)
    python tests/calibrate_learning.py --jobs 2              # runs at once (default: 2)

The scores do not depend on the machine's load, only on the CPU and the thread count, so it is
safe to run this beside other work; it takes about an hour of CPU time for all cases.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "calibration"
FIELDS = ["case", "mutation", "seed", "threads", "score", "bar", "margin", "passed", "cpu_s", "curve", "settings", "machine"]


def worker(case_name: str, seed: int, threads: int, mutation: str) -> None:
    """Run one case in this process and print its result as one JSON line."""
    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, str(HERE))
    import learning_cases

    case = learning_cases.CASES[case_name]
    start = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SPINUP_DATA_DIR"] = os.path.join(tmp, "data")
        os.chdir(tmp)
        if mutation:
            with case.mutations[mutation]():
                score, curve = case.run(seed, os.path.join(tmp, "run"))
        else:
            score, curve = case.run(seed, os.path.join(tmp, "run"))
    print("RESULT " + json.dumps(dict(score=score, curve=curve, cpu_s=time.process_time() - start)))


def run_job(case, seed: int, threads: int, mutation: str) -> dict:
    # Idle threads sleep instead of spinning (OMP_WAIT_POLICY): the same results, since the work is
    # split the same way, but far less CPU burnt when the machine is busy with other jobs.
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), SPINUP_PROGRESS="0",
               OMP_WAIT_POLICY="PASSIVE",
               SPINUP_WAIT_BEFORE_LAUNCH="0", MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"), MPLBACKEND="Agg")
    cmd = [sys.executable, __file__, "--worker", case.name, str(seed), str(threads), mutation]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    result = None
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    if result is None:
        tail = (done.stdout + done.stderr)[-2000:]
        raise RuntimeError(f"{case.name} seed {seed} threads {threads} {mutation!r} failed:\n{tail}")
    score = result["score"]
    return dict(case=case.name, mutation=mutation, seed=seed, threads=threads, score=round(score, 2),
                bar=case.bar, margin=round(score - case.bar, 2), passed=score > case.bar,
                cpu_s=round(result["cpu_s"], 1), curve=json.dumps([round(x, 2) for x in result["curve"]]),
                settings=case.settings, machine=machine())


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def rescore(rows: list[dict], cases: dict) -> list[dict]:
    """Score each row's curve again with its case's current score and bar (a bar or a score
    can change without re-running; a change of the training settings needs a new run)."""
    out = []
    for r in rows:
        case = cases.get(r["case"])
        if case is None:
            continue
        r = dict(r, settings=r.get("settings") or case.settings)
        score = case.score(json.loads(r["curve"]))
        out.append(dict(r, score=round(score, 2), bar=case.bar, margin=round(score - case.bar, 2),
                        passed=score > case.bar))
    return out


def write_rows(path: Path, rows: list[dict]) -> None:
    rows = sorted(rows, key=lambda r: (r["case"], r["mutation"], int(r["threads"]), int(r["seed"])))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"


def write_table(path: Path, rows: list[dict], cases: dict) -> None:
    machines = {}
    for r in rows:
        machines.setdefault(r.get("machine") or "unknown machine", set()).add(r["case"])
    where = "; ".join(f"{m}: {', '.join(sorted(c))}" for m, c in sorted(machines.items()))
    lines = ["# Learning-test calibration", "",
             f"Written by `python tests/calibrate_learning.py` on {datetime.date.today()}. The runs were made on "
             f"(machine: cases) {where}. Floating-point results differ between CPUs, so a case's scores are those "
             "of the machine named for it.",
             "Each case must pass (score above its bar) at every seed 0-9 and at 1 and 2 torch threads;",
             "each mutation (a deliberately broken algorithm) must stay below the bar. Margin = score - bar.",
             "The suite runs each case at seed 0. Raw runs, with their curves: `learning.csv`.", "",
             "| case | bar | runs passed | smallest margin | median score | suite seed (1 thr, 2 thr) |",
             "|---|---|---|---|---|---|"]
    details = []
    for name, case in cases.items():
        mine = [r for r in rows if r["case"] == name and not r["mutation"]]
        if not mine:
            continue
        scores = [float(r["score"]) for r in mine]
        passed = sum(r["passed"] in (True, "True") for r in mine)
        suite = {int(r["threads"]): r["score"] for r in mine if int(r["seed"]) == 0}
        median = sorted(scores)[len(scores) // 2]
        lines.append(f"| {name} | {case.bar:g} | {passed}/{len(mine)} | {min(scores) - case.bar:+.1f} | "
                     f"{median:.1f} | {suite.get(1, '-')}, {suite.get(2, '-')} |")
        details += ["", f"## {name}", "", f"`{case.test}`: {case.about}; bar {case.bar:g}.", "",
                    "| seed | 1 thread | 2 threads |", "|---|---|---|"]
        by = {(int(r["seed"]), int(r["threads"])): r for r in mine}
        for seed in sorted({int(r["seed"]) for r in mine}):
            cells = []
            for threads in (1, 2):
                r = by.get((seed, threads))
                cells.append("-" if r is None else f"{float(r['score']):.1f} ({float(r['margin']):+.1f})")
            details.append(f"| {seed} | {cells[0]} | {cells[1]} |")
        muts = [r for r in rows if r["case"] == name and r["mutation"]]
        for mutation in sorted({r["mutation"] for r in muts}):
            mrows = [r for r in muts if r["mutation"] == mutation]
            failed = sum(r["passed"] in (False, "False") for r in mrows)
            scores = ", ".join(f"{float(r['score']):.1f}" for r in sorted(mrows, key=lambda r: int(r["seed"])))
            details.append("")
            details.append(f"Mutation *{mutation}*: fails {failed}/{len(mrows)} runs (scores {scores}).")
    path.write_text("\n".join(lines + details) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--case", nargs="*", help="cases to run (default: all)")
    p.add_argument("--seeds", type=int, nargs="*", default=list(range(10)))
    p.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    p.add_argument("--mutations", action="store_true", help="run the broken variants instead (seeds 0-2, 1 thread "
                   "unless --seeds/--threads say otherwise)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--again", action="store_true", help="run again the runs that the table already has")
    p.add_argument("--table", action="store_true", help="run nothing: score the recorded curves again with the "
                   "cases' current scores and bars, and rewrite the CSV and the table")
    p.add_argument("--worker", nargs=4, metavar=("CASE", "SEED", "THREADS", "MUTATION"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        case, seed, threads, mutation = args.worker
        worker(case, int(seed), int(threads), mutation)
        return 0

    sys.path.insert(0, str(HERE))
    import learning_cases

    cases = learning_cases.CASES
    names = args.case or list(cases)
    unknown = [n for n in names if n not in cases]
    if unknown:
        p.error(f"unknown case(s) {unknown}; known: {', '.join(cases)}")
    if args.mutations:
        seeds = args.seeds if args.seeds != list(range(10)) else [0, 1, 2]
        threads = args.threads if args.threads != [1, 2] else [1]
        jobs = [(cases[n], s, t, m) for n in names for m in cases[n].mutations for t in threads for s in seeds]
    else:
        jobs = [(cases[n], s, t, "") for n in names for s in args.seeds for t in args.threads]

    OUT.mkdir(exist_ok=True)
    csv_path = OUT / "learning.csv"
    rows = rescore(read_rows(csv_path), cases)
    if args.table:
        write_rows(csv_path, rows)
        write_table(OUT / "learning.md", rows, cases)
        stale = sorted({r["case"] for r in rows if r["settings"] != cases[r["case"]].settings})
        print(f"Rewrote {csv_path} and {OUT / 'learning.md'}." + (f" Stale (settings changed): {stale}" if stale else ""))
        return 1 if stale else 0
    done_keys = set()

    def record(result: dict) -> None:
        key = (result["case"], result["mutation"], str(result["seed"]), str(result["threads"]))
        done_keys.add(key)
        rows[:] = [r for r in rows if (r["case"], r["mutation"], str(r["seed"]), str(r["threads"])) != key]
        rows.append(result)
        write_rows(csv_path, rows)
        mark = "pass" if result["passed"] else "FAIL"
        print(f"{result['case']:<24} {result['mutation'] or '-':<36} seed {result['seed']} "
              f"threads {result['threads']}: {result['score']:9.1f} (bar {result['bar']:g}) {mark} "
              f"[{result['cpu_s']} s]", flush=True)

    if not args.again:  # runs already in the table with the same settings are kept
        have = {(r["case"], r["mutation"], str(r["seed"]), str(r["threads"])) for r in rows
                if r["settings"] == cases[r["case"]].settings}
        kept = [j for j in jobs if (j[0].name, j[3], str(j[1]), str(j[2])) in have]
        done_keys.update((j[0].name, j[3], str(j[1]), str(j[2])) for j in kept)
        jobs = [j for j in jobs if j not in kept]
        if kept:
            print(f"{len(kept)} runs are in the table already (--again runs them anew).")
    print(f"{len(jobs)} runs, {args.jobs} at a time; load average {os.getloadavg()[0]:.1f}", flush=True)
    errors = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for future in as_completed([pool.submit(run_job, *job) for job in jobs]):
            try:
                record(future.result())
            except RuntimeError as e:  # a crashed run: report it, keep the others
                errors.append(str(e))
                print(e, flush=True)
    write_table(OUT / "learning.md", rows, cases)
    failed = [r for r in rows if (r["case"], r["mutation"], str(r["seed"]), str(r["threads"])) in done_keys
              and (str(r["passed"]) == "True") == bool(r["mutation"])]
    for r in failed:
        what = "a mutation passed" if r["mutation"] else "failed"
        print(f"{what}: {r['case']} {r['mutation']} seed {r['seed']} threads {r['threads']} score {r['score']}")
    print(f"Wrote {csv_path} and {OUT / 'learning.md'}; {len(failed)} of {len(jobs)} runs off target, "
          f"{len(errors)} crashed.")
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
