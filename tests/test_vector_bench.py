"""The vector-environment throughput benchmark (spinup.benchmarks.vector_throughput): its command
line, SB3's settings at several copies, one tiny run of each library, and the files it writes."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from spinup.benchmarks import summary
from spinup.benchmarks import vector_throughput as vt

ROOT = Path(__file__).resolve().parents[1]


def test_runs_with_python_m():
    out = subprocess.run([sys.executable, "-m", vt.MODULE, "--help"], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert f"python -m {vt.MODULE}" in out.stdout and "--num-envs" in out.stdout


def test_the_command_line_selects_the_settings():
    full = vt.parse_args([])
    assert (full.repeats, full.threads, full.out) == (3, 1, None)
    assert [(s.algo, s.env, s.num_envs) for s in full.settings] == [
        ("ppo", "HalfCheetah-v5", (1, 4, 8, 16)), ("ppo", "CartPole-v1", (1, 4, 8, 16)),
        ("sac", "HalfCheetah-v5", (1, 4)), ("dqn", "CartPole-v1", (1, 4))]
    assert all(s.hyperparams["steps_per_epoch"] == 4000 for s in full.settings if s.algo == "ppo")
    quick = vt.parse_args(["--quick", "--only", "dqn", "--num-envs", "2"])
    assert quick.repeats == 1
    assert [(s.algo, s.env, s.num_envs) for s in quick.settings] == [("dqn", "CartPole-v1", (2,))]
    ppo = vt.parse_args(["--only", "ppo", "--envs", "CartPole-v1", "--threads", "2"])
    assert [(s.algo, s.env) for s in ppo.settings] == [("ppo", "CartPole-v1")] and ppo.threads == 2


@pytest.mark.parametrize("argv, message", [
    (["--only", "ppo", "--num-envs", "3"], "--num-envs: ppo steps 4000 per epoch"),
    (["--only", "sac", "--num-envs", "5"], "--num-envs: sac updates every 48 steps"),
    (["--only", "dqn", "--envs", "HalfCheetah-v5"], "--envs: HalfCheetah-v5 is not measured here for dqn"),
    (["--repeats", "0"], "--repeats must be 1 or more, not 0"),
])
def test_the_command_line_refuses_what_cannot_run(argv, message, capsys):
    with pytest.raises(SystemExit):
        vt.parse_args(argv)
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("num_envs", [1, 4, 8, 16])
def test_sb3_updates_on_the_same_batch_at_every_number_of_copies(num_envs):
    cls_name, kwargs = vt.sb3_settings("ppo", vt.PPO_FULL, num_envs)
    assert cls_name == "PPO"
    assert kwargs["n_steps"] * num_envs == kwargs["batch_size"] == 4000  # one full-batch step per SB3 epoch
    assert kwargs["n_epochs"] == 80
    assert kwargs["policy_kwargs"]["net_arch"] == dict(pi=[64, 64], vf=[64, 64])
    assert kwargs["policy_kwargs"]["activation_fn"] is torch.nn.Tanh


@pytest.mark.parametrize("algo, hyperparams", [("sac", vt.SAC_FULL), ("dqn", vt.DQN_FULL)])
@pytest.mark.parametrize("num_envs", [1, 4])
def test_sb3_takes_one_gradient_step_per_environment_step(algo, hyperparams, num_envs):
    _, kwargs = vt.sb3_settings(algo, hyperparams, num_envs)
    calls, unit = kwargs["train_freq"]
    assert unit == "step"
    assert kwargs["gradient_steps"] == calls * num_envs == hyperparams["update_every"]
    assert (kwargs["batch_size"], kwargs["learning_starts"]) == (100, 1000)
    assert kwargs["policy_kwargs"]["net_arch"] == [256, 256]


@pytest.mark.parametrize("impl", vt.IMPLS)
def test_a_tiny_run_counts_every_step_of_every_copy(impl):
    hyperparams = dict(steps_per_epoch=64, epochs=1, start_steps=32, update_after=32, update_every=4,
                       num_test_episodes=0)
    spec = dict(impl=impl, algo="dqn", env="CartPole-v1", num_envs=2, seed=0, threads=torch.get_num_threads(),
                hyperparams=hyperparams, window=(32, 64))
    result = vt.train_and_time(spec)
    assert result["steps"] == 64
    assert result["steps_per_s"] > 0 and result["window_steps_per_s"] > 0
    assert result["steps_per_s"] == pytest.approx(64 / result["seconds"])


def fake_rows():
    """PPO on HalfCheetah at 1 and 8 copies, 3 repeats: spinup's medians 1000 and 1600, SB3's 500
    and 800."""
    figures = {("spinup", 1): [1000, 1100, 900], ("spinup", 8): [1600, 1500, 1700],
               ("sb3", 1): [500, 450, 550], ("sb3", 8): [800, 700, 900]}
    rows = []
    for rep in range(3):
        for n in (1, 8):
            for impl in vt.IMPLS:
                rate = figures[(impl, n)][rep]
                rows.append(dict(date="today", algo="ppo", env="HalfCheetah-v5", num_envs=n, impl=impl, repeat=rep,
                                 seed=rep, threads=1, load_1min=0.5 + rep, steps=4000, seconds=4000 / rate,
                                 steps_per_s=rate, cpu_steps_per_s=rate, window_steps_per_s=rate))
    return rows


def test_the_summary_gives_medians_ratios_scaling_targets_and_the_committed_comparison(tmp_path):
    meta = dict(stamp="today", command="python -m x", threads=1, repeats=3, wall_s=90.0, load_start=0.5,
                load_end=2.5, windows=[("ppo", "HalfCheetah-v5", (4000, 20000))])
    committed = {("ppo", "HalfCheetah-v5"): dict(spinup=1250.0, sb3=400.0, load="0.96")}
    text = vt.write_results(fake_rows(), str(tmp_path), dict(commit="abc1234", cpu="CPU", cores=2), meta,
                            committed)
    assert {p.name for p in tmp_path.iterdir()} == {"vector_throughput.csv", "vector_throughput.md",
                                                    "vector_throughput.png"}
    assert len(vt.read_csv(str(tmp_path / "vector_throughput.csv"))) == 12
    assert "| ppo | HalfCheetah-v5 | 8 | 1600 | 800 | 2.00× | 2.00× | 1.60× | 1.60× | 0.5-2.5 |" in text
    assert "at 8 copies ≥ 1.5× our own 1-copy throughput: 1.60× (met)" in text
    assert "met at 2 of 2 configurations." in text
    # Now 1000 against 1250 committed (0.80×), while SB3 went from 400 to 500 (1.25×): not met.
    assert "| ppo | HalfCheetah-v5 | 1250 | 1000 | 0.80× | 400 | 500 | 1.25× | 0.96 | 0.5-2.5 | not met |" in text
    assert "## Reading the table (written by hand after this run)" in text


def test_the_committed_figures_are_read_from_the_results_folder():
    committed = vt.committed_figures(summary.results_root(), threads=1)
    assert set(committed) == {("ppo", "HalfCheetah-v5"), ("sac", "HalfCheetah-v5"), ("dqn", "CartPole-v1")}
    assert all(c["spinup"] > 0 and c["sb3"] > 0 and c["load"] != "not recorded" for c in committed.values())
