"""Automatic checks of the exercises.

    python -m spinup.exercises.check 1.1                  # your answer to exercise 1.1
    python -m spinup.exercises.check 1.2                  # trains PPO with your policy (minutes)
    python -m spinup.exercises.check 1.2 --budget small   # a shorter training, a lower bar
    python -m spinup.exercises.check 1.3 [--train]        # TD3's losses (and a short training)
    python -m spinup.exercises.check 2.1 [--full]         # run the TRPO sweep and plot it
    python -m spinup.exercises.check 2.2 [--full]         # run the DDPG sweep and plot it

``--solution`` checks the reference solution instead of your file; ``--file PATH`` checks a copy
of the exercise file kept elsewhere. The exit status is 0 when the answer is correct and 1 when
it is not (or not finished).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from spinup.exercises.common import CheckFailed, NotDoneYet, not_done_from, print_result
from spinup.utils.errors import UserError
from spinup.utils.logx import colorize

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Exercise:
    title: str
    module: str      # the learner's file, under spinup.exercises
    solution: str    # the reference solution, under spinup.exercises
    check: Callable  # check(module, args, extra_argv) -> message; raises CheckFailed if wrong


def load(name: str, path: str | None = None):
    """Import ``spinup.exercises.<name>``, or the file at ``path`` instead."""
    if path is None:
        return importlib.import_module(f"spinup.exercises.{name}")
    if not os.path.isfile(path):
        raise UserError(f"--file {path}: no such file. Give the path of your copy of the exercise file.")
    spec = importlib.util.spec_from_file_location(f"exercise_file_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# Exercise 1.1


def check_1_1(module, args, extra):
    import torch

    from spinup.exercises.problem_set_1_solutions.exercise1_1_soln import (
        gaussian_likelihood as reference,
    )

    fn = getattr(module, "gaussian_likelihood", None)
    if fn is None:
        raise CheckFailed("The file has no function gaussian_likelihood(x, mu, log_std).")
    gen = torch.Generator().manual_seed(0)
    cases = [  # (description, batch, dim, shape of log_std)
        ("a shared log_std of shape [dim]", 32, 10, "shared"),
        ("a log_std per sample, shape [batch, dim]", 32, 10, "per-sample"),
        ("one dimension (dim = 1)", 7, 1, "shared"),
        ("a batch of one", 1, 4, "per-sample"),
    ]
    for what, batch, dim, kind in cases:
        for _ in range(3):
            x = torch.randn(batch, dim, generator=gen)
            mu = torch.randn(batch, dim, generator=gen)
            shape = (dim,) if kind == "shared" else (batch, dim)
            log_std = torch.rand(shape, generator=gen) * 2.5 - 2.0  # std between about 0.14 and 1.6
            mu.requires_grad_(True)
            got = fn(x, mu, log_std)
            want = reference(x, mu, log_std)
            if got is None:
                raise NotDoneYet(module.__file__, "gaussian_likelihood returns None")
            if not isinstance(got, torch.Tensor):
                raise CheckFailed(f"With {what}: gaussian_likelihood should return a torch.Tensor, "
                                  f"not {type(got).__name__}. Use torch operations only.")
            if tuple(got.shape) != (batch,):
                raise CheckFailed(f"With {what}: x is [{batch}, {dim}], so the result should have "
                                  f"shape [{batch}] (one log-likelihood per sample), not {list(got.shape)}. "
                                  "Sum over the last dimension.")
            if not torch.allclose(got.detach().double(), want.detach().double(), rtol=1e-4, atol=1e-4):
                diff = (got.detach() - want.detach()).abs().max().item()
                raise CheckFailed(f"With {what}: the values differ from the reference by up to {diff:.4g}.\n"
                                  f"  yours:     {got.detach()[:4].tolist()}\n"
                                  f"  reference: {want.detach()[:4].tolist()}")
            if not got.requires_grad:
                raise CheckFailed("The result carries no gradient: gaussian_likelihood must use torch "
                                  "operations (not numpy, not .item() or .detach()) so that a policy "
                                  "can be trained through it.")
    return "gaussian_likelihood matches the reference on random batches, with shared and per-sample log_std."


# ---------------------------------------------------------------------------------------------
# Exercise 1.2

PPO_BUDGETS = {
    # The original's bar: 20 epochs of 4000 steps; correct if the mean of the last 5 epochs'
    # AverageEpRet exceeds 500 or any of them reaches the maximum, 1000.
    "full": dict(steps_per_epoch=4000, epochs=20, last=5, bar=500.0),
    # For continuous integration: 40% of the steps, and a bar well above a random policy (about
    # 10). Early learning varies a lot between seeds; the solution's scores for seeds 0-9 are in
    # tests/calibration/learning.md (case exercise_1_2), every one of them above the bar.
    "small": dict(steps_per_epoch=2000, epochs=16, last=3, bar=30.0),
}


def train_ppo_with_actor(actor, seed: int, budget: str, output_dir: str):
    """Train PPO on InvertedPendulum-v5 with the policy class ``actor`` for the budget's epochs;
    return each epoch's AverageEpRet (the learning tests calibrate the small budget with this)."""
    from spinup.algos.ppo.ppo import ppo
    from spinup.exercises.problem_set_1.exercise1_2_auxiliary import ExerciseActorCritic
    from spinup.utils.envs import EnvFactory
    from spinup.utils.plot import read_progress

    b = PPO_BUDGETS[budget]
    ppo(EnvFactory("InvertedPendulum-v5"), actor_critic=ExerciseActorCritic,
        ac_kwargs=dict(hidden_sizes=(64,), actor=actor), seed=seed, steps_per_epoch=b["steps_per_epoch"],
        epochs=b["epochs"], logger_kwargs=dict(output_dir=output_dir), save_freq=b["epochs"])
    return read_progress(os.path.join(output_dir, "progress.txt"))["AverageEpRet"].to_numpy()


