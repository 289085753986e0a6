"""The original Spinning Up's names, for scripts written against it.

* ``spinup.ppo_pytorch`` (and ``vpg``, ``trpo``, ``ddpg``, ``td3``, ``sac``) is ``spinup.ppo``:
  see ``spinup.__getattr__``.
* ``spinup.ppo_tf1`` and the other TensorFlow 1 names raise :class:`TensorFlowNotSupported`,
  whose one-line message names the PyTorch function to use instead.
* The original's module paths import, with a ``DeprecationWarning`` naming the new path:
  ``spinup.algos.pytorch.ppo.ppo`` is ``spinup.algos.ppo.ppo``,
  ``spinup.exercises.pytorch.problem_set_1.exercise1_1`` is
  ``spinup.exercises.problem_set_1.exercise1_1``, ``spinup.examples.pytorch.X`` is
  ``spinup.examples.X``. Each old name is the new module itself (the same object in
  ``sys.modules``), never a copy: ``LegacyModuleFinder`` hands the import system the module that
  already exists under the new name.

What else changed from the original, and the one-line change a user makes for each, is in the
docs page ``docs/user/porting.md``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import warnings

# The original's package prefixes -> ours. A module below an old prefix is the module with the
# same path below the new one (spinup.algos.pytorch.ppo.core -> spinup.algos.ppo.core).
MOVED = {
    "spinup.algos.pytorch": "spinup.algos",
    "spinup.exercises.pytorch": "spinup.exercises",
    "spinup.examples.pytorch": "spinup.examples",
}

# The original's modules that also changed their name (looked up before MOVED).
RENAMED = {"spinup.examples.pytorch.bench_ppo_cartpole": "spinup.examples.grid_ppo_cartpole"}

# The original's TensorFlow 1 code: importing any of it (or below it) says what to use instead.
# Each maps to what to use instead.
TF1_MODULES = {
    "spinup.algos.tf1": "the PyTorch modules under spinup.algos (e.g. spinup.algos.ppo.ppo)",
    "spinup.exercises.tf1": "the PyTorch exercises under spinup.exercises",
    "spinup.examples.tf1": "the PyTorch examples under spinup.examples",
    "spinup.utils.mpi_tf": "spinup.utils.mpi_pytorch",
}


class TensorFlowNotSupported(ImportError):
    """A name of the original's TensorFlow 1 code (``spinup.ppo_tf1``, ``spinup.algos.tf1...``).

    An ``ImportError``, so that ``from spinup import ppo_tf1`` shows this message rather than
    Python's generic "cannot import name".
    """


def tf1_message(old: str, new: str) -> str:
    """The one line a user of ``old`` (a TensorFlow 1 name) reads."""
    return f"{old}: TensorFlow 1 is not supported by this spinup (PyTorch only); use {new} instead."


def _new_name(fullname: str, table: dict[str, str]) -> str | None:
    """``fullname`` with its old prefix replaced by the new one, or None if no prefix matches."""
    for old, new in table.items():
        if fullname == old or fullname.startswith(old + "."):
            return new + fullname[len(old):]
    return None


class _AliasLoader:
    """Loads an old module name as the module that already exists under its new name."""

    def __init__(self, new: str | None, tf1: bool = False):
        self.new = new
        self.tf1 = tf1

    def create_module(self, spec):
        if self.tf1:
            raise TensorFlowNotSupported(tf1_message(spec.name, self.new))
        if self.new is None:  # spinup.algos.pytorch itself: only a folder of old names
            return None
        warnings.warn(f"{spec.name} is now {self.new}; import that instead (the old path is an "
                      "alias kept for scripts written for the original Spinning Up).",
                      DeprecationWarning, stacklevel=2)  # warnings skips the import system's frames
        return importlib.import_module(self.new)

    def exec_module(self, module) -> None:
        if self.new is None:
            module.__doc__ = (f"The original Spinning Up's {module.__name__}: its modules are now "
                              f"under {MOVED[module.__name__]}.")


class LegacyModuleFinder:
    """A ``sys.meta_path`` finder that answers only for the original's module paths.

    It comes first on ``sys.meta_path``: the parent of ``spinup.algos.pytorch.ppo.ppo`` is the
    real package ``spinup.algos.ppo``, whose folder the ordinary finder would search and load
    ``ppo.py`` from a second time, under the old name.
    """

    def find_spec(self, fullname: str, path=None, target=None):
        if not fullname.startswith("spinup."):
            return None
        for old, instead in TF1_MODULES.items():
            if fullname == old or fullname.startswith(old + "."):
                return importlib.machinery.ModuleSpec(fullname, _AliasLoader(instead, tf1=True))
        if fullname in MOVED:  # the old package itself: an empty package holding the aliases
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(None), is_package=True)
        new = _new_name(fullname, RENAMED) or _new_name(fullname, MOVED)
        if new is None:
            return None
        try:
            found = importlib.util.find_spec(new)
        except ModuleNotFoundError:
            found = None
        if found is None:  # no counterpart: the usual ModuleNotFoundError for the old name
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new),
                                              is_package=found.submodule_search_locations is not None)


def install() -> None:
    """Put :class:`LegacyModuleFinder` first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, LegacyModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, LegacyModuleFinder())
