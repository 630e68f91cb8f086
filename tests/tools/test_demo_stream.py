"""``cgnet-mm demo`` on streams: a video file, a folder of images, a
camera. The videos are written here with OpenCV; FFV1 (.mkv) is lossless,
so the written overlays can be compared pixel for pixel with
``draw_overlay(frame, segment(model, frame))`` of each frame."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from cgnet_mm.apis import (DEMO_IMAGE, draw_overlay, init_segmentor,
                           segment)
from cgnet_mm.apis.video import FrameSource
from cgnet_mm.tools import demo as demo_tool
from cgnet_mm.tools.demo import main, run_stream

FRAMES = 5


def scene_frames(count: int = FRAMES) -> list:
    """``count`` frames of the bundled scene panning right, 180x240."""
    image = cv2.resize(cv2.imread(DEMO_IMAGE), (240, 180))
    return [np.roll(image, 16 * i, axis=1) for i in range(count)]


def write_video(path, frames, codec: str = 'FFV1', fps: float = 10.0):
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps,
                             (width, height))
    assert writer.isOpened(), path
    for frame in frames:
        writer.write(frame)
    writer.release()
    return str(path)


def read_video(path) -> tuple:
    """(frames, fps) of a video file."""
    capture = cv2.VideoCapture(str(path))
    fps, frames = capture.get(cv2.CAP_PROP_FPS), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps


@pytest.fixture(scope='module')
def model():
    return init_segmentor()


def test_video_overlays_equal_per_frame_segment(model, tmp_path, capsys):
    video = write_video(tmp_path / 'in.mkv', scene_frames())
    main([video, '--out', str(tmp_path / 'out.mkv')])
    written, fps = read_video(tmp_path / 'out.mkv')
    assert len(written) == FRAMES and fps == 10.0
    for frame, overlay in zip(read_video(video)[0], written):
        assert overlay.shape == (180, 240, 3)
        assert np.array_equal(
            overlay, draw_overlay(frame, segment(model, frame), model))
    out = capsys.readouterr().out
    assert f'{FRAMES} frames: mean ' in out and 'frames/s' in out
    assert osp.isfile(tmp_path / 'out_legend.png')


def test_mp4_is_the_default_video_output(tmp_path, monkeypatch):
    video = write_video(tmp_path / 'in.avi', scene_frames(3), codec='MJPG')
    monkeypatch.chdir(tmp_path)
    main([video])
    written, _ = read_video(tmp_path / 'cgnet_demo.mp4')
    assert [f.shape for f in written] == [(180, 240, 3)] * 3
    assert sorted(os.listdir(tmp_path)) == [
        'cgnet_demo.mp4', 'cgnet_demo_legend.png', 'in.avi']


def test_folder_gives_folder_of_overlays(model, tmp_path):
    (tmp_path / 'images').mkdir()
    frames = scene_frames(3)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(tmp_path / 'images' / f'f{i}.jpg'), frame)
    (tmp_path / 'images' / 'notes.txt').write_text('not an image')
    main([str(tmp_path / 'images'), '--out', str(tmp_path / 'seg')])
    assert sorted(os.listdir(tmp_path / 'seg')) == ['f0.png', 'f1.png',
                                                     'f2.png']
    for i in range(3):
        image = cv2.imread(str(tmp_path / 'images' / f'f{i}.jpg'))
        assert np.array_equal(
            cv2.imread(str(tmp_path / 'seg' / f'f{i}.png')),
            draw_overlay(image, segment(model, image), model))
    assert osp.isfile(tmp_path / 'seg_legend.png')


def test_frames_option_stops_early(tmp_path):
    video = write_video(tmp_path / 'in.mkv', scene_frames())
    main([video, '--out', str(tmp_path / 'out.mkv'), '--frames', '2'])
    assert len(read_video(tmp_path / 'out.mkv')[0]) == 2


def test_interrupted_video_leaves_no_output(tmp_path, monkeypatch):
    video = write_video(tmp_path / 'in.mkv', scene_frames())
    (tmp_path / 'out.mkv').write_bytes(b'the previous output')
    calls = []

    def interrupted(model, frame):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return np.zeros(frame.shape[:2], np.uint8)

    monkeypatch.setattr('cgnet_mm.apis.segment', interrupted)
    with pytest.raises(KeyboardInterrupt):
        main([video, '--out', str(tmp_path / 'out.mkv')])
    assert sorted(os.listdir(tmp_path)) == ['in.mkv', 'out.mkv']
    assert (tmp_path / 'out.mkv').read_bytes() == b'the previous output'


class FakeCamera:
    """A camera's frames until the user presses Ctrl-C at the third."""
    kind, count, fps = 'camera', None, 30.0

    def __iter__(self):
        for i, frame in enumerate(scene_frames()):
            if i == 2:
                raise KeyboardInterrupt
            yield f'frame {i}', frame

    def close(self):
        self.closed = True


