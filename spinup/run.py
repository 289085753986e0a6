"""The command line: ``python -m spinup.run CMD [ARGS...]`` (or ``spinup CMD [ARGS...]``).

``CMD`` is an algorithm (``ppo``, ``sac``, ...), a utility (``plot``, ``test_policy``, ``bench``)
or ``help``. For an algorithm, the arguments are flags, each followed by one or more values::

    python -m spinup.run ppo --env CartPole-v1 --clip_ratio 0.1 0.2 --hid[h] [32,32] [64,64] --seed 0 10

Every flag with several values is an axis of a grid of experiments (here 2 x 2 x 2 runs). The
grammar, step by step:

1. A flag is a token that starts with ``--`` (``--key value`` or ``--key=value``); the tokens up to
   the next flag are its values. A flag with no value means True (``--dt``).
2. ``--key[sh]`` sets the shorthand used for ``key`` in output folder names.
3. Shortcuts: ``--env`` is ``--env_name``, ``--hid`` is ``--ac_kwargs:hidden_sizes``, ``--act`` is
   ``--ac_kwargs:activation``, ``--cpu`` is ``--num_cpu``, ``--dt`` is ``--datestamp``.
4. ``--a:b value`` sets ``a['b']`` (``--env_kwargs:continuous True``).
5. Values are read by :func:`parse_value` (never ``eval``'d).
6. Run flags (``exp_name``, ``data_dir``, ``datestamp``, ``num_cpu``, ``parallel``, ``snapshots``,
   ``tensorboard``, ``wandb``) take one value and configure the launch, not the algorithm.
7. Everything is checked before launch (:mod:`spinup.utils.validation`): unknown flags,
   environments and their ``--env_kwargs:KEY``, every value against the algorithm's type hints
   and ranges (``--epochs -3``, ``--gamma abc``, ``--hid [32,0]``, ``--batch_size`` above
   ``--replay_size``, ...), for every experiment of the grid; ``--data_dir``, ``--exp_name``,
   ``--cpu`` and resume folders.

Every mistake ends in a short message saying how to fix it and exit status 2, before any folder
is written; a bad value is one line that names the flag, what it accepts and the value received. When experiments
run, the exit status is 0 if all of them finished, 2 if every failure was a mistake the
experiment reported (a UserError), and 1 otherwise; a failed experiment does not stop the
others. Ctrl-C stops everything with status 130.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
import math
import os
import re
import shlex
import sys
from dataclasses import dataclass, field

from spinup.algos import ALGOS, ON_POLICY
from spinup.utils import validation
from spinup.utils.errors import InvalidArgument, UserError
from spinup.utils.validation import resolve_torch_name

# Utilities: command -> module with a ``main(argv)`` function.
UTILITIES = {
    "plot": "spinup.utils.plot",
    "test_policy": "spinup.utils.test_policy",
    "bench": "spinup.benchmarks.harness",
}

HELP_WORDS = ("help", "--help", "-h")

# Short flags and the keys they stand for.
SUBSTITUTIONS = {
    "env": "env_name",
    "hid": "ac_kwargs:hidden_sizes",
    "act": "ac_kwargs:activation",
    "cpu": "num_cpu",
    "dt": "datestamp",
}

# Flags that configure the launch rather than the algorithm; each takes one value.
RUN_KEYS = ("num_cpu", "data_dir", "datestamp", "exp_name", "parallel")
# Flags passed to the Logger (through logger_kwargs); bare booleans.
LOGGER_KEYS = ("snapshots", "tensorboard", "wandb")
# Flags that describe the environment; call_experiment turns them into env_fn.
ENV_KEYS = ("env_name", "env_kwargs", "env_pkg")
# Flags whose values are names (folders, environment ids) and are kept exactly as typed.
RAW_STRING_KEYS = ("env_name", "env_pkg", "exp_name", "data_dir", "resume")

_SHORTHAND = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")


# ---------------------------------------------------------------------------------------------
# Entry point and dispatch.


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``): help, a utility (its
    ``main(args)``, in this process) or an algorithm's grid of experiments. Return the exit status.

    A mistake on the command line prints a short message and raises ``SystemExit(2)``; Ctrl-C
    prints how to resume the interrupted runs and raises ``SystemExit(130)``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv[0] in HELP_WORDS:
            print(help_text())
            return 0
        cmd, args = argv[0], argv[1:]
        if cmd in UTILITIES:
            status = importlib.import_module(UTILITIES[cmd]).main(args)
            return status if isinstance(status, int) else 0
        algo = resolve_algo_name(cmd)
        fn = load_algo(algo)
        if "--help" in args or "-h" in args:
            print(f"\n\nShowing docstring for spinup.{algo}:\n")
            print(inspect.getdoc(fn) or "(This algorithm has no docstring.)")
            return 0
        grid, run_kwargs = build_grid(algo, fn, args)
        return exit_status(grid.run(fn, check=False, **run_kwargs))
    except UserError as e:
        print(f"\nError: {e}\n", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        hints = resume_commands(argv)
        more = ("\nFinished epochs are kept. To go on:\n    " + "\n    ".join(hints)) if hints else ""
        print("\nInterrupted." + more, file=sys.stderr, flush=True)
        raise SystemExit(130) from None


def resolve_algo_name(cmd: str) -> str:
    """The algorithm named by ``cmd`` (``ppo`` or ``ppo_pytorch`` -> ``ppo``), or :class:`UserError`."""
    if cmd in ALGOS:
        return cmd
    base, _, suffix = cmd.rpartition("_")
    if base in ALGOS and suffix == "pytorch":
        return base
    if base in ALGOS and suffix == "tf1":
        raise UserError(f"TensorFlow 1 is not supported in spinup; use {base} (the PyTorch version).")
    commands = list(ALGOS) + list(UTILITIES) + ["help"]
    raise UserError(f"Unknown command '{cmd}'.{_did_you_mean(cmd, commands)} Valid commands: "
                    f"{', '.join(commands)}. See: python -m spinup.run help")


def load_algo(name: str):
    """Import and return the algorithm function called ``name``."""
    module_name, fn_name = ALGOS[name]
    return getattr(importlib.import_module(module_name), fn_name)


def exit_status(results) -> int:
    """0 if every experiment finished; 2 if every failure was a reported mistake; 1 otherwise."""
    failed = [r for r in results if not r.ok]
    if not failed:
        return 0
    return 2 if all(r.returncode == 2 for r in failed) else 1


# Command-line flags that a resumed run does not need (they only choose a new folder).
_NEW_FOLDER_FLAGS = ("--resume", "--exp_name", "--data_dir", "--dt", "--datestamp")


def resume_commands(argv: list[str]) -> list[str]:
    """For each interrupted experiment that can be resumed, the command that continues it.

    ``argv`` is the command line that started the grid (``['ppo', '--env', ...]``): with one
    experiment, the command repeats its flags; with several, it names the experiment's own.
    """
    from spinup.utils.checkpoint import RESUME_FILE
    from spinup.utils.launch import interrupted_experiments

    interrupted = interrupted_experiments()
    lines = []
    algo = argv[0] if argv else "<algo>"
    flags, skip = [], False
    for token in argv[1:]:
        if token.startswith("--"):
            skip = token.split("=")[0].split("[")[0] in _NEW_FOLDER_FLAGS
        if not skip:
            flags.append(token)
    single = len(interrupted) == 1 and all(len(v) == 1 for v in _flag_values(flags))
    for e in interrupted:
        if not os.path.isfile(os.path.join(e.output_dir, RESUME_FILE)):
            lines.append(f"{e.exp_name} had not finished an epoch: start it again to run it.")
            continue
        rest = shlex.join(flags) if single else f"<the flags of {e.exp_name}, one value each>"
        lines.append(f"python -m spinup.run {algo} {rest} --resume {shlex.quote(e.output_dir)}".replace("  ", " "))
    return lines


def _flag_values(tokens: list[str]) -> list[list[str]]:
    """The values of each flag in ``tokens`` (``--a 1 2 --b 3`` -> ``[['1', '2'], ['3']]``)."""
    groups: list[list[str]] = []
    for token in tokens:
        if token.startswith("--"):
            groups.append([token.partition("=")[2]] if "=" in token else [])
        elif groups:
            groups[-1].append(token)
    return groups


# ---------------------------------------------------------------------------------------------
# Help.


def help_text() -> str:
    """The text of ``python -m spinup.run help``."""
    subs = "\n".join(f"    --{short.ljust(10)}for  --{long}" for short, long in SUBSTITUTIONS.items())
    return f"""
