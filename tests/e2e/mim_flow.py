"""`mim train` -> kill -> `mim train --resume` -> `mim test`, on CPU, on a
tiny synthetic Cityscapes-layout dataset, through a real config. Run for
every model by the shared tester (tests/models/base.py)."""
import os.path as osp
import re
import sys

import pytest

from tests.e2e.helpers import run_ok, train_then_kill, write_tiny_config

MIM = osp.join(osp.dirname(sys.executable), 'mim')

needs_mim = pytest.mark.skipif(not osp.exists(MIM),
                               reason=f'{MIM} not installed')


def train_kill_resume_test(base_config: str, cityscapes: str, tmp_path):
    """The whole flow for ``base_config`` (a Cityscapes config's path)."""
    config = write_tiny_config(tmp_path / 'tiny_cityscapes.py', cityscapes,
                               base=base_config)
    work = tmp_path / 'work'
    train = [MIM, 'train', 'cgnet_mm', config, '--work-dir', str(work)]

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
    out = run_ok([MIM, 'test', 'cgnet_mm', config, '--checkpoint',
                  str(work / f'iter_{stop}.pth'), '--work-dir',
                  str(tmp_path / 'test')], tmp_path)
    assert re.search(r'mIoU: \d+\.\d+', out), out[-3000:]
