"""The replay buffer for stacked frames (spinup/algos/frame_buffer.py), against real Gymnasium
environments: every transition it rebuilds is the one the vector environment produced, stacks at
episode starts are padded as FrameStackObservation pads them, the ring forgets its oldest
transitions whole, a first store mid-episode, checkpoints, and its memory by hand."""

import io

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.wrappers import FrameStackObservation, TimeLimit

from spinup.algos.frame_buffer import FrameReplayBuffer
from spinup.utils.vector_envs import final_observations

K = 4


class NamedFrames(gym.Env):
    """8x8 uint8 frames that name themselves: pixel (0, 0) is the copy, (0, 1) the episode and
    (0, 2) the step within it, so every frame is distinct. Episodes terminate after the lengths
    of ``lengths`` in turn (shifted by the copy); a TimeLimit of 6 truncates the longer ones. The
    reward, 10 * step + action, names the transition too."""

    def __init__(self, copy: int = 0, lengths=(3, 1, 9, 2, 5, 7, 4)):
        self.observation_space = gym.spaces.Box(0, 255, (8, 8), np.uint8)
        self.action_space = gym.spaces.Discrete(3)
        self.copy, self.lengths, self.episode, self.t = copy, lengths, -1, 0

    def frame(self):
        f = np.zeros((8, 8), np.uint8)
        f[0, :3] = self.copy, self.episode % 256, self.t
        return f

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode, self.t = self.episode + 1, 0
        self.length = self.lengths[(self.episode + self.copy) % len(self.lengths)]
        return self.frame(), {}

    def step(self, action):
        self.t += 1
        return self.frame(), float(10 * self.t + action), self.t == self.length, False, {}