Run experiments in spinup from the command line with

    python -m spinup.run CMD [ARGS...]        (or: spinup CMD [ARGS...])

where CMD is one of these commands:

    algorithms:  {'  '.join(ALGOS)}
    utilities:   {'  '.join(UTILITIES)}
    help

Any keyword argument of an algorithm can be given as a flag, and a flag with several
values runs one experiment per value (all combinations of all such flags), e.g.

    python -m spinup.run ppo --env CartPole-v1 --clip_ratio 0.1 0.2 --seed 0 10

    python -m spinup.run ppo --help         shows the algorithm's arguments
    python -m spinup.run plot --help        shows a utility's options

Shortcuts:

{subs}

Flags for every algorithm (one value each):

    --exp_name NAME      name of the experiment and its folder (default cmd_<algo>)
    --data_dir DIR       where output folders go (default: DEFAULT_DATA_DIR in user_config)
    --dt                 put the date and time in the folder names
    --cpu N|auto         MPI processes per experiment (vpg, trpo, ppo only)
    --parallel N         run N experiments of the grid at the same time
    --snapshots          keep pyt_save/model<epoch>.pt at every save, not only the latest
    --tensorboard        also log to TensorBoard
    --wandb              also log to Weights & Biases
    --resume DIR         continue the run saved in DIR (repeat its other flags)

