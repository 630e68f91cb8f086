"""Export a trained segmentor to ONNX, verified against torch before the
file is written (see :mod:`cgnet_mm.deploy.onnx_export`)."""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from cgnet_mm.apis import build_segmentor
from cgnet_mm.tools.checks import CheckError, check_checkpoint, load_config
from cgnet_mm.utils import UserError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm export', description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument('--shape', nargs=2, type=int, metavar=('H', 'W'),
                        default=None, help='input size to export and check '
                        'at (default: the config test size)')
    parser.add_argument('--dynamic', action='store_true',
                        help='any input height and width')
    parser.add_argument('--image', help='image the check runs on (default: '
                        'the bundled CamVid scene)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as err:
        sys.exit(f"error: export needs onnx, onnxruntime and onnxscript "
                 f"({err.name} is missing): pip install 'cgnet_mm[deploy]' "
                 "(scripts/setup.sh installs them)")
    from cgnet_mm.deploy import export_onnx
    from cgnet_mm.tools.benchmark import config_test_size
    try:
        if args.shape and (min(args.shape) < 8 or max(args.shape) > 8192):
            raise CheckError(f'--shape {args.shape[0]} {args.shape[1]}: '
                             'height and width must lie in 8..8192')
        cfg = load_config(args.config)
        check_checkpoint(cfg, args.checkpoint)
        model = build_segmentor(cfg, args.checkpoint)
        shape = args.shape or config_test_size(cfg)
        meta = dict(config=osp.basename(args.config),
                    classes=list(model.dataset_meta.get('classes', [])))
        result = export_onnx(model, args.out, shape, args.dynamic,
                             args.image, meta)
    except (UserError, FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    print(f'wrote {args.out}: onnxruntime vs torch max abs logit difference '
          f'{result["max_abs_diff"]:.2e}, argmax agreement '
          f'{100 * result["argmax_agreement"]:.3f}%')


if __name__ == '__main__':
    main()
