"""Bad input, everywhere: a table of the mistakes a careless user makes, on the command line
(algorithms, plot, test_policy, bench), with run folders and checkpoints, and from Python.

Each case asserts what the user must get: a non-zero exit (2 for a mistake found before launch), a
short message that says what was wrong, no Python traceback, and nothing already written lost
(every file that existed before the command is byte-for-byte the same afterwards; a mistake found
before launch writes nothing at all)."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import run_helpers

import spinup
from spinup.utils.envs import EnvFactory

REPO = Path(__file__).resolve().parents[1]
SPINUP = [sys.executable, "-m", "spinup.run"]
BASE = ["ppo", "--env", "CartPole-v1", "--steps_per_epoch", "200", "--train_pi_iters", "2", "--train_v_iters", "2"]
PPO = BASE + ["--epochs", "1", "--hid", "[8]"]

# A tiny environment package (written by the tests) whose rewards turn NaN after 50 steps, and
# one whose observation space is a dict (which no algorithm takes).
ODD_ENVS = '''"""Environments for spinup's bad-input tests (written by the tests)."""
import gymnasium as gym
import numpy as np


class NaNRewards(gym.Env):
    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = getattr(self, "t", 0)
        return np.zeros(2, np.float32), {}

    def step(self, action):
        self.t += 1
        reward = float("nan") if self.t > 50 else 1.0
        return np.zeros(2, np.float32), reward, self.t % 10 == 0, False, {}


class DictObs(gym.Env):
    observation_space = gym.spaces.Dict({"a": gym.spaces.Discrete(3)})
    action_space = gym.spaces.Discrete(2)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        return {"a": 0}, {}

    def step(self, action):
        return {"a": 0}, 0.0, True, False, {}


