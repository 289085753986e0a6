"""Nothing lost, nothing escapes: what a careless user does to a run folder never costs a result.

Each test checks the message, the exit status, and that what was already written (progress.txt,
config.json, resume.pt) is byte for byte what it was. Budgets are tiny (a few seconds a test).
"""

import errno
import os
import signal
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest
import run_helpers
import torch

from spinup.utils import checkpoint
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.grid import ExperimentGrid
from spinup.utils.launch import prepare_experiment
from spinup.utils.logx import EpochLogger
from spinup.utils.run_entrypoint import encode_thunk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ("progress.txt", "config.json", "resume.pt")
TINY_PPO = dict(ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=200, train_pi_iters=2, train_v_iters=2)
TINY_FLAGS = ["--hid", "[8]", "--steps_per_epoch", "200", "--train_v_iters", "2"]


def snapshot(run_dir):
    """The bytes and modification times of a run's files."""
    out = {}
    for name in FILES:
        path = os.path.join(run_dir, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                out[name] = (f.read(), os.stat(path).st_mtime_ns)
    return out


def rows(run_dir):
    with open(os.path.join(run_dir, "progress.txt")) as f:
        return f.read().splitlines()[1:]


def run_ppo(out, epochs=2, **kwargs):
    from spinup.algos.ppo.ppo import ppo

    args = dict(TINY_PPO, epochs=epochs)
    args.update(kwargs)
    ppo(EnvFactory(args.pop("env", "CartPole-v1")), logger_kwargs=dict(output_dir=str(out), progress=False), **args)


def cli(args, cwd, timeout=120, **popen):
    env = dict(os.environ, OMP_NUM_THREADS="1", SPINUP_PROGRESS="0", SPINUP_WAIT_BEFORE_LAUNCH="0",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, **popen)


def error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 2-epoch PPO run on CartPole, made through the command line."""
    cwd = tmp_path_factory.mktemp("finished")
    result = cli(["ppo", "--env", "CartPole-v1", "--epochs", "2", "--exp_name", "done", *TINY_FLAGS,
                  "--data_dir", str(cwd / "data")], cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd, str(cwd / "data" / "done" / "done_s0")


# ---------------------------------------------------------------------------------------------
# A folder that holds a run is never written by a new run.


def test_same_command_again_is_refused_and_changes_nothing(finished_run):
    cwd, run_dir = finished_run
    before = snapshot(run_dir)
    result = cli(["ppo", "--env", "CartPole-v1", "--epochs", "2", "--exp_name", "done", *TINY_FLAGS,
                  "--data_dir", str(cwd / "data")], cwd)
    assert result.returncode == 2
    (line,) = error_lines(result.stderr)
    assert f"{run_dir} already holds a run (progress.txt, resume.pt)" in line
    assert "--resume" in line and "--exp_name" in line and "delete the folder" in line
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(run_dir) == before


def test_python_api_refuses_a_folder_holding_a_run(tmp_path):
    out = tmp_path / "run"
    run_ppo(out, epochs=1)
    before = snapshot(out)
    with pytest.raises(UserError, match="already holds a run"):
        run_ppo(out, epochs=1)
    with pytest.raises(UserError, match="already holds a run"):  # the Logger alone, at its first write
        logger = EpochLogger(output_dir=str(out), progress=False)
        logger.log_tabular("Epoch", 0)
        logger.dump_tabular()
    assert snapshot(out) == before


def test_config_json_alone_is_not_a_run(tmp_path):
    """A run that stopped before its first epoch ended left no result: starting again is fine."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{}")
    run_ppo(out, epochs=1)
    assert len(rows(out)) == 1


def test_grid_refuses_before_the_first_experiment_launches(tmp_path):
    from spinup.algos.ppo.ppo import ppo

    run_ppo(tmp_path / "g" / "g_s1", epochs=1)
    before = snapshot(tmp_path / "g" / "g_s1")
    eg = ExperimentGrid(name="g")
    eg.add("env_name", "CartPole-v1")
    eg.add("seed", [0, 1])
    eg.add("epochs", 1)
    with pytest.raises(UserError, match="g_s1 already holds a run"):
        eg.run(ppo, data_dir=str(tmp_path))
    assert not (tmp_path / "g" / "g_s0").exists()  # seed 0 never started
    assert snapshot(tmp_path / "g" / "g_s1") == before


# ---------------------------------------------------------------------------------------------
# A second writer is refused while the first holds the folder.

