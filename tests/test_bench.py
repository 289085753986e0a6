"""The benchmark harness: suite definitions, the summary's maths, resuming, a real end-to-end
run of the tiny 'smoke' suite, the Stable-Baselines3 runner, and where the benchmarks and their
results live."""

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import get_algo
from spinup.benchmarks import harness, summary
from spinup.benchmarks.sb3_runner import SB3_ALGOS, sb3_arguments, sb3_runner
from spinup.benchmarks.suites import ACTION_SPACES, PENDULUM, SUITES, Case, EnvSpec, fits, get_suite
from spinup.run import main as cli
from spinup.utils.checkpoint import load_resume_checkpoint
from spinup.utils.errors import UserError
from spinup.utils.plot import read_progress

# ---------------------------------------------------------------------------------------------
# Suite definitions.


def space_kind(env_spec: EnvSpec) -> str:
    env = env_spec.factory()()
    try:
        return type(env.action_space).__name__
    finally:
        env.close()


@pytest.mark.parametrize("name", list(SUITES))
def test_each_algorithm_runs_only_where_its_action_space_fits(name):
    suite = get_suite(name)
    kinds = {}
    for case in suite.cases:
        if case.env.label not in kinds:
            kinds[case.env.label] = space_kind(case.env)
            assert kinds[case.env.label] == case.env.action_space, case.env.label
        assert fits(case.algo, case.impl, case.env), case.exp_name
        if case.impl == "sb3":
            assert case.algo in SB3_ALGOS
    names = [c.exp_name for c in suite.cases]
    assert len(names) == len(set(names)), "two cases would share a run folder"


def test_classic_runs_every_fitting_algorithm_with_its_sb3_twin_on_five_seeds():
    suite = get_suite("classic")
    envs = {c.env.label: c.env for c in suite.cases}
    assert set(envs) == {"CartPole-v1", "Acrobot-v1", "Pendulum-v1", "LunarLander-v3", "LunarLanderContinuous-v3"}
    assert envs["LunarLanderContinuous-v3"].env_name == "LunarLander-v3"
    assert envs["LunarLanderContinuous-v3"].env_kwargs == {"continuous": True}
    labels = {(c.env.label, c.label) for c in suite.cases}
    for env in envs.values():
        for algo, spaces in ACTION_SPACES.items():
            assert ((env.label, algo) in labels) == (env.action_space in spaces), (env.label, algo)
            assert ((env.label, f"sb3-{algo}") in labels) == fits(algo, "sb3", env), (env.label, algo)
    assert all(c.seeds == (0, 1, 2, 3, 4) for c in suite.cases)
    # SB3 runs with exactly the hyperparameters of spinup's run beside it.
    by_label = {(c.env.label, c.label): c for c in suite.cases}
    for (env, _), case in by_label.items():
        if case.impl == "sb3":
            twin = by_label[(env, case.algo)]
            assert (case.epochs, case.steps_per_epoch, case.hyperparams) == (
                twin.epochs, twin.steps_per_epoch, twin.hyperparams)


def test_classic_fits_in_three_hours_on_two_cores(tmp_path):
    plan = harness.make_plan(get_suite("classic").cases, get_suite("classic"), str(tmp_path))
    plan.unavailable.clear()
    plan.todo = [(c, s) for c in plan.cases for s in c.seeds]
    plan.estimates = {c.exp_name: harness.estimate_seconds(c, str(tmp_path)) for c in plan.cases}
    total, wall = harness.estimated_wall(plan, parallel=2)
    assert len(plan.todo) == 205
    assert wall < 3 * 3600 and total / 2 <= wall


def test_mujoco_suites_follow_their_protocols():
    short = get_suite("mujoco-short")
    assert {c.env.label for c in short.cases} == {"HalfCheetah-v5", "Hopper-v5"}
    assert {c.algo for c in short.cases} == {"ddpg", "td3", "sac", "ppo"}
    assert all(c.total_steps == 100_000 and len(c.seeds) == 3 for c in short.cases)
    full = get_suite("mujoco-full")
    assert {c.env.label for c in full.cases} == {f"{e}-v5" for e in ("HalfCheetah", "Hopper", "Walker2d", "Swimmer", "Ant")}
    assert all(c.total_steps == 3_000_000 for c in full.cases)
    assert all(len(c.seeds) == (3 if c.on_policy else 10) for c in full.cases)


