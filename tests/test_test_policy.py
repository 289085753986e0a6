"""test_policy: loading saved policies, rebuilding environments, videos, snapshots, and every
failure message. Runs are real: a tiny PPO run on CartPole, a run of every algorithm that exists,
and a MuJoCo model saved with the Logger for the off-screen video check."""

import inspect
import json
import os
import shutil
import subprocess
import sys

import gymnasium as gym
import imageio
import numpy as np
import pytest
import torch

from spinup.algos import OFF_POLICY, get_algo
from spinup.algos.onpolicy import MLPActorCritic
from spinup.utils import plot, test_policy
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger
from spinup.utils.test_policy import load_policy_and_env, run_policy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Small enough for seconds per run; filtered by each algorithm's signature.
TINY = dict(
    ac_kwargs=dict(hidden_sizes=(16, 16)), seed=0, steps_per_epoch=200, epochs=2, save_freq=1,
    max_ep_len=100, train_pi_iters=3, train_v_iters=3,
    replay_size=1000, batch_size=32, start_steps=100, update_after=100, update_every=50,
    num_test_episodes=1, target_update_every=50, eps_decay_steps=200,
)


def tiny_run(algo: str, env_name: str, out: str, **extra):
    """Train ``algo`` for two tiny epochs into ``out``; returns ``out``."""
    fn = get_algo(algo)
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in TINY.items() if k in params}
    kwargs.update(extra)
    logger_kwargs = dict(output_dir=out, exp_name=f"{algo}_tiny", **kwargs.pop("logger_kwargs", {}))
    fn(EnvFactory(env_name), logger_kwargs=logger_kwargs, **kwargs)
    return out


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory):
    """A PPO run on CartPole keeping a snapshot at each of its two epochs."""
    out = str(tmp_path_factory.mktemp("ppo") / "ppo_tiny_s0")
    return tiny_run("ppo", "CartPole-v1", out, logger_kwargs=dict(snapshots=True))


@pytest.fixture
def copy_of(ppo_run, tmp_path):
    """A throw-away copy of the PPO run, for tests that damage it."""
    dst = tmp_path / "copy"
    shutil.copytree(ppo_run, dst)
    return str(dst)


# ---------------------------------------------------------------------------------------------
# Running episodes


def test_norender_prints_episode_returns(ppo_run, capsys):
    result = test_policy.main([ppo_run, "-n", "3", "-nr", "--seed", "1"])
    out = capsys.readouterr().out
    assert len(result["returns"]) == 3
    for k in range(3):
        assert f"Episode {k} \t EpRet" in out
    assert "AverageEpRet" in out
    assert all(r == n for r, n in zip(result["returns"], result["lengths"], strict=True))  # CartPole: +1 per step


def test_len_cuts_episodes_off(ppo_run):
    result = test_policy.main([ppo_run, "-n", "2", "-nr", "-l", "3"])
    assert result["lengths"] == [3, 3]


def test_run_policy_creates_no_folders(ppo_run, tmp_path):
    before = set(os.listdir(tmp_path))
    env, get_action = load_policy_and_env(ppo_run, render_mode=None)
    run_policy(env, get_action, num_episodes=1, render=False)
    assert set(os.listdir(tmp_path)) == before


def test_snapshots_are_selectable(ppo_run, capsys):
    assert test_policy.snapshot_indices(ppo_run) == [0, 1]
    test_policy.main([ppo_run, "-n", "1", "-nr"])
    assert os.path.join("pyt_save", "model1.pt") in capsys.readouterr().out  # 'last' = highest
    test_policy.main([ppo_run, "-n", "1", "-nr", "-i", "0"])
    assert os.path.join("pyt_save", "model0.pt") in capsys.readouterr().out


def test_snapshot_weights_differ(ppo_run):
    first = torch.load(os.path.join(ppo_run, "pyt_save", "model0.pt"), weights_only=True)
    last = torch.load(os.path.join(ppo_run, "pyt_save", "model.pt"), weights_only=True)
    key = next(k for k in last if k.endswith("weight"))
    assert not torch.equal(first[key], last[key])
    assert torch.equal(last[key], torch.load(os.path.join(ppo_run, "pyt_save", "model1.pt"), weights_only=True)[key])


