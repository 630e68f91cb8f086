"""mmseg's TTA, tested once (on CGNet; the other families share mmseg's
code): flip views averaged in softmax, the config's ms+flip, `cgnet-mm test
--tta`, and the benchmark table. Each mIoU the tools report equals the one
recomputed here from the model's own predictions."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmseg.registry import DATASETS, MODELS

from cgnet_mm.tools.benchmark import main as benchmark_cli
from cgnet_mm.tools.test import build_test_config, parse_args
from tests.helpers import CONFIGS, TINY_CITYSCAPES_TEST, seeded_model

CONFIG = osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')


@pytest.fixture
def child(cityscapes, tmp_path):
    """CONFIG testing the synthetic Cityscapes images at their size."""
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = [{CONFIG!r}]\ndata_root = {cityscapes!r}\n'
                    + TINY_CITYSCAPES_TEST)
    return str(path)


def batches(cfg: Config, pipeline) -> list:
    """Each test image through ``pipeline``, collated, one a batch."""
    ds_cfg = cfg.test_dataloader.dataset.copy()
    ds_cfg.pipeline = pipeline
    dataset = DATASETS.build(ds_cfg)
    return [pseudo_collate([dataset[i]]) for i in range(len(dataset))]


def miou_by_hand(model, cfg: Config, pipeline) -> float:
    """mIoU (%) of ``model``'s predictions on the test images against their
    label files: areas summed over the images, a class counted where the
    prediction or the label holds it (as mmseg's IoUMetric)."""
    classes = cfg.model.decode_head.num_classes
    inter, union = np.zeros(classes), np.zeros(classes)
    for batch in batches(cfg, pipeline):
        sample = model.test_step(batch)[0]
        pred = sample.pred_sem_seg.data[0].numpy()
        label = cv2.imread(sample.seg_map_path, cv2.IMREAD_UNCHANGED)
        pred, label = pred[label != 255], label[label != 255]
        inter += np.bincount(label[pred == label], minlength=classes)
        union += np.bincount(pred, minlength=classes) + np.bincount(
            label, minlength=classes)
    union -= inter
    return float(np.mean(inter[union > 0] / union[union > 0]) * 100)


def test_flip_tta_averages_softmax_of_both_views(child):
    cfg = Config.fromfile(child)
    model = seeded_model(cfg)
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    flip_only = [step.copy() for step in cfg.tta_pipeline]
    flip_only[1].transforms[0] = [
        dict(type='Resize', scale_factor=1.0, keep_ratio=True)
    ]
    batch = batches(cfg, flip_only)[0]
    # one list per augmented view: [[no flip], [flip]]
    views = [dict(inputs=batch['inputs'][i],
                  data_samples=batch['data_samples'][i])
             for i in range(2)]
    logits = [model.test_step(v)[0].seg_logits.data for v in views]
    assert views[1]['data_samples'][0].metainfo['flip']
    assert not views[0]['data_samples'][0].metainfo['flip']
    # the flipped view's logits come back un-flipped, and they differ
    assert not torch.allclose(logits[0], logits[1])
    expected = (logits[0].softmax(0) + logits[1].softmax(0)).argmax(0)
    pred = tta.test_step(batch)[0].pred_sem_seg.data[0]
    assert torch.equal(pred, expected)


def test_ms_flip_differs_from_single_scale(child):
    cfg = Config.fromfile(child)
    model = seeded_model(cfg, seed=1)
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    ms = tta.test_step(batches(cfg, cfg.tta_pipeline)[0])[0]
    single = model.test_step(batches(cfg, cfg.test_pipeline)[0])[0]
    assert ms.pred_sem_seg.shape == single.pred_sem_seg.shape
    assert single.pred_sem_seg.data.unique().numel() > 1
    changed = (ms.pred_sem_seg.data != single.pred_sem_seg.data).float()
    assert 0 < changed.mean() < 0.9


def test_mim_test_tta_reports_the_ms_flip_miou(child, tmp_path):
    cfg = Config.fromfile(child)
    model = seeded_model(cfg)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    test_cfg = build_test_config(parse_args(
        [child, str(ckpt), '--tta', '--work-dir', str(tmp_path / 'w')]))
    assert test_cfg.model.type == 'SegTTAModel'
    metrics = Runner.from_cfg(test_cfg).test()
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    assert metrics['mIoU'] == pytest.approx(
        miou_by_hand(tta, cfg, cfg.tta_pipeline), abs=0.006)


@pytest.mark.slow
def test_benchmark_cost_and_miou_columns(child, tmp_path):
    cfg = Config.fromfile(child)
    model = seeded_model(cfg)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
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
    assert row['mem_mib_cpu'] > 0
    tta = MODELS.build(dict(type='SegTTAModel', module=model))
    assert row['mIoU'] == pytest.approx(
        miou_by_hand(model, cfg, cfg.test_pipeline), abs=0.006)
    assert row['mIoU_ms_flip'] == pytest.approx(
        miou_by_hand(tta, cfg, cfg.tta_pipeline), abs=0.006)
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
