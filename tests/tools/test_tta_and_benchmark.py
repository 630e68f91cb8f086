"""ms+flip TTA through the real config, and the benchmark table (the
flip-only TTA check runs for every model in tests/models/base.py)."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmseg.registry import MODELS

from cgnet_mm.tools.benchmark import main as benchmark_cli
from tests.conftest import CONFIGS
from tests.models.base import first_batch, seeded_model, tta_child_config

CONFIG = osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')


@pytest.fixture
def child(cityscapes, tmp_path):
    return tta_child_config(CONFIG, cityscapes, tmp_path)


def test_ms_flip_differs_from_single_scale(child):
    cfg = Config.fromfile(child)
    model = seeded_model(cfg, seed=1)
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    ms = tta.test_step(first_batch(cfg, cfg.tta_pipeline))[0]
    single = model.test_step(first_batch(cfg, cfg.test_pipeline))[0]
    assert ms.pred_sem_seg.shape == single.pred_sem_seg.shape
    assert single.pred_sem_seg.data.unique().numel() > 1
    changed = (ms.pred_sem_seg.data != single.pred_sem_seg.data).float()
    assert 0 < changed.mean() < 0.9


def test_mim_test_tta_runs_on_cpu(child, tmp_path):
    cfg = Config.fromfile(child)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': seeded_model(cfg).state_dict()}, ckpt)
    from cgnet_mm.tools.test import build_test_config, parse_args
    test_cfg = build_test_config(parse_args(
        [child, str(ckpt), '--tta', '--work-dir', str(tmp_path / 'w')]))
    assert test_cfg.model.type == 'SegTTAModel'
    metrics = Runner.from_cfg(test_cfg).test()
    assert 0 <= metrics['mIoU'] <= 100


def test_benchmark_cost_and_miou_columns(child, tmp_path):
    cfg = Config.fromfile(child)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': seeded_model(cfg).state_dict()}, ckpt)
    out = tmp_path / 'bench' / 'table.json'
    readme = tmp_path / 'README.md'
    readme.write_text('intro\n<!-- benchmark:start -->\nold\n'
                      '<!-- benchmark:end -->\nrest\n')
    benchmark_cli([child, '--checkpoint', str(ckpt), '--data-root',
                   osp.dirname(cfg.test_dataloader.dataset.data_root + '/'),
                   '--warmup', '1', '--repeat', '3', '--out', str(out),
                   '--update-readme', str(readme)])
    report = json.loads(out.read_text())
    row = report['results'][0]
    assert row['input_size'] == [64, 128]
    assert row['params'] == 496325
    assert row['flops'] > 0 and row['latency_ms_cpu'] > 0
    assert row['mem_mib_cpu'] > 0 and 0 <= row['mIoU'] <= 100
    assert 0 <= row['mIoU_ms_flip'] <= 100
    assert report['machine']['torch'] == torch.__version__
    text = readme.read_text()
    assert text.startswith('intro\n<!-- benchmark:start -->\nMeasured by')
    assert '| child | 64x128 | 0.496 M |' in text and '\nold\n' not in text
    assert text.endswith('<!-- benchmark:end -->\nrest\n')
    assert (tmp_path / 'bench' / 'table.md').read_text() in text


@pytest.mark.parametrize('args, match', [
    (['--checkpoint', 'a.pth'], r'--checkpoint needs --data-root'),
    (['--data-root', '/no/such/dir'], r"data root '/no/such/dir' does not"),
    (['--checkpoint', 'a.pth', 'b.pth', '--data-root', '.'],
     r'2 checkpoints for 1 configs'),
])
def test_benchmark_bad_input(args, match):
    with pytest.raises(SystemExit, match=match):
        benchmark_cli([CONFIG, *args])
