"""The model family side by side on one CPU: parameters and FLOPs (19
classes, 1024x2048, the Cityscapes setting papers report), batch-1 CPU
latency of eager, fast fp32 and fast int8 inference, CamVid val mIoU of
our trained weights, and each paper's own figures beside them (labelled as
the paper's; never measured here).

Latency is timed as ``benchmarks.cpu_latency`` times it (same process, malloc
pinned, warm-up then interleaved rounds over every model and path, median)
on each family's CamVid weights from the zoo, or on its CamVid config with
random weights where none are trained yet (mIoU then "-").

    python -m benchmarks.family --out benchmarks/family.json \
        --update-readme docs/benchmarks.md
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor, shipped_checkpoint
from cgnet_mm.deploy import ExportableSegmentor, FastSegmentor
from cgnet_mm.deploy.accuracy import camvid_miou
from cgnet_mm.deploy.onnx_export import real_looking_input
from cgnet_mm.utils.report import machine_info, write_report
from cgnet_mm.utils.zoo import ZooError

from .common import REPO, cpu_flags, parse_size, pin_malloc, time_paths

CONFIGS = osp.join(REPO, 'configs')
MODES = ('eager', 'fast_fp32', 'fast_int8')

# name: (Cityscapes config, CamVid zoo entry, CamVid config, the paper's
# figures as the paper states them)
FAMILY = {
    'CGNet (M3N21)': (
        'cgnet_512x1024_60k_cityscapes.py', 'cgnet_360x360_4k_camvid_cpu',
        'cgnet_360x360_4k_camvid_cpu.py',
        '< 0.5 M params; 64.8 Cityscapes test, 65.6 CamVid test; 50 fps at '
        '1024x2048 on a Tesla K80 (Wu et al., TIP 2020)'),
    'SGCPNet': (
        'sgcpnet_1024x1024_29k_cityscapes.py',
        'sgcpnet_360x360_4k_camvid_cpu', 'sgcpnet_360x360_4k_camvid_cpu.py',
        '0.61 M params; 69.5 Cityscapes test; 178.5 FPS at 768x1536 on a '
        'GTX 1080 Ti (Hao et al., TNNLS 2022)'),
    'CGRSeg-T': (
        'cgrseg_t_512x1024_160k_cityscapes.py',
        'cgrseg_t_360x360_1500_camvid_cpu',
        'cgrseg_t_360x360_1500_camvid_cpu.py',
        '9.4 M params, 4.0 GFLOPs at 512x512; 43.6 ADE20K val, with an '
        'ImageNet backbone (Ni et al., ECCV 2024)'),
    'FRM (VAN-B0)': (
        'frm_van-b0_1024x1024_160k_cityscapes.py',
        'frm_van-b0_360x360_600_camvid_cpu',
        'frm_van-b0_360x360_600_camvid_cpu.py',
        '214.82 GFLOPs (input size not stated); 80.4 Cityscapes test '
        '(arXiv 2412.08670)'),
}


def costs(config: str) -> dict:
    """Parameters and mmengine FLOPs of the 19-class model at 1024x2048."""
    model = build_segmentor(Config.fromfile(config))
    info = get_model_complexity_info(model, input_shape=(3, 1024, 2048),
                                     show_table=False, show_arch=False)
    return dict(params=int(info['params']), flops_1024x2048=int(info['flops']))


def camvid_model(zoo_name: str, config: str):
    """(model, weights label): the zoo's trained weights, else the CamVid
    config with its own random initialisation."""
    try:
        config, ckpt = shipped_checkpoint(zoo_name)
    except ZooError:
        torch.manual_seed(0)
        model = build_segmentor(Config.fromfile(config))
        model.init_weights()
        return model, None
    return build_segmentor(Config.fromfile(config), ckpt), zoo_name


def markdown(report: dict) -> str:
    m = report['machine']
    sizes = [f'{h}x{w}' for h, w in report['sizes']]
    lines = [
        f'Measured by `benchmarks/family.py` on {m["cpu"]} ({m["cores"]} '
        f'cores; {", ".join(m["cpu_flags"])}), {m["threads"]} torch threads, '
        f'torch {m["torch"]}; params and FLOPs (mmengine, 1 multiply-add = 1 '
        'FLOP) for 19 classes at 1024x2048; batch-1 CPU latency (median of '
        f'{report["repeat"]} interleaved rounds) on the CamVid weights; '
        'CamVid val mIoU of our weights (single scale, 360x480). The last '
        'column is the paper\'s, not ours.', '',
        '| model | params | GFLOPs | ' + ' | '.join(
            f'{s} ms eager / fp32 / int8' for s in sizes) +
        ' | CamVid val mIoU (ours) | the paper\'s figures |',
        '|' + ' --- |' * (len(sizes) + 5)
    ]
    for name, row in report['models'].items():
        cells = [' / '.join(f'{row["ms"][s][mode]:.1f}' if mode in row['ms'][s]
                            else '-' for mode in MODES) for s in sizes]
        miou = row['camvid_val_miou']
        lines.append(
            f'| {name} | {row["params"] / 1e6:.3f} M | '
            f'{row["flops_1024x2048"] / 1e9:.2f} | ' + ' | '.join(cells) +
            f' | {"- (untrained)" if miou is None else f"{miou:.2f}"} | '
            f'{row["paper"]} |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', choices=list(FAMILY),
                        default=list(FAMILY))
    parser.add_argument('--sizes', nargs='+', default=['360x480',
                                                        '1024x2048'])
    parser.add_argument('--modes', nargs='+', choices=MODES, default=MODES)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--camvid', default=osp.join(REPO, 'data', 'camvid'),
                        help='CamVid root: val mIoU and int8 calibration on '
                        'its train images (else the bundled scene)')
    parser.add_argument('--out', default='benchmarks/family.json')
    parser.add_argument('--update-readme', metavar='README',
                        help='rewrite its family block with the table '
                        '(docs/benchmarks.md)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    pin_malloc()
    torch.set_num_threads(args.threads)
    train = osp.join(args.camvid, 'train')
    calibration = train if osp.isdir(train) else None
    has_val = osp.isdir(osp.join(args.camvid, 'val'))
    sizes = [parse_size(s) for s in args.sizes]
    report = dict(
        machine=dict(machine_info(args.threads), cpu_flags=cpu_flags()),
        sizes=[list(s) for s in sizes], warmup=args.warmup,
        repeat=args.repeat, calibration=calibration or 'bundled scene',
        models={})
    paths = {}
    for name in args.models:
        cityscapes, zoo_name, camvid_config, paper = FAMILY[name]
        print(f'{name}: building', file=sys.stderr, flush=True)
        model, weights = camvid_model(zoo_name, f'{CONFIGS}/{camvid_config}')
        eager = ExportableSegmentor(model)
        report['models'][name] = dict(
            costs(f'{CONFIGS}/{cityscapes}'), weights=weights, paper=paper,
            camvid_val_miou=round(camvid_miou(eager, args.camvid), 2)
            if weights and has_val else None, ms={})
        build = dict(eager=lambda: eager,
                     fast_fp32=lambda: FastSegmentor(model, 'fp32'),
                     fast_int8=lambda: FastSegmentor(model, 'int8',
                                                     calibration))
        paths.update({(name, mode): build[mode]() for mode in args.modes})
    for shape in sizes:
        size = f'{shape[0]}x{shape[1]}'
        ms, _ = time_paths(paths, real_looking_input(shape), args.warmup,
                           args.repeat)
        for (name, mode), value in ms.items():
            report['models'][name]['ms'].setdefault(size, {})[mode] = round(
                value, 2)
            print(f'{size} {name:16s} {mode:10s} {value:8.1f} ms',
                  file=sys.stderr, flush=True)
    write_report(report, markdown(report), args.out, args.update_readme,
                 block='family')


if __name__ == '__main__':
    main()
