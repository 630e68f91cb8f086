"""CachedLoading: the same samples as the plain pipeline, decoded once."""
import copy
import os
import random

import numpy as np
import pytest
from mmengine.config import Config

from cgnet_mm.datasets import CachedLoading, cache_loading
from cgnet_mm.registry import DATASETS
from tests.helpers import CONFIGS, make_camvid

PIPELINE = Config.fromfile(
    f'{CONFIGS}/cgnet_360x360_47k_camvid_trainval.py').train_pipeline


def _dataset(root, pipeline):
    return DATASETS.build(dict(
        type='cgnet_mm.CamVidDataset', data_root=root,
        data_prefix=dict(img_path='train', seg_map_path='trainannot'),
        pipeline=copy.deepcopy(pipeline)))


def test_cache_loading_wraps_the_leading_loading_transforms_only():
    wrapped = cache_loading(PIPELINE)
    assert wrapped[0]['type'] == 'cgnet_mm.CachedLoading'
    assert [t['type'] for t in wrapped[0]['transforms']] == [
        'LoadImageFromFile', 'LoadAnnotations']
    assert wrapped[1:] == list(PIPELINE[2:])
    assert cache_loading(wrapped) == wrapped
    assert cache_loading(PIPELINE[2:]) == list(PIPELINE[2:])


def test_cached_samples_equal_plain_ones_and_decode_once(tmp_path,
                                                         monkeypatch):
    root = make_camvid(str(tmp_path / 'camvid'), per_split=3, size=(48, 64))
    plain = _dataset(root, PIPELINE)
    cached = _dataset(root, cache_loading(PIPELINE))
    loader = cached.pipeline.transforms[0]
    assert isinstance(loader, CachedLoading)
    for epoch in range(3):
        if epoch == 1:  # everything is cached now: no file is read again
            monkeypatch.setattr(loader.transforms, 'transforms', [])
        for i in range(len(plain)):
            np.random.seed(10 * epoch + i)
            random.seed(10 * epoch + i)
            a = plain[i]
            np.random.seed(10 * epoch + i)
            random.seed(10 * epoch + i)
            b = cached[i]
            assert a['inputs'].equal(b['inputs'])
            assert a['data_samples'].gt_sem_seg.data.equal(
                b['data_samples'].gt_sem_seg.data)
            assert a['data_samples'].metainfo.keys() == b[
                'data_samples'].metainfo.keys()
    assert 255 in b['data_samples'].gt_sem_seg.data  # void mapped, cached
    assert loader.cached_bytes == 3 * 48 * 64 * 4  # image + label


def test_cache_stops_growing_at_max_bytes(tmp_path):
    root = make_camvid(str(tmp_path / 'camvid'), per_split=3, size=(48, 64))
    pipeline = cache_loading(PIPELINE)
    pipeline[0]['max_bytes'] = 2 * 48 * 64 * 4
    dataset = _dataset(root, pipeline)
    for i in range(3):
        dataset[i]
    loader = dataset.pipeline.transforms[0]
    assert len(loader._cache) == 2 and loader.cached_bytes == 2 * 48 * 64 * 4
    for info in (dataset.get_data_info(0), dataset.get_data_info(2)):
        os.remove(info['img_path'])
    dataset[0]  # served from memory
    with pytest.raises(FileNotFoundError, match='seq_0002'):
        dataset[2]  # past max_bytes: read from disk each time