def check_1_2(module, args, extra):
    import numpy as np
    import torch
    import torch.nn as nn

    for name in ("mlp", "DiagonalGaussianDistribution", "MLPGaussianActor"):
        if not hasattr(module, name):
            raise CheckFailed(f"The file has no {name}; keep the names the exercise gives.")
    path = module.__file__

    # 1. mlp
    net = module.mlp([3, 5, 2], nn.Tanh)
    if net is None:
        raise NotDoneYet(path, "mlp returns None")
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if [(m.in_features, m.out_features) for m in linears] != [(3, 5), (5, 2)]:
        raise CheckFailed("mlp([3, 5, 2], nn.Tanh) should hold nn.Linear(3, 5) then nn.Linear(5, 2); it holds "
                          + str([(m.in_features, m.out_features) for m in linears]) + ".")
    if sum(isinstance(m, nn.Tanh) for m in net.modules()) != 1:
        raise CheckFailed("mlp([3, 5, 2], nn.Tanh) should have one nn.Tanh, after the hidden layer "
                          "(the output layer gets output_activation, by default none).")
    squashed = module.mlp([3, 5, 2], nn.ReLU, output_activation=nn.Sigmoid)(torch.randn(100, 3) * 10)
    if squashed.min() < 0 or squashed.max() > 1:
        raise CheckFailed("mlp(..., output_activation=nn.Sigmoid) should end with a sigmoid.")

    # 2. sample
    torch.manual_seed(0)
    mu, log_std = torch.tensor([[1.0, -2.0]]).repeat(20000, 1), torch.tensor([0.0, math.log(0.5)])
    x = module.DiagonalGaussianDistribution(mu, log_std).sample()
    if x is None:
        raise NotDoneYet(path, "DiagonalGaussianDistribution.sample returns None")
    if tuple(x.shape) != (20000, 2):
        raise CheckFailed(f"sample() should return one action per row of mu, shape [20000, 2], not {list(x.shape)}.")
    mean, std = x.detach().double().mean(0), x.detach().double().std(0)
    if not (torch.allclose(mean, torch.tensor([1.0, -2.0], dtype=torch.float64), atol=0.05)
            and torch.allclose(std, torch.tensor([1.0, 0.5], dtype=torch.float64), atol=0.05)):
        raise CheckFailed(f"Samples with mu = [1, -2] and std = [1, 0.5] have mean {mean.tolist()} and "
                          f"std {std.tolist()}. Remember that std = exp(log_std).")

    # 3. the actor
    actor = module.MLPGaussianActor(4, 3, (16,), nn.Tanh)
    log_std = getattr(actor, "log_std", None)
    if not isinstance(log_std, nn.Parameter):
        raise CheckFailed("MLPGaussianActor should have self.log_std, an nn.Parameter (so it is trained).")
    if tuple(log_std.shape) != (3,) or not torch.allclose(log_std.detach(), torch.full((3,), -0.5)):
        raise CheckFailed(f"log_std should have shape [act_dim] = [3] and start at -0.5; it is {log_std.tolist()}.")
    if not isinstance(getattr(actor, "mu_net", None), nn.Module):
        raise CheckFailed("MLPGaussianActor should have self.mu_net, the network computing the mean.")
    if tuple(actor.mu_net(torch.zeros(5, 4)).shape) != (5, 3):
        raise CheckFailed("mu_net should map observations [batch, obs_dim] to means [batch, act_dim].")
    _, logp = actor(torch.zeros(5, 4), torch.zeros(5, 3))
    if tuple(logp.shape) != (5,):
        raise CheckFailed(f"The policy's log-likelihoods should have shape [batch], not {list(logp.shape)} "
                          "(see exercise 1.1).")

    # 4. train PPO with it
    from spinup.utils.run_folders import setup_logger_kwargs

    budget = PPO_BUDGETS[args.budget]
    logger_kwargs = setup_logger_kwargs(f"ex1-2-{args.budget}", args.seed, datestamp=True)
    print(colorize(f"\nThe pieces work. Now training PPO with your policy on InvertedPendulum-v5 "
                   f"({budget['epochs']} epochs of {budget['steps_per_epoch']} steps)...\n", "cyan", bold=True))
    returns = train_ppo_with_actor(module.MLPGaussianActor, args.seed, args.budget, logger_kwargs["output_dir"])
    last = returns[-budget["last"]:]
    summary = (f"Average episode return over the last {budget['last']} epochs: {np.mean(last):.1f} "
               f"(the bar is {budget['bar']:.0f}, or 1000 reached); best epoch {np.max(last):.1f}.\n"
               f"The run is in {logger_kwargs['output_dir']}.")
    if not (np.mean(last) > budget["bar"] or np.max(last) >= 1000):
        raise CheckFailed(summary + "\nThe pieces pass their own tests, so look at how they fit: does the "
                          "log-likelihood use log_std, is log_std trained?")
    return summary


