"""Training throughput on Atari: spinup's DQN and PPO next to Stable-Baselines3's (``CnnPolicy``)
on the same preprocessed games, at matched settings.

Usage::

    python -m spinup.benchmarks.atari_throughput                      # everything, 3 repeats
    python -m spinup.benchmarks.atari_throughput --only dqn --games ALE/Pong-v5
    python -m spinup.benchmarks.atari_throughput --threads 2 --repeats 1
    python -m spinup.benchmarks.atari_throughput --quick               # smoke test, a few minutes

What runs (``--quick`` keeps the settings and shrinks the budgets): DQN and PPO on
ALE/Breakout-v5 and ALE/Pong-v5, each run a fresh process (one torch thread unless
``--threads``; ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` set alike), spinup and SB3 in turns
(spinup, SB3, spinup, SB3, ... for every configuration, then again for the next repetition) so
that slow drifts of a shared machine hit both alike; each figure is the median of the
repetitions (seeds 0, 1, 2, the same for both). The load average of the last minute is recorded
before every run.

* DQN: ``--dqn-steps`` agent steps (default 2500) on one copy of the game, learning from step
  1000: (steps - 1000) / 4 gradient steps.
* PPO: ``--ppo-updates`` updates (default 2) of 8 copies x 128 steps = 1024 agent steps each.

**The same environment on both sides.** Every copy is ``EnvFactory(game)(training=True)``:
:func:`spinup.utils.atari.make_atari` (no-op starts, frame skip 4 with max-pool, 84x84 grey,
stack of 4) with the training version's episodic lives and sign-clipped rewards beneath the
stack; observations ``(4, 84, 84)`` ``uint8``, channels first. spinup steps its copies with
``vectorization='sync'``; SB3 gets a ``DummyVecEnv`` of the same copies (no ``Monitor``). SB3's
``CnnPolicy`` takes channels-first pictures as they are (no ``VecTransposeImage``: the worker
checks it) and, like spinup's :class:`~spinup.algos.networks.NatureCNN`, divides them by 255.
So the preprocessing is the same, step for step, and only the agents differ.

**The figure is agent steps per second of whole training** (frames: 4 per agent step): the
run's agent steps divided by the wall time from just before the environments and networks are
built to the return of ``dqn(...)`` / ``ppo(...)`` / ``model.learn(...)`` (imports, ROM
loading and torch's lazily imported compiler excluded; spinup's logging and end-of-epoch
checkpoints included, as they are part of its training). The CPU-time rate is recorded too
(steadier on a shared machine).

**Where the time goes.** Every agent step of every copy is timed (``env.step`` of the copy
replaced on the instance, so that the wrappers, which spinup reads to choose its replay buffer,
are unchanged). A run's wall time is then split into: *setup* (from the start to the first
step: environments, networks, buffers), *env* (inside the copies' ``step``: emulator and
preprocessing), *update* (the gaps between two steps where the algorithm updates, and
everything after the last step: gradient steps, and at PPO's epoch ends the logging and
saving; for DQN the acting share of each such gap, the median of the other gaps, is moved to
*act*) and *act* (every other gap: choosing actions with the network, storing, resets of
finished episodes, bookkeeping).

**Matched** (spinup's names; SB3's follow from them in :func:`sb3_settings`):

* DQN: the Nature CNN's 512 features then one linear layer (spinup ``ac_kwargs
  hidden_sizes=()``; SB3 ``CnnPolicy``, whose default ``net_arch`` after a NatureCNN is
  ``[]``), batch 32, Adam at 1e-4, gamma 0.99, one gradient step every 4 agent steps (spinup
  ``update_every=4, gradient_steps=1``; SB3 ``train_freq=4, gradient_steps=1``), target copied
  every 1000 steps, replay capacity 100,000, uniform random actions and no gradient step for
  the first 1000 steps (spinup ``start_steps = update_after = 1000``; SB3
  ``learning_starts=1000``), the plain DQN target (spinup ``double=False``: SB3's DQN is not
  double), Huber loss (delta 1), no gradient clipping (SB3 ``max_grad_norm`` out of reach; it
  still computes the norm), epsilon from 1 to 0.01 linearly over the first 1000 steps (SB3
  ``exploration_fraction = 1000 / steps``), so that once learning starts both act greedily 99%
  of the time, as in most of a long run. spinup runs no test episodes
  (``num_test_episodes=0``) and the whole budget is one epoch.
* PPO: 8 copies x 128 steps per update (spinup ``num_envs=8, steps_per_epoch=1024``; SB3
  ``n_envs=8, n_steps=128``), gamma 0.99, GAE lambda 0.95, clip 0.1, learning rate 2.5e-4,
  the Nature CNN then one linear layer for the policy and for the value.

**Not matched** (the libraries differ, and that is what the figures measure):

* DQN: spinup stores each frame once (:class:`~spinup.algos.frame_buffer.FrameReplayBuffer`,
  0.71 GB for 100,000 transitions); SB3's ``ReplayBuffer`` (``optimize_memory_usage=False``,
  its default) keeps ``obs`` and ``next_obs`` whole, 5.6 GB for 100,000 (allocated lazily: a
  short run touches only what it fills; the peak resident memory of each run is recorded).
  SB3 skips the network on the steps it explores; spinup computes the greedy action at every
  step after ``start_steps``. spinup's loop after the last step logs and saves a checkpoint.
* PPO: spinup runs with its Atari settings (``spinup.utils.atari.atari_defaults('ppo')``):
  separate policy and value networks, each its own Nature CNN, two Adam optimizers (2.5e-4
  both), and per update up to ``train_pi_iters=8`` full-batch policy steps (stopping early once
  the KL estimate passes 1.5 x ``target_kl`` = 0.03) and always ``train_v_iters=8`` full-batch
  value steps, without entropy bonus or gradient clipping. SB3 runs its usual Atari settings
  (the rl-zoo's): one CNN shared by policy and value, one Adam, ``n_epochs=4`` passes over the
  batch in minibatches of 256, ``ent_coef=0.01``, ``vf_coef=0.5``, ``max_grad_norm=0.5``, no KL
  stop. Per update spinup therefore pushes the batch forward and backward through a CNN about
  16 times (policy steps + value steps, each through its own CNN) against SB3's 4, and
  collecting a step costs spinup two CNN forwards (policy and value) against SB3's one. The
  work of each update is counted and reported (spinup's from ``StopIter`` and ``KL`` in its
  ``progress.txt``).

Results go to ``benchmarks/results/`` of the checkout (``--quick``: a temporary folder, unless
``--out``): ``atari_throughput.csv`` (one row per run), ``atari_throughput.md`` (the tables, the
targets, the settings, the machine and the loads) and ``atari_throughput.png`` (steps/s per
algorithm and game; where the time goes).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import numpy as np

from spinup.benchmarks.summary import measurement_info, results_root, run_worker
from spinup.utils.envs import EnvFactory
from spinup.utils.progress import format_duration

MODULE = "spinup.benchmarks.atari_throughput"  # each run is python -m MODULE --worker SPEC OUT
IMPLS = ("spinup", "sb3")
ALGOS = ("dqn", "ppo")
GAMES = ("ALE/Breakout-v5", "ALE/Pong-v5")
# The versions the summary names
PACKAGES = ("python", "torch", "stable-baselines3", "ale-py", "gymnasium", "numpy", "opencv-python-headless")
FRAME_SKIP = 4  # emulator frames per agent step
TARGET_VS_SB3 = 1.5  # the issue's target: spinup >= 1.5x SB3 for DQN and PPO on each game
NO_GRAD_CLIP = 1e12  # an upper bound no gradient norm reaches: spinup never clips

CSV_FIELDS = ("date", "algo", "game", "impl", "repeat", "seed", "threads", "load_1min", "steps", "frames",
              "seconds", "steps_per_s", "frames_per_s", "cpu_steps_per_s", "setup_s", "env_s", "act_s",
              "update_s", "updates", "pi_steps", "fwd_bwd_per_update", "fwd_per_update", "max_rss_mb")


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much each run trains: DQN's agent steps and the step its learning starts at; PPO's
    number of updates and agent steps per update (over all copies)."""

    dqn_steps: int = 2500
    dqn_learning_starts: int = 1000
    ppo_updates: int = 2
    ppo_steps_per_update: int = 1024


