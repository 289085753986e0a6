"""Pictures as observations: the convolutional encoders (sizes and parameters by hand, pixel
scaling, the three layouts, the choice of encoder), the networks of DQN, PPO and discrete SAC on
pictures, buffers that keep pictures uint8, the test picture environment (tests/image_envs.py),
and the Atari games with their preprocessing (real ALE games, where ale_py is installed), down
to whole runs from the command line."""

import json
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn as nn
from gymnasium.spaces import Box, Discrete
from image_envs import PIXELS, PIXELS_STACK, SIZE, WhichSide

from spinup.algos.dqn.core import MLPQNetwork
from spinup.algos.frame_buffer import FrameReplayBuffer
from spinup.algos.networks import (
    ImpalaCNN,
    NatureCNN,
    PixelScaling,
    image_layout,
    is_image_space,
    obs_encoder,
    obs_storage_dtype,
)
from spinup.algos.offpolicy import ReplayBuffer, frame_stack_size, make_replay_buffer
from spinup.algos.onpolicy import GAEBuffer, MLPActorCritic
from spinup.algos.sac import core as sac_core
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger
from spinup.utils.vector_envs import log_finished_episode, make_vector_env


def pictures(shape, batch=None, seed=0):
    """Random uint8 pictures of ``shape`` (a batch of them if ``batch``)."""
    rng = np.random.default_rng(seed)
    return torch.as_tensor(rng.integers(0, 256, size=(*((batch,) if batch else ()), *shape), dtype=np.uint8))


