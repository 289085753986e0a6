"""Training throughput with several copies of the environment (``num_envs``): spinup's PPO, SAC
and DQN next to Stable-Baselines3 at the same number of copies and matched settings.

Usage::

    python -m spinup.benchmarks.vector_throughput                        # everything, 3 repeats
    python -m spinup.benchmarks.vector_throughput --only ppo --envs HalfCheetah-v5
    python -m spinup.benchmarks.vector_throughput --only sac dqn --num-envs 1 4 --repeats 1
    python -m spinup.benchmarks.vector_throughput --quick                 # smoke test, < 2 minutes

What runs (``--quick`` keeps the shapes and shrinks the budgets):

* PPO on HalfCheetah-v5 and CartPole-v1 with 1, 4, 8 and 16 copies: 5 epochs of 4000 steps
  (4000 is a multiple of every copy count, so each copy steps 4000 / num_envs times per epoch).
* SAC on HalfCheetah-v5 and DQN on CartPole-v1 with 1 and 4 copies: 4800 and 12000 steps (whole
  bursts of updates: SB3 rounds its budget up to a multiple of its training frequency).

Each run is a fresh process (one torch thread unless ``--threads``; ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` set alike), spinup and SB3 in turns (spinup, SB3, spinup, SB3, ... for every
configuration, then again for the next repetition) so that slow drifts of a shared machine hit
both alike; each figure is the median of the repetitions (seeds 0, 1, 2, the same for both).
The copies are stepped one after the other in the training process on both sides: spinup's
``vectorization='sync'``, SB3's ``DummyVecEnv`` (built by ``make_vec_env``, which adds SB3's
``Monitor`` to each copy).

**The figure is environment steps per second of whole training**: the run's environment steps
divided by the wall time from just before the environments and networks are built to the return
of ``ppo(...)`` / ``model.learn(...)`` (imports excluded; spinup's logging and end-of-epoch
checkpoint included, as they are part of its training). The load average of the last minute is
recorded before every run. Every step of every copy is also timed, which gives a second rate over
a window (PPO: from the last step of the first epoch to the last step of the run, so the first
update onwards; SAC: steps 1500 to 4500; DQN: 2000 to 12000): the quantity that
``onpolicy_throughput`` and ``offpolicy_throughput`` committed, used only to compare with their
figures at ``num_envs=1``.

**Matched with SB3** (spinup's defaults unless named; mapped by
:func:`spinup.benchmarks.sb3_runner.sb3_arguments`):

* PPO: networks (64, 64) Tanh for policy and value, log std starting at -0.5, no orthogonal
  initialisation, gamma 0.99, GAE lambda 0.97, clip ratio 0.2, policy learning rate 3e-4, no
  entropy bonus, advantages normalised, no gradient clipping, target_kl 0.01. The batch of an
  update is the epoch's 4000 steps on both sides: SB3's ``n_steps = 4000 / num_envs`` per copy
  and ``batch_size = 4000``, so each of SB3's ``n_epochs = 80`` passes is one full-batch gradient
  step, as each of spinup's ``train_pi_iters = train_v_iters = 80`` iterations is.
* SAC and DQN: the same total environment steps, one gradient step per environment step at every
  ``num_envs`` (spinup: ``update_every`` gradient steps every ``update_every`` steps counted over
  all copies; SB3: ``train_freq = update_every / num_envs`` calls of ``env.step``, which SB3
  counts per call, and ``gradient_steps = update_every``), batch 100, learning rate 1e-3,
  gamma 0.99, networks (256, 256) ReLU, replay buffers of 1e6 (SAC) and 1e5 (DQN) transitions,
  uniform random actions before learning starts and no gradient step before it (1000 steps;
  spinup ``start_steps = update_after = 1000``, SB3 ``learning_starts = 1000``). SAC: alpha fixed
  at 0.2, polyak 0.995 (SB3 tau 0.005), ``update_every = 48`` rather than Spinning Up's 50 so
  that 4 copies make whole calls (12 of them) between updates. DQN: ``update_every = 4``, target
  copied every 1000 steps, epsilon from 1 to 0.05 over 10000 steps, Huber loss.
  spinup runs no test episodes (``num_test_episodes = 0``), as SB3's ``learn`` runs none, and
  the whole budget is one epoch.

**Not matched** (the algorithms differ): spinup's PPO has two optimizers (value learning rate
1e-3) and always takes 80 value steps, while SB3 minimises one joint loss (pi + 0.5 vf, one
learning rate) and its KL early stop (at 1.5 * target_kl, as spinup's) also stops the value
steps; SB3 estimates KL as mean((r - 1) - log r), spinup as mean(log pi_old - log pi). How many
policy steps an update takes therefore differs between the two, and the whole-training figure
includes that difference. SAC's and DQN's first update may fall one ``env.step`` call apart (SB3
checks ``learning_starts`` after a call, spinup at each step); the number of gradient steps over
the run is the same. spinup's PPO with one copy starts fresh episodes at every epoch (as Spinning
Up does); with several copies it carries them over to the next epoch, as SB3 always does.
spinup saves a checkpoint (``resume.pt``) at each epoch end; SB3 saves nothing.

Results go to ``benchmarks/results/`` of the checkout (``--quick``: a temporary folder, unless
``--out``): ``vector_throughput.csv`` (one row per run), ``vector_throughput.md`` (the table,
the targets, the comparison with the committed figures, the machine and the loads) and
``vector_throughput.png`` (steps/s against num_envs, spinup and SB3, one panel per algorithm
and environment).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym

from spinup.benchmarks.summary import measurement_info, results_root, run_worker
from spinup.utils.errors import UserError
from spinup.utils.progress import format_duration

MODULE = "spinup.benchmarks.vector_throughput"  # each run is python -m MODULE --worker SPEC OUT
IMPLS = ("spinup", "sb3")
PACKAGES = ("python", "torch", "gymnasium", "mujoco", "numpy", "stable-baselines3")  # named in the summary
CSV_FIELDS = ("date", "algo", "env", "num_envs", "impl", "repeat", "seed", "threads", "load_1min", "steps",
              "seconds", "steps_per_s", "cpu_steps_per_s", "window_steps_per_s")

# The targets printed beside the table (issue 16).
TARGET_SCALING = ("ppo", "HalfCheetah-v5", 8, 1.5)  # PPO at 8 copies >= 1.5x our own 1 copy
TARGET_VS_SB3 = 2.0  # PPO >= 2x SB3 at the same number of copies


@dataclass(frozen=True)
class Setting:
    """One algorithm on one environment: the copy counts to measure, spinup's hyperparameters
    (``steps_per_epoch`` and ``epochs`` included; SB3's follow from them) and the window, in
    1-based environment steps, of the rate comparable with the committed figures."""

    algo: str
    env: str
    num_envs: tuple[int, ...]
    hyperparams: dict
    window: tuple[int, int]

    @property
    def update_every(self) -> int | None:
        """Off-policy: environment steps between bursts of gradient steps (None for PPO)."""
        return None if self.algo == "ppo" else self.hyperparams["update_every"]


def total_steps(hyperparams: dict) -> int:
    """The environment steps of a run: ``steps_per_epoch * epochs``, over all copies."""
    return hyperparams["steps_per_epoch"] * hyperparams["epochs"]


PPO_FULL = dict(steps_per_epoch=4000, epochs=5)
SAC_FULL = dict(steps_per_epoch=4800, epochs=1, start_steps=1000, update_after=1000, update_every=48,
                num_test_episodes=0)
DQN_FULL = dict(steps_per_epoch=12000, epochs=1, start_steps=1000, update_after=1000, update_every=4,
                num_test_episodes=0)
FULL = (
    Setting("ppo", "HalfCheetah-v5", (1, 4, 8, 16), PPO_FULL, (4000, 20000)),
    Setting("ppo", "CartPole-v1", (1, 4, 8, 16), PPO_FULL, (4000, 20000)),
    Setting("sac", "HalfCheetah-v5", (1, 4), SAC_FULL, (1500, 4500)),  # offpolicy_throughput's window
    Setting("dqn", "CartPole-v1", (1, 4), DQN_FULL, (2000, 12000)),  # offpolicy_throughput's window
)

# --quick: each algorithm at 1 and 4 copies on one environment, a few hundred steps: 12 runs,
# 1.5 minutes on a quiet 2-core machine, most of it starting processes (torch and its compiler).
QUICK = (
    Setting("ppo", "HalfCheetah-v5", (1, 4), dict(steps_per_epoch=256, epochs=2), (256, 512)),
    Setting("sac", "HalfCheetah-v5", (1, 4), dict(SAC_FULL, steps_per_epoch=192, start_steps=96,
                                                   update_after=96), (96, 192)),
    Setting("dqn", "CartPole-v1", (1, 4), dict(DQN_FULL, steps_per_epoch=400, start_steps=100,
                                                update_after=100), (200, 400)),
)


# ---------------------------------------------------------------------------------------------
# What to run.


def select(settings, only=None, envs=None, num_envs=None) -> list[Setting]:
    """The settings of the algorithms ``only`` on the environments ``envs`` (None: all), with
    ``num_envs`` copy counts in place of each setting's own (None: keep them). Raises
    :class:`UserError` for an environment none of them uses or a copy count that does not divide
    the budget."""
    chosen = [s for s in settings if only is None or s.algo in only]
    if envs is not None:
        known = sorted({s.env for s in chosen})
        unknown = [e for e in envs if e not in known]
        if unknown:
            raise UserError(f"--envs: {', '.join(unknown)} is not measured here for "
                            f"{', '.join(sorted({s.algo for s in chosen}))}; choose from {', '.join(known)}.")
        chosen = [s for s in chosen if s.env in envs]
    if num_envs is not None:
        chosen = [Setting(s.algo, s.env, tuple(num_envs), s.hyperparams, s.window) for s in chosen]
    for s in chosen:
        for n in s.num_envs:
            if n < 1:
                raise UserError(f"--num-envs: copy counts must be 1 or more, not {n}.")
            if s.hyperparams["steps_per_epoch"] % n:
                raise UserError(f"--num-envs: {s.algo} steps {s.hyperparams['steps_per_epoch']} per epoch, "
                                f"which {n} copies cannot share evenly; use a divisor of it (e.g. 1, 4, 8, 16).")
            if s.update_every is not None and s.update_every % n:
                raise UserError(f"--num-envs: {s.algo} updates every {s.update_every} steps, which {n} copies "
                                f"cannot reach in whole calls of env.step (SB3's train_freq); use a divisor "
                                f"of {s.update_every}.")
    return chosen


def sb3_settings(algo: str, hyperparams: dict, num_envs: int) -> tuple[str, dict]:
    """SB3's class name and keyword arguments for spinup's ``algo`` with ``hyperparams`` run on
    ``num_envs`` copies: :func:`~spinup.benchmarks.sb3_runner.sb3_arguments`'s mapping, with the
    rollout (PPO) or the training frequency (SAC, DQN) counted in calls of the vector env."""
    from spinup.benchmarks.sb3_runner import sb3_arguments

    steps_per_epoch, epochs = hyperparams["steps_per_epoch"], hyperparams["epochs"]
    own = {k: v for k, v in hyperparams.items() if k not in ("steps_per_epoch", "epochs")}
    cls_name, kwargs = sb3_arguments(algo, own, steps_per_epoch, epochs)
    if algo == "ppo":
        kwargs["n_steps"] = steps_per_epoch // num_envs  # per copy; batch_size stays the whole epoch
    else:
        update_every = kwargs["gradient_steps"]  # sb3_arguments: gradient_steps = update_every
        kwargs["train_freq"] = (update_every // num_envs, "step")  # SB3 counts calls of env.step
    return cls_name, kwargs


# ---------------------------------------------------------------------------------------------
# One run (in its own process: python -m MODULE --worker SPEC OUT).


class Clock(gym.Wrapper):
    """Records the (wall, CPU) time at the end of every step of the environment it wraps into
    ``times``, a list shared by every copy of the run: entry k is the end of the run's k-th step."""

    def __init__(self, env: gym.Env, times: list):
        super().__init__(env)
        self.times = times

    def step(self, action):
        out = self.env.step(action)
        self.times.append((time.perf_counter(), time.process_time()))
        return out


def spinup_trainer(spec: dict, make_env: Callable, output_dir: str) -> Callable[[], None]:
    """spinup's training run of ``spec``, imported and ready to call."""
    from spinup.algos import get_algo

    algo = get_algo(spec["algo"])
    return lambda: algo(make_env, seed=spec["seed"], num_envs=spec["num_envs"], vectorization="sync",
                        device="cpu", logger_kwargs=dict(output_dir=output_dir, exp_name="vector_throughput"),
                        **spec["hyperparams"])


def sb3_trainer(spec: dict, make_env: Callable) -> Callable[[], None]:
    """SB3's training run of ``spec`` on a ``DummyVecEnv``, imported and ready to call."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    from spinup.benchmarks.sb3_runner import require_sb3

    sb3 = require_sb3()
    cls_name, kwargs = sb3_settings(spec["algo"], spec["hyperparams"], spec["num_envs"])

    def train():
        envs = make_vec_env(make_env, n_envs=spec["num_envs"], seed=spec["seed"], vec_env_cls=DummyVecEnv)
        model = getattr(sb3, cls_name)("MlpPolicy", envs, seed=spec["seed"], device="cpu", verbose=0, **kwargs)
        model.learn(total_timesteps=total_steps(spec["hyperparams"]))

    return train


def import_lazily_loaded_modules(env_id: str) -> None:
    """Import what both libraries would otherwise import inside the timed run: the environment's
    module (MuJoCo, 0.5 s) at its first ``gym.make``, and torch's compiler (``torch._dynamo``,
    1-5 s) at the first optimizer."""
    import torch

    gym.make(env_id).close()
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def train_and_time(spec: dict) -> dict:
    """Run ``spec`` (``impl``, ``algo``, ``env``, ``num_envs``, ``seed``, ``threads``,
    ``hyperparams``, ``window``) in this process; return its step count, wall seconds and rates:
    whole training (wall and CPU time) and over the window."""
    import torch

    torch.set_num_threads(spec["threads"])
    times = []

    def make_env():
        return Clock(gym.make(spec["env"]), times)

    with tempfile.TemporaryDirectory() as tmp:
        if spec["impl"] == "spinup":
            train = spinup_trainer(spec, make_env, os.path.join(tmp, "run"))
        else:
            train = sb3_trainer(spec, make_env)
        import_lazily_loaded_modules(spec["env"])
        wall, cpu = time.perf_counter(), time.process_time()
        train()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    steps = total_steps(spec["hyperparams"])
    if len(times) != steps:  # something else stepped the copies (test episodes?), or too few steps
        raise RuntimeError(f"{spec['impl']} {spec['algo']} took {len(times)} environment steps, not {steps}.")
    a, b = spec["window"]
    return dict(steps=steps, seconds=wall, steps_per_s=steps / wall, cpu_steps_per_s=steps / cpu,
                window_steps_per_s=(b - a) / (times[b - 1][0] - times[a - 1][0]))


def measure(spec: dict) -> dict:
    """:func:`train_and_time` in a fresh process with ``spec['threads']`` threads."""
    return run_worker(MODULE, spec, f"{spec['impl']} {spec['algo']} on {spec['env']} with {spec['num_envs']} copies")


# ---------------------------------------------------------------------------------------------
# Medians, ratios, targets and the committed figures.


def medians(rows: list[dict], key: str = "steps_per_s") -> dict:
    """``{(algo, env, num_envs, impl): median of key}`` over the repetitions."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["algo"], r["env"], int(r["num_envs"]), r["impl"]), []).append(float(r[key]))
    return {k: statistics.median(v) for k, v in groups.items()}