# ---------------------------------------------------------------------------------------------
# The summary's maths, on hand-made progress.txt files.


def write_progress(path, columns: dict) -> None:
    os.makedirs(path, exist_ok=True)
    keys = list(columns)
    rows = zip(*(columns[k] for k in keys), strict=True)
    with open(os.path.join(path, "progress.txt"), "w") as f:
        f.write("\t".join(keys) + "\n")
        for row in rows:
            f.write("\t".join(str(v) for v in row) + "\n")


def test_final_return_is_the_mean_of_the_last_five_values_of_the_metric(tmp_path):
    steps = [1000 * (i + 1) for i in range(7)]
    write_progress(tmp_path / "on", dict(Epoch=range(7), AverageEpRet=[0, 100, 1, 2, 3, 4, 5],
                                         TotalEnvInteracts=steps, Time=[1, 2, 3, 4, 5, 6, 8]))
    write_progress(tmp_path / "off", dict(Epoch=range(1, 8), AverageEpRet=[9] * 7,
                                          AverageTestEpRet=[0, 0, 10, 20, "nan", 40, 50],
                                          TotalEnvInteracts=steps, Time=[1] * 6 + [3.5]))
    on = read_progress(str(tmp_path / "on" / "progress.txt"))
    off = read_progress(str(tmp_path / "off" / "progress.txt"))
    assert summary.final_return(on, "AverageEpRet") == pytest.approx(3.0)  # (1+2+3+4+5)/5
    assert summary.final_return(off, "AverageTestEpRet") == pytest.approx(30.0)  # NaN left out
    assert summary.steps_per_second(on) == pytest.approx(7000 / 8)
    assert summary.steps_per_second(off) == pytest.approx(2000)
    # Case.metric picks the column by family.
    assert Case("ppo", EnvSpec("A", "A"), 1, 1).metric == "AverageEpRet"
    assert Case("sac", EnvSpec("A", "A"), 1, 1).metric == "AverageTestEpRet"


def test_mean_std_over_seeds_and_max_of_the_seed_averaged_curve(tmp_path):
    # Three seeds; the mean curve is [1, 5, 4] (max 5 at 2000 steps) although the best single
    # point (9) lies elsewhere: the metric is the max of the mean, not the mean of the maxes.
    curves = [[0, 6, 3], [3, 6, 9], [0, 3, 0]]
    progresses = []
    for seed, curve in enumerate(curves):
        write_progress(tmp_path / f"s{seed}", dict(Epoch=range(3), AverageEpRet=curve,
                                                   TotalEnvInteracts=[1000, 2000, 3000], Time=[1, 2, 3]))
        progresses.append(read_progress(str(tmp_path / f"s{seed}" / "progress.txt")))
    best, std_there, at = summary.max_of_mean_curve(progresses, "AverageEpRet")
    assert (best, at) == (pytest.approx(5.0), 2000)
    assert std_there == pytest.approx(np.std([6, 6, 3], ddof=1))
    mean, std = summary.mean_std([1.0, 2.0, 6.0])
    assert (mean, std) == (pytest.approx(3.0), pytest.approx(np.sqrt(7.0)))  # sample std, ddof=1
    assert np.isnan(summary.mean_std([4.0])[1])
    row = summary.summarise("Env", "ppo", "AverageEpRet", progresses, 5, 3000)
    assert row.seeds_done == 3 and row.seeds_planned == 5
    finals = [3.0, 6.0, 1.0]  # each run's mean over its (last 5, here all 3) values
    assert row.final == (pytest.approx(np.mean(finals)), pytest.approx(np.std(finals, ddof=1)))
    table = summary.table_markdown([row])
    assert "| Env | ppo | 3/5 | 3k | 3.3 ± 2.5 | 5.0 ± 1.7 (2k) | 1,000 |" in table


def test_max_of_mean_curve_uses_the_points_every_seed_has(tmp_path):
    write_progress(tmp_path / "a", dict(TotalEnvInteracts=[1, 2, 3], AverageEpRet=[1, 2, 100], Time=[1, 2, 3]))
    write_progress(tmp_path / "b", dict(TotalEnvInteracts=[1, 2], AverageEpRet=[3, 4], Time=[1, 2]))
    progresses = [read_progress(str(tmp_path / x / "progress.txt")) for x in "ab"]
    assert summary.max_of_mean_curve(progresses, "AverageEpRet")[:1] == (pytest.approx(3.0),)


