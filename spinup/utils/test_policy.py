"""Watch a trained agent: load a saved policy, rebuild its environment, and run episodes.

Command line::

    python -m spinup.run test_policy DIR [-l L] [-n N] [-nr] [-i I] [-d] [--video out.mp4] [--fps F]

From Python::

    ac = spinup.load_policy(DIR)                  # the saved model; ac.act(obs_tensor) acts
    env, get_action = load_policy_and_env(DIR)    # or the model and its environment, rebuilt
    run_policy(env, get_action)

``DIR`` is the folder of one run (the one holding ``progress.txt`` and ``pyt_save/``). The model
is rebuilt from ``pyt_save/model.json`` (its class and constructor arguments) and
``pyt_save/model<itr>.pt`` (its weights, loaded with ``weights_only=True``); the environment
from the spec saved beside them (``gym.make(id, **kwargs)``).

Rendering: a window when a display exists; with ``--video`` the frames are drawn off-screen
(``rgb_array``) and written to an mp4 (ffmpeg) or gif (pillow) file, which works on a machine
without a display: MuJoCo is then pointed at EGL (or OSMesa) before it is loaded.
"""

from __future__ import annotations

import argparse
import ctypes.util
import inspect
import json
import os
import os.path as osp
import pickletools
import re
import sys
import warnings
import zipfile

from spinup.utils.errors import UserError

VIDEO_FORMATS = (".mp4", ".gif")
_SNAPSHOT = re.compile(r"^model(\d+)\.pt$")


# ---------------------------------------------------------------------------------------------
# Displays and off-screen rendering


