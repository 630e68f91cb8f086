"""The exception every user-facing failure derives from: the command-line
tools print its message as one ``error:`` line instead of a traceback."""


class UserError(Exception):
    """Bad input or a bad file; the message names it and says what to do."""