def test_runs_csv_round_trip_and_gzip_when_large(tmp_path, monkeypatch):
    write_progress(tmp_path / "r", dict(Epoch=[0, 1], AverageEpRet=[1.5, 2.5], TotalEnvInteracts=[10, 20],
                                        Time=[0.1, 0.2], LossPi=[7, 8]))
    progress = read_progress(str(tmp_path / "r" / "progress.txt"))
    runs = [dict(env="E", algo="ppo", seed=3, complete=True, progress=progress)]
    path = summary.write_runs_csv(runs, str(tmp_path / "out"))
    assert path.endswith("runs.csv")
    data = summary.read_runs_csv(path)
    assert list(data.columns) == ["env", "algo", "seed", "complete", *summary.CSV_COLUMNS]
    assert data["AverageEpRet"].tolist() == [1.5, 2.5] and data["seed"].tolist() == [3, 3]
    monkeypatch.setattr(summary, "GZIP_ABOVE_BYTES", 10)
    path = summary.write_runs_csv(runs, str(tmp_path / "out"))
    assert path.endswith("runs.csv.gz") and not os.path.exists(tmp_path / "out" / "runs.csv")
    assert summary.read_runs_csv(path)["TotalEnvInteracts"].tolist() == [10, 20]


# ---------------------------------------------------------------------------------------------
# Planning and resuming.


def test_finished_runs_are_skipped_and_unfinished_ones_run_again(tmp_path):
    suite = get_suite("smoke")
    cases = harness.select_cases(suite, sb3=False)
    (case,) = cases
    root = str(tmp_path / "runs")
    finished = harness.run_dir(case, 0, root)
    write_progress(finished, dict(Epoch=[0, 1], AverageEpRet=[1, 2], TotalEnvInteracts=[200, 400], Time=[1, 2]))
    partial = harness.run_dir(case, 1, root)
    write_progress(partial, dict(Epoch=[0], AverageEpRet=[1], TotalEnvInteracts=[200], Time=[1]))
    with open(os.path.join(partial, "progress.txt"), "a") as f:
        f.write("1\t2\t40")  # a row cut off mid-write does not count
    assert harness.rows_done(partial) == 1
    plan = harness.make_plan(cases, suite, root)
    assert [(c.exp_name, s) for c, s in plan.finished] == [(case.exp_name, 0)]
    assert [(c.exp_name, s) for c, s in plan.todo] == [(case.exp_name, 1)]
    # The estimate now uses the measured speed of the finished run (400 steps in 2 s).
    assert harness.estimate_seconds(case, root) == pytest.approx(harness.STARTUP_S + 400 / 200)


def test_an_interrupted_off_policy_run_resumes_exactly(tmp_path):
    """The harness resumes a stopped spinup run from its checkpoint. For an off-policy algorithm
    the checkpoint must hold the replay buffer, or the resumed run differs from the one the table
    claims: epochs 1-2, then 3-4 in a second launch, must write the rows of an uninterrupted run."""
    tiny = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), start_steps=100, update_after=100, update_every=50,
                batch_size=32, num_test_episodes=1, max_ep_len=150)
    whole = Case("td3", PENDULUM, 4, 200, tiny, seeds=(0,))

    def rows(path):
        progress = read_progress(os.path.join(path, "progress.txt"))
        return progress.drop(columns="Time").to_dict("records")

    reference, stopped = str(tmp_path / "reference"), str(tmp_path / "stopped")
    harness.run_case(whole, seed=0, logger_kwargs=dict(output_dir=reference, progress=False))
    # A launch stopped after epoch 2 leaves the checkpoint that the harness's arguments write then.
    first_half = dict(harness.algo_arguments(whole), epochs=2)
    get_algo("td3")(PENDULUM.factory(), seed=0, logger_kwargs=dict(output_dir=stopped, progress=False), **first_half)
    harness.run_case(whole, seed=0, logger_kwargs=dict(output_dir=stopped, progress=False))
    assert len(rows(reference)) == 4 and rows(stopped) == rows(reference)
    # A finished run keeps its checkpoint (weights, optimizers, counters) but not the buffer.
    state = load_resume_checkpoint(stopped)
    assert "buffer" not in state and state["epoch"] == 4


