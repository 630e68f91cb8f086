"""CPU latency of CGNet inference paths against mmseg's CGNet, in one run.

Every path runs in this one process on the same weights, batch 1, fixed
torch threads, a warm-up then the median of N timed calls, at each input
size. Numerical agreement with cgnet_mm's eager fp32 logits is recorded
next to each time. Before timing, one large forward with autograd grows the
heap once for all paths: on this machine glibc's allocator state alone moved
CGNet's 1024x2048 time between ~1.5 s and ~0.6 s, and it must not favour a
path by its position in the run.

    python benchmarks/cpu_latency.py --out benchmarks/cpu_latency.json
"""
import argparse
import json
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from cgnet_mm.apis import build_segmentor
from cgnet_mm.deploy import ExportableSegmentor, export_onnx
from cgnet_mm.deploy.fuse import fold_batchnorm
from cgnet_mm.tools.benchmark import machine_info

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'cgnet_512x1024_60k_cityscapes.py')


def build(config: str, mmseg_backbone: bool) -> torch.nn.Module:
    cfg = Config.fromfile(config)
    if mmseg_backbone:
        cfg.model.backbone.type = 'CGNet'  # MMSegmentation's own
    return build_segmentor(cfg)


def paths(ours: torch.nn.Module, shape) -> dict:
    """name -> callable(image BGR float NCHW) -> logits, for each path."""
    eager = ExportableSegmentor(ours)
    fused = ExportableSegmentor(fold_batchnorm(ours))
    fused_cl = ExportableSegmentor(fold_batchnorm(ours)).to(
        memory_format=torch.channels_last)

    def bf16(x):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            return fused_cl(x.contiguous(memory_format=torch.channels_last))

    return {
        'cgnet_mm_eager_fp32': eager,
        'cgnet_mm_fused_fp32': fused,
        'cgnet_mm_fused_channels_last_fp32':
        lambda x: fused_cl(x.contiguous(memory_format=torch.channels_last)),
        'cgnet_mm_fused_bf16': bf16,
    }


def onnx_path(ours, shape, threads):
    import onnxruntime as ort
    tmp = tempfile.mkdtemp()
    path = osp.join(tmp, 'cgnet.onnx')
    export_onnx(ours, path, shape)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, opts,
                                   providers=['CPUExecutionProvider'])
    return lambda x: torch.from_numpy(
        session.run(None, {'image': x.numpy()})[0])


def time_call(fn, x, warmup, repeat) -> float:
    with torch.no_grad():
        for _ in range(warmup):
            fn(x)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn(x)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--checkpoint', help='weights (default: random, '
                        'seeded; speed does not depend on them)')
    parser.add_argument('--sizes', nargs='+', default=['360x480', '512x1024',
                                                        '1024x2048'])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--no-onnx', action='store_true')
    parser.add_argument('--out', default='benchmarks/cpu_latency.json')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = build(args.config, mmseg_backbone=False)
    ours.init_weights()
    if args.checkpoint:
        load_checkpoint(ours, args.checkpoint, map_location='cpu')
    theirs = build(args.config, mmseg_backbone=True)
    theirs.load_state_dict(ours.state_dict())
    sizes = [tuple(int(v) for v in s.split('x')) for s in args.sizes]
    largest = max(sizes, key=lambda s: s[0] * s[1])
    ExportableSegmentor(ours)(torch.rand(1, 3, *largest) * 255).sum()
    results = []
    for shape in sizes:
        x = torch.rand(1, 3, *shape) * 255
        with torch.no_grad():
            ref = ExportableSegmentor(ours)(x)
        candidates = {'mmseg_eager_fp32': ExportableSegmentor(theirs),
                      **paths(ours, shape)}
        if not args.no_onnx:
            candidates['onnxruntime_fp32'] = onnx_path(ours, shape,
                                                       args.threads)
        row = dict(size=list(shape), paths={})
        for name, fn in candidates.items():
            ms = time_call(fn, x, args.warmup, args.repeat)
            with torch.no_grad():
                out = fn(x).float()
            row['paths'][name] = dict(
                ms=round(ms, 2),
                max_abs_diff=float((out - ref).abs().max()),
                argmax_agreement=float(
                    (out.argmax(1) == ref.argmax(1)).float().mean()))
            print(f'{shape[0]}x{shape[1]} {name:36s} {ms:9.1f} ms',
                  file=sys.stderr, flush=True)
        base = row['paths']['mmseg_eager_fp32']['ms']
        for stats in row['paths'].values():
            stats['speedup_vs_mmseg'] = round(base / stats['ms'], 3)
        results.append(row)
    report = dict(machine=machine_info(args.threads),
                  python=platform.python_version(), warmup=args.warmup,
                  repeat=args.repeat, results=results)
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=2)
    print(json.dumps(report['results'], indent=1))


if __name__ == '__main__':
    main()