def has_display() -> bool:
    """Whether a window can be opened: on Linux (and other X11/Wayland systems) only when
    ``DISPLAY`` or ``WAYLAND_DISPLAY`` is set; macOS and Windows always have one."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def setup_headless_rendering() -> None:
    """Choose off-screen rendering back-ends when there is no display.

    Sets ``MUJOCO_GL`` (and PyOpenGL's ``PYOPENGL_PLATFORM``) to ``egl`` if the EGL library is
    installed, else ``osmesa`` if OSMesa is, and ``SDL_VIDEODRIVER=dummy`` for pygame. Values the
    user has already set are kept. Call it before anything imports mujoco or OpenGL.
    """
    if has_display():
        return
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if "MUJOCO_GL" not in os.environ:
        if ctypes.util.find_library("EGL"):
            os.environ["MUJOCO_GL"] = "egl"
        elif ctypes.util.find_library("OSMesa"):
            os.environ["MUJOCO_GL"] = "osmesa"
    if os.environ.get("MUJOCO_GL") in ("egl", "osmesa"):
        os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])


# ---------------------------------------------------------------------------------------------
# Finding the saved files


def snapshot_indices(fpath: str) -> list[int]:
    """The ``itr`` of every ``pyt_save/model<itr>.pt`` in a run folder, in increasing order."""
    folder = osp.join(fpath, "pyt_save")
    if not osp.isdir(folder):
        return []
    found = (_SNAPSHOT.match(name) for name in os.listdir(folder))
    return sorted(int(m.group(1)) for m in found if m)


def find_model_file(fpath: str, itr="last") -> str:
    """The weights file to load from the run folder ``fpath``.

    Args:
        fpath: the folder of one run.
        itr: ``'last'`` (or -1, or None): the highest ``model<N>.pt`` if snapshots were kept, else
            ``model.pt``. An int N: ``model<N>.pt``.
    """
    if not osp.isdir(fpath):
        raise UserError(
            f"test_policy: {fpath} is not a folder. Give the output folder of one run, e.g. "
            "data/ppo_cartpole/ppo_cartpole_s0 (the folder that holds progress.txt and pyt_save/)."
        )
    folder = osp.join(fpath, "pyt_save")
    snapshots = snapshot_indices(fpath)
    has_latest = osp.isfile(osp.join(folder, "model.pt"))
    if not snapshots and not has_latest:
        subruns = sorted(
            osp.relpath(root, fpath) for root, _, files in os.walk(fpath) if "model.pt" in files
        )
        hint = (
            " It holds runs in sub-folders; give one of them: "
            + ", ".join(osp.join(fpath, osp.dirname(s)) for s in subruns[:5])
            if subruns else
            " A run saves its model at its first epoch and every save_freq epochs; "
            "was it stopped before that, or is this the experiment's folder rather than a run's?"
        )
        raise UserError(f"test_policy: no saved model in {fpath} (expected {folder}/model.pt).{hint}")
    if itr in ("last", None, -1):
        return osp.join(folder, f"model{snapshots[-1]}.pt" if snapshots else "model.pt")
    try:
        itr = int(itr)
    except (TypeError, ValueError):
        raise UserError(f"test_policy: itr must be an integer or 'last', not {itr!r}.") from None
    if itr not in snapshots:
        if snapshots:
            available = "Available snapshots: " + ", ".join(map(str, snapshots)) + "."
        else:
            available = ("This run kept no numbered snapshots, only the latest model (leave out "
                         "-i); train with --snapshots to keep one per save.")
        raise UserError(f"test_policy: no snapshot {itr} in {folder}. {available}")
    return osp.join(folder, f"model{itr}.pt")


def read_model_meta(fpath: str) -> dict:
    """``pyt_save/model.json``: the model's class and kwargs and the environment's spec."""
    path = osp.join(fpath, "pyt_save", "model.json")
    if not osp.isfile(path):
        _refuse_pickled_model(fpath)
        raise UserError(
            f"test_policy: {path} is missing, so the model cannot be rebuilt. It is written with "
            "model.pt by spinup's Logger.save_state; runs saved by other versions cannot be loaded."
        )
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"test_policy: could not read {path} ({e}).") from None


# ---------------------------------------------------------------------------------------------
# Rebuilding the environment and the policy


def make_env_from_spec(spec: dict | None, render_mode: str | None = None, env_pkg: str | None = None):
    """``gym.make`` the environment recorded in ``model.json``.

    Args:
        spec: the ``env`` entry of ``model.json`` (``id``, ``kwargs``, ``entry_point``,
            ``max_episode_steps``).
        render_mode: ``'human'``, ``'rgb_array'`` or None.
        env_pkg: a package to import first, for environments registered by the user's own package.
    """
    import gymnasium as gym

    from spinup.utils import atari
    from spinup.utils.envs import import_env_pkg

    if not spec or not spec.get("id"):
        raise UserError(
            "test_policy: this run did not record its environment (the algorithm saved its model "
            "without {'env': env}), so it cannot be rebuilt. Load the policy yourself with "
            "load_policy_and_env and call run_policy with an environment you make."
        )
    env_id = spec["id"]
    import_env_pkg(env_pkg)
    if atari.is_atari_id(env_id) and not atari.register_atari_envs():
        raise UserError("test_policy: " + atari.missing_atari_message(env_id))
    if env_id not in gym.registry:
        entry = spec.get("entry_point") or ""
        package = entry.split(":")[0].split(".")[0] if entry else None
        if package:
            how = (f"It was registered by the package '{package}' (entry point {entry}); "
                   f"install it and pass --env_pkg {package}.")
        else:
            how = "Install and import the package that registers it (--env_pkg PACKAGE)."
        raise UserError(f"test_policy: the environment '{env_id}' is not registered. {how}")
    kwargs = dict(spec.get("kwargs") or {})
    kwargs.pop("render_mode", None)
    if spec.get("max_episode_steps") is not None:
        kwargs["max_episode_steps"] = spec["max_episode_steps"]
    if render_mode is not None:  # environments without rendering need not accept the argument
        kwargs["render_mode"] = render_mode
    try:
        if atari.is_atari_id(env_id):  # whole games with real scores; videos of the real screen
            return atari.make_atari(env_id, **kwargs)
        return gym.make(env_id, **kwargs)
    except Exception as e:  # gymnasium, the environment's own constructor, or a missing extra
        raise UserError(
            f"test_policy: could not rebuild the environment '{env_id}' with {kwargs} "
            f"({type(e).__name__}: {e})."
        ) from None


def pickled_classes(path: str) -> list[str]:
    """The classes that unpickling the ``torch.save`` file ``path`` would import, in the order the
    pickle names them (so the saved object's own class first), leaving out what a file of weights
    holds (tensors, storages, ``OrderedDict``): empty for a file of weights. Found by reading the
    pickle's opcodes, never by running them. Reads the zip format and the older one of torch < 1.6,
    in which the original Spinning Up saved its models."""
    found = []

    def scan(f) -> None:
        strings = []
        for op, arg, _ in pickletools.genops(f):
            if op.name == "GLOBAL":
                found.append(arg.replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.append(".".join(strings[-2:]))
            elif isinstance(arg, str):
                strings.append(arg)

    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                name = next(n for n in archive.namelist() if n == "data.pkl" or n.endswith("/data.pkl"))
                with archive.open(name) as f:
                    scan(f)
        else:
            with open(path, "rb") as f:
                for _ in range(4):  # magic number, protocol, system info, then the object itself
                    scan(f)
    except Exception:  # the end of the pickles, or not a pickle at all
        pass
    weights = ("collections.OrderedDict", "torch._utils.", "builtins.")
    return [n for n in found if not n.startswith(weights) and not n.endswith("Storage")]


def _refuse_pickled_model(fpath: str) -> None:
    """If the run's model file is a pickled module (the original Spinning Up's ``model.pt``),
    raise a :class:`UserError` saying why it is not loaded and what to do."""
    folder = osp.join(fpath, "pyt_save")
    names = sorted(os.listdir(folder)) if osp.isdir(folder) else []
    files = [osp.join(folder, n) for n in names if n.startswith("model") and n.endswith(".pt")]
    for path in files[:1]:
        classes = pickled_classes(path)
        if classes:
            raise UserError(
                f"{path} is a pickled {classes[0]}: the original Spinning Up saved whole modules "
                "for torch.load, and spinup never unpickles (unpickling can run any code), so this "
                "run cannot be loaded. Train it again with spinup, whose runs load with "
                "spinup.load_policy(run_dir).")


def _rebuild_model(model_file: str, meta: dict, env):
    """The model saved in ``model_file``: ``cls(env.observation_space, env.action_space,
    **kwargs)`` with the class and kwargs of ``meta`` (``model.json``), its weights loaded with
    ``weights_only=True``, in eval mode. Only classes under ``spinup`` and ``torch`` are imported."""
    from spinup.utils.checkpoint import safe_torch_load
    from spinup.utils.serialization_utils import decode_kwargs, resolve_dotted

    if "modules" in meta:  # Logger.setup_pytorch_saver({'pi': ..., 'q': ...})
        names = list(meta["modules"])
        raise UserError(
            f"{model_file} holds a dict of modules ({', '.join(names)}), not one model with act(); "
            f"build them and load each with module.load_state_dict(torch.load('{model_file}', "
            f"weights_only=True)['{names[0]}']).")
    try:
        cls = resolve_dotted(meta["class"])
        kwargs = decode_kwargs(meta.get("kwargs") or {})
    except (ValueError, ImportError, AttributeError, KeyError) as e:
        raise UserError(
            f"test_policy: cannot rebuild the model class {meta.get('class')!r} ({e}). Only models "
            "defined in spinup or torch are rebuilt automatically; for your own class, build it "
            f"and call model.load_state_dict(torch.load('{model_file}', weights_only=True))."
        ) from None
    model = cls(env.observation_space, env.action_space, **kwargs)
    state = safe_torch_load(model_file)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise UserError(f"test_policy: the weights in {model_file} do not fit {meta['class']}: {e}") from None
    return model.eval()


def load_policy(fpath: str, itr="last", env=None, env_pkg: str | None = None):
    """The agent saved by a run, ready to act: ``ac = spinup.load_policy(run_dir)``.

    What the original Spinning Up's ``ac = torch.load('<run_dir>/pyt_save/model.pt')`` gave,
    without unpickling anything: the model is rebuilt from ``pyt_save/model.json`` (its class
    and constructor arguments) and its weights are loaded with ``weights_only=True``. Act with
    ``ac.act(torch.as_tensor(obs, dtype=torch.float32))``, which returns a NumPy action (SAC's
    also takes ``deterministic=True``).

    Args:
        fpath: the folder of one run (holding ``pyt_save/``).
        itr: which snapshot: ``'last'`` (default) or the number N of ``model<N>.pt``.
        env: an environment with the run's observation and action spaces. Default: the run's
            own environment, rebuilt from its record (and closed again).
        env_pkg: a package to import so that the run's environment id is registered.

    Returns:
        The model (a ``torch.nn.Module``, in eval mode).
    """
    model_file = find_model_file(fpath, itr)
    meta = read_model_meta(fpath)
    if env is not None:
        return _rebuild_model(model_file, meta, env)
    built = make_env_from_spec(meta.get("env"), render_mode=None, env_pkg=env_pkg)
    try:
        return _rebuild_model(model_file, meta, built)
    finally:
        built.close()


def load_pytorch_policy(fpath: str, itr="last", deterministic: bool = False, env=None):
    """Rebuild the saved model and return ``get_action(obs) -> action``.

    The model is ``cls(env.observation_space, env.action_space, **kwargs)`` with the class and
    kwargs from ``model.json``; only classes under ``spinup`` and ``torch`` are imported.
    ``deterministic=True`` asks the model's ``act`` for its deterministic action (the mean of a
    Gaussian policy, the most likely discrete action) when ``act`` has that option.
    """
    import torch

    model_file = find_model_file(fpath, itr)
    meta = read_model_meta(fpath)
    print(f"Loading from {model_file}")
    model = _rebuild_model(model_file, meta, env)
    cls = type(model)

    # Without -d, act() keeps its own default (sampling for PPO and SAC, as in training).
    act_kwargs = {}
    if deterministic:
        if "deterministic" in inspect.signature(model.act).parameters:
            act_kwargs["deterministic"] = True
            print("Using the deterministic action.")
        else:
            print(f"Note: {cls.__name__}.act has no deterministic option; using its usual action.")

    def get_action(obs):
        with torch.no_grad():
            return model.act(torch.as_tensor(obs, dtype=torch.float32), **act_kwargs)

    return get_action


def load_policy_and_env(fpath: str, itr="last", deterministic: bool = False, render_mode="auto",
                        env_pkg: str | None = None):
    """Load a run's policy and rebuild its environment.

    Args:
        fpath: the folder of one run.
        itr: which snapshot: ``'last'`` (default) or the number N of ``model<N>.pt``.
        deterministic: use the policy's deterministic action (e.g. SAC's mean action).
        render_mode: the environment's render mode: ``'human'`` (a window), ``'rgb_array'``
            (frames, for videos), None, or ``'auto'`` (default): ``'human'`` when a display
            exists, else None.
        env_pkg: a package to import so that the environment's id is registered.

    Returns:
        ``(env, get_action)`` where ``get_action(obs)`` returns an action for ``env.step``.
    """
    if render_mode == "auto":
        render_mode = "human" if has_display() else None
    if render_mode == "rgb_array":
        setup_headless_rendering()
    # Check the folder and the snapshot before the (slower) environment.
    find_model_file(fpath, itr)
    meta = read_model_meta(fpath)
    env = make_env_from_spec(meta.get("env"), render_mode=render_mode, env_pkg=env_pkg)
    get_action = load_pytorch_policy(fpath, itr, deterministic, env=env)
    return env, get_action


# ---------------------------------------------------------------------------------------------
# Running episodes


class VideoWriter:
    """Frames to an mp4 (H.264 via imageio's ffmpeg) or a gif (pillow), one at a time.

    Frames are written at their own size: odd widths or heights (which H.264 cannot store) are
    padded by one black row or column rather than resized.
    """

    def __init__(self, path: str, fps: float):
        import imageio

        check_video_path(path)
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        self.path = path
        self.frames = 0
        if path.lower().endswith(".gif"):
            self._writer = imageio.get_writer(path, mode="I", duration=1000.0 / fps, loop=0)
            self._pad = False
        else:
            self._writer = imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=1,
                                              pixelformat="yuv420p")
            self._pad = True

    def append(self, frame) -> None:
        import numpy as np

        frame = np.asarray(frame)
        if self._pad and (frame.shape[0] % 2 or frame.shape[1] % 2):
            frame = np.pad(frame, ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2), (0, 0)))
        self._writer.append_data(frame)
        self.frames += 1

    def close(self) -> None:
        self._writer.close()


def check_video_path(path: str) -> None:
    """Raise a :class:`UserError` unless ``path`` ends in a supported video extension."""
    if not path.lower().endswith(VIDEO_FORMATS):
        raise UserError(f"test_policy: cannot write a video to {path!r}: the file name must end in "
                        f"{' or '.join(VIDEO_FORMATS)}.")


def _render_frame(env):
    try:
        return env.render()
    except Exception as e:  # off-screen GL missing or misconfigured
        raise UserError(
            f"test_policy: rendering {env.spec.id if env.spec else 'the environment'} off-screen "
            f"failed ({type(e).__name__}: {e}). For MuJoCo without a display, install EGL "
            "(apt-get install libegl1 libgl1-mesa-dri libopengl0) and set MUJOCO_GL=egl, or "
            "OSMesa (apt-get install libosmesa6) and set MUJOCO_GL=osmesa."
        ) from None


def run_policy(env, get_action, max_ep_len=None, num_episodes=100, render=True, *, video=None,
               fps=None, seed=None):
    """Run ``num_episodes`` episodes with ``get_action`` and print each return and length.

    Args:
        env: a Gymnasium environment (from :func:`load_policy_and_env`).
        get_action: ``obs -> action``.
        max_ep_len: cut episodes off after this many steps (None or 0: only the env's own limit).
        num_episodes: how many episodes to run.
        render: show the episodes in a window (needs an env made with ``render_mode='human'``,
            which draws each step itself at the environment's ``render_fps``). An env made
            without it (a plain ``gym.make(id)``) runs its episodes unseen, with a warning.
        video: a file (``.mp4`` or ``.gif``) to record the episodes into instead (needs
            ``render_mode='rgb_array'``). Every frame is recorded, the final one included.
        fps: frames per second of the video. Default: the environment's ``render_fps``, else 30.
        seed: seed for the first reset (later episodes continue the environment's generator).

    Returns:
        dict with the lists ``returns`` and ``lengths``, one entry per episode.
    """
    if env is None:
        raise UserError("test_policy: no environment to run the policy in. Make one and pass it to run_policy.")
    if video is not None:
        check_video_path(video)
        if env.render_mode != "rgb_array":
            raise UserError(f"test_policy: recording a video needs an environment made with "
                            f"render_mode='rgb_array', not {env.render_mode!r}. Use "
                            "load_policy_and_env(..., render_mode='rgb_array').")
        render = False
    elif render and env.render_mode != "human":
        # A Gymnasium environment draws only in the mode it was made with (gym.make(id) draws
        # nothing): run the episodes anyway, as the original's run_policy did with its env.
        warnings.warn(f"run_policy: the environment was made with render_mode={env.render_mode!r}, "
                      "so the episodes are not shown; to watch them, make it with "
                      "gym.make(id, render_mode='human') or pass render=False to silence this.",
                      UserWarning, stacklevel=2)
        render = False
    max_ep_len = max_ep_len or None
    writer = None
    bar = None
    if video is not None:
        from tqdm import tqdm

        fps = fps or env.metadata.get("render_fps") or 30
        writer = VideoWriter(video, fps)
        bar = tqdm(total=num_episodes, unit="episode", desc=f"Recording {osp.basename(video)}",
                   file=sys.stderr, dynamic_ncols=True)
    say = bar.write if bar is not None else print

    returns, lengths = [], []
    try:
        obs, _ = env.reset(seed=seed)
        if writer:
            writer.append(_render_frame(env))
        ep_ret, ep_len = 0.0, 0
        while len(returns) < num_episodes:
            obs, rew, terminated, truncated, _ = env.step(get_action(obs))
            ep_ret += float(rew)
            ep_len += 1
            if writer:
                writer.append(_render_frame(env))  # after every step, so the final frame too
                bar.set_postfix(frames=writer.frames, refresh=False)
            if terminated or truncated or ep_len == max_ep_len:
                returns.append(ep_ret)
                lengths.append(ep_len)
                say(f"Episode {len(returns) - 1} \t EpRet {ep_ret:.3f} \t EpLen {ep_len}")
                if bar is not None:
                    bar.update(1)
                if len(returns) < num_episodes:
                    obs, _ = env.reset()
                    if writer:
                        writer.append(_render_frame(env))
                ep_ret, ep_len = 0.0, 0
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    print_summary(returns, lengths)
    if writer is not None:
        print(f"Saved {writer.frames} frames ({writer.frames / fps:.1f} s at {fps:g} fps) to {video}")
    return dict(returns=returns, lengths=lengths)


def print_summary(returns, lengths) -> None:
    """A small table like the training log's: return statistics and the mean episode length."""
    import numpy as np

    if not returns:
        return
    r = np.asarray(returns, dtype=np.float64)
    rows = [("AverageEpRet", r.mean()), ("StdEpRet", r.std()), ("MaxEpRet", r.max()),
            ("MinEpRet", r.min()), ("EpLen", float(np.mean(lengths)))]
    line = "-" * 37
    print(line)
    for key, val in rows:
        print(f"| {key:>15s} | {val:15.6g} |")
    print(line, flush=True)


# ---------------------------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spinup.run test_policy",
        description="Run a trained policy in its environment: print each episode's return, show "
                    "the episodes in a window, or record them to a video file.",
    )
    p.add_argument("fpath", help="the output folder of one run (holding pyt_save/)")
    p.add_argument("--len", "-l", type=int, default=0, help="cut episodes off after L steps (0: the environment's own limit)")
    p.add_argument("--episodes", "-n", type=int, default=100, help="number of episodes (default 100)")
    p.add_argument("--norender", "-nr", action="store_true", help="do not render")
    p.add_argument("--itr", "-i", type=int, default=-1,
                   help="which snapshot model<I>.pt to load (default: the last; keep snapshots with --snapshots when training)")
    p.add_argument("--deterministic", "-d", action="store_true",
                   help="use the policy's deterministic action (e.g. SAC's mean action) instead of sampling")
    p.add_argument("--video", metavar="FILE", help="record the episodes to FILE (.mp4 or .gif); works without a display")
    p.add_argument("--fps", type=float, default=None, help="frames per second of the video (default: the environment's)")
    p.add_argument("--seed", type=int, default=None, help="seed for the environment's first reset")
    p.add_argument("--env_pkg", default=None, help="a package to import that registers the run's environment")
    return p


def main(argv=None) -> dict:
    """``python -m spinup.run test_policy ...``: see :func:`build_parser` for the flags."""
    args = build_parser().parse_args(argv)
    if args.episodes < 1:
        raise UserError(f"test_policy: --episodes must be at least 1, not {args.episodes}.")
    if args.len < 0:
        raise UserError(f"test_policy: --len must be 0 (no limit) or positive, not {args.len}.")
    if args.fps is not None and args.fps <= 0:
        raise UserError(f"test_policy: --fps must be positive, not {args.fps}.")
    if args.video:
        check_video_path(args.video)
        render_mode = "rgb_array"
    elif args.norender:
        render_mode = None
    else:
        if not has_display():
            raise UserError("test_policy: there is no display to show the episodes in (DISPLAY is not "
                            "set). Run with -nr (no rendering) or record them with --video out.mp4.")
        render_mode = "human"
    env, get_action = load_policy_and_env(args.fpath, args.itr, args.deterministic,
                                          render_mode=render_mode, env_pkg=args.env_pkg)
    try:
        return run_policy(env, get_action, args.len, args.episodes, render=render_mode == "human",
                          video=args.video, fps=args.fps, seed=args.seed)
    finally:
        env.close()


if __name__ == "__main__":
    try:
        main()
    except UserError as e:
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(2)
