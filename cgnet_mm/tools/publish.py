"""Prepare a trained checkpoint for the zoo: keep the weights, drop the
training state, and name the file after the SHA-256 of the file written.

(mmseg 1.2.2's ``publish_model.py`` hashes a different file from the one it
publishes; here the hash is taken from the final bytes on disk.)
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional, Sequence, Tuple

import torch

from cgnet_mm.utils import UserError, safe_load
from cgnet_mm.utils.zoo import sha256_of

KEPT_META = ('dataset_meta', 'mmengine_version', 'mmseg_version', 'iter',
             'epoch', 'experiment_name', 'seed')


def publish(src: str, out_stem: str) -> Tuple[str, str]:
    """Writes ``<out_stem>-<sha256[:8]>.pth`` holding only the state dict
    (and a little metadata) of ``src``; returns (path, full sha256)."""
    ckpt = safe_load(src, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    meta = {k: v for k, v in ckpt.get('meta', {}).items() if k in KEPT_META}
    tmp = f'{out_stem}.tmp.pth'
    os.makedirs(osp.dirname(osp.abspath(tmp)), exist_ok=True)
    try:
        torch.save({'state_dict': state, 'meta': meta}, tmp)
        digest = sha256_of(tmp)
        final = f'{out_stem}-{digest[:8]}.pth'
        os.replace(tmp, final)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return final, digest


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm publish', description=__doc__.splitlines()[0])
    parser.add_argument('src', help='a runner checkpoint, e.g. iter_60000.pth')
    parser.add_argument('out_stem', help='output path without the hash and '
                        '.pth, e.g. zoo/cgnet_512x1024_60k_cityscapes')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        path, digest = publish(args.src, args.out_stem)
    except (UserError, OSError) as err:
        sys.exit(f'error: {err}')
    print(f'{path}\nsha256: {digest}')


if __name__ == '__main__':
    main()
