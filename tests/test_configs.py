"""Every shipped config loads, builds and trains a step on a small input."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from cgnet_mm.utils.config import leaf_datasets
from cgnet_mm.utils.zoo import load_index
from tests.helpers import (CONFIGS, NO_GRAD_AT_INIT, REPO,
                           params_without_grad)

TOP_LEVEL = sorted(glob.glob(osp.join(CONFIGS, '*.py')))
ALL = sorted(glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True))


def test_configs_found():
    """Every zoo entry's config and the package's defining path are here
    (and so loaded and built by the tests below)."""
    wanted = {osp.join(REPO, e['Config']) for e in load_index().values()}
    wanted.add(osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py'))
    assert wanted and wanted <= set(ALL), sorted(wanted - set(ALL))


@pytest.mark.parametrize('path', ALL, ids=lambda p: osp.relpath(p, CONFIGS))
def test_config_loads_with_custom_imports(path):
    cfg = Config.fromfile(path)
    if 'model' in cfg:
        assert cfg.custom_imports.imports == ['cgnet_mm']


@pytest.mark.parametrize('path', TOP_LEVEL, ids=osp.basename)
def test_config_forward_backward_every_parameter(path):
    cfg = Config.fromfile(path)
    cfg.model.data_preprocessor.size = (64, 64)
    if (cfg.model.backbone.get('init_cfg') or {}).get('type') == 'Pretrained':
        # downloads ImageNet weights; loading them is tested offline by the
        # family's tests (tests/models/test_cgrseg.py)
        cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)  # weights, images and labels: one fixed draw
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    no_grad = params_without_grad(model, cfg.model.decode_head.num_classes)
    assert sorted(no_grad) == sorted(
        NO_GRAD_AT_INIT.get(cfg.model.decode_head.type, ()))


@pytest.mark.parametrize('path', TOP_LEVEL, ids=osp.basename)
def test_config_name_matches_contents(path):
    """'<H>x<W>_<N>k' (or '_<N>_' for a schedule under a thousand-multiple,
    e.g. '_1500_') in the name equals the crop and schedule; the stated
    batch is GPUs x images per GPU."""
    cfg = Config.fromfile(path)
    match = re.search(r'(\d+)x(\d+)_(\d+)(k?)_', osp.basename(path))
    assert match, f'{osp.basename(path)} lacks <H>x<W>_<iters>'
    h, w, n = map(int, match.groups()[:3])
    iters = n * 1000 if match.group(4) else n
    assert tuple(cfg.crop_size) == (h, w)
    assert tuple(cfg.model.data_preprocessor.size) == (h, w)
    for dataset in leaf_datasets(cfg.train_dataloader):
        crops = [t for t in dataset.pipeline if t.type == 'RandomCrop']
        assert [tuple(t.crop_size) for t in crops] == [(h, w)]
    assert cfg.train_cfg.max_iters == iters
    assert cfg.param_scheduler[0].end == iters
    assert cfg.auto_scale_lr.base_batch_size == \
        cfg.num_gpus * cfg.train_dataloader.batch_size


def test_published_recipe():
    cfg = Config.fromfile(osp.join(CONFIGS,
                                   'cgnet_512x1024_60k_cityscapes.py'))
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == ('Adam', 1e-3, 5e-4)
    sched = cfg.param_scheduler[0]
    assert (sched.type, sched.power, sched.eta_min) == ('PolyLR', 0.9, 1e-4)
    assert cfg.model.backbone.norm_cfg.eps == 1e-3
    assert len(cfg.model.decode_head.loss_decode.class_weight) == 19
    assert cfg.model.decode_head.loss_decode.type == 'cgnet_mm.CrossEntropyLoss'
    assert cfg.train_dataloader.batch_size * cfg.num_gpus == 32
