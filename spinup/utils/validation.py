"""Checking every hyperparameter before anything starts.

One check serves the command line, ``ExperimentGrid`` and a direct call such as ``ppo(env_fn,
epochs=-3)``: :func:`check_arguments` reads the function's type hints for the type of each
argument and :data:`RANGES` (one table, keyed by the names the seven algorithms share) for its
range, then applies :data:`CROSS_RULES` (``batch_size <= replay_size``, ...), the checks of
``ac_kwargs`` against the actor-critic's constructor and of ``env_kwargs`` against the
environment. A bad value raises :class:`~spinup.utils.errors.InvalidType` or
:class:`~spinup.utils.errors.InvalidValue` with one line::

    --gamma: expected a number with 0 < gamma <= 1; got 'abc'.

With ``convert=True`` (the command line and ``ExperimentGrid``) unambiguous conversions are
made and returned: ``'10'`` or ``10.0`` -> ``10`` for an int, ``1`` -> ``1.0`` for a float,
``'mypkg.nets:MyActorCritic'`` -> the object, for an argument that takes a class or function
(and only for such an argument: a number is never imported). A direct call checks without
converting, so ``ppo(env_fn, epochs='10')`` is refused.

The run options are checked here too: :func:`check_data_dir`, :func:`check_exp_name`,
:func:`check_num_cpu`.
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import math
import numbers
import os
import os.path as osp
import re
import tempfile
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spinup.utils.errors import InvalidType, InvalidValue, UserError

# Type hints of the algorithms' function arguments (the hints name what the callable returns).
EnvFn = Callable[[], Any]  # () -> gymnasium.Env
ActorCritic = Callable[..., Any]  # (observation_space, action_space, **ac_kwargs) -> torch.nn.Module
Device = typing.Literal["cpu", "cuda", "mps", "auto"]  # spinup.utils.devices
Vectorization = typing.Literal["sync", "async", "envpool"]  # spinup.utils.vector_envs

MODULE_AND_NAME = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
TORCH_NAME = re.compile(r"^(torch|nn)(\.[A-Za-z_]\w*)+$")

# More processes than this many per core is refused (a typo such as --cpu 400, not a plan).
MAX_CPU_PER_CORE = 4


# ---------------------------------------------------------------------------------------------
# The ranges, one table for every algorithm.


@dataclass(frozen=True)
class Range:
    """``low <= x <= high`` (``<`` where open); None is unbounded. NaN is never in range, and
    infinity only with ``allow_inf``."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    allow_inf: bool = False

    def __contains__(self, x) -> bool:
        if math.isnan(x) or (math.isinf(x) and not self.allow_inf):
            return False
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return self.high is None or (x < self.high if self.high_open else x <= self.high)

    def describe(self, name: str) -> str:
        """``'0 < gamma <= 1'``, ``'epochs >= 1'``, ``'lr > 0'``."""
        text = name
        if self.low is not None:
            text = f"{_num(self.low)} {'<' if self.low_open else '<='} {text}"
        if self.high is not None:
            text = f"{text} {'<' if self.high_open else '<='} {_num(self.high)}"
        elif self.low is not None:  # one-sided: write it as name >= low
            text = f"{name} {'>' if self.low_open else '>='} {_num(self.low)}"
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


POSITIVE = Range(0, low_open=True)
AT_LEAST_0 = Range(0)
AT_LEAST_1 = Range(1)
UNIT = Range(0, 1)