def space(shape):
    return Box(0, 255, shape, np.uint8)


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def conv_out(size, kernel, stride, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


# ---------------------------------------------------------------------------------------------
# The encoders


def test_nature_cnn_on_atari_frames_by_hand():
    cnn = NatureCNN(space((4, 84, 84)))
    # 84 -> (84 - 8) / 4 + 1 = 20 -> (20 - 4) / 2 + 1 = 9 -> 9 - 3 + 1 = 7: 64 maps of 7x7
    side = conv_out(conv_out(conv_out(84, 8, 4), 4, 2), 3, 1)
    assert side == 7
    linear = [m for m in cnn.modules() if isinstance(m, nn.Linear)]
    assert len(linear) == 1 and linear[0].in_features == 64 * 7 * 7 == 3136
    expected = (4 * 32 * 8 * 8 + 32) + (32 * 64 * 4 * 4 + 64) + (64 * 64 * 3 * 3 + 64) + (3136 * 512 + 512)
    assert expected == 1_684_128
    assert n_params(cnn) == expected and cnn.features == 512
    out = cnn(pictures((4, 84, 84), batch=3))
    assert out.shape == (3, 512) and out.dtype == torch.float32 and (out >= 0).all()  # ends in a ReLU


def test_nature_cnn_smallest_picture_and_too_small():
    cnn = NatureCNN(space((2, SIZE, SIZE)))
    # 36 -> 8 -> 3 -> 1
    assert conv_out(conv_out(conv_out(SIZE, 8, 4), 4, 2), 3, 1) == 1
    assert [m for m in cnn.modules() if isinstance(m, nn.Linear)][0].in_features == 64
    assert cnn(pictures((2, SIZE, SIZE), batch=2)).shape == (2, 512)
    with pytest.raises(UserError, match="35×35"):
        NatureCNN(space((2, 35, 35)))


@pytest.mark.parametrize("h, w", [(84, 84), (10, 10), (7, 12)])
def test_impala_cnn_sizes(h, w):
    cnn = ImpalaCNN(space((3, h, w)))
    # three stages, each a 3x3 max-pool with stride 2 and padding 1 (the convolutions keep the size)
    fh, fw = h, w
    for _ in range(3):
        fh, fw = conv_out(fh, 3, 2, 1), conv_out(fw, 3, 2, 1)
    linear = [m for m in cnn.modules() if isinstance(m, nn.Linear)]
    assert len(linear) == 1 and linear[0].in_features == 32 * fh * fw
    assert cnn.features == 256 and cnn(pictures((3, h, w), batch=2)).shape == (2, 256)
    if (h, w) == (84, 84):
        assert (fh, fw) == (11, 11)


def test_pixel_scaling():
    scale = PixelScaling((2, 3, 3))
    x = torch.full((1, 2, 3, 3), 255, dtype=torch.uint8)
    assert torch.equal(scale(x), torch.ones(1, 2, 3, 3))
    assert torch.equal(scale(torch.zeros_like(x)), torch.zeros(1, 2, 3, 3))
    x = pictures((2, 3, 3), batch=4)
    assert torch.equal(scale(x), scale(x.float()))  # a float copy of the picture reads the same
    assert torch.allclose(scale(x), x.float() / 255)
    cnn = NatureCNN(space((2, SIZE, SIZE)))
    x = pictures((2, SIZE, SIZE), batch=2)
    assert torch.equal(cnn(x), cnn(x.float()))


def test_three_layouts():
    assert image_layout((4, 84, 84)) == (4, 84, 84, False)
    assert image_layout((84, 84, 3)) == (3, 84, 84, True)
    assert image_layout((84, 84)) == (1, 84, 84, False)
    chw = pictures((3, SIZE, SIZE), batch=2)
    hwc = chw.permute(0, 2, 3, 1).contiguous()
    assert torch.equal(PixelScaling((SIZE, SIZE, 3))(hwc), PixelScaling((3, SIZE, SIZE))(chw))
    hw = chw[:, 0]
    assert torch.equal(PixelScaling((SIZE, SIZE))(hw), chw[:, :1].float() / 255)
    # The same network weights read a channels-last picture as its channels-first copy
    first, last = NatureCNN(space((3, SIZE, SIZE))), NatureCNN(space((SIZE, SIZE, 3)))
    last.load_state_dict(first.state_dict())
    # (equal up to rounding: the convolution runs on another memory layout)
    assert torch.allclose(last(hwc), first(chw), atol=1e-6)
    grey = NatureCNN(space((SIZE, SIZE)))
    assert grey(hw).shape == (2, 512) and grey(hw[0:1]).shape == (1, 512)


def test_auto_chooses_by_space():
    assert isinstance(obs_encoder(space((4, 84, 84)))[0], NatureCNN)
    assert isinstance(obs_encoder(space((SIZE, SIZE)))[0], NatureCNN)
    assert isinstance(obs_encoder(space((64, 64, 3)))[0], NatureCNN)
    assert isinstance(obs_encoder(space((4, 35, 84)))[0], ImpalaCNN)  # one side below 36
    assert isinstance(obs_encoder(space((10, 10)))[0], ImpalaCNN)
    assert obs_encoder(space((4, 84, 84)))[1] == 512 and obs_encoder(space((10, 10)))[1] == 256
    # not pictures: float Boxes, and uint8 vectors
    for other in (Box(0, 255, (4, 84, 84), np.float32), Box(-1, 1, (3,), np.float32), space((5,))):
        assert not is_image_space(other)
        flatten, dim = obs_encoder(other)
        assert not isinstance(flatten, NatureCNN | ImpalaCNN) and dim == int(np.prod(other.shape))
    # chosen by name
    assert isinstance(obs_encoder(space((SIZE, SIZE)), "impala")[0], ImpalaCNN)
    flatten, dim = obs_encoder(space((2, SIZE, SIZE)), "flatten")
    assert dim == 2 * SIZE * SIZE and flatten(pictures((2, SIZE, SIZE), batch=3)).shape == (3, dim)


def test_storage_dtype():
    assert obs_storage_dtype(space((2, SIZE, SIZE))) == np.uint8
    assert obs_storage_dtype(Box(0, 1, (2, SIZE, SIZE), np.float32)) == np.float32
    assert obs_storage_dtype(space((5,))) == np.float32


def test_bad_encoder_name_names_the_value():
    with pytest.raises(UserError, match="'natur'"):
        obs_encoder(space((4, 84, 84)), "natur")
    with pytest.raises(UserError, match="'cnn'"):
        MLPQNetwork(space((SIZE, SIZE)), Discrete(2), encoder="cnn")
    with pytest.raises(UserError, match="'cnn'"):
        MLPActorCritic(space((SIZE, SIZE)), Discrete(2), encoder="cnn")


# ---------------------------------------------------------------------------------------------
# The algorithms' networks on pictures


@pytest.mark.parametrize("shape", [(2, SIZE, SIZE), (SIZE, SIZE), (SIZE, SIZE, 3)])
def test_onpolicy_actor_critic_on_pictures(shape):
    ac = MLPActorCritic(space(shape), Discrete(3), hidden_sizes=())
    # each network its own encoder
    assert isinstance(ac.pi.logits_net[0], NatureCNN) and isinstance(ac.v.v_net[0], NatureCNN)
    assert ac.pi.logits_net[0] is not ac.v.v_net[0]
    batch = pictures(shape, batch=4)
    act, v, logp = ac.step(batch)
    assert act.shape == v.shape == logp.shape == (4,) and set(act) <= {0, 1, 2}
    assert np.all(logp <= 0)
    assert ac.act(batch).shape == (4,)
    one = ac.act(batch[0], deterministic=True)
    assert np.ndim(one) == 0 and int(one) == int(ac.act(batch[:1], deterministic=True)[0])
    pi, logp = ac.pi(batch, torch.as_tensor(act))
    assert logp.shape == (4,) and ac.v(batch).shape == (4,)


def test_dqn_q_network_on_pictures():
    q = MLPQNetwork(space((2, SIZE, SIZE)), Discrete(3, start=1), hidden_sizes=(16,))
    assert isinstance(q.flatten, NatureCNN)
    batch = pictures((2, SIZE, SIZE), batch=5)
    values = q(batch)
    assert values.shape == (5, 3)
    greedy = q.act(batch)
    assert greedy.dtype == np.int64 and greedy.shape == (5,)
    assert np.array_equal(greedy, values.argmax(-1).numpy() + 1)  # Discrete(3, start=1)
    one = q.act(batch[0])
    assert isinstance(one, int) and one == greedy[0]


def test_discrete_sac_on_pictures():
    ac = sac_core.MLPActorCritic(space((SIZE, SIZE)), Discrete(2), hidden_sizes=(16,))
    assert isinstance(ac.pi.flatten, NatureCNN) and isinstance(ac.q.flatten, NatureCNN)
    assert ac.pi.flatten is not ac.q.flatten
    batch = pictures((SIZE, SIZE), batch=3)
    q1, q2 = ac.q(batch)
    assert q1.shape == q2.shape == (3, 2)
    acts = ac.act(batch)
    assert acts.dtype == np.int64 and acts.shape == (3,)
    one = ac.act(batch[0], deterministic=True)
    assert isinstance(one, int) and one in (0, 1)


# ---------------------------------------------------------------------------------------------
# Buffers keep pictures uint8


def test_gae_buffer_keeps_uint8():
    buf = GAEBuffer((SIZE, SIZE), (), 4, num_envs=2, obs_dtype=obs_storage_dtype(space((SIZE, SIZE))))
    frames = pictures((SIZE, SIZE), batch=4).numpy()
    for t in range(2):
        buf.store(frames[2 * t:2 * t + 2], np.zeros(2), np.ones(2), np.zeros(2), np.zeros(2))
    for c in range(2):
        buf.finish_path(0.0, copy=c)
    data = buf.get()
    assert buf.obs.dtype == np.uint8 and data["obs"].dtype == torch.uint8
    assert data["obs"].shape == (4, SIZE, SIZE)
    # copy after copy: copy 0's two steps, then copy 1's
    assert torch.equal(data["obs"], torch.as_tensor(frames[[0, 2, 1, 3]]))
    assert data["adv"].dtype == data["ret"].dtype == torch.float32


def test_replay_buffers_keep_uint8():
    stacked = make_vector_env(EnvFactory(PIXELS_STACK), 2)
    single = make_vector_env(EnvFactory(PIXELS), 1)
    assert frame_stack_size(stacked) == 2 and frame_stack_size(single) is None
    frame_buffer = make_replay_buffer(stacked, (), 50)
    assert type(frame_buffer) is FrameReplayBuffer
    # The frame buffer stores discrete actions: continuous ones (DDPG, TD3, SAC) get whole stacks
    assert type(make_replay_buffer(stacked, (1,), 50)) is ReplayBuffer
    plain = make_replay_buffer(single, (), 50)
    assert type(plain) is ReplayBuffer and plain.obs.dtype == np.uint8
    obs, _ = single.reset(seed=0)
    next_obs, rew, terminated, truncated, info = single.step(np.array([0]))
    plain.store_batch(obs, np.array([0]), rew, next_obs, terminated)
    batch = plain.sample_batch(3, np.random.default_rng(0))
    assert batch["obs"].dtype == batch["next_obs"].dtype == torch.uint8
    assert torch.equal(batch["obs"][0], torch.as_tensor(obs[0]))
    obs, _ = stacked.reset(seed=0)
    next_obs, rew, terminated, truncated, info = stacked.step(np.array([0, 1]))
    frame_buffer.store_batch(obs, np.array([0, 1]), rew, next_obs, terminated, terminated | truncated)
    batch = frame_buffer.sample_batch(4, np.random.default_rng(0))
    assert batch["obs"].dtype == torch.uint8 and batch["obs"].shape == (4, 2, SIZE, SIZE)
    stacked.close(), single.close()


# ---------------------------------------------------------------------------------------------
# The test picture environment (tests/image_envs.py)


def test_which_side_needs_the_picture():
    env = gym.make("spinup_tests/Pixels-v0")
    obs, info = env.reset(seed=3)
    assert obs.dtype == np.uint8 and obs.shape == (SIZE, SIZE)
    ends = {"terminated": 0, "truncated": 0}
    for _ in range(200):
        side = info["side"]
        lit = np.flatnonzero(obs.max(axis=0))
        assert len(lit) == 6 and np.all(lit // (SIZE // 2) == side)  # the square is in that half
        answer = side if ends["truncated"] < 3 else 1 - side  # first right answers, then wrong ones
        obs, rew, terminated, truncated, info = env.step(answer)
        assert rew == float(answer == side) and terminated == (answer != side)
        if terminated or truncated:
            ends["terminated" if terminated else "truncated"] += 1
            obs, info = env.reset()
    assert ends["truncated"] == 3 and ends["terminated"] > 0
    assert isinstance(env.unwrapped, WhichSide)


def test_which_side_stack_shows_the_previous_then_the_current_picture():
    env = EnvFactory(PIXELS_STACK)()
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2, SIZE, SIZE) and np.array_equal(obs[0], obs[1])  # padded with the first
    previous = obs[1]
    obs, *_ = env.step(env.unwrapped.side)
    assert np.array_equal(obs[0], previous) and np.array_equal(obs[1], env.unwrapped.picture)


# ---------------------------------------------------------------------------------------------
# Atari games (real ALE ones)


@pytest.fixture
def ale():
    pytest.importorskip("ale_py")
    pytest.importorskip("cv2")


def test_atari_observations(ale):
    env = EnvFactory("ALE/Pong-v5")()
    assert env.observation_space == Box(0, 255, (4, 84, 84), np.uint8)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    assert isinstance(obs_encoder(env.observation_space)[0], NatureCNN)
    env.close()


def test_breakout_training_episodes_end_on_a_lost_life(ale):
    env = EnvFactory("ALE/Breakout-v5")(training=True)
    env.reset(seed=0)
    env.action_space.seed(0)
    lives = env.unwrapped.ale.lives()
    assert lives == 5
    lost, rewards = 0, set()
    for _ in range(5000):
        _, rew, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.add(rew)
        if terminated or truncated:
            if info["game_over"]:
                assert "game_score" in info and "game_length" in info
                break
            # a lost life: the episode ends, the game goes on from where it was
            assert terminated and "game_score" not in info
            lost += 1
            assert env.unwrapped.ale.lives() == lives - lost
            env.reset()
            assert env.unwrapped.ale.lives() == lives - lost
    else:
        pytest.fail("no game over in 5000 steps of random play")
    assert lost == lives - 1
    assert rewards <= {-1.0, 0.0, 1.0}
    env.close()


def test_clipped_rewards_and_the_real_game_score_in_the_log(ale, tmp_path):
    # Space Invaders' aliens are worth 5 to 30 points: the clipped sum is far below the score.
    # One training copy, as the algorithms make it; the loop's episodes are lives.
    envs = make_vector_env(EnvFactory("ALE/SpaceInvaders-v5"), 1)
    envs.single_action_space.seed(0)
    envs.reset(seed=0)
    logger = EpochLogger(output_dir=str(tmp_path / "log"))
    ep_ret, ep_len, clipped_game, rewards, lives_lost = 0.0, 0, 0.0, set(), 0
    for _ in range(5000):
        _, rew, terminated, truncated, info = envs.step(np.array([envs.single_action_space.sample()]))
        rewards.add(float(rew[0]))
        ep_ret, ep_len, clipped_game = ep_ret + rew[0], ep_len + 1, clipped_game + rew[0]
        if terminated[0] or truncated[0]:
            stored = log_finished_episode(logger, 0, ep_ret, ep_len, info)
            if not info["final_info"]["game_over"][0]:
                assert not stored and "EpRet" not in logger.epoch_dict  # a lost life: nothing logged
                lives_lost += 1
            else:
                assert stored
                score, length = info["final_info"]["game_score"][0], info["final_info"]["game_length"][0]
                assert logger.epoch_dict["EpRet"] == [score] and logger.epoch_dict["EpLen"] == [length]
                assert score > clipped_game > 0 and score % 5 == 0  # the real score, not the clipped one
                assert length >= ep_len + lives_lost  # the whole game, not the last life
                break
            ep_ret, ep_len = 0.0, 0
    else:
        pytest.fail("no game over in 5000 steps of random play")
    assert lives_lost == 2 and rewards <= {-1.0, 0.0, 1.0} and 1.0 in rewards
    envs.close()


def test_max_ep_len_limits_the_whole_game_and_logs_it(ale, tmp_path):
    # max_ep_len on an Atari training copy cuts the game (not one life) after that many agent
    # steps, and the cut-off game is logged with its real score and length
    envs = make_vector_env(EnvFactory("ALE/Breakout-v5"), 1, max_ep_len=15)
    envs.reset(seed=0)
    logger = EpochLogger(output_dir=str(tmp_path / "log"))
    steps, done = 0, False
    while not done and steps < 16:
        _, _, terminated, truncated, info = envs.step(np.array([0]))
        steps, done = steps + 1, terminated[0] or truncated[0]
    assert steps == 15 and truncated[0] and not terminated[0]
    assert info["final_info"]["game_over"][0] and info["final_info"]["game_length"][0] == 15
    assert log_finished_episode(logger, 0, 0.0, 15, info) and logger.epoch_dict["EpLen"] == [15]
    envs.close()


def test_fire_is_pressed_for_the_agent(ale):
    # Breakout serves only on FIRE: a test game of no-ops still ends (the ball is served for the
    # agent at each new life), instead of running to the emulator's limit of 27,000 steps
    env = EnvFactory("ALE/Breakout-v5")()
    env.reset(seed=0)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated) and steps < 2000:
        _, _, terminated, truncated, _ = env.step(0)
        steps += 1
    assert terminated and steps < 2000
    env.close()