def test_ctrl_c_ends_a_camera_stream_and_keeps_it(model):
    camera, overlays = FakeCamera(), []
    stats = run_stream(model, camera, lambda name, o: overlays.append(o))
    assert stats['frames'] == 2 and len(overlays) == 2 and camera.closed


def test_source_kinds(tmp_path):
    video = write_video(tmp_path / 'in.mkv', scene_frames(2))
    source = FrameSource(video)
    assert (source.kind, source.count, source.fps) == ('video', 2, 10.0)
    assert [name for name, _ in source] == ['frame 0', 'frame 1']
    assert FrameSource(DEMO_IMAGE).kind == 'image'


def test_unreadable_video(bad_input, tmp_path):
    (tmp_path / 'clip.mp4').write_text('not a video')
    bad_input('demo: a text file named .mp4', main,
              [tmp_path / 'clip.mp4', '--out', tmp_path / 'o.mp4'],
              r"error: video '.*clip\.mp4' cannot be opened: it is not a "
              'video, or in a codec OpenCV cannot decode')
    assert sorted(os.listdir(tmp_path)) == ['clip.mp4']


def test_missing_camera(bad_input, tmp_path):
    bad_input('demo: a camera index with no camera', main,
              ['9', '--out', tmp_path / 'o.mp4'],
              'error: camera 9 cannot be opened: check that it is '
              'connected and not in use')


def test_folder_without_images(bad_input, tmp_path):
    bad_input('demo: a folder with no images', main,
              [tmp_path, '--out', tmp_path / 'seg'],
              r"error: folder '.*' holds no images \(\.png, \.jpg")


def test_missing_input(bad_input, tmp_path):
    bad_input('demo: an input that does not exist', main,
              [tmp_path / 'nope.mp4'],
              r"error: input '.*nope\.mp4' does not exist; give an image, a "
              r'folder of images, a video file or a camera index')


def test_video_with_image_out(bad_input, tmp_path):
    video = write_video(tmp_path / 'in.mkv', scene_frames(1))
    bad_input('demo: a video with an image as --out', main,
              [video, '--out', tmp_path / 'o.png'],
              r"error: --out '.*o\.png' is not a video file name the demo "
              r'writes; use .*o\.mp4 \(or \.mp4, \.avi, \.mkv\)')


def test_folder_with_file_out(bad_input, tmp_path):
    (tmp_path / 'images').mkdir()
    cv2.imwrite(str(tmp_path / 'images' / 'a.png'), scene_frames(1)[0])
    bad_input('demo: a folder with a video as --out', main,
              [tmp_path / 'images', '--out', tmp_path / 'o.mp4'],
              r"error: --out '.*o\.mp4' names a file, but a folder of "
              'images gives a folder of overlays')


def test_show_without_display(bad_input, tmp_path, monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    monkeypatch.setattr(demo_tool.sys, 'platform', 'linux')
    bad_input('demo: --show with no display', main,
              ['--show', '--out', tmp_path / 'o.png'],
              'error: --show needs a display, and this session has none '
              r'\(DISPLAY is not set\); drop --show')
    assert os.listdir(tmp_path) == []


def test_frames_below_one(bad_input, tmp_path):
    bad_input('demo: --frames 0', main,
              ['--frames', '0', '--out', tmp_path / 'o.png'],
              'error: --frames 0: give 1 or more')
