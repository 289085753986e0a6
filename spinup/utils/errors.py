"""The one exception type for mistakes a user can fix.

Code that checks user input (flags, values, environments, folders, files) raises
:class:`UserError` with a message that says what was wrong and how to fix it. The command
line and the experiment entry point print that message without a traceback and exit with
status 2.
"""


class UserError(Exception):
    """A mistake in the user's input, with a message that says how to fix it."""
