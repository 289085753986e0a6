"""Small experiment functions for the tests of run_utils and the command line.

They are real thunks: run in a subprocess by ``call_experiment``, they write what they received
into their output folder, so the tests can check it. Importable by the subprocess because the
tests put this folder on PYTHONPATH.
"""

import json
import os

from spinup.utils.errors import UserError


def record_kwargs(seed=0, logger_kwargs=None, env_fn=None, fail=False, user_error=False, **kwargs):
    """Write ``received.json`` (the arguments, and the id of the env that ``env_fn`` builds) into
    the output folder; then fail with an exception or a UserError if asked."""
    out = logger_kwargs["output_dir"]
    os.makedirs(out, exist_ok=True)
    received = {
        "seed": seed,
        "logger_kwargs": logger_kwargs,
        "kwargs": {k: repr(v) for k, v in kwargs.items()},
        "env_fn": type(env_fn).__name__ if env_fn is not None else None,
        "env_id": None,
    }
    if env_fn is not None:
        env = env_fn()
        received["env_id"] = env.spec.id
        received["env_kwargs"] = {k: repr(v) for k, v in env.spec.kwargs.items()}
        env.close()
    with open(os.path.join(out, "received.json"), "w") as f:
        json.dump(received, f, indent=2, sort_keys=True)
    print(f"record_kwargs ran with seed {seed}")
    if user_error:
        raise UserError("The value of user_error was True; set it to False.")
    if fail:
        raise RuntimeError("failing on purpose")


def sleep_long(seed=0, logger_kwargs=None, **kwargs):
    """Write ``pid`` (this process's id) into the output folder, then sleep for ten minutes: an
    experiment still running when a test stops its grid."""
    import time

    out = logger_kwargs["output_dir"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "pid"), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)


def main(argv):
    """Stands in for a utility's ``main(argv)`` (plot, test_policy, bench) in dispatch tests."""
    print("utility got", argv)
    return 3 if "--fail" in argv else 0


TINY_ENV_PACKAGE = '''"""A tiny environment package, registered on import (written by the tests)."""
import gymnasium as gym
import numpy as np


class TinyEnv(gym.Env):
    """Reward 1 for action 1; the episode ends after ``size`` steps."""

    def __init__(self, size=5):
        self.size = size
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t = 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(2, dtype=np.float32), {}

    def step(self, action):
        self.t += 1
        obs = np.full(2, self.t / self.size, dtype=np.float32)
        return obs, float(action), self.t >= self.size, False, {}


gym.register(id="SpinupTiny-v0", entry_point=__name__ + ":TinyEnv", max_episode_steps=50)
'''


def write_tiny_env_package(folder, name="spinup_tiny_env"):
    """Write the package ``name`` (registering ``SpinupTiny-v0``) into ``folder``."""
    pkg = os.path.join(folder, name)
    os.makedirs(pkg, exist_ok=True)
    with open(os.path.join(pkg, "__init__.py"), "w") as f:
        f.write(TINY_ENV_PACKAGE)
    return name


def as_in_a_terminal():
    """``preexec_fn`` for a test that sends Ctrl-C: let SIGINT reach the child as it would from a
    terminal. A command started in the background by a non-interactive shell (``cmd &``) inherits
    SIGINT ignored, and Python keeps it ignored, so without this the test would depend on how the
    test suite itself was started."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