def load_range(rows: list[dict], algo: str, env: str, num_envs: int) -> str:
    """The lowest and highest 1-minute load average at the start of this configuration's runs."""
    loads = [float(r["load_1min"]) for r in rows
             if (r["algo"], r["env"], int(r["num_envs"])) == (algo, env, num_envs)]
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"


def table_rows(rows: list[dict]) -> list[dict]:
    """One line per (algorithm, environment, copies) in the order measured: the medians of both
    libraries (whole training, wall time), their ratio, the ratio of CPU-time rates, each
    library's scaling against its own one copy, and the loads."""
    wall, cpu = medians(rows), medians(rows, "cpu_steps_per_s")
    configs = list(dict.fromkeys((r["algo"], r["env"], int(r["num_envs"])) for r in rows))
    out = []
    for algo, env, n in configs:
        sp, sb = wall.get((algo, env, n, "spinup")), wall.get((algo, env, n, "sb3"))
        sp1, sb1 = wall.get((algo, env, 1, "spinup")), wall.get((algo, env, 1, "sb3"))
        cpu_sp, cpu_sb = cpu.get((algo, env, n, "spinup")), cpu.get((algo, env, n, "sb3"))
        out.append(dict(algo=algo, env=env, num_envs=n, spinup=sp, sb3=sb,
                        ratio=sp / sb if sp and sb else None,
                        cpu_ratio=cpu_sp / cpu_sb if cpu_sp and cpu_sb else None,
                        spinup_scaling=sp / sp1 if sp and sp1 else None,
                        sb3_scaling=sb / sb1 if sb and sb1 else None,
                        load=load_range(rows, algo, env, n)))
    return out


