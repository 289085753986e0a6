"""ExperimentGrid naming (spinup.utils.grid), output folders (run_folders), experiments run in
subprocesses (launch), and the original's run_utils names."""

import json
import os
import re
import subprocess
import sys

import pytest
import run_helpers
import torch

import spinup.user_config as uc
from spinup.utils import grid, launch, ray_backend, run_entrypoint, run_folders, run_utils
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError
from spinup.utils.grid import ExperimentGrid, default_shorthand, valid_str
from spinup.utils.launch import call_experiment, prepare_experiment
from spinup.utils.run_folders import setup_logger_kwargs

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def helpers_importable(monkeypatch):
    """Let experiment subprocesses import tests/run_helpers.py."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [TESTS_DIR, os.environ.get("PYTHONPATH")])))


def read_received(output_dir):
    with open(os.path.join(output_dir, "received.json")) as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------------
# Names.


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.1, "0-1"),
        ([32, 32], "32-32"),
        ((64,), "64"),
        (torch.nn.Tanh, "tanh"),
        (torch.nn.ReLU, "relu"),
        ("HalfCheetah-v5", "halfcheetah-v5"),
        ("a b/c", "a-b-c"),
        (True, "true"),
        (3e-4, "0-0003"),
    ],
)
def test_valid_str(value, expected):
    assert valid_str(value) == expected


@pytest.mark.parametrize(
    "key, expected",
    [
        ("clip_ratio", "cli"),
        ("ac_kwargs:hidden_sizes", "ac-hid"),
        ("ac_kwargs:activation", "ac-act"),
        ("env_name", "env"),
        ("train_v_iters", "tra"),
        ("steps_per_epoch", "ste"),
        ("bugged", "bug"),
    ],
)
def test_default_shorthand(key, expected):
    assert default_shorthand(key) == expected


def test_docs_example_hid_and_act_names():
    """--hid[h] [300] [128,128] --act tanh relu gives _h128-128_ac-actrelu and friends."""
    eg = ExperimentGrid(name="")
    eg.add("ac_kwargs:hidden_sizes", [[300], [128, 128]], shorthand="h")
    eg.add("ac_kwargs:activation", [torch.nn.Tanh, torch.nn.ReLU])
    names = sorted(eg.variant_name(v) for v in eg.variants())
    assert names == ["h128-128_ac-actrelu", "h128-128_ac-acttanh", "h300_ac-actrelu", "h300_ac-acttanh"]
    eg.name("exp")
    assert eg.variant_name(eg.variants()[0]) == "exp_h300_ac-acttanh"


def test_clip_ratio_name_and_single_values_left_out():
    eg = ExperimentGrid(name="ppo")
    eg.add("clip_ratio", [0.1, 0.2])
    eg.add("gamma", 0.99)  # one value: not in the name
    assert [eg.variant_name(v) for v in eg.variants()] == ["ppo_cli0-1", "ppo_cli0-2"]


def test_empty_shorthand_puts_the_value_alone():
    eg = ExperimentGrid(name="bench")
    eg.add("env_name", "CartPole-v0", "", True)
    assert eg.variant_name(eg.variants()[0]) == "bench_cartpole-v0"


def test_seed_never_in_the_name_and_booleans():
    eg = ExperimentGrid(name="x")
    eg.add("seed", [0, 10, 20], in_name=True)
    eg.add("bugged", [False, True])
    names = [eg.variant_name(v) for v in eg.variants()]
    assert names == ["x", "x_bug"] * 3


def test_in_name_and_no_default_shorthand(monkeypatch):
    monkeypatch.setattr(uc, "DEFAULT_SHORTHAND", False)
    eg = ExperimentGrid(name="x")
    eg.add("epochs", 5, in_name=True)
    assert eg.variant_name(eg.variants()[0]) == "x_epochs5"


def test_first_key_is_the_outermost_loop_and_nested_keys():
    eg = ExperimentGrid()
    eg.add("a", [1, 2])
    eg.add("b:c", [3, 4])
    eg.add("b:d:e", "deep")
    assert eg.variants() == [
        {"a": 1, "b": {"c": 3, "d": {"e": "deep"}}},
        {"a": 1, "b": {"c": 4, "d": {"e": "deep"}}},
        {"a": 2, "b": {"c": 3, "d": {"e": "deep"}}},
        {"a": 2, "b": {"c": 4, "d": {"e": "deep"}}},
    ]
    assert eg.variant_name(eg.variants()[1]) == "a1_b-c4"


def test_one_list_valued_setting_must_be_wrapped():
    eg = ExperimentGrid()
    eg.add("hid", [[64, 64]])
    eg.add("sizes", (32, 32))
    assert eg.variants() == [{"hid": [64, 64], "sizes": (32, 32)}]


def test_key_given_whole_and_nested_is_refused():
    eg = ExperimentGrid()
    eg.add("ac_kwargs", [dict(hidden_sizes=(8,))])
    eg.add("ac_kwargs:activation", [torch.nn.ReLU])
    with pytest.raises(UserError, match="You can't assign multiple values to the same key."):
        eg.variants()


def test_add_checks_its_arguments():
    eg = ExperimentGrid()
    with pytest.raises(UserError):
        eg.add(3, [1])
    with pytest.raises(UserError):
        eg.add("a", [1], shorthand=5)
    eg.add("a", [1])
    with pytest.raises(UserError, match="twice"):
        eg.add("a", [2])
    with pytest.raises(UserError):
        ExperimentGrid(name=7)


def test_print_lists_parameters_and_counts(capsys):
    eg = ExperimentGrid(name="grid")
    eg.add("seed", [0, 1, 2])
    eg.add("clip_ratio", [0.1, 0.2], "cr")
    eg.add("ac_kwargs:activation", torch.nn.ReLU)
    eg.print()
    out = capsys.readouterr().out
    assert "ExperimentGrid grid runs over parameters:" in out
    assert "[cr]" in out and "ReLU" in out
    assert re.search(r"Variants, counting seeds:\s+6", out)
    assert re.search(r"Variants, not counting seeds:\s+2", out)


# ---------------------------------------------------------------------------------------------
# Output folders.


def test_setup_logger_kwargs_folders(tmp_path):
    kw = setup_logger_kwargs("exp", seed=3, data_dir=str(tmp_path))
    assert kw == dict(output_dir=str(tmp_path / "exp" / "exp_s3"), exp_name="exp")
    assert setup_logger_kwargs("exp", data_dir=str(tmp_path))["output_dir"] == str(tmp_path / "exp")
    kw = setup_logger_kwargs("exp", seed=0, data_dir=str(tmp_path), snapshots=True, tensorboard=True)
    assert kw["snapshots"] is True and kw["tensorboard"] is True


def test_setup_logger_kwargs_datestamp_has_four_digit_year(tmp_path):
    out = setup_logger_kwargs("exp", seed=10, data_dir=str(tmp_path), datestamp=True)["output_dir"]
    rel = os.path.relpath(out, tmp_path)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_exp/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-exp_s10", rel), rel


def test_user_config_is_read_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setattr(uc, "DEFAULT_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setattr(uc, "FORCE_DATESTAMP", True)
    out = setup_logger_kwargs("exp", seed=0)["output_dir"]
    assert out.startswith(str(tmp_path / "elsewhere"))
    assert re.search(r"/\d{4}-\d\d-\d\d_exp/", out)


# ---------------------------------------------------------------------------------------------
# Running experiments.


def test_call_experiment_runs_the_thunk_in_a_subprocess(helpers_importable, _data_dir, capsys):
    result = call_experiment("demo", run_helpers.record_kwargs, seed=7, env_name="Pendulum-v1",
                             env_kwargs={"g": 9.0}, lr=0.1)
    out_dir = str(_data_dir / "demo" / "demo_s7")
    assert result.ok and result.output_dir == out_dir
    got = read_received(out_dir)
    assert got["seed"] == 7
    assert got["logger_kwargs"] == {"output_dir": out_dir, "exp_name": "demo"}
    assert got["kwargs"] == {"lr": "0.1"}
    assert got["env_fn"] == "EnvFactory" and got["env_id"] == "Pendulum-v1"
    assert got["env_kwargs"]["g"] == "9.0"
    out = capsys.readouterr().out
    assert "Running experiment:" in out and "\"env_name\":\t\"Pendulum-v1\"" in out
    assert "End of experiment." in out
    assert f"python -m spinup.run plot {out_dir}" in out
    assert f"python -m spinup.run test_policy {out_dir}" in out


def test_call_experiment_failure_prints_the_error_banner_and_raises(helpers_importable, capfd):
    with pytest.raises(subprocess.CalledProcessError):
        call_experiment("bad", run_helpers.record_kwargs, fail=True)
    captured = capfd.readouterr()
    assert "There appears to have been an error in your experiment." in captured.out
    assert "failing on purpose" in captured.err


def test_user_error_inside_the_experiment_is_one_message_and_status_2(helpers_importable, capfd):
    with pytest.raises(subprocess.CalledProcessError) as info:
        call_experiment("oops", run_helpers.record_kwargs, user_error=True)
    assert info.value.returncode == 2
    err = capfd.readouterr().err
    assert "Error: The value of user_error was True; set it to False." in err
    assert "Traceback" not in err


def test_env_name_becomes_an_env_factory():
    exp = prepare_experiment("e", run_helpers.record_kwargs, env_name="Pendulum-v1",
                                       env_kwargs={"g": 9.0}, env_pkg=None)
    env_fn = exp.kwargs["env_fn"]
    assert isinstance(env_fn, EnvFactory)
    assert env_fn.to_json() == {"env_name": "Pendulum-v1", "env_kwargs": {"g": 9.0}}
    assert "env_name" not in exp.kwargs and "env_kwargs" not in exp.kwargs


def test_num_cpu_auto_and_bad_values():
    exp = prepare_experiment("e", run_helpers.record_kwargs, num_cpu="auto")
    assert exp.kwargs["seed"] == 0
    with pytest.raises(UserError, match="num_cpu"):
        prepare_experiment("e", run_helpers.record_kwargs, num_cpu=0)
    with pytest.raises(UserError, match="function to call"):
        prepare_experiment("e", "not a function")


def test_resume_writes_into_the_given_folder(tmp_path, monkeypatch):
    run_dir = tmp_path / "old" / "old_s0"
    with pytest.raises(UserError, match="does not exist"):
        prepare_experiment("new", run_helpers.record_kwargs, resume=str(run_dir))
    run_dir.mkdir(parents=True)
    with pytest.raises(UserError, match="resume.pt"):
        prepare_experiment("new", run_helpers.record_kwargs, resume=str(run_dir))
    (run_dir / "resume.pt").write_bytes(b"")
    (run_dir / "config.json").write_text(json.dumps({"exp_name": "old"}))
    exp = prepare_experiment("new", run_helpers.record_kwargs, resume=str(run_dir),
                                       logger_options={"snapshots": True})
    assert exp.output_dir == str(run_dir) and exp.exp_name == "old"
    assert exp.kwargs["logger_kwargs"] == {"output_dir": str(run_dir), "exp_name": "old", "snapshots": True}


def test_grid_runs_in_sequence_past_a_failure(helpers_importable, _data_dir, capsys):
    eg = ExperimentGrid(name="seq")
    eg.add("fail", [True, False])
    eg.add("seed", [0, 1])
    results = eg.run(run_helpers.record_kwargs, check=False)
    assert [(r.exp_name, r.status) for r in results] == [
        ("seq_fai", "failed"), ("seq_fai", "failed"), ("seq", "ok"), ("seq", "ok")]
    assert os.path.isfile(_data_dir / "seq" / "seq_s1" / "received.json")
    out = capsys.readouterr().out
    assert "Preparing to run the following experiments..." in out
    assert "Summary of the experiments:" in out and "2 of 4 experiments finished; 2 failed." in out


def test_grid_runs_in_parallel_with_log_files(helpers_importable, _data_dir, capsys):
    eg = ExperimentGrid(name="par")
    eg.add("env_name", "CartPole-v1", "", True)
    eg.add("fail", [False, True])
    eg.add("seed", [0, 1])
    results = eg.run(run_helpers.record_kwargs, parallel=2, logger_options={"snapshots": True}, check=False)
    assert sorted(r.status for r in results) == ["failed", "failed", "ok", "ok"]
    for r in results:
        assert os.path.isfile(os.path.join(r.output_dir, "output.log")) and r.wall_time > 0
        got = read_received(r.output_dir)
        assert got["logger_kwargs"]["snapshots"] is True
    assert [r.status for r in results] == ["ok", "ok", "failed", "failed"]  # fail varies slowest
    failed_log = open(os.path.join(results[2].output_dir, "output.log")).read()
    assert "failing on purpose" in failed_log and "Running experiment:" in failed_log
    out = capsys.readouterr().out
    assert out.count("[start]") == 4 and out.count("[done]") == 2 and out.count("[FAILED]") == 2
    assert "2 of 4 experiments finished; 2 failed." in out


SIGTERM_DRIVER = """
import sys
import run_helpers
from spinup.utils.grid import ExperimentGrid
eg = ExperimentGrid(name="term")
eg.add("seed", [0, 1, 2])
try:
    eg.run(run_helpers.sleep_long, parallel=2, data_dir=sys.argv[1])
