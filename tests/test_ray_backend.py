"""ExperimentGrid.run(backend='ray'): each variant a Ray task on a local Ray instance, with the
same output layout as the local backend and failures in the same summary."""

import json
import os
import sys

import pytest
import run_helpers

from spinup.utils.errors import UserError
from spinup.utils.grid import ExperimentGrid
from spinup.utils.launch import summary_text

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def test_missing_ray_is_a_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    eg = ExperimentGrid(name="noray")
    with pytest.raises(UserError, match=r"pip install 'spinup\[ray\]'"):
        eg.run(run_helpers.record_kwargs, backend="ray")


def test_two_variants_on_a_local_ray_instance(monkeypatch, _data_dir):
    pytest.importorskip("ray")
    # The tasks' processes import run_helpers; Ray's workers inherit this environment.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [TESTS_DIR, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    eg = ExperimentGrid(name="onray")
    eg.add("env_name", "CartPole-v1")
    eg.add("fail", [False, True])
    eg.add("seed", 3)

    results = eg.run(run_helpers.record_kwargs, backend="ray", parallel=2, check=False)

    assert [r.exp_name for r in results] == ["onray", "onray_fai"]
    ok, failed = results
    # Same layout as the local backend: data_dir/exp_name/exp_name_s<seed>, output in output.log.
    assert ok.ok and ok.output_dir == str(_data_dir / "onray" / "onray_s3")
    with open(os.path.join(ok.output_dir, "received.json")) as f:
        received = json.load(f)
    assert received["seed"] == 3 and received["env_id"] == "CartPole-v1"
    assert received["logger_kwargs"]["exp_name"] == "onray"
    with open(ok.log_file) as f:
        assert "record_kwargs ran with seed 3" in f.read()
    assert not failed.ok and failed.returncode == 1
    with open(failed.log_file) as f:
        assert "failing on purpose" in f.read()
    summary = summary_text(results)
    assert "1 of 2 experiments finished; 1 failed." in summary

    import ray

    assert not ray.is_initialized()  # the instance started for the grid is shut down again
