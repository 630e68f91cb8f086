"""The default (shipped CamVid) model: the offline demo and the Python API.
Its hash and val mIoU are checked by the shared model tester
(tests/models/base.py) like every family's shipped weights."""
import cv2
import numpy as np
import pytest

from cgnet_mm.apis import (DEMO_IMAGE, draw_legend, draw_overlay,
                           init_segmentor, read_bgr, segment)
from cgnet_mm.tools.demo import main as demo_cli
from cgnet_mm.utils.images import ImageError
from tests.helpers import CONFIGS, save_segmentor_checkpoint


@pytest.fixture(scope='module')
def model():
    return init_segmentor()


def test_demo_cli_writes_overlay_and_legend(tmp_path, capsys):
    out = tmp_path / 'demo.png'
    demo_cli(['--out', str(out)])
    overlay = cv2.imread(str(out))
    assert overlay.shape == cv2.imread(DEMO_IMAGE).shape
    legend = cv2.imread(str(tmp_path / 'demo_legend.png'))
    assert legend.shape[1] == 170 and legend.shape[0] > 30
    assert 'wrote' in capsys.readouterr().out


@pytest.mark.parametrize('kind', ['gray', 'rgba', 'odd'])
def test_any_image_kind(model, kind, tmp_path):
    bgr = cv2.imread(DEMO_IMAGE)
    if kind == 'gray':  # the same as its three-channel copy
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        same_as = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif kind == 'rgba':  # alpha dropped
        image = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
        same_as = bgr
    else:
        image = same_as = cv2.resize(bgr, (131, 97))
    path = str(tmp_path / f'{kind}.png')
    cv2.imwrite(path, image)
    reference = str(tmp_path / f'{kind}_bgr.png')
    cv2.imwrite(reference, same_as)
    label = segment(model, path)
    assert label.shape == image.shape[:2]
    np.testing.assert_array_equal(label, segment(model, reference))
    # a road scene: the trained model finds road, sky, buildings and more
    assert len(np.unique(label)) >= 4
    assert draw_overlay(path, label, model).shape == (*image.shape[:2], 3)
    assert draw_legend(model, label).shape[1] == 170


def test_demo_missing_image(tmp_path):
    with pytest.raises(SystemExit, match=r"error: input '.*nope\.jpg' does "
                       'not exist; give an image, a folder of images'):
        demo_cli([str(tmp_path / 'nope.jpg'), '--out',
                  str(tmp_path / 'o.png')])


def test_16_bit_png_reads_as_its_8_bit_version(model, tmp_path):
    image = cv2.imread(DEMO_IMAGE)
    cv2.imwrite(str(tmp_path / 'deep.png'), image.astype(np.uint16) * 257)
    deep = cv2.imread(str(tmp_path / 'deep.png'), cv2.IMREAD_UNCHANGED)
    assert deep.dtype == np.uint16
    assert np.array_equal(read_bgr(str(tmp_path / 'deep.png')), image)
    assert np.array_equal(segment(model, deep), segment(model, image))


def test_float_image_refused(model):
    with pytest.raises(ImageError, match=r'float32 pixels; give an 8- or '
                       '16-bit image'):
        segment(model, np.zeros((8, 8, 3), np.float32))


def test_checkpoint_without_meta_takes_the_configs_classes(tmp_path):
    # a bare state dict: mmseg's init_model raises KeyError('meta') on it
    config = f'{CONFIGS}/cgnet_360x360_4k_camvid_cpu.py'
    ckpt = save_segmentor_checkpoint(config, tmp_path / 'plain.pth')
    model = init_segmentor(config, ckpt)
    assert model.dataset_meta['classes'][:2] == ['Sky', 'Building']
    assert len(model.dataset_meta['palette']) == 11
    assert segment(model, DEMO_IMAGE).shape == read_bgr(DEMO_IMAGE).shape[:2]
