"""cgnet_mm's ADE20K dataset checks its files when built, and every dataset
a shipped config reads has that same check (LabelCheckMixin)."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from cgnet_mm.datasets import ADE20KDataset, DatasetFileError, LabelCheckMixin
from cgnet_mm.datasets.file_check import check_data
from cgnet_mm.utils import CheckError
from cgnet_mm.utils.config import leaf_datasets
from tests.helpers import CONFIGS

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def make_ade20k(root: str, per_split: int = 2, size=(32, 40)) -> str:
    """A tiny ADEChallengeData2016 tree: jpg images, png labels holding
    0 (other), the classes 1-150 and 255."""
    rng = np.random.default_rng(0)
    for split, stem in (('training', 'train'), ('validation', 'val')):
        os.makedirs(osp.join(root, 'images', split))
        os.makedirs(osp.join(root, 'annotations', split))
        for i in range(per_split):
            name = f'ADE_{stem}_{i + 1:08d}'
            label = rng.integers(0, 151, size=size).astype(np.uint8)
            label[0, :3] = [0, 150, 255]
            img = rng.integers(0, 255, size=(*size, 3)).astype(np.uint8)
            cv2.imwrite(osp.join(root, 'images', split, name + '.jpg'), img)
            cv2.imwrite(osp.join(root, 'annotations', split, name + '.png'),
                        label)
    return root


def build(root, **kwargs):
    return ADE20KDataset(
        data_root=root, pipeline=LOAD, data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        **kwargs)


def label_path(root, i=1):
    return osp.join(root, 'annotations', 'training',
                    f'ADE_train_{i:08d}.png')


def set_pixel(path, value):
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[1, 1] = value
    cv2.imwrite(path, label)


@pytest.fixture
def ade20k(tmp_path):
    return make_ade20k(str(tmp_path / 'ADEChallengeData2016'))


def test_good_set_builds_and_reduces_zero(ade20k):
    ds = build(ade20k)
    assert len(ds) == 2
    raw = cv2.imread(label_path(ade20k), cv2.IMREAD_UNCHANGED)
    label = ds[0]['gt_seg_map']
    assert label[0, :3].tolist() == [255, 149, 255]
    inside = (raw != 0) & (raw != 255)
    assert np.array_equal(label[inside], raw[inside] - 1)


@pytest.mark.parametrize('value', [151, 200])
def test_value_above_150_refused_with_file(ade20k, value):
    set_pixel(label_path(ade20k, 2), value)
    with pytest.raises(DatasetFileError, match=(
            rf"ADE20K label '.*annotations/training/ADE_train_00000002\.png' "
            rf'holds value {value} \(1 px\); expected class ids 1-150, or 0 '
            r'and 255 \(ignored; reduce_zero_label\)\. Labels must be the '
            r'annotations/\*\.png of ADEChallengeData2016')):
        build(ade20k)


def test_check_can_be_switched_off(ade20k):
    set_pixel(label_path(ade20k), 200)
    assert len(build(ade20k, check_labels=False)) == 2


def test_config_data_check_knows_the_suffixes(ade20k):
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'datasets',
                                   'ade20k.py'))
    for loader in LOADERS:
        cfg[loader].dataset.data_root = ade20k
    check_data(cfg)
    for jpg in glob.glob(osp.join(ade20k, 'images', 'validation', '*.jpg')):
        os.rename(jpg, jpg[:-4] + '.png')
    with pytest.raises(CheckError, match=r"no \*\.jpg file under "
                       r"'.*images/validation'"):
        check_data(cfg)


class ThreeClasses(LabelCheckMixin, BaseSegDataset):
    """A dataset a future family might add: it only subclasses."""
    METAINFO = dict(classes=('a', 'b', 'c'))


@pytest.mark.parametrize('kwargs, allowed', [
    (dict(), [0, 1, 2, 255]),
    (dict(ignore_index=3), [0, 1, 2, 3]),
    (dict(reduce_zero_label=True), [0, 1, 2, 3, 255]),
])
def test_allowed_values_follow_the_dataset(tmp_path, kwargs, allowed):
    ds = ThreeClasses(data_root=str(tmp_path), lazy_init=True, **kwargs)
    assert ds.label_values() == allowed


def test_subclass_is_checked(tmp_path):
    label = np.array([[0, 1], [2, 255]], dtype=np.uint8)
    for name in ('a', 'b'):
        cv2.imwrite(str(tmp_path / f'{name}.jpg'), np.zeros((2, 2, 3)))
        cv2.imwrite(str(tmp_path / f'{name}.png'), label)
    assert len(ThreeClasses(data_root=str(tmp_path))) == 2
    label[0, 0] = 3
    cv2.imwrite(str(tmp_path / 'b.png'), label)
    with pytest.raises(DatasetFileError, match=r"ThreeClasses label '.*/b\.png'"
                       r' holds value 3 \(1 px\); expected class ids 0-2 or '
                       r'255 \(ignored\)\. Fix or remove this file\.'):
        ThreeClasses(data_root=str(tmp_path))


def shipped_dataset_types():
    """(config, dataset type) for every leaf dataset of every loader of
    every shipped config (dataloaders.py has loaders without a dataset)."""
    found = set()
    for path in sorted(glob.glob(osp.join(CONFIGS, '**', '*.py'),
                                 recursive=True)):
        cfg = Config.fromfile(path)
        for loader in LOADERS:
            if 'dataset' in (cfg.get(loader) or {}):
                for ds in leaf_datasets(cfg[loader]):
                    found.add((osp.relpath(path, CONFIGS), ds['type']))
    return sorted(found)


SHIPPED = shipped_dataset_types()


def test_configs_use_datasets():
    types = {t for _, t in SHIPPED}
    assert {'cgnet_mm.ADE20KDataset', 'cgnet_mm.CamVidDataset',
            'cgnet_mm.CityscapesDataset'} <= types


@pytest.mark.parametrize('config, ds_type', SHIPPED)
def test_every_shipped_dataset_checks_its_labels(config, ds_type):
    cls = DATASETS.get(ds_type)
    assert cls is not None, f'{config}: unknown dataset type {ds_type}'
    assert issubclass(cls, LabelCheckMixin), (
        f'{config} reads {ds_type}, which does not check its labels; '
        'give it cgnet_mm.datasets.LabelCheckMixin')