Environments:

    --env ID                      any registered Gymnasium id, e.g. CartPole-v1
    --env_pkg mypkg               import your package that registers environments first
    --env mypkg:MyEnv-v0          the same, in one flag
    --env_kwargs:KEY VALUE        keyword arguments for gym.make

Values are read as Python literals (0.1, [64,64], (64,), True, None), as torch names
(nn.ReLU, torch.nn.Tanh), or as package.module:Name for an object of your own (imported only
for a flag that takes a class or function, such as --actor_critic); anything else is a string.
--key[sh] sets the short name of key in folder names; --a:b sets a['b'].

Every value is checked against what the algorithm accepts before anything starts; a bad one
ends with one line naming the flag and exit status 2. More in the docs page "Running Experiments".
"""


# ---------------------------------------------------------------------------------------------
# Reading the flags.


@dataclass
class Flag:
    """One flag from the command line: its key, its values and its shorthand."""

    typed: str  # as the user wrote it, for messages (e.g. "--hid[h]")
    key: str
    values: list = field(default_factory=list)
    shorthand: str | None = None
    bare: bool = False  # given without a value (so its value is True)

    @property
    def name(self) -> str:
        """The flag as typed, without its shorthand: ``--hid`` for ``--hid[h]``."""
        return self.typed.split("[")[0]


def parse_value(text: str):
    """Read one value from the command line, without ever ``eval``-ing it.

    * Python literals (numbers, strings, lists, tuples, dicts, True/False/None) via
      ``ast.literal_eval``; also ``inf`` and ``nan``.
    * ``torch.X``, ``nn.X``, ``torch.nn.X`` (any depth): attributes of torch or torch.nn.
    * The original Spinning Up's ``dict(hidden_sizes=[64], activation=torch.nn.ReLU)`` (and
      ``{'activation': nn.ReLU}``): see :func:`parse_dict_form`.
    * Anything else stays a string, ``package.module:Name`` included: the check of the values
      (:func:`check_flag_values`) imports it only for an argument that takes a class or function.
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if text.strip().lower() in ("inf", "+inf", "-inf", "nan"):
        return float(text)
    if validation.TORCH_NAME.match(text):
        return resolve_torch_name(text)
    if text.strip().startswith(("dict(", "{")):
        return parse_dict_form(text)
    return text


