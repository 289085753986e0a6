"""The original Spinning Up's documented call forms, called as its users call them: the names
(``spinup.ppo_pytorch``, ``spinup.ppo_tf1``, the old module paths), the signatures, a user's own
actor-critic written from the docstrings alone, the logger and saver, loading a saved model,
``run_policy``, ``ExperimentGrid`` and the command line. Each works, or ends in one line saying
what to use instead. The examples of docs/user/porting.md are run as a user would run them."""

import inspect
import os
import re
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import spinup
from spinup.legacy import TensorFlowNotSupported
from spinup.utils.errors import UserError
from spinup.utils.logx import EpochLogger, Logger
from spinup.utils.test_policy import load_policy, load_policy_and_env, run_policy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGINAL_ALGOS = ("vpg", "trpo", "ppo", "ddpg", "td3", "sac")


def _quiet_env():
    """The environment of a child process: no launch countdown, one thread each."""
    return dict(os.environ, SPINUP_WAIT_BEFORE_LAUNCH="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


# ---------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize("algo", ORIGINAL_ALGOS)
def test_pytorch_names_are_the_algorithms(algo):
    namespace = {}
    exec(f"from spinup import {algo}_pytorch", namespace)
    assert namespace[f"{algo}_pytorch"] is getattr(spinup, algo)


@pytest.mark.parametrize("algo", ORIGINAL_ALGOS)
def test_tf1_names_say_what_to_use(algo):
    with pytest.raises(ImportError) as info:
        exec(f"from spinup import {algo}_tf1", {})
    assert isinstance(info.value, TensorFlowNotSupported)
    message = str(info.value)
    assert "\n" not in message and "TensorFlow 1 is not supported" in message
    assert f"use spinup.{algo} instead" in message
    with pytest.raises(TensorFlowNotSupported):
        getattr(spinup, f"{algo}_tf1")


def test_unknown_names_are_still_attribute_errors():
    assert not hasattr(spinup, "ppo_tf2") and not hasattr(spinup, "nothing_pytorch")


def _forget(prefix: str) -> None:
    """Drop the old names under ``prefix`` from ``sys.modules`` (the modules themselves stay)."""
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]


OLD_PATHS = [
    ("spinup.algos.pytorch.ppo.ppo", "spinup.algos.ppo.ppo"),
    ("spinup.algos.pytorch.ppo.core", "spinup.algos.ppo.core"),
    ("spinup.algos.pytorch.vpg.vpg", "spinup.algos.vpg.vpg"),
    ("spinup.algos.pytorch.trpo.trpo", "spinup.algos.trpo.trpo"),
    ("spinup.algos.pytorch.ddpg.core", "spinup.algos.ddpg.core"),
    ("spinup.algos.pytorch.td3.td3", "spinup.algos.td3.td3"),
    ("spinup.algos.pytorch.sac.sac", "spinup.algos.sac.sac"),
    ("spinup.exercises.pytorch.problem_set_1.exercise1_1", "spinup.exercises.problem_set_1.exercise1_1"),
    ("spinup.exercises.pytorch.problem_set_1.exercise1_2_auxiliary",
     "spinup.exercises.problem_set_1.exercise1_2_auxiliary"),
    ("spinup.exercises.pytorch.problem_set_1_solutions.exercise1_1_soln",
     "spinup.exercises.problem_set_1_solutions.exercise1_1_soln"),
    ("spinup.exercises.pytorch.problem_set_2.exercise2_2", "spinup.exercises.problem_set_2.exercise2_2"),
    ("spinup.examples.pytorch.bench_ppo_cartpole", "spinup.examples.grid_ppo_cartpole"),
    ("spinup.examples.pytorch.pg_math.1_simple_pg", "spinup.examples.pg_math.1_simple_pg"),
]


@pytest.mark.parametrize("old,new", OLD_PATHS)
def test_old_module_paths_are_the_new_modules_with_a_warning(old, new):
    import importlib

    _forget(old.split(".pytorch")[0] + ".pytorch")
    with pytest.warns(DeprecationWarning) as record:
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)  # an alias, not a copy
    assert any(f"{old} is now {new}" in str(w.message) for w in record)


