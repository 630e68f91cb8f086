from .checkpoint import UnsafeCheckpointError, allowed_globals, safe_load

__all__ = ['UnsafeCheckpointError', 'allowed_globals', 'safe_load']