# ---------------------------------------------------------------------------------------------
# Exercise 1.3

# The short training run (TD3 on Pendulum-v1, 10000 steps) passes if the best of its last 3
# epochs' average test returns exceeds this (a random policy: about -1200; learned: -100 to -250).
TD3_TRAIN_BAR = -400.0


def td3_batch(seed: int):
    """An actor-critic, a target actor-critic with other weights, and a batch of transitions, on
    made-up spaces with unequal action bounds."""
    import numpy as np
    import torch
    from gymnasium.spaces import Box

    from spinup.algos.td3.core import MLPActorCritic

    obs_space = Box(-np.inf, np.inf, (5,), np.float32)
    act_space = Box(np.array([-2.0, -1.0], np.float32), np.array([2.0, 1.0], np.float32))
    torch.manual_seed(seed)
    ac = MLPActorCritic(obs_space, act_space, hidden_sizes=(32, 32))
    ac_targ = MLPActorCritic(obs_space, act_space, hidden_sizes=(32, 32))  # as if it lagged behind
    with torch.no_grad():  # larger weights than at initialisation, so that every mistake shows
        for p in [*ac.parameters(), *ac_targ.parameters()]:
            p.normal_(0.0, 0.4)
    ac_targ.requires_grad_(False)
    n = 64
    data = dict(obs=torch.randn(n, 5), act=torch.rand(n, 2) * 2 - 1, rew=torch.randn(n),
                next_obs=torch.randn(n, 5), terminated=(torch.rand(n) < 0.3).float())
    data["act"][:, 0] *= 2
    noise = 2 * torch.randn(n, 2)  # large, so that the clipping of the noise matters
    return ac, ac_targ, data, noise, torch.as_tensor(act_space.low), torch.as_tensor(act_space.high)


