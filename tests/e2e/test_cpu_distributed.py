"""Two processes on CPU through mim (torch.distributed.launch, gloo):
train -> SIGKILL the job -> resume with two processes -> test."""
import os
import os.path as osp
import re
import sys
from collections import defaultdict

import pytest

from tests.e2e.helpers import (free_port, run_ok, train_then_kill,
                               write_tiny_config)
from tests.helpers import REPO, make_cityscapes

MIM = osp.join(osp.dirname(sys.executable), 'mim')
# Records, per rank, the images of every training iteration and every
# checkpoint the rank saved.
RECORDER = '''
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RecordRanks(Hook):

    def _write(self, runner, kind, line):
        path = osp.join(runner.work_dir, f'{kind}_rank{get_rank()}.txt')
        with open(path, 'a') as f:
            f.write(line + '\\n')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        names = sorted(osp.basename(s.img_path)
                       for s in data_batch['data_samples'])
        self._write(runner, 'seen', f'{runner.iter} {" ".join(names)}')

    def before_save_checkpoint(self, runner, checkpoint):
        self._write(runner, 'saved', str(checkpoint['meta']['iter']))
'''

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not osp.exists(MIM),
                                 reason=f'{MIM} not installed')]


def _seen(work, rank):
    """{iteration: images} of one rank, the last record of each iteration
    (the resumed run repeats those after the killed run's checkpoint)."""
    seen = {}
    with open(work / f'seen_rank{rank}.txt') as f:
        for line in f:
            it, *names = line.split()
            seen[int(it)] = tuple(names)
    return seen


def test_two_cpu_processes_train_kill_resume_test(tmp_path):
    root = make_cityscapes(str(tmp_path / 'cityscapes'), per_split=4)
    (tmp_path / 'record_ranks.py').write_text(RECORDER)
    config = write_tiny_config(tmp_path / 'tiny.py', root, batch=1,
                               imports=['record_ranks'],
                               hooks=['RecordRanks'])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path), REPO, os.environ.get('PYTHONPATH', '')]))
    work = tmp_path / 'work'
    dist = ['--gpus', '2', '--launcher', 'pytorch']
    train = [MIM, 'train', 'cgnet_mm', config, '--work-dir', str(work)]

    last = train_then_kill(train + dist + ['--port', str(free_port())],
                           work, tmp_path, at_least=4, env=env)
    assert 4 <= last < 400

    stop = last + 4
    out = run_ok(train + dist + ['--port', str(free_port()), '--resume',
                                 '--cfg-options',
                                 f'train_cfg.max_iters={stop}'],
                 tmp_path, env)
    assert 'torch.distributed uses the gloo backend' in out, out[-3000:]
    assert re.search(r'SyncBN converted to BN \(2 norm configs\)', out)
    resumed = re.search(r'resumed epoch: \d+, iter: (\d+)', out)
    assert resumed and int(resumed.group(1)) == last, out[-3000:]
    assert (work / f'iter_{stop}.pth').exists()

    # one checkpoint per interval, all written by rank 0
    saved = (work / 'saved_rank0.txt').read_text().split()
    assert [int(it) for it in saved] == list(range(2, stop + 1, 2))
    assert not (work / 'saved_rank1.txt').exists()
    # the ranks train on different images at every iteration
    seen = [_seen(work, rank) for rank in (0, 1)]
    assert sorted(seen[0]) == sorted(seen[1]) == list(range(stop))
    per_epoch = defaultdict(set)
    for it in range(stop):
        assert seen[0][it] != seen[1][it], it
        per_epoch[it // 2].update(seen[0][it] + seen[1][it])
    # two iterations of two ranks cover the four training images once
    assert all(len(images) == 4 for images in per_epoch.values())

    out = run_ok([MIM, 'test', 'cgnet_mm', config, '--checkpoint',
                  str(work / f'iter_{stop}.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--port', str(free_port())] + dist,
                 tmp_path, env)
    assert re.search(r'mIoU: \d+\.\d+', out), out[-3000:]
