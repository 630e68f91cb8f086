"""Atomic file writes: a file a tool writes appears whole or not at all.

:func:`atomic_path` hands the writer a temporary path in the target's own
folder (so the final rename never crosses file systems), flushes it to
disk and renames it over the target with :func:`os.replace`. A failure of
any kind, ``KeyboardInterrupt`` included, removes the temporary file and
leaves an existing target untouched. A process killed outright (SIGKILL,
power loss) cannot clean up; its temporary file is named
``.<target name>.<pid>-<random>.part<ext>``, and the next write of the same
target removes such leftovers whose process is gone.

:func:`atomic_paths` does the same for files that only work together (an
OpenVINO ``.xml`` and its ``.bin``). No rename switches two fixed names at
once, so the switch is journalled: the new files are written to temporary
names, then one small journal naming them is renamed into place (the
commit), then each file is renamed over its target and the journal
removed. A writer killed before the commit leaves the old files; one
killed after it leaves a journal that :func:`current_paths` follows to the
new files and that the next write of the same files completes.

:func:`atomic_dir` does it for a folder of outputs (the demo's overlays of
a folder of images): written under a temporary name, renamed into place.
"""
import glob
import json
import os
import os.path as osp
import shutil
import tempfile
from contextlib import contextmanager
from typing import Iterator, List, Tuple

from .errors import UserError


class UnwritableError(UserError, OSError):
    """The output's folder cannot be created or written to."""


def existing_ancestor(path: str) -> str:
    """The nearest of ``path`` (absolute) and its parents that exists: a
    file there means nothing below it can be created."""
    ancestor = osp.abspath(path)
    while not osp.exists(ancestor):
        ancestor = osp.dirname(ancestor)
    return ancestor


def check_writable(path: str) -> str:
    """Creates ``path``'s folder if needed and makes sure a file can be
    created in it, so a tool fails before its work rather than after.
    Returns the absolute path."""
    path = osp.abspath(osp.expanduser(path))
    folder = osp.dirname(path)
    if osp.isdir(path):
        raise UnwritableError(f'{path!r} is a folder; give a file name to '
                              'write')
    ancestor = existing_ancestor(folder)
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
                if osp.isdir(temp) and not osp.islink(temp):
                    shutil.rmtree(temp)
                else:
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


def _new_temp(path: str) -> str:
    """An empty temporary file beside ``path``, named as
    :func:`remove_stale_temps` expects."""
    stem, ext = osp.splitext(osp.basename(path))
    fd, temp = tempfile.mkstemp(prefix=f'.{stem}{ext}.{os.getpid()}-',
                                suffix=f'.part{ext}', dir=osp.dirname(path))
    os.close(fd)
    return temp


def _seal(temp: str, path: str) -> None:
    """Gives the written ``temp`` ``path``'s permissions and syncs it."""
    if not osp.isfile(temp):
        raise FileNotFoundError(f'the writer of {path!r} left no file')
    os.chmod(temp, _mode_for(path))
    _fsync(temp)


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
    temp = _new_temp(path)
    try:
        yield temp
        _seal(temp, path)
        os.replace(temp, path)
        _fsync(osp.dirname(path), directory=True)
    finally:
        if osp.lexists(temp):
            os.remove(temp)


@contextmanager
def atomic_dir(path: str) -> Iterator[str]:
    """:func:`atomic_path` for a folder of outputs: yields a new, empty
    temporary folder beside ``path``; on a clean exit it takes ``path``'s
    place (a folder already there is moved aside first, then deleted), on
    any exception it is deleted. A writer killed outright leaves its
    temporary folder, which the next write of ``path`` removes.

    Raises:
        UnwritableError: ``path`` is a file, or its folder cannot be
            created or written.
    """
    path = osp.abspath(osp.expanduser(path))
    if osp.lexists(path) and not osp.isdir(path):
        raise UnwritableError(f'{path!r} is a file; give a folder name to '
                              'write the outputs into')
    check_writable(path.rstrip(os.sep) + '.probe')
    remove_stale_temps(path)
    temp = _new_temp(path)
    os.remove(temp)
    os.mkdir(temp)
    old = None
    try:
        yield temp
        if osp.isdir(path):
            old = _new_temp(path)
            os.remove(old)
            os.replace(path, old)
        try:
            os.replace(temp, path)
        except BaseException:
            if old:  # put the previous folder back
                os.replace(old, path)
                old = None
            raise
        _fsync(osp.dirname(path), directory=True)
    finally:
        for leftover in (temp, old):
            if leftover and osp.isdir(leftover):
                shutil.rmtree(leftover)


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