def test_log_finished_episode_without_atari(tmp_path):
    # Another environment's episodes are logged as the loop counted them
    logger = EpochLogger(output_dir=str(tmp_path / "log"))
    envs = make_vector_env(EnvFactory(PIXELS), 2)
    envs.reset(seed=0)
    done = np.zeros(2, bool)
    while not done.any():
        _, _, terminated, truncated, info = envs.step(np.array([0, 0]))
        done = terminated | truncated
    assert "final_info" in info  # the copy's own info, without game_over
    assert log_finished_episode(logger, 0, 7.0, 3, info)
    assert log_finished_episode(logger, 1, 2.0, 1, {})
    assert logger.epoch_dict["EpRet"] == [7.0, 2.0] and logger.epoch_dict["EpLen"] == [3, 1]
    # An Atari copy whose game is over logs the game's score; one that lost a life logs nothing
    info = {"final_info": {"game_over": np.array([False, True]), "_game_over": np.array([True, True]),
                           "game_score": np.array([0.0, 410.0]), "_game_score": np.array([False, True]),
                           "game_length": np.array([0, 900]), "_game_length": np.array([False, True])}}
    assert not log_finished_episode(logger, 0, 3.0, 50, info)
    assert log_finished_episode(logger, 1, 3.0, 50, info)
    assert logger.epoch_dict["EpRet"][-1] == 410.0 and logger.epoch_dict["EpLen"][-1] == 900
    assert len(logger.epoch_dict["EpRet"]) == 3
    envs.close()


