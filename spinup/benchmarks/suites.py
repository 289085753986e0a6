"""The benchmark suites: which algorithms run on which environments, for how long, with which seeds.

A suite is a list of :class:`Case` objects (one algorithm, one implementation, one environment, one
budget and its hyperparameters) and the seeds to run each with. Every algorithm runs only on
environments whose action space it supports (:data:`ACTION_SPACES`); where Stable-Baselines3 has
the algorithm, the suite also runs SB3's version with the same hyperparameters (spinup's names,
mapped by :func:`spinup.benchmarks.sb3_runner.sb3_arguments`).

Unless a suite says otherwise, each algorithm runs with its documented defaults; the ``classic``
suite shortens the off-policy warm-up (``start_steps``) to fit its small budgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spinup.algos import ALGOS, ON_POLICY
from spinup.benchmarks.sb3_runner import SB3_ACTION_SPACES
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError

# The action spaces each spinup algorithm supports.
ACTION_SPACES = {
    "vpg": ("Box", "Discrete"),
    "trpo": ("Box", "Discrete"),
    "ppo": ("Box", "Discrete"),
    "ddpg": ("Box",),
    "td3": ("Box",),
    "sac": ("Box", "Discrete"),
    "dqn": ("Discrete",),
}

IMPLS = ("spinup", "sb3")


@dataclass(frozen=True)
class EnvSpec:
    """An environment as the suites name it: a label, the Gymnasium id and keyword arguments.

    ``EnvSpec('LunarLanderContinuous-v3', 'LunarLander-v3', {'continuous': True}, 'Box')``.
    """

    label: str
    env_name: str
    env_kwargs: dict = field(default_factory=dict, hash=False)
    action_space: str = "Box"  # 'Box' or 'Discrete'; tests check it against the real environment
    reward_threshold: float | None = None  # the return at which Gymnasium calls it solved

    def factory(self) -> EnvFactory:
        return EnvFactory(self.env_name, self.env_kwargs or None)


@dataclass
class Case:
    """One algorithm (in one implementation) on one environment, with its budget and settings."""

    algo: str
    env: EnvSpec
    epochs: int
    steps_per_epoch: int
    hyperparams: dict = field(default_factory=dict)
    impl: str = "spinup"
    seeds: tuple = (0, 1, 2, 3, 4)

    @property
    def label(self) -> str:
        """The algorithm as tables and legends show it: ``ppo`` or ``sb3-ppo``."""
        return self.algo if self.impl == "spinup" else f"{self.impl}-{self.algo}"

    @property
    def exp_name(self) -> str:
        """The experiment's name (and folder name): ``ppo_cartpole-v1``."""
        return f"{self.label}_{self.env.label}".lower()

    # ExperimentGrid names a variant after a value's __name__: the run folders are exp_name.
    @property
    def __name__(self) -> str:
        return self.exp_name

    @property
    def on_policy(self) -> bool:
        return self.algo in ON_POLICY

    @property
    def metric(self) -> str:
        """The column the final return is read from: training returns for on-policy
        algorithms, deterministic test returns for off-policy ones."""
        return "AverageEpRet" if self.on_policy else "AverageTestEpRet"

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def to_json(self) -> str:
        return f"{self.label} on {self.env.label}: {self.epochs} x {self.steps_per_epoch} steps"


@dataclass
class Suite:
    name: str
    description: str
    cases: list[Case]


# ---------------------------------------------------------------------------------------------
# Environments.

CARTPOLE = EnvSpec("CartPole-v1", "CartPole-v1", action_space="Discrete", reward_threshold=475.0)
ACROBOT = EnvSpec("Acrobot-v1", "Acrobot-v1", action_space="Discrete", reward_threshold=-100.0)
PENDULUM = EnvSpec("Pendulum-v1", "Pendulum-v1", action_space="Box")
LUNAR = EnvSpec("LunarLander-v3", "LunarLander-v3", action_space="Discrete", reward_threshold=200.0)
LUNAR_CONT = EnvSpec("LunarLanderContinuous-v3", "LunarLander-v3", {"continuous": True}, "Box", 200.0)
MUJOCO = {name: EnvSpec(f"{name}-v5", f"{name}-v5", action_space="Box")
          for name in ("HalfCheetah", "Hopper", "Walker2d", "Swimmer", "Ant")}


def fits(algo: str, impl: str, env: EnvSpec) -> bool:
    """Whether ``impl``'s ``algo`` supports ``env``'s action space."""
    spaces = ACTION_SPACES[algo] if impl == "spinup" else SB3_ACTION_SPACES.get(algo, ())
    return env.action_space in spaces