except KeyboardInterrupt:
    print("grid interrupted")
    sys.exit(130)
"""


def test_sigterm_stops_a_parallel_grid_and_its_experiments(helpers_importable, _data_dir, tmp_path):
    """`kill` of a grid started in the background: its running experiments are terminated, the
    waiting one never starts, and the caller sees KeyboardInterrupt (so its cleanup runs)."""
    import signal
    import time

    driver = subprocess.Popen([sys.executable, "-c", SIGTERM_DRIVER, str(tmp_path / "grid")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pid_files = [tmp_path / "grid" / "term" / f"term_s{s}" / "pid" for s in (0, 1)]
    deadline = time.time() + 60
    while not all(p.exists() and p.read_text() for p in pid_files):
        assert time.time() < deadline and driver.poll() is None, driver.stdout.read()
        time.sleep(0.1)
    children = [int(p.read_text()) for p in pid_files]
    driver.send_signal(signal.SIGTERM)
    out, _ = driver.communicate(timeout=30)
    assert driver.returncode == 130 and "grid interrupted" in out, out
    for pid in children:  # gone: the driver waited for them
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (tmp_path / "grid" / "term" / "term_s2" / "pid").exists()


def test_grid_thunk_named_by_a_parameter(helpers_importable, _data_dir):
    eg = ExperimentGrid(name="named")
    eg.add("algo", [run_helpers.record_kwargs], in_name=False)
    (result,) = eg.run("algo")
    assert result.ok and read_received(result.output_dir)["seed"] == 0


def test_grid_refuses_shared_folders_and_unknown_backends():
    eg = ExperimentGrid(name="same")
    eg.add("x", [0.5, "0.5"])
    with pytest.raises(UserError, match="same folder"):
        eg.run(run_helpers.record_kwargs)
    eg = ExperimentGrid(name="ok")
    with pytest.raises(UserError, match="for the Ray backend"):
        eg.run(run_helpers.record_kwargs, address="auto")
    with pytest.raises(UserError, match="Unknown backend"):
        eg.run(run_helpers.record_kwargs, backend="slurm")
    with pytest.raises(UserError, match="parallel"):
        eg.run(run_helpers.record_kwargs, parallel=0)


def test_launch_countdown(helpers_importable, monkeypatch, capsys):
    monkeypatch.setattr(uc, "WAIT_BEFORE_LAUNCH", 0.05)
    eg = ExperimentGrid(name="wait")
    eg.run(run_helpers.record_kwargs)
    captured = capsys.readouterr()
    assert "Launch delayed to give you a few seconds" in captured.out
    assert "Launching in..." in captured.err


def test_run_utils_offers_the_original_names_from_their_homes():
    """``spinup.utils.run_utils`` re-exports; each name is the object of the module it lives in."""
    homes = {"ExperimentGrid": grid, "ExperimentsFailed": grid, "valid_str": grid, "default_shorthand": grid,
             "call_experiment": launch, "prepare_experiment": launch, "Experiment": launch,
             "ExperimentResult": launch, "summary_text": launch, "run_on_ray": ray_backend,
             "require_ray": ray_backend, "encode_thunk": run_entrypoint,
             "setup_logger_kwargs": run_folders, "check_resume_dir": run_folders}
    assert sorted(run_utils.__all__) == sorted(homes)
    for name, module in homes.items():
        assert getattr(run_utils, name) is getattr(module, name), name
