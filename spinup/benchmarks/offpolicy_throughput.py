"""Training throughput of spinup's DDPG, TD3 and SAC (HalfCheetah-v5) and DQN (CartPole-v1) next
to Stable-Baselines3 at matched settings.

Usage::

    python -m spinup.benchmarks.offpolicy_throughput                  # all, 3 repeats, 1 and 2 threads
    python -m spinup.benchmarks.offpolicy_throughput --algos sac --repeats 1 --threads 2

Each measurement runs in a fresh subprocess; spinup and SB3 alternate (spinup, SB3, spinup, ...)
so that slow drifts of the machine hit both alike. The figure is environment steps per second
inside a window that starts after learning has begun (steps 1500 to 4500 for the continuous
algorithms, 2000 to 12000 for DQN), timed at every step of the training environment. Both wall
time and the process's CPU time are recorded: on a shared machine the CPU-time rate is the
steadier one, since it does not count time the process spent waiting for a core.

Matched settings (Spinning Up's defaults): networks (256, 256) ReLU, batch 100, learning rates
1e-3, gamma 0.99, polyak 0.995 (SB3 tau 0.005), update_every 50 with 50 gradient steps (SB3
train_freq 50, gradient_steps 50), learning from step 1000 with uniform random actions before it
(spinup start_steps = update_after = 1000; SB3 learning_starts 1000), SAC's alpha fixed at 0.2,
TD3's policy_delay 2, target_noise 0.2, noise_clip 0.5, and Gaussian action noise 0.1 for TD3 and
DDPG. Spinup's epoch is made longer than the window (steps_per_epoch 6000), so its end-of-epoch
test episodes, which SB3 does not run, fall outside it. DQN: spinup's defaults, mirrored in SB3.

Results go to ``benchmarks/results/offpolicy_throughput.csv`` (one row per run) and ``.md`` (the
summary), in the spinup checkout (:func:`spinup.benchmarks.summary.results_root`).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import inspect
import json
import os
import statistics
import subprocess
import sys
import time

from spinup.benchmarks.summary import measurement_info, results_root

MODULE = "spinup.benchmarks.offpolicy_throughput"  # each measurement runs python -m MODULE --worker ...

CONTINUOUS = dict(env="HalfCheetah-v5", window=(1500, 4500), learning_starts=1000)
DISCRETE = dict(env="CartPole-v1", window=(2000, 12000))
PACKAGES = ("python", "torch", "gymnasium", "mujoco", "numpy", "stable-baselines3")  # named in the summary


class StopRun(Exception):
    """Raised from inside the training environment once the window has been measured."""


def make_timed_env(env_id, times, stop_at):
    """The environment, wrapped to record (wall, cpu) time at every step and stop at ``stop_at``."""
    import gymnasium as gym

    class Timed(gym.Wrapper):
        def step(self, action):
            out = self.env.step(action)
            times.append((time.perf_counter(), time.process_time()))
            if len(times) >= stop_at:
                raise StopRun
            return out

    return Timed(gym.make(env_id))


def rates(times, window):
    """Steps per second (wall, CPU) between steps window[0] and window[1]."""
    a, b = window
    (w0, c0), (w1, c1) = times[a - 1], times[b - 1]
    return (b - a) / (w1 - w0), (b - a) / (c1 - c0)


# ---------------------------------------------------------------------------------------------
# One measurement (runs in a subprocess).


def run_spinup(algo, seed):
    import gymnasium as gym

    from spinup.algos import get_algo

    fn = get_algo(algo)
    cfg = CONTINUOUS if algo != "dqn" else DISCRETE
    times = []
    envs_made = []

    def env_fn():
        # The first environment is the training one; the second is for test episodes.
        envs_made.append(1)
        if len(envs_made) == 1:
            return make_timed_env(cfg["env"], times, cfg["window"][1])
        return gym.make(cfg["env"])

    if algo == "dqn":
        kwargs = dict(steps_per_epoch=cfg["window"][1] + 1000, epochs=1)
    else:
        kwargs = dict(steps_per_epoch=6000, epochs=1, start_steps=cfg["learning_starts"],
                      update_after=cfg["learning_starts"])
    out = os.path.join("/tmp", f"spinup_bench_{os.getpid()}")
    try:
        fn(env_fn, seed=seed, logger_kwargs=dict(output_dir=out), **kwargs)
    except StopRun:
        pass
    return rates(times, cfg["window"])


def dqn_defaults():
    from spinup.algos.dqn.dqn import dqn

    return {k: v.default for k, v in inspect.signature(dqn).parameters.items()
            if v.default is not inspect.Parameter.empty}


def run_sb3(algo, seed):
    import numpy as np
    import torch
    from stable_baselines3 import DDPG, DQN, SAC, TD3
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.noise import NormalActionNoise

    cfg = CONTINUOUS if algo != "dqn" else DISCRETE
    times = []

    class Clock(BaseCallback):
        def _on_step(self):
            times.append((time.perf_counter(), time.process_time()))
            return len(times) < cfg["window"][1]

    import gymnasium as gym

    env = gym.make(cfg["env"])
    if algo == "dqn":
        d = dqn_defaults()
        hidden = list(d["ac_kwargs"].get("hidden_sizes", (256, 256))) if d["ac_kwargs"] else [256, 256]
        total = cfg["window"][1] + 1000
        model = DQN("MlpPolicy", env, learning_rate=d["lr"], buffer_size=int(d["replay_size"]),
                    learning_starts=d["update_after"], batch_size=d["batch_size"], gamma=d["gamma"],
                    train_freq=d["update_every"], gradient_steps=d["update_every"],
                    target_update_interval=d["target_update_every"],
                    exploration_initial_eps=d["eps_start"], exploration_final_eps=d["eps_end"],
                    exploration_fraction=d["eps_decay_steps"] / total,
                    policy_kwargs=dict(net_arch=hidden), seed=seed, device="cpu")
        model.learn(total_timesteps=total, callback=Clock())
        return rates(times, cfg["window"])
    common = dict(learning_rate=1e-3, buffer_size=int(1e6), learning_starts=cfg["learning_starts"],
                  batch_size=100, tau=0.005, gamma=0.99, train_freq=50, gradient_steps=50,
                  policy_kwargs=dict(net_arch=[256, 256], activation_fn=torch.nn.ReLU), seed=seed,
                  device="cpu")
    act_dim = env.action_space.shape[0]
    noise = NormalActionNoise(np.zeros(act_dim), 0.1 * np.ones(act_dim))
    if algo == "sac":
        model = SAC("MlpPolicy", env, ent_coef=0.2, target_update_interval=1, **common)
    elif algo == "td3":
        model = TD3("MlpPolicy", env, policy_delay=2, target_policy_noise=0.2, target_noise_clip=0.5,
                    action_noise=noise, **common)
    else:
        model = DDPG("MlpPolicy", env, action_noise=noise, **common)
    model.learn(total_timesteps=cfg["window"][1] + 10, callback=Clock())
    return rates(times, cfg["window"])


def worker(impl, algo, seed, threads):
    import torch

    torch.set_num_threads(threads)
    wall, cpu = (run_spinup if impl == "spinup" else run_sb3)(algo, seed)
    print(json.dumps(dict(wall=wall, cpu=cpu)))


# ---------------------------------------------------------------------------------------------
# The driver.


def measure(impl, algo, seed, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", MODULE, "--worker", impl, algo, str(seed), str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{impl} {algo} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--algos", nargs="+", default=["ddpg", "td3", "sac", "dqn"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2],
                        help="torch thread counts to measure (each is a separate set of runs)")
    parser.add_argument("--no-write", action="store_true", help="print only, do not write benchmarks/results/")
    args = parser.parse_args()

    algos = list(args.algos)
    if "dqn" in algos:
        import importlib.util

        if importlib.util.find_spec("spinup.algos.dqn.dqn") is None:
            print("spinup.algos.dqn is not available; skipping DQN.")
            algos.remove("dqn")
    info = measurement_info()
    print(json.dumps(info))
    rows = []
    for threads in args.threads:
        for algo in algos:
            for rep in range(args.repeats):
                for impl in ("spinup", "sb3"):
                    r = measure(impl, algo, seed=rep, threads=threads)
                    rows.append(dict(algo=algo, impl=impl, repeat=rep, threads=threads,
                                     wall_steps_per_s=round(r["wall"], 1), cpu_steps_per_s=round(r["cpu"], 1)))
                    print(f"{threads}t {algo:5s} {impl:6s} repeat {rep}: {r['wall']:8.1f} steps/s wall, "
                          f"{r['cpu']:8.1f} steps/s of CPU time", flush=True)

    summary = []
    for threads in args.threads:
        for algo in algos:
            med = {}
            for impl in ("spinup", "sb3"):
                sel = [r for r in rows if r["algo"] == algo and r["impl"] == impl and r["threads"] == threads]
                med[impl] = (statistics.median(r["wall_steps_per_s"] for r in sel),
                             statistics.median(r["cpu_steps_per_s"] for r in sel))
            summary.append((threads, algo, med["spinup"], med["sb3"],
                            med["spinup"][0] / med["sb3"][0], med["spinup"][1] / med["sb3"][1]))
    print(f"\nmedians of {args.repeats}")
    print("threads algo    spinup wall   SB3 wall  ratio   | spinup CPU    SB3 CPU  ratio")
    for threads, algo, sp, sb, rw, rc in summary:
        print(f"{threads:7d} {algo:5s} {sp[0]:11.1f} {sb[0]:10.1f} {rw:6.2f}x  | {sp[1]:10.1f} {sb[1]:10.1f} {rc:6.2f}x")

    if args.no_write:
        return
    results = results_root()
    os.makedirs(results, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    csv_path = os.path.join(results, "offpolicy_throughput.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        "# Off-policy training throughput: spinup vs Stable-Baselines3",
        "",
        f"Measured {stamp} with `python -m {MODULE} --threads "
        f"{' '.join(map(str, args.threads))} "
        f"--repeats {args.repeats}` at commit {info['commit']}.",
        f"Machine: {info['cpu']}, {info['cores']} cores; load average {info['load']:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end. "
        "Versions: " + ", ".join(f"{name} {info[name]}" for name in PACKAGES if name in info) + ".",
        "",
        f"Environment steps per second of training, medians of {args.repeats} runs (spinup and SB3 "
        "alternating), in a window after learning started. CPU-time rates count only the time the "
        "process was running, so they are the fairer comparison on a shared machine.",
        "",
        "| threads | algo | env | spinup wall | SB3 wall | ratio (wall) | spinup CPU | SB3 CPU | ratio (CPU) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for threads, algo, sp, sb, rw, rc in summary:
        env = DISCRETE["env"] if algo == "dqn" else CONTINUOUS["env"]
        lines.append(f"| {threads} | {algo} | {env} | {sp[0]:.1f} | {sb[0]:.1f} | {rw:.2f}× | {sp[1]:.1f} | "
                     f"{sb[1]:.1f} | {rc:.2f}× |")
    lines += ["", "Raw runs: `offpolicy_throughput.csv`. Settings: see the script's docstring.", ""]
    with open(os.path.join(results, "offpolicy_throughput.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {csv_path} and offpolicy_throughput.md")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