# Every hyperparameter of the seven algorithms with a range, from their docstrings.
RANGES: dict[str, Range] = {
    "seed": Range(0, 2**31 - 1),  # NumPy takes seeds below 2**32; each MPI process adds 10000
    "steps_per_epoch": AT_LEAST_1,
    "epochs": AT_LEAST_1,
    "gamma": Range(0, 1, low_open=True),
    "lam": UNIT,
    "polyak": UNIT,
    "pi_lr": POSITIVE,
    "vf_lr": POSITIVE,
    "q_lr": POSITIVE,
    "lr": POSITIVE,
    "train_pi_iters": AT_LEAST_1,
    "train_v_iters": AT_LEAST_0,  # 0 leaves the value function as initialised (exercise 2.1)
    "max_ep_len": AT_LEAST_1,
    "target_kl": Range(0, low_open=True, allow_inf=True),  # inf: no early stopping
    "clip_ratio": POSITIVE,
    "delta": POSITIVE,
    "damping_coeff": AT_LEAST_0,
    "cg_iters": AT_LEAST_1,
    "backtrack_iters": AT_LEAST_1,
    "backtrack_coeff": Range(0, 1, low_open=True, high_open=True),
    "replay_size": AT_LEAST_1,
    "batch_size": AT_LEAST_1,
    "start_steps": AT_LEAST_0,
    "update_after": AT_LEAST_0,
    "update_every": AT_LEAST_1,
    "gradient_steps": AT_LEAST_1,  # or None (DQN: update_every)
    "act_noise": AT_LEAST_0,
    "target_noise": AT_LEAST_0,
    "noise_clip": AT_LEAST_0,
    "policy_delay": AT_LEAST_1,
    "alpha": POSITIVE,  # or 'auto' (its type hint)
    "target_update_every": AT_LEAST_1,
    "eps_start": UNIT,
    "eps_end": UNIT,
    "eps_decay_steps": AT_LEAST_0,  # 0: eps_end from the first step
    "huber_delta": POSITIVE,
    "num_test_episodes": AT_LEAST_0,
    "save_freq": AT_LEAST_1,
    "num_envs": AT_LEAST_1,
}

# Arguments whose type hint says all there is to check (ac_kwargs is checked by check_ac_kwargs).
TYPE_ONLY = frozenset({"env_fn", "actor_critic", "ac_kwargs", "logger_kwargs", "resume", "save_buffer",
                       "double", "algo", "target_entropy", "vectorization", "device"})

# Rules between two arguments: (argument, other, holds(value, other_value), what is expected).
CROSS_RULES: list[tuple[str, str, Callable[[Any, Any], bool], str]] = [
    ("batch_size", "replay_size", lambda b, r: b <= r, "at most replay_size ({other})"),
    ("eps_end", "eps_start", lambda end, start: end <= start, "at most eps_start ({other}), as ε falls to eps_end"),
    ("steps_per_epoch", "num_envs", lambda steps, n: steps % n == 0,
     "a multiple of num_envs ({other}), so that every copy takes the same number of steps in an epoch"),
]

# Arguments describing the environment by name (the command line and ExperimentGrid turn them
# into env_fn), and the keyword arguments gym.make takes for itself.
ENV_KEYS = ("env_name", "env_kwargs", "env_pkg")
GYM_MAKE_KWARGS = {"max_episode_steps": int | None, "disable_env_checker": bool | None}


# ---------------------------------------------------------------------------------------------
# Names in messages.


class Namer:
    """How an argument is named in messages: ``--gamma`` / ``--ac_kwargs:hidden_sizes`` on the
    command line (or the flag exactly as typed, from ``names``), ``gamma`` /
    ``ac_kwargs['hidden_sizes']`` from Python."""

    def __init__(self, names: Mapping[str, str] | None = None, cli: bool = False):
        self.names, self.cli = dict(names or {}), cli

    def __call__(self, path: str) -> str:
        if path in self.names:
            return self.names[path]
        if self.cli:
            return "--" + path
        head, *rest = path.split(":")
        return head + "".join(f"[{part!r}]" for part in rest)


def _show(value) -> str:
    """The value received, in one short line: its repr, or ``module.Name`` for a class or function."""
    if inspect.isclass(value) or inspect.isroutine(value):
        text = f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', value)}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def invalid(name: str, value, expected: str, note: str = "", kind=InvalidValue):
    """The exception for ``value`` of ``name`` (raise it): ``name: expected ...; got value.``"""
    message = f"{name}: expected {expected}; got {_show(value)}." + (f" {note}" if note else "")
    return kind(message, name=name, value=value, expected=expected)


# ---------------------------------------------------------------------------------------------
# Named objects: package.module:Name and torch names, resolved only where a class or function
# is expected.


def resolve_torch_name(text: str):
    """``'nn.ReLU'`` -> ``torch.nn.ReLU``; ``'torch.tanh'`` -> ``torch.tanh``."""
    import torch

    first, *rest = text.split(".")
    obj = torch.nn if first == "nn" else torch
    for part in rest:
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise UserError(f"'{text}' does not exist: {obj.__name__} has no '{part}'.{_did_you_mean(part, names)}")
        obj = getattr(obj, part)
    return obj