def test_atari_training_copies_use_the_frame_buffer(ale):
    envs = make_vector_env(EnvFactory("ALE/Breakout-v5"), 2, max_ep_len=27_000)
    assert frame_stack_size(envs) == 4
    assert type(make_replay_buffer(envs, (), 100)) is FrameReplayBuffer
    envs.close()


# ---------------------------------------------------------------------------------------------
# Whole runs from the command line


def spinup_run(args, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", SPINUP_WAIT_BEFORE_LAUNCH="0")
    env.pop("SPINUP_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "spinup.run", *args, "--data_dir", str(tmp_path / "data"),
                           "--exp_name", "t"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("args, given, added", [
    (["dqn", "--env", "ALE/Breakout-v5", "--epochs", "1", "--steps_per_epoch", "200", "--start_steps", "100",
      "--update_after", "100", "--num_test_episodes", "0", "--replay_size", "1000"],
     dict(steps_per_epoch=200, replay_size=1000, num_test_episodes=0), dict(lr=1e-4, batch_size=32)),
    (["ppo", "--env", "ALE/Pong-v5", "--num_envs", "2", "--steps_per_epoch", "256", "--epochs", "1"],
     dict(num_envs=2, steps_per_epoch=256), dict(clip_ratio=0.1, train_pi_iters=8)),
], ids=["dqn-breakout", "ppo-pong"])
def test_atari_from_the_command_line(ale, tmp_path, args, given, added):
    done = spinup_run(args, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    algo = args[0]
    line = [x for x in done.stdout.splitlines() if x.startswith(f"Atari game: {algo}'s Atari settings")]
    assert len(line) == 1, done.stdout[-3000:]
    for key, value in added.items():
        assert f"{key}={value!r}" in line[0]
    for key in given:
        assert f" {key}=" not in line[0]  # the command line's own values are kept
    run_dir = tmp_path / "data" / "t" / "t_s0"
    rows = (run_dir / "progress.txt").read_text().splitlines()
    assert len(rows) == 2 and rows[0].split("\t")[0] == "Epoch"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["ac_kwargs"] == {"hidden_sizes": []}
    for key, value in {**given, **added}.items():
        assert config[key] == value


def test_without_the_atari_extra_the_message_says_how_to_install(tmp_path):
    # ale_py made unimportable in a fresh process: --env ALE/... stops before launch, exit 2
    code = ("import sys; sys.modules['ale_py'] = None; from spinup.run import main; "
            "main(['dqn', '--env', 'ALE/Pong-v5', '--data_dir', sys.argv[1]])")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, SPINUP_WAIT_BEFORE_LAUNCH="0"))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Atari extra is not installed" in done.stderr and 'pip install -e ".[atari]"' in done.stderr
    assert "Traceback" not in done.stderr