QUICK = Budget(dqn_steps=400, dqn_learning_starts=200, ppo_updates=2, ppo_steps_per_update=128)


# ---------------------------------------------------------------------------------------------
# The settings of both libraries.


def spinup_settings(algo: str, budget: Budget) -> dict:
    """spinup's keyword arguments for ``algo`` (besides the environment, seed, logger, device)."""
    from spinup.utils.atari import atari_defaults

    if algo == "dqn":
        starts = budget.dqn_learning_starts
        return dict(ac_kwargs=dict(hidden_sizes=()), steps_per_epoch=budget.dqn_steps, epochs=1,
                    replay_size=100_000, batch_size=32, lr=1e-4, gamma=0.99, start_steps=starts,
                    update_after=starts, update_every=4, gradient_steps=1, target_update_every=1000,
                    eps_start=1.0, eps_end=0.01, eps_decay_steps=starts, double=False, huber_delta=1.0,
                    num_test_episodes=0, max_ep_len=27_000)
    # Atari settings, with the batch of --quick (8 copies x fewer steps) and the run's updates
    return dict(atari_defaults("ppo"), steps_per_epoch=budget.ppo_steps_per_update, epochs=budget.ppo_updates)


def total_steps(hp: dict) -> int:
    """Agent steps of a run, over all copies."""
    return hp["steps_per_epoch"] * hp["epochs"]