def test_old_from_import_form():
    _forget("spinup.algos.pytorch")
    with pytest.warns(DeprecationWarning, match="spinup.algos.pytorch.ppo is now spinup.algos.ppo"):
        from spinup.algos.pytorch.ppo import core
    from spinup.algos.onpolicy import MLPActorCritic

    assert core.MLPActorCritic is MLPActorCritic


def test_old_path_warning_points_at_the_users_script(tmp_path):
    """Python shows a DeprecationWarning by default only for code in __main__: the warning must be
    attributed to the script's import line, not to the import system."""
    script = tmp_path / "old_script.py"
    script.write_text("import spinup.algos.pytorch.ppo.ppo\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{script}:1: DeprecationWarning: spinup.algos.pytorch.ppo.ppo is now spinup.algos.ppo.ppo" in done.stderr


@pytest.mark.parametrize("name", ["spinup.algos.tf1.ppo.ppo", "spinup.exercises.tf1.problem_set_1.exercise1_1",
                                  "spinup.utils.mpi_tf"])
def test_old_tf1_modules_say_what_to_use(name):
    import importlib

    with pytest.raises(TensorFlowNotSupported, match="TensorFlow 1 is not supported.*use .*instead"):
        importlib.import_module(name)


def test_old_path_without_counterpart_is_module_not_found():
    with pytest.raises(ModuleNotFoundError):
        import spinup.algos.pytorch.no_such_algo  # noqa: F401


# ---------------------------------------------------------------------------------------------
# Signatures: every argument of the original's algorithm functions is accepted by name.

ORIGINAL_ARGUMENTS = {
    "vpg": "env_fn actor_critic ac_kwargs seed steps_per_epoch epochs gamma pi_lr vf_lr train_v_iters lam "
           "max_ep_len logger_kwargs save_freq",
    "ppo": "env_fn actor_critic ac_kwargs seed steps_per_epoch epochs gamma clip_ratio pi_lr vf_lr "
           "train_pi_iters train_v_iters lam max_ep_len target_kl logger_kwargs save_freq",
    "trpo": "env_fn actor_critic ac_kwargs seed steps_per_epoch epochs gamma delta vf_lr train_v_iters "
            "damping_coeff cg_iters backtrack_iters backtrack_coeff lam max_ep_len logger_kwargs save_freq algo",
    "ddpg": "env_fn actor_critic ac_kwargs seed steps_per_epoch epochs replay_size gamma polyak pi_lr q_lr "
            "batch_size start_steps update_after update_every act_noise num_test_episodes max_ep_len "
            "logger_kwargs save_freq",
    "td3": "env_fn actor_critic ac_kwargs seed steps_per_epoch epochs replay_size gamma polyak pi_lr q_lr "
           "batch_size start_steps update_after update_every act_noise target_noise noise_clip policy_delay "
           "num_test_episodes max_ep_len logger_kwargs save_freq",
    "sac": "env_fn actor_critic ac_kwargs seed steps_per_epoch epochs replay_size gamma polyak lr alpha "
           "batch_size start_steps update_after update_every num_test_episodes max_ep_len logger_kwargs save_freq",
}


@pytest.mark.parametrize("algo", ORIGINAL_ALGOS)
def test_original_arguments_are_accepted(algo):
    params = inspect.signature(getattr(spinup, f"{algo}_pytorch")).parameters
    names = ORIGINAL_ARGUMENTS[algo].split()
    assert [n for n in names if n not in params] == []
    assert list(params)[0] == "env_fn"  # the original's positional first argument


# ---------------------------------------------------------------------------------------------
# A user's own actor-critic, written from the algorithm's docstring alone. None of these has
# obs_dim, discrete or any other attribute the docstrings do not list; act() receives tensors.


def _mlp(sizes, out_act=nn.Identity):
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.Tanh() if i < len(sizes) - 2 else out_act()]
    return nn.Sequential(*layers)


