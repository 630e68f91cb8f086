"""Segment an image, a folder of images, a video or a camera; write colour
overlays and a legend of the classes found (``<out>_legend.png``).

Works offline on a fresh install: the default model is the CamVid CGNet
whose weights ship inside the package, the default input a bundled road
scene. What comes out follows what goes in:

- an image: an overlay image (default ``cgnet_demo.png``), the image's
  size; grayscale, RGBA and 16-bit images work;
- a folder: a folder of PNG overlays named as the images (default
  ``cgnet_demo/``);
- a video file (anything OpenCV reads) or a camera index (``0``): an
  overlaid video at the source's frame rate (default ``cgnet_demo.mp4``;
  ``.avi`` writes MJPG, ``.mkv`` lossless FFV1).

Every frame goes through ``cgnet_mm.apis.segment``, as a single image
would. Progress and frames/s go to stderr, the mean frames/s is printed at
the end. ``--show`` shows each overlay in a window; ``q``/Esc there, or
``--frames N``, ends the run normally and keeps what was written. Outputs
appear whole or not at all: Ctrl-C or a kill leaves none, except with a
camera, which has no last frame, so Ctrl-C is its normal end and the video
so far is kept. ``--fast int8`` (or ``fp32``) segments with a
CPU-optimised model; it compiles first (~20-40 s), so it pays off on
streams and many images, not on one.
"""
import argparse
import os
import os.path as osp
import sys
import time
from typing import Optional, Sequence, Tuple

from cgnet_mm.tools.args import add_fast_args
from cgnet_mm.utils import BadValueError, cli
from cgnet_mm.utils.atomic import (UnwritableError, atomic_dir, atomic_path,
                                   check_writable)

DEFAULT_OUT = {'image': 'cgnet_demo.png', 'folder': 'cgnet_demo',
               'video': 'cgnet_demo.mp4', 'camera': 'cgnet_demo.mp4'}
WINDOW = 'cgnet-mm demo (q or Esc stops)'


def check_out(out: str, kind: str) -> None:
    """``out`` suits an input of ``kind`` (an image name for an image, a
    video name for a video or camera, a folder name for a folder) and can
    be written."""
    import cv2  # cv2 and cgnet_mm.apis imported on use: keeps --help fast

    from cgnet_mm.apis.video import IMAGE_SUFFIXES, VIDEO_CODECS, \
        check_video_out
    ext = osp.splitext(out)[1].lower()
    if kind == 'image':
        if not ext or not cv2.haveImageWriter(out):
            raise BadValueError(
                f'--out {out!r} has no image extension cv2 can write; use '
                f'e.g. {osp.splitext(out)[0]}.png')
        check_writable(out)
    elif kind == 'folder':
        if ext in IMAGE_SUFFIXES or ext in VIDEO_CODECS:
            raise BadValueError(
                f'--out {out!r} names a file, but a folder of images gives '
                'a folder of overlays; give a folder name, e.g. '
                f'{osp.splitext(out)[0]}')
    else:
        check_video_out(out)
        check_writable(out)