def sb3_settings(algo: str, hp: dict) -> tuple[str, int, dict]:
    """SB3's class name, number of copies and keyword arguments for spinup's ``algo`` run with
    ``hp`` (:func:`spinup_settings`)."""
    if algo == "dqn":
        if tuple(hp["ac_kwargs"].get("hidden_sizes", (None,))):  # () in Python, [] through JSON
            raise ValueError("the DQN benchmark matches SB3's CnnPolicy, whose head after the CNN is one layer")
        starts = max(hp["start_steps"], hp["update_after"])
        return "DQN", 1, dict(
            learning_rate=hp["lr"], buffer_size=hp["replay_size"], learning_starts=starts,
            batch_size=hp["batch_size"], tau=1.0, gamma=hp["gamma"], train_freq=hp["update_every"],
            gradient_steps=hp["gradient_steps"], target_update_interval=hp["target_update_every"],
            exploration_fraction=hp["eps_decay_steps"] / total_steps(hp),
            exploration_initial_eps=hp["eps_start"], exploration_final_eps=hp["eps_end"],
            max_grad_norm=NO_GRAD_CLIP, optimize_memory_usage=False, policy_kwargs=dict(net_arch=[]))
    n = hp["num_envs"]
    return "PPO", n, dict(
        n_steps=hp["steps_per_epoch"] // n, batch_size=hp["steps_per_epoch"] // 4, n_epochs=4,
        learning_rate=hp["pi_lr"], clip_range=hp["clip_ratio"], gamma=hp["gamma"], gae_lambda=hp["lam"],
        ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5)


# ---------------------------------------------------------------------------------------------
# One run (in its own process: python -m MODULE --worker SPEC OUT).


class TimedEnvFactory(EnvFactory):
    """:class:`~spinup.utils.envs.EnvFactory` whose training copies time every ``step`` into
    ``times`` (a list shared by all copies: (start, end) wall times, in the order stepped). The
    method is replaced on the instance, not wrapped: the copy's wrappers, which spinup reads to
    pick its frame replay buffer, stay those of an ordinary run."""

    def __init__(self, env_name: str, times: list):
        super().__init__(env_name)
        self.times = times

    def __call__(self, training: bool = False, **overrides):
        env = super().__call__(training=training, **overrides)
        if training:
            step, times, clock = env.step, self.times, time.perf_counter

            def timed_step(action):
                start = clock()
                out = step(action)
                times.append((start, clock()))
                return out

            env.step = timed_step
        return env


def spinup_trainer(spec: dict, factory: EnvFactory, output_dir: str):
    from spinup.algos import get_algo

    algo = get_algo(spec["algo"])
    return lambda: algo(factory, seed=spec["seed"], vectorization="sync", device="cpu",
                        logger_kwargs=dict(output_dir=output_dir, exp_name="atari_throughput"), **spec["hp"])


def sb3_trainer(spec: dict, factory: EnvFactory):
    import stable_baselines3 as sb3
    from stable_baselines3.common.vec_env import DummyVecEnv, VecTransposeImage

    cls_name, n_envs, kwargs = sb3_settings(spec["algo"], spec["hp"])

    def train():
        envs = DummyVecEnv([lambda: factory(training=True)] * n_envs)
        model = getattr(sb3, cls_name)("CnnPolicy", envs, seed=spec["seed"], device="cpu", verbose=0, **kwargs)
        if isinstance(model.get_env(), VecTransposeImage) or model.observation_space.shape != (4, 84, 84):
            raise RuntimeError(f"SB3 changed the observations: {model.get_env()}, {model.observation_space}")
        model.learn(total_timesteps=total_steps(spec["hp"]))

    return train


def update_follows(spec: dict, i: int) -> bool:
    """Whether the algorithm updates between agent step ``i`` (0-based, over all copies in the
    order stepped) and the next: where the gap after step ``i`` holds gradient steps."""
    hp = spec["hp"]
    if spec["algo"] == "ppo":  # the batch is full: spinup's epoch end, SB3's rollout end
        return (i + 1) % hp["steps_per_epoch"] == 0
    if spec["impl"] == "spinup":  # dqn.py: after step t, if t >= update_after and t % update_every == 0
        return i >= hp["update_after"] and i % hp["update_every"] == 0
    # SB3: after every train_freq calls of env.step, once num_timesteps > learning_starts
    return (i + 1) % hp["update_every"] == 0 and i + 1 > max(hp["start_steps"], hp["update_after"])


