from .checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                         allowed_globals, safe_load)
from .errors import BadValueError, UserError, cli, exit_with_error

__all__ = [
    'BadValueError', 'CorruptCheckpointError', 'UnsafeCheckpointError',
    'UserError', 'allowed_globals', 'cli', 'exit_with_error', 'safe_load'
]
