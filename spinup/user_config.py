"""Settings a user may edit, or override with environment variables.

``DEFAULT_DATA_DIR``
    Where experiments write their output folders when no ``data_dir`` is given.
    Default: ``data/`` under the current working directory. The environment variable
    ``SPINUP_DATA_DIR`` overrides it.
``FORCE_DATESTAMP``
    If True, every output folder gets a date and time prefix, as if ``--dt`` were given.
``DEFAULT_SHORTHAND``
    If True, ``ExperimentGrid`` makes a short name for every parameter that has none
    (``clip_ratio`` becomes ``cli``), used in the names of output folders.
``WAIT_BEFORE_LAUNCH``
    Seconds of countdown before ``ExperimentGrid`` launches, to let you review the
    experiments (0 disables it). The environment variable ``SPINUP_WAIT_BEFORE_LAUNCH``
    overrides it.
"""

import os


def _data_dir() -> str:
    return os.path.abspath(os.environ.get("SPINUP_DATA_DIR") or os.path.join(os.getcwd(), "data"))


def _wait_before_launch() -> float:
    raw = os.environ.get("SPINUP_WAIT_BEFORE_LAUNCH")
    if raw is None or raw.strip() == "":
        return 5
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 5


DEFAULT_DATA_DIR = _data_dir()
FORCE_DATESTAMP = False
DEFAULT_SHORTHAND = True
WAIT_BEFORE_LAUNCH = _wait_before_launch()
