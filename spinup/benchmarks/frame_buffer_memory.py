"""Memory and speed of the replay buffer for stacked frames (:class:`spinup.algos.frame_buffer.
FrameReplayBuffer`) at Atari's sizes: 4 stacked 84x84 frames, 100,000 and 1,000,000 transitions,
1 and 8 environment copies.

Usage::

    python -m spinup.benchmarks.frame_buffer_memory                      # all four cases, ~2 min, 8 GB
    python -m spinup.benchmarks.frame_buffer_memory --sizes 100000 --no-save

Each case runs in a fresh subprocess. It builds the buffer and stores ``size // num_envs`` steps of
every copy, as a vector environment with same-step autoreset would hand them over: stacks of the
last 4 frames (reset-padded at episode starts), episodes ending after 200 to 600 steps (by
termination or truncation), frames drawn from a pool of 4096 random 84x84 images. Resident
memory (``VmRSS`` of ``/proc/self/status``) is read before the buffer is built, after and once it
is full: the buffer allocates with ``np.zeros``, whose pages the OS maps only when written, so
only the full buffer's figure counts. Times (one thread, medians): every ``store_batch`` of the
fill (first writes, which fault the buffer's pages in), of 24,000 more transitions once it is full
(the steady state: the ring overwrites its oldest rows), and of ``--samples`` calls of
``sample_batch(32)``, with the minor page faults per sample (fresh memory the allocator had to
map). The machine's load average is recorded beside.

Results go to ``benchmarks/results/frame_buffer_memory.csv`` (one row per case) and ``.md`` (the
summary, with what a buffer of whole stacks would take), in the spinup checkout
(:func:`spinup.benchmarks.summary.results_root`).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import resource
import subprocess
import sys
import time

from spinup.benchmarks.summary import measurement_info, results_root

MODULE = "spinup.benchmarks.frame_buffer_memory"
OBS_SHAPE = (4, 84, 84)
TARGETS = {100_000: 1e9, 1_000_000: 8e9}  # the memory targets, bytes
PACKAGES = ("python", "torch", "numpy")  # named in the summary


def rss_bytes() -> int:
    """Resident memory of this process (VmRSS), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def naive_bytes(size: int, obs_shape=OBS_SHAPE, itemsize: int = 1) -> int:
    """A buffer that keeps ``obs`` and ``next_obs`` as whole stacks (``itemsize`` 1: uint8, 4:
    float32), plus act int64, rew and
    terminated float32."""
    stack = itemsize
    for d in obs_shape:
        stack *= d
    return size * (2 * stack + 8 + 4 + 4)


# ---------------------------------------------------------------------------------------------
# One case (runs in a subprocess).


