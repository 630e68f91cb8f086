"""Export a trained segmentor, verified against torch before the file is
written: to ONNX (:mod:`cgnet_mm.deploy.onnx_export`), or with ``--fast``
to an AOTInductor package of a fast CPU path
(:mod:`cgnet_mm.deploy.pt2_export`)."""
import argparse
import os.path as osp
from importlib.util import find_spec
from typing import Optional, Sequence

from cgnet_mm.apis import build_segmentor
from cgnet_mm.deploy.fast import add_fast_args
from cgnet_mm.tools.checks import CheckError, check_checkpoint, load_config
from cgnet_mm.utils import cli
from cgnet_mm.utils.atomic import check_writable


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm export', description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True,
                        help='the .onnx file (.pt2 with --fast)')
    parser.add_argument('--shape', nargs=2, type=int, metavar=('H', 'W'),
                        default=None, help='input size to export and check '
                        'at (default: the config test size)')
    parser.add_argument('--dynamic', action='store_true',
                        help='any input height and width')
    parser.add_argument('--image', help='image the check runs on (default: '
                        'the bundled CamVid scene)')
    add_fast_args(parser, 'export a fast CPU path (fp32: fused; int8: also '
                  'quantized) as an AOTInductor .pt2 package')
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    suffix = '.pt2' if args.fast else '.onnx'
    if not args.out.endswith(suffix):
        raise CheckError(
            f'--out {args.out!r}: the name must end in {suffix}' +
            (' (a fast-path export is an AOTInductor package; without '
             '--fast the export is ONNX)' if args.fast else
             f', e.g. {osp.splitext(args.out)[0]}.onnx'))
    check_writable(args.out)
    needed = ['torchao'] if args.fast == 'int8' else \
        [] if args.fast else ['onnx', 'onnxruntime', 'onnxscript']
    missing = [name for name in needed if find_spec(name) is None]
    if missing:
        raise CheckError(f"this export needs {', '.join(needed)} "
                         f"({', '.join(missing)} missing): pip install "
                         "'cgnet_mm[deploy]' (scripts/setup.sh installs them)")
    from cgnet_mm.deploy import export_onnx, export_pt2
    from cgnet_mm.tools.benchmark import config_test_size
    if args.shape and (min(args.shape) < 8 or max(args.shape) > 8192):
        raise CheckError(f'--shape {args.shape[0]} {args.shape[1]}: '
                         'height and width must lie in 8..8192')
    cfg = load_config(args.config)
    check_checkpoint(cfg, args.checkpoint)
    model = build_segmentor(cfg, args.checkpoint)
    shape = args.shape or config_test_size(cfg)
    meta = dict(config=osp.basename(args.config),
                classes=list(model.dataset_meta.get('classes', [])))
    if args.fast:
        result = export_pt2(model, args.out, args.fast, shape,
                            args.dynamic, args.calibration, args.image,
                            meta)
    else:
        result = export_onnx(model, args.out, shape, args.dynamic,
                             args.image, meta)
    against = f'{args.fast} package' if args.fast else 'onnxruntime'
    print(f'wrote {args.out}: {against} vs torch max abs logit difference '
          f'{result["max_abs_diff"]:.2e}, argmax agreement '
          f'{100 * result["argmax_agreement"]:.3f}%')


if __name__ == '__main__':
    main()
