"""`mim train` -> kill -> `mim train --resume` -> `mim test`, on CPU, on a
tiny synthetic Cityscapes-layout dataset, through a real config. Run for
every model by the shared tester (tests/models/base.py)."""
import os.path as osp
import re
import sys

import pytest

from tests.e2e.helpers import run_ok, train_then_kill

MIM = osp.join(osp.dirname(sys.executable), 'mim')
CHILD = """
_base_ = [{base!r}]
data_root = {root!r}
crop_size = (64, 64)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(128, 64), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root,
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root,
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=400, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=100),
                     logger=dict(interval=1))
"""

needs_mim = pytest.mark.skipif(not osp.exists(MIM),
                               reason=f'{MIM} not installed')


def train_kill_resume_test(base_config: str, cityscapes: str, tmp_path):
    """The whole flow for ``base_config`` (a Cityscapes config's path)."""
    config = tmp_path / 'tiny_cityscapes.py'
    config.write_text(CHILD.format(base=base_config, root=cityscapes))
    work = tmp_path / 'work'
    train = [MIM, 'train', 'cgnet_mm', str(config), '--work-dir', str(work)]

    # 1. train until a few checkpoints exist, then kill the whole job
    last = train_then_kill(train, work, tmp_path, at_least=4)
    assert 4 <= last < 400

    # 2. resume: it continues from the last checkpoint, not from scratch
    stop = last + 4
    out = run_ok(train + ['--resume', '--cfg-options',
                          f'train_cfg.max_iters={stop}'], tmp_path)
    resumed = re.search(r'resumed epoch: \d+, iter: (\d+)', out)
    assert resumed, out[-3000:]
    assert int(resumed.group(1)) == last
    assert (work / f'iter_{stop}.pth').exists()

    # 3. test the final checkpoint: mIoU is reported
    out = run_ok([MIM, 'test', 'cgnet_mm', str(config), '--checkpoint',
                  str(work / f'iter_{stop}.pth'), '--work-dir',
                  str(tmp_path / 'test')], tmp_path)
    assert re.search(r'mIoU: \d+\.\d+', out), out[-3000:]
