"""Segment an image; write a colour overlay (PNG, the image's size) and a
legend of the classes found beside it (``<out>_legend.png``).

Works offline on a fresh install: the default model is the CamVid CGNet
whose weights ship inside the package, the default image a bundled road
scene. Any size; grayscale and RGBA images are converted to colour,
16-bit ones scaled to 8 bit. Outputs are replaced atomically.
``--fast int8`` (or ``fp32``) segments with a CPU-optimised model; it
compiles first (~20-40 s), so it pays off on many images, not on one.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence, Tuple

from cgnet_mm.tools.args import add_fast_args
from cgnet_mm.utils import BadValueError, cli
from cgnet_mm.utils.atomic import UnwritableError, atomic_path, check_writable


def check_out(out: str) -> None:
    """``out`` names an image format cv2 writes, in a writable folder."""
    import cv2  # cv2 and cgnet_mm.apis imported on use: keeps --help fast
    ext = osp.splitext(out)[1]
    if not ext or not cv2.haveImageWriter(out):
        raise BadValueError(f'--out {out!r} has no image extension cv2 can '
                            f'write; use e.g. {osp.splitext(out)[0]}.png')
    check_writable(out)


def demo(image: Optional[str] = None, out: str = 'cgnet_demo.png',
         config: Optional[str] = None, checkpoint: Optional[str] = None,
         device: str = 'cpu', fast: Optional[str] = None,
         calibration: Optional[str] = None) -> Tuple[str, str]:
    """Writes the overlay and legend PNGs (each atomically); returns their
    paths. ``image`` defaults to the bundled scene; ``config`` is a config
    file or a zoo model name."""
    import cv2

    from cgnet_mm.apis import (DEMO_IMAGE, draw_legend, draw_overlay,
                               init_segmentor, read_bgr, segment)
    image = DEMO_IMAGE if image is None else image
    check_out(out)
    read_bgr(image)  # a bad image is refused before the model loads
    model = init_segmentor(config, checkpoint, device, fast, calibration)
    label = segment(model, image)
    legend = osp.splitext(out)[0] + '_legend.png'
    for path, picture in ((out, draw_overlay(image, label, model)),
                          (legend, draw_legend(model, label))):
        with atomic_path(path) as temp:
            if not cv2.imwrite(temp, picture):
                raise UnwritableError(f'cv2 could not write {path!r}')
    return out, legend


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm demo', description=__doc__.splitlines()[0])
    parser.add_argument('image', nargs='?',
                        help='image file (default: a bundled CamVid scene)')
    parser.add_argument('--out', default='cgnet_demo.png',
                        help='overlay PNG to write (default: cgnet_demo.png)')
    parser.add_argument('--model', help='a zoo model by name (mim search '
                        'cgnet_mm), e.g. sgcpnet_360x360_4k_camvid_cpu')
    parser.add_argument('--config', help='another model: its config ...')
    parser.add_argument('--checkpoint', help='... and checkpoint')
    parser.add_argument('--device', default='cpu')
    add_fast_args(parser, 'CPU fast path: fp32 (fused, compiled) or int8 '
                  '(also quantized)')
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if bool(args.config) != bool(args.checkpoint):
        raise BadValueError('--config and --checkpoint go together')
    if args.model and args.config:
        raise BadValueError('--model and --config/--checkpoint exclude each '
                            'other; give one')
    out, legend = demo(args.image, args.out, args.model or args.config,
                       args.checkpoint,
                       args.device, args.fast, args.calibration)
    print(f'wrote {out} and {legend}')

if __name__ == '__main__':
    main()
