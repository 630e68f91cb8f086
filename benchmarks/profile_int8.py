"""Where the int8 CPU paths spend their time, layer by layer: OpenVINO +
NNCF int8 on the plain ONNX graph and on cgnet_mm's IR (``--no-resize``;
OpenVINO's per-node performance counters, plus the resize our
``OpenVINOSegmentor`` does) and cgnet_mm's fast int8 path
(torch's profiler, with inductor's generated C++ kernels named), on the
same weights, calibration images and input size.

Issue 12 asks for a fastest CPU path 1.3x ahead of OpenVINO's int8 and to
profile before optimising; this is that profile. Every path is warmed up,
then each runs ``--repeat`` times; times are per call, summed per node (or
kernel, oneDNN convolutions per input and weight shape) and grouped by
kind. Profiler overhead makes the sums exceed the latency of an unprofiled
call; compare shares, not totals with ``benchmarks.cpu_latency``. Run it
with nothing else on the CPU.

    python -m benchmarks.profile_int8 --size 1024x2048 \
        --calibration data/camvid/train --out benchmarks/profile_int8.json \
        --update-readme docs/deployment.md
"""
import argparse
import collections
import os.path as osp
import tempfile
import time

import torch
from mmengine.config import Config
from torch._inductor import config as inductor_config

from cgnet_mm.apis import build_segmentor, shipped_checkpoint
from cgnet_mm.deploy import ExportableSegmentor, FastSegmentor
from cgnet_mm.deploy.fast import calibration_images
from cgnet_mm.deploy.onnx_export import real_looking_input
from cgnet_mm.deploy.openvino_export import (compile_model, convert,
                                             deploy_graph, quantize)
from cgnet_mm.deploy.wrapper import resize_logits
from cgnet_mm.utils.report import machine_info, write_report

from .common import REPO, openvino_skip_reason, parse_size, pin_malloc

WARMUP = 2
# the OpenVINO paths: the plain graph (the peer) and ours, whose logits
# OpenVINOSegmentor resizes (resize_logits)
OPENVINO_GRAPHS = dict(
    openvino_nncf_int8=ExportableSegmentor,
    cgnet_mm_openvino_int8=lambda model: deploy_graph(model, resize=False))
OUR_RESIZE = 'resize_logits (OpenVINOSegmentor)'


def openvino_profile(graph, images, shape, threads, repeat) -> dict:
    """ms per call of each OpenVINO node of ``graph`` quantized by NNCF,
    and of our resize when the graph leaves it out."""
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = convert(graph, (360, 480), True, tmp)
    int8 = quantize(fp32, images)
    int8.reshape([1, 3, *shape])
    request = compile_model(int8, threads,
                            perf_count=True).create_infer_request()
    image = real_looking_input(shape).numpy()
    nodes = collections.Counter()
    kinds = {OUR_RESIZE: 'resize_logits'}
    for call in range(WARMUP + repeat):
        logits = torch.from_numpy(request.infer({0: image})[0])
        start = time.perf_counter()
        resize_logits(logits, shape, graph.align_corners)
        if call < WARMUP:
            continue
        if not graph.resize:
            nodes[OUR_RESIZE] += (time.perf_counter() - start) * 1e3 / repeat
        for info in request.get_profiling_info():
            if info.status == info.Status.EXECUTED:
                nodes[info.node_name] += \
                    info.real_time.total_seconds() * 1e3 / repeat
                kinds[info.node_name] = f'{info.node_type} ({info.exec_type})'
    return {name: (kinds[name], ms) for name, ms in nodes.items()}


def torch_profile(model, images, shape, repeat) -> dict:
    """ms per call of each profiler event (self time) of cgnet_mm's int8
    path; inductor's C++ kernels appear under their generated names, oneDNN
    convolutions with their input and weight shapes (on the torch threads
    the caller set)."""
    with inductor_config.patch({'cpp.enable_kernel_profile': True}):
        fast = FastSegmentor(model, 'int8', images)
        image = real_looking_input(shape)
        for _ in range(WARMUP):
            fast(image)
        with torch.profiler.profile(
                activities=[torch.profiler.ProfilerActivity.CPU],
                record_shapes=True) as prof:
            for _ in range(repeat):
                fast(image)
    events = collections.defaultdict(lambda: [None, 0.0])
    for event in prof.key_averages(group_by_input_shape=True):
        if event.self_cpu_time_total > 0:
            name = event.key
            if 'conv' in name:
                shapes = [s for s in event.input_shapes if len(s) == 4]
                name += ' ' + ' * '.join(map(str, shapes[:2]))
            events[name][0] = kind_of(event.key)
            events[name][1] += event.self_cpu_time_total / 1e3 / repeat
    return {name: tuple(entry) for name, entry in events.items()}