def import_named_object(text: str, name: str = "value"):
    """``'mypkg.nets:MyActorCritic'`` -> the object ``MyActorCritic`` of the module ``mypkg.nets``."""
    module_name, _, attr_path = text.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as e:
        raise UserError(f"{name}: could not import '{module_name}' for the value '{text}' ({e}). Check "
                        "the spelling, or add the module's folder to PYTHONPATH.") from None
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise UserError(f"{name}: '{text}' does not exist: {module_name} has no "
                            f"'{part}'.{_did_you_mean(part, names)}")
        obj = getattr(obj, part)
    return obj


def _resolve_object(value, name: str):
    """A string naming an object (``pkg.mod:Name``, ``nn.ReLU``) -> the object; else ``value``."""
    if isinstance(value, str) and MODULE_AND_NAME.match(value):
        return import_named_object(value, name)
    if isinstance(value, str) and TORCH_NAME.match(value):
        return resolve_torch_name(value)
    return value


def _did_you_mean(word: str, choices) -> str:
    import difflib

    by_lower = {c.lower(): c for c in choices}
    close = [by_lower[c] for c in difflib.get_close_matches(word.lower(), list(by_lower), n=3, cutoff=0.6)]
    return f" Did you mean: {', '.join(close)}?" if close else ""


# ---------------------------------------------------------------------------------------------
# One value against its type hint and range.


class _Mismatch(Exception):
    """The value does not fit the hint (turned into InvalidType by the caller)."""


def _is_union(hint) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _is_callable_hint(hint) -> bool:
    return hint is collections.abc.Callable or typing.get_origin(hint) is collections.abc.Callable


def takes_object(hint) -> bool:
    """True if the hint asks for a class or function (so a ``pkg.mod:Name`` string is imported)."""
    if _is_union(hint):
        return any(takes_object(h) for h in typing.get_args(hint))
    return _is_callable_hint(hint) or typing.get_origin(hint) is type


def _int(value, convert: bool):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if convert and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise _Mismatch from None
    if convert and isinstance(value, numbers.Real) and not isinstance(value, bool):
        if math.isfinite(value) and float(value).is_integer():
            return int(value)  # 1e6 -> 1000000
    raise _Mismatch


def _float(value, convert: bool):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if convert and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise _Mismatch from None
    raise _Mismatch


def _bool(value, convert: bool):
    if isinstance(value, bool):
        return value
    if convert and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Mismatch


def _str(value, convert: bool):
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):  # a path is as good as its string
        return os.fspath(value)
    raise _Mismatch


def _fit(value, hint, convert: bool, name: str):
    """``value`` as the type ``hint`` asks for (converted if ``convert``), or :class:`_Mismatch`."""
    if hint is Any or hint is inspect.Parameter.empty:
        return value
    if hint is None or hint is type(None):
        if value is None:
            return None
        raise _Mismatch
    if _is_union(hint):
        members = typing.get_args(hint)
        for exact in (True, False) if convert else (True,):
            for member in members:
                try:
                    return _fit(value, member, not exact, name)
                except _Mismatch:
                    pass
        raise _Mismatch
    if typing.get_origin(hint) is typing.Literal:
        for choice in typing.get_args(hint):
            if type(value) is type(choice) and value == choice:
                return value
        raise _Mismatch
    simple = {bool: _bool, int: _int, float: _float, str: _str}
    if hint in simple:
        return simple[hint](value, convert)
    if _is_callable_hint(hint):
        if convert:
            value = _resolve_object(value, name)
        if callable(value):
            return value
        raise _Mismatch
    origin = typing.get_origin(hint)
    if origin is type:
        if convert:
            value = _resolve_object(value, name)
        (base,) = typing.get_args(hint) or (object,)
        if inspect.isclass(value) and (base is Any or issubclass(value, base)):
            return value
        raise _Mismatch
    cls = origin or hint
    if inspect.isclass(cls):
        if isinstance(value, cls):
            return value
        raise _Mismatch
    return value  # a hint we do not interpret


