"""The examples: the policy-gradient walkthrough learns CartPole, and the Logger example writes
the table it promises."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from learning_cases import CASES, check

EXAMPLES = Path(__file__).resolve().parents[1] / "spinup" / "examples"


def load(relpath):
    """Import an example file by path (the pg_math file names start with a digit)."""
    path = EXAMPLES / relpath
    spec = importlib.util.spec_from_file_location(path.stem.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reward_to_go_by_hand():
    rtg = load("pg_math/2_rtg_pg.py").reward_to_go
    np.testing.assert_allclose(rtg([1.0, 2.0, 3.0]), [6.0, 5.0, 3.0])
    np.testing.assert_allclose(rtg([1.0]), [1.0])


@pytest.mark.parametrize("fname", ["1_simple_pg.py", "2_rtg_pg.py"])
def test_pg_math_files_are_short_and_marked(fname):
    text = (EXAMPLES / "pg_math" / fname).read_text()
    assert len(text.splitlines()) < 150
    lines = {line.strip() for line in text.splitlines()}
    markers = ["# make core of policy network", "# make function to compute action distribution",
               "# make action selection function",
               "# make loss function whose gradient, for the right data, is policy gradient",
               "# make optimizer", "# for training policy"]
    if fname == "2_rtg_pg.py":
        markers.append("# reward-to-go")
    for marker in markers:
        assert marker in lines, f"{fname} lacks the docs marker {marker!r}"


@pytest.mark.slow
@pytest.mark.parametrize("fname, case", [("1_simple_pg.py", "pg_math_simple"), ("2_rtg_pg.py", "pg_math_rtg")])
def test_pg_math_learns_cartpole(fname, case, tmp_path):
    # 20 of the default 50 epochs keep the test short; calibrated for seeds 0-9 at 1 and 2
    # threads in tests/learning_cases.py and tests/calibration/.
    check(CASES[case], tmp_path)


def test_pg_math_command_line_renders_and_prints():
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    out = subprocess.run([sys.executable, str(EXAMPLES / "pg_math" / "1_simple_pg.py"), "--env", "CartPole-v1",
                          "--render", "--lr", "0.01", "--epochs", "1"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "epoch:   0" in out.stdout and "return:" in out.stdout and "ep_len:" in out.stdout


def test_pg_math_bad_env_is_a_friendly_error():
    out = subprocess.run([sys.executable, str(EXAMPLES / "pg_math" / "2_rtg_pg.py"), "--env", "CartPoel-v1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "CartPole-v1" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, str(EXAMPLES / "pg_math" / "2_rtg_pg.py"), "--env", "Pendulum-v1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "discrete actions" in out.stderr and "Traceback" not in out.stderr


def test_logger_example_writes_progress(tmp_path):
    train_regression = load("train_regression.py").train_regression
    out = tmp_path / "reg"
    test_loss = train_regression(steps_per_epoch=50, epochs=3, logger_kwargs=dict(output_dir=str(out)))
    lines = (out / "progress.txt").read_text().splitlines()
    assert lines[0].split("\t") == ["Epoch", "AverageLoss", "StdLoss", "MaxLoss", "MinLoss", "TestLoss",
                                    "TotalGradientSteps", "Time"]
    assert len(lines) == 4
    first, last = (dict(zip(lines[0].split("\t"), map(float, row.split("\t")), strict=True)) for row in (lines[1], lines[3]))
    assert last["TotalGradientSteps"] == 150
    assert last["TestLoss"] < first["TestLoss"]
    assert test_loss == pytest.approx(last["TestLoss"])
    assert (out / "config.json").exists() and (out / "pyt_save" / "model.pt").exists()


def test_grid_example_names():
    grid = load("grid_ppo_cartpole.py").make_grid(num_runs=2)
    names = sorted({grid.variant_name(v) for v in grid.variants()})
    assert names == ["ppo-grid_cartpole-v1_hid32_relu", "ppo-grid_cartpole-v1_hid32_tanh",
                     "ppo-grid_cartpole-v1_hid64-64_relu", "ppo-grid_cartpole-v1_hid64-64_tanh"]
    assert len(grid.variants()) == 8


@pytest.mark.slow
def test_grid_example_runs(_data_dir):
    results = load("grid_ppo_cartpole.py").main(["--num_runs", "1", "--epochs", "1", "--steps_per_epoch", "300",
                                                  "--parallel", "2"])
    assert len(results) == 4 and all(r.ok for r in results)
    assert len(list(_data_dir.glob("ppo-grid_cartpole-v1_*/*/progress.txt"))) == 4
