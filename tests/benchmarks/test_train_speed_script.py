"""The training-speed benchmark runs end to end (tiny model and images; not a
timing test): one worker process per process setting, every row written,
every path started from the given checkpoint."""
import json
import os.path as osp
import runpy
import sys

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules

from tests.helpers import CONFIGS, make_camvid, tiny_camvid_config


@pytest.mark.slow
def test_train_speed_writes_rows_for_every_setting(tmp_path, monkeypatch):
    root = make_camvid(str(tmp_path / 'camvid'), per_split=4, size=(48, 64))
    config = tmp_path / 'tiny.py'
    config.write_text(tiny_camvid_config(
        osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py'), root)
        + "model = dict(data_preprocessor=dict(size=crop_size),\n"
          "             backbone=dict(num_blocks=(1, 1)))\n")
    register_all_modules(init_default_scope=True)
    torch.manual_seed(1)
    model = MODELS.build(Config.fromfile(str(config)).model)
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'run.pth')
    readme = tmp_path / 'README.md'
    readme.write_text('x\n<!-- train_speed:start -->\nold\n'
                      '<!-- train_speed:end -->\ny\n')
    out = tmp_path / 'speed.json'
    monkeypatch.setattr(sys, 'argv', [
        'train_speed.py', '--config', str(config), '--data-root', root,
        '--paths', 'mmseg_eager', 'cgnet_mm_fast', '--workers', '1',
        '--warmup', '1', '--rounds', '2', '--steps', '1', '--out', str(out),
        '--checkpoint', str(tmp_path / 'run.pth'),
        '--update-readme', str(readme)])
    runpy.run_module('benchmarks.train_speed', run_name='__main__')
    report = json.loads(out.read_text())
    rows = {(r['path'], r['setting']): r for r in report['results']}
    assert set(rows) == {(p, m) for p in ('mmseg_eager', 'cgnet_mm_fast')
                         for m in ('default', 'kept', 'kept+flush')}
    assert report['baseline'] == dict(path='mmseg_eager', setting='default')
    assert report['weights'] == str(tmp_path / 'run.pth')
    base = rows['mmseg_eager', 'default']
    assert base['ratio'] == base['loader_ratio'] == 1.0
    for row in rows.values():
        assert len(row['rounds_step_s']) == len(
            row['rounds_loader_step_s']) == 2
        assert row['images_per_s'] == pytest.approx(
            report['batch'] / row['loader_step_s'], rel=1e-2)
    text = readme.read_text()
    assert '| cgnet_mm_fast | kept+flush |' in text and 'old' not in text
    assert 'weights: `run.pth` (a run in progress)' in text
    assert text.startswith('x\n') and text.endswith('y\n')


def test_train_speed_needs_the_baseline_path(capsys, monkeypatch):
    monkeypatch.setattr(sys, 'argv',
                        ['train_speed.py', '--paths', 'cgnet_mm_fast'])
    with pytest.raises(SystemExit):
        runpy.run_module('benchmarks.train_speed',
                       run_name='__main__')
    assert '--paths must include the baseline mmseg_eager' in (
        capsys.readouterr().err)
