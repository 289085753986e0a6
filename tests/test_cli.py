"""The command line (spinup.run): grammar, values, checks before launch, errors, and full runs."""

import json
import os
import subprocess
import sys

import pytest
import run_helpers
import torch

from spinup import run
from spinup.algos import ALGOS
from spinup.run import build_grid, main, parse_value, read_flags, read_run_options
from spinup.utils.errors import UserError

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def ppo_fn():
    return run.load_algo("ppo")


def fails_with(capsys, argv, *fragments):
    """Run main(argv); it must exit with status 2 and print each fragment, and no traceback."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def tiny_env(tmp_path, monkeypatch):
    """A real package in a temporary folder that registers the environment SpinupTiny-v0."""
    folder = tmp_path / "envpkgs"
    name = run_helpers.write_tiny_env_package(str(folder))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), TESTS_DIR]))
    return name


# ---------------------------------------------------------------------------------------------
# Help and dispatch.


@pytest.mark.parametrize("argv", [[], ["help"], ["-h"], ["--help"]])
def test_help_lists_commands_substitutions_and_an_example(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    for name in list(ALGOS) + ["plot", "test_policy", "bench"]:
        assert name in out
    assert "--env       for  --env_name" in out
    assert "--hid       for  --ac_kwargs:hidden_sizes" in out
    assert "--dt        for  --datestamp" in out
    assert "python -m spinup.run ppo --env CartPole-v1" in out


def test_algorithm_help_shows_its_docstring(capsys):
    assert main(["ppo", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Showing docstring for spinup.ppo:" in out and "clip_ratio" in out
    assert main(["ppo_pytorch", "--env", "CartPole-v1", "-h"]) == 0
    assert "Showing docstring for spinup.ppo:" in capsys.readouterr().out


def test_the_word_help_as_a_value_is_just_a_value(capsys):
    err = fails_with(capsys, ["ppo", "--exp_name", "help", "--env", "NoSuchEnv-v0"], "NoSuchEnv-v0")
    assert "Showing docstring" not in err


def test_utilities_run_in_process(monkeypatch, capsys):
    monkeypatch.setitem(run.UTILITIES, "echo", "run_helpers")
    assert main(["echo", "data/x", "--flag"]) == 0
    assert "utility got ['data/x', '--flag']" in capsys.readouterr().out
    assert main(["echo", "--fail"]) == 3


def test_unknown_command_and_tf1(capsys):
    fails_with(capsys, ["pp0"], "Unknown command 'pp0'.", "Did you mean: ppo?")
    fails_with(capsys, ["ppo_tf1"], "TensorFlow 1 is not supported in spinup; use ppo")


def test_module_and_console_script_behave_the_same(tmp_path):
    """`python -m spinup.run`, `python -m spinup` and the `spinup` script print the same help."""
    outputs = []
    script = os.path.join(os.path.dirname(sys.executable), "spinup")
    for cmd in ([sys.executable, "-m", "spinup.run", "help"], [sys.executable, "-m", "spinup", "help"], [script, "help"]):
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    done = subprocess.run([script, "ppo_tf1"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "TensorFlow 1 is not supported" in done.stderr


# ---------------------------------------------------------------------------------------------
# Grammar and values.


def test_tokens_flags_values_and_booleans():
    flags = read_flags(["--env", "CartPole-v1", "LunarLander-v3", "--exp_name", "a--b", "--dt",
                        "--gamma=0.9", "--seed", "-1", "0"])
    assert flags["env_name"].values == ["CartPole-v1", "LunarLander-v3"]
    assert flags["exp_name"].values == ["a--b"]  # a value containing -- is still a value
    assert flags["datestamp"].values == [True]
    assert flags["gamma"].values == [0.9]
    assert flags["seed"].values == [-1, 0]


def test_shorthands_substitutions_and_nested_keys():
    flags = read_flags(["--hid[h]", "[32,32]", "[64,32]", "--act", "nn.Tanh", "--cpu", "2",
                        "--env[]", "CartPole-v1", "--env_kwargs:sutton_barto_reward", "True"])
    hid = flags["ac_kwargs:hidden_sizes"]
    assert hid.values == [[32, 32], [64, 32]] and hid.shorthand == "h"
    assert flags["ac_kwargs:activation"].values == [torch.nn.Tanh]
    assert flags["num_cpu"].values == [2]
    assert flags["env_name"].shorthand == ""
    assert flags["env_kwargs:sutton_barto_reward"].values == [True]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.1", 0.1),
        ("10", 10),
        ("1e-3", 1e-3),
        ("[64,64]", [64, 64]),
        ("64,64", (64, 64)),
        ("(32,)", (32,)),
        ("{'a': 1}", {"a": 1}),
        ("None", None),
        ("False", False),
        ("inf", float("inf")),
        ("torch.nn.ReLU", torch.nn.ReLU),
        ("nn.Tanh", torch.nn.Tanh),
        ("torch.tanh", torch.tanh),
        ("json.decoder:JSONDecoder", "json.decoder:JSONDecoder"),  # imported later, and only for a class or function
        ("gym", "gym"),
        ("json", "json"),
        ("sys", "sys"),
        ("HalfCheetah-v5", "HalfCheetah-v5"),
        ("__import__('os').system('true')", "__import__('os').system('true')"),
    ],
)
def test_values_are_never_evaluated(text, expected):
    assert parse_value(text) == expected


def test_bad_named_values(capsys):
    with pytest.raises(UserError, match="Did you mean: ReLU"):
        parse_value("nn.Relu")
    fails_with(capsys, ["ppo", "--env", "CartPole-v1", "--actor_critic", "no_such_module_xyz:Thing"],
               "--actor_critic: could not import 'no_such_module_xyz'")
    fails_with(capsys, ["ppo", "--env", "CartPole-v1", "--actor_critic", "json:Nope"], "has no 'Nope'")


def test_named_objects_are_imported_for_class_or_function_arguments_only(capsys):
    grid, _ = build_grid("ppo", ppo_fn(), ["--env", "CartPole-v1", "--actor_critic",
                                           "spinup.algos.onpolicy:MLPActorCritic"])
    from spinup.algos.onpolicy import MLPActorCritic

    assert grid.variants()[0]["actor_critic"] is MLPActorCritic
    assert grid.variant_name(grid.variants()[0]) == "cmd_ppo"
    sys.modules.pop("this", None)
    fails_with(capsys, ["ppo", "--env", "CartPole-v1", "--gamma", "this:s"],
               "--gamma: expected a number with 0 < gamma <= 1; got 'this:s'.")
    assert "this" not in sys.modules  # `--gamma this:s` imports nothing


def test_grid_from_the_command_line_names_like_the_docs():
    grid, options = build_grid("ppo", ppo_fn(), [
        "--env", "CartPole-v1", "--hid[h]", "[300]", "[128,128]", "--act", "nn.Tanh", "nn.ReLU",
        "--clip_ratio", "0.1", "--seed", "0", "10"])
    names = sorted({grid.variant_name(v) for v in grid.variants()})
    assert names == ["cmd_ppo_h128-128_ac-actrelu", "cmd_ppo_h128-128_ac-acttanh",
                     "cmd_ppo_h300_ac-actrelu", "cmd_ppo_h300_ac-acttanh"]
    assert len(grid.variants()) == 8
    first = grid.variants()[0]
    assert first["ac_kwargs"] == {"hidden_sizes": [300], "activation": torch.nn.Tanh}
    assert first["env_name"] == "CartPole-v1" and first["clip_ratio"] == 0.1
    assert options == dict(num_cpu=1, data_dir=None, datestamp=False, parallel=1, logger_options={})


def test_run_keys_and_defaults():
    grid, options = build_grid("ppo", ppo_fn(), [
        "--env", "CartPole-v1", "--exp_name", "mine", "--data_dir", "out", "--dt", "--cpu", "auto",
        "--parallel", "3", "--snapshots", "--clip_ratio", "0.1", "0.2"])
    assert options == dict(num_cpu="auto", data_dir="out", datestamp=True, parallel=3,
                           logger_options={"snapshots": True})
    assert [grid.variant_name(v) for v in grid.variants()] == ["mine_cli0-1", "mine_cli0-2"]
    grid, _ = build_grid("ppo", ppo_fn(), ["--env", "CartPole-v1"])
    assert grid.variant_name(grid.variants()[0]) == "cmd_ppo"


def test_exp_name_stays_a_string():
    grid, _ = build_grid("ppo", ppo_fn(), ["--env", "CartPole-v1", "--exp_name", "1e3"])
    assert grid.variant_name(grid.variants()[0]) == "1e3"


def test_cpu_above_one_only_for_on_policy_algorithms():
    with pytest.raises(UserError, match="ddpg can't be run with --cpu above 1"):
        read_run_options("ddpg", read_flags(["--cpu", "2"]))
    with pytest.raises(UserError, match="sac can't be run with --cpu above 1"):
        read_run_options("sac", read_flags(["--cpu", "auto"]))
    assert read_run_options("sac", read_flags(["--cpu", "1"]))["num_cpu"] == 1
    assert read_run_options("vpg", read_flags(["--cpu", "4"]))["num_cpu"] == 4


def test_cpu_with_an_off_policy_algorithm_fails_before_launch(capsys):
    fails_with(capsys, ["dqn", "--env", "CartPole-v1", "--cpu", "2"], "dqn can't be run with --cpu above 1",
               "--parallel N")


# ---------------------------------------------------------------------------------------------
# Every mistake: a short message and exit status 2.


@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["ppo", "CartPole-v1"], ["You didn't specify a first flag", "'CartPole-v1'"]),
        (["ppo", "--env", "CartPole-v1", "--clip_rati", "0.1"],
         ["Unknown flag --clip_rati for ppo.", "Did you mean: --clip_ratio?", "ppo accepts:", "--target_kl"]),
        (["ppo", "--epochs", "1"], ["You did not give an environment: add --env"]),
        (["ppo", "--env", "CartPol-v1"], ["'CartPol-v1' is not a registered", "CartPole-v1"]),
        (["ppo", "--env", "CartPole-v1", "--exp_name", "a", "b"], ["You can only provide one value for --exp_name"]),
        (["ppo", "--env", "CartPole-v1", "--data_dir", "a", "b"], ["You can only provide one value for --data_dir"]),
        (["ppo", "--env", "CartPole-v1", "--cpu", "1", "2"], ["You can only provide one value for --cpu"]),
        (["ppo", "--env", "CartPole-v1", "--cpu", "zero"], ["--cpu needs a whole number (1 or more) or auto"]),
        (["ppo", "--env", "CartPole-v1", "--cpu", "100000"], ["--cpu: expected at most", "per core"]),
        (["ppo", "--env", "CartPole-v1", "--dt", "maybe"], ["--dt is a switch"]),
        (["ppo", "--env", "CartPole-v1", "--parallel", "0"], ["--parallel needs a whole number"]),
        (["ppo", "--env", "CartPole-v1", "--gamma", "0.99x"],
         ["--gamma: expected a number with 0 < gamma <= 1; got '0.99x'."]),
        (["ppo", "--env", "CartPole-v1", "--epochs"], ["--epochs: expected an int with epochs >= 1; got no value."]),
        (["ppo", "--env", "CartPole-v1", "--act", "nn.Relu"], ["torch.nn has no 'Relu'", "ReLU"]),
        (["ppo", "--env", "CartPole-v1", "--resume", "no/such/run"], ["Cannot resume", "does not exist"]),
        (["ppo", "--env", "CartPole-v1", "--seed", "0", "--seed", "1"], ["--seed is given twice"]),
        (["ppo", "--env", "CartPole-v1", "--env_name", "Acrobot-v1"], ["given twice"]),
        (["ppo", "--env", "CartPole-v1", "--hid[h", "[8]"], ["Cannot read the flag --hid[h"]),
        (["ppo", "--env", "CartPole-v1", "--", "x"], ["'--' is not a flag"]),
        (["ppo", "--env", "CartPole-v1", "--env_fn", "x"], ["Give the environment with --env"]),
        (["ppo", "--env", "CartPole-v1", "--logger_kwargs", "{}"], ["--exp_name, --data_dir and --dt"]),
        (["ppo", "--env", "CartPole-v1", "--env_pkg", "no_such_env_pkg_xyz"], ["Could not import the environment package"]),
        (["ppo", "--env", "CartPole-v1", "--hid", "[8]", "--ac_kwargs", "{}"],
         ["You can't assign multiple values to the same key."]),
        (["ppo", "--env", "CartPole-v1", "--exp_name"], ["--exp_name needs a value"]),
    ],
)
def test_command_line_mistakes(argv, fragments, capsys):
    fails_with(capsys, argv, *fragments)


def test_resume_mistakes(tmp_path, capsys):
    run_dir = tmp_path / "old_s0"
    run_dir.mkdir()
    fails_with(capsys, ["ppo", "--env", "CartPole-v1", "--resume", str(run_dir)], "holds no resume.pt")
    (run_dir / "resume.pt").write_bytes(b"")
    fails_with(capsys, ["ppo", "--env", "CartPole-v1", "--resume", str(run_dir), "--seed", "0", "1"],
               "--resume continues one run")
    fails_with(capsys, ["ppo", "--env", "CartPole-v1", "--resume"], "--resume needs the folder")


def test_custom_environment_package(tiny_env, capsys):
    grid, _ = build_grid("ppo", ppo_fn(), ["--env_pkg", tiny_env, "--env", "SpinupTiny-v0",
                                           "--env_kwargs:size", "3"])
    assert grid.variants()[0]["env_kwargs"] == {"size": 3}
    grid, _ = build_grid("ppo", ppo_fn(), ["--env", f"{tiny_env}:SpinupTiny-v0"])
    fails_with(capsys, ["ppo", "--env", f"{tiny_env}:SpinupTiy-v0"], "Did you mean: SpinupTiny-v0")


# ---------------------------------------------------------------------------------------------
# Whole runs, as a user types them.


def spinup_run(args, cwd, env=None):
    full_env = dict(os.environ, OMP_NUM_THREADS="1", SPINUP_WAIT_BEFORE_LAUNCH="0", **(env or {}))
    full_env.pop("SPINUP_DATA_DIR", None)  # the default: data/ under the working directory
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], capture_output=True, text=True,
                          cwd=cwd, env=full_env, timeout=300)


@pytest.mark.slow
def test_ppo_from_the_command_line(tmp_path):
    done = spinup_run(["ppo", "--env", "CartPole-v1", "--epochs", "1", "--steps_per_epoch", "200",
                       "--exp_name", "t"], cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run_dir = tmp_path / "data" / "t" / "t_s0"
    rows = (run_dir / "progress.txt").read_text().splitlines()
    assert len(rows) == 2 and rows[0].split("\t")[0] == "Epoch"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["exp_name"] == "t" and config["env_fn"] == {"env_name": "CartPole-v1"}
    assert config["steps_per_epoch"] == 200
    assert "End of experiment." in done.stdout
    assert f"python -m spinup.run plot {run_dir}" in done.stdout
    assert f"python -m spinup.run test_policy {run_dir}" in done.stdout


@pytest.mark.slow
def test_parallel_grid_on_a_custom_env_reports_a_failed_variant(tiny_env, tmp_path):
    """Two variants at once on the user's own environment; the one with a broken activation
    (a Module class that passes the checks but cannot be built without arguments) fails, the
    other finishes, and the exit status says that one failed."""
    done = spinup_run(["ppo", "--env", f"{tiny_env}:SpinupTiny-v0", "--env_kwargs:size", "4",
                       "--epochs", "2", "--steps_per_epoch", "40", "--save_freq", "1", "--hid", "(8,)",
                       "--act", "nn.Tanh", "nn.Linear", "--snapshots", "--parallel", "2"],
                      cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    good = tmp_path / "data" / "cmd_ppo_ac-acttanh" / "cmd_ppo_ac-acttanh_s0"
    bad = tmp_path / "data" / "cmd_ppo_ac-actlinear" / "cmd_ppo_ac-actlinear_s0"
    assert len((good / "progress.txt").read_text().splitlines()) == 3
    config = json.loads((good / "config.json").read_text())
    assert config["env_fn"] == {"env_name": f"{tiny_env}:SpinupTiny-v0", "env_kwargs": {"size": 4}}
    assert (good / "pyt_save" / "model0.pt").is_file() and (good / "pyt_save" / "model1.pt").is_file()
    assert "Traceback" in (bad / "output.log").read_text()
    assert "1 of 2 experiments finished; 1 failed." in done.stdout


def test_hid_with_a_bare_number_means_one_layer():
    grid, _ = build_grid("ppo", ppo_fn(), ["--env", "CartPole-v1", "--hid", "64", "[32,32]"])
    sizes = [v["ac_kwargs"]["hidden_sizes"] for v in grid.variants()]
    assert sizes == [(64,), [32, 32]]