def time_split(spec: dict, times: list, start: float, end: float) -> dict:
    """Split the wall time of a run into setup, env, act and update seconds (module docstring),
    and count the updates (DQN: gradient steps; PPO: updates)."""
    starts, ends = np.array([t[0] for t in times]), np.array([t[1] for t in times])
    gaps = starts[1:] - ends[:-1]
    is_update = np.array([update_follows(spec, i) for i in range(len(times) - 1)], dtype=bool)
    updates = int(is_update.sum()) + int(update_follows(spec, len(times) - 1))  # the last: in the tail
    act, update = float(gaps[~is_update].sum()), float(gaps[is_update].sum()) + (end - ends[-1])
    if spec["algo"] == "dqn" and is_update.any():
        # An update gap also holds the next step's acting: count it as acting (the median other gap)
        learning = np.arange(len(gaps)) >= spec["hp"]["update_after"]
        acting = float(np.median(gaps[learning & ~is_update]))
        act, update = act + acting * is_update.sum(), update - acting * is_update.sum()
    return dict(setup_s=float(starts[0] - start), env_s=float((ends - starts).sum()), act_s=act,
                update_s=update, updates=updates)


def ppo_work(spec: dict, progress: list[dict]) -> dict:
    """Full-batch passes through a Nature CNN per PPO update (medians over the updates): forward
    and backward, and forward only. spinup's policy steps come from its ``progress.txt``
    (``StopIter`` is the iteration it stopped at; ``KL`` above 1.5 x target_kl says it stopped)."""
    hp = spec["hp"]
    if spec["impl"] == "sb3":  # n_epochs passes over the batch, one shared CNN, no early stop
        return dict(pi_steps="", fwd_bwd_per_update=4, fwd_per_update=0)
    pi_steps, fwd_bwd, fwd = [], [], []
    for row in progress:
        stop_iter, stopped = int(float(row["StopIter"])), float(row["KL"]) > 1.5 * hp["target_kl"]
        steps = stop_iter if stopped else hp["train_pi_iters"]
        pi_steps.append(steps)
        fwd_bwd.append(steps + hp["train_v_iters"])  # each through its own CNN
        fwd.append(2 + int(stopped))  # the losses before the update (pi and v), the stopping forward
    return dict(pi_steps=";".join(map(str, pi_steps)), fwd_bwd_per_update=statistics.median(fwd_bwd),
                fwd_per_update=statistics.median(fwd))