def run_env(num_envs, steps, padding_type="reset", lengths=(3, 1, 9, 2, 5, 7, 4), seed=0):
    """``steps`` batches ``(obs, act, rew, next_obs, terminated, done)`` of a SyncVectorEnv with
    same-step autoreset over FrameStackObservation(NamedFrames, 4), next_obs as the loops store it
    (``info["final_obs"]`` for the copies that ended)."""
    def make(i):
        return lambda: FrameStackObservation(TimeLimit(NamedFrames(i, lengths), max_episode_steps=6), K,
                                             padding_type=padding_type)

    envs = gym.vector.SyncVectorEnv([make(i) for i in range(num_envs)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    rng = np.random.default_rng(seed)
    obs, _ = envs.reset(seed=seed)
    batches = []
    for _ in range(steps):
        act = rng.integers(0, 3, size=num_envs)
        next_obs, rew, terminated, truncated, info = envs.step(act)
        done = terminated | truncated
        batches.append((obs.copy(), act, rew, final_observations(next_obs, info, done).copy(),
                        terminated.astype(np.float32), done))
        obs = next_obs
    envs.close()
    return batches


def store(buf, batches):
    for batch in batches:
        buf.store_batch(*batch)


def truth(batches, c):
    """Copy ``c``'s transitions ``(obs, act, rew, next_obs, terminated)``, oldest first."""
    return [(o[c], a[c], r[c], n[c], t[c]) for o, a, r, n, t, _ in batches]


def rebuilt(buf, c):
    """Copy ``c``'s transitions as the buffer rebuilds them, oldest first."""
    rows = buf.sampleable_rows()
    rows = rows[rows // buf.rows_per_copy == c]
    batch = {key: v.cpu().numpy() for key, v in buf.batch_at(rows).items()}
    return [tuple(batch[key][i] for key in FrameReplayBuffer.KEYS) for i in range(len(rows))]


def assert_same(got, want):
    assert len(got) == len(want)
    for (o, a, r, n, t), (wo, wa, wr, wn, wt) in zip(got, want):
        assert o.dtype == n.dtype == np.uint8
        np.testing.assert_array_equal(o, wo)
        np.testing.assert_array_equal(n, wn)
        assert (a, r, t) == (wa, np.float32(wr), wt)


def names(stack):
    """(copy, episode, step) of each frame of a stack."""
    return [tuple(int(v) for v in f[0, :3]) for f in stack]


@pytest.mark.parametrize("num_envs", [1, 3])
def test_every_transition_is_the_environments(num_envs):
    batches = run_env(num_envs, 60)
    buf = FrameReplayBuffer((K, 8, 8), size=1000, num_envs=num_envs)
    store(buf, batches)
    assert buf.size == 60 * num_envs
    ended = sum(int(b[5].sum()) for b in batches)
    truncated = sum(int((b[5] & (b[4] == 0)).sum()) for b in batches)
    assert ended > 10 and truncated > 2  # episodes ended both ways
    for c in range(num_envs):
        assert_same(rebuilt(buf, c), truth(batches, c))


@pytest.mark.parametrize("num_envs", [1, 3])
def test_stacks_at_episode_starts_are_padded_like_framestack(num_envs):
    batches = run_env(num_envs, 60)
    buf = FrameReplayBuffer((K, 8, 8), size=1000, num_envs=num_envs)
    store(buf, batches)
    for c in range(num_envs):
        for o, _, _, n, _ in rebuilt(buf, c):
            for stack in (o, n):
                (copy, episode, step), = set(names(stack[-1:]))
                # one episode's frames, the first repeated where the stack reaches back before it
                assert names(stack) == [(copy, episode, max(0, step - j)) for j in (3, 2, 1, 0)]
    # by hand: copy 0's first episode lasts 3 steps, its second 1 (steps of the frames)
    got = rebuilt(buf, 0)
    assert [[s for _, _, s in names(o)] for o, *_ in got[:4]] == [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 2],
                                                                   [0, 0, 0, 0]]
    assert [s for _, _, s in names(got[3][3])] == [0, 0, 0, 1]  # the 1-step episode's final stack
    assert [e for _, e, _ in names(got[4][0])] == [2, 2, 2, 2]


def test_other_padding_is_rebuilt_exactly():
    # padding_type="zero": an episode's first stack is not one frame repeated; its older frames are stored
    batches = run_env(2, 40, padding_type="zero")
    buf = FrameReplayBuffer((K, 8, 8), size=1000, num_envs=2)
    store(buf, batches)
    for c in range(2):
        assert_same(rebuilt(buf, c), truth(batches, c))


def test_ring_by_hand():
    # One copy, episodes of 5 steps (terminated): 1 row for the first obs, then 6 rows per
    # episode (5 transitions and the final frame). size 12: 12 + 4 = 16 rows. After 10 episodes
    # and 2 steps, rows 0..62 were written; the sampleable transitions are those in the 12 rows
    # before the newest (50..61): episode 8's steps 2, 3, 4, episode 9's five, episode 10's 0, 1.
    batches = run_env(1, 52, lengths=(5,))
    buf = FrameReplayBuffer((K, 8, 8), size=12)
    store(buf, batches)
    assert buf.rows_per_copy == 16 and buf.state_dict()["written"] == [63]
    assert buf.size == 10
    got = rebuilt(buf, 0)
    assert [names(o)[-1][1:] for o, *_ in got] == [(8, 2), (8, 3), (8, 4), (9, 0), (9, 1), (9, 2), (9, 3),
                                                   (9, 4), (10, 0), (10, 1)]
    assert_same(got, truth(batches, 0)[-10:])


@pytest.mark.parametrize("num_envs,size", [(1, 20), (3, 30), (3, 31)])
def test_after_wrapping_only_whole_transitions_are_sampled(num_envs, size):
    batches = run_env(num_envs, 200)
    buf = FrameReplayBuffer((K, 8, 8), size=size, num_envs=num_envs)
    store(buf, batches)
    span = size // num_envs
    assert buf.rows_per_copy == span + K
    expected_size = 0
    for c in range(num_envs):
        # The rows as the class docstring lays them out: the first obs (one frame, reset-padded),
        # then each step's next frame, after an episode's final frame the next episode's first;
        # sampleable are the transitions (obs rows) among the `span` rows before the newest
        rows = ["obs"]
        for *_, done in batches:
            rows += ["final", "obs"] if done[c] else ["obs"]
        if batches[-1][5][c]:
            rows.pop()  # the next episode's first obs is written at the next store
        expected = rows[-1 - span:-1].count("obs")
        expected_size += expected
        got = rebuilt(buf, c)
        assert len(got) == expected
        assert_same(got, truth(batches, c)[-expected:])  # the newest, each exactly as it happened
    assert buf.size == expected_size <= size
    # and sampling draws only those (every frame distinct: a half-overwritten stack would not match)
    known = {(names(o)[-1], int(a)) for c in range(num_envs) for o, a, *_ in rebuilt(buf, c)}
    batch = buf.sample_batch(500, np.random.default_rng(1))
    for o, a, n in zip(batch["obs"].numpy(), batch["act"].numpy(), batch["next_obs"].numpy()):
        assert (names(o)[-1], int(a)) in known
        assert len({e for _, e, _ in names(o) + names(n)}) == 1


@pytest.mark.parametrize("num_envs", [1, 3])
def test_first_store_mid_episode_writes_the_older_frames(num_envs):
    batches = run_env(num_envs, 30, lengths=(20,))  # episodes truncated at 6 steps
    buf = FrameReplayBuffer((K, 8, 8), size=1000, num_envs=num_envs)
    store(buf, batches[4:])  # every copy at step 4 of its first episode: frames of steps 1, 2, 3, 4
    # by hand: 3 older frames + the obs's + next_obs's = 5 rows per copy after one store
    buf1 = FrameReplayBuffer((K, 8, 8), size=1000, num_envs=num_envs)
    store(buf1, batches[4:5])
    assert buf1.state_dict()["written"] == [5] * num_envs and buf1.size == num_envs
    for c in range(num_envs):
        got = rebuilt(buf, c)
        assert [s for _, _, s in names(got[0][0])] == [1, 2, 3, 4]
        assert_same(got, truth(batches[4:], c))


def test_sample_batch_is_uniform_and_typed():
    batches = run_env(2, 12)
    buf = FrameReplayBuffer((K, 8, 8), size=1000, num_envs=2)
    store(buf, batches)
    rng = np.random.default_rng(0)
    batch = buf.sample_batch(32, rng)
    assert batch["obs"].shape == batch["next_obs"].shape == (32, K, 8, 8)
    assert (batch["obs"].dtype, batch["next_obs"].dtype, batch["act"].dtype, batch["rew"].dtype,
            batch["terminated"].dtype) == (torch.uint8, torch.uint8, torch.int64, torch.float32, torch.float32)
    assert batch["act"].shape == batch["rew"].shape == batch["terminated"].shape == (32,)
    # 24 transitions (plus final frames, never drawn), 48,000 draws: 2000 each, σ ≈ 44
    counts = {}
    for _ in range(96):
        b = buf.sample_batch(500, rng)
        for o, a in zip(b["obs"].numpy(), b["act"].numpy()):
            key = (names(o)[-1], int(a))
            counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 24 and all(1750 < n < 2250 for n in counts.values()), counts


def test_empty_buffer_refuses_to_sample():
    buf = FrameReplayBuffer((K, 8, 8), size=10)
    with pytest.raises(ValueError, match="no transition"):
        buf.sample_batch(4, np.random.default_rng(0))


def test_done_must_count_truncations():
    batches = run_env(1, 30, lengths=(20,))  # truncated after 6 steps
    buf = FrameReplayBuffer((K, 8, 8), size=100)
    with pytest.raises(ValueError, match=r"copies \[0\].*done = terminated \| truncated"):
        for o, a, r, n, t, _ in batches:
            buf.store_batch(o, a, r, n, t, t.astype(bool))


@pytest.mark.parametrize("num_envs", [1, 3])
def test_state_dict_round_trip(num_envs, tmp_path):
    batches = run_env(num_envs, 120)
    buf = FrameReplayBuffer((K, 8, 8), size=60, num_envs=num_envs)
    store(buf, batches[:90])  # wrapped around
    torch.save(buf.state_dict(), tmp_path / "buffer.pt")
    state = torch.load(tmp_path / "buffer.pt", weights_only=True)
    loaded = FrameReplayBuffer((K, 8, 8), size=60, num_envs=num_envs)
    loaded.load_state_dict(state)
    assert loaded.size == buf.size
    for key, value in buf.sample_batch(64, np.random.default_rng(3)).items():
        torch.testing.assert_close(loaded.sample_batch(64, np.random.default_rng(3))[key], value)

    # The resumed run continues the same episodes: the buffer goes on exactly as if never stopped
    store(buf, batches[90:])
    store(loaded, batches[90:])
    for key, value in buf.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]) if torch.is_tensor(value) else value == loaded.state_dict()[key]

    # ... or starts new episodes (its environment could not be saved): still every transition exact
    fresh_start = FrameReplayBuffer((K, 8, 8), size=60, num_envs=num_envs)
    fresh_start.load_state_dict(state)
    other = run_env(num_envs, 10, seed=5)
    store(fresh_start, other)
    for c in range(num_envs):
        assert_same(rebuilt(fresh_start, c)[-10:], truth(other, c))

    # an empty buffer's state: the first store after loading may be mid-episode
    empty = FrameReplayBuffer((K, 8, 8), size=600, num_envs=num_envs)
    buf_io = io.BytesIO()
    torch.save(empty.state_dict(), buf_io)
    buf_io.seek(0)
    empty.load_state_dict(torch.load(buf_io, weights_only=True))
    store(empty, batches[3:20])
    for c in range(num_envs):
        assert_same(rebuilt(empty, c), truth(batches[3:20], c))


