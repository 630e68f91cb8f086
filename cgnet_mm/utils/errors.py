"""The exception every user-facing failure derives from, and the one place
that turns it into what the command-line tools print: a single ``error:``
line on stderr and exit status 2 (argparse's status for bad usage)."""
import functools
import re
import sys
from typing import Callable, NoReturn

EXIT_STATUS = 2
# mmengine's registry re-raises an error in a constructor with this prefix,
# once per nesting level; the message itself names what is wrong
_BUILT_IN = re.compile(r'^(?:class `\w+` in [\w/.]+\.py: )+')


class UserError(Exception):
    """Bad input or a bad file; the message names it and says what to do."""


class BadValueError(UserError, ValueError):
    """A config or argument value of the wrong kind or out of range."""


class CheckError(UserError, ValueError):
    """Bad user input found by an up-front check; the message says what is
    wrong and how to fix it."""


class ErrorExit(SystemExit):
    """Exit with :data:`EXIT_STATUS` after the ``error:`` line was printed;
    ``str()`` is that line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = EXIT_STATUS


def exit_with_error(message: str) -> NoReturn:
    """Prints ``error: <message>`` to stderr and exits with status 2."""
    line = f'error: {message}'
    print(line, file=sys.stderr, flush=True)
    raise ErrorExit(line)


def cli(main: Callable) -> Callable:
    """Wraps a tool's ``main``: a :class:`UserError` raised anywhere in it,
    the runner included, ends the process with one ``error:`` line."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as err:
            exit_with_error(_BUILT_IN.sub('', str(err)))

    return wrapper
