"""Segment an image and write a colour overlay with a legend (PNG).

Works offline on a fresh install: the default model is the CamVid CGNet
whose weights ship inside the package, the default image a bundled road
scene. Any size; grayscale and RGBA images are converted to colour.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Optional, Sequence

import cv2

from cgnet_mm.apis import DEMO_IMAGE, draw_overlay, init_segmentor, segment
from cgnet_mm.utils.zoo import ZooError


def demo(image: str = DEMO_IMAGE, out: str = 'cgnet_demo.png',
         config: Optional[str] = None, checkpoint: Optional[str] = None,
         device: str = 'cpu') -> str:
    model = init_segmentor(config, checkpoint, device)
    canvas = draw_overlay(image, segment(model, image), model)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if not cv2.imwrite(out, canvas):
        raise OSError(f'could not write {out!r}')
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm demo', description=__doc__.splitlines()[0])
    parser.add_argument('image', nargs='?', default=DEMO_IMAGE,
                        help='image file (default: a bundled CamVid scene)')
    parser.add_argument('--out', default='cgnet_demo.png',
                        help='PNG to write (default: cgnet_demo.png)')
    parser.add_argument('--config', help='another model: its config ...')
    parser.add_argument('--checkpoint', help='... and checkpoint')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if bool(args.config) != bool(args.checkpoint):
        sys.exit('error: --config and --checkpoint go together')
    try:
        out = demo(args.image, args.out, args.config, args.checkpoint,
                   args.device)
    except (FileNotFoundError, ValueError, OSError, ZooError) as err:
        sys.exit(f'error: {err}')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
