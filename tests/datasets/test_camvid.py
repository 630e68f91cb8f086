import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import DATASETS

from cgnet_mm.datasets import CamVidDataset, DatasetFileError
from tests.helpers import CONFIGS, make_camvid, shared_or_skip

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]


def build(root, split='train', **kwargs):
    return CamVidDataset(data_root=root, pipeline=LOAD,
                         data_prefix=dict(img_path=split,
                                          seg_map_path=split + 'annot'),
                         **kwargs)


def test_void_becomes_ignore_index(camvid):
    ds = build(camvid)
    assert len(ds) == 3
    raw = cv2.imread(ds.get_data_info(0)['seg_map_path'],
                     cv2.IMREAD_UNCHANGED)
    label = ds[0]['gt_seg_map']
    assert (label[raw == 11] == 255).all()
    assert np.array_equal(label[raw != 11], raw[raw != 11])
    assert ds.metainfo['classes'][0] == 'Sky' and len(ds.metainfo['classes']) == 11
    assert len(ds.metainfo['palette']) == 11


def test_jpg_images(tmp_path):
    root = make_camvid(str(tmp_path / 'c'), splits=('test', ), ext='.jpg')
    ds = build(root, 'test')
    assert ds[0]['img'].shape == (36, 48, 3)


def test_missing_split_folder(camvid):
    with pytest.raises(FileNotFoundError, match=r"CamVid folder '.*test' does"
                       r' not exist; expected a SegNet-style'):
        build(camvid, 'test')


def test_image_without_annotation(camvid):
    os.remove(osp.join(camvid, 'trainannot', 'seq_0001.png'))
    with pytest.raises(FileNotFoundError, match=r"image '.*seq_0001\.png' has"
                       r" no annotation '.*trainannot/seq_0001\.png'"):
        build(camvid)


def test_label_above_void(camvid):
    path = osp.join(camvid, 'trainannot', 'seq_0002.png')
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[0, :2] = [12, 200]
    cv2.imwrite(path, label)
    with pytest.raises(DatasetFileError, match=r"seq_0002\.png' holds value "
                       r'12 \(1 px\), 200 \(1 px\); expected 0-10 and 11 '
                       r'\(void\)'):
        build(camvid)


def test_trainval_config_concatenates(camvid):
    cfg = Config.fromfile(osp.join(CONFIGS,
                                   'cgnet_360x360_47k_camvid_trainval.py'))
    for ds in cfg.train_dataloader.dataset.datasets:
        ds.data_root = camvid
        ds.pipeline = LOAD
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 6
    assert cfg.val_dataloader is None
    assert cfg.test_dataloader.dataset.data_prefix.img_path == 'test'


def test_real_camvid_splits():
    root = shared_or_skip('data', 'camvid')
    assert len(build(root, 'train')) == 367
    val = build(root, 'val')
    assert len(val) == 101
    sample = val[0]
    assert sample['img'].shape == (360, 480, 3)
    assert set(np.unique(sample['gt_seg_map'])) <= set(range(11)) | {255}
