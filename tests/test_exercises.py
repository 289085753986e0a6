"""The exercises: every solution passes its own check, every blank exercise fails with the
friendly "not implemented yet" message, and wrong answers are caught with a useful hint."""

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from spinup.exercises.check import main

SOLUTIONS = Path(__file__).resolve().parents[1] / "spinup" / "exercises" / "problem_set_1_solutions"


def run_check(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def mutated_solution(tmp_path, name, old, new):
    """A copy of a solution file with one line changed: a learner's typical mistake."""
    text = (SOLUTIONS / name).read_text()
    assert old in text
    path = tmp_path / f"answer_{abs(hash(new))}.py"
    path.write_text(text.replace(old, new))
    return str(path)


# ---------------------------------------------------------------------------------------------
# Blank exercises and bad input


@pytest.mark.parametrize("exercise, function", [("1.1", "gaussian_likelihood"), ("1.2", "mlp"),
                                                ("1.3", "compute_loss_q")])
def test_blank_exercise_fails_kindly(capsys, exercise, function):
    rc, out, err = run_check(capsys, exercise)
    assert rc == 1
    assert "not implemented yet" in err and "YOUR CODE HERE" in err and function in err
    assert f"exercise{exercise.replace('.', '_')}.py" in err
    assert "Traceback" not in out + err


def test_blank_exercise_from_the_command_line():
    out = subprocess.run([sys.executable, "-m", "spinup.exercises.check", "1.1"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    assert "not implemented yet" in out.stderr and "problem_set_1/exercise1_1.py" in out.stderr
    assert "Traceback" not in out.stderr
    ok = subprocess.run([sys.executable, "-m", "spinup.exercises.check", "1.1", "--solution"], capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and "Congratulations" in ok.stdout


def test_unknown_exercise_and_option(capsys):
    rc, _, err = run_check(capsys, "3.7")
    assert rc == 2 and "1.1" in err
    rc, _, err = run_check(capsys, "1.1", "--epochs", "3")
    assert rc == 2 and "--epochs" in err
    rc, _, err = run_check(capsys, "1.1", "--file", "no/such/file.py")
    assert rc == 2 and "no such file" in err


# ---------------------------------------------------------------------------------------------
# 1.1


def test_1_1_solution_passes(capsys):
    rc, out, _ = run_check(capsys, "1.1", "--solution")
    assert rc == 0 and "Congratulations" in out


def test_1_1_solution_agrees_with_torch_normal():
    from spinup.exercises.problem_set_1_solutions.exercise1_1_soln import gaussian_likelihood

    x, mu, log_std = torch.randn(6, 3), torch.randn(6, 3), torch.randn(3)
    want = torch.distributions.Normal(mu, log_std.exp()).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_likelihood(x, mu, log_std), want)
    # by hand: x = mu, std 1, one dimension -> -log(2 pi) / 2
    got = gaussian_likelihood(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1))
    assert got.item() == pytest.approx(-0.5 * math.log(2 * math.pi))


def test_1_1_wrong_answers_fail(capsys, tmp_path):
    no_sum = mutated_solution(tmp_path, "exercise1_1_soln.py", "return -0.5 * per_dim.sum(dim=-1)",
                              "return -0.5 * per_dim")
    rc, out, _ = run_check(capsys, "1.1", "--file", no_sum)
    assert rc == 1 and "shape [32]" in out and "incorrect" in out
    var_for_std = mutated_solution(tmp_path, "exercise1_1_soln.py", "2 * log_std + LOG_2PI", "log_std + LOG_2PI")
    rc, out, _ = run_check(capsys, "1.1", "--file", var_for_std)
    assert rc == 1 and "differ from the reference" in out
    numpy = mutated_solution(tmp_path, "exercise1_1_soln.py", "return -0.5 * per_dim.sum(dim=-1)",
                             "return -0.5 * per_dim.sum(dim=-1).detach()")
    rc, out, _ = run_check(capsys, "1.1", "--file", numpy)
    assert rc == 1 and "no gradient" in out


# ---------------------------------------------------------------------------------------------
# 1.2


def test_1_2_wrong_pieces_are_caught_before_training(capsys, tmp_path):
    bad_init = mutated_solution(tmp_path, "exercise1_2_soln.py", "torch.full((act_dim,), -0.5)",
                                "torch.zeros(act_dim)")
    rc, out, _ = run_check(capsys, "1.2", "--file", bad_init)
    assert rc == 1 and "start at -0.5" in out and "Training" not in out
    bad_sample = mutated_solution(tmp_path, "exercise1_2_soln.py",
                                  "self.mu + torch.exp(self.log_std) * torch.randn_like(self.mu)",
                                  "self.mu + self.log_std * torch.randn_like(self.mu)")
    rc, out, _ = run_check(capsys, "1.2", "--file", bad_sample)
    assert rc == 1 and "std = exp(log_std)" in out


@pytest.mark.slow
def test_1_2_solution_passes_small_budget(capsys):
    rc, out, _ = run_check(capsys, "1.2", "--solution", "--budget", "small")
    assert rc == 0, out[-2000:]
    assert "Congratulations" in out and "the bar is 30" in out


# ---------------------------------------------------------------------------------------------
# 1.3


def test_1_3_solution_passes(capsys):
    rc, out, _ = run_check(capsys, "1.3", "--solution")
    assert rc == 0 and "Congratulations" in out and "--train" in out


@pytest.mark.parametrize("old, new, hint", [
    ("torch.min(q1_targ, q2_targ)", "q1_targ", "Q1_targ only"),
    ("gamma * (1 - d)", "gamma", "(1 - d)"),
    ("torch.clamp(target_noise * noise, -noise_clip, noise_clip)", "target_noise * noise", "not seem to be clipped"),
    ("return ((q1 - y) ** 2).mean() + ((q2 - y) ** 2).mean()", "return ((q1 - y) ** 2).mean()", "compute_loss_q gives"),
    ("return -q1_pi.mean()", "return q1_pi.mean()", "sign is flipped"),
    ("q1_pi, _ = ac.q(obs, ac.pi(obs))", "_, q1_pi = ac.q(obs, ac.pi(obs))", "Q1 only"),
    ("q1_pi, _ = ac.q(obs, ac.pi(obs))", "q1_pi, _ = ac.q(obs, ac.pi(obs).detach())", "does not reach the policy"),
])
def test_1_3_mistakes_get_hints(capsys, tmp_path, old, new, hint):
    rc, out, _ = run_check(capsys, "1.3", "--file", mutated_solution(tmp_path, "exercise1_3_soln.py", old, new))
    assert rc == 1 and hint in out and "incorrect" in out


@pytest.mark.slow
def test_1_3_solution_trains(capsys):
    rc, out, _ = run_check(capsys, "1.3", "--solution", "--train")
    assert rc == 0, out[-2000:]
    assert "Trained with your losses on Pendulum-v1" in out


# ---------------------------------------------------------------------------------------------
# Problem set 2: the sweeps run (tiny budgets) and save their plots


@pytest.mark.slow
def test_2_2_sweep_runs_and_plots(capsys, _data_dir):
    rc, out, _ = run_check(capsys, "2.2", "--total_steps", "600", "--steps_per_epoch", "300", "--start_steps", "200",
                           "-n", "1")
    assert rc == 0, out[-3000:]
    assert "ex2-2_ddpg_pendulum-v1_bug" in out and "AverageTestEpRet" in out
    assert len(list(_data_dir.glob("*_ex2-2.png"))) == 1
    assert len(list(_data_dir.glob("*ex2-2_ddpg_pendulum-v1*/*/progress.txt"))) == 2


def test_2_x_small_budgets_run_several_seeds():
    """The exercises page says the small budgets run several seeds: they do."""
    from spinup.exercises.problem_set_2 import exercise2_1, exercise2_2

    assert exercise2_1.BUDGETS["small"]["num_runs"] >= 3
    assert exercise2_2.BUDGETS["small"]["num_runs"] >= 3


def test_2_x_plot_shows_this_invocations_runs_only(_data_dir, monkeypatch):
    """An earlier run of the same experiment on the same day shares the dated parent folder; the
    plot must not average it into the new curves."""
    import json

    import spinup.utils.plot as plot
    from spinup.exercises.problem_set_2 import plot_runs
    from spinup.utils.launch import ExperimentResult

    parent = _data_dir / "2026-01-01_ex2-1_hopper-v5_v0"
    for name in ("earlier_s0", "now_s0"):
        run = parent / name
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"exp_name": "ex2-1_hopper-v5_v0"}))
        (run / "progress.txt").write_text("Epoch\tTotalEnvInteracts\tAverageEpRet\n0\t10\t1.0\n1\t20\t2.0\n")
    plotted = []
    monkeypatch.setattr(plot, "make_plots", lambda folders, **kw: plotted.extend(folders) or [kw["save"]])
    now = ExperimentResult(exp_name="ex2-1_hopper-v5_v0", output_dir=str(parent / "now_s0"), status="ok",
                           returncode=0, wall_time=1.0)
    assert plot_runs([now], str(_data_dir / "p.png")) == [str(_data_dir / "p.png")]
    assert [Path(f).name for f in plotted] == ["now_s0"]
    assert all(f.endswith("/") for f in plotted)  # a folder taken as it is, not a name prefix
    assert len(plot.get_all_datasets(plotted)) == 1  # and the plotter reads that one run only


