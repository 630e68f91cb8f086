"""The shipped CamVid model: its hash, the offline demo and the Python API,
and its accuracy on the real CamVid val split when ../shared has it."""
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from cgnet_mm.apis import (DEMO_IMAGE, draw_legend, draw_overlay,
                           init_segmentor, read_bgr, segment,
                           shipped_checkpoint)
from cgnet_mm.tools.demo import main as demo_cli
from cgnet_mm.utils.images import ImageError
from cgnet_mm.utils.zoo import find_model, sha256_of
from tests.conftest import shared_or_skip

NAME = 'cgnet_360x360_4k_camvid_cpu'


@pytest.fixture(scope='module')
def model():
    return init_segmentor()


def test_shipped_weights_match_metafile():
    config, ckpt = shipped_checkpoint(NAME)
    entry = find_model(NAME)
    assert sha256_of(ckpt) == entry['SHA256']
    assert osp.basename(ckpt).endswith(f'-{entry["SHA256"][:8]}.pth')
    assert osp.getsize(ckpt) <= 2.5 * 2**20
    assert osp.isfile(config)


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
    image = cv2.imread(DEMO_IMAGE)
    if kind == 'gray':
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif kind == 'rgba':
        image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    else:
        image = cv2.resize(image, (131, 97))
    path = str(tmp_path / f'{kind}.png')
    cv2.imwrite(path, image)
    label = segment(model, path)
    assert label.shape == image.shape[:2]
    assert label.max() < 11
    assert draw_overlay(path, label, model).shape == (*image.shape[:2], 3)
    assert draw_legend(model, label).shape[1] == 170


def test_demo_missing_image(tmp_path):
    with pytest.raises(SystemExit, match=r"error: image '.*nope\.jpg' does "
                       'not exist'):
        demo_cli([str(tmp_path / 'nope.jpg'), '--out',
                  str(tmp_path / 'o.png')])


def test_val_miou_at_least_reported(tmp_path):
    """The shipped weights reach the metafile's (and README's) val mIoU
    minus 0.5 on the real CamVid val split."""
    root = shared_or_skip('data', 'camvid')
    config, ckpt = shipped_checkpoint(NAME)
    reported = find_model(NAME)['Results']['Metrics']['mIoU']
    cfg = Config.fromfile(config)
    cfg.test_dataloader.dataset.data_root = root
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    cfg.load_from = ckpt
    cfg.work_dir = str(tmp_path)
    metrics = Runner.from_cfg(cfg).test()
    assert metrics['mIoU'] >= reported - 0.5


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
