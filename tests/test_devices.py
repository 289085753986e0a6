"""``device`` for every algorithm: which devices resolve, how a missing one is refused (from
Python and from the command line), that every algorithm trains with ``device='cpu'`` given
explicitly and two environment copies, and that what a run writes loads back on the CPU.

The tests that need a GPU are skipped on a machine without one."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import spinup
from spinup.algos import get_algo
from spinup.algos.offpolicy import ReplayBuffer
from spinup.utils.checkpoint import load_resume_checkpoint
from spinup.utils.devices import device_problem, resolve_device
from spinup.utils.envs import EnvFactory
from spinup.utils.errors import UserError

ALGOS = ("vpg", "trpo", "ppo", "ddpg", "td3", "sac", "dqn")
OFF_POLICY = ("ddpg", "td3", "sac", "dqn")
ENV = {"ddpg": "Pendulum-v1", "td3": "Pendulum-v1"}  # the others: CartPole-v1

# One tiny epoch of 40 steps (20 per copy), with policy actions and gradient steps in it.
TINY = {
    "vpg": dict(train_v_iters=2),
    "trpo": dict(train_v_iters=2, cg_iters=3, backtrack_iters=3),
    "ppo": dict(train_pi_iters=2, train_v_iters=2),
    **{
        algo: dict(
            replay_size=1000,
            batch_size=8,
            start_steps=10,
            update_after=10,
            update_every=10,
            num_test_episodes=1,
            save_buffer=True,
        )
        for algo in OFF_POLICY
    },
}

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def train(algo, out, device="cpu", num_envs=2, **kwargs):
    """One tiny epoch of ``algo`` with ``num_envs`` copies on ``device``, written into ``out``."""
    kwargs = {
        "ac_kwargs": dict(hidden_sizes=(8,)),
        "epochs": 1,
        "steps_per_epoch": 40,
        "max_ep_len": 30,
        **TINY[algo],
        **kwargs,
    }
    return get_algo(algo)(
        EnvFactory(ENV.get(algo, "CartPole-v1")),
        num_envs=num_envs,
        device=device,
        logger_kwargs=dict(output_dir=str(out), progress=False),
        **kwargs,
    )


def progress_column(run_dir, name):
    import pandas as pd

    return list(pd.read_table(run_dir / "progress.txt")[name])


# ---------------------------------------------------------------------------------------------
# Resolving a device


def test_cpu_resolves_to_the_cpu():
    assert resolve_device("cpu") == torch.device("cpu")
    assert device_problem("cpu") is None


@pytest.mark.skipif(HAS_CUDA or HAS_MPS, reason="'auto' takes the GPU of this machine")
def test_auto_takes_the_cpu_on_a_machine_without_a_gpu():
    assert resolve_device("auto") == torch.device("cpu")
    assert device_problem("auto") is None


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_refused_in_one_line():
    with pytest.raises(UserError) as refused:
        resolve_device("cuda")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("--device cuda:") and "--device cpu" in message
    assert device_problem("cuda") is not None


@pytest.mark.skipif(HAS_MPS, reason="this machine has MPS")
def test_mps_without_apple_gpu_is_refused_in_one_line():
    with pytest.raises(UserError, match="^--device mps: MPS") as refused:
        resolve_device("mps")
    assert "\n" not in str(refused.value)


def test_an_unknown_device_is_refused():
    with pytest.raises(UserError, match="'tpu'"):
        resolve_device("tpu")


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_a_run_on_cuda_without_a_gpu_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(UserError, match="device"):
        train("ppo", tmp_path / "run", device="cuda")
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_cli_refuses_cuda_without_a_gpu_with_exit_status_2_and_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "spinup.run", "ppo", "--env", "CartPole-v1", "--device", "cuda"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "--device cuda" in lines[0] and "--device cpu" in lines[0]
    assert not (tmp_path / "data").exists()  # nothing was started


# ---------------------------------------------------------------------------------------------
# Every algorithm on the CPU, two copies; what it writes loads back


@pytest.mark.parametrize("algo", ALGOS)
def test_every_algorithm_trains_an_epoch_on_cpu_with_two_copies(algo, tmp_path):
    run_dir = tmp_path / algo
    train(algo, run_dir, device="cpu", num_envs=2)
    assert progress_column(run_dir, "TotalEnvInteracts") == [40]

    # The saved model loads back on the CPU and acts
    model = spinup.load_policy(str(run_dir))
    assert all(p.device.type == "cpu" for p in model.parameters())
    obs_dim = 3 if algo in ENV else 4
    act = model.act(torch.zeros(obs_dim))
    assert np.all(np.isfinite(np.asarray(act, dtype=np.float64)))

    # The resume checkpoint loads, and its replay buffer (all 40 transitions) fills a new one
    state = load_resume_checkpoint(str(run_dir))
    assert state["num_envs"] == 2 and state["epoch"] == 1
    if algo in OFF_POLICY:
        saved = state["buffer"]
        act_shape = (1,) if algo in ENV else ()
        buffer = ReplayBuffer((obs_dim,), act_shape, 1000, device="cpu")
        buffer.load_state_dict(saved)
        assert buffer.size == 40
        again = buffer.state_dict()
        assert again.keys() == saved.keys()
        for key in ReplayBuffer.KEYS:
            assert torch.equal(again[key], saved[key]), key


def test_replay_buffer_state_dict_round_trip_on_cpu():
    rng = np.random.default_rng(0)
    buffer = ReplayBuffer((3,), (2,), 10, device="cpu")
    for _ in range(4):  # 12 transitions into 10 places: the oldest two are overwritten
        buffer.store_batch(
            rng.standard_normal((3, 3)),
            rng.standard_normal((3, 2)),
            rng.standard_normal(3),
            rng.standard_normal((3, 3)),
            rng.integers(0, 2, 3),
        )
    state = buffer.state_dict()
    assert all(state[key].device.type == "cpu" for key in ReplayBuffer.KEYS)
    restored = ReplayBuffer((3,), (2,), 10, device=torch.device("cpu"))
    restored.load_state_dict(state)
    assert (restored.ptr, restored.size) == (buffer.ptr, buffer.size) == (2, 10)
    a, b = (
        buffer.sample_batch(5, np.random.default_rng(1)),
        restored.sample_batch(5, np.random.default_rng(1)),
    )
    for key in ReplayBuffer.KEYS:
        assert torch.equal(a[key], b[key]), key


# ---------------------------------------------------------------------------------------------
# The replay buffer lives where the networks do


@pytest.mark.parametrize(
    "algo",
    [
        "ddpg",
        "td3",
        "sac",
        "dqn",
    ],
)
def test_replay_buffer_is_made_on_the_algorithms_device(algo, tmp_path, monkeypatch):
    # 'cpu:0' is the CPU under another name: a buffer built without device= says 'cpu' instead,
    # which on a GPU would mean batches on one device and networks on another
    import importlib

    module = importlib.import_module(f"spinup.algos.{algo}.{algo}")
    monkeypatch.setattr(module, "resolve_device", lambda name: torch.device("cpu", 0))
    devices = []
    original = ReplayBuffer.__init__

    def spy(self, *args, **kwargs):
        original(self, *args, **kwargs)
        devices.append(self.device)

    monkeypatch.setattr(ReplayBuffer, "__init__", spy)
    train(algo, tmp_path / algo)
    assert devices == [torch.device("cpu", 0)]


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize(
    "algo",
    [
        "vpg",
        "trpo",
        "ppo",
        "ddpg",
        "td3",
        "sac",
        "dqn",
    ],
)
def test_every_algorithm_trains_an_epoch_on_cuda(algo, tmp_path):
    run_dir = tmp_path / algo
    ac = train(algo, run_dir, device="cuda")
    assert next(ac.parameters()).device.type == "cuda"
    assert progress_column(run_dir, "TotalEnvInteracts") == [40]
    # Checkpoints hold CPU tensors: they load on a machine without a GPU
    state = load_resume_checkpoint(str(run_dir))
    module = "q_net" if algo == "dqn" else "ac"
    assert all(t.device.type == "cpu" for t in state[module].values())