def test_an_interrupted_launch_records_the_runs_it_finished(tmp_path, monkeypatch):
    root, results = tmp_path / "smoke", tmp_path / "results"  # the runs go to DATA_DIR/SUITE
    (case,) = harness.select_cases(get_suite("smoke"), sb3=False)

    def finish_one_then_stop(plan, *args):
        write_progress(harness.run_dir(case, 0, str(root)),
                       dict(Epoch=[0, 1], AverageEpRet=[1, 2], TotalEnvInteracts=[200, 400], Time=[1, 2]))
        raise KeyboardInterrupt

    monkeypatch.setattr(harness, "launch", finish_one_then_stop)
    with pytest.raises(KeyboardInterrupt):
        harness.main(["smoke", "--no-sb3", "--data_dir", str(tmp_path), "--results_dir", str(results)])
    (session,) = summary.load_meta(str(results))["sessions"]
    assert session["interrupted"] and session["completed"] == 1 and session["launched"] == 0


def test_summary_reports_failed_and_missing_runs_and_the_best_of_each_library(tmp_path):
    suite = get_suite("smoke")
    cases = harness.select_cases(suite)
    ppo, sb3_ppo = cases
    root, results = str(tmp_path / "runs"), str(tmp_path / "results")
    for seed, curve in ((0, [10, 30]), (1, [20, 40])):
        write_progress(harness.run_dir(ppo, seed, root), dict(Epoch=[0, 1], AverageEpRet=curve,
                                                            TotalEnvInteracts=[200, 400], Time=[1, 2]))
    write_progress(harness.run_dir(sb3_ppo, 0, root), dict(Epoch=[0, 1], AverageEpRet=[5, 6],
                                                         TotalEnvInteracts=[200, 400], Time=[1, 4]))
    crashed = harness.run_dir(sb3_ppo, 1, root)
    write_progress(crashed, dict(Epoch=[0], AverageEpRet=[5], TotalEnvInteracts=[200], Time=[1]))
    meta = dict(sessions=[dict(failures=[crashed])])
    table = harness.write_summary(suite, cases, root, results, meta)
    assert "| CartPole-v1 | ppo | 2/2 | 0.4k | 25.0 ± 7.1 | 35.0 ± 7.1 (0.4k) | 200 |" in table
    assert "| CartPole-v1 | sb3-ppo | 1/2 | 0.4k | 5.5 | 6.0 (0.4k) | 100 |" in table
    assert "| CartPole-v1 | ppo: 25.0 ± 7.1 | sb3-ppo: 5.5 | 475 |" in table
    readme = open(os.path.join(results, "README.md")).read()
    assert f"sb3-ppo on CartPole-v1, seed 1: failed, see {os.path.join(crashed, 'output.log')}" in readme
    data = summary.read_runs_csv(os.path.join(results, "runs.csv"))
    assert data.groupby(["algo", "seed"])["complete"].first().to_dict() == {
        ("ppo", 0): 1, ("ppo", 1): 1, ("sb3-ppo", 0): 1, ("sb3-ppo", 1): 0}
    assert os.path.getsize(os.path.join(results, "CartPole-v1.png")) > 1000


def test_launch_groups_and_makespan():
    env = EnvSpec("E", "E")
    long, short = Case("sac", env, 10, 100), Case("ppo", env, 1, 100)
    todo = [(short, 0), (short, 1), (long, 0), (long, 1), (Case("dqn", env, 1, 1), 1)]
    groups = harness.launch_groups(todo, {long.exp_name: 50.0, short.exp_name: 5.0})
    assert [(seeds, [c.exp_name for c in cases]) for seeds, cases in groups] == [
        ([0, 1], [long.exp_name, short.exp_name]), ([1], ["dqn_e"])]
    assert harness.makespan([5, 3, 3, 1], 2) == 6
    assert harness.makespan([], 2) == 0