def parse_dict_form(text: str) -> dict:
    """Read ``dict(key=value, ...)`` or ``{'key': value, ...}`` by walking its syntax tree, never
    evaluating it. A value may be a literal (number, string, True/False/None), a list or tuple of
    values, another such dict, or a torch name (``torch.nn.ReLU``, ``nn.Tanh``). Anything else
    (a call, another name, an operator) is a :class:`UserError` of one line."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise UserError(f"Cannot read {text!r}: it is not a dict. Write it as "
                        "\"dict(hidden_sizes=[64, 64], activation=torch.nn.ReLU)\".") from None
    return _dict_from_node(node, text)


def _dict_from_node(node, text: str) -> dict:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict"
            and not node.args and all(k.arg is not None for k in node.keywords)):
        return {k.arg: _value_from_node(k.value, text) for k in node.keywords}
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) and isinstance(k.value, str)
                                          for k in node.keys):
        return {k.value: _value_from_node(v, text) for k, v in zip(node.keys, node.values, strict=True)}
    raise UserError(f"Cannot read {text!r}: {ast.unparse(node)} is not dict(key=value, ...) or "
                    "{'key': value, ...}; spinup never evaluates code from the command line.")


def _value_from_node(node, text: str):
    if isinstance(node, ast.Dict) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                                      and node.func.id == "dict"):
        return _dict_from_node(node, text)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_value_from_node(item, text) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, (ast.Name, ast.Attribute)) and validation.TORCH_NAME.match(ast.unparse(node)):
        return resolve_torch_name(ast.unparse(node))
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise UserError(f"Cannot read {text!r}: {ast.unparse(node)} is not a number, string, "
                        "True/False/None, list, tuple or torch name (such as torch.nn.ReLU); spinup "
                        "never evaluates code from the command line.") from None


def read_flags(args: list[str]) -> dict[str, Flag]:
    """Group the tokens into flags and their values (a flag starts with ``--``), turn ``--hid[h]``
    into the key ``ac_kwargs:hidden_sizes`` with shorthand ``h``, and parse the values: key -> Flag."""
    tokenized: list[Flag] = []
    for token in args:
        if not token.startswith("--"):
            if not tokenized:
                raise UserError(f"You didn't specify a first flag: '{token}' comes before any --flag. "
                                "Write flags as --name value, e.g. --env CartPole-v1.")
            tokenized[-1].values.append(token)
            continue
        key, has_value, value = token[2:].partition("=")
        if not key:
            raise UserError(f"'{token}' is not a flag: write flags as --name value, e.g. --env CartPole-v1.")
        flag = Flag(typed="--" + key, key=key, values=[value] if has_value else [])
        if "[" in key or "]" in key:
            match = _SHORTHAND.match(key)
            if not match:
                raise UserError(f"Cannot read the flag {flag.typed}: a shorthand goes in one pair of "
                                "brackets at the end, e.g. --clip_ratio[cr].")
            flag.key, flag.shorthand = match.group(1), match.group(2)
        flag.key = SUBSTITUTIONS.get(flag.key, flag.key)
        tokenized.append(flag)
    flags: dict[str, Flag] = {}
    for flag in tokenized:
        if flag.key in flags:
            raise UserError(f"{flag.typed} is given twice (as {flags[flag.key].typed} and {flag.typed}). "
                            "Give all its values after one flag, e.g. --seed 0 10 20.")
        if not flag.values:
            flag.values, flag.bare = [True], True  # a bare flag is a boolean switch
        elif flag.key not in RAW_STRING_KEYS:
            flag.values = [parse_value(v) for v in flag.values]
        if flag.key == "ac_kwargs:hidden_sizes":
            # --hid 64 means one hidden layer of 64 units, as --hid [64] does
            flag.values = [(v,) if isinstance(v, int) and not isinstance(v, bool) else v for v in flag.values]
        flags[flag.key] = flag
    return flags


def _did_you_mean(word: str, choices, prefix: str = "") -> str:
    """`` Did you mean: x?`` for the closest choices (ignoring case), or an empty string."""
    by_lower = {c.lower(): c for c in choices}
    close = [by_lower[c] for c in difflib.get_close_matches(word.lower(), list(by_lower), n=3, cutoff=0.6)]
    return f" Did you mean: {', '.join(prefix + c for c in close)}?" if close else ""


# ---------------------------------------------------------------------------------------------
# Checking the flags and building the grid.


def _one_value(flags: dict[str, Flag], key: str, default=None):
    """Remove ``key`` from ``flags`` and return its single value (``default`` if absent)."""
    flag = flags.pop(key, None)
    if flag is None:
        return default
    if len(flag.values) != 1:
        raise UserError(f"You can only provide one value for {flag.typed}; got {len(flag.values)}.")
    return flag.values[0]


def _positive_int(value, flag_name: str, allow_auto: bool = False):
    """``value`` if it is an int >= 1 (or ``'auto'`` when allowed), else :class:`UserError`."""
    if allow_auto and value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        expected = "a whole number (1 or more)" + (" or auto" if allow_auto else "")
        raise UserError(f"{flag_name} needs {expected}; got {value!r}.")
    return value


def _text(value, flag_name: str):
    """``value`` if it is a non-empty string (or None, for an absent flag), else :class:`UserError`."""
    if value is not None and (not isinstance(value, str) or not value):
        raise UserError(f"{flag_name} needs a value, e.g. {flag_name} my_name.")
    return value


def _boolean(value, flag_name: str) -> bool:
    if not isinstance(value, bool):
        raise UserError(f"{flag_name} is a switch: give it alone (or with True or False); got {value!r}.")
    return value


def read_run_options(algo: str, flags: dict[str, Flag]) -> dict:
    """Take the run flags out of ``flags``; return the keyword arguments of ``ExperimentGrid.run``
    plus ``exp_name``."""
    num_cpu = _positive_int(_one_value(flags, "num_cpu", 1), "--cpu", allow_auto=True)
    if num_cpu != 1 and algo not in ON_POLICY:
        raise UserError(f"{algo} can't be run with --cpu above 1: only {', '.join(ON_POLICY)} split one "
                        "experiment over several processes. Remove --cpu (use --parallel N to run "
                        "several experiments at once).")
    validation.check_num_cpu(num_cpu, name="--cpu")
    options = dict(
        exp_name=_text(_one_value(flags, "exp_name", f"cmd_{algo}"), "--exp_name"),
        num_cpu=num_cpu,
        data_dir=_text(_one_value(flags, "data_dir"), "--data_dir"),
        datestamp=_boolean(_one_value(flags, "datestamp", False), "--dt"),
        parallel=_positive_int(_one_value(flags, "parallel", 1), "--parallel"),
    )
    validation.check_exp_name(options["exp_name"], "--exp_name")
    validation.check_data_dir(options["data_dir"], "--data_dir")
    logger_options = {}
    for key in LOGGER_KEYS:
        if key in flags:
            logger_options[key] = _boolean(_one_value(flags, key), f"--{key}")
    options["logger_options"] = logger_options
    return options


def check_env(flags: dict[str, Flag]) -> None:
    """``--env`` is required, and each environment must exist (its package imported first)."""
    if "env_name" not in flags:
        raise UserError("You did not give an environment: add --env <id>, e.g. --env CartPole-v1.")
    env_pkg = None
    if "env_pkg" in flags:
        if len(flags["env_pkg"].values) != 1 or not isinstance(flags["env_pkg"].values[0], str):
            raise UserError("You can only provide one value for --env_pkg: the package that registers your environments.")
        env_pkg = flags["env_pkg"].values[0]
    from spinup.utils.envs import check_env_id

    for env_name in flags["env_name"].values:
        check_env_id(env_name, env_pkg)


def add_atari_defaults(algo: str, flags: dict[str, Flag]) -> None:
    """On Atari games (every ``--env`` one), the settings of :data:`spinup.utils.atari.ATARI_DEFAULTS`
    for the flags the command line does not give, said in one line. A resumed run gets them
    too, so that the command that started it, with ``--resume``, continues it."""
    from spinup.utils.atari import atari_defaults, is_atari_id
    from spinup.utils.envs import split_env_name

    defaults = atari_defaults(algo)
    envs = flags["env_name"].values if "env_name" in flags else []
    if not defaults or not envs or not all(is_atari_id(split_env_name(e)[1]) for e in envs):
        return
    added = []
    for key, value in defaults.items():
        parts = value.items() if key == "ac_kwargs" else [(None, value)]
        for sub, val in parts:
            full = f"{key}:{sub}" if sub else key
            if full in flags or key in flags:
                continue
            flags[full] = Flag(typed="--" + full, key=full, values=[val])
            added.append(f"{full}={val!r}")
    if added:
        print(f"Atari game: {algo}'s Atari settings, for the flags not given: " + ", ".join(added), flush=True)


def check_keys(algo: str, fn, flags: dict[str, Flag]) -> None:
    """Every flag left must be a keyword argument of the algorithm (or an environment flag)."""
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    accepted = [name for name in params if name not in ("env_fn", "logger_kwargs")] + list(ENV_KEYS)
    for flag in flags.values():
        head = flag.key.split(":")[0]
        if head == "env_fn":
            raise UserError("Give the environment with --env <id> (e.g. --env CartPole-v1), not --env_fn.")
        if head == "logger_kwargs":
            raise UserError("The output folder is set with --exp_name, --data_dir and --dt, not --logger_kwargs.")
        if head in accepted or takes_any:
            continue
        every_flag = accepted + list(RUN_KEYS) + list(LOGGER_KEYS) + list(SUBSTITUTIONS)
        raise UserError(
            f"Unknown flag {flag.typed} for {algo}.{_did_you_mean(head, every_flag, '--')}\n"
            f"{algo} accepts: {', '.join('--' + a for a in accepted)}\n"
            f"and the run flags: {', '.join('--' + k for k in RUN_KEYS + LOGGER_KEYS)} "
            f"(shortcuts: {', '.join('--' + k for k in SUBSTITUTIONS)})."
        )


def cli_names(flags: dict[str, Flag]) -> dict[str, str]:
    """Each key's flag as the user typed it (``ac_kwargs:hidden_sizes`` -> ``--hid``), for messages."""
    return {key: flag.name for key, flag in flags.items()}


