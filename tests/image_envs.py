"""A small picture environment for the tests: the agent must look at the picture to act well.

``spinup_tests/Pixels-v0`` ("which side is the light on?"): each observation is a dark 36×36
``uint8`` picture with one bright 6×6 square somewhere in its left or right half (row and
column drawn at random). Action 0 says "left", 1 says "right". A right answer earns +1 and shows
the next picture; a wrong one earns 0 and **terminates** the episode; after 20 right answers in a
row the episode is **truncated** (its TimeLimit). The side is only in the pixels, so a policy
that cannot see (a constant one, or random play) answers right half the time and scores about 1;
one that sees scores up to 20.

``spinup_tests/PixelsStack-v0`` is the same game seen through ``FrameStackObservation(env, 2)``:
observations ``(2, 36, 36)``, the previous picture then the current one (at an episode's start the
first picture twice). Only the current picture holds the answer, so a replay buffer that rebuilds
its stacks in the wrong order, or from the wrong step, teaches the wrong answer. With this
stack as the environment's last observation wrapper, DQN stores it in a
:class:`~spinup.algos.frame_buffer.FrameReplayBuffer`.

36×36 is the Nature CNN's smallest picture, which keeps its work small (its convolutions end at
1×1). Importing this module registers both ids; outside ``tests/`` name them
``image_envs:spinup_tests/Pixels-v0``, which imports it first.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.wrappers import FrameStackObservation

SIZE = 36  # pixels on a side: the Nature CNN's smallest picture
SQUARE = 6  # pixels on a side of the bright square
MAX_STEPS = 20  # right answers in a row before the episode is cut off
STACK = 2  # frames in PixelsStack-v0's observations

PIXELS = "image_envs:spinup_tests/Pixels-v0"
PIXELS_STACK = "image_envs:spinup_tests/PixelsStack-v0"


class WhichSide(gym.Env):
    """One bright square in the left or right half of a dark picture; say which half."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, render_mode: str | None = None):
        self.observation_space = spaces.Box(0, 255, (SIZE, SIZE), np.uint8)
        self.action_space = spaces.Discrete(2)  # 0: left, 1: right
        self.render_mode = render_mode
        self.side, self.picture = 0, np.zeros((SIZE, SIZE), np.uint8)

    def _draw(self) -> np.ndarray:
        """A new picture: the side (0 left, 1 right) and the square's place within that half."""
        self.side = int(self.np_random.integers(2))
        half = SIZE // 2
        row = int(self.np_random.integers(SIZE - SQUARE + 1))
        col = self.side * half + int(self.np_random.integers(half - SQUARE + 1))
        self.picture = np.zeros((SIZE, SIZE), np.uint8)
        self.picture[row:row + SQUARE, col:col + SQUARE] = 255
        return self.picture.copy()

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._draw(), {"side": self.side}

    def step(self, action):
        right = int(action) == self.side
        # A wrong answer ends the episode (a real termination: nothing follows it)
        return self._draw(), float(right), not right, False, {"side": self.side}

    def render(self):
        return np.repeat(self.picture[:, :, None], 3, axis=2)


gym.register(id="spinup_tests/Pixels-v0", entry_point=__name__ + ":WhichSide", max_episode_steps=MAX_STEPS)
gym.register(id="spinup_tests/PixelsStack-v0", entry_point=__name__ + ":WhichSide", max_episode_steps=MAX_STEPS,
             additional_wrappers=(FrameStackObservation.wrapper_spec(stack_size=STACK),))