def test_load_refuses_another_shape():
    state = FrameReplayBuffer((K, 8, 8), size=60, num_envs=3).state_dict()
    with pytest.raises(ValueError, match="make the buffer as the saved run did"):
        FrameReplayBuffer((K, 8, 8), size=60, num_envs=2).load_state_dict(state)


def test_the_torch_path_gives_the_same_batches():
    # On a GPU the frames are stored and stacks rebuilt with torch indexing; the same code on the CPU
    batches = run_env(3, 80)
    bufs = [FrameReplayBuffer((K, 8, 8), size=45, num_envs=3) for _ in range(2)]
    bufs[1].on_cpu = False
    for buf in bufs:
        store(buf, batches)
    a, b = (buf.sample_batch(100, np.random.default_rng(0)) for buf in bufs)
    for key in FrameReplayBuffer.KEYS:
        assert torch.equal(a[key], b[key])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_on_a_gpu():
    batches = run_env(3, 80)
    buf = FrameReplayBuffer((K, 8, 8), size=45, num_envs=3, device="cuda")
    store(buf, batches)
    batch = buf.sample_batch(32, np.random.default_rng(0))
    assert all(v.device.type == "cuda" for v in batch.values())
    for c in range(3):
        assert_same(rebuilt(buf, c), truth(batches, c)[-len(rebuilt(buf, c)):])
    loaded = FrameReplayBuffer((K, 8, 8), size=45, num_envs=3, device="cuda")
    loaded.load_state_dict(buf.state_dict())
    assert torch.equal(loaded.sample_batch(32, np.random.default_rng(0))["obs"], batch["obs"])