def check_flag_values(fn, flags: dict[str, Flag]) -> None:
    """Check and convert each value of each flag against the algorithm's type hint and range
    (:func:`spinup.utils.validation.check_value`): ``--replay_size 1e6`` becomes 1000000,
    ``--actor_critic mypkg:MyAC`` the class, and ``--seed abc`` or ``--epochs -3`` one line and
    exit status 2. ``package.module:Name`` is imported only where a class or function is taken."""
    hints = validation.type_hints(fn)
    namer = validation.Namer(cli_names(flags), cli=True)
    for key, flag in flags.items():
        head, _, sub = key.partition(":")
        try:
            if not sub and head in hints:
                flag.values = [validation.check_value(v, hints[head], head, flag.name, convert=True)
                               for v in flag.values]
            elif head == "ac_kwargs" and sub in ("hidden_sizes", "activation"):
                flag.values = [validation.check_ac_kwargs({sub: v}, None, namer, convert=True)[sub]
                               for v in flag.values]
        except InvalidArgument as e:
            if flag.bare and e.expected:  # "--epochs" alone means True: say that a value is missing
                raise type(e)(f"{flag.name}: expected {e.expected}; got no value. Write {flag.name} VALUE.",
                              name=e.name, value=e.value, expected=e.expected) from None
            raise


