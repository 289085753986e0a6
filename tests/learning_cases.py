"""The learning tests' experiments, in one place: what each trains, how it is scored, and the bar.

A learning test trains a real agent on a real environment and asks for a score above a bar. The
same seed gives different floating-point results on another CPU, thread count or BLAS kernel, so
each case here is calibrated by ``tests/calibrate_learning.py``: it must pass for every seed in
0-9 at 1 and 2 torch threads (the table is ``tests/calibration/learning.md``), and fail when the
algorithm is broken (each case lists the mutations that must make it fail). The suite runs each
case once, at :data:`SUITE_SEED`.

Change a budget, a default of an algorithm or a bar here, then re-run the calibration::

    python tests/calibrate_learning.py --case ppo_cartpole       # one case, seeds 0-9, 1 and 2 threads
    python tests/calibrate_learning.py --mutations               # also check that broken variants fail
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import importlib.util
import inspect
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SUITE_SEED = 0
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LearningCase:
    """One learning test: ``train(seed, out_dir)`` returns the per-epoch curve, ``score`` turns it
    into one number, and the test passes when the score is above ``bar``."""

    name: str
    test: str  # the pytest node that runs this case
    train: Callable[[int, str], list[float]]
    score: Callable[[list[float]], float]
    bar: float
    about: str  # the score, in words, and what random play scores
    # name -> context manager factory that breaks the algorithm; each must make the case fail
    mutations: dict[str, Callable[[], contextlib.AbstractContextManager]] = field(default_factory=dict)

    @property
    def settings(self) -> str:
        """What the training run is (not how it is scored): the calibration table is valid for a
        case only while this is unchanged."""
        return getattr(self.train, "settings", self.train.__name__)

    def run(self, seed: int, out_dir: str) -> tuple[float, list[float]]:
        curve = self.train(seed, out_dir)
        return self.score(curve), curve


def check(case: LearningCase, tmp_path, seed: int = SUITE_SEED) -> None:
    """Run ``case`` at ``seed`` and assert that it clears its bar."""
    score, curve = case.run(seed, str(tmp_path))
    rounded = [round(x, 1) for x in curve]
    assert score > case.bar, (f"{case.name}: score {score:.1f} is not above the bar {case.bar} "
                              f"({case.about}); curve {rounded}")


# ---------------------------------------------------------------------------------------------
# Scores


def mean_of_last(k: int) -> Callable[[list[float]], float]:
    def score(curve: list[float]) -> float:
        return float(np.mean(curve[-k:]))

    score.__name__ = f"mean of the last {k}"
    return score


def best_of_last(k: int) -> Callable[[list[float]], float]:
    def score(curve: list[float]) -> float:
        return float(np.max(curve[-k:]))

    score.__name__ = f"best of the last {k}"
    return score


# ---------------------------------------------------------------------------------------------
# Running the algorithms


def column(out_dir: str, name: str) -> list[float]:
    """One column of ``out_dir/progress.txt`` as floats."""
    with open(os.path.join(out_dir, "progress.txt"), newline="") as f:
        return [float(row[name]) for row in csv.DictReader(f, delimiter="\t")]


def algorithm(name: str):
    return getattr(importlib.import_module(f"spinup.algos.{name}.{name}"), name)


def train_algo(name: str, env_id: str, metric: str, **kwargs) -> Callable[[int, str], list[float]]:
    """A ``train`` function: ``name`` on ``env_id`` with ``kwargs``; the curve is ``metric``."""

    def train(seed: int, out_dir: str) -> list[float]:
        from spinup.utils.envs import EnvFactory

        algorithm(name)(EnvFactory(env_id), seed=seed, logger_kwargs=dict(output_dir=out_dir, progress=False),
                        **kwargs)
        return column(out_dir, metric)

    train.settings = f"{name}({env_id!r}, {', '.join(f'{k}={v!r}' for k, v in sorted(kwargs.items()))}) -> {metric}"
    return train


def load_example(relpath: str):
    """Import an example file by path (the pg_math file names start with a digit)."""
    path = ROOT / "spinup" / "examples" / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_pg_math(fname: str) -> Callable[[int, str], list[float]]:
    def train(seed: int, out_dir: str) -> list[float]:
        return [float(x) for x in load_example(f"pg_math/{fname}").train(env_name="CartPole-v1", epochs=20,
                                                                          seed=seed)]

    train.settings = f"pg_math/{fname}: train(env_name='CartPole-v1', epochs=20) -> mean episode return"
    return train


def train_exercise_1_2(seed: int, out_dir: str) -> list[float]:
    from spinup.exercises import check as checker
    from spinup.exercises.problem_set_1_solutions import exercise1_2_soln

    return [float(x) for x in checker.train_ppo_with_actor(exercise1_2_soln.MLPGaussianActor, seed, "small", out_dir)]


train_exercise_1_2.settings = "exercise 1.2 solution: check.train_ppo_with_actor, budget {} -> AverageEpRet"


def train_exercise_1_3(seed: int, out_dir: str) -> list[float]:
    from spinup.exercises.problem_set_1.exercise1_3_auxiliary import train_td3
    from spinup.exercises.problem_set_1_solutions import exercise1_3_soln as soln

    returns, _ = train_td3(soln.compute_loss_q, soln.compute_loss_pi, seed=seed)
    return [float(x) for x in returns]


train_exercise_1_3.settings = "exercise 1.3 solution: train_td3{} -> AverageTestEpRet"


# ---------------------------------------------------------------------------------------------
# Mutations: each breaks one line of the maths, the way a bug would


@contextlib.contextmanager
def patched(module_name: str, attr: str, make: Callable) -> Iterator[None]:
    """Replace ``module.attr`` by ``make(original)`` for the duration."""
    module = importlib.import_module(module_name)
    original = getattr(module, attr)
    setattr(module, attr, make(original))
    try:
        yield
    finally:
        setattr(module, attr, original)


def negated(module_name: str, attr: str):
    """The function's result with the opposite sign (a flipped objective)."""
    return lambda: patched(module_name, attr, lambda f: lambda *a, **k: -f(*a, **k))


