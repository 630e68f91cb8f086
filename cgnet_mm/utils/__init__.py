"""The lowest layer: errors, files, images, configs, checkpoints and the
zoo. Only the error types are imported here, so that ``import cgnet_mm``
and ``cgnet-mm --help`` stay free of torch; import the submodules for the
rest (``cgnet_mm.utils.checkpoint.safe_load``)."""
from .errors import (BadValueError, CheckError, UserError, cli,
                     exit_with_error)

__all__ = [
    'BadValueError', 'CheckError', 'UserError', 'cli', 'exit_with_error'
]