def test_deterministic_flag_selects_the_deterministic_action(ppo_run, capsys):
    obs = np.array([0.01, 0.0, 0.02, 0.0], dtype=np.float32)
    _, det = load_policy_and_env(ppo_run, deterministic=True, render_mode=None)
    assert "deterministic" in capsys.readouterr().out
    assert len({int(det(obs)) for _ in range(30)}) == 1
    # The deterministic action is the most likely one under the saved weights.
    env = gym.make("CartPole-v1")
    ac = MLPActorCritic(env.observation_space, env.action_space, hidden_sizes=(16, 16))
    ac.load_state_dict(torch.load(os.path.join(ppo_run, "pyt_save", "model.pt"), weights_only=True))
    assert int(det(obs)) == int(ac.pi.logits_net(torch.as_tensor(obs)).argmax())
    # Without -d, an untrained-ish policy samples both actions.
    torch.manual_seed(0)
    _, sto = load_policy_and_env(ppo_run, render_mode=None)
    assert len({int(sto(obs)) for _ in range(60)}) == 2


def test_video_mp4_records_every_frame(ppo_run, tmp_path):
    path = str(tmp_path / "videos" / "run.mp4")
    result = test_policy.main([ppo_run, "-n", "2", "--video", path, "--seed", "0"])
    reader = imageio.get_reader(path)
    frames = reader.count_frames()
    # A frame after each reset and after every step, so the last frame of each episode is in.
    assert frames == sum(result["lengths"]) + 2
    assert reader.get_meta_data()["size"] == (600, 400)  # CartPole's own size, not resized
    assert reader.get_meta_data()["fps"] == pytest.approx(gym.make("CartPole-v1").metadata["render_fps"])


def test_video_gif(ppo_run, tmp_path):
    path = str(tmp_path / "run.gif")
    result = test_policy.main([ppo_run, "-n", "1", "-l", "5", "--video", path, "--fps", "10"])
    from PIL import Image, ImageSequence

    # Pillow merges identical consecutive frames into one longer frame, so count time, not frames.
    with Image.open(path) as gif:
        durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
        assert gif.size == (600, 400)
    assert result["lengths"][0] + 1 == 6
    assert sum(durations) == pytest.approx(6 * 100)


def test_odd_sized_frames_are_padded_not_resized(tmp_path):
    writer = test_policy.VideoWriter(str(tmp_path / "odd.mp4"), fps=10)
    for i in range(3):
        writer.append(np.full((401, 599, 3), 40 * i, dtype=np.uint8))
    writer.close()
    assert imageio.get_reader(str(tmp_path / "odd.mp4")).get_meta_data()["size"] == (600, 402)


def _save_untrained(env_name: str, out: str, hidden=(8,)):
    """A run folder holding an untrained on-policy model for ``env_name``, via the Logger API."""
    env = gym.make(env_name)
    ac = MLPActorCritic(env.observation_space, env.action_space, hidden_sizes=hidden)
    logger = EpochLogger(output_dir=out)
    logger.setup_pytorch_saver(ac, dict(hidden_sizes=hidden, activation=torch.nn.ReLU))
    logger.save_state({"env": env}, 0)
    return out