def reference_loss_q(ac, ac_targ, data, gamma, noise, low, high, mistake=None):
    """TD3's Q-loss from spinup's own ``td3_target``, or with one of the usual mistakes."""
    import torch

    from spinup.algos.td3.core import td3_target

    obs, act, rew, next_obs, d = data["obs"], data["act"], data["rew"], data["next_obs"], data["terminated"]
    targ = ac if mistake == "main networks" else ac_targ
    with torch.no_grad():
        if mistake is None or mistake == "main networks":
            y = td3_target(rew, next_obs, d, targ.pi, targ.q, gamma, 0.2, 0.5, low, high, noise=noise)
        else:
            half = (high - low) / 2
            eps = 0.2 * half * noise if mistake == "noise not clipped" else torch.clamp(0.2 * half * noise, -0.5 * half, 0.5 * half)
            a2 = targ.pi(next_obs) + eps
            a2 = a2 if mistake == "action not clipped" else torch.clamp(a2, low, high)
            q1_targ, q2_targ = targ.q(next_obs, a2)
            q_targ = dict(max=torch.max(q1_targ, q2_targ), q1=q1_targ).get(mistake, torch.min(q1_targ, q2_targ))
            y = rew + gamma * (1 if mistake == "no mask" else 1 - d) * q_targ
    q1, q2 = ac.q(obs, act)
    if mistake == "one mean":
        return ((torch.stack([q1, q2]) - y) ** 2).mean()
    return ((q1 - y) ** 2).mean() + ((q2 - y) ** 2).mean()


Q_HINTS = {
    "main networks": "Your target seems to use ac instead of the target networks ac_targ.",
    "no mask": "Your target seems to bootstrap from terminal states: multiply by (1 - d).",
    "max": "Your target seems to take the larger target Q-value; clipped double-Q takes the smaller.",
    "q1": "Your target seems to use Q1_targ only; clipped double-Q takes the smaller of Q1_targ and Q2_targ.",
    "noise not clipped": "Your smoothing noise does not seem to be clipped to [-noise_clip, noise_clip].",
    "action not clipped": "Your target action does not seem to be clipped to [act_low, act_high].",
    "one mean": "Your loss seems to be half the expected one: add the two MSEs, MSE(Q1, y) + MSE(Q2, y).",
}


