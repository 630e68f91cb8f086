"""The fast-training switch (``fast_train`` / ``--fast``): what it changes in
a config, and that it trains the same model as eager mode."""
import os.path as osp
import platform
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from cgnet_mm.engine import (enable_fast_training, flush_denormals,
                             to_channels_last)
from cgnet_mm.tools.train import build_train_config, parse_args
from tests.helpers import CONFIGS, make_camvid, tiny_camvid_config

CPU_CONFIG = osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py')
ITERS = 20
# Eager and fast fp32 differ by float re-association only (channels-last
# convolution kernels, inductor's fused and reordered reductions). The first
# step sees identical weights and data: measured relative difference 7e-7
# (1e-5 allowed). Adam then amplifies tiny gradient differences (its first
# updates are ~lr * sign(grad), whatever the gradient's size), so later
# losses drift apart slowly: measured at most 2.6e-3 over 20 steps (2e-2
# allowed).
FIRST_RTOL, LOSS_RTOL = 1e-5, 2e-2


class _Recorder(Hook):
    """Keeps every iteration's loss and the weights training starts from."""

    def __init__(self):
        self.losses, self.start = [], None

    def before_train(self, runner):
        self.start = {k: v.detach().clone()
                      for k, v in runner.model.named_parameters()}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(float(outputs['loss'].detach()))




def _train(tmp_path, fast: bool):
    root = make_camvid(str(tmp_path / 'camvid'), per_split=4, size=(48, 64))
    config = tmp_path / 'tiny_camvid.py'
    config.write_text(tiny_camvid_config(CPU_CONFIG, root))
    argv = [str(config), '--work-dir',
            str(tmp_path / ('fast' if fast else 'eager')),
            '--cfg-options', 'randomness.seed=0',
            f'train_cfg.max_iters={ITERS}', 'train_cfg.val_interval=1000',
            'default_hooks.checkpoint.interval=1000',
            'default_hooks.checkpoint.save_best=None',
            'default_hooks.logger.interval=1000',
            'model.backbone.num_blocks=[1,2]',
            # no weight decay: a weight then moves only if it got a gradient
            'optim_wrapper.optimizer.weight_decay=0']
    if fast:
        argv.insert(1, '--fast')
    from mmengine.runner import Runner
    runner = Runner.from_cfg(build_train_config(parse_args(argv)))
    recorder = _Recorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder


@pytest.mark.slow
def test_fast_matches_eager_and_trains_every_parameter(tmp_path):
    _, eager = _train(tmp_path, fast=False)
    runner, fast = _train(tmp_path, fast=True)
    assert len(eager.losses) == len(fast.losses) == ITERS
    drift = max(abs(f - e) / e for f, e in zip(fast.losses, eager.losses))
    assert fast.losses[0] == pytest.approx(eager.losses[0], rel=FIRST_RTOL)
    assert drift <= LOSS_RTOL, (drift, fast.losses, eager.losses)
    assert fast.losses[0] != fast.losses[-1]
    frozen = [name for name, p in runner.model.named_parameters()
              if torch.equal(p.detach(), fast.start[name])]
    assert not frozen, f'no gradient reached {frozen}'
    convs = [p for p in runner.model.parameters() if p.dim() == 4]
    assert all(p.is_contiguous(memory_format=torch.channels_last)
               for p in convs)
    log = open(runner.logger.log_file).read()
    glibc = sys.platform == 'linux' and platform.libc_ver()[0] == 'glibc'
    expected = ('allocator keeps freed memory' if glibc
                else 'allocator left as is')
    assert f'fast_train: {expected}' in log


def test_enable_fast_training_cpu_and_cuda():
    cfg = Config.fromfile(CPU_CONFIG)
    assert cfg.fast_train is False
    changes = enable_fast_training(cfg, cuda=False)
    assert [h['type'] for h in cfg.custom_hooks] == [
        'cgnet_mm.FastTrainHook']
    assert not cfg.get('compile')  # the hook compiles, not the Runner
    assert cfg.optim_wrapper.type == 'OptimWrapper'  # no AMP on CPU
    assert cfg.train_dataloader.dataset.pipeline[0].type == (
        'cgnet_mm.CachedLoading')
    assert len(changes) == 2 and 'CachedLoading, 1 dataset' in changes[1]
    # applying it twice changes nothing more
    assert enable_fast_training(cfg, cuda=False) == []
    cuda = Config.fromfile(CPU_CONFIG)
    changes = enable_fast_training(cuda, cuda=True)
    assert cuda.optim_wrapper.type == 'AmpOptimWrapper'
    assert cuda.optim_wrapper.optimizer == cfg.optim_wrapper.optimizer
    assert any('mixed precision' in c for c in changes)


def test_cfg_option_equals_flag(tmp_path):
    config = tmp_path / 'tiny_camvid.py'
    config.write_text(tiny_camvid_config(CPU_CONFIG, make_camvid(
        str(tmp_path / 'camvid'))))
    flag = build_train_config(parse_args([str(config), '--fast']))
    option = build_train_config(parse_args(
        [str(config), '--cfg-options', 'fast_train=True']))
    for key in ('custom_hooks', 'optim_wrapper'):
        assert flag[key] == option[key]


def test_to_channels_last_keeps_parameters_and_converts_inputs():
    from mmseg.registry import MODELS
    cfg = Config.fromfile(CPU_CONFIG)
    cfg.model.backbone.num_blocks = (1, 1)
    cfg.model.backbone.norm_cfg = cfg.model.decode_head.norm_cfg = dict(
        type='BN', eps=1e-3, requires_grad=True)
    model = MODELS.build(cfg.model)
    before = list(model.parameters())
    to_channels_last(model)
    assert [id(p) for p in model.parameters()] == [id(p) for p in before]
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)])
    out = model.data_preprocessor(data, False)
    assert out['inputs'].is_contiguous(memory_format=torch.channels_last)
    assert not out['inputs'].is_contiguous()


@pytest.mark.skipif(platform.machine() not in ('x86_64', 'AMD64'),
                    reason='flush-to-zero is an x86 (SSE) mode here')
def test_flush_denormals_reads_subnormals_as_zero():
    tiny = torch.tensor([1e-39])  # below fp32's smallest normal, 1.18e-38
    assert (tiny * 2).item() == pytest.approx(2e-39, rel=1e-3)
    try:
        assert flush_denormals() is None
        assert (tiny * 2).item() == 0.0
    finally:
        torch.set_flush_denormal(False)