gym.register(id="SpinupNaN-v0", entry_point=__name__ + ":NaNRewards", max_episode_steps=100)
gym.register(id="SpinupDictObs-v0", entry_point=__name__ + ":DictObs", max_episode_steps=100)
'''


class Evil:
    """Unpickling this creates a file: the proof that a loader ran code from a pickle."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def snapshot(root: Path) -> dict[str, str]:
    """Every file below ``root`` and the hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A finished two-epoch PPO run on CartPole (made once; each case works on its own copy)."""
    from spinup.algos.ppo.ppo import ppo

    out = tmp_path_factory.mktemp("made") / "data" / "tiny" / "tiny_s0"
    ppo(EnvFactory("CartPole-v1"), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=200, epochs=2,
        train_pi_iters=2, train_v_iters=2, save_freq=1, logger_kwargs=dict(output_dir=str(out), exp_name="tiny"))
    return out


# ---------------------------------------------------------------------------------------------
# The table


@dataclass
class Bad:
    """One mistake: the command (with ``{run}``, ``{tmp}``, ``{data}`` filled in), what the output
    must say (all fragments, case-insensitive), and the exit status (None: any non-zero)."""

    argv: list[str]
    says: tuple[str, ...]
    status: int | None = 2
    prepare: callable = None  # prepare(tmp, run) -> None: break something first
    new_files_ok: bool = False  # the command may write new files (it ran), but must change none
    env: dict = field(default_factory=dict)


def truncate_progress(tmp, run):
    lines = (run / "progress.txt").read_text().splitlines()
    (run / "progress.txt").write_text("\n".join(lines[:2]) + "\n")  # header and one row; checkpoint says 2


def corrupt_checkpoint(tmp, run):
    (run / "resume.pt").write_bytes(b"this is not a checkpoint")


def evil_checkpoint(tmp, run):
    (run / "resume.pt").write_bytes(pickle.dumps(Evil(str(tmp / "PWNED"))))


def evil_model(tmp, run):
    (run / "pyt_save" / "model.pt").write_bytes(pickle.dumps(Evil(str(tmp / "PWNED"))))


def truncated_model(tmp, run):
    data = (run / "pyt_save" / "model.pt").read_bytes()
    (run / "pyt_save" / "model.pt").write_bytes(data[: len(data) // 2])


def garbage_progress(tmp, run):
    (run / "progress.txt").write_bytes(b"\x00\x01\x02 not a table\n\xff\xfe")


def remove_pyt_save(tmp, run):
    shutil.rmtree(run / "pyt_save")


def a_file(tmp, run):
    (tmp / "a_file").write_text("I am a file, not a folder\n")


def odd_envs(tmp, run):
    (tmp / "spinup_odd_envs.py").write_text(ODD_ENVS)


CASES: dict[str, Bad] = {
    # -- values of an algorithm's arguments, checked before launch ------------------------------
    "negative epochs": Bad(BASE + ["--epochs", "-3"], ("--epochs", "-3")),
    "seed not a number": Bad(PPO + ["--seed", "abc"], ("--seed", "abc")),
    "gamma not a number": Bad(PPO + ["--gamma", "abc"], ("--gamma", "abc")),
    "gamma above 1": Bad(PPO + ["--gamma", "1.5"], ("--gamma", "1.5")),
    "gamma zero": Bad(PPO + ["--gamma", "0"], ("--gamma",)),
    "lam negative": Bad(PPO + ["--lam", "-0.1"], ("--lam", "-0.1")),
    "zero learning rate": Bad(PPO + ["--pi_lr", "0"], ("--pi_lr",)),
    "zero steps per epoch": Bad(["ppo", "--env", "CartPole-v1", "--steps_per_epoch", "0"], ("--steps_per_epoch", "0")),
    "fractional epochs": Bad(BASE + ["--epochs", "2.5"], ("--epochs", "2.5")),
    "zero max_ep_len": Bad(PPO + ["--max_ep_len", "0"], ("--max_ep_len",)),
    "a module path for a number": Bad(PPO + ["--gamma", "this:s"], ("--gamma", "this:s")),
    "unclosed hidden sizes": Bad(BASE + ["--epochs", "1", "--hid", "[32,"], ("--hid", "[32,")),
    "zero hidden units": Bad(BASE + ["--epochs", "1", "--hid", "[0]"], ("hidden_sizes",)),
    "unknown activation": Bad(PPO + ["--act", "nn.NoSuchThing"], ("NoSuchThing",)),
    "batch larger than the buffer": Bad(["sac", "--env", "Pendulum-v1", "--batch_size", "200", "--replay_size", "100"],
                                        ("batch_size", "replay_size")),
    "negative alpha": Bad(["sac", "--env", "Pendulum-v1", "--alpha", "-1"], ("--alpha", "-1")),
    "unknown env kwarg": Bad(PPO + ["--env_kwargs:nonsense", "1"], ("nonsense",)),
    "one bad value in a grid": Bad(PPO + ["--gamma", "0.99", "1.5"], ("--gamma", "1.5")),
    "unknown flag": Bad(PPO + ["--epoch", "3"], ("--epoch", "--epochs")),
    "unknown environment": Bad(["ppo", "--env", "CartPoel-v1"], ("CartPoel-v1", "CartPole-v1")),
    "no environment": Bad(["ppo", "--epochs", "3"], ("--env",)),
    "unknown algorithm": Bad(["ppp", "--env", "CartPole-v1"], ("ppp", "ppo")),
    "tensorflow 1": Bad(["ppo_tf1", "--env", "CartPole-v1"], ("TensorFlow",)),
    # -- the launch ---------------------------------------------------------------------------
    "data_dir is a file": Bad(PPO + ["--data_dir", "{tmp}/a_file"], ("--data_dir", "a_file"), prepare=a_file),
    "data_dir below a file": Bad(PPO + ["--data_dir", "{tmp}/a_file/data"], ("--data_dir",), prepare=a_file),
    "data_dir where nothing can be written": Bad(PPO + ["--data_dir", "/proc/spinup-data"], ("--data_dir", "/proc")),
    "exp_name climbs out": Bad(PPO + ["--exp_name", "../../etc"], ("--exp_name", "../../etc")),
    "exp_name is absolute": Bad(PPO + ["--exp_name", "/tmp/elsewhere"], ("--exp_name", "/tmp/elsewhere")),
    "far too many processes": Bad(PPO + ["--cpu", "100000"], ("--cpu", "100000")),
    "more processes than steps": Bad(["ppo", "--env", "CartPole-v1", "--epochs", "1", "--steps_per_epoch", "2",
                                      "--cpu", "3"], ("--cpu", "3")),
    "processes for an off-policy algorithm": Bad(["sac", "--env", "Pendulum-v1", "--cpu", "2"], ("--cpu", "sac")),
    "ddpg on discrete actions": Bad(["ddpg", "--env", "CartPole-v1", "--epochs", "1"], ("DDPG", "Discrete")),
    "dqn on continuous actions": Bad(["dqn", "--env", "Pendulum-v1", "--epochs", "1"], ("DQN",)),
    "an unsupported observation space": Bad(["ppo", "--env", "spinup_odd_envs:SpinupDictObs-v0", "--epochs", "1"],
                                            ("Dict",), prepare=odd_envs),
    # -- run folders: a finished run is never overwritten, resume checks before writing --------
    "the same command into a finished run": Bad(
        PPO + ["--exp_name", "tiny", "--data_dir", "{data}"], ("tiny_s0", "--resume")),
    "resume a missing folder": Bad(PPO + ["--resume", "{tmp}/nowhere"], ("nowhere",)),
    "resume a folder without checkpoint": Bad(PPO + ["--resume", "{run}"], ("resume.pt",), prepare=lambda t, r: (r / "resume.pt").unlink()),
    "resume with another algorithm": Bad(["vpg", "--env", "CartPole-v1", "--epochs", "4", "--hid", "[8]",
                                          "--steps_per_epoch", "200", "--resume", "{run}"], ("ppo", "vpg"), status=None),
    "resume with another environment": Bad(["ppo", "--env", "Acrobot-v1", "--epochs", "4", "--hid", "[8]",
                                            "--steps_per_epoch", "200", "--resume", "{run}"], ("CartPole-v1", "Acrobot-v1"), status=None),
    "resume with another network": Bad(["ppo", "--env", "CartPole-v1", "--epochs", "4", "--hid", "[16]",
                                        "--steps_per_epoch", "200", "--resume", "{run}"], ("hidden_sizes",), status=None),
    "resume with a shortened log": Bad(["ppo", "--env", "CartPole-v1", "--epochs", "4", "--hid", "[8]",
                                        "--steps_per_epoch", "200", "--resume", "{run}"], ("progress.txt",),
                                       status=None, prepare=truncate_progress),
    "resume a corrupt checkpoint": Bad(["ppo", "--env", "CartPole-v1", "--epochs", "4", "--hid", "[8]",
                                        "--steps_per_epoch", "200", "--resume", "{run}"], ("resume.pt",),
                                       status=None, prepare=corrupt_checkpoint),
    "resume a malicious checkpoint": Bad(["ppo", "--env", "CartPole-v1", "--epochs", "4", "--hid", "[8]",
                                          "--steps_per_epoch", "200", "--resume", "{run}"], ("resume.pt",),
                                         status=None, prepare=evil_checkpoint),
    # -- plot -----------------------------------------------------------------------------------
    "plot a missing folder": Bad(["plot", "{tmp}/nowhere"], ("nowhere",)),
    "plot a folder without progress": Bad(["plot", "{run}/pyt_save"], ("progress.txt",)),
    "plot a garbled progress": Bad(["plot", "{run}"], ("progress.txt",), prepare=garbage_progress),
    "plot an unknown column": Bad(["plot", "{run}", "--value", "NoSuchColumn", "--save", "{tmp}/out.png"],
                                  ("NoSuchColumn",)),
    # -- test_policy ----------------------------------------------------------------------------
    "watch a missing folder": Bad(["test_policy", "{tmp}/nowhere", "-nr"], ("nowhere",)),
    "watch a run without a model": Bad(["test_policy", "{run}", "-nr"], ("pyt_save",), prepare=remove_pyt_save),
    "watch a malicious model": Bad(["test_policy", "{run}", "-nr", "-n", "1"], ("model.pt",), prepare=evil_model),
    "watch a truncated model": Bad(["test_policy", "{run}", "-nr", "-n", "1"], ("model.pt",), prepare=truncated_model),
    "watch zero episodes": Bad(["test_policy", "{run}", "-nr", "-n", "0"], ("--episodes", "0")),
    "watch a snapshot that does not exist": Bad(["test_policy", "{run}", "-nr", "-n", "1", "--itr", "77"], ("77",)),
    # -- bench ----------------------------------------------------------------------------------
    "bench an unknown suite": Bad(["bench", "nosuch"], ("nosuch", "classic")),
    "bench an unknown algorithm": Bad(["bench", "smoke", "--algos", "ppp", "--dry-run"], ("ppp",)),
}


def fill(argv, tmp: Path, run: Path, data: Path):
    return [a.replace("{tmp}", str(tmp)).replace("{run}", str(run)).replace("{data}", str(data)) for a in argv]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_an_answer(name, finished_run, tmp_path):
    case = CASES[name]
    data = tmp_path / "data"
    run = data / "tiny" / "tiny_s0"
    shutil.copytree(finished_run, run)
    if case.prepare:
        case.prepare(tmp_path, run)
    before = snapshot(tmp_path)
    env = dict(os.environ, SPINUP_DATA_DIR=str(data), SPINUP_WAIT_BEFORE_LAUNCH="0", PYTHONPATH=str(tmp_path),
               SPINUP_PROGRESS="0", **case.env)
    done = subprocess.run(SPINUP + fill(case.argv, tmp_path, run, data), cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode != 0, f"{name}: exit 0\n{out[-3000:]}"
    if case.status is not None:
        assert done.returncode == case.status, f"{name}: exit {done.returncode}, not {case.status}\n{out[-3000:]}"
    assert "Traceback" not in out, f"{name}: a traceback\n{out[-3000:]}"
    for fragment in case.says:
        assert fragment.lower() in out.lower(), f"{name}: the output does not say {fragment!r}\n{out[-3000:]}"
    assert not (tmp_path / "PWNED").exists(), f"{name}: a pickle was unpickled"
    after = snapshot(tmp_path)
    # (a run folder's .lock holds the pid of the last process that looked at it: not data)
    changed = [p for p, h in before.items() if after.get(p) != h and "__pycache__" not in p
               and not p.endswith(".lock")]
    assert not changed, f"{name}: changed or removed {changed}"
    if not case.new_files_ok:
        new = [p for p in after if p not in before and "__pycache__" not in p and not p.endswith(".lock")]
        assert not new, f"{name}: wrote {new}"


# ---------------------------------------------------------------------------------------------
# Mistakes that need a running experiment


def test_ctrl_c_mid_run_keeps_the_finished_epochs(tmp_path):
    """SIGINT to the whole command (as Ctrl-C in a terminal does) during epoch 3: "Interrupted",
    the command that resumes, no traceback from the launcher or the trainer, and the two finished
    epochs stay in progress.txt."""
    data = tmp_path / "data"
    argv = SPINUP + ["ppo", "--env", "CartPole-v1", "--steps_per_epoch", "300", "--epochs", "50", "--hid", "[8]",
                     "--exp_name", "stopped", "--data_dir", str(data)]
    proc = subprocess.Popen(argv, cwd=tmp_path, env=dict(os.environ, SPINUP_PROGRESS="0"), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=run_helpers.as_in_a_terminal)
    progress = data / "stopped" / "stopped_s0" / "progress.txt"
    deadline = time.time() + 240
    while not (progress.exists() and len(progress.read_text().splitlines()) >= 3):
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline, "no two epochs in four minutes"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in out, out[-3000:]
    assert "Interrupted" in out and "--resume" in out, out[-3000:]
    assert len(progress.read_text().splitlines()) >= 3


def test_nan_rewards_stop_the_run_naming_the_epoch(tmp_path):
    odd_envs(tmp_path, None)
    data = tmp_path / "data"
    done = subprocess.run(SPINUP + ["ppo", "--env", "spinup_odd_envs:SpinupNaN-v0", "--steps_per_epoch", "40",
                                    "--epochs", "5", "--hid", "[8]", "--exp_name", "nan", "--data_dir", str(data)],
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(tmp_path), SPINUP_PROGRESS="0"),
                          capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in out, out[-3000:]
    assert "NaN" in out and "Epoch 1" in out, out[-3000:]  # steps 41-80 are the first with NaN rewards
    rows = (data / "nan" / "nan_s0" / "progress.txt").read_text().splitlines()
    assert rows[1].split("\t")[0] == "0"  # the clean first epoch stays


# ---------------------------------------------------------------------------------------------
# The same mistakes from Python: exceptions a program can catch, raised before anything is written


@pytest.mark.parametrize("kwargs, kind, says", [
    (dict(epochs=-3), ValueError, "epochs"),
    (dict(gamma=1.5), ValueError, "gamma"),
    (dict(gamma="abc"), TypeError, "gamma"),
    (dict(steps_per_epoch=0), ValueError, "steps_per_epoch"),
    (dict(ac_kwargs=dict(hidden_sizes=[32, -1])), ValueError, "hidden_sizes"),
])
def test_python_api_refuses_bad_values_before_writing(kwargs, kind, says, tmp_path):
    from spinup import ppo

    out = tmp_path / "run"
    with pytest.raises(kind, match=says):
        ppo(EnvFactory("CartPole-v1"), logger_kwargs=dict(output_dir=str(out)), **kwargs)
    assert not out.exists()


def test_python_grid_with_one_bad_value_launches_nothing(tmp_path):
    from spinup.utils.grid import ExperimentGrid

    grid = ExperimentGrid("bad_grid")
    grid.add("env_name", "CartPole-v1")
    grid.add("epochs", 1)
    grid.add("gamma", [0.99, 1.5])
    with pytest.raises(ValueError, match="gamma"):
        grid.run(spinup.ppo, data_dir=str(tmp_path / "data"))
    assert not (tmp_path / "data").exists()


def test_the_table_is_long_enough():
    assert len(CASES) + 7 >= 40