def check_td3_losses(module):
    import torch

    for name in ("compute_loss_q", "compute_loss_pi"):
        if not hasattr(module, name):
            raise CheckFailed(f"The file has no {name}; keep the names the exercise gives.")
    path = module.__file__
    for seed, gamma in ((0, 0.99), (1, 0.9)):
        ac, ac_targ, data, noise, low, high = td3_batch(seed)
        half = (high - low) / 2
        loss = module.compute_loss_q(ac, ac_targ, data, gamma, 0.2 * half, 0.5 * half, low, high, noise)
        if loss is None:
            raise NotDoneYet(path, "compute_loss_q returns None")
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise CheckFailed("compute_loss_q should return the loss as a tensor with one number, "
                              f"not {type(loss).__name__} {list(getattr(loss, 'shape', []))}.")
        want = reference_loss_q(ac, ac_targ, data, gamma, noise, low, high)
        if not torch.allclose(loss.detach().reshape(()), want.detach(), rtol=1e-4, atol=1e-5):
            hints = [hint for mistake, hint in Q_HINTS.items()
                     if torch.allclose(loss.detach().reshape(()),
                                       reference_loss_q(ac, ac_targ, data, gamma, noise, low, high, mistake).detach(),
                                       rtol=1e-4, atol=1e-5)]
            raise CheckFailed(f"compute_loss_q gives {loss.item():.6g}; the reference gives {want.item():.6g}.\n"
                              + ("\n".join(hints) or "Compare each step with the formula in the docstring."))
        if not loss.requires_grad:
            raise CheckFailed("compute_loss_q's loss carries no gradient: compute Q1(s, a) and Q2(s, a) "
                              "outside torch.no_grad().")
        grads = torch.autograd.grad(loss.reshape(()), list(ac.q.parameters()), allow_unused=True)
        want_grads = torch.autograd.grad(want, list(ac.q.parameters()))
        if any(g is None or not torch.allclose(g, w, rtol=1e-3, atol=1e-5) for g, w in zip(grads, want_grads, strict=True)):
            raise CheckFailed("compute_loss_q has the right value but the wrong gradient with respect to the "
                              "Q-functions' parameters: the target y must be a constant (computed under "
                              "torch.no_grad()), and Q1(s, a), Q2(s, a) must not be detached.")

        loss_pi = module.compute_loss_pi(ac, data)
        if loss_pi is None:
            raise NotDoneYet(path, "compute_loss_pi returns None")
        q1_pi, q2_pi = ac.q(data["obs"], ac.pi(data["obs"]))
        want_pi = -q1_pi.mean()
        if not isinstance(loss_pi, torch.Tensor) or loss_pi.numel() != 1:
            raise CheckFailed("compute_loss_pi should return the loss as a tensor with one number.")
        if not torch.allclose(loss_pi.detach().reshape(()), want_pi.detach(), rtol=1e-4, atol=1e-5):
            hint = ""
            if torch.allclose(loss_pi.detach().reshape(()), -want_pi.detach(), rtol=1e-4, atol=1e-5):
                hint = "The sign is flipped: the policy maximises Q1, so the loss is minus Q1."
            elif any(torch.allclose(loss_pi.detach().reshape(()), v.detach(), rtol=1e-4, atol=1e-5)
                     for v in (-q2_pi.mean(), -torch.min(q1_pi, q2_pi).mean(), -(q1_pi + q2_pi).mean() / 2)):
                hint = "TD3's policy loss uses Q1 only."
            raise CheckFailed(f"compute_loss_pi gives {loss_pi.item():.6g}; the reference gives "
                              f"{want_pi.item():.6g}. {hint}")
        grads = torch.autograd.grad(loss_pi.reshape(()), list(ac.pi.parameters()), allow_unused=True)
        want_grads = torch.autograd.grad(want_pi, list(ac.pi.parameters()))
        if any(g is None or not torch.allclose(g, w, rtol=1e-3, atol=1e-5) for g, w in zip(grads, want_grads, strict=True)):
            raise CheckFailed("compute_loss_pi has the right value but its gradient does not reach the policy: "
                              "compute Q1(s, pi(s)) with the policy's action, not a detached one.")
    return "compute_loss_q and compute_loss_pi match the reference on fixed batches (values and gradients)."


def check_1_3(module, args, extra):
    from spinup.exercises.problem_set_1.exercise1_3_auxiliary import train_td3

    message = check_td3_losses(module)
    if not args.train:
        return message + "\nFor a short training run with your losses too, add --train."
    print(colorize("\n" + message + "\nNow a short TD3 training run with your losses...\n", "cyan", bold=True))
    test_returns, output_dir = train_td3(module.compute_loss_q, module.compute_loss_pi, seed=args.seed)
    best = max(test_returns[-3:])
    summary = (f"Trained with your losses on Pendulum-v1: average test return {test_returns[-1]:.1f} in the last "
               f"epoch, {best:.1f} in the best of the last 3 (the bar is {TD3_TRAIN_BAR:.0f}; a random policy "
               f"scores about -1200). The run is in {output_dir}.")
    if best < TD3_TRAIN_BAR:
        raise CheckFailed(summary + "\nThe losses match the reference on fixed batches, so look at what else "
                          "they do (e.g. do they change ac or ac_targ?).")
    return message + "\n" + summary


# ---------------------------------------------------------------------------------------------
# Problem set 2: experiments. The checks confirm the sweep ran and its plot was saved; what the
# curves mean is for you to work out (the solutions are in the docs).


