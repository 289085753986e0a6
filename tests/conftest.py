"""Shared test set-up: no launch countdown, output under a temporary folder, headless rendering,
and one torch thread per test process (the suite runs in parallel under pytest-xdist)."""

import os

os.environ["SPINUP_WAIT_BEFORE_LAUNCH"] = "0"
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


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