def read_csv(path: str) -> list[dict]:
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def committed_load(md_path: str) -> str:
    """The load average a committed summary recorded ('0.96', or '0.8 at the start, 1.8 at the end')."""
    try:
        with open(md_path) as f:
            text = f.read()
    except OSError:
        return "not recorded"
    m = re.search(r"load average ([0-9.]+) at the start, ([0-9.]+) at the end", text)
    if m:
        return f"{m.group(1)} at the start, {m.group(2)} at the end"
    m = re.search(r"load: ([0-9.]+)", text)
    return m.group(1) if m else "not recorded"


def committed_figures(folder: str, threads: int) -> dict:
    """``{(algo, env): dict(spinup=, sb3=, load=)}``: the committed medians at one copy, from
    ``onpolicy_throughput.csv`` (PPO, HalfCheetah-v5, one process; measured at one thread) and
    ``offpolicy_throughput.csv`` (SAC on HalfCheetah-v5, DQN on CartPole-v1, at ``threads``)."""
    out = {}
    onpolicy = read_csv(os.path.join(folder, "onpolicy_throughput.csv"))
    ppo1 = [float(r["steps_per_s"]) for r in onpolicy if r["config"] == "ppo1"]
    sb3 = [float(r["steps_per_s"]) for r in onpolicy if r["config"] == "sb3"]
    if ppo1 and sb3 and threads == 1:
        out[("ppo", "HalfCheetah-v5")] = dict(spinup=statistics.median(ppo1), sb3=statistics.median(sb3),
                                              load=committed_load(os.path.join(folder, "onpolicy_throughput.md")))
    offpolicy = read_csv(os.path.join(folder, "offpolicy_throughput.csv"))
    load = committed_load(os.path.join(folder, "offpolicy_throughput.md"))
    for algo, env in (("sac", "HalfCheetah-v5"), ("dqn", "CartPole-v1")):
        figures = {impl: [float(r["wall_steps_per_s"]) for r in offpolicy
                          if (r["algo"], r["impl"], int(r["threads"])) == (algo, impl, threads)] for impl in IMPLS}
        if figures["spinup"] and figures["sb3"]:
            out[(algo, env)] = dict(spinup=statistics.median(figures["spinup"]),
                                    sb3=statistics.median(figures["sb3"]), load=load)
    return out