def check_variants(fn, grid, flags: dict[str, Flag], num_cpu) -> None:
    """Every experiment of the grid, before the first starts: the rules between values
    (``batch_size <= replay_size``), ``ac_kwargs`` against the actor-critic, ``--env_kwargs:KEY``
    against the environment (built once with them), and ``--cpu`` against ``steps_per_epoch``."""
    names = cli_names(flags)
    spaces_checked = set()
    for variant in grid.variants():
        validation.check_arguments(fn, variant, convert=True, names=names, cli=True)
        steps = variant.get("steps_per_epoch", validation.default_of(fn, "steps_per_epoch"))
        validation.check_num_cpu(num_cpu, steps, name=names.get("num_cpu", "--cpu"))
        check_spaces_before_launch(fn, variant, spaces_checked)


def check_spaces_before_launch(fn, variant: dict, checked: set) -> None:
    """The environment's spaces suit the algorithm (``ddpg`` on CartPole is refused here, before a
    folder is written). Each environment is built once."""
    from spinup.algos import ALGOS, check_spaces
    from spinup.utils.envs import EnvFactory

    if fn.__name__ not in ALGOS or "env_name" not in variant:
        return
    env_kwargs = variant.get("env_kwargs") or {}
    key = repr((variant["env_name"], sorted(env_kwargs.items()), variant.get("env_pkg")))
    default_ac = "actor_critic" not in variant
    if (key, default_ac) in checked:
        return
    env = EnvFactory(variant["env_name"], env_kwargs, variant.get("env_pkg"))()
    try:
        check_spaces(fn.__name__, env.observation_space, env.action_space, default_ac)
    finally:
        env.close()
    checked.add((key, default_ac))