def cases_for(algo: str, env: EnvSpec, epochs: int, steps_per_epoch: int, seeds, sb3: bool = True,
              **hyperparams) -> list[Case]:
    """spinup's ``algo`` on ``env`` and, if SB3 has it for this action space, SB3's too."""
    impls = ("spinup", "sb3") if sb3 else ("spinup",)
    return [Case(algo, env, epochs, steps_per_epoch, dict(hyperparams), impl, tuple(seeds))
            for impl in impls if fits(algo, impl, env)]


# ---------------------------------------------------------------------------------------------
# The suites.

ON_POLICY_ALGOS = ("vpg", "trpo", "ppo")
OFF_POLICY_ALGOS = ("ddpg", "td3", "sac", "dqn")


def classic() -> Suite:
    """Five classic-control and Box2D tasks, every algorithm that fits, small budgets, 5 seeds.

    Budgets (environment steps) are chosen so that the whole suite, spinup and SB3 together,
    runs in about 2.5 hours on 2 cores (``--parallel 2``). Off-policy algorithms act at random
    for their first 1000 steps only (``start_steps=1000``; the default, 10000, would be most of
    these budgets).
    """
    seeds = range(5)
    budgets = {  # env -> (on-policy epochs x steps, off-policy (epochs, steps) for each algo)
        CARTPOLE: ((20, 4000), {"dqn": (20, 2000), "sac": (20, 1000)}),
        ACROBOT: ((20, 4000), {"dqn": (20, 2000), "sac": (20, 1000)}),
        PENDULUM: ((20, 4000), {"ddpg": (15, 1000), "td3": (15, 1000), "sac": (15, 1000)}),
        LUNAR: ((35, 4000), {"dqn": (40, 2000), "sac": (20, 2000)}),
        LUNAR_CONT: ((35, 4000), {"ddpg": (15, 2000), "td3": (15, 2000), "sac": (15, 2000)}),
    }
    cases = []
    for env, (on_budget, off_budgets) in budgets.items():
        for algo in ON_POLICY_ALGOS:
            cases += cases_for(algo, env, *on_budget, seeds)
        for algo, off_budget in off_budgets.items():
            assert fits(algo, "spinup", env), (algo, env.label)
            warmup = {} if algo == "dqn" else {"start_steps": 1000}
            cases += cases_for(algo, env, *off_budget, seeds, **warmup)
    return Suite("classic", "CartPole, Acrobot, Pendulum, LunarLander and LunarLanderContinuous: every "
                 "algorithm whose action space fits, small budgets, 5 seeds.", cases)


def mujoco_short() -> Suite:
    """HalfCheetah-v5 and Hopper-v5, 100k steps, 3 seeds, DDPG, TD3, SAC and PPO (defaults)."""
    cases = []
    for env in (MUJOCO["HalfCheetah"], MUJOCO["Hopper"]):
        for algo in ("ddpg", "td3", "sac", "ppo"):
            cases += cases_for(algo, env, 25, 4000, range(3))
    return Suite("mujoco-short", "HalfCheetah-v5 and Hopper-v5, 100k steps, 3 seeds, DDPG, TD3, SAC and "
                 "PPO with their default hyperparameters.", cases)


def mujoco_full() -> Suite:
    """The classic MuJoCo protocol on v5: five tasks, 3M steps, 10 seeds off-policy, 3 on-policy.
    Meant for a cluster (``--backend ray``)."""
    cases = []
    for env in MUJOCO.values():
        for algo in ("vpg", "trpo", "ppo"):
            cases += cases_for(algo, env, 750, 4000, range(3))
        for algo in ("ddpg", "td3", "sac"):
            cases += cases_for(algo, env, 750, 4000, range(10))
    return Suite("mujoco-full", "HalfCheetah, Hopper, Walker2d, Swimmer and Ant (v5), 3M steps, 10 seeds "
                 "for off-policy and 3 for on-policy algorithms, default hyperparameters.", cases)


def smoke() -> Suite:
    """A seconds-long check of the harness: PPO on CartPole-v1, 2 seeds, 2 tiny epochs."""
    return Suite("smoke", "A check of the harness: PPO on CartPole-v1, 2 seeds, 2 epochs of 200 steps.",
                 cases_for("ppo", CARTPOLE, 2, 200, range(2), train_pi_iters=5, train_v_iters=5))


SUITES = {"classic": classic, "mujoco-short": mujoco_short, "mujoco-full": mujoco_full, "smoke": smoke}


def get_suite(name: str) -> Suite:
    """The suite called ``name``, or :class:`UserError` listing the suites."""
    if name not in SUITES:
        raise UserError(f"Unknown benchmark suite {name!r}; the suites are {', '.join(SUITES)}.")
    suite = SUITES[name]()
    for case in suite.cases:
        assert case.algo in ALGOS and case.impl in IMPLS, case
    return suite
