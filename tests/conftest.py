"""Shared test set-up: no launch countdown, output under a temporary folder, headless rendering,
and a fixed number of torch threads per test process: OMP_NUM_THREADS if set, else 2. The
learning tests are calibrated at 1 and 2 threads (tests/calibrate_learning.py); CI runs the suite
at 2 and the learning tests again at 1 (.ci/run)."""

import os

os.environ["SPINUP_WAIT_BEFORE_LAUNCH"] = "0"
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "2")
# Idle OpenMP threads sleep rather than spin: pytest-xdist runs one process per core, each with its
# own threads, and spinning threads would take the cores from the other processes' work.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    """Every test writes experiment output below its own temporary folder."""
    data = tmp_path / "data"
    monkeypatch.setenv("SPINUP_DATA_DIR", str(data))
    import spinup.user_config as uc

    monkeypatch.setattr(uc, "DEFAULT_DATA_DIR", str(data))
    monkeypatch.setattr(uc, "WAIT_BEFORE_LAUNCH", 0)
    monkeypatch.chdir(tmp_path)
    yield data


def pytest_collection_modifyitems(config, items):
    """Mark the learning tests (the ones tests/learning_cases.py names) with ``learning``, so that
    ``-m learning`` selects exactly the calibrated tests (CI re-runs them at one thread)."""
    from learning_cases import CASES

    learning = {case.test for case in CASES.values()}
    for item in items:
        if item.nodeid in learning:
            item.add_marker(pytest.mark.learning)
