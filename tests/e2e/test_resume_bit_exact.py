"""SIGKILL + ``--resume`` ends bit-identical to an uninterrupted run: same
weights, BN statistics and optimizer state, with 0 and 2 dataloader
workers (mmengine replays the sampler and the augmentation's random draws
when it skips the iterations already trained)."""
import sys

import pytest
import torch

from cgnet_mm.utils.checkpoint import safe_load
from tests.e2e.helpers import run_ok, train_then_kill, write_tiny_config
from tests.helpers import make_cityscapes

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _tensors(path):
    """Every tensor of a checkpoint's model and optimizer, by name."""
    ckpt = safe_load(path, map_location='cpu')
    found = {f'model.{k}': v for k, v in ckpt['state_dict'].items()}
    for param, state in ckpt['optimizer']['state'].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                found[f'optimizer.{param}.{key}'] = value
    return found


@pytest.mark.parametrize('workers', [0, 2])
def test_killed_and_resumed_equals_straight(tmp_path, workers):
    root = make_cityscapes(str(tmp_path / 'cityscapes'), per_split=3)
    config = write_tiny_config(tmp_path / 'tiny.py', root, workers=workers)
    train = [sys.executable, '-m', 'cgnet_mm.tools.train', config]

    killed = tmp_path / 'killed'
    last = train_then_kill(train + ['--work-dir', str(killed)], killed,
                           tmp_path, at_least=2)
    stop = last + 3
    resume = ['--cfg-options', f'train_cfg.max_iters={stop}']
    out = run_ok(train + ['--work-dir', str(killed), '--resume'] + resume,
                 tmp_path)
    assert f'resumed epoch: 0, iter: {last}' in out, out[-3000:]
    straight = tmp_path / 'straight'
    run_ok(train + ['--work-dir', str(straight)] + resume, tmp_path)

    a = _tensors(killed / f'iter_{stop}.pth')
    b = _tensors(straight / f'iter_{stop}.pth')
    assert a.keys() == b.keys()
    assert any(k.endswith('running_var') for k in a)
    assert any(k.endswith('exp_avg_sq') for k in a)
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, differ[:5]
