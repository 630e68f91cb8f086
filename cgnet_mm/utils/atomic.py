"""Atomic file writes: a file a tool writes appears whole or not at all.

:func:`atomic_path` hands the writer a temporary path in the target's own
folder (so the final rename never crosses file systems), flushes it to
disk and renames it over the target with :func:`os.replace`. A failure of
any kind, ``KeyboardInterrupt`` included, removes the temporary file and
leaves an existing target untouched. A process killed outright (SIGKILL,
power loss) cannot clean up; its temporary file is named
``.<target name>.<pid>-<random>.part<ext>``, and the next write of the same
target removes such leftovers whose process is gone.
"""
import glob
import os
import os.path as osp
import shutil
import tempfile
from contextlib import contextmanager
from typing import Iterator

from .errors import UserError


class UnwritableError(UserError, OSError):
    """The output's folder cannot be created or written to."""


def check_writable(path: str) -> str:
    """Creates ``path``'s folder if needed and makes sure a file can be
    created in it, so a tool fails before its work rather than after.
    Returns the absolute path."""
    path = osp.abspath(osp.expanduser(path))
    folder = osp.dirname(path)
    if osp.isdir(path):
        raise UnwritableError(f'{path!r} is a folder; give a file name to '
                              'write')
    ancestor = folder
    while not osp.exists(ancestor):
        ancestor = osp.dirname(ancestor)
    if not osp.isdir(ancestor):
        raise UnwritableError(
            f'cannot write to {folder!r}: {ancestor!r} is a file, not a '
            f'folder; choose another place for {osp.basename(path)!r}')
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.',
                                     suffix='.probe', dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise UnwritableError(
            f'cannot write to {folder!r}: {err.strerror}; choose another '
            f'place for {osp.basename(path)!r}') from None
    return path


def _temp_pattern(path: str) -> str:
    stem, ext = osp.splitext(osp.basename(path))
    return osp.join(osp.dirname(path),
                    f'.{glob.escape(stem + ext)}.*-*.part{glob.escape(ext)}')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temps(path: str) -> None:
    """Deletes temporary files of ``path`` left by killed writers (their
    pid, in the name, no longer runs on this machine)."""
    for temp in glob.glob(_temp_pattern(path)):
        pid = osp.basename(temp)[len(osp.basename(path)) + 2:].split('-')[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.remove(temp)
            except OSError:
                pass


def _mode_for(path: str) -> int:
    """The target's permission bits when it exists, else what a plain
    ``open(path, 'w')`` would create (0o666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path: str, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yields a temporary path beside ``path`` (same extension, for writers
    that choose a format by it); on a clean exit it is synced and renamed
    to ``path`` with ``path``'s permissions, on any exception removed.

    Raises:
        UnwritableError: ``path``'s folder cannot be created or written.
        FileNotFoundError: the writer left no file at the temporary path.
    """
    path = check_writable(path)
    remove_stale_temps(path)
    stem, ext = osp.splitext(osp.basename(path))
    fd, temp = tempfile.mkstemp(prefix=f'.{stem}{ext}.{os.getpid()}-',
                                suffix=f'.part{ext}', dir=osp.dirname(path))
    os.close(fd)
    try:
        yield temp
        if not osp.isfile(temp):
            raise FileNotFoundError(f'the writer of {path!r} left no file')
        os.chmod(temp, _mode_for(path))
        _fsync(temp)
        os.replace(temp, path)
        _fsync(osp.dirname(path), directory=True)
    finally:
        if osp.lexists(temp):
            os.remove(temp)


def write_bytes(path: str, data: bytes) -> str:
    """Writes ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as temp:
        fd = os.open(temp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    return path


def write_text(path: str, text: str) -> str:
    """Writes ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    return write_bytes(path, text.encode('utf-8'))


def copy_file(src: str, dst: str) -> str:
    """Copies ``src`` to ``dst`` atomically; returns ``dst``."""
    with atomic_path(dst) as temp:
        shutil.copyfile(src, temp)
    return dst