def run_case(size: int, num_envs: int, samples: int, stores_when_full: int = 24_000, seed: int = 0) -> dict:
    import numpy as np
    import torch

    from spinup.algos.frame_buffer import FrameReplayBuffer

    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    k, frame_shape = OBS_SHAPE[0], OBS_SHAPE[1:]
    pool = rng.integers(0, 256, size=(4096, *frame_shape), dtype=np.uint8)
    loads = [os.getloadavg()[0]]
    rss_before = rss_bytes()
    buf = FrameReplayBuffer(OBS_SHAPE, size, num_envs)
    rss_built = rss_bytes()

    # The copies' episodes: a frame index into the pool per step, lengths 200..600
    def first_stack(f):
        return np.repeat(pool[f][None], k, axis=0)

    frame_at = rng.integers(0, len(pool), size=num_envs)
    obs = np.stack([first_stack(f) for f in frame_at])
    ep_left = rng.integers(200, 601, size=num_envs)
    act = np.zeros(num_envs, dtype=np.int64)
    episodes = 0

    def steps(n: int) -> np.ndarray:
        """Step every copy ``n`` times, storing each step; the seconds of each store_batch."""
        nonlocal obs, episodes
        times = np.empty(n)
        for step in range(n):
            frame_at[:] = (frame_at + 1) % len(pool)
            next_obs = np.concatenate([obs[:, 1:], pool[frame_at][:, None]], axis=1)
            ep_left[:] -= 1
            done = ep_left == 0
            terminated = (done & (frame_at % 2 == 0)).astype(np.float32)  # the others truncated
            act[:] = rng.integers(0, 18, size=num_envs)
            rew = rng.standard_normal(num_envs).astype(np.float32)
            start = time.perf_counter()
            buf.store_batch(obs, act, rew, next_obs, terminated, done)
            times[step] = time.perf_counter() - start
            obs = next_obs
            if done.any():  # same-step autoreset: the next obs is a new episode's first stack
                for i in np.flatnonzero(done):
                    frame_at[i] = rng.integers(len(pool))
                    obs[i] = first_stack(frame_at[i])
                    ep_left[i] = rng.integers(200, 601)
                episodes += int(done.sum())
        return times

    fill_times = steps(size // num_envs)  # first writes: each new page of the buffer is mapped now
    rss_full = rss_bytes()
    loads.append(os.getloadavg()[0])
    full_times = steps(max(1, stores_when_full // num_envs))  # the ring overwriting its oldest rows

    sample_rng = np.random.default_rng(seed + 1)
    for _ in range(50):
        buf.sample_batch(32, sample_rng)
    sample_times = np.empty(samples)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for j in range(samples):
        start = time.perf_counter()
        buf.sample_batch(32, sample_rng)
        sample_times[j] = time.perf_counter() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    loads.append(os.getloadavg()[0])
    return dict(size=size, num_envs=num_envs, sampleable=buf.size, episodes=episodes, nbytes=buf.nbytes,
                rss_before=rss_before, rss_built=rss_built, rss_full=rss_full,
                rss_growth=rss_full - rss_before, within_target=rss_full - rss_before <= TARGETS.get(size, float("inf")),
                store_us_fill=round(float(np.median(fill_times)) * 1e6, 1),
                store_us_full=round(float(np.median(full_times)) * 1e6, 1),
                store_us_full_mean=round(float(np.mean(full_times)) * 1e6, 1),
                store_us_full_per_transition=round(float(np.median(full_times)) * 1e6 / num_envs, 1),
                sample32_us_median=round(float(np.median(sample_times)) * 1e6, 1),
                sample32_us_mean=round(float(np.mean(sample_times)) * 1e6, 1),
                faults_per_sample=round(faults / samples, 2),
                load_start=round(loads[0], 2), load_after_fill=round(loads[1], 2), load_end=round(loads[2], 2))


def measure(size: int, num_envs: int, samples: int) -> dict:
    """:func:`run_case` in a fresh Python, so that its resident memory is the buffer's alone."""
    out = subprocess.run([sys.executable, "-m", MODULE, "--worker", str(size), str(num_envs), str(samples)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# The summary.


def gb(n: float) -> str:
    return f"{n / 1e9:.2f}"


def write(rows: list[dict], info: dict, command: str, folder: str) -> str:
    csv_path = os.path.join(folder, "frame_buffer_memory.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Replay buffer for stacked frames: memory and speed",
        "",
        f"Measured {stamp} with `{command}` at commit {info['commit']}.",
        f"Machine: {info['cpu']}, {info['cores']} cores, shared; load average {info['load']:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end (per case in the table). "
        "Versions: " + ", ".join(f"{name} {info[name]}" for name in PACKAGES if name in info) + ".",
        "",
        "`FrameReplayBuffer` filled with `size // num_envs` steps of every copy: 4 stacked 84x84 uint8 frames, "
        "episodes of 200 to 600 steps. Resident memory grown from before the buffer was built to when it was "
        "full (GB = 10^9 bytes); medians of the time per `store_batch` (all copies at once) over the fill (each "
        "store writes to pages the OS maps then) and over 24,000 more transitions once full (the ring "
        "overwriting its oldest rows: the steady state of training), and per `sample_batch(32)`. Settings: see "
        "the script's docstring.",
        "",
        "| size | copies | sampleable | allocated (GB) | RSS growth (GB) | target (GB) | store, filling (µs) "
        "| store, full (µs) | per transition, full (µs) | sample 32 (µs) | page faults / sample "
        "| load (start, full, end) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        target = TARGETS.get(r["size"])
        lines.append(
            f"| {r['size']:,} | {r['num_envs']} | {r['sampleable']:,} | {gb(r['nbytes'])} | {gb(r['rss_growth'])} "
            f"| {'≤ ' + gb(target) if target else '-'}{' ✓' if r['within_target'] else ' ✗'} "
            f"| {r['store_us_fill']:.1f} | {r['store_us_full']:.1f} | {r['store_us_full_per_transition']:.1f} "
            f"| {r['sample32_us_median']:.1f} "
            f"| {r['faults_per_sample']:.1f} | {r['load_start']:.2f}, {r['load_after_fill']:.2f}, {r['load_end']:.2f} |")
    sizes = sorted({r["size"] for r in rows})
    lines += [
        "",
        "Buffers of whole stacks for comparison (computed, not measured): `obs` and `next_obs` of every "
        "transition kept whole, with act int64, rew and terminated float32.",
        "",
        "| size | whole stacks, uint8 (GB) | whole stacks, float32 (GB) |",
        "|---:|---:|---:|",
    ]
    for size in sizes:
        lines.append(f"| {size:,} | {gb(naive_bytes(size, itemsize=1))} | {gb(naive_bytes(size, itemsize=4))} |")
    lines += ["", "Raw figures: `frame_buffer_memory.csv`.", ""]
    text = "\n".join(lines)
    with open(os.path.join(folder, "frame_buffer_memory.md"), "w") as f:
        f.write(text)
    return text


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="buffer sizes (transitions)")
    p.add_argument("--num-envs", type=int, nargs="+", default=[1, 8], help="environment copies")
    p.add_argument("--samples", type=int, default=3000, help="sample_batch(32) calls timed per case")
    p.add_argument("--no-save", action="store_true", help="print only; do not write benchmarks/results/")
    args = p.parse_args(argv)
    info = measurement_info()
    print(json.dumps(info))
    rows = []
    for size in args.sizes:
        for num_envs in args.num_envs:
            r = measure(size, num_envs, args.samples)
            rows.append(r)
            print(f"size {size:>9,} copies {num_envs}: {gb(r['nbytes'])} GB allocated, RSS +{gb(r['rss_growth'])} GB, "
                  f"store {r['store_us_fill']:.1f} µs filling, {r['store_us_full']:.1f} µs full, sample(32) {r['sample32_us_median']:.1f} µs, "
                  f"load {r['load_end']:.2f}", flush=True)
    if args.no_save:
        return 0
    folder = results_root()
    os.makedirs(folder, exist_ok=True)
    command = f"python -m {MODULE}" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(argv or sys.argv[1:]))
    print(write(rows, info, command, folder))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(run_case(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    else:
        raise SystemExit(main())