class UserCategoricalPi(nn.Module):
    def __init__(self, obs_dim, n, hidden):
        super().__init__()
        self.logits = _mlp([obs_dim, hidden, n])

    def forward(self, obs, act=None):
        dist = torch.distributions.Categorical(logits=self.logits(obs))
        return dist, None if act is None else dist.log_prob(act)


class UserGaussianPi(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.mu = _mlp([obs_dim, hidden, act_dim])
        self.log_std = nn.Parameter(-0.5 * torch.ones(act_dim))

    def forward(self, obs, act=None):
        dist = torch.distributions.Normal(self.mu(obs), self.log_std.exp())
        return dist, None if act is None else dist.log_prob(act).sum(-1)


class UserOnPolicyAC(nn.Module):
    """pi, v and step, as VPG's, PPO's and TRPO's docstrings ask."""

    def __init__(self, observation_space, action_space, hidden=8):
        super().__init__()
        obs_dim = observation_space.shape[0]
        if isinstance(action_space, gym.spaces.Discrete):
            self.pi = UserCategoricalPi(obs_dim, int(action_space.n), hidden)
        else:
            self.pi = UserGaussianPi(obs_dim, action_space.shape[0], hidden)
        self.v = nn.Sequential(_mlp([obs_dim, hidden, 1]), nn.Flatten(0))

    def step(self, obs):
        with torch.no_grad():
            dist, _ = self.pi(obs)
            a = dist.sample()
            _, logp = self.pi(obs, a)
            return a.numpy(), self.v(obs.reshape(1, -1))[0].numpy(), logp.numpy()

    def act(self, obs):
        return self.step(obs)[0]


class UserQ(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden):
        super().__init__()
        self.net = _mlp([obs_dim + act_dim, hidden, 1])

    def forward(self, obs, act):
        return self.net(torch.cat([obs, act], dim=-1)).squeeze(-1)


class UserTwinQ(nn.Module):
    """The two Q-functions as the one module ``q`` of TD3's and SAC's docstrings."""

    def __init__(self, q1, q2):
        super().__init__()
        self.q1, self.q2 = q1, q2

    def forward(self, obs, act=None):
        return self.q1(obs, act), self.q2(obs, act)


class UserDeterministicPi(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden, limit):
        super().__init__()
        self.net = _mlp([obs_dim, hidden, act_dim], nn.Tanh)
        self.limit = limit

    def forward(self, obs):
        return self.limit * self.net(obs)


class UserDDPGAC(nn.Module):
    """pi, q and act, as DDPG's docstring asks."""

    def __init__(self, observation_space, action_space, hidden=8):
        super().__init__()
        obs_dim, act_dim = int(np.prod(observation_space.shape)), action_space.shape[0]
        self.pi = UserDeterministicPi(obs_dim, act_dim, hidden, float(action_space.high[0]))
        self.q = UserQ(obs_dim, act_dim, hidden)

    def act(self, obs):
        with torch.no_grad():
            return self.pi(obs.reshape(1, -1))[0].numpy()


class UserTD3AC(UserDDPGAC):
    """DDPG's, with the two Q-functions stacked in ``q``, as TD3's docstring asks."""

    def __init__(self, observation_space, action_space, hidden=8):
        super().__init__(observation_space, action_space, hidden)
        obs_dim, act_dim = int(np.prod(observation_space.shape)), action_space.shape[0]
        self.q = UserTwinQ(UserQ(obs_dim, act_dim, hidden), UserQ(obs_dim, act_dim, hidden))


class UserSquashedPi(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden, limit):
        super().__init__()
        self.net = _mlp([obs_dim, hidden, 2 * act_dim])
        self.limit = limit

    def forward(self, obs, deterministic=False):
        mu, log_std = self.net(obs).chunk(2, dim=-1)
        dist = torch.distributions.Normal(mu, log_std.clamp(-5, 2).exp())
        u = mu if deterministic else dist.rsample()
        logp = dist.log_prob(u).sum(-1) - (2 * (np.log(2) - u - F.softplus(-2 * u))).sum(-1)
        return self.limit * torch.tanh(u), logp


class UserCategoricalSACPi(nn.Module):
    def __init__(self, obs_dim, n, hidden):
        super().__init__()
        self.logits = _mlp([obs_dim, hidden, n])

    def probs(self, obs):
        logp_all = F.log_softmax(self.logits(obs), dim=-1)
        return logp_all.exp(), logp_all


class UserDiscreteQ(nn.Module):
    def __init__(self, obs_dim, n, hidden):
        super().__init__()
        self.net = _mlp([obs_dim, hidden, n])

    def forward(self, obs, act=None):
        q = self.net(obs)
        return q if act is None else q.gather(-1, act.long().unsqueeze(-1)).squeeze(-1)


class UserSACAC(nn.Module):
    """pi, q and act(obs, deterministic), as SAC's docstring asks, for Box or Discrete actions."""

    def __init__(self, observation_space, action_space, hidden=8):
        super().__init__()
        obs_dim = int(np.prod(observation_space.shape))
        self.discrete = isinstance(action_space, gym.spaces.Discrete)  # our own flag, not SAC's
        if self.discrete:
            n = int(action_space.n)
            self.pi = UserCategoricalSACPi(obs_dim, n, hidden)
            self.q = UserTwinQ(UserDiscreteQ(obs_dim, n, hidden), UserDiscreteQ(obs_dim, n, hidden))
        else:
            act_dim = action_space.shape[0]
            self.pi = UserSquashedPi(obs_dim, act_dim, hidden, float(action_space.high[0]))
            self.q = UserTwinQ(UserQ(obs_dim, act_dim, hidden), UserQ(obs_dim, act_dim, hidden))

    def act(self, obs, deterministic=False):
        with torch.no_grad():
            obs = obs.reshape(1, -1)
            if self.discrete:
                probs, _ = self.pi.probs(obs)
                return int(probs.argmax() if deterministic else torch.multinomial(probs[0], 1))
            return self.pi(obs, deterministic)[0][0].numpy()


class UserQNetwork(nn.Module):
    """Calling it gives every action's Q-values; act gives the greedy action, as DQN's asks."""

    def __init__(self, observation_space, action_space, hidden=8):
        super().__init__()
        self.net = _mlp([int(np.prod(observation_space.shape)), hidden, int(action_space.n)])

    def forward(self, obs):
        return self.net(obs)

    def act(self, obs):
        with torch.no_grad():
            return int(self.net(obs.reshape(1, -1)).argmax())


TINY = dict(seed=0, steps_per_epoch=100, epochs=2, max_ep_len=50, save_freq=1, train_pi_iters=2, train_v_iters=2,
            cg_iters=2, backtrack_iters=2, replay_size=200, batch_size=16, start_steps=50, update_after=50,
            update_every=25, num_test_episodes=1, target_update_every=25, eps_decay_steps=100)

USER_CASES = [
    ("vpg", "CartPole-v1", UserOnPolicyAC),
    ("ppo", "CartPole-v1", UserOnPolicyAC),
    ("trpo", "Pendulum-v1", UserOnPolicyAC),
    ("ddpg", "Pendulum-v1", UserDDPGAC),
    ("td3", "Pendulum-v1", UserTD3AC),
    ("sac", "Pendulum-v1", UserSACAC),
    ("sac", "CartPole-v1", UserSACAC),
    ("dqn", "CartPole-v1", UserQNetwork),
]


@pytest.mark.parametrize("algo,env_id,ac_class", USER_CASES, ids=[f"{a}-{e}" for a, e, _ in USER_CASES])
def test_user_actor_critic_from_the_docstring(algo, env_id, ac_class, tmp_path):
    fn = getattr(spinup, algo)
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in TINY.items() if k in params}
    out = tmp_path / "run"
    ac = fn(lambda: gym.make(env_id), actor_critic=ac_class, ac_kwargs=dict(hidden=8),
            logger_kwargs=dict(output_dir=str(out)), **kwargs)
    assert isinstance(ac, ac_class)
    rows = (out / "progress.txt").read_text().splitlines()
    assert len(rows) == 1 + TINY["epochs"]