def kind_of(key: str) -> str:
    """A torch profiler event's kind: the fused ops of an inductor kernel
    name, or the op itself."""
    if 'cpp_fused' in key:
        return 'inductor ' + key.split('cpp_fused_')[-1].rstrip('_0123456789')
    return key


def summary(nodes: dict, top: int) -> dict:
    by_kind = collections.Counter()
    for kind, ms in nodes.values():
        by_kind[kind] += ms
    return dict(
        total_ms=round(sum(ms for _, ms in nodes.values()), 2),
        by_kind=[[kind, round(ms, 2)] for kind, ms in by_kind.most_common()],
        top=[[name, kind, round(ms, 2)] for name, (kind, ms) in sorted(
            nodes.items(), key=lambda item: -item[1][1])[:top]])


def markdown(report: dict, top: int) -> str:
    m = report['machine']
    h, w = report['size']
    lines = [f'Measured by `benchmarks/profile_int8.py` on {m["cpu"]} '
             f'({m["cores"]} cores), {report["threads"]} threads, batch 1, '
             f'{h}x{w}, {report["repeat"]} profiled calls after {WARMUP} '
             'warm-up calls; ms per call summed per kind (profiler overhead '
             'included).']
    for path, why in report.get('skipped', {}).items():
        lines += ['', f'{path}: skipped ({why})']
    for path, stats in report['paths'].items():
        lines += ['', f'{path}: {stats["total_ms"]:.1f} ms per call, summed '
                  'over nodes', '', '| kind | ms | share |',
                  '| --- | --- | --- |']
        lines += [f'| {kind} | {ms:.1f} | '
                  f'{100 * ms / stats["total_ms"]:.1f}% |'
                  for kind, ms in stats['by_kind'][:top]]
        lines += ['', '| node (or kernel, with shapes) | ms |',
                  '| --- | --- |']
        lines += [f'| {name[:100]} | {ms:.1f} |'
                  for name, _, ms in stats['top'][:top]]
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    config, ckpt = shipped_checkpoint()
    parser.add_argument('--config', default=config)
    parser.add_argument('--checkpoint', default=ckpt)
    parser.add_argument('--size', default='1024x2048')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('--calibration', default=osp.join(
        REPO, 'data', 'camvid', 'train'), help='int8 calibration images '
        '(the bundled scene when the folder does not exist)')
    parser.add_argument('--out', default='benchmarks/profile_int8.json')
    parser.add_argument('--update-readme', metavar='README',
                        help='rewrite its int8-profile block with the '
                        'tables (docs/deployment.md)')
    args = parser.parse_args(argv)
    shape = parse_size(args.size)
    calibration = args.calibration if osp.isdir(args.calibration) else None
    pin_malloc()
    torch.set_num_threads(args.threads)
    model = build_segmentor(Config.fromfile(args.config), args.checkpoint)
    report = dict(machine=machine_info(args.threads), size=list(shape),
                  threads=args.threads, repeat=args.repeat,
                  calibration=calibration or 'bundled scene', paths={})
    images = calibration_images(calibration)  # read once for every path
    why = openvino_skip_reason()
    if why:
        report['skipped'] = {path: why for path in OPENVINO_GRAPHS}
    else:
        for path, graph in OPENVINO_GRAPHS.items():
            report['paths'][path] = summary(openvino_profile(
                graph(model), images, shape, args.threads, args.repeat),
                args.top)
    report['paths']['cgnet_mm_fast_int8'] = summary(torch_profile(
        model, images, shape, args.repeat), args.top)
    write_report(report, markdown(report, args.top), args.out,
                 args.update_readme, block='int8-profile')


if __name__ == '__main__':
    main()
