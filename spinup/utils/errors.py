"""The exception types for mistakes a user can fix.

Code that checks user input (flags, values, environments, folders, files) raises
:class:`UserError` with a message that says what was wrong and how to fix it. The command
line and the experiment entry point print that message without a traceback and exit with
status 2. A hyperparameter that fails ``spinup.utils.validation`` raises :class:`InvalidValue`
(also a ``ValueError``) or :class:`InvalidType` (also a ``TypeError``).
"""


class UserError(Exception):
    """A mistake in the user's input, with a message that says how to fix it."""


class InvalidArgument(UserError):
    """A value that an argument does not accept. The message is one line: the argument as the
    user wrote it (``--gamma`` on the command line, ``gamma`` from Python), what it accepts, and
    the value received. ``name``, ``value`` and ``expected`` keep those parts."""

    def __init__(self, message: str, *, name: str | None = None, value=None, expected: str | None = None):
        super().__init__(message)
        self.name, self.value, self.expected = name, value, expected


class InvalidValue(InvalidArgument, ValueError):
    """The value has the right type but is out of range (``epochs=-3``, ``gamma=1.5``)."""


class InvalidType(InvalidArgument, TypeError):
    """The value has the wrong type (``seed='abc'``, ``hidden_sizes=64.5``)."""
