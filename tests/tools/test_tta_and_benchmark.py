"""ms+flip TTA through the real config, and the benchmark table."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmseg.registry import DATASETS, MODELS

from cgnet_mm.tools.benchmark import main as benchmark_cli
from tests.conftest import CONFIGS

CONFIG = osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')
# the shipped config, testing at the synthetic images' own size
CHILD = """
_base_ = [{base!r}]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root={root!r},
                                    pipeline=test_pipeline))
"""


@pytest.fixture
def child(cityscapes, tmp_path):
    path = tmp_path / 'child.py'
    path.write_text(CHILD.format(base=CONFIG, root=cityscapes))
    return str(path)


def _first_batch(cfg, pipeline):
    ds_cfg = cfg.test_dataloader.dataset.copy()
    ds_cfg.pipeline = pipeline
    return pseudo_collate([DATASETS.build(ds_cfg)[0]])


def build(cfg, seed=0):
    """Kaiming-initialised weights (seeded), whose prediction varies over
    the image, so the views of TTA can disagree."""
    torch.manual_seed(seed)
    cfg.model.backbone.norm_cfg = dict(type='BN', eps=1e-3)
    cfg.model.decode_head.norm_cfg = dict(type='BN', eps=1e-3)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval()


def test_flip_only_tta_averages_softmax_of_both_views(child):
    cfg = Config.fromfile(child)
    model = build(cfg)
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    flip_only = [step.copy() for step in cfg.tta_pipeline]
    flip_only[1].transforms[0] = [dict(type='Resize', scale_factor=1.0,
                                       keep_ratio=True)]
    batch = _first_batch(cfg, flip_only)
    # one list per augmented view: [[no flip], [flip]]
    views = [dict(inputs=batch['inputs'][i],
                  data_samples=batch['data_samples'][i]) for i in range(2)]
    logits = [model.test_step(v)[0].seg_logits.data for v in views]
    flipped = views[1]['data_samples'][0].metainfo['flip']
    assert flipped and not views[0]['data_samples'][0].metainfo['flip']
    # the flipped view's logits come back un-flipped, and they differ
    assert not torch.allclose(logits[0], logits[1])
    expected = (logits[0].softmax(0) + logits[1].softmax(0)).argmax(0)
    pred = tta.test_step(batch)[0].pred_sem_seg.data[0]
    assert torch.equal(pred, expected)


def test_ms_flip_differs_from_single_scale(child):
    cfg = Config.fromfile(child)
    model = build(cfg, seed=1)
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    ms = tta.test_step(_first_batch(cfg, cfg.tta_pipeline))[0]
    single = model.test_step(_first_batch(cfg, cfg.test_pipeline))[0]
    assert ms.pred_sem_seg.shape == single.pred_sem_seg.shape
    assert single.pred_sem_seg.data.unique().numel() > 1
    changed = (ms.pred_sem_seg.data != single.pred_sem_seg.data).float()
    assert 0 < changed.mean() < 0.9


def test_mim_test_tta_runs_on_cpu(child, tmp_path):
    cfg = Config.fromfile(child)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': build(cfg).state_dict()}, ckpt)
    from cgnet_mm.tools.test import build_test_config, parse_args
    test_cfg = build_test_config(parse_args(
        [child, str(ckpt), '--tta', '--work-dir', str(tmp_path / 'w')]))
    assert test_cfg.model.type == 'SegTTAModel'
    metrics = Runner.from_cfg(test_cfg).test()
    assert 0 <= metrics['mIoU'] <= 100


def test_benchmark_cost_and_miou_columns(child, tmp_path):
    cfg = Config.fromfile(child)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': build(cfg).state_dict()}, ckpt)
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
