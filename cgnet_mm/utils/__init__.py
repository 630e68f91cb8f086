from .checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                         allowed_globals, safe_load)
from .errors import UserError

__all__ = [
    'CorruptCheckpointError', 'UnsafeCheckpointError', 'UserError',
    'allowed_globals', 'safe_load'
]
