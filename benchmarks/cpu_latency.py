"""CPU latency of CGNet inference paths against mmseg's CGNet, in one run.

The paths: mmseg's and cgnet_mm's eager models, cgnet_mm's fast paths,
onnxruntime, OpenVINO on the plain ONNX graph (fp32, and int8 quantized by
NNCF on the same calibration images as cgnet_mm's int8), and cgnet_mm's
OpenVINO IR (``cgnet-mm export --format openvino --int8 --no-resize``:
the BGR flip folded, the final resize by OpenVINOSegmentor) quantized
the same way; each skipped with its reason in the JSON when its packages
are missing.
Under each table: the fastest cgnet_mm path against OpenVINO + NNCF int8.

Every path runs in this one process on the same weights (the shipped
CamVid model by default), batch 1, fixed torch threads: a warm-up per path
(which also compiles the compiled paths for that size), then rounds in
which each path is timed once in turn, so drifts of a shared machine hit
every path alike; the median of the rounds is reported. Agreement with
cgnet_mm's eager fp32 logits (on the bundled photo, resized) is recorded
beside each time and, with CamVid at hand, each path's val mIoU.

glibc's allocator alone moved the 1024x2048 eager time between ~0.5 and
~1.5 s on this machine (returning large buffers to the OS and page-faulting
them back each call). By default the run first pins malloc's mmap and trim
thresholds for the whole process, which makes eager, mmseg's path included,
as fast and as stable as it gets; ``--malloc default`` leaves them.

Throughput: images/s over a stream of ``--stream`` images, for
cgnet_mm's int8 path (batches of ``--stream-batch``) and the two OpenVINO
int8 IRs (``PERFORMANCE_HINT=THROUGHPUT``: parallel requests from an
``AsyncInferQueue``; ours resizes each result in the queue's callback),
on the same threads, warmed up and interleaved the same way; a second
table.

    python -m benchmarks.cpu_latency --out benchmarks/cpu_latency.json \
        --update-readme docs/deployment.md
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor, shipped_checkpoint
from cgnet_mm.deploy import (ExportableSegmentor, FastSegmentor, export_onnx,
                             export_pt2)
from cgnet_mm.deploy.accuracy import camvid_miou
from cgnet_mm.deploy.fast import calibration_images
from cgnet_mm.deploy.fuse import fold_batchnorm
from cgnet_mm.deploy.onnx_export import real_looking_input
from cgnet_mm.deploy.openvino_export import (OpenVINOSegmentor,
                                             compile_model, convert,
                                             deploy_graph, quantize)
from cgnet_mm.deploy.wrapper import agreement, resize_logits
from cgnet_mm.utils.report import machine_info, update_readme, write_report

from .common import (REPO, cpu_flags, openvino_skip_reason, parse_size,
                     pin_malloc, time_paths)

PATHS = ('mmseg_eager_fp32', 'cgnet_mm_eager_fp32', 'cgnet_mm_bn_folded_fp32',
         'cgnet_mm_fast_fp32', 'cgnet_mm_fast_int8', 'cgnet_mm_pt2_int8',
         'onnxruntime_fp32', 'openvino_fp32', 'openvino_nncf_int8',
         'cgnet_mm_openvino_int8')
OPENVINO_PATHS = ('openvino_fp32', 'openvino_nncf_int8',
                  'cgnet_mm_openvino_int8')
STREAM_PATHS = ('cgnet_mm_fast_int8', 'openvino_nncf_int8',
                'cgnet_mm_openvino_int8')
PEER = 'openvino_nncf_int8'  # the peer to beat (docs/deployment.md)


def ort_session(path: str, threads: int):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # idle onnxruntime threads would otherwise spin on the cores the next
    # path in the round needs
    opts.add_session_config_entry('session.intra_op.allow_spinning', '0')
    session = ort.InferenceSession(path, opts,
                                   providers=['CPUExecutionProvider'])
    return lambda x: torch.from_numpy(
        session.run(None, {'image': x.numpy()})[0])


class Paths:
    """Builds each path once; the ONNX path per input size (static), the
    OpenVINO paths converted (and quantized) once with any input size and
    reshaped to each size (static) before compiling."""

    def __init__(self, args, ours, theirs, tmp):
        self.args, self.ours, self.tmp = args, ours, tmp
        self.align_corners = ours.decode_head.align_corners
        build = dict(
            mmseg_eager_fp32=lambda: ExportableSegmentor(theirs),
            cgnet_mm_eager_fp32=lambda: ExportableSegmentor(ours),
            cgnet_mm_bn_folded_fp32=lambda: ExportableSegmentor(
                fold_batchnorm(ours)),
            cgnet_mm_fast_fp32=lambda: FastSegmentor(ours, 'fp32'),
            cgnet_mm_fast_int8=lambda: FastSegmentor(ours, 'int8',
                                                     args.calibration),
            cgnet_mm_pt2_int8=self._pt2_int8)
        self.fixed = {name: make() for name, make in build.items()
                      if name in args.paths}
        self.openvino = self._openvino()

    def _pt2_int8(self):
        path = osp.join(self.tmp, 'int8.pt2')
        export_pt2(self.ours, path, 'int8', (360, 480), dynamic=True,
                   calibration=self.args.calibration)
        return torch._inductor.aoti_load_package(path)

    def _openvino(self) -> dict:
        """The OpenVINO models asked for: fp32 from the ONNX graph, int8 by
        NNCF on the calibration images at their own size (as cgnet_mm's
        int8 calibrates)."""
        wanted = [name for name in OPENVINO_PATHS if name in self.args.paths]
        if not wanted:
            return {}
        images = calibration_images(self.args.calibration)
        models = dict(openvino_fp32=convert(
            ExportableSegmentor(self.ours), (360, 480), True, self.tmp))
        if PEER in wanted:
            models[PEER] = quantize(models['openvino_fp32'].clone(), images)
        if 'cgnet_mm_openvino_int8' in wanted:
            folder = osp.join(self.tmp, 'ours')
            os.makedirs(folder)
            models['cgnet_mm_openvino_int8'] = quantize(convert(
                deploy_graph(self.ours, resize=False), (360, 480), True,
                folder), images)
        return {name: models[name] for name in wanted}

    def compiled(self, name: str, shape, hint: str = 'LATENCY'):
        """OpenVINO path ``name`` compiled for input ``shape``."""
        model = self.openvino[name].clone()
        model.reshape([1, 3, *shape])
        return compile_model(model, self.args.threads, hint)

    def at(self, shape) -> dict:
        paths = dict(self.fixed)
        if 'onnxruntime_fp32' in self.args.paths:
            path = osp.join(self.tmp, f'{shape[0]}x{shape[1]}.onnx')
            export_onnx(self.ours, path, shape)
            paths['onnxruntime_fp32'] = ort_session(path, self.args.threads)
        for name in self.openvino:
            paths[name] = OpenVINOSegmentor(self.compiled(name, shape),
                                            self.align_corners)
        return paths

    def streams(self, paths: dict, shape, x: torch.Tensor) -> dict:
        """name -> (run a stream of --stream images, how it runs them)."""
        runners = {}
        for name in STREAM_PATHS:
            if name in self.openvino:
                runners[name] = self._openvino_stream(name, shape, x)
            elif name in paths:
                runners[name] = self._batch_stream(paths[name], x)
        return runners

    def _batch_stream(self, fn, x):
        """The stream in batches of --stream-batch, one call each."""
        batch = torch.cat([x] * self.args.stream_batch)

        def run():
            for _ in range(self.args.stream // len(batch)):
                fn(batch)

        return run, dict(batch=len(batch))

    def _openvino_stream(self, name, shape, x):
        """Parallel requests of OpenVINO's THROUGHPUT hint, as many as it
        reports optimal, from an AsyncInferQueue."""
        from openvino import AsyncInferQueue
        compiled = self.compiled(name, shape, 'THROUGHPUT')
        queue, image = AsyncInferQueue(compiled), x.numpy()
        if name == 'cgnet_mm_openvino_int8':  # its IR leaves out the resize
            queue.set_callback(lambda request, _: resize_logits(
                torch.from_numpy(request.get_output_tensor(0).data), shape,
                self.align_corners))

        def run():
            for _ in range(self.args.stream):
                queue.start_async({0: image})
            queue.wait_all()

        return run, dict(requests=len(queue),
                         streams=int(compiled.get_property('NUM_STREAMS')))


def time_streams(runners: dict, images: int, repeat: int) -> dict:
    """Images/s of each stream runner: one warm-up stream each, then
    ``repeat`` interleaved rounds, median."""
    times = {name: [] for name in runners}
    with torch.no_grad():
        for run, _ in runners.values():
            run()
        for _ in range(repeat):
            for name, (run, _) in runners.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return {name: dict(images_per_s=round(images / statistics.median(t), 2),
                       **runners[name][1]) for name, t in times.items()}


def markdown(report: dict) -> str:
    m = report['machine']
    lines = [
        f'Measured by `benchmarks/cpu_latency.py` on {m["cpu"]} ({m["cores"]}'
        f' cores; {", ".join(m["cpu_flags"])}), {m["threads"]} torch threads, '
        f'torch {m["torch"]}, malloc {report["malloc"]}; batch 1, median of '
        f'{report["repeat"]} interleaved rounds after {report["warmup"]} '
        'warm-up calls. Speed-up is against mmseg\'s CGNet in the same run; '
        'max diff and agreement against cgnet_mm eager fp32 logits.', '',
        '| path | ' + ' | '.join(
            f'{r["size"][0]}x{r["size"][1]} ms (speed-up)'
            for r in report['results']) + ' | max abs diff | argmax agree | '
        'CamVid val mIoU |', '|' + ' --- |' * (len(report['results']) + 4)
    ]
    for name in report['results'][0]['paths']:
        stats = [r['paths'][name] for r in report['results']]
        cells = [f'{s["ms"]:.1f} ({s["speedup_vs_mmseg"]:.2f}x)'
                 for s in stats]
        diff = max(s['max_abs_diff'] for s in stats)
        agree = min(s['argmax_agreement'] for s in stats)
        miou = report.get('camvid_val_miou', {}).get(name)
        lines.append(f'| {name} | ' + ' | '.join(cells) + f' | {diff:.2g} | '
                     f'{100 * agree:.2f}% | '
                     f'{"-" if miou is None else f"{miou:.2f}"} |')
    against = [f'{r["size"][0]}x{r["size"][1]} {f["path"]} '
               f'{f["speedup_vs_peer"]:.2f}x' for r in report['results']
               for f in [r.get('fastest_cgnet_mm')] if f]
    if against:
        lines.append(f'\nFastest cgnet_mm path against {PEER} (its time / '
                     'ours): ' + ', '.join(against) + '.')
    lines += [f'\n{name} skipped: {why}.'
              for name, why in report.get('skipped', {}).items()]
    return '\n'.join(lines) + '\n'


def fastest_cgnet_mm(ms: dict):
    """The fastest cgnet_mm path and its speed-up over :data:`PEER`, or
    None without the peer."""
    if PEER not in ms:
        return None
    name = min((n for n in ms if n.startswith('cgnet_mm')), key=ms.get)
    return dict(path=name, speedup_vs_peer=round(ms[PEER] / ms[name], 3))


def throughput_markdown(report: dict) -> str:
    """The stream table, or '' when no stream ran."""
    rows = [r for r in report['results'] if r.get('throughput')]
    if not rows:
        return ''
    hint = 'THROUGHPUT hint, {requests} parallel requests in {streams} streams'
    how = dict(cgnet_mm_fast_int8='batches of {batch}',
               openvino_nncf_int8=hint,
               cgnet_mm_openvino_int8=hint + ', resize by OpenVINOSegmentor')
    lines = [
        f'Throughput: images/s over a stream of {report["stream"]} copies of '
        'the bundled photo at each size, on the threads above, median of '
        f'{report["repeat"]} interleaved rounds after one warm-up stream.',
        '', '| path | ' + ' | '.join(
            f'{r["size"][0]}x{r["size"][1]} images/s' for r in rows) +
        ' | how |', '|' + ' --- |' * (len(rows) + 2)
    ]
    for name in rows[0]['throughput']:
        stats = [r['throughput'][name] for r in rows]
        lines.append(f'| {name} | ' + ' | '.join(
            f'{s["images_per_s"]:.1f}' for s in stats) +
            f' | {how[name].format(**stats[0])} |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    config, ckpt = shipped_checkpoint()
    parser.add_argument('--config', default=config)
    parser.add_argument('--checkpoint', default=ckpt)
    parser.add_argument('--sizes', nargs='+', default=['360x480', '512x1024',
                                                        '1024x2048'])
    parser.add_argument('--paths', nargs='+', choices=PATHS, default=PATHS,
                        help='mmseg_eager_fp32 and cgnet_mm_eager_fp32 '
                        'always run')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--malloc', choices=('pinned', 'default'),
                        default='pinned')
    parser.add_argument('--camvid', default=osp.join(REPO, 'data', 'camvid'),
                        help='CamVid root: val mIoU of each path at 360x480 '
                        '(skipped when it does not exist)')
    parser.add_argument('--calibration', help='int8 calibration images '
                        '(default: <camvid>/train, else the bundled scene)')
    parser.add_argument('--stream', type=int, default=8,
                        help='images per throughput stream (0: no '
                        'throughput table)')
    parser.add_argument('--stream-batch', type=int, default=1,
                        help='batch of cgnet_mm_fast_int8 in the stream '
                        '(> 1 needs its graph captured with any batch)')
    parser.add_argument('--out', default='benchmarks/cpu_latency.json')
    parser.add_argument('--update-readme', metavar='README',
                        help='rewrite its cpu-latency and cpu-throughput '
                        'blocks with the tables (docs/deployment.md)')
    args = parser.parse_args(argv)
    if args.stream < 0 or args.stream_batch < 1 or \
            args.stream % args.stream_batch:
        parser.error('--stream must be a multiple of --stream-batch >= 1')
    args.paths = ['mmseg_eager_fp32', 'cgnet_mm_eager_fp32'] + [
        p for p in args.paths if p not in ('mmseg_eager_fp32',
                                           'cgnet_mm_eager_fp32')]
    if args.calibration is None and osp.isdir(osp.join(args.camvid,
                                                       'train')):
        args.calibration = osp.join(args.camvid, 'train')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.malloc == 'pinned':
        pin_malloc()
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    ours = build_segmentor(cfg, args.checkpoint)
    cfg.model.backbone.type = 'CGNet'  # MMSegmentation's own
    theirs = build_segmentor(cfg)
    theirs.load_state_dict(ours.state_dict())
    sizes = [parse_size(s) for s in args.sizes]
    report = dict(
        machine=dict(machine_info(args.threads), cpu_flags=cpu_flags()),
        config=osp.basename(args.config), malloc=args.malloc,
        calibration=args.calibration or 'bundled scene',
        warmup=args.warmup, repeat=args.repeat, stream=args.stream,
        results=[], skipped={})
    why = openvino_skip_reason()
    if why:
        report['skipped'] = {name: why for name in OPENVINO_PATHS
                             if name in args.paths}
        args.paths = [p for p in args.paths if p not in OPENVINO_PATHS]
    with tempfile.TemporaryDirectory() as tmp:
        built = Paths(args, ours, theirs, tmp)
        for shape in sizes:
            paths = built.at(shape)
            x = real_looking_input(shape)  # the bundled photo, resized
            with torch.no_grad():
                ref = paths['cgnet_mm_eager_fp32'](x)
            ms, first = time_paths(paths, x, args.warmup, args.repeat)
            row = dict(size=list(shape), paths={},
                       fastest_cgnet_mm=fastest_cgnet_mm(ms))
            for name, fn in paths.items():
                with torch.no_grad():
                    figures = agreement(fn(x).float(), ref)
                row['paths'][name] = dict(
                    ms=round(ms[name], 2),
                    speedup_vs_mmseg=round(ms['mmseg_eager_fp32'] / ms[name],
                                           3),
                    first_call_s=round(first[name], 2), **figures)
                print(f'{shape[0]}x{shape[1]} {name:26s} {ms[name]:8.1f} ms',
                      file=sys.stderr, flush=True)
            if args.stream:
                row['throughput'] = time_streams(
                    built.streams(paths, shape, x), args.stream, args.repeat)
                for name, stats in row['throughput'].items():
                    print(f'{shape[0]}x{shape[1]} {name:26s} '
                          f'{stats["images_per_s"]:8.1f} images/s',
                          file=sys.stderr, flush=True)
            report['results'].append(row)
            if shape == (360, 480) and osp.isdir(
                    osp.join(args.camvid, 'val')):
                report['camvid_val_miou'] = {
                    name: round(camvid_miou(fn, args.camvid), 2)
                    for name, fn in paths.items()}
                print(f'CamVid val mIoU: {report["camvid_val_miou"]}',
                      file=sys.stderr, flush=True)
    latency, stream = markdown(report), throughput_markdown(report)
    write_report(report, latency + '\n' * bool(stream) + stream, args.out)
    if args.update_readme:
        update_readme(args.update_readme, latency, 'cpu-latency')
        if stream:
            update_readme(args.update_readme, stream, 'cpu-throughput')


if __name__ == '__main__':
    main()
