"""Every hyperparameter typed and checked before anything starts (spinup.utils.validation), from
Python, from an ExperimentGrid and from the command line."""

import inspect
import os
import sys
import typing

import gymnasium as gym
import numpy as np
import pytest
import torch

from spinup.algos import ALGOS
from spinup.run import load_algo, main
from spinup.utils.errors import InvalidType, InvalidValue, UserError
from spinup.utils.grid import ExperimentGrid
from spinup.utils.run_folders import setup_logger_kwargs
from spinup.utils.validation import (
    CROSS_RULES,
    RANGES,
    TYPE_ONLY,
    Namer,
    check_arguments,
    check_data_dir,
    check_exp_name,
    check_num_cpu,
)

ALGO_NAMES = list(ALGOS)


def algo(name):
    return load_algo(name)


def cartpole():
    return gym.make("CartPole-v1")


# ---------------------------------------------------------------------------------------------
# Every parameter is typed and covered.


@pytest.mark.parametrize("name", ALGO_NAMES)
def test_every_parameter_has_a_type_hint_and_a_rule(name):
    fn = algo(name)
    hints = typing.get_type_hints(fn)
    for param in inspect.signature(fn).parameters:
        assert param in hints, f"{name}({param}) has no type hint"
        assert param in RANGES or param in TYPE_ONLY, (
            f"{name}({param}) is neither in validation.RANGES nor in validation.TYPE_ONLY")


def test_the_tables_name_only_real_parameters():
    params = {p for name in ALGO_NAMES for p in inspect.signature(algo(name)).parameters}
    assert set(RANGES) <= params and set(TYPE_ONLY) <= params
    assert not set(RANGES) & set(TYPE_ONLY)
    for key, other, _, _ in CROSS_RULES:
        assert key in params and other in params


@pytest.mark.parametrize("name", ALGO_NAMES)
def test_the_defaults_pass_their_own_check(name):
    fn = algo(name)
    defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()
                if p.default is not inspect.Parameter.empty}
    assert check_arguments(fn, dict(defaults, env_fn=cartpole)) == dict(defaults, env_fn=cartpole)


@pytest.mark.parametrize("name", ALGO_NAMES)
def test_the_check_is_the_first_statement(name):
    source = inspect.getsource(algo(name))
    body = source.split('"""', 2)[2].strip().splitlines()
    assert body[0].startswith(f"check_arguments({name}, locals())")


