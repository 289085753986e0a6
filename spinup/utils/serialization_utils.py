"""Turning experiment arguments into JSON (for ``config.json``) and back into classes safely."""

from __future__ import annotations

import importlib
import json
from typing import Any

# Modules from which a saved dotted name may be resolved back into a class or function.
SAFE_MODULE_PREFIXES = ("torch", "spinup")


def is_json_serializable(v) -> bool:
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError, OverflowError):
        return False


def qualified_name(obj) -> str:
    """``module.QualName`` of a class or function, e.g. ``torch.nn.modules.activation.Tanh``."""
    return f"{obj.__module__}.{obj.__qualname__}"


def convert_json(obj: Any) -> Any:
    """Convert ``obj`` into something ``json.dumps`` accepts, for recording experiment settings.

    Dicts, lists and tuples are converted element by element (tuples become lists); classes
    and named functions become their name; objects that describe themselves with a
    ``to_json()`` method use it; anything else becomes its ``str``.
    """
    if is_json_serializable(obj):
        return obj
    if isinstance(obj, dict):
        return {str(k): convert_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [convert_json(x) for x in obj]
    if hasattr(obj, "to_json") and callable(obj.to_json):
        return convert_json(obj.to_json())
    if hasattr(obj, "__name__") and "lambda" not in obj.__name__:
        return convert_json(obj.__name__)
    return str(obj)


def encode_kwargs(obj: Any) -> Any:
    """Like :func:`convert_json`, but classes and functions become ``{"__class__": "module.Name"}``
    so that :func:`decode_kwargs` can rebuild them (used for model constructor kwargs)."""
    if isinstance(obj, dict):
        return {str(k): encode_kwargs(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode_kwargs(x) for x in obj]
    if isinstance(obj, type) or callable(obj) and hasattr(obj, "__qualname__"):
        return {"__class__": qualified_name(obj)}
    return convert_json(obj)


def resolve_dotted(name: str, allowed_prefixes=SAFE_MODULE_PREFIXES):
    """Import ``package.module.Name`` and return ``Name``, only from the allowed packages."""
    if not any(name == p or name.startswith(p + ".") for p in allowed_prefixes):
        raise ValueError(
            f"refusing to import {name!r}: only names under {', '.join(allowed_prefixes)} are "
            "loaded from saved files"
        )
    module_name, _, attr = name.rpartition(".")
    obj = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def decode_kwargs(obj: Any, allowed_prefixes=SAFE_MODULE_PREFIXES) -> Any:
    """Inverse of :func:`encode_kwargs`."""
    if isinstance(obj, dict):
        if set(obj) == {"__class__"}:
            return resolve_dotted(obj["__class__"], allowed_prefixes)
        return {k: decode_kwargs(v, allowed_prefixes) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode_kwargs(x, allowed_prefixes) for x in obj]
    return obj