def describe(hint, rng: Range | None, param: str) -> str:
    """What the hint and range accept, in words: ``'a number with 0 < gamma <= 1'``."""
    if _is_union(hint):
        if {int, float} <= set(typing.get_args(hint)):  # int | float: any number
            hint = typing.Union[tuple(h for h in typing.get_args(hint) if h is not int)]  # noqa: UP007
            return describe(hint, rng, param)
        parts = [describe(h, rng, param) for h in typing.get_args(hint) if h is not type(None)]
        if type(None) in typing.get_args(hint):
            parts.append("None")
        return " or ".join(parts)
    if typing.get_origin(hint) is typing.Literal:
        choices = [repr(c) for c in typing.get_args(hint)]
        return choices[0] if len(choices) == 1 else "one of " + ", ".join(choices)
    words = {bool: "True or False", int: "an int", float: "a number", str: "a string", dict: "a dict",
             type(None): "None"}
    if hint in words:
        text = words[hint]
        if rng is not None and hint in (int, float):
            text += f" with {rng.describe(param)}"
        return text
    if _is_callable_hint(hint):
        return "a function or class (from the command line: package.module:Name)"
    if typing.get_origin(hint) is type:
        (base,) = typing.get_args(hint) or (object,)
        return f"a subclass of {base.__qualname__}"
    cls = typing.get_origin(hint) or hint
    if inspect.isclass(cls):
        return f"a {cls.__qualname__}"
    return str(hint)


def check_value(value, hint, param: str, name: str, convert: bool = False):
    """Check (and with ``convert``, convert) one value against its type hint and the range of
    ``param`` in :data:`RANGES`; return it. ``name`` is how messages call it."""
    rng = RANGES.get(param)
    try:
        fitted = _fit(value, hint, convert, name)
    except _Mismatch:
        raise invalid(name, value, describe(hint, rng, param), kind=InvalidType) from None
    if rng is not None and isinstance(fitted, numbers.Real) and not isinstance(fitted, bool) and fitted not in rng:
        raise invalid(name, value, describe(hint, rng, param))
    if param == "device":
        from spinup.utils.devices import device_problem

        problem = device_problem(fitted)
        if problem is not None:
            raise InvalidValue(f"{name} {fitted}: {problem}.", name=name, value=value, expected="a device this machine has")
    return fitted


# ---------------------------------------------------------------------------------------------
# All the arguments of one call.


def type_hints(fn) -> dict[str, Any]:
    """``fn``'s type hints (for a class, its constructor's); empty if they cannot be resolved."""
    target = fn.__init__ if inspect.isclass(fn) else fn
    try:
        return typing.get_type_hints(target)
    except Exception:  # a forward reference that does not resolve: check nothing by type
        return {}


def _parameters(fn) -> Mapping[str, inspect.Parameter]:
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def default_of(fn, param: str):
    """The default value of ``fn``'s argument ``param`` (None if it has none)."""
    p = _parameters(fn).get(param)
    return None if p is None or p.default is inspect.Parameter.empty else p.default


