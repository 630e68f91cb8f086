"""The file check datasets run when built: every case on the checked
Cityscapes dataset, the per-process cache, and real CamVid passing it."""
import os.path as osp

import cv2
import numpy as np
import pytest

from cgnet_mm.datasets import (CamVidDataset, CityscapesDataset,
                               DatasetFileError, file_check)
from tests.helpers import shared_or_skip


def build(root, **kwargs):
    return CityscapesDataset(
        data_root=root, pipeline=[], data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        **kwargs)


def label_path(root, i=0):
    return osp.join(root, 'gtFine', 'train', 'aachen',
                    f'aachen_{i:06d}_000019_gtFine_labelTrainIds.png')


def test_good_set_passes_and_is_cached(cityscapes, monkeypatch):
    assert len(build(cityscapes)) == 2
    reads = []
    monkeypatch.setattr(file_check, 'read_image',
                        lambda *a: reads.append(a) or 1 / 0)
    assert len(build(cityscapes)) == 2  # unchanged files: not read again
    assert reads == []


def test_changed_file_is_checked_again(cityscapes):
    build(cityscapes)
    label = cv2.imread(label_path(cityscapes), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 19
    cv2.imwrite(label_path(cityscapes), label)
    with pytest.raises(DatasetFileError, match=r'holds value 19 \(1 px\)'):
        build(cityscapes)


def test_colour_label_refused(cityscapes):
    label = cv2.imread(label_path(cityscapes), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(label_path(cityscapes), cv2.merge([label] * 3))
    with pytest.raises(DatasetFileError, match=r'has 3 channels; labels are '
                       'single-channel class ids'):
        build(cityscapes)


def test_many_bad_values_summarised(cityscapes):
    label = np.arange(64 * 128, dtype=np.uint16).reshape(64, 128) % 300
    cv2.imwrite(label_path(cityscapes), label)
    with pytest.raises(DatasetFileError, match=r'holds value 19 \(\d+ px\), '
                       r'.* and 275 more; expected train ids'):
        build(cityscapes)


def test_check_can_be_switched_off(cityscapes):
    label = cv2.imread(label_path(cityscapes), cv2.IMREAD_UNCHANGED)
    label[0, 0] = 77
    cv2.imwrite(label_path(cityscapes), label)
    assert len(build(cityscapes, check_labels=False)) == 2


def test_real_camvid_train_passes():
    """Every one of the 367 real CamVid train pairs passes the check (it
    took ~1-1.5 s on 2 cores, measured by hand: not a timed test)."""
    root = shared_or_skip('data', 'camvid')
    file_check._PASSED.clear()
    ds = CamVidDataset(data_root=root, pipeline=[],
                       data_prefix=dict(img_path='train',
                                        seg_map_path='trainannot'))
    assert len(ds) == 367