def reward_sign_flipped(module_name: str, attr: str):
    """A Bellman target built from -r instead of r (its first argument)."""
    return lambda: patched(module_name, attr, lambda f: lambda rew, *a, **k: f(-rew, *a, **k))


def no_termination_mask(module_name: str, attr: str, position: int):
    """A Bellman target that bootstraps through terminal states (``terminated`` read as all zeros)."""

    def make(f):
        def target(*a, **k):
            a = list(a)
            a[position] = a[position] * 0
            return f(*a, **k)

        return target

    return lambda: patched(module_name, attr, make)


def pg_math_sign_flipped():
    """The pg_math examples' loss ``-(logp * weights).mean()`` with the sign flipped."""

    def make(original_load):
        def load(relpath):
            path = ROOT / "spinup" / "examples" / relpath
            source = path.read_text()
            assert "return -(logp * weights).mean()" in source
            source = source.replace("return -(logp * weights).mean()", "return (logp * weights).mean()")
            module = type(importlib)(path.stem)
            module.__file__ = str(path)
            exec(compile(source, str(path), "exec"), module.__dict__)
            return module

        return load

    return patched(__name__, "load_example", make)


def pictures_unseen() -> contextlib.AbstractContextManager:
    """The CNN encoders' first step (``PixelScaling``) returning zeros: the network never sees the
    picture, so a task whose information is only in the pixels cannot be learned."""

    def make(cls):
        import torch

        class Blind(cls):
            def forward(self, obs):
                return torch.zeros_like(super().forward(obs))

        return Blind

    return patched("spinup.algos.networks", "PixelScaling", make)