# ---------------------------------------------------------------------------------------------
# Ranges and types.


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("ppo", dict(epochs=-3), "epochs: expected an int with epochs >= 1; got -3."),
        ("ppo", dict(epochs=0), "epochs >= 1"),
        ("ppo", dict(steps_per_epoch=0), "steps_per_epoch: expected an int with steps_per_epoch >= 1; got 0."),
        ("ppo", dict(gamma=0.0), "gamma: expected a number with 0 < gamma <= 1; got 0.0."),
        ("vpg", dict(gamma=1.01), "0 < gamma <= 1"),
        ("trpo", dict(lam=-0.1), "lam: expected a number with 0 <= lam <= 1; got -0.1."),
        ("ppo", dict(pi_lr=0), "pi_lr: expected a number with pi_lr > 0; got 0."),
        ("vpg", dict(vf_lr=-1e-3), "vf_lr > 0"),
        ("ddpg", dict(q_lr=0.0), "q_lr > 0"),
        ("sac", dict(lr=0.0), "lr > 0"),
        ("ppo", dict(clip_ratio=0), "clip_ratio > 0"),
        ("ppo", dict(target_kl=float("nan")), "target_kl > 0"),
        ("ppo", dict(train_pi_iters=0), "train_pi_iters >= 1"),
        ("vpg", dict(train_v_iters=-1), "train_v_iters >= 0"),
        ("trpo", dict(delta=0), "delta > 0"),
        ("trpo", dict(backtrack_coeff=1.0), "0 < backtrack_coeff < 1"),
        ("trpo", dict(backtrack_iters=0), "backtrack_iters >= 1"),
        ("trpo", dict(cg_iters=0), "cg_iters >= 1"),
        ("trpo", dict(damping_coeff=-0.1), "damping_coeff >= 0"),
        ("ddpg", dict(polyak=1.5), "0 <= polyak <= 1"),
        ("ddpg", dict(replay_size=0), "replay_size >= 1"),
        ("ddpg", dict(batch_size=0), "batch_size >= 1"),
        ("ddpg", dict(act_noise=-0.1), "act_noise >= 0"),
        ("td3", dict(policy_delay=0), "policy_delay >= 1"),
        ("td3", dict(noise_clip=-1.0), "noise_clip >= 0"),
        ("td3", dict(target_noise=-1.0), "target_noise >= 0"),
        ("sac", dict(alpha=0.0), "alpha: expected a number with alpha > 0 or 'auto'; got 0.0."),
        ("sac", dict(update_every=0), "update_every >= 1"),
        ("sac", dict(start_steps=-1), "start_steps >= 0"),
        ("sac", dict(update_after=-1), "update_after >= 0"),
        ("dqn", dict(eps_start=1.5), "0 <= eps_start <= 1"),
        ("dqn", dict(eps_end=-0.1), "0 <= eps_end <= 1"),
        ("dqn", dict(eps_decay_steps=-1), "eps_decay_steps >= 0"),
        ("dqn", dict(target_update_every=0), "target_update_every >= 1"),
        ("dqn", dict(huber_delta=0.0), "huber_delta > 0"),
        ("dqn", dict(num_test_episodes=-1), "num_test_episodes >= 0"),
        ("dqn", dict(max_ep_len=0), "max_ep_len >= 1"),
        ("dqn", dict(save_freq=0), "save_freq >= 1"),
        ("ppo", dict(seed=-1), "seed: expected an int with 0 <= seed <= 2147483647; got -1."),
        ("ppo", dict(gamma=float("inf")), "0 < gamma <= 1"),
    ],
)
def test_out_of_range_values(name, kwargs, message):
    with pytest.raises(InvalidValue) as info:
        check_arguments(algo(name), kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, UserError)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("ppo", dict(gamma=1, lam=0, epochs=1, steps_per_epoch=1, seed=0, train_v_iters=0)),
        ("ppo", dict(target_kl=float("inf"), seed=np.int64(3), pi_lr=np.float32(1e-3))),
        ("sac", dict(alpha="auto", target_entropy=-1.0, polyak=0.0)),
        ("sac", dict(alpha=1, target_entropy=None, polyak=1)),
        ("dqn", dict(eps_start=0.0, eps_end=0.0, eps_decay_steps=0, num_test_episodes=0)),
        ("trpo", dict(algo="npg", damping_coeff=0.0)),
        ("ddpg", dict(resume="some/folder", save_buffer=True)),
    ],
)
def test_values_at_the_edges_pass(name, kwargs):
    check_arguments(algo(name), kwargs)


@pytest.mark.parametrize(
    "name, kwargs, message",
    [
        ("ppo", dict(seed="abc"), "seed: expected an int with 0 <= seed <= 2147483647; got 'abc'."),
        ("ppo", dict(epochs="10"), "epochs: expected an int"),  # no conversion from Python
        ("ppo", dict(epochs=10.0), "epochs: expected an int"),
        ("ppo", dict(epochs=True), "epochs: expected an int"),
        ("ppo", dict(gamma="abc"), "gamma: expected a number with 0 < gamma <= 1; got 'abc'."),
        ("ppo", dict(gamma=None), "gamma: expected a number"),
        ("sac", dict(alpha="automatic"), "alpha: expected a number with alpha > 0 or 'auto'; got 'automatic'."),
        ("sac", dict(target_entropy="high"), "target_entropy: expected a number or None"),
        ("trpo", dict(algo="ppo"), "algo: expected one of 'trpo', 'npg'; got 'ppo'."),
        ("ddpg", dict(save_buffer="yes"), "save_buffer: expected True or False; got 'yes'."),
        ("dqn", dict(double=1), "double: expected True or False; got 1."),
        ("ppo", dict(resume=3), "resume: expected a string or None; got 3."),
        ("ppo", dict(env_fn="CartPole-v1"), "env_fn: expected a function or class"),
        ("ppo", dict(actor_critic=3), "actor_critic: expected a function or class"),
        ("ppo", dict(ac_kwargs=[64, 64]), "ac_kwargs: expected a dict; got [64, 64]."),
        ("ppo", dict(logger_kwargs="out"), "logger_kwargs: expected a dict"),
    ],
)
def test_wrong_types(name, kwargs, message):
    with pytest.raises(InvalidType) as info:
        check_arguments(algo(name), kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, UserError)