def check_sweep(module, args, extra):
    out = module.main(extra)
    if out["failed"]:
        raise CheckFailed("These runs failed (their output is above): " + ", ".join(out["failed"]))
    missing = [p for p in out["runs"] if not os.path.isfile(os.path.join(p, "progress.txt"))]
    if missing:
        raise CheckFailed("These runs wrote no progress.txt: " + ", ".join(missing))
    if not out["plots"] or not all(os.path.isfile(p) for p in out["plots"]):
        raise CheckFailed("The plot was not saved.")
    return ("The sweep ran and its plot is saved in " + ", ".join(out["plots"]) + ".\n"
            "Now look at the curves and explain them; compare with the solution page in the docs.")


EXERCISES = {
    "1.1": Exercise("diagonal Gaussian log-likelihood", "problem_set_1.exercise1_1",
                    "problem_set_1_solutions.exercise1_1_soln", check_1_1),
    "1.2": Exercise("a Gaussian policy for PPO", "problem_set_1.exercise1_2",
                    "problem_set_1_solutions.exercise1_2_soln", check_1_2),
    "1.3": Exercise("TD3's loss functions", "problem_set_1.exercise1_3",
                    "problem_set_1_solutions.exercise1_3_soln", check_1_3),
    "2.1": Exercise("value-function fitting in TRPO (an experiment)", "problem_set_2.exercise2_1",
                    "problem_set_2.exercise2_1", check_sweep),
    "2.2": Exercise("a silent bug in DDPG (an experiment)", "problem_set_2.exercise2_2",
                    "problem_set_2.exercise2_2", check_sweep),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spinup.exercises.check",
        description="Check your answer to an exercise. Options not listed here are passed on to the "
                    "experiments of problem set 2; python spinup/exercises/problem_set_2/exercise2_1.py --help "
                    "lists them.",
    )
    p.add_argument("exercise", help="the exercise: " + ", ".join(EXERCISES))
    p.add_argument("--solution", action="store_true", help="check the reference solution instead of your file")
    p.add_argument("--file", help="check this copy of the exercise file instead of the one in spinup/exercises")
    p.add_argument("--budget", choices=sorted(PPO_BUDGETS), default="full",
                   help="1.2: 'full' (the original's bar, a few minutes) or 'small' (shorter, lower bar)")
    p.add_argument("--train", action="store_true", help="1.3: also train TD3 with your losses for a short while")
    p.add_argument("--seed", type=int, default=0, help="1.2, 1.3: seed of the training run")
    return p


def main(argv=None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    ex = EXERCISES.get(args.exercise)
    if ex is None:
        print(f"Error: there is no exercise {args.exercise!r}; choose one of {', '.join(EXERCISES)}.", file=sys.stderr)
        return 2
    if extra and not args.exercise.startswith("2."):
        print(f"Error: unknown option(s) {' '.join(extra)}. See python -m spinup.exercises.check --help.",
              file=sys.stderr)
        return 2
    roots = [os.path.join(HERE, d) for d in ("problem_set_1", "problem_set_2", "problem_set_1_solutions")]
    if args.file:
        roots.insert(0, os.path.abspath(args.file))
    label = f"{args.exercise} ({ex.title})" + (", reference solution" if args.solution else "")
    print(colorize(f"Checking exercise {label}", "cyan", bold=True))
    try:
        module = load(ex.solution if args.solution else ex.module, args.file)
        message = ex.check(module, args, extra)
    except NotImplementedError as e:
        err = not_done_from(e, roots)
        print(colorize(f"\nExercise {args.exercise} is {err}", "yellow", bold=True), file=sys.stderr)
        return 1
    except NotDoneYet as e:
        print(colorize(f"\nExercise {args.exercise} is {e}", "yellow", bold=True), file=sys.stderr)
        return 1
    except CheckFailed as e:
        print_result(False, args.exercise, str(e))
        return 1
    except UserError as e:
        print(f"Error: {e}", file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print_result(False, args.exercise, "Your code raised the error above.")
        return 1
    experiment = "The experiment ran. Now work out what the plot shows!" if ex.check is check_sweep else None
    print_result(True, args.exercise, message, success=experiment)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
