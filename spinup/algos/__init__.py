"""The algorithms, by the names the command line uses.

Each lives in ``spinup/algos/<name>/<name>.py`` (the algorithm function) and ``core.py``
(networks and the maths). They are imported only when asked for, so ``import spinup`` stays fast.
"""

from __future__ import annotations

import importlib

# name -> (module, function)
ALGOS = {
    "vpg": ("spinup.algos.vpg.vpg", "vpg"),
    "trpo": ("spinup.algos.trpo.trpo", "trpo"),
    "ppo": ("spinup.algos.ppo.ppo", "ppo"),
    "ddpg": ("spinup.algos.ddpg.ddpg", "ddpg"),
    "td3": ("spinup.algos.td3.td3", "td3"),
    "sac": ("spinup.algos.sac.sac", "sac"),
    "dqn": ("spinup.algos.dqn.dqn", "dqn"),
}

# Algorithms that can run one experiment in several MPI processes (--cpu N).
ON_POLICY = ("vpg", "trpo", "ppo")
OFF_POLICY = ("ddpg", "td3", "sac", "dqn")


def get_algo(name: str):
    """The algorithm function called ``name`` (e.g. ``get_algo('ppo')``)."""
    module, fn = ALGOS[name]
    return getattr(importlib.import_module(module), fn)


def check_spaces(name: str, observation_space, action_space, default_actor_critic: bool = True) -> None:
    """Refuse, before an experiment is launched, the spaces that algorithm ``name`` cannot take
    (with the algorithms' own messages; each algorithm checks again when it builds its networks).
    The observation space is checked only for the default actor-critic: a user's own may take any."""
    import gymnasium as gym

    from spinup.algos.networks import check_box_actions, check_discrete_actions, obs_encoder
    from spinup.utils.errors import UserError

    if name in ("ddpg", "td3"):
        check_box_actions(action_space, name.upper())
    elif name == "dqn":
        check_discrete_actions(action_space, "DQN")
    elif not isinstance(action_space, gym.spaces.Box | gym.spaces.Discrete):
        raise UserError(f"{name} supports Box and Discrete action spaces, not {action_space}.")
    if default_actor_critic:
        obs_encoder(observation_space)