@pytest.mark.parametrize("algo", ["vpg", "ppo", "trpo", "ddpg", "td3", "sac", "dqn"])
def test_docstring_states_the_interface(algo):
    """Each docstring says how the actor-critic is called and what the algorithm uses of it."""
    doc = inspect.getdoc(getattr(spinup, algo))
    section = " ".join(doc[doc.index("actor_critic:"):doc.index("ac_kwargs (dict)")].split())
    assert "actor_critic(observation_space, action_space, **ac_kwargs)" in section
    assert "uses only the following" in section and "act(obs" in section
    assert "obs_dim``" not in section.replace("[batch, obs_dim]``", "")


# ---------------------------------------------------------------------------------------------
# Logger and saver


def test_setup_pytorch_saver_takes_a_dict_of_modules(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path))
    pi, q = nn.Linear(3, 2), nn.Linear(5, 1)
    logger.setup_pytorch_saver({"pi": pi, "q": q})
    logger.save_state({"env": gym.make("Pendulum-v1")}, 0)
    weights = torch.load(tmp_path / "pyt_save" / "model.pt", weights_only=True)
    assert set(weights) == {"pi", "q"}
    fresh = nn.Linear(3, 2)
    fresh.load_state_dict(weights["pi"])
    assert torch.equal(fresh.weight, pi.weight)
    with pytest.raises(UserError, match=r"dict of modules \(pi, q\).*\['pi'\]"):
        load_policy(str(tmp_path))


