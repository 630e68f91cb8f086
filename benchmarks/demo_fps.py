"""Frames per second of ``cgnet-mm demo`` on a video: CGNet and SGCPNet,
eager and ``--fast int8``, at 360x480 and 1024x2048, in one interleaved
run on this CPU.

Each frame takes the demo's own path (``cgnet_mm.tools.demo.run_stream``):
decode, ``segment()``, overlay, encode into an .mp4. The videos are the
bundled CamVid scene panning, written here with OpenCV. At 360x480 the
models are the zoo's CamVid weights (their test pipeline keeps 360x480).
A CamVid model would shrink a 1024x2048 frame to 240x480 first, so at
1024x2048 each family's Cityscapes config runs at full resolution, as the
papers' frame rates are measured, with random weights: the time does not
depend on their values. Every model is built and run once on each of its
frames' sizes before timing (compiling, for int8); then rounds of every
(model, mode, size) in turn, median frames/s over the rounds.

    python -m benchmarks.demo_fps --out benchmarks/demo_fps.json \
        --update-readme docs/benchmarks.md
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile

import cv2
import numpy as np
import torch
from mmengine.config import Config

from cgnet_mm.apis import DEMO_IMAGE, build_segmentor, init_segmentor
from cgnet_mm.apis.video import FrameSource, VideoWriter
from cgnet_mm.tools.demo import run_stream
from cgnet_mm.utils.report import machine_info, write_report

from .common import REPO, cpu_flags, parse_size, pin_malloc

CONFIGS = osp.join(REPO, 'configs')
# name: (CamVid zoo entry, Cityscapes config)
MODELS = {
    'CGNet (M3N21)': ('cgnet_360x360_4k_camvid_cpu',
                      'cgnet_512x1024_60k_cityscapes.py'),
    'SGCPNet': ('sgcpnet_360x360_4k_camvid_cpu',
                'sgcpnet_1024x1024_29k_cityscapes.py'),
}
MODES = ('eager', 'int8')
CAMVID_SIZE = (360, 480)


def write_scene_video(path: str, size: tuple, frames: int) -> str:
    """The bundled scene resized to ``size`` (h, w), panning right, as an
    mp4v video at 30 frames/s."""
    height, width = size
    scene = cv2.resize(cv2.imread(DEMO_IMAGE), (width, height))
    writer = VideoWriter(path, 'mp4v', 30.0)
    for i in range(frames):
        writer.write(np.roll(scene, i * width // 40, axis=1))
    writer.close()
    return path


def random_checkpoint(config: str, path: str) -> str:
    """A checkpoint of ``config``'s model with its initial weights."""
    torch.manual_seed(0)
    model = build_segmentor(Config.fromfile(config))
    model.init_weights()
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def play(model, video: str, out: str) -> float:
    """One pass of the demo over ``video``; frames/s of the whole loop."""
    writer = VideoWriter(out, 'mp4v', 30.0)
    try:
        stats = run_stream(model, FrameSource(video), lambda _, o:
                           writer.write(o))
    finally:
        writer.close()
    return stats['frames'] / (stats['first_s'] + stats['rest_s'])


def markdown(report: dict) -> str:
    m = report['machine']
    sizes = [f'{h}x{w}' for h, w in report['sizes']]
    lines = [
        f'Measured by `benchmarks/demo_fps.py` on {m["cpu"]} ({m["cores"]} '
        f'cores; {", ".join(m["cpu_flags"])}), {m["threads"]} torch threads, '
        f'torch {m["torch"]}: frames/s of `cgnet-mm demo VIDEO` (decode, '
        'segment, overlay, encode .mp4), median of '
        f'{report["rounds"]} interleaved rounds of {report["frames"]} '
        'frames per video. 360x480: the zoo\'s CamVid weights; 1024x2048: '
        'the Cityscapes config at full resolution with random weights '
        '(the speed does not depend on them).', '',
        '| model | ' + ' | '.join(f'{s} fps eager / int8' for s in sizes) +
        ' |', '|' + ' --- |' * (len(sizes) + 1)]
    for name, row in report['models'].items():
        cells = [' / '.join(f'{row[s][mode]:.2f}' if mode in row[s] else '-'
                            for mode in MODES) for s in sizes]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', choices=list(MODELS),
                        default=list(MODELS))
    parser.add_argument('--sizes', nargs='+',
                        default=['360x480', '1024x2048'])
    parser.add_argument('--modes', nargs='+', choices=MODES, default=MODES)
    parser.add_argument('--frames', type=int, default=8,
                        help='frames per video and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', default='benchmarks/demo_fps.json')
    parser.add_argument('--update-readme', metavar='README',
                        help='rewrite its demo-fps block with the table '
                        '(docs/benchmarks.md)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    pin_malloc()
    torch.set_num_threads(args.threads)
    sizes = [parse_size(s) for s in args.sizes]
    work = tempfile.mkdtemp(prefix='cgnet_mm_demo_fps.')
    videos = {size: write_scene_video(osp.join(work, f'{size[0]}x{size[1]}'
                                               '.mp4'), size, args.frames)
              for size in sizes}
    runs = {}
    for name in args.models:
        zoo_name, cityscapes = MODELS[name]
        city_ckpt = random_checkpoint(osp.join(CONFIGS, cityscapes),
                                      osp.join(work, f'{zoo_name}.pth'))
        for size in sizes:
            config, ckpt = (zoo_name, None) if size == CAMVID_SIZE else (
                osp.join(CONFIGS, cityscapes), city_ckpt)
            for mode in args.modes:
                print(f'{name} {mode} {size[0]}x{size[1]}: building and '
                      'warming up', file=sys.stderr, flush=True)
                model = init_segmentor(config, ckpt,
                                       fast=None if mode == 'eager' else mode)
                play(model, videos[size], osp.join(work, 'warm.mp4'))
                runs[name, mode, size] = model
    fps = {key: [] for key in runs}
    for r in range(args.rounds):
        for (name, mode, size), model in runs.items():
            fps[name, mode, size].append(play(
                model, videos[size], osp.join(work, 'out.mp4')))
            print(f'round {r + 1}: {name} {mode} {size[0]}x{size[1]} '
                  f'{fps[name, mode, size][-1]:.2f} frames/s',
                  file=sys.stderr, flush=True)
    report = dict(machine=dict(machine_info(args.threads),
                               cpu_flags=cpu_flags()),
                  sizes=[list(s) for s in sizes], frames=args.frames,
                  rounds=args.rounds, models={})
    for (name, mode, size), values in fps.items():
        report['models'].setdefault(name, {}).setdefault(
            f'{size[0]}x{size[1]}', {})[mode] = round(
                statistics.median(values), 2)
    write_report(report, markdown(report), args.out, args.update_readme,
                 block='demo-fps')


if __name__ == '__main__':
    main()
