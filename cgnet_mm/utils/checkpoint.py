"""Safe, verified checkpoint loading for mmengine on torch >= 2.6.

torch now unpickles with ``weights_only=True`` by default, which mmengine
0.10.7 does not expect: its runner checkpoints hold ``HistoryBuffer`` objects
and numpy arrays, so ``--resume`` and ``mim test`` die with UnpicklingError.
Importing this module (every cgnet_mm model, dataset, hook and tool does)
replaces mmengine's checkpoint loaders for local paths, URLs and the
``torchvision://``, ``open-mmlab://`` and ``mmcls://`` names with ones that
stay in torch's weights-only mode and allow exactly the types these
checkpoints contain (:func:`install`, :func:`restore`; opt out with the
environment variable ``CGNET_MM_SAFE_LOADERS=0``). A file that asks for anything else (a
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
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import checkpoint as ckpt_utils
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import UserError
from .files import file_stamp
from .zoo import cached_download, discard, verify


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


_PRELOADED: Dict[tuple, Any] = {}


def preload(path: str, checkpoint: Any) -> None:
    """Hands ``checkpoint``, just read from ``path`` (on the CPU) by a
    check, to the next :func:`load_from_local` of the unchanged file, so
    that a check and the load after it unpickle the file once. Holds one
    checkpoint at a time."""
    _PRELOADED.clear()
    _PRELOADED[file_stamp(path)] = checkpoint


def load_from_local(filename: str, map_location=None) -> Any:
    """mmengine's loader for local paths, made safe (see :func:`safe_load`)
    and hash-checked for zoo files."""
    path = osp.expanduser(filename)
    if osp.isfile(path):
        handed = _PRELOADED.pop(file_stamp(path), None)
        if handed is not None and map_location in (None, 'cpu'):
            return handed
        verify(path)
    return safe_load(filename, map_location)


def load_from_http(filename: str, map_location=None) -> Any:
    """Downloads ``filename`` once into torch's hub cache, verifies it and
    loads it safely (mmengine's own loader unpickles URLs with code
    execution on and checks no hash). A refused file leaves the cache."""
    path = cached_download(filename)
    try:
        return safe_load(path, map_location)
    except (UnsafeCheckpointError, CorruptCheckpointError):
        discard(path)
        raise


def resolve_model_name(filename: str) -> str:
    """The URL (or, for some ``open-mmlab://`` names, the file under
    mmengine's home) that a ``torchvision://``, ``modelzoo://``,
    ``open-mmlab://``, ``openmmlab://`` or ``mmcls://`` name stands for,
    from mmengine's own tables."""
    scheme, name = filename.split('://', 1)
    if scheme in ('torchvision', 'modelzoo'):
        table = ckpt_utils.get_torchvision_models()
    elif scheme == 'mmcls':
        table = ckpt_utils.get_mmcls_models()
    else:
        table = ckpt_utils.get_external_models()
        name = ckpt_utils.get_deprecated_model_names().get(name, name)
    if name not in table:
        raise MissingCheckpointError(
            f'{filename!r}: mmengine knows no {scheme}:// model {name!r}; '
            'check the name, or give a URL or a local file')
    target = table[name]
    if target.startswith(('http://', 'https://')):
        return target
    return osp.join(ckpt_utils._get_mmengine_home(), target)


def load_from_model_name(filename: str, map_location=None) -> Any:
    """``torchvision://``, ``open-mmlab://`` and ``mmcls://`` names, loaded
    like any URL or local file (mmengine's loaders for them skip both the
    hash check and weights-only unpickling)."""
    target = resolve_model_name(filename)
    loader = load_from_http if '://' in target else load_from_local
    checkpoint = loader(target, map_location)
    if filename.startswith('mmcls://'):  # its backbone, as mmengine does
        checkpoint = ckpt_utils._process_mmcls_checkpoint(checkpoint)
    return checkpoint


SCHEMES = {
    '': load_from_local,
    'http://': load_from_http,
    'https://': load_from_http,
    'torchvision://': load_from_model_name,
    'modelzoo://': load_from_model_name,
    'open-mmlab://': load_from_model_name,
    'openmmlab://': load_from_model_name,
    'mmcls://': load_from_model_name,
}
_REPLACED: Dict[str, Callable] = {}
# set to 0 to keep mmengine's own loaders when cgnet_mm is imported
INSTALL_ENV = 'CGNET_MM_SAFE_LOADERS'


def install() -> None:
    """Puts cgnet_mm's loaders in place of mmengine's for every scheme in
    :data:`SCHEMES`; :func:`restore` undoes it. Done when this module is
    imported (that is, whenever a cgnet_mm model, dataset, hook or tool is
    used) unless the environment sets ``CGNET_MM_SAFE_LOADERS=0``."""
    for prefix, loader in SCHEMES.items():
        current = CheckpointLoader._schemes.get(prefix)
        if current is not loader:
            _REPLACED.setdefault(prefix, current)
            CheckpointLoader.register_scheme(prefix, loader, force=True)


def restore() -> None:
    """Gives mmengine back the loaders :func:`install` replaced."""
    for prefix, loader in _REPLACED.items():
        if loader is None:
            CheckpointLoader._schemes.pop(prefix, None)
        else:
            CheckpointLoader.register_scheme(prefix, loader, force=True)
    _REPLACED.clear()


if os.environ.get(INSTALL_ENV, '1') != '0':
    install()