def test_setup_pytorch_saver_refuses_other_objects(tmp_path):
    logger = Logger(output_dir=str(tmp_path))
    with pytest.raises(UserError, match="takes a torch.nn.Module or a dict of them"):
        logger.setup_pytorch_saver([nn.Linear(2, 2)])


def test_save_state_without_a_model_says_so(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path))
    with pytest.raises(UserError, match=r"no model to save\. Call logger.setup_pytorch_saver"):
        logger.save_state({"env": None}, None)


def test_original_logger_example_form(tmp_path):
    """store / log_tabular / dump_tabular and a module saved with setup_pytorch_saver(module)."""
    logger = EpochLogger(output_dir=str(tmp_path), exp_name="logger_example")
    logger.save_config(dict(lr=1e-3))
    model = nn.Linear(2, 1)
    logger.setup_pytorch_saver(model)
    for epoch in range(2):
        for _ in range(3):
            logger.store(Loss=float(epoch))
        logger.save_state({}, epoch)
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("Loss", average_only=True)
        logger.dump_tabular()
    assert (tmp_path / "progress.txt").read_text().splitlines()[0] == "Epoch\tLoss"
    assert set(torch.load(tmp_path / "pyt_save" / "model.pt", weights_only=True)) == {"weight", "bias"}


# ---------------------------------------------------------------------------------------------
# Loading and running a saved policy


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("porting") / "ppo_s0"
    spinup.ppo_pytorch(lambda: gym.make("CartPole-v1"), ac_kwargs=dict(hidden_sizes=(8,)), steps_per_epoch=100,
                       epochs=1, train_pi_iters=2, train_v_iters=2, logger_kwargs=dict(output_dir=str(out)))
    return str(out)


def test_load_policy_is_one_call(ppo_run):
    ac = spinup.load_policy(ppo_run)
    env = gym.make("CartPole-v1")
    obs, _ = env.reset(seed=0)
    act = ac.act(torch.as_tensor(obs, dtype=torch.float32))
    assert env.action_space.contains(int(act))
    assert not ac.training


def test_load_policy_with_an_env_of_ones_own(ppo_run):
    ac = load_policy(ppo_run, env=gym.make("CartPole-v1"))
    assert hasattr(ac, "act")