@contextlib.contextmanager
def stacks_reversed() -> Iterator[None]:
    """``FrameReplayBuffer`` rebuilding each stored stack newest frame first: the batches' pictures
    are not the ones the agent saw."""
    from spinup.algos.frame_buffer import FrameReplayBuffer

    original = FrameReplayBuffer.stack_rows
    FrameReplayBuffer.stack_rows = lambda self, rows: original(self, rows)[:, ::-1]
    try:
        yield
    finally:
        FrameReplayBuffer.stack_rows = original


# ---------------------------------------------------------------------------------------------
# The cases


def _checker():
    """The exercises' checker: its bars are the exercise cases' bars."""
    return importlib.import_module("spinup.exercises.check")


train_exercise_1_2.settings = train_exercise_1_2.settings.format(_checker().PPO_BUDGETS["small"])
train_exercise_1_3.settings = train_exercise_1_3.settings.format(
    inspect.signature(importlib.import_module("spinup.exercises.problem_set_1.exercise1_3_auxiliary").train_td3))

CARTPOLE = "random play scores about 22"
PENDULUM = "random play scores about -1200 to -1500"
# tests/image_envs.py: say which half of a 36x36 picture holds the bright square (+1 a right answer;
# a wrong one terminates; cut off after 20). Only the pixels tell the side.
PIXELS = ("image_envs:spinup_tests/Pixels-v0", "image_envs:spinup_tests/PixelsStack-v0")
WHICH_SIDE = "random play, or any policy that cannot see the picture, scores about 1; a perfect one 20"