def test_conversions_where_unambiguous():
    ppo, sac, ddpg = algo("ppo"), algo("sac"), algo("ddpg")
    out = check_arguments(ppo, dict(epochs="10", steps_per_epoch=4000.0, gamma=1, lam="0.9", seed=np.int64(2)),
                          convert=True)
    assert out["epochs"] == 10 and type(out["epochs"]) is int
    assert out["steps_per_epoch"] == 4000 and type(out["steps_per_epoch"]) is int
    assert out["gamma"] == 1.0 and type(out["gamma"]) is float
    assert out["lam"] == 0.9 and type(out["seed"]) is int
    assert check_arguments(ddpg, dict(replay_size=1e5, save_buffer="True"), convert=True) == dict(
        replay_size=100000, save_buffer=True)
    assert check_arguments(sac, dict(alpha="auto"), convert=True)["alpha"] == "auto"
    assert check_arguments(sac, dict(alpha="0.1"), convert=True)["alpha"] == 0.1
    from pathlib import Path

    assert check_arguments(ppo, dict(resume=Path("a/b")))["resume"] == "a/b"
    for bad in (10.5, "ten", "1e-3", float("inf")):
        with pytest.raises(InvalidType, match="epochs: expected an int"):
            check_arguments(ppo, dict(epochs=bad), convert=True)


def test_named_objects_are_imported_only_for_class_or_function_arguments():
    ppo = algo("ppo")
    from spinup.algos.onpolicy import MLPActorCritic

    out = check_arguments(ppo, dict(actor_critic="spinup.algos.onpolicy:MLPActorCritic",
                                    ac_kwargs=dict(activation="nn.ReLU")), convert=True)
    assert out["actor_critic"] is MLPActorCritic and out["ac_kwargs"]["activation"] is torch.nn.ReLU
    sys.modules.pop("this", None)
    with pytest.raises(InvalidType, match="gamma: expected a number"):
        check_arguments(ppo, dict(gamma="this:s"), convert=True)
    assert "this" not in sys.modules
    with pytest.raises(UserError, match="actor_critic: could not import 'no_such_module_xyz'"):
        check_arguments(ppo, dict(actor_critic="no_such_module_xyz:Net"), convert=True)
    with pytest.raises(UserError, match="has no 'Nope'"):
        check_arguments(ppo, dict(actor_critic="json:Nope"), convert=True)


# ---------------------------------------------------------------------------------------------
# Rules between values.


def test_batch_size_at_most_replay_size():
    for name in ("ddpg", "td3", "sac", "dqn"):
        with pytest.raises(InvalidValue, match=r"batch_size: expected at most replay_size \(100\); got 500\."):
            check_arguments(algo(name), dict(batch_size=500, replay_size=100))
    with pytest.raises(InvalidValue, match=r"at most replay_size \(100000\)"):  # DQN's default replay_size
        check_arguments(algo("dqn"), dict(batch_size=200_000))
    check_arguments(algo("sac"), dict(batch_size=100, replay_size=100))