def test_torch_load_of_the_new_format_gives_weights(ppo_run):
    """What the original's ``ac = torch.load('.../pyt_save/model.pt')`` now returns: the weights;
    the docs say to call spinup.load_policy instead."""
    weights = torch.load(os.path.join(ppo_run, "pyt_save", "model.pt"), weights_only=True)
    assert isinstance(weights, dict) and all(isinstance(v, torch.Tensor) for v in weights.values())
    page = open(os.path.join(REPO, "docs", "user", "porting.md")).read()
    assert "'dict' object has no attribute 'act'" in page and "spinup.load_policy(" in page


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "torch-1.3-format"])
def test_pickled_module_of_the_original_is_refused_in_one_line(tmp_path, zip_format):
    from spinup.algos.onpolicy import MLPActorCritic

    env = gym.make("CartPole-v1")
    run = tmp_path / "original_run"
    (run / "pyt_save").mkdir(parents=True)
    torch.save(MLPActorCritic(env.observation_space, env.action_space, hidden_sizes=(4,)),
               run / "pyt_save" / "model.pt", _use_new_zipfile_serialization=zip_format)
    for load in (lambda: spinup.load_policy(str(run)), lambda: load_policy_and_env(str(run), render_mode=None)):
        with pytest.raises(UserError) as info:
            load()
        message = str(info.value)
        assert "\n" not in message
        assert "is a pickled spinup.algos.onpolicy.MLPActorCritic" in message
        assert "never unpickles" in message and "spinup.load_policy(run_dir)" in message


def test_run_policy_with_a_plain_gym_make_env_warns_once_and_runs(ppo_run):
    _, get_action = load_policy_and_env(ppo_run, render_mode=None)
    env = gym.make("CartPole-v1")  # no render_mode, as the original's users made environments
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run_policy(env, get_action, max_ep_len=20, num_episodes=3)
    shown = [w for w in caught if "episodes are not shown" in str(w.message)]
    assert len(shown) == 1 and issubclass(shown[0].category, UserWarning)
    assert len(out["returns"]) == 3 and max(out["lengths"]) <= 20


def test_run_policy_original_positional_form(ppo_run):
    env, get_action = load_policy_and_env(ppo_run, render_mode=None)
    out = run_policy(env, get_action, 10, 2, False)  # max_ep_len, num_episodes, render
    assert len(out["lengths"]) == 2


# ---------------------------------------------------------------------------------------------
# ExperimentGrid and the command line


GRID_SCRIPT = """
import spinup
from spinup.utils.run_utils import ExperimentGrid

if __name__ == "__main__":
    eg = ExperimentGrid(name="porting_grid")
    eg.add("env_name", "CartPole-v1", "", True)
    eg.add("epochs", 1)
    eg.add("steps_per_epoch", 100)
    eg.add("ac_kwargs:hidden_sizes", [(8,)], "hid")
    eg.add("train_pi_iters", 2)
    eg.add("train_v_iters", 2)
    eg.add("actor_critic", [{actor_critic}], "")
    eg.run(spinup.ppo_pytorch, data_dir={data_dir!r})
"""


def test_grid_script_exits_nonzero_when_an_experiment_fails(tmp_path):
    """An actor-critic that breaks inside the experiment: the experiment fails, the script that
    ran the grid exits non-zero, and the last line names the failed experiment."""
    broken = tmp_path / "broken_ac.py"
    broken.write_text("def BrokenAC(observation_space, action_space, hidden_sizes=(8,)):\n"
                      "    raise RuntimeError('a bug in my actor-critic')\n")
    script = tmp_path / "grid.py"
    script.write_text("from broken_ac import BrokenAC\n"
                      + GRID_SCRIPT.format(actor_critic="BrokenAC", data_dir=str(tmp_path / "data")))
    env = dict(_quiet_env(), PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("spinup.utils.grid.ExperimentsFailed: 1 of 1 experiments failed: porting_grid")
    assert "a bug in my actor-critic" in done.stdout + done.stderr


def test_grid_check_false_returns_the_results(tmp_path, monkeypatch):
    from spinup.utils import grid, run_utils

    monkeypatch.setattr(grid, "launch_experiment", lambda e: run_utils.ExperimentResult(
        e.exp_name, e.output_dir, "failed", 1, 0.0))
    monkeypatch.setattr(grid.user_config, "WAIT_BEFORE_LAUNCH", 0)
    eg = run_utils.ExperimentGrid(name="checked")
    eg.add("env_name", "CartPole-v1")
    eg.add("seed", [0, 1])
    (result0, result1) = eg.run(spinup.ppo, data_dir=str(tmp_path), check=False)
    assert not result0.ok and not result1.ok
    with pytest.raises(run_utils.ExperimentsFailed, match="2 of 2 experiments failed") as info:
        eg.run(spinup.ppo, data_dir=str(tmp_path))
    assert [r.exp_name for r in info.value.results] == ["checked", "checked"]


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], capture_output=True, text=True, cwd=cwd,
                          env=_quiet_env(), timeout=300)