def check_arguments(fn, kwargs: Mapping[str, Any], *, convert: bool = False,
                    names: Mapping[str, str] | None = None, cli: bool = False) -> dict:
    """Check the keyword arguments ``kwargs`` for a call of ``fn``; return them (converted).

    Every argument that ``fn`` declares with a type hint is checked against the hint and, by
    its name, against :data:`RANGES`; then :data:`CROSS_RULES` (missing arguments take
    ``fn``'s defaults), ``ac_kwargs`` (:func:`check_ac_kwargs`) and the environment flags
    ``env_name``/``env_kwargs``/``env_pkg`` (:func:`check_env_kwargs`, which builds the
    environment once). An argument ``fn`` does not take is refused unless it takes ``**kwargs``.

    Args:
        fn: the function to be called (an algorithm, or any experiment function).
        kwargs: its keyword arguments (``locals()`` at the top of an algorithm).
        convert: make unambiguous conversions (``'10'`` -> 10, ``1`` -> 1.0, ``'pkg.mod:Name'``
            -> the object where a class or function is expected). Without it, values must already
            have their type (an int is accepted for a float).
        names: how to call each argument in messages (key, or ``'a:b'`` for ``a['b']``, to the
            flag as the user typed it).
        cli: name the arguments as flags (``--gamma``) when ``names`` does not say.

    Raises:
        InvalidType, InvalidValue: one line naming the argument, what it accepts and the value.
    """
    name_of = Namer(names, cli)
    params = _parameters(fn)
    hints = type_hints(fn)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    out = dict(kwargs)
    for key, value in kwargs.items():
        if key in params and params[key].kind is not inspect.Parameter.VAR_KEYWORD:
            if key in hints:
                out[key] = check_value(value, hints[key], key, name_of(key), convert)
        elif key not in ENV_KEYS and not takes_any:
            fn_name = getattr(fn, "__name__", repr(fn))
            raise invalid(name_of(key), value, f"an argument of {fn_name} ({', '.join(params)})",
                          note=f"{fn_name} has no argument '{key}'.", kind=InvalidType)
    given = {**{k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}, **out}
    for key, other, holds, expected in CROSS_RULES:
        if key in params and other in params and key in hints and other in hints:
            value, other_value = given.get(key), given.get(other)
            if value is not None and other_value is not None and not holds(value, other_value):
                raise invalid(name_of(key), value, expected.format(other=other_value))
    if "ac_kwargs" in out and "ac_kwargs" in hints:
        out["ac_kwargs"] = check_ac_kwargs(out["ac_kwargs"], given.get("actor_critic"), name_of, convert)
    if any(k in out for k in ENV_KEYS) and not any(k in params for k in ENV_KEYS):
        out.update(check_env_arguments(out, name_of, convert))
    return out


