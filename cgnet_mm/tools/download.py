"""Download zoo checkpoints and verify their SHA-256 before use.

``mim download cgnet_mm --config NAME`` fetches the same files but checks no
hash (and saves an HTTP error page as the .pth); this command refuses a
corrupted or truncated file and names the expected and actual hashes.
"""
import argparse
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from cgnet_mm.utils import cli
from cgnet_mm.utils.atomic import check_writable, copy_file, write_text


def download_model(name: str, dest: str,
                   index: Optional[Dict[str, dict]] = None) -> List[str]:
    """Fetches ``name``'s checkpoint (verified) and config into ``dest``;
    returns both paths. An existing, valid checkpoint is kept."""
    # imported on use (cgnet_mm.utils.zoo imports torch): keeps `--help` fast
    from cgnet_mm.utils.zoo import (MIM_DIR, PACKAGE_DIR, download,
                                    find_model, verify)
    entry = find_model(name, index)
    url = entry['Weights']
    path = osp.join(dest, osp.basename(url))
    config = osp.join(dest, f'{name}.py')
    check_writable(config)
    if '://' not in url:  # weights that ship inside the package
        shipped = osp.join(PACKAGE_DIR, url)
        verify(shipped, entry.get('SHA256'), f'the zoo entry {name!r}', url)
        copy_file(shipped, path)
        print(f'copied the shipped weights to {path} (sha256 verified)')
    elif osp.isfile(path):
        verify(path, entry.get('SHA256'), f'the zoo entry {name!r}', url)
        print(f'{path} exists and its sha256 matches')
    else:
        expected = entry.get('SHA256')
        download(url, path, expected,
                 f'the zoo entry {name!r}' if expected else '')
        print(f'downloaded and verified {path}')
    write_text(config,
               Config.fromfile(osp.join(MIM_DIR, entry['Config'])).pretty_text)
    return [path, config]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm download', description=__doc__.splitlines()[0])
    parser.add_argument('names', nargs='+', metavar='NAME',
                        help='zoo names (see `mim search cgnet_mm`)')
    parser.add_argument('--dest', default='.', help='folder to save into')
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from cgnet_mm.utils.zoo import load_index
    index = load_index()
    for name in args.names:
        download_model(name, args.dest, index)


if __name__ == '__main__':
    main()