def test_epsilon_falls():
    with pytest.raises(InvalidValue, match=r"eps_end: expected at most eps_start \(0.5\)"):
        check_arguments(algo("dqn"), dict(eps_start=0.5, eps_end=0.9))


# ---------------------------------------------------------------------------------------------
# ac_kwargs.


@pytest.mark.parametrize("sizes", [[32, 0], [32, -1], [32, 2.5], [True], "64", 64.0, [[32]]])
def test_hidden_sizes_are_a_list_of_positive_ints(sizes):
    with pytest.raises((InvalidValue, InvalidType), match=r"ac_kwargs\['hidden_sizes'\]: expected hidden_sizes as "
                                                          r"a list or tuple of positive ints"):
        check_arguments(algo("ppo"), dict(ac_kwargs=dict(hidden_sizes=sizes)))


def test_no_hidden_layer_is_allowed():
    """An empty hidden_sizes: one linear layer on the encoder's features (the Nature DQN's head)."""
    assert check_arguments(algo("dqn"), dict(ac_kwargs=dict(hidden_sizes=[])))["ac_kwargs"]["hidden_sizes"] == []


def test_ac_kwargs():
    ppo, sac = algo("ppo"), algo("sac")
    check_arguments(ppo, dict(ac_kwargs=dict(hidden_sizes=(8,), activation=torch.nn.ELU)))
    assert check_arguments(ppo, dict(ac_kwargs=dict(hidden_sizes=64)), convert=True)["ac_kwargs"] == dict(
        hidden_sizes=(64,))
    with pytest.raises(InvalidType, match=r"ac_kwargs\['activation'\]: expected a torch.nn.Module class"):
        check_arguments(ppo, dict(ac_kwargs=dict(activation=torch.tanh)))
    with pytest.raises(InvalidType, match=r"ac_kwargs\['activation'\].*got 'relu'"):
        check_arguments(ppo, dict(ac_kwargs=dict(activation="relu")), convert=True)
    with pytest.raises(InvalidType, match=r"ac_kwargs\['hidden_size'\]: expected an argument of "
                                          r"MLPActorCritic \(hidden_sizes, activation, encoder\); got 'hidden_size'\. "
                                          r"Did you mean: hidden_sizes\?"):
        check_arguments(sac, dict(ac_kwargs=dict(hidden_size=[64])))

    class FlexibleAC(torch.nn.Module):
        def __init__(self, observation_space, action_space, **kwargs):
            super().__init__()

    check_arguments(ppo, dict(actor_critic=FlexibleAC, ac_kwargs=dict(anything=1)))


# ---------------------------------------------------------------------------------------------
# Environments and their keyword arguments.


class Sized(gym.Env):
    """Refuses a size below 1 when it is built."""

    def __init__(self, size: int = 5, render_mode=None):
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)


if "SpinupSized-v0" not in gym.registry:
    gym.register(id="SpinupSized-v0", entry_point=Sized)


def test_env_kwargs_keys_and_types():
    record = _typeless
    env = dict(env_name="CartPole-v1")
    assert check_arguments(record, dict(env, env_kwargs={"sutton_barto_reward": "True"}), convert=True)[
        "env_kwargs"] == {"sutton_barto_reward": True}
    with pytest.raises(InvalidType, match=r"env_kwargs\['sutton_barto_rewards'\]: expected an argument of "
                                          r"CartPoleEnv \(sutton_barto_reward, render_mode, max_episode_steps, "
                                          r"disable_env_checker\); got 'sutton_barto_rewards'"):
        check_arguments(record, dict(env, env_kwargs={"sutton_barto_rewards": True}))
    with pytest.raises(InvalidType, match=r"env_kwargs\['sutton_barto_reward'\]: expected True or False"):
        check_arguments(record, dict(env, env_kwargs={"sutton_barto_reward": "maybe"}), convert=True)
    with pytest.raises(InvalidType, match=r"env_kwargs\['max_episode_steps'\]: expected an int or None"):
        check_arguments(record, dict(env, env_kwargs={"max_episode_steps": "long"}), convert=True)
    with pytest.raises(InvalidType, match=r"env_kwargs\['g'\]: expected a number; got 'abc'"):
        check_arguments(record, dict(env_name="Pendulum-v1", env_kwargs={"g": "abc"}), convert=True)
    assert check_arguments(record, dict(env_name="Pendulum-v1", env_kwargs={"g": 9}))["env_kwargs"] == {"g": 9}
    with pytest.raises(InvalidType, match=r"env_kwargs: expected a dict"):
        check_arguments(record, dict(env, env_kwargs=[1]))


