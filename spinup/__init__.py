"""spinup: Spinning Up in Deep RL, rebuilt on PyTorch 2 and Gymnasium.

The algorithms are functions: ``spinup.ppo(env_fn, ...)``, ``spinup.sac(...)``, and so on.
They are imported on first use, so ``import spinup`` is cheap. ``spinup.load_policy(run_dir)``
loads a saved agent.

The original Spinning Up's names work too: ``spinup.ppo_pytorch`` is ``spinup.ppo``, and the old
module paths (``spinup.algos.pytorch.ppo.ppo``, ...) import with a deprecation warning;
``spinup.ppo_tf1`` says that TensorFlow 1 is gone and what to use (see :mod:`spinup.legacy`).
"""

from spinup import legacy
from spinup.version import __version__

_ALGO_NAMES = ("vpg", "trpo", "ppo", "ddpg", "td3", "sac", "dqn")

__all__ = ["__version__", "Logger", "EpochLogger", "load_policy", *_ALGO_NAMES]

legacy.install()


def __getattr__(name):
    if name in _ALGO_NAMES:
        from spinup.algos import get_algo

        return get_algo(name)
    if name in ("Logger", "EpochLogger"):
        from spinup.utils import logx

        return getattr(logx, name)
    if name == "load_policy":
        from spinup.utils.test_policy import load_policy

        return load_policy
    # The original's names: ppo_pytorch is ppo; ppo_tf1 is gone.
    base, _, backend = name.rpartition("_")
    if base in _ALGO_NAMES and backend == "pytorch":
        return __getattr__(base)
    if base in _ALGO_NAMES and backend == "tf1":
        raise legacy.TensorFlowNotSupported(legacy.tf1_message(f"spinup.{name}", f"spinup.{base}"))
    raise AttributeError(f"module 'spinup' has no attribute {name!r}")
