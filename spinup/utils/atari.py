"""Atari games from the Arcade Learning Environment (``pip install -e ".[atari]"``), with the
preprocessing of the DQN papers.

``--env ALE/Breakout-v5`` (any id whose environment comes from ``ale_py``) builds
:func:`make_atari`'s environment. What the agent sees, from the raw 210×160 colour screen:

1. **No-op starts:** each game starts with up to 30 random no-op actions, so that episodes do not
   all begin in the same state.
2. **Frame skip 4:** each action is repeated for 4 emulator frames and the rewards are summed;
   the observed frame is the pixel-wise maximum of the last two (Atari sprites flicker: some are
   drawn only every other frame).
3. **84×84 grey:** the frame is turned grey and resized to 84×84, ``uint8``.
4. **Fire to serve:** in games that wait for FIRE before play starts (Breakout), FIRE is pressed
   for the agent at the start of each game and after each lost life (:class:`FireAtNewLife`), as
   the vector environments of ALE and EnvPool do at reset by default. Otherwise a greedy policy
   that never presses FIRE stalls a test game until the emulator's limit (27,000 steps).
5. **Frame stack 4:** the observation is the last 4 frames, ``(4, 84, 84)`` ``uint8``, so that
   the agent can see motion. At a game's start the first frame is repeated.

For training only (:func:`training_version`, which the algorithms apply to their training copies),
two more, beneath the frame stack:

6. **Episodic life:** losing a life ends the episode (``terminated``: no value beyond it), but
   the game goes on; the next "reset" only continues it. The agent learns that losing a life
   is bad without waiting for the game to end.
7. **Reward clipping:** each reward becomes its sign (−1, 0 or 1), so that one learning rate
   suits games whose scores differ by orders of magnitude.

The return logged as ``EpRet`` is still the **real game score**: the sum of the unclipped rewards
of the whole game, over all its lives (:class:`GameScore`). Test episodes, ``test_policy`` and
videos play whole games with real rewards.

The ``v5`` games keep their sticky actions (with probability 0.25 the previous action is
repeated; Machado et al., 2018), which makes the games stochastic; pass
``--env_kwargs '{"repeat_action_probability": 0.0}'`` for the deterministic games of the original
DQN papers.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation, TimeLimit

from spinup.utils.errors import UserError

INSTALL_HINT = 'pip install -e ".[atari]"  (or: pip install ale-py opencv-python-headless)'
FRAME_STACK = 4


def register_atari_envs() -> bool:
    """Make the ``ALE/...`` ids known to Gymnasium (importing ``ale_py`` registers them); False
    where ``ale_py`` is not installed."""
    try:
        import ale_py
    except ImportError:
        return False
    gym.register_envs(ale_py)
    return True


def is_atari_id(env_id: str) -> bool:
    """Whether ``env_id`` names an Atari game of ``ale_py`` (``ALE/Pong-v5``, ``PongNoFrameskip-v4``)."""
    if env_id.startswith("ALE/") or "NoFrameskip" in env_id:
        return True
    spec = gym.registry.get(env_id)
    return spec is not None and str(spec.entry_point).startswith("ale_py")


def missing_atari_message(env_id: str) -> str:
    return f"'{env_id}' is an Atari game, and the Atari extra is not installed. Install it with:\n    {INSTALL_HINT}"


def make_atari(env_id: str, **env_kwargs) -> gym.Env:
    """The game ``env_id`` with the standard preprocessing (steps 1 to 5 of the module's list):
    observations ``(4, 84, 84)`` ``uint8``, one action = 4 frames, whole games, real rewards.
    ``max_episode_steps`` in ``env_kwargs`` counts agent steps (of 4 frames)."""
    if not register_atari_envs():
        raise UserError(missing_atari_message(env_id))
    try:
        import cv2  # noqa: F401  (AtariPreprocessing resizes with OpenCV)
    except ImportError:
        raise UserError(f"The Atari preprocessing needs OpenCV. Install it with:\n    {INSTALL_HINT}") from None
    env_kwargs = dict(env_kwargs)
    max_episode_steps = env_kwargs.pop("max_episode_steps", None)
    env = gym.make(env_id, **{"frameskip": 1, **env_kwargs})  # the frame skip is AtariPreprocessing's
    env = AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, grayscale_obs=True,
                             terminal_on_life_loss=False, scale_obs=False)
    if "FIRE" in env.unwrapped.get_action_meanings():
        env = FireAtNewLife(env)
    if max_episode_steps is not None:
        env = TimeLimit(env, max_episode_steps)
    return FrameStackObservation(env, FRAME_STACK)


def training_version(env: gym.Env) -> gym.Env:
    """For an environment made by :func:`make_atari`: the same game with episodic lives and
    clipped rewards (steps 6 and 7), put beneath the frame stack so that a new life starts a new
    stack, as a new game does. Any other environment is returned as it is."""
    if not (isinstance(env, FrameStackObservation) and type(env.unwrapped).__module__.startswith("ale_py")):
        return env
    inner = ClipReward(EpisodicLife(GameScore(env.env)))
    return FrameStackObservation(inner, env.stack_size)


class FireAtNewLife(gym.Wrapper):
    """Presses FIRE (action 1) for the agent once at the start of each game and once after each
    lost life: games such as Breakout wait for it before play starts. The step's reward counts and
    its frames are real; only the agent does not choose it."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.fire = self.env.unwrapped.get_action_meanings().index("FIRE")
        self.lives = 0

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        obs, _, terminated, truncated, info = self.env.step(self.fire)  # a reward here is rare; dropped
        if terminated or truncated:
            obs, info = self.env.reset(**kwargs)
        self.lives = self.env.unwrapped.ale.lives()
        return obs, info

    def step(self, action):
        obs, rew, terminated, truncated, info = self.env.step(action)
        lives = self.env.unwrapped.ale.lives()
        if lives < self.lives and not (terminated or truncated):
            obs, more, terminated, truncated, info = self.env.step(self.fire)
            rew += more
        self.lives = lives
        return obs, rew, terminated, truncated, info


class GameScore(gym.Wrapper):
    """Counts the real score and length (in agent steps, with the no-op that continues the game
    after each lost life) of the whole game; on the step the game ends (over, or cut off by the emulator's limit) it adds ``info["game_score"]`` and
    ``info["game_length"]``. Beneath :class:`EpisodicLife` and :class:`ClipReward`, it sees the
    real rewards and the real end."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.score, self.length = 0.0, 0

    def reset(self, **kwargs):
        self.score, self.length = 0.0, 0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, rew, terminated, truncated, info = self.env.step(action)
        self.score += float(rew)
        self.length += 1
        if terminated or truncated:
            info = dict(info, game_score=self.score, game_length=self.length)
        return obs, rew, terminated, truncated, info


class EpisodicLife(gym.Wrapper):
    """A lost life ends the episode (``terminated``) but not the game: ``reset`` after a lost life
    takes one no-op step and returns its observation, and only a finished game is really reset.
    ``info["game_over"]`` says, at every episode end, whether the game ended too."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.lives, self.game_over = 0, True

    def reset(self, **kwargs):
        if self.game_over:
            obs, info = self.env.reset(**kwargs)
        else:  # a life was lost: the game goes on from where it is
            obs, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:  # the no-op ended the game (rare): start a new one
                obs, info = self.env.reset(**kwargs)
        self.lives, self.game_over = self.env.unwrapped.ale.lives(), False
        return obs, info

    def step(self, action):
        obs, rew, terminated, truncated, info = self.env.step(action)
        self.game_over = terminated or truncated
        lives = self.env.unwrapped.ale.lives()
        life_lost = 0 < lives < self.lives
        self.lives = lives
        if self.game_over or life_lost:
            info = dict(info, game_over=self.game_over)
        return obs, rew, terminated or life_lost, truncated, info


class ClipReward(gym.RewardWrapper):
    """Each reward becomes its sign: −1, 0 or +1."""

    def reward(self, reward):
        return float(np.sign(reward))


def atari_defaults(algo: str) -> dict:
    """The arguments that :mod:`spinup.run` uses for ``algo`` on an Atari game where the command
    line does not set them (see the algorithm pages of the docs for where they come from)."""
    return dict(ATARI_DEFAULTS.get(algo, {}))


# Settings of the literature, scaled to what a laptop can run (the docs' algorithm pages explain
# each). DQN: Mnih et al. (2015) and the Double DQN paper, with a smaller buffer and a shorter
# schedule; PPO: Schulman et al. (2017) Atari settings (8 copies × 128 steps per update).
ATARI_DEFAULTS: dict[str, dict] = {
    "dqn": dict(
        ac_kwargs=dict(hidden_sizes=()),  # the Nature CNN's 512 features, then one linear layer
        steps_per_epoch=10_000, epochs=100, replay_size=100_000, batch_size=32, lr=1e-4,
        gamma=0.99, start_steps=20_000, update_after=20_000, update_every=4, gradient_steps=1,
        target_update_every=1_000, eps_start=1.0, eps_end=0.01, eps_decay_steps=250_000,
        double=True, num_test_episodes=2, max_ep_len=27_000,
    ),
    "ppo": dict(
        ac_kwargs=dict(hidden_sizes=()),
        num_envs=8, steps_per_epoch=1024, epochs=1000, gamma=0.99, lam=0.95, clip_ratio=0.1,
        pi_lr=2.5e-4, vf_lr=2.5e-4, train_pi_iters=8, train_v_iters=8, target_kl=0.02,
        max_ep_len=27_000, save_freq=50,
    ),
}
