"""spinup: Spinning Up in Deep RL, rebuilt on PyTorch 2 and Gymnasium.

The algorithms are functions: ``spinup.ppo(env_fn, ...)``, ``spinup.sac(...)``, and so on.
They are imported on first use, so ``import spinup`` is cheap.
"""

from spinup.version import __version__

_ALGO_NAMES = ("vpg", "trpo", "ppo", "ddpg", "td3", "sac", "dqn")

__all__ = ["__version__", "Logger", "EpochLogger", *_ALGO_NAMES]


def __getattr__(name):
    if name in _ALGO_NAMES:
        from spinup.algos import get_algo

        return get_algo(name)
    if name in ("Logger", "EpochLogger"):
        from spinup.utils import logx

        return getattr(logx, name)
    raise AttributeError(f"module 'spinup' has no attribute {name!r}")
