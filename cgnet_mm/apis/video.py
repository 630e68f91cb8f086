"""Frames for the demo from any of the inputs a user points it at: one
image, a folder of images, a video file (whatever OpenCV's FFmpeg reads)
or a camera index, and the writers for what comes out (an overlaid video,
or a folder of overlays). Every frame goes through the same
:func:`~cgnet_mm.apis.segment` as a single image, so a stream is segmented
exactly as its frames would be one by one."""
import math
import os
import os.path as osp
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np

from cgnet_mm.utils.errors import UserError
from cgnet_mm.utils.images import read_bgr

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
# container -> codec that OpenCV's bundled FFmpeg writes here: mp4v plays
# almost everywhere; FFV1 is lossless (exact overlays, larger files)
VIDEO_CODECS = {'.mp4': 'mp4v', '.avi': 'MJPG', '.mkv': 'FFV1'}
DEFAULT_FPS = 25.0  # when a source does not say (many cameras, some files)


class VideoError(UserError, ValueError):
    """A video or camera that cannot be opened or read."""


def input_kind(source: str) -> str:
    """'folder', 'camera' (a bare number that names no file), 'image' or
    'video'.

    Raises:
        VideoError: ``source`` does not exist.
    """
    if osp.isdir(source):
        return 'folder'
    if source.isdigit() and not osp.exists(source):
        return 'camera'
    if not osp.exists(source):
        raise VideoError(f'input {source!r} does not exist; give an image, '
                         'a folder of images, a video file or a camera '
                         'index (0, 1, ...)')
    if source.lower().endswith(IMAGE_SUFFIXES) or cv2.haveImageReader(source):
        return 'image'
    return 'video'


class FrameSource:
    """The frames of one input, read lazily, as (name, BGR uint8 array).

    Attributes:
        kind (str): as :func:`input_kind` says.
        count (int | None): the number of frames, when known ahead (a
            video's header may be off by a few; a camera has none).
        fps (float): the source's frame rate (:data:`DEFAULT_FPS` when it
            does not say; 0 for images and folders, which have none).
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.kind = input_kind(source)
        self.fps = 0.0
        self._capture = None
        if self.kind == 'folder':
            self.files = sorted(
                osp.join(source, name) for name in os.listdir(source)
                if name.lower().endswith(IMAGE_SUFFIXES))
            if not self.files:
                raise VideoError(
                    f'folder {source!r} holds no images '
                    f'({", ".join(IMAGE_SUFFIXES)}); give a folder of '
                    'images, a video file or an image')
            self.count = len(self.files)
        elif self.kind == 'image':
            self.files, self.count = [source], 1
        else:
            self._open_capture()

    def _open_capture(self) -> None:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        if self.kind == 'camera':
            capture, what = cv2.VideoCapture(int(self.source)), \
                f'camera {self.source}'
            fix = ('check that it is connected and not in use, or give a '
                   'video file')
        else:
            capture, what = cv2.VideoCapture(self.source), \
                f'video {self.source!r}'
            fix = ('it is not a video, or in a codec OpenCV cannot decode; '
                   'convert it, e.g. ffmpeg -i IN -c:v libx264 OUT.mp4')
        if not capture.isOpened():
            raise VideoError(f'{what} cannot be opened: {fix}')
        ok, first = capture.read()
        if not ok:
            capture.release()
            raise VideoError(f'{what} gives no frames: it is empty or '
                             f'truncated, or {fix}')
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if math.isfinite(fps) and fps > 0 else DEFAULT_FPS
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.count = frames if self.kind == 'video' and frames > 0 else None
        self._capture, self._first = capture, first

    def __iter__(self) -> Iterator[Tuple[str, np.ndarray]]:
        if self._capture is None:
            for path in self.files:
                yield osp.basename(path), read_bgr(path)
            return
        index, frame = 0, self._first
        while frame is not None:
            yield f'frame {index}', read_bgr(frame)
            ok, frame = self._capture.read()
            frame, index = (frame if ok else None), index + 1

    def close(self) -> None:
        """Releases the video file or camera."""
        if self._capture is not None:
            self._capture.release()


def check_video_out(out: str) -> str:
    """``out``'s codec (:data:`VIDEO_CODECS`).

    Raises:
        VideoError: ``out`` is not a video container we can write.
    """
    ext = osp.splitext(out)[1].lower()
    if ext not in VIDEO_CODECS:
        raise VideoError(
            f'--out {out!r} is not a video file name the demo writes; use '
            f'{osp.splitext(out)[0]}.mp4 (or {", ".join(VIDEO_CODECS)})')
    return VIDEO_CODECS[ext]


class VideoWriter:
    """Writes BGR frames of one size to ``path`` (a temporary file: the
    caller renames it into place) with the codec its extension selects."""

    def __init__(self, path: str, codec: str, fps: float) -> None:
        self.path, self.codec, self.fps = path, codec, fps
        self._writer: Optional[cv2.VideoWriter] = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        if self._writer is None:  # the size is known with the first frame
            height, width = frame.shape[:2]
            self._writer = cv2.VideoWriter(
                self.path, cv2.VideoWriter_fourcc(*self.codec), self.fps,
                (width, height))
            if not self._writer.isOpened():
                raise VideoError(f'OpenCV cannot write {self.codec} video '
                                 f'of {width}x{height} to {self.path!r}')
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
