"""Finding, checking and building Gymnasium environments by name.

``EnvFactory('CartPole-v1')`` is a picklable callable that builds the environment; experiments
receive it as ``env_fn``. It also accepts a user's package that registers environments
(``env_pkg='mypkg'`` or the name ``'mypkg:MyEnv-v0'``) and keyword arguments for ``gym.make``.
"""

from __future__ import annotations

import difflib
import importlib
import os
import signal

import gymnasium as gym

from spinup.utils import atari
from spinup.utils.errors import UserError


def import_env_pkg(env_pkg: str | None) -> None:
    """Import a user's package so that the environments it registers become available."""
    if not env_pkg:
        return
    try:
        importlib.import_module(env_pkg)
    except ImportError as e:
        raise UserError(
            f"Could not import the environment package '{env_pkg}' ({e}). Install it (e.g. "
            "'pip install -e path/to/it') or add its folder to PYTHONPATH."
        ) from None


def split_env_name(env_name: str) -> tuple[str | None, str]:
    """``'mypkg:MyEnv-v0'`` -> ``('mypkg', 'MyEnv-v0')``; ``'CartPole-v1'`` -> ``(None, 'CartPole-v1')``."""
    if ":" in env_name:
        pkg, _, env_id = env_name.partition(":")
        return pkg, env_id
    return None, env_name


def suggest_env_ids(env_id: str, n: int = 3) -> list[str]:
    """Registered ids closest to ``env_id`` (case-insensitive), best first."""
    ids = list(gym.registry.keys())
    lower = {i.lower(): i for i in ids}
    close = difflib.get_close_matches(env_id.lower(), list(lower), n=n, cutoff=0.5)
    return [lower[c] for c in close]


def check_env_id(env_name: str, env_pkg: str | None = None) -> None:
    """Raise :class:`UserError` with suggestions unless ``env_name`` is a registered environment."""
    if not isinstance(env_name, str) or not env_name:
        raise UserError(f"The environment name must be a string such as CartPole-v1, not {env_name!r}.")
    pkg, env_id = split_env_name(env_name)
    import_env_pkg(env_pkg)
    import_env_pkg(pkg)
    if env_id in gym.registry:
        return
    if atari.is_atari_id(env_id):  # Atari ids exist once ale_py is imported
        if not atari.register_atari_envs():
            raise UserError(atari.missing_atari_message(env_id))
        if env_id in gym.registry:
            return
    lines = [f"'{env_id}' is not a registered Gymnasium environment."]
    hints = suggest_env_ids(env_id)
    if hints:
        lines.append("Did you mean: " + ", ".join(hints) + "?")
    lines.append(
        "Check the spelling and the version tag (e.g. -v1). For your own environment, register it "
        "in a package and pass --env_pkg mypkg (or --env mypkg:MyEnv-v0)."
    )
    raise UserError("\n".join(lines))


# A crash at an exact point, for testing resume: with SPINUP_KILL_AT_STEP=N in its environment, a
# process sends itself SIGKILL when it asks for the N-th step of the environments EnvFactory made
# for it (counted over all of them: an off-policy run's test episodes count too).
KILL_AT_STEP = "SPINUP_KILL_AT_STEP"
_steps_taken = 0


def _kill_at_step(env: gym.Env, at: int) -> None:
    """Make ``env.step`` kill this process at the ``at``-th step of the process. The method is
    replaced on the instance, not wrapped, so that the run's wrappers (which a resume checkpoint
    records) are the same as without the hook."""
    step = env.step

    def step_or_die(action):
        global _steps_taken
        _steps_taken += 1
        if _steps_taken >= at:
            os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        return step(action)

    env.step = step_or_die


class EnvFactory:
    """A callable that builds an environment: ``gym.make(env_name, **env_kwargs)``; for an Atari
    game, :func:`spinup.utils.atari.make_atari` (the standard preprocessing), and with
    ``training=True`` its training version (episodic lives, clipped rewards).

    Args:
        env_name: a registered id (``'HalfCheetah-v5'``) or ``'package:Id'``.
        env_kwargs: keyword arguments for ``gym.make``.
        env_pkg: a package to import first (it registers the environment).
    """

    def __init__(self, env_name: str, env_kwargs: dict | None = None, env_pkg: str | None = None):
        self.env_name = env_name
        self.env_kwargs = dict(env_kwargs or {})
        self.env_pkg = env_pkg

    def __call__(self, training: bool = False, **overrides) -> gym.Env:
        import_env_pkg(self.env_pkg)
        kwargs = {**self.env_kwargs, **overrides}
        try:
            if self.is_atari:
                env = atari.make_atari(split_env_name(self.env_name)[1], **kwargs)
                env = atari.training_version(env) if training else env
            else:
                env = gym.make(self.env_name, **kwargs)
        except gym.error.Error as e:
            raise UserError(f"Could not make environment '{self.env_name}' with {kwargs}: {e}") from None
        kill_at = os.environ.get(KILL_AT_STEP)
        if kill_at:
            _kill_at_step(env, int(kill_at))
        return env

    @property
    def is_atari(self) -> bool:
        """Whether this builds an Atari game (:mod:`spinup.utils.atari`)."""
        return atari.is_atari_id(split_env_name(self.env_name)[1])

    def to_json(self) -> dict:
        out = {"env_name": self.env_name}
        if self.env_kwargs:
            out["env_kwargs"] = self.env_kwargs
        if self.env_pkg:
            out["env_pkg"] = self.env_pkg
        return out

    def __repr__(self) -> str:
        return f"EnvFactory({self.env_name!r}, env_kwargs={self.env_kwargs!r}, env_pkg={self.env_pkg!r})"