def against_committed(rows: list[dict], committed: dict) -> list[dict]:
    """At one copy, the window rate now against the committed figure, for spinup and for SB3
    (SB3's change is the machine's and the load's, not spinup's)."""
    window = medians(rows, "window_steps_per_s")
    out = []
    for (algo, env), then in committed.items():
        sp, sb = window.get((algo, env, 1, "spinup")), window.get((algo, env, 1, "sb3"))
        if sp is None:
            continue
        sp_change = sp / then["spinup"]
        sb_change = sb / then["sb3"] if sb else None
        if sp_change >= 1.0:
            verdict = "met"
        elif sb_change and sp_change / sb_change >= 1.0:
            verdict = f"met once SB3's change (×{sb_change:.2f}) is divided out"
        else:
            verdict = "not met"
        out.append(dict(algo=algo, env=env, spinup_then=then["spinup"], spinup_now=sp, spinup_change=sp_change,
                        sb3_then=then["sb3"], sb3_now=sb, sb3_change=sb_change, load_then=then["load"],
                        load_now=load_range(rows, algo, env, 1), verdict=verdict))
    return out


def targets(table: list[dict], committed_rows: list[dict]) -> list[str]:
    """The issue's targets, each with the figure that decides it."""
    lines = []
    algo, env, n, goal = TARGET_SCALING
    line = next((t for t in table if (t["algo"], t["env"], t["num_envs"]) == (algo, env, n)), None)
    if line and line["spinup_scaling"] is not None:
        met = "met" if line["spinup_scaling"] >= goal else "not met"
        lines.append(f"PPO on {env} at {n} copies ≥ {goal}× our own 1-copy throughput: "
                     f"{line['spinup_scaling']:.2f}× ({met}).")
    else:
        lines.append(f"PPO on {env} at {n} copies ≥ {goal}× our own 1-copy throughput: not measured in this run.")
    ppo = [t for t in table if t["algo"] == "ppo" and t["ratio"] is not None]
    if ppo:
        short = [f"{t['env']} ×{t['num_envs']}: {t['ratio']:.2f}" for t in ppo if t["ratio"] < TARGET_VS_SB3]
        lines.append(f"PPO ≥ {TARGET_VS_SB3:g}× SB3's PPO at the same number of copies: met at {len(ppo) - len(short)} "
                     f"of {len(ppo)} configurations" + (f"; short at {'; '.join(short)}." if short else "."))
    for c in committed_rows:
        lines.append(f"{c['algo'].upper()} on {c['env']} at 1 copy not slower than committed: "
                     f"{c['spinup_change']:.2f}× the committed figure ({c['verdict']}).")
    if not committed_rows:
        lines.append("Not slower at 1 copy than the committed results: no committed figure to compare with "
                     "(or num_envs=1 not measured).")
    return lines


