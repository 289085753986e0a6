"""Small experiment functions for the tests of run_utils and the command line.

They are real thunks: run in a subprocess by ``call_experiment``, they write what they received
into their output folder, so the tests can check it. Importable by the subprocess because the
tests put this folder on PYTHONPATH.
"""

import json
import os

from spinup.utils.errors import UserError


def record_kwargs(seed=0, logger_kwargs=None, env_fn=None, fail=False, user_error=False, **kwargs):
    """Write ``received.json`` (the arguments, and the id of the env that ``env_fn`` builds) into
    the output folder; then fail with an exception or a UserError if asked."""
    out = logger_kwargs["output_dir"]
    os.makedirs(out, exist_ok=True)
    received = {
        "seed": seed,
        "logger_kwargs": logger_kwargs,
        "kwargs": {k: repr(v) for k, v in kwargs.items()},
        "env_fn": type(env_fn).__name__ if env_fn is not None else None,
        "env_id": None,
    }
    if env_fn is not None:
        env = env_fn()
        received["env_id"] = env.spec.id
        received["env_kwargs"] = {k: repr(v) for k, v in env.spec.kwargs.items()}
        env.close()
    with open(os.path.join(out, "received.json"), "w") as f:
        json.dump(received, f, indent=2, sort_keys=True)
    print(f"record_kwargs ran with seed {seed}")
    if user_error:
        raise UserError("The value of user_error was True; set it to False.")
    if fail:
        raise RuntimeError("failing on purpose")