HOLD_LOGGER = """
import sys
from spinup.utils.logx import EpochLogger
logger = EpochLogger(output_dir=sys.argv[1], progress=False)
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(tmp_path):
    out = tmp_path / "busy"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOGGER, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        while holder.stdout.readline().strip() != "holding":
            assert holder.poll() is None
        with pytest.raises(UserError, match=rf"Another process \(pid {holder.pid}\) is writing to {out}"):
            EpochLogger(output_dir=str(out), progress=False)
        # Resuming a running run is refused before launch too.
        (out / "resume.pt").write_bytes(b"")
        from spinup.algos.ppo.ppo import ppo

        with pytest.raises(UserError, match=rf"pid {holder.pid}"):
            prepare_experiment("busy", ppo, resume=str(out), env_name="CartPole-v1")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    EpochLogger(output_dir=str(out), progress=False)  # free again once the holder has ended


def test_two_runs_started_into_one_folder_at_once_leave_one_result(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", SPINUP_PROGRESS="0", SPINUP_WAIT_BEFORE_LAUNCH="0")
    args = [sys.executable, "-m", "spinup.run", "ppo", "--env", "CartPole-v1", "--epochs", "3", "--exp_name",
            "twice", *TINY_FLAGS, "--data_dir", str(tmp_path / "data")]
    procs = [subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], [o[1][-2000:] for o in outs]
    loser = outs[[p.returncode for p in procs].index(2)][1]
    assert "is writing to" in loser or "already holds a run" in loser, loser[-2000:]
    run_dir = tmp_path / "data" / "twice" / "twice_s0"
    assert [r.split("\t")[0] for r in rows(run_dir)] == ["0", "1", "2"]


# ---------------------------------------------------------------------------------------------
# Resume checks algorithm, environment, network shape and log length before it writes anything.


def test_vpg_resume_of_a_ppo_run_leaves_it_byte_identical(finished_run):
    cwd, run_dir = finished_run
    before = snapshot(run_dir)
    result = cli(["vpg", "--env", "CartPole-v1", "--epochs", "3", "--hid", "[8]", "--resume", run_dir], cwd)
    assert result.returncode == 2
    (line,) = error_lines(result.stderr)
    assert f"Cannot resume {run_dir} with vpg: it holds a ppo run" in line
    assert snapshot(run_dir) == before


@pytest.mark.parametrize("change, message", [
    (dict(ac_kwargs=dict(hidden_sizes=(16,))), r"network has another shape .*\(8, 4\) in the checkpoint, \(16, 4\) now"),
    (dict(env="Acrobot-v1"), "on Acrobot-v1: the run was trained on CartPole-v1"),
])
def test_resume_with_another_network_or_environment_changes_nothing(tmp_path, change, message):
    out = tmp_path / "run"
    run_ppo(out, epochs=1)
    before = snapshot(out)
    with pytest.raises(UserError, match=message):
        run_ppo(out, epochs=2, resume=str(out), **change)
    assert snapshot(out) == before


def test_resume_with_a_short_progress_txt_is_refused_not_gapped(tmp_path):
    out = tmp_path / "run"
    run_ppo(out, epochs=2)
    lines = (out / "progress.txt").read_text().splitlines()
    (out / "progress.txt").write_text("\n".join(lines[:2]) + "\n")  # header and epoch 0 only
    before = snapshot(out)
    with pytest.raises(UserError, match="holds 1 epoch row.* after epoch 2.* gap in Epoch"):
        run_ppo(out, epochs=3, resume=str(out))
    assert snapshot(out) == before


def test_a_matching_resume_still_continues(tmp_path):
    out = tmp_path / "run"
    run_ppo(out, epochs=1)
    run_ppo(out, epochs=2, resume=str(out))
    assert [r.split("\t")[0] for r in rows(out)] == ["0", "1"]
    assert checkpoint.load_resume_checkpoint(str(out))["algo"] == "ppo"


# ---------------------------------------------------------------------------------------------
# Ctrl-C, a full disk, a killed launcher.


def wait_for_rows(run_dir, n, proc, timeout=120):
    path = os.path.join(run_dir, "progress.txt")
    deadline = time.time() + timeout
    while not (os.path.exists(path) and len(rows(run_dir)) >= n):
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.time() < deadline, "the run wrote no rows in time"
        time.sleep(0.05)


def test_ctrl_c_says_interrupted_and_how_to_resume(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", SPINUP_PROGRESS="0", SPINUP_WAIT_BEFORE_LAUNCH="0")
    args = [sys.executable, "-m", "spinup.run", "ppo", "--env", "CartPole-v1", "--epochs", "1000",
            "--exp_name", "ctrlc", *TINY_FLAGS, "--data_dir", str(tmp_path / "data")]
    run_dir = str(tmp_path / "data" / "ctrlc" / "ctrlc_s0")
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=run_helpers.as_in_a_terminal)
    try:
        wait_for_rows(run_dir, 2, proc)
        kept = rows(run_dir)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err + out, err[-3000:]
    assert "Interrupted." in err
    assert f"python -m spinup.run ppo --resume {run_dir}" in err  # from the trainer
    launcher_line = [line for line in err.splitlines() if "--env CartPole-v1" in line and "--resume" in line]
    assert launcher_line and launcher_line[-1].strip().endswith(f"--resume {run_dir}"), err[-3000:]
    assert rows(run_dir)[: len(kept)] == kept  # finished epochs stay


def test_a_full_disk_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "run"
    run_ppo(out, epochs=1)
    before = snapshot(out)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(UserError, match=rf"^The disk is full: could not write {out}/resume\.pt\. Free some "
                                        rf"space and resume it with --resume {out} "):
        run_ppo(out, epochs=3, resume=str(out))
    after = snapshot(out)
    assert after["resume.pt"] == before["resume.pt"]  # the last good checkpoint, after epoch 0
    assert rows(out)[:1] == before["progress.txt"][0].decode().splitlines()[1:]  # epoch 1's row was written
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]  # no temporary file left behind
    monkeypatch.undo()
    run_ppo(out, epochs=2, resume=str(out))  # space again: the run goes on from its checkpoint
    assert [r.split("\t")[0] for r in rows(out)] == ["0", "1"]


def fill_the_disk(**kwargs):
    raise OSError(errno.ENOSPC, "No space left on device", "/somewhere/progress.txt")


def test_the_experiment_process_reports_a_full_disk_in_one_line(capsys):
    from spinup.utils.run_entrypoint import main

    assert main([encode_thunk((fill_the_disk, {}, 1))]) == 2
    err = capsys.readouterr().err
    assert "Error: The disk is full: could not write /somewhere/progress.txt. Free some space" in err


LAUNCHER = """
import sys
from spinup.algos.ppo.ppo import ppo
from spinup.utils.launch import call_experiment
call_experiment("orphan", ppo, env_name="CartPole-v1", epochs=100000, data_dir=sys.argv[1],
                steps_per_epoch=200, ac_kwargs=dict(hidden_sizes=(8,)), train_pi_iters=2, train_v_iters=2)