# ---------------------------------------------------------------------------------------------
# Writing the results.


def fmt(x, spec: str = ".0f", suffix: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{suffix}"


def summary_markdown(rows: list[dict], info: dict, meta: dict, committed: dict) -> str:
    """``vector_throughput.md``: the table, the targets, the committed comparison, what is and
    is not matched, the machine and the loads, and a place for the reading."""
    table = table_rows(rows)
    committed_rows = against_committed(rows, committed)
    versions = ", ".join(f"{name} {info[name]}" for name in PACKAGES if name in info)
    windows = "; ".join(f"{algo.upper()} on {env}: steps {a} to {b}" for algo, env, (a, b) in meta["windows"])
    runs = f"medians of {meta['repeats']} runs" if meta["repeats"] > 1 else "one run each"
    lines = [
        "# Training throughput with several environment copies: spinup vs Stable-Baselines3",
        "",
        f"Measured {meta['stamp']} with `{meta['command']}` at commit {info.get('commit', 'unknown')}, "
        f"in {format_duration(meta['wall_s'])}.",
        f"Machine: {info.get('cpu', 'unknown')}, {info.get('cores', '?')} logical cores. Versions: {versions}.",
        f"Threads: {meta['threads']} torch thread{'s' if meta['threads'] > 1 else ''} per run "
        f"(`torch.set_num_threads`, `OMP_NUM_THREADS`, `MKL_NUM_THREADS`). Load average (1 minute): "
        f"{meta['load_start']:.1f} at the start, {meta['load_end']:.1f} at the end; each row gives the range "
        "at the start of its runs.",
        "",
        *(["**A `--quick` run: budgets of a few hundred steps, a smoke test of the script. Its figures "
           "come from runs too short to say anything about either library's speed.**", ""] if meta.get("quick") else []),
        f"Environment steps per second of **whole training** (steps / wall seconds from building the "
        f"environments and networks to the end of training; imports excluded), {runs}, spinup and SB3 "
        "alternating, copies stepped in the training process on both sides (spinup "
        "`vectorization='sync'`, SB3 `DummyVecEnv`). Ratio: spinup / SB3 (wall time; CPU time beside "
        "it, steadier on a shared machine). Scaling: the library's rate at N copies / its own at 1 copy.",
        "",
        "| algo | env | num_envs | spinup steps/s | SB3 steps/s | spinup / SB3 | (CPU time) | "
        "spinup N / 1 | SB3 N / 1 | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for t in table:
        lines.append(f"| {t['algo']} | {t['env']} | {t['num_envs']} | {fmt(t['spinup'])} | {fmt(t['sb3'])} | "
                     f"{fmt(t['ratio'], '.2f', '×')} | {fmt(t['cpu_ratio'], '.2f', '×')} | "
                     f"{fmt(t['spinup_scaling'], '.2f', '×')} | {fmt(t['sb3_scaling'], '.2f', '×')} | {t['load']} |")
    lines += ["", "Raw runs: `vector_throughput.csv`; plot: `vector_throughput.png`.", "", "## Targets", ""]
    lines += [f"* {line}" for line in targets(table, committed_rows)]
    lines += ["", "## Against the committed figures, at one copy", "",
              "The committed figures (`onpolicy_throughput.csv`, `offpolicy_throughput.csv`) are rates over a "
              f"window of training, so they are set beside this run's window rate ({windows}), not its "
              "whole-training rate. SB3's change between the two measurements is the machine's and its "
              "load's; spinup's change beyond it is the code's. This run's SAC updates every 48 steps (the "
              "committed run: every 50), for whole calls at 4 copies."]
    if committed_rows:
        lines += ["", "| algo | env | spinup committed | spinup now | now / committed | SB3 committed | SB3 now | "
                  "now / committed | load committed | load now | verdict |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
        for c in committed_rows:
            lines.append(f"| {c['algo']} | {c['env']} | {c['spinup_then']:.0f} | {c['spinup_now']:.0f} | "
                         f"{c['spinup_change']:.2f}× | {c['sb3_then']:.0f} | {fmt(c['sb3_now'])} | "
                         f"{fmt(c['sb3_change'], '.2f', '×')} | {c['load_then']} | {c['load_now']} | {c['verdict']} |")
    else:
        lines += ["", "Nothing to compare: no committed figure for what was measured here."]
    lines += ["", "## Settings", "",
              "Matched and unmatched settings, and the budgets, are in the module's docstring "
              f"(`python -m {MODULE} --help` shows the start; `spinup/benchmarks/vector_throughput.py` the whole). "
              "In short: the same environment steps, batch of an update (PPO: the epoch's steps; SAC, DQN: 100), "
              "networks, learning starts and gradient steps per environment step (SAC, DQN: 1) on both sides; "
              "PPO's number of gradient steps per update is not matched, since SB3's KL early stop also stops "
              "its value steps and spinup's does not.",
              "", "## Reading the table (written by hand after this run)", "",
              "_To be written after the run: what scales and why, where the time goes, and how the load "
              "and the machine bear on the figures._", ""]
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> str:
    """Steps/s against num_envs, spinup and SB3 (medians as lines, each run as a dot), one panel
    per algorithm and environment."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys((r["algo"], r["env"]) for r in rows))
    med = medians(rows)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, (algo, env) in zip(axes[0], panels):
        counts = sorted({int(r["num_envs"]) for r in rows if (r["algo"], r["env"]) == (algo, env)})
        for impl, color, label in (("spinup", "tab:blue", "spinup"), ("sb3", "tab:orange", "SB3")):
            xs = [n for n in counts if (algo, env, n, impl) in med]
            ax.plot(xs, [med[(algo, env, n, impl)] for n in xs], "o-", color=color, label=label)
            runs = [r for r in rows if (r["algo"], r["env"], r["impl"]) == (algo, env, impl)]
            ax.scatter([int(r["num_envs"]) for r in runs], [float(r["steps_per_s"]) for r in runs], s=10,
                       color=color, alpha=0.35)
        ax.set_xscale("log", base=2)
        ax.set_xticks(counts, [str(n) for n in counts])
        ax.set_ylim(bottom=0)
        ax.set_title(f"{algo.upper()}, {env}")
        ax.set_xlabel("num_envs (copies, sync)")
        ax.set_ylabel("env steps/s, whole training")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_results(rows: list[dict], folder: str, info: dict, meta: dict, committed: dict) -> str:
    """Write the CSV, the markdown summary and the plot into ``folder``; return the summary."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "vector_throughput.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    text = summary_markdown(rows, info, meta, committed)
    with open(os.path.join(folder, "vector_throughput.md"), "w") as f:
        f.write(text)
    plot(rows, os.path.join(folder, "vector_throughput.png"))
    return text


# ---------------------------------------------------------------------------------------------
# The driver.


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0],
                                     epilog="Settings, matched and not: see the module's docstring.")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: PPO and SAC on HalfCheetah-v5, DQN on CartPole-v1, 1 and 4 copies, a few "
                             "hundred steps, 1 repeat (1.5 minutes); writes to a temporary folder unless "
                             "--out is given")
    parser.add_argument("--only", nargs="+", choices=["ppo", "sac", "dqn"], help="algorithms (default: all three)")
    parser.add_argument("--envs", nargs="+", metavar="ENV",
                        help="environment ids (default: HalfCheetah-v5 and CartPole-v1 for PPO, HalfCheetah-v5 "
                             "for SAC, CartPole-v1 for DQN)")
    parser.add_argument("--num-envs", nargs="+", type=int, metavar="N",
                        help="copy counts, for every algorithm (default: 1 4 8 16 for PPO, 1 4 for SAC and DQN)")
    parser.add_argument("--repeats", type=int, help="runs of each configuration and library (default 3; --quick 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    parser.add_argument("--out", help="folder for the CSV, summary and plot (default: benchmarks/results/ of "
                                      "the checkout; --quick: a new temporary folder)")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        parser.error(f"--repeats must be 1 or more, not {args.repeats}.")
    if args.threads < 1:
        parser.error(f"--threads must be 1 or more, not {args.threads}.")
    try:
        args.settings = select(QUICK if args.quick else FULL, args.only, args.envs, args.num_envs)
    except UserError as e:
        parser.error(str(e))
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = args.out or (tempfile.mkdtemp(prefix="vector_throughput_") if args.quick else results_root())
    info = measurement_info()
    command = " ".join(["python -m", MODULE, *(sys.argv[1:] if argv is None else argv)])
    plan = [(s, n) for s in args.settings for n in s.num_envs]
    print(f"{len(plan)} configurations × {len(IMPLS)} libraries × {args.repeats} repeats = "
          f"{len(plan) * len(IMPLS) * args.repeats} runs; {args.threads} thread(s) each; results into {folder}",
          flush=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    start, load_start = time.time(), os.getloadavg()[0]
    rows = []
    for rep in range(args.repeats):
        for setting, n in plan:
            for impl in IMPLS:  # spinup, SB3, spinup, SB3, ...: drifts of the machine hit both
                spec = dict(impl=impl, algo=setting.algo, env=setting.env, num_envs=n, seed=rep,
                            threads=args.threads, hyperparams=setting.hyperparams, window=setting.window)
                load = os.getloadavg()[0]
                r = measure(spec)
                rows.append(dict(date=stamp, algo=setting.algo, env=setting.env, num_envs=n, impl=impl, repeat=rep,
                                 seed=rep, threads=args.threads, load_1min=round(load, 2), steps=r["steps"],
                                 seconds=round(r["seconds"], 3), steps_per_s=round(r["steps_per_s"], 1),
                                 cpu_steps_per_s=round(r["cpu_steps_per_s"], 1),
                                 window_steps_per_s=round(r["window_steps_per_s"], 1)))
                print(f"repeat {rep} {setting.algo:3s} {setting.env:14s} x{n:<2d} {impl:6s}: "
                      f"{r['steps_per_s']:7.0f} steps/s ({r['seconds']:5.1f} s; window {r['window_steps_per_s']:7.0f}; "
                      f"load {load:.1f})", flush=True)
    meta = dict(stamp=stamp, command=command, threads=args.threads, repeats=args.repeats, quick=args.quick,
                windows=[(s.algo, s.env, s.window) for s in args.settings],
                wall_s=time.time() - start, load_start=load_start, load_end=os.getloadavg()[0])
    text = write_results(rows, folder, info, meta, committed_figures(results_root(), args.threads))
    print("\n" + text)
    print(f"Wrote vector_throughput.csv, .md and .png into {folder} ({meta['wall_s']:.0f} s).")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        result = train_and_time(json.loads(sys.argv[2]))
        with open(sys.argv[3], "w") as f:
            json.dump(result, f)
    else:
        sys.exit(main())