def check_ac_kwargs(ac_kwargs: dict, actor_critic, name_of: Namer, convert: bool = False) -> dict:
    """``ac_kwargs``: a dict whose keys ``actor_critic`` accepts, ``hidden_sizes`` a list or tuple
    of positive ints (empty: no hidden layer, e.g. one linear layer on a CNN's features),
    ``activation`` a ``torch.nn.Module`` subclass."""
    out = dict(ac_kwargs)
    if "hidden_sizes" in out:
        name, sizes = name_of("ac_kwargs:hidden_sizes"), out["hidden_sizes"]
        expected = "hidden_sizes as a list or tuple of positive ints, e.g. [64, 64] ([] for none)"
        if convert and isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (int(sizes),)  # one hidden layer
        if not isinstance(sizes, (list, tuple)):
            raise invalid(name, sizes, expected, kind=InvalidType)
        if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1
                                for s in sizes):
            raise invalid(name, sizes, expected)
        out["hidden_sizes"] = sizes
    if "encoder" in out:
        from spinup.algos.networks import ENCODERS

        if out["encoder"] not in ENCODERS:
            raise invalid(name_of("ac_kwargs:encoder"), out["encoder"], "encoder as one of " + ", ".join(ENCODERS))
    if "activation" in out:
        import torch

        name, act = name_of("ac_kwargs:activation"), out["activation"]
        if convert:
            act = _resolve_object(act, name)
        if not (inspect.isclass(act) and issubclass(act, torch.nn.Module)):
            raise invalid(name, act, "a torch.nn.Module class such as nn.ReLU or nn.Tanh", kind=InvalidType)
        out["activation"] = act
    params = _parameters(actor_critic) if callable(actor_critic) else {}
    if params and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        accepted = [n for n in list(params)[2:]  # after observation_space, action_space
                    if params[n].kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        for key in out:
            if key not in accepted:
                owner = getattr(actor_critic, "__qualname__", repr(actor_critic))
                raise invalid(name_of(f"ac_kwargs:{key}"), key,
                              f"an argument of {owner} ({', '.join(accepted) or 'none'})",
                              note=_did_you_mean(key, accepted).strip(), kind=InvalidType)
    return out


# ---------------------------------------------------------------------------------------------
# The environment and its keyword arguments.

_ENVS_BUILT: set[str] = set()  # environments already built with these kwargs in this process


def env_parameters(env_name: str) -> tuple[str, dict[str, inspect.Parameter] | None, bool]:
    """The name of the environment's entry point, the parameters it declares (None if unknown),
    and whether it takes other keywords too (``**kwargs``)."""
    import gymnasium as gym

    from spinup.utils.envs import split_env_name

    env_id = split_env_name(env_name)[1]
    try:
        spec = gym.spec(env_id)
        entry = spec.entry_point
        if isinstance(entry, str):
            from gymnasium.envs.registration import load_env_creator

            entry = load_env_creator(entry)
        params = dict(inspect.signature(entry).parameters)
    except Exception:
        return env_id, None, True
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    params = {n: p for n, p in params.items()
              if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    try:  # string annotations (from __future__ import annotations) become types where possible
        hints = typing.get_type_hints(entry.__init__ if inspect.isclass(entry) else entry)
        params = {n: p.replace(annotation=hints.get(n, p.annotation)) for n, p in params.items()}
    except Exception:
        pass
    return getattr(entry, "__qualname__", env_id), params, takes_any


def _env_kwarg_hint(param: inspect.Parameter):
    """The type to check an environment keyword against: its annotation if it is a simple one,
    else the type of its default (any number for a numeric default); Any when unknown."""
    ann = param.annotation
    simple = (bool, int, float, str, type(None))
    if ann is not inspect.Parameter.empty and (ann in simple or (
            _is_union(ann) and all(a in simple for a in typing.get_args(ann)))):
        return ann
    default = param.default
    if isinstance(default, bool):
        return bool
    if isinstance(default, numbers.Real):
        return int | float  # an int stays an int, a float a float
    return Any


def check_env_arguments(kwargs: Mapping[str, Any], name_of: Namer, convert: bool = False) -> dict:
    """``env_name``, ``env_kwargs`` and ``env_pkg``: the environment exists, and it takes every
    key of ``env_kwargs`` with a value of the right type; it is built once with them (then closed)
    to be sure. Returns the three, converted."""
    from spinup.utils.envs import check_env_id

    env_name, env_pkg = kwargs.get("env_name"), kwargs.get("env_pkg")
    env_kwargs = kwargs.get("env_kwargs")
    out = {k: kwargs[k] for k in ENV_KEYS if k in kwargs}
    if env_pkg is not None and not isinstance(env_pkg, str):
        raise invalid(name_of("env_pkg"), env_pkg, "the name of a package to import", kind=InvalidType)
    if env_kwargs is None:
        return out
    if not isinstance(env_kwargs, dict):
        raise invalid(name_of("env_kwargs"), env_kwargs, "a dict of keyword arguments for gym.make",
                      kind=InvalidType)
    if env_name is None:
        raise invalid(name_of("env_kwargs"), env_kwargs, "env_name with them (the environment they are for)")
    check_env_id(env_name, env_pkg)
    owner, params, takes_any = env_parameters(env_name)
    env_kwargs = dict(env_kwargs)
    for key, value in env_kwargs.items():
        name = name_of(f"env_kwargs:{key}")
        if key in GYM_MAKE_KWARGS:
            hint = GYM_MAKE_KWARGS[key]
        elif params is not None and key in params:
            hint = _env_kwarg_hint(params[key])
        elif params is None or takes_any:
            continue  # the environment passes it on: building it (below) tells
        else:
            accepted = list(params) + list(GYM_MAKE_KWARGS)
            raise invalid(name, key, f"an argument of {owner} ({', '.join(accepted)})",
                          note=_did_you_mean(key, accepted).strip(), kind=InvalidType)
        try:
            env_kwargs[key] = _fit(value, hint, convert, name)
        except _Mismatch:
            raise invalid(name, value, describe(hint, None, key), kind=InvalidType) from None
    out["env_kwargs"] = env_kwargs
    _build_env_once(env_name, env_kwargs, env_pkg, name_of)
    return out


def _build_env_once(env_name: str, env_kwargs: dict, env_pkg: str | None, name_of: Namer) -> None:
    """Build the environment with ``env_kwargs`` and close it; a failure names the flag."""
    key = repr((env_name, sorted(env_kwargs.items(), key=lambda kv: kv[0]), env_pkg))
    if key in _ENVS_BUILT or not env_kwargs:
        return
    from spinup.utils.envs import EnvFactory

    try:
        EnvFactory(env_name, env_kwargs, env_pkg)().close()
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        unexpected = re.search(r"unexpected keyword argument '(\w+)'", first)
        if unexpected and unexpected.group(1) in env_kwargs:
            k = unexpected.group(1)
            declared = env_parameters(env_name)[1]
            listed = f" ({', '.join(list(declared) + list(GYM_MAKE_KWARGS))}, ...)" if declared else ""
            raise invalid(name_of(f"env_kwargs:{k}"), k, f"an argument that {env_name} accepts{listed}",
                          kind=InvalidType) from None
        if len(env_kwargs) == 1:
            ((k, v),) = env_kwargs.items()
            name, value = name_of(f"env_kwargs:{k}"), v
        else:
            name, value = name_of("env_kwargs"), env_kwargs
        raise invalid(name, value, f"values {env_name} accepts",
                      note=f"Building it failed: {type(e).__name__}: {first}") from None
    _ENVS_BUILT.add(key)


# ---------------------------------------------------------------------------------------------
# The run options.


def check_exp_name(exp_name, name: str = "exp_name") -> str:
    """A plain folder name: no path separator, not ``.`` or ``..`` (so it stays inside data_dir)."""
    if not isinstance(exp_name, str) or not exp_name:
        raise invalid(name, exp_name, "a non-empty name", kind=InvalidType)
    if "/" in exp_name or "\\" in exp_name or exp_name in (".", "..") or osp.isabs(exp_name):
        raise invalid(name, exp_name, "a plain folder name, without '/', '\\' or '..' (it goes inside data_dir)")
    return exp_name


def _can_write_in(path: str) -> str | None:
    """None if a file can be written in ``path`` (made if missing), else why not. Tried for real,
    not judged from permissions (root passes every permission check, yet cannot write in /proc),
    and the folders made for the try are removed again."""
    made = []
    probe = path
    while not osp.exists(probe):
        made.append(probe)
        probe = osp.dirname(probe)
    try:
        for folder in reversed(made):
            os.mkdir(folder)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        return e.strerror or str(e)
    finally:
        for folder in made:
            try:
                os.rmdir(folder)
            except OSError:
                pass
    return None


def check_data_dir(data_dir, name: str = "data_dir") -> str:
    """An existing folder we can write to, or one that can be made (its first existing parent is a
    writable folder). Returns the absolute path. ``None`` means ``user_config.DEFAULT_DATA_DIR``."""
    if data_dir is None:
        from spinup import user_config

        data_dir = user_config.DEFAULT_DATA_DIR
    if not isinstance(data_dir, (str, os.PathLike)) or not os.fspath(data_dir):
        raise invalid(name, data_dir, "a folder", kind=InvalidType)
    path = osp.abspath(os.fspath(data_dir))
    probe = path
    while not osp.exists(probe) and osp.dirname(probe) != probe:
        probe = osp.dirname(probe)
    expected = "a folder you can write to (or one that can be made)"
    if not osp.isdir(probe):
        raise invalid(name, os.fspath(data_dir), expected, note=f"{probe} is a file, not a folder.")
    why = _can_write_in(path)
    if why is not None:
        raise invalid(name, os.fspath(data_dir), expected, note=f"Writing in {path} failed: {why}.")
    return path


def check_num_cpu(num_cpu, steps_per_epoch=None, name: str = "num_cpu"):
    """A whole number of processes (or ``'auto'``): at most ``steps_per_epoch`` (each process
    takes at least one step per epoch) and at most ``MAX_CPU_PER_CORE`` per core."""
    if num_cpu == "auto":
        return num_cpu
    expected = "a whole number of processes (1 or more) or 'auto'"
    if isinstance(num_cpu, bool) or not isinstance(num_cpu, numbers.Integral):
        raise invalid(name, num_cpu, expected, kind=InvalidType)
    if num_cpu < 1:
        raise invalid(name, num_cpu, expected)
    cores = os.cpu_count() or 1
    if num_cpu > MAX_CPU_PER_CORE * cores:
        raise invalid(name, num_cpu, f"at most {MAX_CPU_PER_CORE * cores} processes "
                      f"({MAX_CPU_PER_CORE} per core; this machine has {cores}), or 'auto'")
    if isinstance(steps_per_epoch, numbers.Integral) and num_cpu > steps_per_epoch:
        raise invalid(name, num_cpu, f"at most steps_per_epoch ({steps_per_epoch}) processes: each "
                      "takes at least one step per epoch")
    return int(num_cpu)