def test_env_kwargs_of_an_environment_that_passes_keywords_on():
    """HalfCheetah-v5 takes **kwargs (for MujocoEnv): its declared keywords are still typed, and
    an unknown one is found by building it."""
    pytest.importorskip("mujoco")
    env = dict(env_name="HalfCheetah-v5")
    assert check_arguments(_typeless, dict(env, env_kwargs={"frame_skip": 2}))["env_kwargs"] == {"frame_skip": 2}
    with pytest.raises(InvalidType, match=r"env_kwargs\['ctrl_cost_weight'\]: expected a number; got 'abc'"):
        check_arguments(_typeless, dict(env, env_kwargs={"ctrl_cost_weight": "abc"}), convert=True)
    with pytest.raises(InvalidType, match=r"env_kwargs\['bogus'\]: expected an argument that HalfCheetah-v5 "
                                          r"accepts \(xml_file, frame_skip, .*\); got 'bogus'\.$"):
        check_arguments(_typeless, dict(env, env_kwargs={"bogus": 1}))


def test_env_kwargs_are_tried_by_building_the_environment():
    with pytest.raises(InvalidValue, match=r"env_kwargs\['size'\]: expected values SpinupSized-v0 accepts; "
                                           r"got 0\. Building it failed: ValueError: size must be at least 1"):
        check_arguments(_typeless, dict(env_name="SpinupSized-v0", env_kwargs={"size": 0}))
    check_arguments(_typeless, dict(env_name="SpinupSized-v0", env_kwargs={"size": 2}))


def _typeless(seed=0, logger_kwargs=None, **kwargs):
    """An experiment function without type hints: only the environment flags are checked."""


def test_functions_without_hints_are_left_alone():
    assert check_arguments(_typeless, dict(seed="x", gamma="anything")) == dict(seed="x", gamma="anything")

    def strict(seed: int = 0):
        pass

    with pytest.raises(InvalidType, match="strict has no argument 'gamma'"):
        check_arguments(strict, dict(gamma=0.9))


def test_names_in_messages():
    assert Namer()("gamma") == "gamma" and Namer()("ac_kwargs:hidden_sizes") == "ac_kwargs['hidden_sizes']"
    assert Namer(cli=True)("env_kwargs:size") == "--env_kwargs:size"
    assert Namer({"ac_kwargs:hidden_sizes": "--hid"}, cli=True)("ac_kwargs:hidden_sizes") == "--hid"


# ---------------------------------------------------------------------------------------------
# Run options.


def test_exp_name_stays_inside_data_dir():
    for bad in ("../../etc", "/etc", "a/b", "..", ".", "a\\b"):
        with pytest.raises(InvalidValue, match="exp_name: expected a plain folder name"):
            check_exp_name(bad)
        with pytest.raises(InvalidValue):
            setup_logger_kwargs(bad, seed=0)
    assert check_exp_name("a..b") == "a..b"


def test_data_dir(tmp_path, monkeypatch):
    assert check_data_dir(str(tmp_path / "new" / "deeper")) == str(tmp_path / "new" / "deeper")
    (tmp_path / "file").write_text("x")
    for bad in (tmp_path / "file", tmp_path / "file" / "below"):
        with pytest.raises(InvalidValue, match="data_dir: expected a folder you can write to.*is a file"):
            check_data_dir(str(bad))
    assert not (tmp_path / "new").exists()  # the folders made to try writing are removed again
    if sys.platform.startswith("linux"):  # /proc refuses new folders, even to root
        with pytest.raises(InvalidValue, match="data_dir: expected a folder you can write to.*failed"):
            check_data_dir("/proc/spinup-data")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_data_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(InvalidValue, match="is not writable"):
            check_data_dir(str(ro / "data"))
    finally:
        ro.chmod(0o755)


