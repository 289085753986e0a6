"""A replay buffer for stacked image frames (DQN and discrete SAC on Atari) that keeps each frame
once and rebuilds the stacks when it samples.

An Atari observation is the last k grey frames, ``(k, H, W)`` uint8 (Gymnasium's
``FrameStackObservation(env, k)``). Storing ``obs`` and ``next_obs`` of every transition as whole
stacks keeps each frame 2k times: 8 copies of every 84x84 frame at k = 4, 56 GB for a million
transitions (226 GB as float32). :class:`FrameReplayBuffer` keeps one stream of frames per
environment copy and rebuilds ``obs`` and ``next_obs`` from it: 7.1 GB for the same million.
"""

from __future__ import annotations

import numpy as np
import torch


class FrameReplayBuffer:
    """A first-in-first-out store of transitions ``(obs, act, rew, next_obs, terminated)`` whose
    observations are stacks of the last k frames, each frame stored once. A drop-in for
    :class:`~spinup.algos.offpolicy.ReplayBuffer` in the off-policy loops, whose
    :meth:`store_batch` also takes ``done``.

    What is stored: for each environment copy, one stream of frames, the newest frame of each
    observation in the order the copy saw them. A transition's ``obs`` is the stream's row t with
    the k - 1 rows before it, and its ``next_obs`` row t + 1 with the k - 1 before that, so one new
    frame per step. When an episode ends, the final observation's frame is one more row (one that
    starts no transition), and the next episode starts on the row after it. Each row records how
    many rows back its episode began (at most k - 1): a stack that would reach back before the
    episode's first frame repeats that frame instead, exactly as ``FrameStackObservation`` (with its
    default ``padding_type="reset"``) pads the first observations of an episode. No stack mixes
    frames of two episodes.

    Where a copy's stream cannot be continued from the frames already stored, at its first store
    (or the first after :meth:`load_state_dict` when its episode did not continue) and at the start
    of an episode whose first stack is not k copies of one frame (``padding_type="zero"``, say),
    the whole stack ``obs`` is written, its k - 1 older frames as rows that start no transition,
    so that every rebuilt stack is exactly the observation the copy saw.

    Capacity: each copy keeps ``size // num_envs`` rows (rounded down, so with ``size`` not a
    multiple of ``num_envs`` up to ``num_envs - 1`` transitions fewer) plus k more for the older
    frames of its oldest stacks. A transition can be sampled while its row is among the
    ``size // num_envs`` rows before the copy's newest; every frame of its two stacks is then still
    stored. Those rows also hold one final frame per episode that ended there, so the buffer holds
    at most ``size`` transitions, and slightly fewer once it is full (one fewer per episode end in
    it, about 0.1% for Atari games of a thousand steps).

    Memory: one frame (``H * W`` bytes) plus 18 bytes (action int64, reward and terminated
    float32, two bytes of bookkeeping) per row: 7.07 GB for a million 84x84 transitions, against
    56.4 GB for ``obs`` and ``next_obs`` kept as uint8 stacks of 4 and 225.8 GB as float32
    (resident memory and times measured in ``benchmarks/results/frame_buffer_memory.md``).

    Args:
        obs_shape: shape of an observation, ``(k, H, W)``: k stacked frames, oldest first (any
            frame shape works, ``(k, H, W, C)`` too). Observations are uint8.
        size: capacity in transitions, over all copies; the oldest are overwritten once it is
            full. At least ``num_envs``; DQN's 10^5 to 10^6.
        num_envs: the number of environment copies whose transitions arrive together in
            :meth:`store_batch` (1 by default).
        device: where the frames live and batches are returned (``'cpu'`` by default; on a GPU,
            sampled stacks are rebuilt there and need no copy to the device).
    """

    KEYS = ("obs", "act", "rew", "next_obs", "terminated")

    def __init__(self, obs_shape: tuple[int, int, int], size: int, num_envs: int = 1,
                 device: torch.device | str = "cpu"):
        obs_shape = tuple(int(d) for d in obs_shape)
        if len(obs_shape) < 2 or not 1 <= obs_shape[0] <= 256:
            raise ValueError(f"FrameReplayBuffer: obs_shape must be (k, H, W), k stacked frames (1 <= k "
                             f"<= 256); got {obs_shape}.")
        if num_envs < 1 or size < num_envs:
            raise ValueError(f"FrameReplayBuffer: size must be at least num_envs >= 1 (each copy keeps "
                             f"size // num_envs transitions); got size={size}, num_envs={num_envs}.")
        self.device = torch.device(device)
        self.obs_shape, self.num_envs, self.max_size = obs_shape, num_envs, size
        self.k, self.frame_shape = obs_shape[0], obs_shape[1:]
        # Rows per copy: the newest `span` rows hold the sampleable transitions; k more hold the
        # older frames of the oldest stacks and the newest row (the last transition's next frame)
        self.span = size // num_envs
        self.rows_per_copy = self.span + self.k
        n_rows = num_envs * self.rows_per_copy

        # One row per frame, copy c's rows at c * rows_per_copy + (its row count mod rows_per_copy).
        # On the CPU, NumPy's zeros (the OS maps the pages only when written; torch.zeros writes
        # them all at once), with a tensor of the same memory
        self.on_cpu = self.device.type == "cpu"
        if self.on_cpu:
            self.frames_np = np.zeros((n_rows, *self.frame_shape), dtype=np.uint8)
            self.frames = torch.from_numpy(self.frames_np)
        else:
            self.frames = torch.zeros((n_rows, *self.frame_shape), dtype=torch.uint8, device=self.device)
        self.act = np.zeros(n_rows, dtype=np.int64)  # act, rew, terminated of the transition a row starts
        self.rew = np.zeros(n_rows, dtype=np.float32)
        self.terminated = np.zeros(n_rows, dtype=np.float32)
        self.age = np.zeros(n_rows, dtype=np.uint8)  # rows since the episode began, at most k - 1
        self.valid = np.zeros(n_rows, dtype=bool)  # the row starts a transition that can be sampled
        # Per copy
        self.first_row = np.arange(num_envs, dtype=np.int64) * self.rows_per_copy
        self.written = np.zeros(num_envs, dtype=np.int64)  # rows written so far (ever)
        self.fresh = np.ones(num_envs, dtype=bool)  # the next obs starts a new stretch of rows
        self.last_frame = np.zeros((num_envs, *self.frame_shape), dtype=np.uint8)  # newest next_obs frame
        self.size = 0  # transitions that can be sampled now
        self.resuming = False  # loaded: whether each copy's next obs continues is still to be seen

        self._back = np.arange(self.k - 1, -1, -1)  # a stack's rows: t - min(j, age[t]), j = k-1 .. 0
        self._history_ages = np.arange(self.k, dtype=np.uint8)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the buffer allocated (the frames, wherever they live, and the
        bookkeeping on the CPU)."""
        arrays = (self.act, self.rew, self.terminated, self.age, self.valid, self.first_row, self.written,
                  self.fresh, self.last_frame)
        return self.frames.numel() * self.frames.element_size() + sum(a.nbytes for a in arrays)

    # -----------------------------------------------------------------------------------------
    # Storing.

    def store_batch(self, obs, act, rew, next_obs, terminated, done) -> None:
        """Store one transition per environment copy (arrays with a leading dimension
        ``num_envs``), as a vector environment with same-step autoreset returns them.

        Args:
            obs: ``[num_envs, k, H, W]`` uint8, what each copy observed.
            act: ``[num_envs]`` integer action indices.
            rew: ``[num_envs]`` rewards.
            next_obs: ``[num_envs, k, H, W]`` uint8, the observation each copy really reached:
                for a copy whose episode ended, its final observation (``info["final_obs"]``, see
                :func:`spinup.utils.vector_envs.final_observations`), not the next episode's first.
            terminated: ``[num_envs]``, 1.0 only where the episode really terminated (a time limit
                is 0.0, so the target still bootstraps from ``next_obs``).
            done: ``[num_envs]`` bool, ``terminated | truncated``: the copies whose next ``obs``
                starts a new episode. Where it is False, the next call's ``obs`` must be this
                call's ``next_obs`` (a ValueError says so when its newest frame is another).
        """
        obs, next_obs = np.asarray(obs), np.asarray(next_obs)
        n = self.num_envs
        if obs.shape != (n, *self.obs_shape) or next_obs.shape != obs.shape:
            raise ValueError(f"FrameReplayBuffer.store_batch: obs and next_obs must be [num_envs, *obs_shape] = "
                             f"{[n, *self.obs_shape]}; got {list(obs.shape)} and {list(next_obs.shape)}.")
        if obs.dtype != np.uint8 or next_obs.dtype != np.uint8:
            raise ValueError(f"FrameReplayBuffer.store_batch: frames are stored as uint8; got {obs.dtype} and "
                             f"{next_obs.dtype} observations. Stack the environment's uint8 frames (e.g. "
                             "AtariPreprocessing, then FrameStackObservation) and scale them in the network.")
        if self.resuming:
            self._continue_after_load(obs)
        self._check_continues(obs)
        if self.fresh.any():
            for c in np.flatnonzero(self.fresh):
                self._start_stretch(c, obs[c])

        # Row t (obs's newest frame, already written) starts the transition; row t + 1 gets
        # next_obs's newest frame, one episode step older than row t (at most k - 1)
        t_rows = self.first_row + (self.written - 1) % self.rows_per_copy
        next_rows = self.first_row + self.written % self.rows_per_copy
        self._forget_oldest(self.written)
        self._put_frames(next_rows, next_obs[:, -1])
        self.age[next_rows] = np.minimum(self.age[t_rows] + 1, self.k - 1)
        self.act[t_rows], self.rew[t_rows], self.terminated[t_rows] = act, rew, terminated
        self.valid[t_rows] = True
        self.size += n
        self.written += 1
        self.last_frame[:] = next_obs[:, -1]
        # A copy whose episode ended starts its next obs on a new row: the final frame's row
        # starts no transition
        self.fresh[:] = done

    def _check_continues(self, obs) -> None:
        """The copies not starting an episode must observe what they reached at the last store."""
        going_on = ~self.fresh
        newest = obs[:, -1]
        if going_on.all():
            same = (newest == self.last_frame).all()
        else:
            same = (newest[going_on] == self.last_frame[going_on]).all()
        if not same:
            wrong = [int(c) for c in np.flatnonzero(going_on)
                     if not np.array_equal(newest[c], self.last_frame[c])]
            raise ValueError(f"FrameReplayBuffer.store_batch: copies {wrong} observe another frame than the "
                             "next_obs they reached at the last store, although done was False for them. Pass "
                             "done = terminated | truncated (a truncated episode also starts a new one).")

    def _start_stretch(self, c: int, stack: np.ndarray) -> None:
        """Write the observation ``stack`` of copy ``c`` on new rows: only its newest frame if the
        stack is that frame repeated (an episode's first, as FrameStackObservation pads it; padding
        rebuilds the rest), else all k frames (its first store mid-episode, another padding)."""
        if (stack[:-1] == stack[-1]).all():
            frames, ages = stack[-1:], self._history_ages[:1]
        else:
            frames, ages = stack, self._history_ages
        new = self.written[c] + np.arange(len(frames))
        rows = self.first_row[c] + new % self.rows_per_copy
        self._forget_oldest(new, copies=c)
        self._put_frames(rows, frames)
        self.age[rows] = ages
        self.written[c] += len(frames)
        self.fresh[c] = False

    def _forget_oldest(self, new: np.ndarray, copies: np.ndarray | int | slice = slice(None)) -> None:
        """Before the rows numbered ``new`` (counting every row ever written) of ``copies`` are
        written, take the transitions ``span + 1`` rows older out of the sample: the newest row
        then leaves ``span`` rows before it, and the k - 1 rows that its oldest stack reaches
        back to are still there. Row ``new - span - 1`` is stored k - 1 places ahead of row
        ``new`` in the ring (before the ring is full, a place not written yet)."""
        rows = self.first_row[copies] + (new + self.k - 1) % self.rows_per_copy
        self.size -= int(np.count_nonzero(self.valid[rows]))
        self.valid[rows] = False

    def _put_frames(self, rows: np.ndarray, frames: np.ndarray) -> None:
        if self.on_cpu:
            self.frames_np[rows] = frames
        else:
            self.frames[torch.from_numpy(rows).to(self.device)] = torch.from_numpy(np.ascontiguousarray(frames)).to(self.device)

    # -----------------------------------------------------------------------------------------
    # Sampling.

    def sample_batch(self, batch_size: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """A batch drawn uniformly (with replacement) from the transitions that can be sampled, as
        tensors on the buffer's device: ``obs`` and ``next_obs`` uint8 ``[B, k, H, W]``, ``act``
        int64 ``[B]``, ``rew`` and ``terminated`` float32 ``[B]``.

        ``rng`` is the algorithm's own generator, so that its state can be checkpointed (and the
        same transitions are drawn on any device).
        """
        if self.size == 0:
            raise ValueError("FrameReplayBuffer.sample_batch: the buffer holds no transition yet; store some "
                             "before sampling (update_after > 0).")
        return self.batch_at(self._draw(batch_size, rng))

    def _draw(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """Rows drawn uniformly among the rows written, redrawn until each starts a sampleable
        transition: uniform over those (final frames, older frames of a stack and transitions
        about to be overwritten, a small share, are drawn again)."""
        filled = np.minimum(self.written, self.rows_per_copy)  # copy c's rows 0 .. filled[c] - 1

        def draw(m):
            if self.num_envs == 1:
                return rng.integers(0, filled[0], size=m)
            ends = np.cumsum(filled)
            u = rng.integers(0, ends[-1], size=m)
            c = np.searchsorted(ends, u, side="right")
            return self.first_row[c] + u - (ends[c] - filled[c])

        rows = draw(batch_size)
        redraw = np.flatnonzero(~self.valid[rows])
        while len(redraw):
            rows[redraw] = draw(len(redraw))
            redraw = redraw[~self.valid[rows[redraw]]]
        return rows

    def stack_rows(self, rows: np.ndarray) -> np.ndarray:
        """``[len(rows), k]``: the rows of the frames of the stack whose newest frame is at each of
        ``rows``, oldest first; a stack reaching back before its episode's first frame repeats it."""
        rows = np.asarray(rows)
        first = rows - rows % self.rows_per_copy
        back = np.minimum(self._back, self.age[rows][:, None])
        return first[:, None] + (rows[:, None] - first[:, None] - back) % self.rows_per_copy

    def batch_at(self, rows: np.ndarray) -> dict[str, torch.Tensor]:
        """The transitions that start at ``rows`` (row indices, as :meth:`sampleable_rows` returns
        them), as :meth:`sample_batch` returns a batch."""
        rows = np.asarray(rows, dtype=np.int64)
        obs_idx = self.stack_rows(rows)
        # next_obs is obs less its oldest frame plus row t + 1 (whose stack reaches back one row
        # further than row t's, or to the same episode start)
        idx = np.empty((2, *obs_idx.shape), dtype=np.int64)
        idx[0], idx[1, :, :-1] = obs_idx, obs_idx[:, 1:]
        first = rows - rows % self.rows_per_copy
        idx[1, :, -1] = first + (rows - first + 1) % self.rows_per_copy
        # One gather for both, one allocation: two large ones per call can make the C allocator
        # hand memory back to the OS and fault it in again at every call (4x slower)
        if self.on_cpu:
            both = torch.from_numpy(self.frames_np[idx])
        else:
            both = self.frames[torch.from_numpy(idx).to(self.device)]
        obs, next_obs = both[0], both[1]
        act, rew, terminated = (torch.from_numpy(a[rows]).to(self.device) for a in (self.act, self.rew, self.terminated))
        return dict(obs=obs, act=act, rew=rew, next_obs=next_obs, terminated=terminated)

    def sampleable_rows(self) -> np.ndarray:
        """The rows of all transitions that can be sampled, copy by copy, oldest first (for tests
        and inspection: ``batch_at(sampleable_rows())`` is everything the buffer would sample)."""
        found = []
        for c in range(self.num_envs):
            w = int(self.written[c])
            rows = self.first_row[c] + np.arange(max(0, w - self.rows_per_copy), w) % self.rows_per_copy
            found.append(rows[self.valid[rows]])
        return np.concatenate(found)

    # -----------------------------------------------------------------------------------------
    # For the resume checkpoint: only the rows written are saved, on the CPU.

    def state_dict(self) -> dict:
        n, rows = self.num_envs, int(np.minimum(self.written, self.rows_per_copy).max())

        def written_part(a):  # [num_envs, rows, ...] of a per-row array, as a CPU tensor
            a = torch.as_tensor(a).reshape(n, self.rows_per_copy, *a.shape[1:])[:, :rows]
            return a.detach().to("cpu", copy=True)

        return dict(obs_shape=list(self.obs_shape), max_size=self.max_size, num_envs=n,
                    frames=written_part(self.frames), act=written_part(self.act), rew=written_part(self.rew),
                    terminated=written_part(self.terminated), age=written_part(self.age),
                    valid=written_part(self.valid), written=self.written.tolist(), fresh=self.fresh.tolist(),
                    size=self.size)

    def load_state_dict(self, state: dict) -> None:
        saved = (tuple(state["obs_shape"]), state["max_size"], state["num_envs"])
        if saved != (self.obs_shape, self.max_size, self.num_envs):
            raise ValueError(f"FrameReplayBuffer.load_state_dict: the saved buffer had (obs_shape, size, num_envs) "
                             f"= {saved}, this one {(self.obs_shape, self.max_size, self.num_envs)}; make the "
                             "buffer as the saved run did.")
        n, rows = self.num_envs, state["frames"].shape[1]
        self.valid[:] = False
        view = self.frames.view(n, self.rows_per_copy, *self.frame_shape)
        view[:, :rows] = state["frames"].to(self.device)
        for key in ("act", "rew", "terminated", "age", "valid"):
            getattr(self, key).reshape(n, self.rows_per_copy)[:, :rows] = state[key].numpy()
        self.written[:] = state["written"]
        self.fresh[:] = state["fresh"]
        self.size = int(state["size"])
        # Whether each copy's episode goes on (the environment's state restored too) is known at
        # the next store: then its stream continues as if never stopped, else it starts anew
        self.resuming = not self.fresh.all()
        if self.resuming:
            heads = self.first_row + (self.written - 1) % self.rows_per_copy
            self.last_frame[:] = self._frames_at(heads)

    def _continue_after_load(self, obs: np.ndarray) -> None:
        """At the first store after :meth:`load_state_dict`: a copy whose ``obs`` is not the stack
        rebuilt from its newest row (its episode did not continue) starts a new stretch of rows."""
        for c in np.flatnonzero(~self.fresh):
            head = self.first_row[c] + (self.written[c] - 1) % self.rows_per_copy
            if not np.array_equal(self._frames_at(self.stack_rows([head])[0]), obs[c]):
                self.fresh[c] = True
        self.resuming = False

    def _frames_at(self, rows: np.ndarray) -> np.ndarray:
        if self.on_cpu:
            return self.frames_np[rows]
        return self.frames[torch.from_numpy(np.asarray(rows)).to(self.device)].cpu().numpy()
