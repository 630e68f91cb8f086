"""Download zoo checkpoints and verify their SHA-256 before use.

``mim download cgnet_mm --config NAME`` fetches the same files but checks no
hash (and saves an HTTP error page as the .pth); this command refuses a
corrupted or truncated file and names the expected and actual hashes.
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from cgnet_mm.utils.zoo import (MIM_DIR, PACKAGE_DIR, ZooError, download,
                                find_model, load_index, verify)


def download_model(name: str, dest: str,
                   index: Optional[Dict[str, dict]] = None) -> List[str]:
    """Fetches ``name``'s checkpoint (verified) and config into ``dest``;
    returns both paths. An existing, valid checkpoint is kept."""
    entry = find_model(name, index)
    url = entry['Weights']
    path = osp.join(dest, osp.basename(url))
    if '://' not in url:  # weights that ship inside the package
        try:
            os.makedirs(dest, exist_ok=True)
            shutil.copyfile(osp.join(PACKAGE_DIR, url), path)
        except OSError as err:
            raise ZooError(f'cannot write {path!r}: {err.strerror}; choose '
                           'another destination') from None
        verify(path, entry.get('SHA256'), f'the zoo entry {name!r}', url)
        print(f'copied the shipped weights to {path} (sha256 verified)')
    elif osp.isfile(path):
        verify(path, entry.get('SHA256'), f'the zoo entry {name!r}', url)
        print(f'{path} exists and its sha256 matches')
    else:
        expected = entry.get('SHA256')
        download(url, path, expected,
                 f'the zoo entry {name!r}' if expected else '')
        print(f'downloaded and verified {path}')
    config = osp.join(dest, f'{name}.py')
    Config.fromfile(osp.join(MIM_DIR, entry['Config'])).dump(config)
    return [path, config]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm download', description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='+', metavar='NAME',
                        help='zoo names (see `mim search cgnet_mm`)')
    parser.add_argument('--dest', default='.', help='folder to save into')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        index = load_index()
        for name in args.names:
            download_model(name, args.dest, index)
    except ZooError as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