def check_display() -> None:
    """``--show`` needs a screen: OpenCV's window would otherwise abort
    the process (Qt cannot connect to a display)."""
    if sys.platform.startswith('linux') and not (
            os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        raise BadValueError('--show needs a display, and this session has '
                            'none (DISPLAY is not set); drop --show, the '
                            'output is written either way')


class Progress:
    """One line on stderr: frames done (of how many, when known), frames/s
    and the time left. The rate counts from the end of the first frame,
    which with ``--fast`` includes compiling. Redrawn at most 4 times a
    second on a terminal, and every 10 s otherwise (logs stay short)."""

    def __init__(self, total: Optional[int]) -> None:
        self.total, self.done, self.shown_done = total, 0, 0
        self.start = self.shown = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if self.done == 1:
            self.start = now
        if self.done == 1 or now - self.shown >= (0.25 if self.tty
                                                   else 10.0):
            self.shown = now
            self.show(now)

    def show(self, now: float, end: str = '') -> None:
        self.shown_done = self.done
        text = f'{self.done}/{self.total or "?"} frames'
        if self.done > 1:
            rate = (self.done - 1) / max(now - self.start, 1e-9)
            text += f', {rate:.1f} frames/s'
            if self.total:
                text += f', {max(self.total - self.done, 0) / rate:.0f} s left'
        print(('\r' if self.tty else '') + text, end=end or
              ('' if self.tty else '\n'), file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.tty or self.done != self.shown_done:
            self.show(time.perf_counter(), end='\n')


def run_stream(model, source, sink, show: bool = False,
               frames: Optional[int] = None) -> dict:
    """Segments ``source``'s frames and hands each overlay to
    ``sink(name, overlay)``. Returns the frame count, every class seen,
    and the seconds of the first frame and of all the others: the whole
    loop (reading, segmenting, drawing, writing) and ``segment()`` alone.
    The first is kept apart because a ``--fast`` model compiles on it."""
    import cv2
    import numpy as np

    from cgnet_mm.apis import draw_overlay, segment
    stream = source.kind != 'image'
    progress = Progress(min(filter(None, (source.count, frames)),
                            default=None)) if stream else None
    seen = np.zeros(256, bool)
    stats = dict(frames=0, first_s=0.0, rest_s=0.0, rest_segment_s=0.0)
    try:
        for name, frame in source:
            tic = time.perf_counter()
            label = segment(model, frame)
            toc = time.perf_counter()
            seen[np.unique(label)] = True
            overlay = draw_overlay(frame, label, model)
            sink(name, overlay)
            if stats['frames']:
                stats['rest_s'] += time.perf_counter() - tic
                stats['rest_segment_s'] += toc - tic
            else:
                stats['first_s'] = time.perf_counter() - tic
            stats['frames'] += 1
            if progress:
                progress.update()
            if show:
                cv2.imshow(WINDOW, overlay)
                if cv2.waitKey(1 if stream else 0) & 0xFF in (ord('q'), 27):
                    break
            if frames and stats['frames'] >= frames:
                break
    except KeyboardInterrupt:
        if source.kind != 'camera':
            raise
    finally:
        source.close()
        if show:
            cv2.destroyAllWindows()
    if progress:
        progress.finish()
    stats['classes'] = np.flatnonzero(seen)
    return stats


def demo(image: Optional[str] = None, out: Optional[str] = None,
         config: Optional[str] = None, checkpoint: Optional[str] = None,
         device: str = 'cpu', fast: Optional[str] = None,
         calibration: Optional[str] = None, show: bool = False,
         frames: Optional[int] = None) -> Tuple[str, str, dict]:
    """Writes the overlays (an image, a folder or a video, each
    atomically) and the legend; returns their paths and the stream's
    statistics (:func:`run_stream`). ``image`` is any input the module
    docstring lists (default: the bundled scene); ``config`` a config file
    or a zoo model name."""
    import cv2

    from cgnet_mm.apis import DEMO_IMAGE, draw_legend, init_segmentor
    from cgnet_mm.apis.video import FrameSource, VideoWriter, \
        check_video_out, input_kind
    image = DEMO_IMAGE if image is None else str(image)
    kind = input_kind(image)
    out = str(out or DEFAULT_OUT[kind])
    check_out(out, kind)
    if show:
        check_display()
    source = FrameSource(image)  # a bad input is refused before the model
    try:
        if kind in ('image', 'folder'):
            next(iter(source))
        model = init_segmentor(config, checkpoint, device, fast, calibration)
    except BaseException:
        source.close()
        raise

    def write_image(path, picture):
        if not cv2.imwrite(path, picture):
            raise UnwritableError(f'cv2 could not write {path!r}')

    if kind == 'image':
        with atomic_path(out) as temp:
            stats = run_stream(model, source,
                               lambda _, o: write_image(temp, o), show)
    elif kind == 'folder':
        with atomic_dir(out) as temp:
            stats = run_stream(
                model, source, lambda name, o: write_image(
                    osp.join(temp, osp.splitext(name)[0] + '.png'), o),
                show, frames)
    else:
        with atomic_path(out) as temp:
            writer = VideoWriter(temp, check_video_out(out), source.fps)
            try:
                stats = run_stream(model, source,
                                   lambda _, o: writer.write(o), show, frames)
            finally:
                writer.close()
    legend = osp.splitext(out.rstrip(os.sep))[0] + '_legend.png'
    with atomic_path(legend) as temp:
        write_image(temp, draw_legend(model, stats['classes']))
    return out, legend, stats


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm demo', description=__doc__.splitlines()[0])
    parser.add_argument('input', nargs='?', metavar='INPUT',
                        help='an image, a folder of images, a video file or '
                        'a camera index (default: a bundled CamVid scene)')
    parser.add_argument('--out', help='overlay image, folder or video to '
                        'write (default: cgnet_demo.png, cgnet_demo/ or '
                        'cgnet_demo.mp4 by input)')
    parser.add_argument('--model', help='a zoo model by name (mim search '
                        'cgnet_mm), e.g. sgcpnet_360x360_4k_camvid_cpu')
    parser.add_argument('--config', help='another model: its config ...')
    parser.add_argument('--checkpoint', help='... and checkpoint')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--show', action='store_true',
                        help='show the overlays in a window as they come')
    parser.add_argument('--frames', type=int, metavar='N',
                        help='stop after N frames (videos, cameras, folders)')
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
    if args.frames is not None and args.frames < 1:
        raise BadValueError(f'--frames {args.frames}: give 1 or more')
    out, legend, stats = demo(
        args.input, args.out, args.model or args.config, args.checkpoint,
        args.device, args.fast, args.calibration, args.show, args.frames)
    rest = stats['frames'] - 1
    if rest:
        print(f'{stats["frames"]} frames: mean {rest / stats["rest_s"]:.2f} '
              f'frames/s ({rest / stats["rest_segment_s"]:.2f} in segment() '
              f'alone), the first frame left out ({stats["first_s"]:.1f} s; '
              'it includes compiling with --fast)')
    print(f'wrote {out} and {legend}')


if __name__ == '__main__':
    main()
