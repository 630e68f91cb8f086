"""The model zoo: the index shipped in ``cgnet_mm/.mim`` and verified
downloads.

A checkpoint's expected SHA-256 comes from the index (full hash, ``SHA256``
field) or, for files named the OpenMMLab way (``<name>-<hex>.pth``), from the
hex prefix in its name. mim itself never checks either. A file is hashed
once per process while its size and modification time stay the same, so a
load that passes through several checks reads it once.
"""
import functools
import hashlib
import http.client
import os
import os.path as osp
import re
import socket
import time
import urllib.error
import urllib.request
from typing import Dict, Optional, Tuple

import torch
import yaml
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from .atomic import atomic_path
from .errors import UserError
from .files import file_stamp

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM_DIR = osp.join(PACKAGE_DIR, '.mim')
_NAME_HASH = re.compile(r'-([0-9a-f]{8,64})\.pth$')


class ZooError(UserError, RuntimeError):
    """A zoo look-up, download or verification failed; the message says
    which file or name and what to do."""


def load_index(mim_dir: str = MIM_DIR) -> Dict[str, dict]:
    """Model entries of ``model-index.yml`` (and the metafiles it imports),
    keyed by ``Name``; read once per process (a new dict each call, the
    entries shared: do not change them)."""
    return dict(_read_index(mim_dir))