def test_memory_by_hand():
    # Per row: an 84x84 frame (7056 bytes), act 8, rew 4, terminated 4, age 1, valid 1 = 7074;
    # per copy: the newest frame stored 7056, two int64 and a bool = 7073.
    # Rows: num_envs * (size // num_envs + 4).
    cases = {(1_000_000, 1): 1_000_004 * 7074 + 7073,  # 7,074,035,369
             (1_000_000, 8): 8 * 125_004 * 7074 + 8 * 7073,  # 7,074,282,952
             (100_000, 1): 100_004 * 7074 + 7073,  # 707,435,369
             (100_000, 8): 8 * 12_504 * 7074 + 8 * 7073}  # 707,682,952
    for (size, num_envs), expected in cases.items():
        buf = FrameReplayBuffer((4, 84, 84), size=size, num_envs=num_envs)  # np.zeros: no page touched
        assert buf.nbytes == expected
        assert buf.nbytes <= (8e9 if size == 1_000_000 else 1e9)
        assert buf.max_size == size and buf.size == 0
    # against obs and next_obs as whole uint8 stacks: 2 * 4 * 7056 bytes a transition
    assert 2 * 4 * 7056 * 1_000_000 / cases[1_000_000, 1] > 7.9


def test_bad_inputs_are_named():
    (o, a, r, n, t, d), = run_env(2, 1)
    buf = FrameReplayBuffer((K, 8, 8), size=100, num_envs=2)
    with pytest.raises(ValueError, match=r"must be \[num_envs, \*obs_shape\] = \[2, 4, 8, 8\]; got \[1, 4, 8, 8\]"):
        buf.store_batch(o[:1], a[:1], r[:1], n[:1], t[:1], d[:1])
    with pytest.raises(ValueError, match="stored as uint8; got float32"):
        buf.store_batch(o.astype(np.float32), a, r, n.astype(np.float32), t, d)
    with pytest.raises(ValueError, match="size must be at least num_envs"):
        FrameReplayBuffer((K, 8, 8), size=3, num_envs=4)