def test_command_line_mistakes_are_user_errors(capsys):
    with pytest.raises(UserError, match="Unknown benchmark suite"):
        harness.main(["atari"])
    with pytest.raises(UserError, match="no algorithm a2c"):
        harness.main(["classic", "--algos", "a2c", "--dry-run"])
    with pytest.raises(UserError, match="no environment MountainCar"):
        harness.main(["classic", "--envs", "MountainCar-v0", "--dry-run"])
    with pytest.raises(UserError, match="--backend ray"):
        harness.main(["smoke", "--address", "auto", "--dry-run"])
    with pytest.raises(SystemExit) as e:
        cli(["bench", "atari"])
    assert e.value.code == 2


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    assert harness.main(["classic", "--dry-run", "--parallel", "2", "--results_dir", str(tmp_path / "res")]) == 0
    out = capsys.readouterr().out
    assert "Runs planned: 205" in out and "wall time with --parallel 2" in out
    assert not (tmp_path / "res").exists()


# ---------------------------------------------------------------------------------------------
# One package for the code, one folder for the results.

ROOT = Path(__file__).resolve().parents[1]


def test_benchmarking_code_lives_only_in_spinup_benchmarks():
    assert not (ROOT / "spinup" / "bench.py").exists()
    assert not list((ROOT / "benchmarks").glob("*.py"))  # benchmarks/ holds the results and their README
    assert not (ROOT / "spinup" / "examples" / "bench_ppo_cartpole.py").exists()  # now grid_ppo_cartpole.py
    assert (ROOT / "benchmarks" / "results").is_dir()


@pytest.mark.parametrize("module", ["onpolicy_throughput", "offpolicy_throughput"])
def test_throughput_modules_run_with_python_m(module):
    out = subprocess.run([sys.executable, "-m", f"spinup.benchmarks.{module}", "--help"], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert f"python -m spinup.benchmarks.{module}" in out.stdout


def test_results_go_to_the_checkouts_folder_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert summary.results_root() == str(ROOT / "benchmarks" / "results")
    monkeypatch.setattr(summary, "checkout_root", lambda: None)  # spinup installed, not a checkout
    assert summary.results_root() == str(tmp_path / "benchmarks" / "results")


def test_the_harness_writes_its_summary_to_the_results_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "results_root", lambda: str(tmp_path / "results"))
    assert harness.main(["smoke", "--no-sb3", "--summary-only", "--data_dir", str(tmp_path / "data")]) == 0
    assert "ppo on CartPole-v1, seeds 0, 1: not run" in (tmp_path / "results" / "smoke" / "README.md").read_text()


def test_the_commit_is_dirty_only_when_files_outside_the_results_changed(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    (tmp_path / "benchmarks" / "results" / "meta.json").write_text("{}")
    (tmp_path / "algo.py").write_text("x = 1")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "first")
    assert summary.git_commit(str(tmp_path / "benchmarks"))["dirty"] is False
    (tmp_path / "benchmarks" / "results" / "meta.json").write_text('{"sessions": []}')  # the harness's output
    assert summary.git_commit(str(tmp_path / "benchmarks"))["dirty"] is False
    (tmp_path / "algo.py").write_text("x = 2")
    assert summary.git_commit(str(tmp_path / "benchmarks"))["dirty"] is True


# ---------------------------------------------------------------------------------------------
# End to end.


def test_smoke_suite_end_to_end_writes_table_csv_and_plot(tmp_path, capsys):
    results = tmp_path / "results"
    status = cli(["bench", "smoke", "--no-sb3", "--parallel", "2", "--results_dir", str(results)])
    assert status == 0
    readme = (results / "README.md").read_text()
    assert "| CartPole-v1 | ppo | 2/2 | 0.4k |" in readme
    assert "sb3-ppo on CartPole-v1, seeds 0, 1: not run" in readme  # left out with --no-sb3, and said so
    assert (results / "CartPole-v1.png").stat().st_size > 1000
    data = summary.read_runs_csv(str(results / "runs.csv"))
    assert sorted(set(data["seed"])) == [0, 1] and len(data) == 4 and data["complete"].all()
    meta = summary.load_meta(str(results))
    assert meta["sessions"][0]["launched"] == 2 and meta["versions"]["torch"].startswith("2.")
    assert meta["machine"]["logical_cores"] >= 1

    # Run again: nothing left to do, so nothing is launched; the summary is rewritten.
    capsys.readouterr()
    assert cli(["bench", "smoke", "--no-sb3", "--results_dir", str(results), "--note", "a shared machine"]) == 0
    out = capsys.readouterr().out
    assert "finished already (skipped): 2; to run now: 0" in out
    assert len(summary.load_meta(str(results))["sessions"]) == 1
    assert "a shared machine" in (results / "README.md").read_text()