"""


def test_killing_the_launcher_stops_its_trainer(tmp_path):
    import psutil

    env = dict(os.environ, OMP_NUM_THREADS="1", SPINUP_PROGRESS="0", SPINUP_WAIT_BEFORE_LAUNCH="0")
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(tmp_path / "data")], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    run_dir = str(tmp_path / "data" / "orphan" / "orphan_s0")
    try:
        wait_for_rows(run_dir, 1, launcher)
        trainer = psutil.Process(int(open(os.path.join(run_dir, ".lock")).read()))  # the lock names its holder
        assert trainer.ppid() == launcher.pid
        launcher.kill()
        launcher.wait()
        deadline = time.time() + 20
        while trainer.is_running() and trainer.status() != psutil.STATUS_ZOMBIE:
            assert time.time() < deadline, "the trainer went on after its launcher was killed"
            time.sleep(0.05)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    n = len(rows(run_dir))
    time.sleep(0.5)
    assert len(rows(run_dir)) == n  # nothing writes on


# ---------------------------------------------------------------------------------------------
# NaN stops the run at the end of the epoch, naming the epoch and the columns.


class NanAfter(gym.Env):
    """Episodes of 20 steps whose rewards turn NaN after ``nan_after`` steps of this instance."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self, nan_after):
        self.nan_after, self.steps, self.t = nan_after, 0, 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.np_random.uniform(-1, 1, 3).astype(np.float32), {}

    def step(self, action):
        self.steps += 1
        self.t += 1
        rew = float("nan") if self.steps > self.nan_after else float(-abs(action[0]))
        obs = self.np_random.uniform(-1, 1, 3).astype(np.float32)
        return obs, rew, False, self.t >= 20, {}


def test_nan_rewards_stop_an_on_policy_run(tmp_path):
    from spinup.algos.vpg.vpg import vpg

    out = tmp_path / "run"
    with pytest.raises(UserError, match=r"^Epoch 2: AverageEpRet, StdEpRet, MaxEpRet, MinEpRet, .*LossPi.* NaN or "
                                        r"infinite.*Lower the learning rate"):
        vpg(lambda: NanAfter(250), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=100, epochs=10,
            train_v_iters=2, logger_kwargs=dict(output_dir=str(out), progress=False))
    assert [r.split("\t")[0] for r in rows(out)] == ["0", "1", "2"]  # the NaN row is kept, to be seen
    assert checkpoint.load_resume_checkpoint(str(out))["epoch"] == 2  # the last good checkpoint


def test_nan_rewards_stop_an_off_policy_run(tmp_path):
    from spinup.algos.sac.sac import sac

    out = tmp_path / "run"
    with pytest.raises(UserError, match=r"^Epoch 2: .*AverageQ1Vals.*LossQ are NaN or infinite"):
        sac(lambda: NanAfter(250), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=200, epochs=5,
            start_steps=100, update_after=100, update_every=50, batch_size=32, num_test_episodes=1,
            logger_kwargs=dict(output_dir=str(out), progress=False))
    assert [r.split("\t")[0] for r in rows(out)] == ["1", "2"]  # off-policy epochs count from 1
    assert checkpoint.load_resume_checkpoint(str(out))["epoch"] == 1


def test_an_empty_column_is_not_nan_input(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path / "run"), progress=False)
    logger.store(LossQ=1.0)
    logger.log_tabular("Epoch", 0)
    logger.log_tabular("EpRet", with_min_and_max=True)  # no episode finished: NaN, but no bad input
    logger.log_tabular("LossQ", average_only=True)
    logger.dump_tabular()
    logger.store(LossQ=float("inf"))
    logger.log_tabular("Epoch", 1)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("LossQ", average_only=True)
    with pytest.raises(UserError, match="^Epoch 1: LossQ is NaN or infinite"):
        logger.dump_tabular()