def test_mujoco_video_without_a_display(tmp_path):
    """A fresh process with no DISPLAY and no MUJOCO_GL: test_policy must pick EGL/OSMesa itself."""
    run = _save_untrained("InvertedPendulum-v5", str(tmp_path / "mj"))
    path = str(tmp_path / "mj.mp4")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MUJOCO_GL", "PYOPENGL_PLATFORM", "SDL_VIDEODRIVER")}
    proc = subprocess.run(
        [sys.executable, "-m", "spinup.run", "test_policy", run, "-n", "1", "-l", "5", "--video", path],
        env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Episode 0" in proc.stdout
    reader = imageio.get_reader(path)
    assert reader.count_frames() >= 2
    assert reader.get_meta_data()["size"] == (480, 480)
    assert np.asarray(reader.get_data(1)).std() > 0  # a real picture, not a blank frame


def test_headless_setup_prefers_egl(monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "MUJOCO_GL", "PYOPENGL_PLATFORM", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    found = {"EGL": "libEGL.so.1", "OSMesa": "libOSMesa.so.8"}
    monkeypatch.setattr(test_policy.ctypes.util, "find_library", lambda name: found.get(name))
    test_policy.setup_headless_rendering()
    assert os.environ["MUJOCO_GL"] == "egl" and os.environ["SDL_VIDEODRIVER"] == "dummy"
    monkeypatch.delenv("MUJOCO_GL")
    monkeypatch.delenv("PYOPENGL_PLATFORM")
    found.pop("EGL")
    test_policy.setup_headless_rendering()
    assert os.environ["MUJOCO_GL"] == "osmesa" and os.environ["PYOPENGL_PLATFORM"] == "osmesa"
    monkeypatch.setenv("MUJOCO_GL", "glfw")  # the user's choice is kept
    test_policy.setup_headless_rendering()
    assert os.environ["MUJOCO_GL"] == "glfw"


# ---------------------------------------------------------------------------------------------
# Failure messages


def test_missing_folder():
    with pytest.raises(UserError, match="is not a folder"):
        test_policy.main(["no/such/run", "-nr"])


def test_folder_without_model(tmp_path):
    (tmp_path / "empty_run").mkdir()
    with pytest.raises(UserError, match="no saved model"):
        test_policy.main([str(tmp_path / "empty_run"), "-nr"])


def test_experiment_folder_points_at_its_runs(ppo_run, tmp_path):
    exp = tmp_path / "exp"
    shutil.copytree(ppo_run, exp / "exp_s0")
    with pytest.raises(UserError, match="give one of them.*exp_s0"):
        test_policy.main([str(exp), "-nr"])


def test_missing_snapshot_lists_the_available_ones(ppo_run):
    with pytest.raises(UserError, match=r"no snapshot 7 .*Available snapshots: 0, 1\."):
        test_policy.main([ppo_run, "-nr", "-i", "7"])


def test_snapshot_asked_of_a_run_without_snapshots(tmp_path):
    run = _save_untrained("CartPole-v1", str(tmp_path / "plain"))
    with pytest.raises(UserError, match="kept no numbered snapshots.*--snapshots"):
        test_policy.main([run, "-nr", "-i", "3"])


def test_missing_model_json(copy_of):
    os.remove(os.path.join(copy_of, "pyt_save", "model.json"))
    with pytest.raises(UserError, match="model.json is missing"):
        test_policy.main([copy_of, "-nr"])


def test_damaged_weights(copy_of):
    with open(os.path.join(copy_of, "pyt_save", "model1.pt"), "wb") as f:
        f.write(b"not a checkpoint")
    with pytest.raises(UserError, match="Could not read"):
        test_policy.main([copy_of, "-nr"])


def _edit_meta(run, **changes):
    path = os.path.join(run, "pyt_save", "model.json")
    with open(path) as f:
        meta = json.load(f)
    for key, val in changes.items():
        if isinstance(val, dict) and isinstance(meta.get(key), dict):
            meta[key].update(val)
        else:
            meta[key] = val
    with open(path, "w") as f:
        json.dump(meta, f)


def test_unregistered_env_names_its_package(copy_of):
    _edit_meta(copy_of, env={"id": "MyCartPole-v0", "entry_point": "mypkg.envs:MyCartPole"})
    with pytest.raises(UserError, match="'MyCartPole-v0' is not registered.*'mypkg'.*--env_pkg mypkg"):
        test_policy.main([copy_of, "-nr"])


def test_env_pkg_that_cannot_be_imported(copy_of):
    _edit_meta(copy_of, env={"id": "MyCartPole-v0", "entry_point": "mypkg.envs:MyCartPole"})
    with pytest.raises(UserError, match="Could not import the environment package 'mypkg'"):
        test_policy.main([copy_of, "-nr", "--env_pkg", "mypkg"])


def test_env_that_fails_to_build(copy_of):
    _edit_meta(copy_of, env={"kwargs": {"no_such_option": 3}})
    with pytest.raises(UserError, match="could not rebuild the environment 'CartPole-v1'"):
        test_policy.main([copy_of, "-nr"])


def test_run_without_env_spec(copy_of):
    _edit_meta(copy_of, env=None)
    with pytest.raises(UserError, match="did not record its environment"):
        test_policy.main([copy_of, "-nr"])


def test_model_class_outside_spinup_is_refused(copy_of):
    _edit_meta(copy_of, **{"class": "os.system"})
    with pytest.raises(UserError, match="cannot rebuild the model class 'os.system'"):
        test_policy.main([copy_of, "-nr"])


def test_bad_video_extension_fails_before_loading(tmp_path):
    with pytest.raises(UserError, match=r"must end in \.mp4 or \.gif"):
        test_policy.main(["no/such/run", "--video", str(tmp_path / "x.avi")])


def test_window_without_display(ppo_run, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(UserError, match="no display.*-nr.*--video"):
        test_policy.main([ppo_run, "-n", "1"])
    env, get_action = load_policy_and_env(ppo_run)  # 'auto' gives no render mode here
    assert env.render_mode is None
    with pytest.warns(UserWarning, match="render_mode=None, so the episodes are not shown"):
        out = run_policy(env, get_action, num_episodes=1)  # as the original did: run them unseen
    assert len(out["returns"]) == 1


def test_bad_numbers(ppo_run):
    with pytest.raises(UserError, match="--episodes must be at least 1"):
        test_policy.main([ppo_run, "-nr", "-n", "0"])
    with pytest.raises(UserError, match="--len must be"):
        test_policy.main([ppo_run, "-nr", "-l", "-2"])
    with pytest.raises(UserError, match="--fps must be positive"):
        test_policy.main([ppo_run, "--video", "x.mp4", "--fps", "0"])


def test_cli_dispatch(ppo_run, capsys):
    from spinup.run import main

    assert main(["test_policy", ppo_run, "-n", "1", "-nr"]) == 0
    assert "Episode 0" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["test_policy", "no/such/run", "-nr"])
    assert e.value.code == 2
    assert "is not a folder" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Every algorithm that exists: test_policy -nr, a video, and a plot of its run


ALGO_ENVS = {"ppo": "CartPole-v1", "vpg": "CartPole-v1", "trpo": "CartPole-v1", "dqn": "CartPole-v1",
             "ddpg": "Pendulum-v1", "td3": "Pendulum-v1", "sac": "Pendulum-v1"}


@pytest.mark.parametrize("algo", sorted(ALGO_ENVS))
def test_every_algorithm_can_be_watched_and_plotted(algo, tmp_path, capsys):
    run = tiny_run(algo, ALGO_ENVS[algo], str(tmp_path / f"{algo}_s0"))
    capsys.readouterr()
    result = test_policy.main([run, "-n", "2", "-nr", "-l", "50"])
    assert len(result["returns"]) == 2 and all(np.isfinite(result["returns"]))
    out = capsys.readouterr().out
    assert "Episode 1" in out
    # -d: the deterministic action wherever the model offers one (SAC: its mean action).
    test_policy.main([run, "-n", "1", "-nr", "-l", "5", "-d"])
    out = capsys.readouterr().out
    assert "Using the deterministic action." in out or "no deterministic option" in out
    if algo == "sac":
        env, get_action = load_policy_and_env(run, deterministic=True, render_mode=None)
        obs, _ = env.reset(seed=0)
        assert len({tuple(np.round(get_action(obs), 6)) for _ in range(10)}) == 1
        _, sample = load_policy_and_env(run, render_mode=None)
        assert len({tuple(np.round(sample(obs), 6)) for _ in range(10)}) > 1
    video = str(tmp_path / "x.mp4")
    result = test_policy.main([run, "-n", "1", "-l", "10", "--video", video])
    assert imageio.get_reader(video).count_frames() == result["lengths"][0] + 1
    figure = str(tmp_path / "x.png")
    assert plot.main([run + os.sep, "--save", figure]) == 0
    with open(figure, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    if algo in OFF_POLICY:
        with open(os.path.join(run, "progress.txt")) as f:
            assert "AverageTestEpRet" in f.readline()  # what Performance plots for them


def test_env_without_render_mode_argument_is_rebuilt_for_norender():
    import gymnasium as gym

    from spinup.utils.test_policy import make_env_from_spec

    class NoRender(gym.Env):
        observation_space = gym.spaces.Box(0, 1, (1,))
        action_space = gym.spaces.Discrete(2)

        def __init__(self, size=3):
            self.size = size

    gym.register("SpinupTestNoRender-v0", entry_point=NoRender)
    try:
        env = make_env_from_spec({"id": "SpinupTestNoRender-v0", "kwargs": {"size": 4}}, render_mode=None)
        assert env.unwrapped.size == 4
    finally:
        del gym.registry["SpinupTestNoRender-v0"]
