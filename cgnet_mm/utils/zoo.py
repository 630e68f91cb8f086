"""The model zoo: the index shipped in ``cgnet_mm/.mim`` and verified
downloads.

A checkpoint's expected SHA-256 comes from the index (full hash, ``SHA256``
field) or, for files named the OpenMMLab way (``<name>-<hex>.pth``), from the
hex prefix in its name. mim itself never checks either.
"""
import hashlib
import os.path as osp
import re
import urllib.error
from typing import Dict, Optional, Tuple

import torch
import yaml

from .atomic import atomic_path
from .errors import UserError

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM_DIR = osp.join(PACKAGE_DIR, '.mim')
_NAME_HASH = re.compile(r'-([0-9a-f]{8,64})\.pth$')


class ZooError(UserError, RuntimeError):
    """A zoo look-up, download or verification failed; the message says
    which file or name and what to do."""


def load_index(mim_dir: str = MIM_DIR) -> Dict[str, dict]:
    """Model entries of ``model-index.yml`` (and the metafiles it imports),
    keyed by ``Name``."""
    with open(osp.join(mim_dir, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = {}
    for metafile in index.get('Import', []):
        with open(osp.join(mim_dir, metafile)) as f:
            for entry in yaml.safe_load(f).get('Models', []):
                models[entry['Name']] = entry
    return models


def find_model(name: str, index: Optional[Dict[str, dict]] = None) -> dict:
    """The index entry called ``name``; unknown names list the known ones."""
    index = load_index() if index is None else index
    if name not in index:
        raise ZooError(f'no model called {name!r} in the cgnet_mm zoo; '
                       f'known: {", ".join(sorted(index))}')
    return index[name]


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


def sha256_of(path: str) -> str:
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


def download(url: str, dest: str, expected: Optional[str] = None,
             source: str = '') -> str:
    """Downloads ``url`` to the file ``dest`` with a progress bar, verifies
    it and only then moves it into place (:func:`atomic_path`). Returns
    ``dest``."""
    if expected is None:
        expected, source = expected_sha256(url)
    try:
        with atomic_path(dest) as part:
            torch.hub.download_url_to_file(url, part, progress=True)
            verify(part, expected, source, name=url, label=url,
                   remedy='The download was discarded; the server holds a '
                   'bad file.')
    except urllib.error.URLError as err:
        raise ZooError(f'cannot download {url}: {getattr(err, "reason", err)}'
                       '. Check the network, or download the file elsewhere '
                       'and pass its local path.') from None
    return dest


def cached_download(url: str, cache_dir: Optional[str] = None) -> str:
    """Path of ``url`` in the cache (``<torch hub>/checkpoints``), fetched
    and verified on first use, re-verified on every later use."""
    cache_dir = cache_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    path = osp.join(cache_dir, osp.basename(url.split('?')[0]))
    if osp.isfile(path):
        verify(path, name=url)
        return path
    return download(url, path)

