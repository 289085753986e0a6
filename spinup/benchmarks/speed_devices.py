"""What each device of the speed seam (``spinup/utils/speed.py``) saves, against the plain code
it stands for, at the sizes the algorithms use.

    python -m spinup.benchmarks.speed_devices            # writes benchmarks/results/speed_devices.md
    python -m spinup.benchmarks.speed_devices --no-save  # prints only

Every pair runs in the same process, one thread, alternating, and the figure is the best of
several repeats of many calls (the least disturbed by the rest of the machine), so the ratio is
the number to read. The load average is recorded beside the table.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from copy import deepcopy

from spinup.benchmarks.summary import measurement_info, results_root


def best_time(fn, calls: int, repeats: int = 7) -> float:
    """The least time per call of ``fn`` over ``repeats`` runs of ``calls`` calls, in µs."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def measure() -> list[tuple[str, str, float, float]]:
    """``(device, what it is measured on, plain µs, device µs)`` for each device."""
    import gymnasium as gym
    import numpy as np
    import torch
    import torch.nn as nn

    from spinup.algos.networks import mlp
    from spinup.algos.onpolicy import MLPActorCritic
    from spinup.algos.td3.core import MLPActorCritic as TD3ActorCritic
    from spinup.utils import speed

    torch.set_num_threads(1)
    torch.manual_seed(0)
    rows = []

    # Tanh on a full on-policy batch, forward and backward
    x = torch.randn(4000, 64, requires_grad=True)
    g = torch.randn(4000, 64)
    fast_tanh = speed.Tanh()
    rows.append(("Tanh", "forward + backward, 4000 x 64",
                 best_time(lambda: torch.autograd.grad(torch.tanh(x), x, g), 50),
                 best_time(lambda: torch.autograd.grad(fast_tanh(x), x, g), 50)))

    # lerp_ over TD3's actor-critic (HalfCheetah sizes), the polyak update
    space = gym.make("HalfCheetah-v5")
    ac = TD3ActorCritic(space.observation_space, space.action_space)
    targ = deepcopy(ac)
    src, dst = list(ac.parameters()), list(targ.parameters())

    def loop():
        with torch.no_grad():
            for t, s in zip(dst, src):
                t.lerp_(s, 0.005)

    rows.append(("lerp_", "polyak update of TD3's networks, (256, 256)", best_time(loop, 2000),
                 best_time(lambda: speed.lerp_(dst, src, 0.005), 2000)))

    rows.append(("parameters_of", "TD3's actor-critic", best_time(lambda: list(ac.parameters()), 5000),
                 best_time(lambda: speed.parameters_of(ac), 5000)))

    # Adam's step on TD3's twin critics (gradients already there)
    for p in ac.q.parameters():
        p.grad = torch.randn_like(p)
    public = torch.optim.Adam(ac.q.parameters(), lr=1e-3, fused=True)
    lean = speed.FusedAdam(targ.q.parameters(), lr=1e-3)
    for p in targ.q.parameters():
        p.grad = torch.randn_like(p)
    rows.append(("FusedAdam", "Adam step of TD3's twin critics, (256, 256)", best_time(public.step, 2000),
                 best_time(lean.step, 2000)))

    # The twin critics: one ensemble against two MLPs, forward and backward, batch 100
    obs_act = torch.randn(100, 17 + 6)
    q1, q2 = mlp([23, 256, 256, 1], nn.ReLU), mlp([23, 256, 256, 1], nn.ReLU)
    ens = speed.EnsembleMLP(2, [23, 256, 256, 1], nn.ReLU)
    y = torch.randn(100, 1)

    def two():
        loss = ((q1(obs_act) - y) ** 2).mean() + ((q2(obs_act) - y) ** 2).mean()
        loss.backward()

    def fused():
        out = ens(obs_act)
        loss = ((out[0] - y) ** 2).mean() + ((out[1] - y) ** 2).mean()
        loss.backward()

    rows.append(("EnsembleMLP", "Q1 and Q2 forward + backward, (256, 256), batch 100",
                 best_time(two, 300), best_time(fused, 300)))

    # Acting on one observation: PPO's pi and v (64, 64), and DDPG/TD3's mu (256, 256)
    onp = MLPActorCritic(space.observation_space, space.action_space)
    obs = torch.as_tensor(space.observation_space.sample(), dtype=torch.float32)

    def torch_step():
        with torch.inference_mode():
            a, logp = onp.pi.sample(obs)
            return a.numpy(), onp.v(obs).numpy(), logp.numpy()

    rows.append(("NumpyMLP + sample_gaussian", "PPO acting on one observation: pi and v, (64, 64)",
                 best_time(torch_step, 3000), best_time(lambda: onp.step(obs), 3000)))

    def torch_mu():
        with torch.inference_mode():
            return ac.pi(obs.unsqueeze(0))[0].numpy()

    rows.append(("NumpyMLP", "TD3 acting on one observation: mu, (256, 256)",
                 best_time(torch_mu, 3000), best_time(lambda: ac.act(obs), 3000)))
    np.random.seed(0)
    return rows


def write(rows, path: str) -> str:
    info = measurement_info()
    lines = [
        "# What the speed devices save",
        "",
        f"Written by `python -m spinup.benchmarks.speed_devices` on "
        f"{datetime.datetime.now().isoformat(timespec='seconds')}; one thread, best of 7 repeats, each pair in "
        "one process. The plain code is what each device stands for (`spinup/utils/speed.py`).",
        "",
        "| " + " | ".join(f"{k}: {v}" for k, v in info.items()) + " |",
        "",
        "| device | measured on | plain (µs) | device (µs) | saved |",
        "|---|---|---:|---:|---:|",
    ]
    for name, what, plain, fast in rows:
        lines.append(f"| `{name}` | {what} | {plain:.1f} | {fast:.1f} | {100 * (1 - fast / plain):.0f}% |")
    text = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(text)
    return text


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m spinup.benchmarks.speed_devices", description=__doc__.split("\n\n")[0])
    p.add_argument("--no-save", action="store_true", help="print only; do not write benchmarks/results/")
    args = p.parse_args(argv)
    rows = measure()
    if args.no_save:
        for row in rows:
            print(f"{row[0]:28s} {row[1]:55s} plain {row[2]:9.1f} µs   device {row[3]:9.1f} µs")
    else:
        print(write(rows, os.path.join(results_root(), "speed_devices.md")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
