"""The original Spinning Up's ``run_utils`` names, kept importable; each lives in the module named
for what it does:

* :mod:`spinup.utils.run_folders`: where a run writes. ``setup_logger_kwargs``,
  ``check_resume_dir``.
* :mod:`spinup.utils.launch`: one experiment in a fresh process, several at a time, and what is
  printed around them. ``call_experiment``, ``prepare_experiment``, ``Experiment``,
  ``ExperimentResult``, ``summary_text``.
* :mod:`spinup.utils.run_entrypoint`: the experiment's own process. ``encode_thunk``.
* :mod:`spinup.utils.grid`: grids of experiments and their names. ``ExperimentGrid``,
  ``ExperimentsFailed``, ``valid_str``, ``default_shorthand``.
* :mod:`spinup.utils.ray_backend`: grids on Ray. ``run_on_ray``, ``require_ray``.

So ``from spinup.utils.run_utils import ExperimentGrid, call_experiment, setup_logger_kwargs``
works as it did in the original; new code may import from the modules above.
"""

from spinup.utils.grid import ExperimentGrid, ExperimentsFailed, default_shorthand, valid_str
from spinup.utils.launch import (
    Experiment,
    ExperimentResult,
    call_experiment,
    prepare_experiment,
    summary_text,
)
from spinup.utils.ray_backend import require_ray, run_on_ray
from spinup.utils.run_entrypoint import encode_thunk
from spinup.utils.run_folders import check_resume_dir, setup_logger_kwargs

__all__ = [
    "Experiment",
    "ExperimentGrid",
    "ExperimentResult",
    "ExperimentsFailed",
    "call_experiment",
    "check_resume_dir",
    "default_shorthand",
    "encode_thunk",
    "prepare_experiment",
    "require_ray",
    "run_on_ray",
    "setup_logger_kwargs",
    "summary_text",
    "valid_str",
]
