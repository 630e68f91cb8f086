import os.path as osp

import pytest
import torch
from mmengine.config import Config

from cgnet_mm.tools.dist import adapt_to_cpu, launcher_env
from tests.helpers import CONFIGS

cpu_only = pytest.mark.skipif(torch.cuda.is_available(),
                              reason='the CPU path is for CPU-only machines')


def _cfg(launcher):
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py'))
    cfg.launcher = launcher
    return cfg


@cpu_only
def test_cpu_config_uses_gloo_ddp_without_devices_and_bn():
    cfg = _cfg('pytorch')
    cfg.sync_bn = 'torch'
    notes = adapt_to_cpu(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=False, device_ids=None)
    assert cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.decode_head.norm_cfg == dict(
        type='BN', eps=1e-3, requires_grad=True)
    assert 'sync_bn' not in cfg
    assert len(notes) == 2 and 'SyncBN converted to BN (2 norm' in notes[1]


@cpu_only
def test_own_wrapper_config_keeps_its_options():
    cfg = _cfg('slurm')
    cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel',
                                 find_unused_parameters=True)
    adapt_to_cpu(cfg)
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', find_unused_parameters=True,
        device_ids=None)


def test_single_process_config_is_untouched():
    cfg = _cfg('none')
    assert adapt_to_cpu(cfg) == []
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert cfg.model.backbone.norm_cfg.type == 'SyncBN'
    assert 'model_wrapper_cfg' not in cfg


def test_slurm_and_mpi_environment_as_mmengine_derives_it():
    slurm = dict(SLURM_PROCID='5', SLURM_NTASKS='8', SLURM_LOCALID='1',
                 SLURM_NODELIST='node[1-2]', MASTER_ADDR='node1')
    assert launcher_env('slurm', slurm, port=29600) == dict(
        RANK='5', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_PORT='29600')
    assert launcher_env('slurm', slurm)['MASTER_PORT'] == '29500'
    mpi = dict(OMPI_COMM_WORLD_RANK='3', OMPI_COMM_WORLD_SIZE='4',
               OMPI_COMM_WORLD_LOCAL_RANK='1', MASTER_PORT='1234')
    assert launcher_env('mpi', mpi) == dict(
        RANK='3', WORLD_SIZE='4', LOCAL_RANK='1', MASTER_PORT='1234')
    assert launcher_env('pytorch', {}) == {}


def test_cuda_machines_keep_nccl_and_syncbn(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _cfg('pytorch')
    assert adapt_to_cpu(cfg) == []
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert cfg.model.backbone.norm_cfg.type == 'SyncBN'
    assert 'model_wrapper_cfg' not in cfg
