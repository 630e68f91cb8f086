"""Export a trained segmentor, verified against torch before the file is
written: to ONNX (:mod:`cgnet_mm.deploy.onnx_export`), to an OpenVINO IR
with ``--format openvino`` (``--int8``: quantized by NNCF;
:mod:`cgnet_mm.deploy.openvino_export`), or with ``--fast`` to an
AOTInductor package of a fast CPU path (:mod:`cgnet_mm.deploy.pt2_export`)."""
import argparse
import os.path as osp
from importlib.util import find_spec
from typing import Optional, Sequence

from cgnet_mm.tools.args import add_fast_args
from cgnet_mm.utils import CheckError, cli
from cgnet_mm.utils.atomic import check_writable

FORMATS = ('onnx', 'openvino')
SUFFIXES = dict(onnx='.onnx', openvino='.xml', pt2='.pt2')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm export', description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True,
                        help='the .onnx file (.xml with --format openvino, '
                        '.pt2 with --fast)')
    parser.add_argument('--format', help='onnx (default) or openvino (an '
                        'OpenVINO IR: .xml and .bin)')
    parser.add_argument('--int8', action='store_true',
                        help='with --format openvino: quantize with NNCF, '
                        'calibrating on --calibration DIR')
    parser.add_argument('--no-resize', dest='resize', action='store_false',
                        help='with --format openvino: leave the final '
                        "bilinear resize out; the IR's logits come at the "
                        "head's resolution (resize them yourself, as "
                        'OpenVINOSegmentor does): faster on CPU')
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


def check_options(args: argparse.Namespace) -> str:
    """The export format (onnx, openvino or pt2) once the options make
    sense together; the check reads no model and no package."""
    if args.format is not None and args.format not in FORMATS:
        raise CheckError(f'--format {args.format!r} is not an export format; '
                         f'choose one of {", ".join(FORMATS)} (or --fast for '
                         'an AOTInductor .pt2 package)')
    if args.fast and args.format:
        raise CheckError(f'--fast {args.fast} exports an AOTInductor .pt2 '
                         f'package, not --format {args.format}; drop one '
                         'of them')
    fmt = 'pt2' if args.fast else args.format or 'onnx'
    if args.int8 and fmt != 'openvino':
        raise CheckError(
            f'--int8 quantizes an OpenVINO IR (--format openvino --int8); '
            f'there is no int8 {fmt} export' +
            ('; a fast-path package takes --fast int8' if fmt == 'pt2' else
             ' (--fast int8 writes an int8 .pt2 package)'))
    if not args.resize and fmt != 'openvino':
        raise CheckError(f'--no-resize shapes an OpenVINO IR (--format '
                         f'openvino --no-resize); the {fmt} export always '
                         'ends with the resize')
    if args.int8 and args.calibration is None:
        raise CheckError('--int8 needs --calibration DIR: a folder of images '
                         'like the ones the model will see (16 spread over '
                         'it are used)')
    if args.calibration is not None and not (args.int8 or
                                             args.fast == 'int8'):
        raise CheckError('--calibration is read only by an int8 export '
                         '(--format openvino --int8, or --fast int8)')
    suffix = SUFFIXES[fmt]
    if not args.out.endswith(suffix):
        raise CheckError(
            f'--out {args.out!r}: the name must end in {suffix}' + dict(
                pt2=' (a fast-path export is an AOTInductor package; without '
                '--fast the export is ONNX)',
                openvino=' (an OpenVINO IR; its weights go in a .bin beside '
                f'it), e.g. {osp.splitext(args.out)[0]}.xml',
                onnx=f', e.g. {osp.splitext(args.out)[0]}.onnx')[fmt])
    return fmt


def check_packages(fmt: str, fast: Optional[str]) -> None:
    """Refuses an export whose packages are missing, naming the extra."""
    # imported on use (torch, exporters, models): keeps `--help` fast
    from cgnet_mm.deploy.openvino_export import OPENVINO_PACKAGES
    install = "'cgnet_mm[deploy]' (scripts/setup.sh installs them)"
    if fmt == 'openvino':
        needed, install = OPENVINO_PACKAGES, "'cgnet_mm[openvino]'"
    elif fmt == 'pt2':
        needed = ('torchao', ) if fast == 'int8' else ()
    else:
        needed = ('onnx', 'onnxruntime', 'onnxscript')
    missing = [name for name in needed if find_spec(name) is None]
    if missing:
        raise CheckError(f"this export needs {', '.join(needed)} "
                         f"({', '.join(missing)} missing): pip install "
                         f'{install}')


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    fmt = check_options(args)
    check_writable(args.out)
    from cgnet_mm.apis import build_segmentor
    from cgnet_mm.deploy.fast import calibration_images
    from cgnet_mm.utils.config import check_checkpoint, load_config
    from cgnet_mm.utils.report import config_test_size
    # a bad calibration folder is refused before the model loads
    calibration = calibration_images(args.calibration) \
        if args.calibration is not None else None
    check_packages(fmt, args.fast)
    if args.shape and (min(args.shape) < 8 or max(args.shape) > 8192):
        raise CheckError(f'--shape {args.shape[0]} {args.shape[1]}: '
                         'height and width must lie in 8..8192')
    from cgnet_mm.deploy import export_onnx, export_openvino, export_pt2
    cfg = load_config(args.config)
    check_checkpoint(cfg, args.checkpoint)
    model = build_segmentor(cfg, args.checkpoint)
    shape = args.shape or config_test_size(cfg)
    meta = dict(config=osp.basename(args.config),
                classes=list(model.dataset_meta.get('classes', [])))
    if fmt == 'pt2':
        result = export_pt2(model, args.out, args.fast, shape, args.dynamic,
                            calibration, args.image, meta)
        against = f'{args.fast} package'
    elif fmt == 'openvino':
        result = export_openvino(model, args.out, shape, args.dynamic,
                                 args.int8, calibration, args.image, meta,
                                 args.resize)
        against = f'OpenVINO {"int8" if args.int8 else "fp32"} IR'
    else:
        result = export_onnx(model, args.out, shape, args.dynamic,
                             args.image, meta)
        against = 'onnxruntime'
    print(f'wrote {args.out}: {against} vs torch max abs logit difference '
          f'{result["max_abs_diff"]:.2e}, argmax agreement '
          f'{100 * result["argmax_agreement"]:.3f}%')


if __name__ == '__main__':
    main()
