"""Prepare a trained checkpoint for the zoo: keep the weights, drop the
training state, and name the file after the SHA-256 of the file written.

(mmseg 1.2.2's ``publish_model.py`` hashes a different file from the one it
publishes; here the hash is taken from the final bytes on disk.)
"""
import argparse
import hashlib
import io
from typing import Optional, Sequence, Tuple

from cgnet_mm.utils import cli
from cgnet_mm.utils.atomic import UnwritableError, check_writable, write_bytes

KEPT_META = ('dataset_meta', 'mmengine_version', 'mmseg_version', 'iter',
             'epoch', 'experiment_name', 'seed')


def publish(src: str, out_stem: str) -> Tuple[str, str]:
    """Writes ``<out_stem>-<sha256[:8]>.pth`` (atomically) holding only the
    state dict (and a little metadata) of ``src``; returns (path, full
    sha256), re-read from disk."""
    # imported on use (torch and what imports it): keeps `--help` fast
    import torch

    from cgnet_mm.utils.checkpoint import safe_load
    from cgnet_mm.utils.zoo import sha256_of
    check_writable(f'{out_stem}.pth')
    ckpt = safe_load(src, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    meta = {k: v for k, v in ckpt.get('meta', {}).items() if k in KEPT_META}
    buffer = io.BytesIO()
    torch.save({'state_dict': state, 'meta': meta}, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    final = write_bytes(f'{out_stem}-{digest[:8]}.pth', data)
    if sha256_of(final) != digest:
        raise UnwritableError(f'{final!r} differs from the bytes written to '
                              'it: is the disk full or failing?')
    return final, digest


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm publish', description=__doc__.splitlines()[0])
    parser.add_argument('src', help='a runner checkpoint, e.g. iter_60000.pth')
    parser.add_argument('out_stem', help='output path without the hash and '
                        '.pth, e.g. zoo/cgnet_512x1024_60k_cityscapes')
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    path, digest = publish(args.src, args.out_stem)
    print(f'{path}\nsha256: {digest}')


if __name__ == '__main__':
    main()