def _journal(paths: Tuple[str, ...]) -> str:
    """The journal of a switch of ``paths``, beside the first of them."""
    return osp.join(osp.dirname(paths[0]),
                    f'.{osp.basename(paths[0])}.switch')


def _pending(paths: Tuple[str, ...]) -> List[Tuple[str, str]]:
    """(temporary, target) of each file of a committed, unfinished switch
    of ``paths`` (none without a journal)."""
    try:
        with open(_journal(paths)) as f:
            names = json.load(f)
    except FileNotFoundError:
        return []
    folder = osp.dirname(paths[0])
    return [(osp.join(folder, temp), osp.join(folder, target))
            for temp, target in names]


def _finish_switch(paths: Tuple[str, ...]) -> None:
    """Renames what a committed switch of ``paths`` has left (its writer
    was killed) and removes its journal."""
    pending = _pending(paths)
    if not pending:
        return
    folder = osp.dirname(paths[0])
    for temp, target in pending:
        if osp.lexists(temp):
            os.replace(temp, target)
    _fsync(folder, directory=True)
    os.remove(_journal(paths))
    _fsync(folder, directory=True)


def _absolute(paths: Tuple[str, ...]) -> Tuple[str, ...]:
    """``paths`` made absolute; one folder, so one journal and renames
    that never cross file systems."""
    paths = tuple(osp.abspath(osp.expanduser(p)) for p in paths)
    if len(set(paths)) != len(paths) or \
            len({osp.dirname(p) for p in paths}) != 1:
        raise ValueError(f'{paths}: files written together must be '
                         'different files in one folder')
    return paths


def current_paths(*paths: str) -> Tuple[str, ...]:
    """Where the files last written together by :func:`atomic_paths` are
    to be read: ``paths``, except that after a writer killed during its
    switch the files it had not renamed yet are read from their temporary
    names. Reads only, so it works in a read-only folder."""
    paths = _absolute(paths)
    newer = {target: temp for temp, target in _pending(paths)
             if osp.lexists(temp)}
    return tuple(newer.get(path, path) for path in paths)


@contextmanager
def atomic_paths(*paths: str) -> Iterator[Tuple[str, ...]]:
    """:func:`atomic_path` for files that belong together (one folder):
    yields a temporary path for each; on a clean exit all of them replace
    ``paths`` in one journalled switch (module docstring), so a kill at
    any instant leaves the old files or the new ones, as
    :func:`current_paths` finds them. A switch an earlier, killed writer
    left unfinished is completed first.

    Raises:
        UnwritableError: the folder cannot be created or written.
        FileNotFoundError: the writer left no file at a temporary path.
    """
    if len(paths) == 1:
        with atomic_path(paths[0]) as temp:
            yield (temp, )
        return
    paths = tuple(check_writable(p) for p in _absolute(paths))
    _finish_switch(paths)
    temps: List[str] = []
    committed = False
    try:
        for path in paths:
            remove_stale_temps(path)
            temps.append(_new_temp(path))
        yield tuple(temps)
        for temp, path in zip(temps, paths):
            _seal(temp, path)
        names = [[osp.basename(t), osp.basename(p)]
                 for t, p in zip(temps, paths)]
        write_text(_journal(paths), json.dumps(names))  # the commit
        committed = True
        _finish_switch(paths)
    finally:
        if not committed:
            for temp in temps:
                if osp.lexists(temp):
                    os.remove(temp)
