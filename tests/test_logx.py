"""The logger's file formats, statistics, snapshots and resume support, and atomic writes."""

import json
import math
import os

import numpy as np
import pytest
import torch

from spinup.utils import checkpoint
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger, Logger, colorize
from spinup.utils.serialization_utils import convert_json, decode_kwargs, encode_kwargs


def test_progress_txt_format(tmp_path, capsys):
    logger = Logger(output_dir=str(tmp_path))
    for epoch in range(2):
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("Value", 0.123456789 * (epoch + 1))
        logger.dump_tabular()
        # flushed at every dump: readable while the run goes on
        lines = open(tmp_path / "progress.txt").read().splitlines()
        assert len(lines) == epoch + 2
    assert lines == ["Epoch\tValue", "0\t0.123456789", "1\t0.246913578"]
    table = capsys.readouterr().out
    assert "|           Epoch |               1 |" in table
    assert "|           Value |           0.247 |" in table


def test_columns_are_fixed_by_first_row(tmp_path):
    logger = Logger(output_dir=str(tmp_path))
    logger.log_tabular("A", 1)
    with pytest.raises(AssertionError, match="already set A"):
        logger.log_tabular("A", 2)
    logger.dump_tabular()
    with pytest.raises(AssertionError, match="new key B"):
        logger.log_tabular("B", 1)


def test_epoch_logger_statistics_order(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path))
    logger.store(EpRet=1.0)
    logger.store(EpRet=3.0)
    logger.store(V=np.array([1.0, 2.0]))
    logger.store(V=np.array([3.0]))
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("V", average_only=True)
    assert logger.log_current_row == {"AverageEpRet": 2.0, "StdEpRet": 1.0, "MaxEpRet": 3.0,
                                      "MinEpRet": 1.0, "V": 2.0}
    assert logger.log_headers == ["AverageEpRet", "StdEpRet", "MaxEpRet", "MinEpRet", "V"]


def test_empty_epoch_logs_nan_with_one_warning(tmp_path, capsys):
    logger = EpochLogger(output_dir=str(tmp_path))
    for _ in range(2):
        logger.log_tabular("EpRet", with_min_and_max=True)
        assert all(math.isnan(v) for v in logger.log_current_row.values())
        logger.dump_tabular()
    assert capsys.readouterr().err.count("nothing was stored for 'EpRet'") == 1
    assert open(tmp_path / "progress.txt").read().splitlines()[1] == "nan\tnan\tnan\tnan"


def test_config_holds_arguments_only(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path), exp_name="exp")
    logger.save_config(dict(gamma=0.99, hidden=(64, 64), activation=torch.nn.Tanh, fn=lambda: 0))
    text = open(tmp_path / "config.json").read()
    config = json.loads(text)
    assert config["exp_name"] == "exp" and config["gamma"] == 0.99
    assert config["hidden"] == [64, 64] and config["activation"] == "Tanh"
    assert list(config) == sorted(config)


def test_convert_json_tuples_become_lists():
    # the original returned a generator for tuples, which json could not write
    assert convert_json({"a": (1, (2, torch.nn.ReLU))}) == {"a": [1, [2, "ReLU"]]}


def test_encode_decode_kwargs_round_trip_and_safety():
    kwargs = dict(hidden_sizes=(32,), activation=torch.nn.ReLU)
    encoded = encode_kwargs(kwargs)
    assert json.loads(json.dumps(encoded)) == encoded
    assert decode_kwargs(encoded) == dict(hidden_sizes=[32], activation=torch.nn.ReLU)
    with pytest.raises(ValueError, match="refusing to import"):
        decode_kwargs({"a": {"__class__": "os.system"}})


def test_save_state_writes_weights_and_metadata(tmp_path):
    import gymnasium as gym

    from spinup.algos.onpolicy import MLPActorCritic

    env = gym.make("CartPole-v1")
    ac = MLPActorCritic(env.observation_space, env.action_space, hidden_sizes=(8,))
    logger = EpochLogger(output_dir=str(tmp_path), snapshots=True)
    logger.setup_pytorch_saver(ac, dict(hidden_sizes=(8,), activation=torch.nn.ReLU))
    logger.save_state({"env": env}, 3)
    saved = sorted(os.listdir(tmp_path / "pyt_save"))
    assert saved == ["model.json", "model.pt", "model3.pt"]
    meta = json.load(open(tmp_path / "pyt_save" / "model.json"))
    assert meta["env"]["id"] == "CartPole-v1" and meta["itr"] == 3
    rebuilt = MLPActorCritic(env.observation_space, env.action_space, **decode_kwargs(meta["kwargs"]))
    rebuilt.load_state_dict(torch.load(tmp_path / "pyt_save" / "model.pt", weights_only=True))
    obs = torch.zeros(4)
    assert np.array_equal(rebuilt.act(obs, deterministic=True), ac.act(obs, deterministic=True))


def test_restore_progress_drops_rows_after_the_checkpoint(tmp_path):
    logger = Logger(output_dir=str(tmp_path))
    for epoch in range(3):
        logger.log_tabular("Epoch", epoch)
        logger.dump_tabular()
    resumed = Logger(output_dir=str(tmp_path))
    resumed.restore_progress(2)
    resumed.log_tabular("Epoch", 2)
    resumed.dump_tabular()
    assert open(tmp_path / "progress.txt").read().splitlines() == ["Epoch", "0", "1", "2"]


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "model.pt"
    checkpoint.atomic_torch_save({"w": torch.ones(2)}, str(path))

    class Boom:
        def __reduce__(self):
            raise RuntimeError("interrupted mid-write")

    with pytest.raises(RuntimeError):
        checkpoint.atomic_torch_save({"w": Boom()}, str(path))
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.ones(2))
    assert os.listdir(tmp_path) == ["model.pt"]  # no temporary file left behind


def test_rng_states_round_trip():
    import random

    state = checkpoint.global_rng_state()
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    checkpoint.set_global_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a


def test_resume_errors_are_clear(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        checkpoint.load_resume_checkpoint(str(tmp_path / "missing"))
    with pytest.raises(UserError, match="holds no resume.pt"):
        checkpoint.load_resume_checkpoint(str(tmp_path))
    (tmp_path / "resume.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="Could not read"):
        checkpoint.load_resume_checkpoint(str(tmp_path))


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "resume.pt"
    torch.save({"obj": object()}, path)
    with pytest.raises(UserError, match="never pickled objects"):
        checkpoint.load_resume_checkpoint(str(tmp_path))


def test_colorize():
    assert colorize("hi", "green", bold=True) == "\x1b[32;1mhi\x1b[0m"