def read_progress(path: str) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def train_and_time(spec: dict) -> dict:
    """Run ``spec`` (``impl``, ``algo``, ``game``, ``seed``, ``threads``, ``hp``) in this process;
    return its step count, wall and CPU seconds, the time split and the work per update."""
    import torch

    torch.set_num_threads(spec["threads"])
    times: list = []
    factory = TimedEnvFactory(spec["game"], times)
    with tempfile.TemporaryDirectory() as tmp:
        output_dir = os.path.join(tmp, "run")
        if spec["impl"] == "spinup":
            train = spinup_trainer(spec, factory, output_dir)
        else:
            train = sb3_trainer(spec, factory)
        # What either library would otherwise import inside the timed run: the emulator and its
        # ROM (the first make), torch's compiler (the first optimizer)
        EnvFactory(spec["game"])().close()
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        wall, cpu = time.perf_counter(), time.process_time()
        train()
        end, cpu = time.perf_counter(), time.process_time() - cpu
        progress = read_progress(os.path.join(output_dir, "progress.txt")) if spec["impl"] == "spinup" else []
    steps = total_steps(spec["hp"])
    if len(times) != steps:
        raise RuntimeError(f"{spec['impl']} {spec['algo']} took {len(times)} agent steps, not {steps}.")
    out = dict(steps=steps, seconds=end - wall, cpu_seconds=cpu, **time_split(spec, times, wall, end),
               max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if spec["algo"] == "ppo":
        out.update(ppo_work(spec, progress))
    return out


def measure(spec: dict) -> dict:
    """:func:`train_and_time` in a fresh process with ``spec['threads']`` threads."""
    return run_worker(MODULE, spec, f"{spec['impl']} {spec['algo']} on {spec['game']}")


# ---------------------------------------------------------------------------------------------
# Medians and tables.


def median_of(rows: list[dict], algo: str, game: str, impl: str, key: str) -> float | None:
    values = [float(r[key]) for r in rows if (r["algo"], r["game"], r["impl"]) == (algo, game, impl)
              and r[key] not in ("", None)]
    return statistics.median(values) if values else None


def load_range(rows: list[dict], algo: str, game: str) -> str:
    """The lowest and highest 1-minute load average at the start of this configuration's runs."""
    loads = [float(r["load_1min"]) for r in rows if (r["algo"], r["game"]) == (algo, game)]
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"


def configs(rows: list[dict]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((r["algo"], r["game"]) for r in rows))


def table_rows(rows: list[dict]) -> list[dict]:
    """One line per (algorithm, game): both libraries' median steps/s, the ratios, the loads."""
    out = []
    for algo, game in configs(rows):
        sp, sb = (median_of(rows, algo, game, i, "steps_per_s") for i in IMPLS)
        cpu_sp, cpu_sb = (median_of(rows, algo, game, i, "cpu_steps_per_s") for i in IMPLS)
        out.append(dict(algo=algo, game=game, spinup=sp, sb3=sb, ratio=sp / sb if sp and sb else None,
                        cpu_ratio=cpu_sp / cpu_sb if cpu_sp and cpu_sb else None,
                        load=load_range(rows, algo, game)))
    return out


def fmt(x, spec: str = ".0f", suffix: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{suffix}"


def split_lines(rows: list[dict]) -> list[str]:
    """The time split table: medians of each phase, in seconds and per agent step or update."""
    lines = ["| algo | game | impl | whole s | setup s | env s (ms/step) | act s (ms/step) | update s | "
             "updates | update ms each | peak RSS MB |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for algo, game in configs(rows):
        for impl in IMPLS:
            m = {k: median_of(rows, algo, game, impl, k) for k in
                 ("seconds", "setup_s", "env_s", "act_s", "update_s", "updates", "steps", "max_rss_mb")}
            if m["seconds"] is None:
                continue
            per_step = 1000 / m["steps"]
            each = 1000 * m["update_s"] / m["updates"] if m["updates"] else None
            lines.append(f"| {algo} | {game} | {impl} | {m['seconds']:.1f} | {m['setup_s']:.1f} | "
                         f"{m['env_s']:.1f} ({m['env_s'] * per_step:.2f}) | {m['act_s']:.1f} "
                         f"({m['act_s'] * per_step:.2f}) | {m['update_s']:.1f} | {m['updates']:.0f} | "
                         f"{fmt(each)} | {m['max_rss_mb']:.0f} |")
    return lines


def ppo_work_lines(rows: list[dict]) -> list[str]:
    lines = ["| game | impl | policy steps per update (each run) | full-batch CNN forward+backward per update | "
             "forward-only | update s each | update s / forward+backward |",
             "|---|---|---|---:|---:|---:|---:|"]
    for algo, game in configs(rows):
        if algo != "ppo":
            continue
        for impl in IMPLS:
            runs = [r for r in rows if (r["algo"], r["game"], r["impl"]) == (algo, game, impl)]
            if not runs:
                continue
            fb, fo = median_of(rows, algo, game, impl, "fwd_bwd_per_update"), median_of(
                rows, algo, game, impl, "fwd_per_update")
            each = statistics.median(float(r["update_s"]) / float(r["updates"]) for r in runs)
            steps = " / ".join(r["pi_steps"] for r in runs) if impl == "spinup" else "4 epochs (no KL stop)"
            lines.append(f"| {game} | {impl} | {steps} | {fb:g} | {fo:g} | {each:.1f} | {each / fb:.2f} |")
    return lines


# ---------------------------------------------------------------------------------------------
# Writing the results.


def summary_markdown(rows: list[dict], info: dict, meta: dict) -> str:
    table = table_rows(rows)
    versions = ", ".join(f"{name} {info[name]}" for name in PACKAGES if name in info)
    runs = f"medians of {meta['repeats']} runs" if meta["repeats"] > 1 else "one run each"
    budget = meta["budget"]
    lines = [
        "# Atari training throughput: spinup vs Stable-Baselines3",
        "",
        f"Measured {meta['stamp']} with `{meta['command']}` at commit {info['commit']}, "
        f"in {format_duration(meta['wall_s'])}.",
        f"Machine: {info['cpu']}, {info['cores']} logical cores. Versions: {versions}.",
        f"Threads: {meta['threads']} torch thread{'s' if meta['threads'] > 1 else ''} per run "
        f"(`torch.set_num_threads`, `OMP_NUM_THREADS`, `MKL_NUM_THREADS`). Load average (1 minute): "
        f"{meta['load_start']:.1f} at the start, {meta['load_end']:.1f} at the end; each row gives the range "
        "at the start of its runs (every run's is in the CSV).",
        "",
        *(["**A `--quick` run: budgets of a few hundred steps, a smoke test of the script. Its figures "
           "say nothing about either library's speed.**", ""] if meta.get("quick") else []),
        f"Budgets: DQN {budget['dqn_steps']} agent steps on one copy, learning from step "
        f"{budget['dqn_learning_starts']} ({(budget['dqn_steps'] - budget['dqn_learning_starts']) // 4} gradient "
        f"steps of batch 32); PPO {budget['ppo_updates']} updates of 8 copies x "
        f"{budget['ppo_steps_per_update'] // 8} steps ({budget['ppo_updates'] * budget['ppo_steps_per_update']} "
        "agent steps).",
        "",
        f"Agent steps per second of **whole training** (frames per second: x{FRAME_SKIP}), {runs}, spinup and "
        "SB3 alternating, each run a fresh process, on the same preprocessed games (`EnvFactory(game)"
        "(training=True)` copies; SB3 in a `DummyVecEnv`). Ratio: spinup / SB3 (wall time; the CPU-time "
        f"ratio beside it). Target of the issue: spinup ≥ {TARGET_VS_SB3}× SB3 for DQN and PPO on each game.",
        "",
        "| algo | game | spinup steps/s | SB3 steps/s | spinup frames/s | SB3 frames/s | spinup / SB3 | "
        "(CPU time) | target | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for t in table:
        met = "-" if t["ratio"] is None else ("met" if t["ratio"] >= TARGET_VS_SB3 else "not met")
        lines.append(f"| {t['algo']} | {t['game']} | {fmt(t['spinup'], '.1f')} | {fmt(t['sb3'], '.1f')} | "
                     f"{fmt(t['spinup'] and FRAME_SKIP * t['spinup'])} | {fmt(t['sb3'] and FRAME_SKIP * t['sb3'])} | "
                     f"{fmt(t['ratio'], '.2f', '×')} | {fmt(t['cpu_ratio'], '.2f', '×')} | {met} | {t['load']} |")
    lines += ["", "Raw runs: `atari_throughput.csv`; plot: `atari_throughput.png`.", "",
              "## Where the time goes", "",
              "Medians over the runs. *setup*: from the start to the first agent step (environments, networks, "
              "buffers). *env*: inside the copies' `step` (emulator, frame skip, resize, stack). *act*: between "
              "steps where no update happens (the network choosing actions, storing, resets, bookkeeping). "
              "*update*: the gaps where the algorithm updates, and everything after the last step (DQN: its "
              "gradient steps, each gap's acting share moved to *act*; PPO: the update, and at spinup's epoch "
              "ends the logging and saving). *updates*: DQN gradient steps, PPO updates.", ""]
    lines += split_lines(rows)
    if any(r["algo"] == "ppo" for r in rows):
        lines += ["", "## PPO: the work of one update", "",
                  f"Passes of the whole batch ({budget['ppo_steps_per_update']} observations) through a Nature CNN. "
                  "spinup: each policy step and each value step is one forward and backward pass through its own "
                  "CNN (the policy steps stop early once the KL estimate passes 0.03; the value steps always run "
                  "8), plus forward-only passes for the losses before the update (policy and value) and, where it "
                  "stopped, the forward that found the KL too large. SB3: 4 epochs, each one pass of the batch "
                  f"in minibatches of {budget['ppo_steps_per_update'] // 4} through the CNN that policy and value share. "
                  "Collecting costs spinup two "
                  "CNN forwards per vector step (policy, value) and SB3 one.", ""]
        lines += ppo_work_lines(rows)
    lines += ["", "## Settings", "",
              "Matched and unmatched settings are in the module's docstring (`spinup/benchmarks/atari_throughput.py`)."
              " In short: the same games and preprocessing, the Nature CNN and a linear head on both sides. DQN: "
              "batch 32, Adam 1e-4, gamma 0.99, one gradient step per 4 agent steps, target copy every 1000, "
              "replay 100,000 (spinup's frame buffer, SB3's whole-stack buffer), "
              f"{budget['dqn_learning_starts']} random steps first, plain target, Huber loss, epsilon 1 to 0.01 over "
              f"the first {budget['dqn_learning_starts']} steps, no gradient clipping; matched "
              f"step for step. PPO: 8 copies x {budget['ppo_steps_per_update'] // 8} steps, gamma 0.99, lambda 0.95, "
              "clip 0.1, lr 2.5e-4 on both sides,"
              " but each library with its own Atari update (spinup's `atari_defaults('ppo')`: separate CNNs, 8 "
              "full-batch policy steps with KL stop at 0.03 and 8 value steps; SB3's rl-zoo settings: a shared CNN,"
              f" 4 epochs of minibatches of {budget['ppo_steps_per_update'] // 4}, entropy 0.01, vf 0.5, gradient clipping 0.5).",
              "", "## Reading the table (written by hand after this run)", "",
              "_To be written after the run._", ""]
    return "\n".join(lines)


def plot(rows: list[dict], path: str) -> str:
    """Left: steps/s per algorithm and game, spinup and SB3 (medians as bars, each run a dot).
    Right: seconds per 1000 agent steps, split into setup, env, act and update (medians)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = configs(rows)
    colors = {"spinup": "tab:blue", "sb3": "tab:orange"}
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    width = 0.38
    for j, impl in enumerate(IMPLS):
        xs = np.arange(len(groups)) + (j - 0.5) * width
        meds = [median_of(rows, a, g, impl, "steps_per_s") or 0 for a, g in groups]
        ax.bar(xs, meds, width, color=colors[impl], label="spinup" if impl == "spinup" else "SB3")
        for x, (a, g) in zip(xs, groups):
            runs = [float(r["steps_per_s"]) for r in rows if (r["algo"], r["game"], r["impl"]) == (a, g, impl)]
            ax.scatter([x] * len(runs), runs, s=10, color="black", alpha=0.5, zorder=3)
    ax.set_xticks(np.arange(len(groups)), [f"{a.upper()}\n{g.removeprefix('ALE/')}" for a, g in groups])
    ax.set_ylabel("agent steps/s, whole training (frames/s = 4x)")
    ax.set_title("Throughput (median, dots: runs)")
    ax.legend()

    phases = (("setup_s", "setup", "0.8"), ("env_s", "env", "tab:green"), ("act_s", "act", "tab:purple"),
              ("update_s", "update", "tab:red"))
    labels, bottoms = [], None
    bars = [(a, g, impl) for a, g in groups for impl in IMPLS]
    per_k = {}
    for a, g, impl in bars:
        steps = median_of(rows, a, g, impl, "steps")
        per_k[(a, g, impl)] = [1000 * (median_of(rows, a, g, impl, k) or 0) / steps if steps else 0
                               for k, _, _ in phases]
        labels.append(f"{a.upper()}\n{g.removeprefix('ALE/').removesuffix('-v5')}\n{'spinup' if impl == 'spinup' else 'SB3'}")
    bottoms = np.zeros(len(bars))
    for p, (_, name, color) in enumerate(phases):
        heights = np.array([per_k[b][p] for b in bars])
        ax2.bar(np.arange(len(bars)), heights, 0.7, bottom=bottoms, color=color, label=name)
        bottoms += heights
    ax2.set_xticks(np.arange(len(bars)), labels, fontsize=7)
    ax2.set_ylabel("seconds per 1000 agent steps")
    ax2.set_title("Where the time goes (medians)")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_csv(rows: list[dict], folder: str) -> None:
    """``atari_throughput.csv``: one row per run (rewritten after every run, so that a stopped
    measurement keeps the runs it finished)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "atari_throughput.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)


def write_results(rows: list[dict], folder: str, info: dict, meta: dict) -> str:
    """Write the CSV, the markdown summary and the plot into ``folder``; return the summary."""
    write_csv(rows, folder)
    text = summary_markdown(rows, info, meta)
    with open(os.path.join(folder, "atari_throughput.md"), "w") as f:
        f.write(text)
    plot(rows, os.path.join(folder, "atari_throughput.png"))
    return text


# ---------------------------------------------------------------------------------------------
# The driver.


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0],
                                     epilog="Settings, matched and not: see the module's docstring.")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke test: DQN {QUICK.dqn_steps} steps (learning from {QUICK.dqn_learning_starts}), "
                             f"PPO {QUICK.ppo_updates} updates of 8 x {QUICK.ppo_steps_per_update // 8} steps, 1 repeat; "
                             "writes to a temporary folder unless --out is given")
    parser.add_argument("--only", choices=ALGOS, help="one algorithm (default: both)")
    parser.add_argument("--games", nargs="+", metavar="GAME", default=list(GAMES),
                        help=f"Atari ids (default: {' '.join(GAMES)})")
    parser.add_argument("--repeats", type=int, help="runs of each configuration and library (default 3; --quick 1)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1)")
    parser.add_argument("--dqn-steps", type=int, help=f"DQN agent steps per run (default {Budget.dqn_steps})")
    parser.add_argument("--ppo-updates", type=int, help=f"PPO updates per run (default {Budget.ppo_updates})")
    parser.add_argument("--out", help="folder for the CSV, summary and plot (default: benchmarks/results/ of "
                                      "the checkout; --quick: a new temporary folder)")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        parser.error(f"--repeats must be 1 or more, not {args.repeats}.")
    if args.threads < 1:
        parser.error(f"--threads must be 1 or more, not {args.threads}.")
    budget = QUICK if args.quick else Budget()
    if args.dqn_steps is not None:
        if args.dqn_steps <= budget.dqn_learning_starts:
            parser.error(f"--dqn-steps must be more than the {budget.dqn_learning_starts} steps before learning "
                         f"starts, not {args.dqn_steps}.")
        budget = Budget(args.dqn_steps, budget.dqn_learning_starts, budget.ppo_updates, budget.ppo_steps_per_update)
    if args.ppo_updates is not None:
        if args.ppo_updates < 1:
            parser.error(f"--ppo-updates must be 1 or more, not {args.ppo_updates}.")
        budget = Budget(budget.dqn_steps, budget.dqn_learning_starts, args.ppo_updates, budget.ppo_steps_per_update)
    args.budget = budget
    from spinup.utils.atari import is_atari_id, register_atari_envs

    register_atari_envs()
    not_atari = [g for g in args.games if not is_atari_id(g)]
    if not_atari:
        parser.error(f"--games: {', '.join(not_atari)} is not an Atari game of ale_py (e.g. ALE/Breakout-v5).")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    folder = args.out or (tempfile.mkdtemp(prefix="atari_throughput_") if args.quick else results_root())
    info = measurement_info()
    command = " ".join(["python -m", MODULE, *(sys.argv[1:] if argv is None else argv)])
    plan = [(algo, game) for algo in ALGOS if args.only in (None, algo) for game in args.games]
    print(f"{len(plan)} configurations × {len(IMPLS)} libraries × {args.repeats} repeats = "
          f"{len(plan) * len(IMPLS) * args.repeats} runs; {args.threads} thread(s) each; results into {folder}",
          flush=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    start, load_start = time.time(), os.getloadavg()[0]
    rows = []
    for rep in range(args.repeats):
        for algo, game in plan:
            hp = spinup_settings(algo, args.budget)
            for impl in IMPLS:  # spinup, SB3, spinup, SB3, ...: drifts of the machine hit both
                spec = dict(impl=impl, algo=algo, game=game, seed=rep, threads=args.threads, hp=hp)
                load = os.getloadavg()[0]
                r = measure(spec)
                rows.append(dict(
                    date=stamp, algo=algo, game=game, impl=impl, repeat=rep, seed=rep, threads=args.threads,
                    load_1min=round(load, 2), steps=r["steps"], frames=FRAME_SKIP * r["steps"],
                    seconds=round(r["seconds"], 2), steps_per_s=round(r["steps"] / r["seconds"], 1),
                    frames_per_s=round(FRAME_SKIP * r["steps"] / r["seconds"], 1),
                    cpu_steps_per_s=round(r["steps"] / r["cpu_seconds"], 1),
                    **{k: round(r[k], 2) for k in ("setup_s", "env_s", "act_s", "update_s")},
                    updates=r["updates"], pi_steps=r.get("pi_steps", ""),
                    fwd_bwd_per_update=r.get("fwd_bwd_per_update", ""), fwd_per_update=r.get("fwd_per_update", ""),
                    max_rss_mb=round(r["max_rss_mb"])))
                write_csv(rows, folder)
                print(f"repeat {rep} {algo} {game:16s} {impl:6s}: {rows[-1]['steps_per_s']:6.1f} steps/s "
                      f"({r['seconds']:5.1f} s: setup {r['setup_s']:.1f}, env {r['env_s']:.1f}, act {r['act_s']:.1f}, "
                      f"update {r['update_s']:.1f} in {r['updates']}; load {load:.1f})", flush=True)
    meta = dict(stamp=stamp, command=command, threads=args.threads, repeats=args.repeats, quick=args.quick,
                budget=dataclasses.asdict(args.budget), wall_s=time.time() - start,
                load_start=load_start, load_end=os.getloadavg()[0])
    text = write_results(rows, folder, info, meta)
    print("\n" + text)
    print(f"Wrote atari_throughput.csv, .md and .png into {folder} ({meta['wall_s']:.0f} s).")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        result = train_and_time(json.loads(sys.argv[2]))
        with open(sys.argv[3], "w") as f:
            json.dump(result, f)
    else:
        sys.exit(main())