# ---------------------------------------------------------------------------------------------
# Stable-Baselines3.


def test_sb3_hyperparameters_follow_spinups_names_and_defaults():
    name, kw = sb3_arguments("td3", {"act_noise": 0.2, "ac_kwargs": {"hidden_sizes": (32,)}}, 1000, 5)
    assert name == "TD3"
    assert kw["learning_rate"] == 1e-3 and kw["batch_size"] == 100 and kw["tau"] == pytest.approx(0.005)
    assert kw["train_freq"] == (50, "step") and kw["gradient_steps"] == 50 and kw["learning_starts"] == 10000
    assert kw["policy_delay"] == 2 and kw["target_policy_noise"] == 0.2 and kw["target_noise_clip"] == 0.5
    assert kw["action_noise_std"] == 0.2 and kw["policy_kwargs"]["net_arch"] == [32]
    name, kw = sb3_arguments("ppo", {}, 4000, 10)
    assert (name, kw["n_steps"], kw["batch_size"], kw["n_epochs"]) == ("PPO", 4000, 4000, 80)
    assert kw["gae_lambda"] == 0.97 and kw["target_kl"] == 0.01 and kw["learning_rate"] == 3e-4
    assert kw["policy_kwargs"]["net_arch"] == dict(pi=[64, 64], vf=[64, 64])
    _, kw = sb3_arguments("sac", {"alpha": "auto"}, 4000, 10)
    assert kw["ent_coef"] == "auto_1.0" and kw["target_entropy"] == "auto"
    _, kw = sb3_arguments("dqn", {}, 2000, 10)
    assert kw["exploration_fraction"] == pytest.approx(0.5) and kw["train_freq"] == kw["gradient_steps"] == 4
    with pytest.raises(UserError, match="no TRPO"):
        sb3_arguments("trpo", {}, 4000, 10)
    with pytest.raises(UserError, match="Double DQN"):
        sb3_arguments("dqn", {"double": True}, 4000, 10)
    with pytest.raises(UserError, match="no hyperparameter clip_ratio"):
        sb3_arguments("sac", {"clip_ratio": 0.2}, 4000, 10)


def test_sb3_runner_refuses_an_action_space_sb3_lacks(tmp_path):
    pytest.importorskip("stable_baselines3")
    with pytest.raises(UserError, match="SB3's SAC does not support Discrete"):
        sb3_runner("sac", lambda: gym.make("CartPole-v1"), logger_kwargs=dict(output_dir=str(tmp_path)))


@pytest.mark.parametrize("algo, env_name", [("ppo", "CartPole-v1"), ("sac", "Pendulum-v1")])
def test_sb3_runner_logs_like_spinup(algo, env_name, tmp_path):
    pytest.importorskip("stable_baselines3")
    out = tmp_path / "run"
    hyper = dict(train_pi_iters=2) if algo == "ppo" else dict(start_steps=100, update_after=100, update_every=50,
                                                             num_test_episodes=2)
    sb3_runner(algo=algo, env_fn=lambda: gym.make(env_name), seed=1, epochs=2, steps_per_epoch=200,
                     logger_kwargs=dict(output_dir=str(out), exp_name=f"sb3-{algo}"), **hyper)
    progress = read_progress(str(out / "progress.txt"))
    assert progress["TotalEnvInteracts"].tolist() == [200, 400]
    assert (progress["Time"] > 0).all() and progress["Time"].is_monotonic_increasing
    if algo == "ppo":
        assert progress["Epoch"].tolist() == [0, 1] and progress["AverageEpRet"].notna().all()
    else:
        assert progress["Epoch"].tolist() == [1, 2]
        assert progress["AverageTestEpRet"].between(-2000, 0).all()  # Pendulum's returns are negative
        assert (progress["TestEpLen"] == 200).all()
    config = (out / "config.json").read_text()
    assert f'"exp_name":\t"sb3-{algo}"' in config