def test_2_x_runs_share_the_cores(monkeypatch):
    """Two runs side by side on two cores get one thread each; a user's own setting is kept."""
    import os

    from spinup.exercises.problem_set_2 import threads_per_run

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    with threads_per_run(2):
        assert os.environ["OMP_NUM_THREADS"] == "1" and os.environ["MKL_NUM_THREADS"] == "1"
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with threads_per_run(2):
        assert os.environ["OMP_NUM_THREADS"] == "2"


def test_2_2_bugged_critic_gives_a_matrix_loss():
    """The bug the exercise hides: Q of shape [batch, 1] broadcast against targets of shape [batch]."""
    import gymnasium as gym

    from spinup.algos.ddpg.core import ddpg_target
    from spinup.exercises.problem_set_2.exercise2_2 import BuggedActorCritic

    env = gym.make("Pendulum-v1")
    ac = BuggedActorCritic(env.observation_space, env.action_space, hidden_sizes=(8,))
    obs, act = torch.randn(5, 3), torch.rand(5, 1) * 4 - 2
    q = ac.q(obs, act)
    target = ddpg_target(torch.ones(5), obs, torch.zeros(5), ac.pi, ac.q, 0.99)
    assert q.shape == (5, 1) and (q - target).shape == (5, 5)


@pytest.mark.slow
def test_2_1_sweep_runs_and_plots(capsys, _data_dir):
    pytest.importorskip("spinup.algos.trpo.trpo")
    rc, out, _ = run_check(capsys, "2.1", "--env", "InvertedPendulum-v5", "--epochs", "2", "--steps_per_epoch", "400",
                           "-n", "1")
    assert rc == 0, out[-3000:]
    assert "ex2-1_invertedpendulum-v5_v0" in out and "ex2-1_invertedpendulum-v5_v80" in out
    assert len(list(_data_dir.glob("*_ex2-1.png"))) == 1