def test_cli_original_dict_form(tmp_path):
    done = _cli("ppo_pytorch", "--env", "CartPole-v1", "--exp_name", "dictform", "--data_dir", str(tmp_path),
                "--ac_kwargs", "dict(hidden_sizes=[8], activation=torch.nn.ReLU)", "--epochs", "1",
                "--steps_per_epoch", "100", "--train_pi_iters", "2", "--train_v_iters", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    config = (tmp_path / "dictform" / "dictform_s0" / "config.json").read_text()
    assert '"hidden_sizes":\t[\n' in config and '"activation":\t"ReLU"' in config


@pytest.mark.parametrize("value,why", [
    ("dict(hidden_sizes=[8], activation=os.system)", "os.system is not a number, string"),
    ("dict(hidden_sizes=__import__('os'))", "is not a number, string"),
    ("dict(**kwargs)", "is not dict(key=value, ...)"),
    ("dict(hidden_sizes=[8]", "it is not a dict"),
    ("{'activation': print}", "print is not a number, string"),
])
def test_cli_refuses_other_dict_forms_before_launch(tmp_path, value, why):
    done = _cli("ppo", "--env", "CartPole-v1", "--data_dir", str(tmp_path / "data"), "--ac_kwargs", value,
                cwd=tmp_path)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: Cannot read") and why in lines[0], done.stderr
    assert not (tmp_path / "data").exists()


def test_parse_value_never_evaluates():
    from spinup.run import parse_value

    assert parse_value("dict(hidden_sizes=(64, 32), activation=nn.Tanh, extra=dict(a=-1, b=None))") == dict(
        hidden_sizes=(64, 32), activation=nn.Tanh, extra=dict(a=-1, b=None))
    assert parse_value("{'activation': torch.nn.ReLU, 'hidden_sizes': [16]}") == dict(
        activation=nn.ReLU, hidden_sizes=[16])


@pytest.mark.parametrize("cmd", ["ppo_tf1", "trpo_tf1", "sac_tf1"])
def test_cli_tf1_names_say_what_to_use(cmd, tmp_path):
    done = _cli(cmd, "--env", "CartPole-v1", cwd=tmp_path)
    assert done.returncode == 2
    assert "TensorFlow 1 is not supported" in done.stderr and f"use {cmd[:-4]}" in done.stderr


# ---------------------------------------------------------------------------------------------
# The porting page: its examples run as written.

PAGE = os.path.join(REPO, "docs", "user", "porting.md")
_BLOCK = re.compile(r"^% porting-example\n```(python|bash)\n(.*?)^```", re.M | re.S)


def page_examples() -> list[tuple[str, str]]:
    """The code blocks of the porting page marked with a ``% porting-example`` line, in order."""
    with open(PAGE) as f:
        return _BLOCK.findall(f.read())


def test_porting_page_has_examples():
    kinds = [kind for kind, _ in page_examples()]
    assert kinds.count("python") >= 4 and kinds.count("bash") >= 1


@pytest.mark.slow
def test_porting_page_examples_run(tmp_path):
    """The Python examples run in order as one script (later ones use what earlier ones made),
    then each shell example, all in an empty folder."""
    examples = page_examples()
    script = tmp_path / "porting_examples.py"
    script.write_text("\n\n".join(code for kind, code in examples if kind == "python"))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          env=_quiet_env(), timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for kind, code in examples:
        if kind == "bash":
            done = subprocess.run(["bash", "-e", "-c", code.replace("python ", f"{sys.executable} ")],
                                  capture_output=True, text=True, cwd=tmp_path, env=_quiet_env(), timeout=600)
            assert done.returncode == 0, code + done.stdout[-3000:] + done.stderr[-3000:]