CASES: dict[str, LearningCase] = {case.name: case for case in [
    LearningCase(
        "ppo_cartpole", "tests/test_ppo.py::test_ppo_learns_cartpole",
        train_algo("ppo", "CartPole-v1", "AverageEpRet", epochs=10),
        mean_of_last(2), 120.0, f"AverageEpRet, mean of the last 2 of 10 epochs of 4000 steps; {CARTPOLE}",
        {"policy objective sign flipped": negated("spinup.algos.ppo.core", "ppo_clip_objective")}),
    LearningCase(
        "ppo_cartpole_4envs", "tests/test_ppo.py::test_ppo_learns_cartpole_with_4_envs",
        train_algo("ppo", "CartPole-v1", "AverageEpRet", epochs=10, num_envs=4),
        mean_of_last(2), 120.0,
        f"AverageEpRet, mean of the last 2 of 10 epochs of 4000 steps (4 copies of 1000); {CARTPOLE}",
        {"policy objective sign flipped": negated("spinup.algos.ppo.core", "ppo_clip_objective")}),
    LearningCase(
        "vpg_cartpole", "tests/test_vpg.py::test_vpg_learns_cartpole",
        train_algo("vpg", "CartPole-v1", "AverageEpRet", epochs=12, steps_per_epoch=2000, pi_lr=1e-2),
        mean_of_last(2), 100.0, f"AverageEpRet, mean of the last 2 of 12 epochs of 2000 steps; {CARTPOLE}",
        {"policy objective sign flipped": negated("spinup.algos.vpg.core", "policy_gradient_objective")}),
    LearningCase(
        "trpo_cartpole", "tests/test_trpo.py::test_trpo_learns_cartpole",
        train_algo("trpo", "CartPole-v1", "AverageEpRet", epochs=8),
        mean_of_last(2), 150.0, f"AverageEpRet, mean of the last 2 of 8 epochs of 4000 steps; {CARTPOLE}",
        {"surrogate sign flipped": negated("spinup.algos.trpo.core", "surrogate_advantage")}),
    LearningCase(
        "trpo_inverted_pendulum", "tests/test_trpo.py::test_trpo_learns_inverted_pendulum",
        train_algo("trpo", "InvertedPendulum-v5", "AverageEpRet", epochs=12, steps_per_epoch=2000, delta=0.05),
        mean_of_last(2), 150.0,
        "AverageEpRet, mean of the last 2 of 12 epochs of 2000 steps; random play balances about 5 steps",
        {"surrogate sign flipped": negated("spinup.algos.trpo.core", "surrogate_advantage")}),
    LearningCase(
        "ddpg_pendulum", "tests/test_ddpg.py::test_ddpg_learns_pendulum",
        train_algo("ddpg", "Pendulum-v1", "AverageTestEpRet", ac_kwargs=dict(hidden_sizes=(64, 64)),
                   steps_per_epoch=1000, epochs=6, start_steps=1000, update_after=500, num_test_episodes=5),
        best_of_last(3), -400.0, f"AverageTestEpRet, best of the last 3 of 6 epochs of 1000 steps; {PENDULUM}",
        {"reward sign flipped in the target": reward_sign_flipped("spinup.algos.ddpg.core", "ddpg_target")}),
    LearningCase(
        "td3_pendulum", "tests/test_td3.py::test_td3_learns_pendulum",
        train_algo("td3", "Pendulum-v1", "AverageTestEpRet", ac_kwargs=dict(hidden_sizes=(64, 64)),
                   steps_per_epoch=1000, epochs=8, start_steps=1000, update_after=500, num_test_episodes=5),
        best_of_last(3), -400.0, f"AverageTestEpRet, best of the last 3 of 8 epochs of 1000 steps; {PENDULUM}",
        {"reward sign flipped in the target": reward_sign_flipped("spinup.algos.td3.core", "td3_target")}),
    LearningCase(
        "sac_pendulum", "tests/test_sac.py::test_sac_learns_pendulum",
        train_algo("sac", "Pendulum-v1", "AverageTestEpRet", ac_kwargs=dict(hidden_sizes=(64, 64)),
                   steps_per_epoch=1000, epochs=6, start_steps=1000, update_after=500, num_test_episodes=5),
        best_of_last(3), -400.0, f"AverageTestEpRet, best of the last 3 of 6 epochs of 1000 steps; {PENDULUM}",
        {"reward sign flipped in the target": reward_sign_flipped("spinup.algos.sac.core", "sac_target")}),
    LearningCase(
        "sac_pendulum_4envs", "tests/test_sac.py::test_sac_learns_pendulum_with_4_envs",
        train_algo("sac", "Pendulum-v1", "AverageTestEpRet", ac_kwargs=dict(hidden_sizes=(64, 64)),
                   steps_per_epoch=1000, epochs=6, start_steps=1000, update_after=500, num_test_episodes=5,
                   num_envs=4),
        best_of_last(3), -400.0,
        f"AverageTestEpRet, best of the last 3 of 6 epochs of 1000 steps (4 copies of 250); {PENDULUM}",
        {"reward sign flipped in the target": reward_sign_flipped("spinup.algos.sac.core", "sac_target")}),
    LearningCase(
        "sac_discrete_cartpole", "tests/test_sac.py::test_discrete_sac_learns_cartpole",
        train_algo("sac", "CartPole-v1", "AverageTestEpRet", ac_kwargs=dict(hidden_sizes=(64, 64)),
                   steps_per_epoch=1000, epochs=6, start_steps=1000, update_after=500, num_test_episodes=5),
        best_of_last(3), 120.0, f"AverageTestEpRet, best of the last 3 of 6 epochs of 1000 steps; {CARTPOLE}",
        {"no termination mask in the target": no_termination_mask("spinup.algos.sac.core", "discrete_sac_target", 2),
         "reward sign flipped in the target": reward_sign_flipped("spinup.algos.sac.core", "discrete_sac_target")}),
    LearningCase(
        "dqn_cartpole", "tests/test_dqn.py::test_dqn_learns_cartpole",
        train_algo("dqn", "CartPole-v1", "AverageTestEpRet", steps_per_epoch=2000, epochs=7, num_test_episodes=5),
        best_of_last(4), 100.0, f"AverageTestEpRet, best of the last 4 of 7 epochs of 2000 steps; {CARTPOLE}",
        {"no termination mask in the target": no_termination_mask("spinup.algos.dqn.core", "dqn_target", 1),
         "reward sign flipped in the target": reward_sign_flipped("spinup.algos.dqn.core", "dqn_target")}),
    LearningCase(
        "dqn_pixels", "tests/test_dqn.py::test_dqn_learns_pixels",
        train_algo("dqn", PIXELS[1], "AverageTestEpRet", ac_kwargs=dict(hidden_sizes=()), steps_per_epoch=500,
                   epochs=5, start_steps=500, update_after=500, batch_size=32, gradient_steps=1,
                   target_update_every=250, eps_decay_steps=1500, replay_size=5000, num_test_episodes=5),
        mean_of_last(3), 8.0,
        "AverageTestEpRet, mean of the last 3 of 5 epochs of 500 steps, Nature CNN on stacks of 2 pictures "
        f"(FrameReplayBuffer); {WHICH_SIDE}",
        {"reward sign flipped in the target": reward_sign_flipped("spinup.algos.dqn.core", "dqn_target"),
         "pictures unseen (PixelScaling returns zeros)": pictures_unseen,
         "stored stacks newest frame first": stacks_reversed}),
    LearningCase(
        "ppo_pixels", "tests/test_ppo.py::test_ppo_learns_pixels",
        train_algo("ppo", PIXELS[0], "AverageEpRet", ac_kwargs=dict(hidden_sizes=()), steps_per_epoch=500,
                   epochs=7, train_pi_iters=10, train_v_iters=10, pi_lr=2e-3, target_kl=0.05),
        mean_of_last(2), 8.0,
        f"AverageEpRet, mean of the last 2 of 7 epochs of 500 steps, Nature CNN on single pictures; {WHICH_SIDE}",
        {"policy objective sign flipped": negated("spinup.algos.ppo.core", "ppo_clip_objective"),
         "pictures unseen (PixelScaling returns zeros)": pictures_unseen}),
    LearningCase(
        "pg_math_simple", "tests/test_examples.py::test_pg_math_learns_cartpole[1_simple_pg.py-pg_math_simple]",
        train_pg_math("1_simple_pg.py"), mean_of_last(3), 40.0,
        f"mean episode return, mean of the last 3 of 20 epochs (the bar is twice random play); {CARTPOLE}",
        {"loss sign flipped": pg_math_sign_flipped}),
    LearningCase(
        "pg_math_rtg", "tests/test_examples.py::test_pg_math_learns_cartpole[2_rtg_pg.py-pg_math_rtg]",
        train_pg_math("2_rtg_pg.py"), mean_of_last(3), 40.0,
        f"mean episode return, mean of the last 3 of 20 epochs (the bar is twice random play); {CARTPOLE}",
        {"loss sign flipped": pg_math_sign_flipped}),
    LearningCase(
        "exercise_1_2", "tests/test_exercises.py::test_1_2_solution_passes_small_budget",
        train_exercise_1_2, mean_of_last(3), _checker().PPO_BUDGETS["small"]["bar"],
        "the checker's small budget: AverageEpRet on InvertedPendulum-v5, mean of the last 3 of 16 epochs",
        {"policy objective sign flipped": negated("spinup.algos.ppo.core", "ppo_clip_objective")}),
    LearningCase(
        "exercise_1_3", "tests/test_exercises.py::test_1_3_solution_trains",
        train_exercise_1_3, best_of_last(3), _checker().TD3_TRAIN_BAR,
        f"the checker's training run: AverageTestEpRet on Pendulum-v1, best of the last 3 of 5 epochs; {PENDULUM}",
        {"policy loss sign flipped": negated("spinup.exercises.problem_set_1_solutions.exercise1_3_soln",
                                             "compute_loss_pi")}),
]}