def test_num_cpu():
    assert check_num_cpu("auto", 1) == "auto"
    assert check_num_cpu(2, 4000) == 2
    with pytest.raises(InvalidValue, match=r"num_cpu: expected at most steps_per_epoch \(3\) processes"):
        check_num_cpu(4, 3)
    with pytest.raises(InvalidValue, match="per core"):
        check_num_cpu(4 * (os.cpu_count() or 1) + 1)
    with pytest.raises(InvalidType):
        check_num_cpu(2.5)
    with pytest.raises(InvalidValue):
        check_num_cpu(0)


# ---------------------------------------------------------------------------------------------
# From Python: nothing is written.


@pytest.mark.parametrize("name", ALGO_NAMES)
def test_a_direct_call_fails_before_writing(name, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(InvalidValue, match="epochs: expected an int with epochs >= 1; got -3."):
        algo(name)(cartpole, epochs=-3, logger_kwargs=dict(output_dir=str(out)))
    with pytest.raises(InvalidType, match="epochs: expected an int"):
        algo(name)(cartpole, epochs="10", logger_kwargs=dict(output_dir=str(out)))
    assert not out.exists()


def test_a_grid_with_one_bad_value_fails_before_the_first_experiment(_data_dir, capsys):
    eg = ExperimentGrid(name="g")
    eg.add("env_name", "CartPole-v1")
    eg.add("gamma", [0.9, 0.99, 1.5])
    with pytest.raises(InvalidValue, match=r"^gamma: expected a number with 0 < gamma <= 1; got 1.5\.$"):
        eg.run(algo("ppo"))
    assert not _data_dir.exists()
    assert capsys.readouterr().out == ""  # failed before printing the grid


def test_a_grid_converts_and_checks_env_kwargs(_data_dir):
    eg = ExperimentGrid(name="g")
    eg.add("env_name", "CartPole-v1")
    eg.add("epochs", "3")
    eg.add("env_kwargs:sutton_barto_reward", "True")
    (experiment,) = eg._prepare_all(algo("ppo"), 1, None, False, None)
    assert experiment.kwargs["epochs"] == 3
    assert experiment.kwargs["env_fn"].env_kwargs == {"sutton_barto_reward": True}
    eg = ExperimentGrid(name="g")
    eg.add("env_name", "CartPole-v1")
    eg.add("env_kwargs:nope", 1)
    with pytest.raises(InvalidType, match=r"env_kwargs\['nope'\]"):
        eg.run(algo("ppo"))
    with pytest.raises(InvalidValue, match="data_dir"):
        ExperimentGrid(name="g").run(algo("ppo"), data_dir=os.devnull)
    assert not _data_dir.exists()


# ---------------------------------------------------------------------------------------------
# From the command line: one line, exit status 2, nothing written.


def one_line_failure(capsys, argv, *fragments, data_dir=None):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], err
    if data_dir is not None:
        assert not os.path.exists(data_dir) or not os.listdir(data_dir)
    return lines[0]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--epochs", "-3"], ["Error: --epochs: expected an int with epochs >= 1; got -3."]),
        (["--seed", "abc"], ["--seed: expected an int", "got 'abc'"]),
        (["--seed", "0", "abc"], ["--seed: expected an int", "got 'abc'"]),
        (["--gamma", "abc"], ["--gamma: expected a number with 0 < gamma <= 1; got 'abc'."]),
        (["--gamma", "0.9", "1.5"], ["--gamma: expected a number with 0 < gamma <= 1; got 1.5."]),
        (["--gamma", "this:s"], ["--gamma: expected a number", "got 'this:s'"]),
        (["--steps_per_epoch", "0"], ["--steps_per_epoch: expected an int with steps_per_epoch >= 1; got 0."]),
        (["--hid", "[32,"], ["--hid: expected hidden_sizes as a list", "got '[32,'"]),
        (["--hid[h]", "[32,32]", "[0]"], ["--hid: expected hidden_sizes as a list", "got [0]"]),
        (["--ac_kwargs:hidden_sizes", "[-1]"], ["--ac_kwargs:hidden_sizes: expected hidden_sizes as a list"]),
        (["--act", "torch.sigmoid"], ["--act: expected a torch.nn.Module class"]),
        (["--ac_kwargs:hidden", "[8]"], ["--ac_kwargs:hidden: expected an argument of MLPActorCritic"]),
        (["--env_kwargs:foo", "1"], ["--env_kwargs:foo: expected an argument of CartPoleEnv", "got 'foo'"]),
        (["--env_kwargs:sutton_barto_reward", "maybe"], ["--env_kwargs:sutton_barto_reward: expected True or False"]),
        (["--target_kl", "0"], ["--target_kl: expected a number with target_kl > 0; got 0."]),
        (["--epochs"], ["--epochs: expected an int with epochs >= 1; got no value."]),
        (["--exp_name", "../../etc"], ["--exp_name: expected a plain folder name", "'../../etc'"]),
        (["--exp_name", "/tmp/abs"], ["--exp_name: expected a plain folder name"]),
        (["--cpu", "100000"], ["--cpu: expected at most", "per core"]),
        (["--cpu", "3", "--steps_per_epoch", "2"], ["--cpu: expected at most steps_per_epoch (2) processes"]),
    ],
)
def test_command_line_values(args, fragments, capsys, _data_dir):
    one_line_failure(capsys, ["ppo", "--env", "CartPole-v1", *args], *fragments, data_dir=_data_dir)


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["sac", "--env", "Pendulum-v1", "--batch_size", "500", "--replay_size", "100"],
         ["--batch_size: expected at most replay_size (100); got 500."]),
        (["sac", "--env", "Pendulum-v1", "--alpha", "autox"], ["--alpha: expected a number with alpha > 0 or 'auto'"]),
        (["dqn", "--env", "CartPole-v1", "--eps_end", "0.5", "--eps_start", "0.2"], ["--eps_end: expected at most"]),
        (["trpo", "--env", "CartPole-v1", "--algo", "ppo"], ["--algo: expected one of 'trpo', 'npg'; got 'ppo'."]),
        (["ddpg", "--env", "Pendulum-v1", "--replay_size", "1e3", "--batch_size", "2000"],
         ["--batch_size: expected at most replay_size (1000); got 2000."]),
    ],
)
def test_command_line_rules_of_other_algorithms(argv, fragments, capsys, _data_dir):
    one_line_failure(capsys, argv, *fragments, data_dir=_data_dir)


def test_command_line_data_dir(tmp_path, capsys, monkeypatch):
    (tmp_path / "afile").write_text("x")
    one_line_failure(capsys, ["ppo", "--env", "CartPole-v1", "--data_dir", str(tmp_path / "afile")],
                     "--data_dir: expected a folder you can write to", "is a file")
    if sys.platform.startswith("linux"):  # /proc refuses new folders, even to root
        one_line_failure(capsys, ["ppo", "--env", "CartPole-v1", "--data_dir", "/proc/spinup-data"],
                         "--data_dir: expected a folder you can write to", "failed")


def test_command_line_converts_for_the_grid():
    from spinup.run import build_grid

    grid, _ = build_grid("ddpg", algo("ddpg"), ["--env", "Pendulum-v1", "--replay_size", "1e5", "--gamma", "1"])
    variant = grid.variants()[0]
    assert variant["replay_size"] == 100000 and type(variant["replay_size"]) is int
    assert variant["gamma"] == 1.0 and type(variant["gamma"]) is float