@functools.lru_cache(maxsize=None)
def _read_index(mim_dir: str) -> Dict[str, dict]:
    with open(osp.join(mim_dir, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = {}
    for metafile in index.get('Import', []):
        with open(osp.join(mim_dir, metafile)) as f:
            for entry in yaml.safe_load(f).get('Models', []):
                models[entry['Name']] = entry
    return models


def find_model(name: str, index: Optional[Dict[str, dict]] = None) -> dict:
    """The index entry called ``name``; unknown names list the known ones.
    An entry without ``Weights`` (a checkpoint users convert themselves)
    is refused with where its file comes from."""
    index = load_index() if index is None else index
    if name not in index:
        raise ZooError(f'no model called {name!r} in the cgnet_mm zoo; '
                       f'known: {", ".join(sorted(index))}')
    entry = index[name]
    if 'Weights' not in entry and 'Converted From' not in entry:
        raise ZooError(f'the zoo entry {name!r} is a demonstration run whose '
                       'weights are not distributed; reproduce them with '
                       f'`mim train cgnet_mm {entry["Config"]}`')
    if 'Weights' not in entry:
        source = entry['Converted From'].get('Weights', 'its authors')
        raise ZooError(f'the zoo entry {name!r} has no weights to download: '
                       f'get the file from {source} and convert it with '
                       '`cgnet-mm convert` (see `cgnet-mm convert --help`)')
    return entry


def expected_sha256(filename: str,
                    index: Optional[Dict[str, dict]] = None
                    ) -> Tuple[Optional[str], str]:
    """(expected hash or prefix, where it came from) for a checkpoint file
    or URL; (None, '') when nothing is known about it.

    A local file is a zoo file when its name is an index entry's file name
    (as ``mim download`` saves it); a URL's name may carry the hash prefix
    itself (``<name>-<hex>.pth``, the OpenMMLab and torch.hub convention).
    Other local names are left alone: ``run-20261123.pth`` is no hash.
    """
    base = osp.basename(filename.split('?')[0])
    index = load_index() if index is None else index
    entries = [e for e in index.values()
               if osp.basename(e.get('Weights', '')) == base]
    if entries and entries[0].get('SHA256'):
        return entries[0]['SHA256'], f'the zoo entry {entries[0]["Name"]!r}'
    found = _NAME_HASH.search(base)
    if found and (entries or '://' in filename):
        return found.group(1), 'the hash in its file name'
    return None, ''


_HASHED: Dict[tuple, str] = {}


def sha256_of(path: str) -> str:
    """The file's SHA-256, remembered while its size and mtime stay."""
    key = file_stamp(path)
    if key not in _HASHED:
        _HASHED[key] = _hash_file(path)
    return _HASHED[key]


def _hash_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str, expected: Optional[str] = None, source: str = '',
           name: Optional[str] = None, label: Optional[str] = None,
           remedy: str = 'Delete it and download it again.') -> str:
    """Checks ``path`` against ``expected`` (a full SHA-256 or a prefix of
    it; looked up by ``name`` or the path when None). The error calls the
    file ``label`` (default: its path) and ends with ``remedy``. Returns the
    actual hash."""
    if expected is None:
        expected, source = expected_sha256(name or path)
    actual = sha256_of(path)
    if expected and not actual.startswith(expected.lower()):
        raise ZooError(
            f'checkpoint {label or path!r} is corrupted or incomplete: its '
            f'sha256 is {actual}, expected {expected} (from {source}). '
            f'{remedy}')
    return actual


# seconds a download may go without receiving a byte before it is given up
TIMEOUT_ENV = 'CGNET_MM_DOWNLOAD_TIMEOUT'
DEFAULT_TIMEOUT = 60.0
# what torch.hub's downloader (used before) left behind when killed
_TORCH_PARTIAL = re.compile(r'.+\.[0-9a-f]{32}\.partial$')


def download_timeout() -> float:
    """Seconds without a byte before a download stops: ``$CGNET_MM_DOWNLOAD_
    TIMEOUT``, default 60."""
    value = os.environ.get(TIMEOUT_ENV, '')
    try:
        seconds = float(value) if value else DEFAULT_TIMEOUT
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ZooError(f'{TIMEOUT_ENV}={value!r} is not a positive number of '
                       f'seconds; unset it for the default '
                       f'({DEFAULT_TIMEOUT:.0f} s)')
    return seconds


def remove_torch_partials(folder: str) -> None:
    """Deletes ``*.<32 hex>.partial`` files that torch.hub's downloader left
    in ``folder`` when killed, once nothing has written to them for the
    download timeout (a live download writes more often)."""
    if not osp.isdir(folder):
        return
    cutoff = time.time() - download_timeout()
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        if _TORCH_PARTIAL.match(name) and osp.getmtime(path) < cutoff:
            try:
                os.remove(path)
            except OSError:
                pass


def _fetch(url: str, path: str, timeout: float) -> None:
    """Streams ``url`` into ``path`` with a progress bar on stderr."""
    request = urllib.request.Request(url, headers={'User-Agent': 'cgnet_mm'})
    with urllib.request.urlopen(request, timeout=timeout) as response, \
            open(path, 'wb') as out, Progress(
                *Progress.get_default_columns(), DownloadColumn(),
                TransferSpeedColumn(), console=Console(stderr=True),
                transient=True) as progress:
        size = response.headers.get('Content-Length')
        task = progress.add_task(osp.basename(url.split('?')[0]),
                                 total=int(size) if size else None)
        for block in iter(lambda: response.read(1 << 16), b''):
            out.write(block)
            progress.advance(task, len(block))


def download(url: str, dest: str, expected: Optional[str] = None,
             source: str = '') -> str:
    """Downloads ``url`` to the file ``dest`` with a progress bar, verifies
    it and only then moves it into place (:func:`atomic_path`). A server
    that sends nothing for :func:`download_timeout` seconds stops it with
    one error; a killed download leaves only a temporary file that the next
    one removes. Returns ``dest``."""
    if expected is None:
        expected, source = expected_sha256(url)
    timeout = download_timeout()
    remove_torch_partials(osp.dirname(osp.abspath(dest)))
    try:
        with atomic_path(dest) as part:
            _fetch(url, part, timeout)
            verify(part, expected, source, name=url, label=url,
                   remedy='The download was discarded; the server holds a '
                   'bad file.')
    except (TimeoutError, socket.timeout):
        raise ZooError(f'cannot download {url}: no data for {timeout:.0f} s. '
                       f'Check the network or the server, or set {TIMEOUT_ENV}'
                       ' to wait longer.') from None
    except urllib.error.URLError as err:
        reason = getattr(err, 'reason', err)
        if isinstance(reason, (TimeoutError, socket.timeout)):
            reason = f'no answer for {timeout:.0f} s'
        raise ZooError(f'cannot download {url}: {reason}. Check the network, '
                       'or download the file elsewhere and pass its local '
                       'path.') from None
    except (ConnectionError, http.client.HTTPException) as err:
        raise ZooError(f'cannot download {url}: the connection broke ({err})'
                       '. Try again.') from None
    return dest


def cache_path(url: str, cache_dir: Optional[str] = None) -> str:
    """Where ``url`` is cached: ``<torch hub>/checkpoints/<url hash>/<file
    name>``. The folder is named by the whole URL, so two URLs that end in
    the same file name (``.../s1/pytorch_model.bin``, ``.../s2/...``) never
    share a file."""
    cache_dir = cache_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return osp.join(cache_dir, key, osp.basename(url.split('?')[0]))


def cached_download(url: str, cache_dir: Optional[str] = None) -> str:
    """Path of ``url`` in the cache (:func:`cache_path`), fetched and
    verified on first use, re-verified on every later use. In a
    distributed run rank 0 downloads while the other ranks wait at a
    barrier, then each uses the file (one on another machine, which has no
    shared cache, downloads its own copy)."""
    path = cache_path(url, cache_dir)
    remove_torch_partials(osp.dirname(osp.dirname(path)))
    rank, world_size = _dist_info()
    try:
        if rank == 0 and not osp.isfile(path):
            download(url, path)
        if world_size > 1:
            torch.distributed.barrier()
        if not osp.isfile(path):
            return download(url, path)
        verify(path, name=url)
    except ZooError:
        discard(path)
        raise
    return path


def discard(path: str) -> None:
    """Removes a cached file and its URL folder once that is empty."""
    if osp.isfile(path):
        os.remove(path)
    folder = osp.dirname(path)
    if osp.isdir(folder) and not os.listdir(folder):
        os.rmdir(folder)


def _dist_info() -> Tuple[int, int]:
    """(rank, world size) of an initialised process group, else (0, 1)."""
    if torch.distributed.is_available() and \
            torch.distributed.is_initialized():
        return torch.distributed.get_rank(), \
            torch.distributed.get_world_size()
    return 0, 1

