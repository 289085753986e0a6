"""Training throughput of spinup's VPG, TRPO and PPO on HalfCheetah-v5, with 1 and 2 MPI
processes, next to Stable-Baselines3's PPO at matched settings.

Usage::

    python -m spinup.benchmarks.onpolicy_throughput                    # everything, 3 repeats
    python -m spinup.benchmarks.onpolicy_throughput --only ppo1 sb3 --repeats 1

Each measurement runs in a fresh process (under ``mpiexec -n 2`` for the 2-process rows, with the
environment ``mpi_fork`` gives them), one thread per process. The configurations alternate (ppo1, sb3, ppo2, vpg1, ..., then again) so
that slow drifts of a shared machine hit all alike; each figure is the median of the repeats.

The figure is environment steps per second over three collect-and-update cycles: from the last
step of the first epoch (step 4000, before the first update) to the last step of the fourth
(step 16000), timed at every step of the training environment. With N processes each collects
4000 / N steps per epoch and the rate is N times one process's. The same timings split the wall
time into the update (the gap at each epoch boundary: the update, logging and the resume
checkpoint) and acting (policy forward passes, sampling, buffer store; every other step's time
minus the environment's own step).

Matched settings for SB3's PPO (spinup's PPO defaults): n_steps=4000 and batch_size=4000 (one
full-batch gradient step per epoch of data), n_epochs=80 (train_pi_iters = train_v_iters = 80),
learning_rate=3e-4 (pi_lr; SB3 has one optimizer, so vf_lr=1e-3 has no counterpart),
gamma=0.99, gae_lambda=0.97 (lam), clip_range=0.2 (clip_ratio), net_arch pi=[64, 64] and
vf=[64, 64] with Tanh (hidden_sizes=(64, 64)), log_std_init=-0.5 (spinup's initial log std),
ent_coef=0 (no entropy bonus), and target_kl=0.01: both stop the policy's steps once their KL
estimate exceeds 1.5 * target_kl. Remaining differences: SB3 minimises one joint pi + 0.5 * vf
loss, so its early stop also stops the value steps, where spinup always takes 80 value steps;
SB3 clips the gradient norm at 0.5 and estimates KL as mean((r - 1) - log r).

Results go to ``benchmarks/results/onpolicy_throughput.csv`` (one row per run) and ``.md`` (the
summary), in the spinup checkout (:func:`spinup.benchmarks.summary.results_root`).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from spinup.benchmarks.summary import measurement_info, results_root

MODULE = "spinup.benchmarks.onpolicy_throughput"  # each measurement runs python -m MODULE --worker ...
ENV = "HalfCheetah-v5"
STEPS_PER_EPOCH = 4000
WINDOW_EPOCHS = (1, 4)  # from the end of epoch 1's collection to the end of epoch 4's

CONFIGS = {  # name -> (implementation, algorithm, processes)
    "ppo1": ("spinup", "ppo", 1),
    "sb3": ("sb3", "ppo", 1),
    "ppo2": ("spinup", "ppo", 2),
    "vpg1": ("spinup", "vpg", 1),
    "vpg2": ("spinup", "vpg", 2),
    "trpo1": ("spinup", "trpo", 1),
    "trpo2": ("spinup", "trpo", 2),
}


class StopRun(Exception):
    """Raised from inside the training environment once the window has been measured."""


def make_timed_env(times, stop_at):
    """HalfCheetah, wrapped to record (start, end) of every step and to stop after ``stop_at``."""
    import gymnasium as gym

    class Timed(gym.Wrapper):
        def step(self, action):
            start = time.perf_counter()
            out = self.env.step(action)
            times.append((start, time.perf_counter()))
            if len(times) >= stop_at:
                raise StopRun
            return out

    return Timed(gym.make(ENV))


def summarise(times, local_steps, nprocs):
    """Steps/s over the window, and the update's and acting's shares of it, from step timings."""
    a, b = WINDOW_EPOCHS[0] * local_steps, WINDOW_EPOCHS[1] * local_steps  # 1-based step numbers
    window = [times[i] for i in range(a - 1, b)]
    elapsed = window[-1][1] - window[0][1]
    gaps = [(window[i][0] - window[i - 1][1], i) for i in range(1, len(window))]
    boundary = {local_steps * k - a for k in range(WINDOW_EPOCHS[0], WINDOW_EPOCHS[1])}
    update = sum(g for g, i in gaps if i - 1 in boundary)
    acting = sum(g for g, i in gaps if i - 1 not in boundary)
    env = sum(end - start for start, end in window[1:])
    n = b - a
    return dict(steps_per_s=nprocs * n / elapsed, update_s_per_epoch=update / (len(boundary)),
                acting_us_per_step=1e6 * acting / n, env_us_per_step=1e6 * env / n)


# ---------------------------------------------------------------------------------------------
# One measurement (runs in its own process, or processes).


def run_spinup(algo, seed, out):
    import torch

    from spinup.utils.mpi_tools import num_procs, proc_id

    torch.set_num_threads(1)
    fn = getattr(__import__(f"spinup.algos.{algo}.{algo}", fromlist=[algo]), algo)
    local_steps = STEPS_PER_EPOCH // num_procs()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            fn(lambda: make_timed_env(times, WINDOW_EPOCHS[1] * local_steps), seed=seed, epochs=10,
               logger_kwargs=dict(output_dir=os.path.join(tmp, "run"), exp_name="bench"))
        except StopRun:
            pass
    if proc_id() == 0:
        with open(out, "w") as f:
            json.dump(summarise(times, local_steps, num_procs()), f)


def run_sb3(seed, out):
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    times = []
    model = PPO("MlpPolicy", make_timed_env(times, WINDOW_EPOCHS[1] * STEPS_PER_EPOCH), n_steps=4000,
                batch_size=4000, n_epochs=80, learning_rate=3e-4, gamma=0.99, gae_lambda=0.97,
                clip_range=0.2, ent_coef=0.0, target_kl=0.01, seed=seed, device="cpu", verbose=0,
                policy_kwargs=dict(net_arch=dict(pi=[64, 64], vf=[64, 64]), activation_fn=torch.nn.Tanh,
                                   log_std_init=-0.5))
    try:
        model.learn(total_timesteps=10 * STEPS_PER_EPOCH)
    except StopRun:
        pass
    with open(out, "w") as f:
        json.dump(summarise(times, STEPS_PER_EPOCH, 1), f)


def measure(config, seed):
    from spinup.utils.mpi_tools import find_mpiexec, mpi_env

    impl, algo, nprocs = CONFIGS[config]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, "-m", MODULE, "--worker", impl, algo, str(seed), out]
        if nprocs > 1:  # as mpi_fork (--cpu N) would start them
            cmd, env = [find_mpiexec(), "-n", str(nprocs), *cmd], mpi_env()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(out) as f:
            return json.load(f)


# ---------------------------------------------------------------------------------------------
# Components: where the time of one step and of one update goes.


def components():
    import gymnasium as gym
    import numpy as np
    import torch
    import torch.nn as nn

    from spinup.algos.onpolicy import MLPActorCritic

    torch.set_num_threads(1)

    def per_call(f, n):
        f()
        start = time.process_time()
        for _ in range(n):
            f()
        return (time.process_time() - start) / n

    env = gym.make(ENV)
    ac = MLPActorCritic(env.observation_space, env.action_space)
    obs, _ = env.reset(seed=0)

    def torch_step():  # the same maths through torch modules at batch 1
        with torch.inference_mode():
            o = torch.as_tensor(obs, dtype=torch.float32)
            a, logp = ac.pi.sample(o)
            return a.numpy(), ac.v(o).item(), logp.item()

    out = {}
    for _ in range(3):
        out.setdefault("act: torch pi.sample + v (us)", []).append(1e6 * per_call(torch_step, 2000))
        out.setdefault("act: ac.step fast path (us)", []).append(
            1e6 * per_call(lambda: ac.step(torch.as_tensor(obs, dtype=torch.float32)), 2000))
    x = torch.randn(4000, 64)
    out["torch.tanh, 4000x64 (ms)"] = [1e3 * per_call(lambda: torch.tanh(x), 200)]
    out["spinup Tanh, 4000x64 (ms)"] = [1e3 * per_call(lambda: ac.v.v_net[1][1](x), 200)]
    obs_b, ret = torch.randn(4000, 17), torch.randn(4000)
    for name, act in [("nn.Tanh", nn.Tanh), ("spinup Tanh", None)]:
        torch.manual_seed(0)
        v = MLPActorCritic(env.observation_space, env.action_space).v
        if act is not None:
            v.v_net[1][1], v.v_net[1][3] = act(), act()
        opt = torch.optim.Adam(v.parameters(), lr=1e-3)

        def v_step(v=v, opt=opt):
            opt.zero_grad()
            ((v(obs_b) - ret) ** 2).mean().backward()
            opt.step()

        out[f"value step, 4000 rows, {name} (ms)"] = [1e3 * per_call(v_step, 80)]
    return {k: float(np.median(v)) for k, v in out.items()}


# ---------------------------------------------------------------------------------------------
# The driver.


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        impl, algo, seed, out = sys.argv[2:6]
        if impl == "sb3":
            run_sb3(int(seed), out)
        else:
            run_spinup(algo, int(seed), out)
        return
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-save", action="store_true", help="print only; do not write benchmarks/results/")
    args = parser.parse_args()

    info = measurement_info()
    rows = []
    for rep in range(args.repeats):
        for config in args.only:
            r = measure(config, seed=rep)
            rows.append(dict(config=config, repeat=rep, **r))
            print(f"{config:6s} repeat {rep}: {r['steps_per_s']:7.0f} steps/s  update "
                  f"{r['update_s_per_epoch']:.3f} s/epoch  acting {r['acting_us_per_step']:.0f} us/step  "
                  f"env {r['env_us_per_step']:.0f} us/step", flush=True)
    med = {c: {k: statistics.median(r[k] for r in rows if r["config"] == c) for k in rows[0] if k not in ("config", "repeat")}
           for c in args.only}
    comp = components()
    ratios = []
    for num, den, label in [("ppo1", "sb3", "PPO / SB3 PPO (1 process each; target >= 1.5)"),
                            ("ppo2", "ppo1", "PPO 2 processes / 1 (target >= 1.6)"),
                            ("vpg2", "vpg1", "VPG 2 processes / 1"), ("trpo2", "trpo1", "TRPO 2 processes / 1")]:
        if num in med and den in med:
            ratios.append((label, med[num]["steps_per_s"] / med[den]["steps_per_s"]))
    for label, r in ratios:
        print(f"{label}: {r:.2f}")
    if args.no_save:
        return

    results = results_root()
    os.makedirs(results, exist_ok=True)
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    with open(os.path.join(results, "onpolicy_throughput.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["date", "config", "repeat", "steps_per_s", "update_s_per_epoch",
                                          "acting_us_per_step", "env_us_per_step"])
        w.writeheader()
        for r in rows:
            w.writerow(dict(date=stamp, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}))
    lines = [
        "# On-policy throughput: VPG, TRPO, PPO (1 and 2 MPI processes) and SB3 PPO, HalfCheetah-v5",
        "",
        f"Written by `python -m {MODULE}` on {stamp}; medians of {args.repeats} alternating "
        "runs, one thread per process. Raw runs: `onpolicy_throughput.csv`.",
        "",
        "| " + " | ".join(f"{k}: {v}" for k, v in info.items()) + " |",
        "",
        "| config | steps/s | update (s per 4000-step epoch) | acting (us/step) | env step (us/step) |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in args.only:
        m = med[c]
        lines.append(f"| {c} | {m['steps_per_s']:.0f} | {m['update_s_per_epoch']:.3f} | "
                     f"{m['acting_us_per_step']:.0f} | {m['env_us_per_step']:.0f} |")
    lines += ["", "| ratio | value |", "|---|---:|"] + [f"| {label} | {r:.2f} |" for label, r in ratios]
    lines += ["", "Components (CPU time of one process, 1 thread, medians):", "", "| component | value |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in comp.items()]
    with open(os.path.join(results, "onpolicy_throughput.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
