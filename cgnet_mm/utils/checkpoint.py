"""Safe, verified checkpoint loading for mmengine on torch >= 2.6.

torch now unpickles with ``weights_only=True`` by default, which mmengine
0.10.7 does not expect: its runner checkpoints hold ``HistoryBuffer`` objects
and numpy arrays, so ``--resume`` and ``mim test`` die with UnpicklingError.
Importing :mod:`cgnet_mm` replaces mmengine's local and HTTP checkpoint
loaders with ones that stay in torch's weights-only mode and allow exactly
the types these checkpoints contain. A file that asks for anything else (a
function to call, say) is refused before any of its code runs. Zoo files
(known to the index, or named ``<name>-<sha256 prefix>.pth``) are checked
against their hash first.
"""
import inspect
import os.path as osp
import pickle
import re
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import UserError
from .zoo import cached_download, verify


class UnsafeCheckpointError(UserError, pickle.UnpicklingError):
    """A checkpoint asked to build something outside the allowlist."""


class CorruptCheckpointError(UserError, RuntimeError):
    """A checkpoint file that torch cannot read (truncated, not a .pth)."""


def history_buffer_method(owner: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr`` while unpickling.

    Pickle refers to ``HistoryBuffer.min`` and its siblings (the buffer's
    statistics methods, pickled with the buffer) as ``getattr(HistoryBuffer,
    'min')``. Real ``getattr`` would hand a pickle any attribute of any
    allowed object; this resolves public methods of HistoryBuffer only.
    """
    method = vars(HistoryBuffer).get(name)
    if owner is HistoryBuffer and not name.startswith('_') and \
            inspect.isfunction(method):
        return method
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr({owner!r}, {name!r}): only public methods '
        'of mmengine HistoryBuffer may be looked up')


def allowed_globals() -> List[Any]:
    """Types a checkpoint may contain beyond torch's own weights-only set:
    mmengine's message-hub buffers (with their statistics methods) and plain
    numpy arrays and scalars.

    No callable that can reach arbitrary code (``getattr``, ``eval``,
    ``os.system``...) is on the list: ``getattr`` is answered by
    :func:`history_buffer_method`.
    """
    multiarray = np._core.multiarray if hasattr(np, '_core') \
        else np.core.multiarray
    dtype_classes = [
        type(np.dtype(t)) for t in (
            'bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
            'int64', 'uint64', 'float16', 'float32', 'float64')
    ]
    return [
        HistoryBuffer, np.ndarray, np.dtype, multiarray._reconstruct,
        multiarray.scalar, *dtype_classes,
        (history_buffer_method, 'builtins.getattr')
    ]


_GLOBAL = re.compile(r'GLOBAL ([\w.]+)', re.IGNORECASE)


def safe_load(filename: str, map_location=None) -> Any:
    """``torch.load`` in weights-only mode with :func:`allowed_globals`.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the pickle references anything else; the
            message names it. Nothing from the file is executed.
        CorruptCheckpointError: torch cannot read the file.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    with torch.serialization.safe_globals(allowed_globals()):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            found = _GLOBAL.search(str(err))
            name = found.group(1) if found else '?'
            raise UnsafeCheckpointError(
                f'refused to load checkpoint {filename!r}: its pickle asks '
                f'for {name!r}, which is not a tensor, a plain container, '
                'numpy data or an mmengine log buffer. Loading it could run '
                'code, so nothing from it was executed. If you trust the '
                'file, re-save only its tensors (its state_dict) with '
                'torch.save in a trusted environment.') from None
        except (RuntimeError, EOFError, ValueError) as err:
            raise CorruptCheckpointError(
                f'cannot read checkpoint {filename!r}: it is truncated or not '
                f'a torch checkpoint ({err})') from None


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location=None) -> Any:
    """mmengine's loader for local paths, made safe (see :func:`safe_load`)
    and hash-checked for zoo files."""
    if osp.isfile(osp.expanduser(filename)):
        verify(osp.expanduser(filename))
    return safe_load(filename, map_location)


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'),
                                  force=True)
def load_from_http(filename: str, map_location=None) -> Any:
    """Downloads ``filename`` once into torch's hub cache, verifies it and
    loads it safely (mmengine's own loader unpickles URLs with code
    execution on and checks no hash)."""
    return safe_load(cached_download(filename), map_location)
