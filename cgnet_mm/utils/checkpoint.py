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
import os
import os.path as osp
import pickle
import re
import struct
from typing import Any, List, Optional

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


class MissingCheckpointError(UserError, FileNotFoundError):
    """The checkpoint path names nothing, or a folder."""


# torch.save writes a zip archive; files of torch < 1.6 start with a pickle
# protocol 2 header. Anything else is no checkpoint, whatever its name.
_ZIP, _PICKLE = b'PK\x03\x04', b'\x80'


def describe_non_checkpoint(head: bytes) -> Optional[str]:
    """What a file starting with ``head`` looks like, when it cannot be a
    torch checkpoint; None when it might be one."""
    if head.startswith((_ZIP, _PICKLE)):
        return None
    if not head:
        return 'it is empty (0 bytes)'
    text = head.lstrip()
    if text[:1] == b'<':
        return ('it is an HTML/XML page (a saved web page or HTTP error '
                'page?), not a torch checkpoint')
    if text[:1] in (b'{', b'['):
        return 'it is JSON text, not a torch checkpoint'
    binary = 'it is not a torch checkpoint (no zip or pickle header)'
    try:
        chars = head.decode('utf-8')
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut in two
            return binary
        chars = head[:err.start].decode('utf-8')
    if not ''.join(chars.split()).isprintable():
        return binary
    return 'it is a text file, not a torch checkpoint'


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
        MissingCheckpointError: ``filename`` does not exist or is a folder.
        UnsafeCheckpointError: the pickle references anything else; the
            message names it. Nothing from the file is executed.
        CorruptCheckpointError: the file is no torch checkpoint (empty,
            text, HTML, JSON, other bytes: the message says which) or torch
            cannot read it.
    """
    filename = osp.expanduser(filename)
    if osp.isdir(filename):
        raise MissingCheckpointError(f'checkpoint {filename!r} is a folder; '
                                     'give the .pth file inside it')
    if not osp.isfile(filename):
        raise MissingCheckpointError(
            f'checkpoint {filename!r} does not exist')
    with open(filename, 'rb') as f:
        problem = describe_non_checkpoint(f.read(64))
    if problem:
        raise CorruptCheckpointError(
            f'cannot read checkpoint {filename!r}: {problem}. Download or '
            'save it again.')
    with torch.serialization.safe_globals(allowed_globals()):
        try:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            found = _GLOBAL.search(str(err))
            if found is None:  # a broken pickle, not a refused one
                raise CorruptCheckpointError(
                    f'cannot read checkpoint {filename!r}: its pickle is '
                    f'damaged ({err})') from None
            name = found.group(1)
            raise UnsafeCheckpointError(
                f'refused to load checkpoint {filename!r}: its pickle asks '
                f'for {name!r}, which is not a tensor, a plain container, '
                'numpy data or an mmengine log buffer. Loading it could run '
                'code, so nothing from it was executed. If you trust the '
                'file, re-save only its tensors (its state_dict) with '
                'torch.save in a trusted environment.') from None
        except (RuntimeError, EOFError, ValueError, IndexError, KeyError,
                struct.error) as err:  # what torch raises on broken bytes
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
    execution on and checks no hash). A refused file leaves the cache."""
    path = cached_download(filename)
    try:
        return safe_load(path, map_location)
    except (UnsafeCheckpointError, CorruptCheckpointError):
        os.remove(path)
        raise