def check_resume(flags: dict[str, Flag], num_variants: int) -> None:
    """``--resume DIR``: one existing run folder with a checkpoint, and a grid of one experiment."""
    if "resume" not in flags:
        return
    from spinup.utils.run_folders import check_resume_dir

    if len(flags["resume"].values) != 1:
        raise UserError("You can only provide one value for --resume: the folder of the run to continue.")
    value = flags["resume"].values[0]
    if value is True:
        raise UserError("--resume needs the folder of the run to continue, e.g. --resume data/hello/hello_s0.")
    check_resume_dir(value)
    if num_variants != 1:
        raise UserError(f"--resume continues one run, but these flags make {num_variants} experiments. "
                        "Give one value per flag.")


def build_grid(algo: str, fn, args: list[str]):
    """Read and check the algorithm's flags; return the ExperimentGrid and the kwargs of its ``run``."""
    from spinup.utils.grid import ExperimentGrid

    flags = read_flags(args)
    options = read_run_options(algo, flags)
    check_keys(algo, fn, flags)
    check_env(flags)
    add_atari_defaults(algo, flags)
    check_resume(flags, math.prod(len(flag.values) for flag in flags.values()))
    check_flag_values(fn, flags)
    grid = ExperimentGrid(name=options.pop("exp_name"))
    for flag in flags.values():
        grid.add(flag.key, flag.values, shorthand=flag.shorthand)
    grid.variants()  # checks that no key is given both whole and part by part
    check_variants(fn, grid, flags, options["num_cpu"])
    return grid, options


if __name__ == "__main__":
    sys.exit(main())
