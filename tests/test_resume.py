"""Exact resume: a run stopped after epoch 2 (cleanly, or by SIGKILL in the middle of the third
epoch, at an exact step set by SPINUP_KILL_AT_STEP) and resumed to epoch 4 writes the same progress.txt rows, apart from Time, as an
uninterrupted 4-epoch run with the same seed. For PPO, and for SAC (with save_buffer=True)."""

import csv
import os
import subprocess
import sys

import pytest

from spinup.utils.envs import EnvFactory

EPOCHS = 4

PPO_TINY = dict(ac_kwargs=dict(hidden_sizes=(16, 16)), seed=3, train_pi_iters=5, train_v_iters=5, max_ep_len=200)
SAC_TINY = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), seed=3, start_steps=100, update_after=100,
                update_every=50, batch_size=32, num_test_episodes=1, max_ep_len=150, save_buffer=True)


def rows_without_time(run_dir):
    """progress.txt as a list of dicts (exact text), without the wall-clock column."""
    with open(os.path.join(run_dir, "progress.txt"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        row.pop("Time", None)
    return rows


def assert_same_rows(resumed_dir, reference_dir):
    resumed, reference = rows_without_time(resumed_dir), rows_without_time(reference_dir)
    assert len(reference) == EPOCHS
    assert len(resumed) == EPOCHS, f"resumed run has {len(resumed)} rows"
    for epoch, (a, b) in enumerate(zip(resumed, reference, strict=True)):
        diff = {k: (a[k], b[k]) for k in b if a.get(k) != b[k]}
        assert not diff, f"epoch {epoch} differs (resumed, uninterrupted): {diff}"


def algorithm(name):
    from spinup.algos import get_algo

    return get_algo(name)


def run(name, env_name, out, epochs, resume=None, **kwargs):
    algorithm(name)(EnvFactory(env_name), epochs=epochs, resume=resume,
                    logger_kwargs=dict(output_dir=str(out), progress=False), **kwargs)


def kill_mid_run(cmd, run_dir, cwd, kill_at_step, rows_before_kill=2, timeout=300):
    """Run ``cmd`` with ``SPINUP_KILL_AT_STEP`` set, so that the trainer SIGKILLs itself when it
    asks for its ``kill_at_step``-th environment step (a deterministic point in the middle of an
    epoch, whatever the machine's speed), and check that it died there."""
    env = dict(os.environ, SPINUP_PROGRESS="0", SPINUP_KILL_AT_STEP=str(kill_at_step))
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode != 0, "the run finished instead of being killed: " + done.stdout[-2000:]
    assert len(rows_without_time(run_dir)) == rows_before_kill


def cli_flags(kwargs):
    """Command-line flags for the algorithm arguments in ``kwargs``."""
    flags = []
    for key, val in kwargs.items():
        if key == "ac_kwargs":
            flags += ["--hid", "[" + ",".join(map(str, val["hidden_sizes"])) + "]"]
        else:
            flags += [f"--{key}", str(val)]
    return flags


# ---------------------------------------------------------------------------------------------
# PPO


@pytest.fixture(scope="module")
def ppo_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ppo_ref") / "run"
    run("ppo", "CartPole-v1", out, EPOCHS, steps_per_epoch=400, **PPO_TINY)
    return out


@pytest.mark.slow
def test_ppo_stopped_and_resumed_matches(ppo_reference, tmp_path):
    out = tmp_path / "run"
    run("ppo", "CartPole-v1", out, 2, steps_per_epoch=400, **PPO_TINY)
    assert len(rows_without_time(out)) == 2
    run("ppo", "CartPole-v1", out, EPOCHS, resume=str(out), steps_per_epoch=400, **PPO_TINY)
    assert_same_rows(out, ppo_reference)


@pytest.mark.slow
def test_ppo_killed_mid_epoch_and_resumed_matches(tmp_path):
    kwargs = dict(PPO_TINY, steps_per_epoch=1000)
    reference = tmp_path / "reference"
    run("ppo", "CartPole-v1", reference, EPOCHS, **kwargs)
    flags = ["--env", "CartPole-v1", "--epochs", str(EPOCHS), *cli_flags(kwargs),
             "--exp_name", "killed", "--data_dir", str(tmp_path / "data")]
    run_dir = tmp_path / "data" / "killed" / "killed_s3"
    # Epochs of 1000 steps: step 2500 is in the middle of the third epoch.
    kill_mid_run([sys.executable, "-m", "spinup.run", "ppo", *flags], str(run_dir), str(tmp_path), 2500)
    resumed = subprocess.run([sys.executable, "-m", "spinup.run", "ppo", *flags, "--resume", str(run_dir)],
                             cwd=str(tmp_path), env=dict(os.environ),  # the threads of the in-process reference
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_rows(run_dir, reference)


# ---------------------------------------------------------------------------------------------
# SAC (its resume keeps the episode in progress and, with save_buffer=True, the replay buffer)


@pytest.mark.slow
def test_sac_stopped_and_resumed_matches(tmp_path):
    reference = tmp_path / "reference"
    run("sac", "Pendulum-v1", reference, EPOCHS, steps_per_epoch=200, **SAC_TINY)
    out = tmp_path / "run"
    run("sac", "Pendulum-v1", out, 2, steps_per_epoch=200, **SAC_TINY)
    run("sac", "Pendulum-v1", out, EPOCHS, resume=str(out), steps_per_epoch=200, **SAC_TINY)
    assert_same_rows(out, reference)


@pytest.mark.slow
def test_sac_killed_mid_epoch_and_resumed_matches(tmp_path):
    kwargs = dict(SAC_TINY, steps_per_epoch=300)
    reference = tmp_path / "reference"
    run("sac", "Pendulum-v1", reference, EPOCHS, **kwargs)
    flags = ["--env", "Pendulum-v1", "--epochs", str(EPOCHS), *cli_flags(kwargs),
             "--exp_name", "killed", "--data_dir", str(tmp_path / "data")]
    run_dir = tmp_path / "data" / "killed" / "killed_s3"
    # An epoch is 300 training steps and one test episode of 150: step 1000 is 100 steps into the third.
    kill_mid_run([sys.executable, "-m", "spinup.run", "sac", *flags], str(run_dir), str(tmp_path), 1000)
    resumed = subprocess.run([sys.executable, "-m", "spinup.run", "sac", *flags, "--resume", str(run_dir)],
                             cwd=str(tmp_path), env=dict(os.environ),  # the threads of the in-process reference
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_rows(run_dir, reference)
