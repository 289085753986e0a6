"""Running one experiment in several MPI processes: mpi_fork, the MPI helpers, data-parallel
VPG, TRPO and PPO (identical parameters on every rank, statistics over every rank's samples),
and a run launched by the user's own ``mpiexec`` (as across several hosts) without a second fork.

These tests start real MPI jobs of 2 processes with the ``mpiexec`` installed beside Python.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from spinup.utils import mpi_tools
from spinup.utils.errors import UserError
from spinup.utils.mpi_tools import find_mpiexec, launched_by_mpi, mpi_fork

# Environment variables by which a test process could look as if it ran under mpiexec.
LAUNCHER_VARS = ("IN_MPI", "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}
    env.update(OMP_NUM_THREADS="1", SPINUP_WAIT_BEFORE_LAUNCH="0", **extra)
    return env


def run_script(tmp_path, source, args=(), mpiexec_n=None, timeout=240):
    """Run ``source`` as a script (under ``mpiexec -n mpiexec_n`` if given); returns its output."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    cmd = [sys.executable, str(script), *args]
    if mpiexec_n:
        cmd = [find_mpiexec(), "-n", str(mpiexec_n), *cmd]
    done = subprocess.run(cmd, env=clean_env(), cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


# ---------------------------------------------------------------------------------------------
# mpi_fork and the helpers


def test_mpiexec_is_the_one_beside_python():
    assert os.path.dirname(find_mpiexec()) == os.path.dirname(sys.executable)


def test_an_mpiexec_elsewhere_on_path_is_never_used(monkeypatch, tmp_path):
    # A Python without mpiexec beside it, while a (working) mpiexec is first on PATH
    monkeypatch.setenv("PATH", os.path.dirname(find_mpiexec()) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(UserError, match="pip install mpi4py mpich"):
        find_mpiexec()


def test_mpi_fork_does_nothing_for_one_process_or_under_mpiexec(monkeypatch):
    for var in LAUNCHER_VARS:
        monkeypatch.delenv(var, raising=False)
    assert not launched_by_mpi()
    mpi_fork(1)  # returns: nothing to fork
    monkeypatch.setenv("PMI_RANK", "0")  # as under a user's own mpiexec
    assert launched_by_mpi()
    mpi_fork(2)  # returns instead of launching (and exiting)


def test_helpers_in_a_single_process():
    assert mpi_tools.proc_id() == 0 and mpi_tools.num_procs() == 1
    assert mpi_tools.mpi_avg(3.0) == 3.0
    np.testing.assert_allclose(mpi_tools.mpi_sum(np.array([1.0, 2.0])), [1.0, 2.0])
    assert mpi_tools.mpi_statistics_scalar([1.0, 3.0], with_min_and_max=True) == (2.0, 1.0, 1.0, 3.0)
    assert mpi_tools.gather_to_root("x") == ["x"]


def test_mpi_fork_relaunches_once_with_one_thread_per_process(tmp_path):
    # The script calls mpi_fork(2) at the top, as spinup's entry point does; each of the two
    # processes it starts runs the script again from the top, and must not fork a second time.
    run_script(tmp_path, """
        import os
        from spinup.utils.mpi_tools import mpi_fork, proc_id, num_procs, mpi_sum, broadcast
        import numpy as np
        mpi_fork(2)
        x = np.array([float(proc_id())])
        broadcast(x)
        line = (f"rank {proc_id()} of {num_procs()} threads={os.environ['OMP_NUM_THREADS']} "
                f"sum={mpi_sum(proc_id() + 1)} bcast={x[0]}")
        open(f"rank{proc_id()}.txt", "a").write(line + "\\n")  # a file each: pipes interleave
    """)
    lines = sorted(line for f in tmp_path.glob("rank*.txt") for line in f.read_text().splitlines())
    assert lines == ["rank 0 of 2 threads=1 sum=3.0 bcast=0.0", "rank 1 of 2 threads=1 sum=3.0 bcast=0.0"]


def test_statistics_over_two_processes(tmp_path):
    run_script(tmp_path, """
        from spinup.utils.mpi_tools import proc_id, mpi_statistics_scalar, mpi_avg
        # rank 0 holds [1, 2, 3], rank 1 holds [10]; rank 1's empty second sample set is allowed
        x = [1.0, 2.0, 3.0] if proc_id() == 0 else [10.0]
        line = (f"{mpi_statistics_scalar(x, with_min_and_max=True)} {mpi_avg(float(proc_id()))} "
                f"{mpi_statistics_scalar([] if proc_id() else [5.0], with_min_and_max=True)}")
        open(f"stats{proc_id()}.txt", "w").write(line + "\\n")  # a file each: pipes interleave
    """, mpiexec_n=2)
    lines = [f.read_text().strip() for f in sorted(tmp_path.glob("stats*.txt"))]
    std = float(np.std([1.0, 2.0, 3.0, 10.0]))
    assert lines == [f"{(4.0, std, 1.0, 10.0)} 0.5 (5.0, 0.0, 5.0, 5.0)"] * 2


# ---------------------------------------------------------------------------------------------
# The on-policy algorithms over 2 processes

PROBE = """
import json, sys
import gymnasium as gym
import numpy as np
import torch
from spinup.algos.onpolicy import MLPActorCritic
from spinup.utils.logx import EpochLogger
from spinup.utils.mpi_tools import proc_id

# Record what each process stores for the logger, to compare with what the logger wrote.
stored = {}
original_store = EpochLogger.store

def store(self, **kwargs):
    for k, v in kwargs.items():
        stored.setdefault(k, []).extend(np.atleast_1d(np.asarray(v, dtype=np.float64)).tolist())
    original_store(self, **kwargs)

EpochLogger.store = store

algo, env_id, out = sys.argv[1], sys.argv[2], sys.argv[3]
fn = getattr(__import__(f"spinup.algos.{algo}.{algo}", fromlist=[algo]), algo)
kwargs = dict(ppo=dict(train_pi_iters=5, train_v_iters=5), vpg=dict(train_v_iters=5),
              trpo=dict(train_v_iters=5))[algo]
ac = fn(lambda: gym.make(env_id), seed=4, steps_per_epoch=600, epochs=2,
        logger_kwargs=dict(output_dir=out, exp_name="probe"), **kwargs)
params = torch.cat([p.detach().reshape(-1) for p in ac.parameters()]).tolist()
# The values stored in the last epoch: the last 300 VVals, and the episodes after the first epoch
with open(f"{out}/rank{proc_id()}.json", "w") as f:
    json.dump(dict(params=params, vvals=stored["VVals"][-300:], epret=stored["EpRet"]), f)
"""


@pytest.mark.slow
@pytest.mark.parametrize("algo,env_id", [("ppo", "CartPole-v1"), ("vpg", "Pendulum-v1"), ("trpo", "CartPole-v1")])
def test_two_processes_share_parameters_and_statistics(tmp_path, algo, env_id):
    out = tmp_path / "out"
    run_script(tmp_path, PROBE, args=(algo, env_id, str(out)), mpiexec_n=2)
    r0, r1 = (json.load(open(out / f"rank{r}.json")) for r in (0, 1))
    progress = pd.read_table(out / "progress.txt")
    assert list(progress["TotalEnvInteracts"]) == [600, 1200]

    # After the updates every process holds exactly the same parameters
    assert r0["params"] == r1["params"]

    # Each process collected its own 300 steps (seeds differ by 10000 per rank) ...
    assert r0["vvals"] != r1["vvals"]
    # ... and the logged statistics are over both processes' samples
    both = np.array(r0["vvals"] + r1["vvals"])
    last = progress.iloc[-1]
    assert last["AverageVVals"] == pytest.approx(both.mean(), rel=1e-6)
    assert last["StdVVals"] == pytest.approx(both.std(), rel=1e-5)
    assert (last["MaxVVals"], last["MinVVals"]) == pytest.approx((both.max(), both.min()))
    assert len(both) == 600
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".txt") == ["progress.txt"]


@pytest.mark.slow
def test_a_run_launched_by_the_users_own_mpiexec_is_not_forked_again(tmp_path):
    # As on several hosts: `mpiexec -n 2 python -m spinup.run ppo --cpu 2 ...`. Both processes
    # must join one run: one folder, one progress.txt, one row per epoch. A 2-process share of
    # 8 steps (4 each) is too short for any CartPole episode to end, so the run warns, once,
    # naming 2 processes; a second fork would have made two 2-process runs and two warnings.
    data = tmp_path / "data"
    cmd = [find_mpiexec(), "-n", "2", sys.executable, "-m", "spinup.run", "ppo", "--env", "CartPole-v1",
           "--cpu", "2", "--steps_per_epoch", "8", "--epochs", "2", "--train_pi_iters", "1",
           "--train_v_iters", "1", "--exp_name", "direct", "--data_dir", str(data)]
    done = subprocess.run(cmd, env=clean_env(), cwd=tmp_path, capture_output=True, text=True, timeout=240)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert log.count("(4 steps = steps_per_epoch / 2 processes)") == 1, log
    assert log.count("Number of parameters") == 1, log
    runs = sorted(p.parent for p in data.rglob("progress.txt"))
    assert runs == [data / "direct" / "direct_s0"]
    progress = pd.read_table(runs[0] / "progress.txt")
    assert list(progress["TotalEnvInteracts"]) == [8, 16]
    assert progress["AverageEpRet"].isna().all()
