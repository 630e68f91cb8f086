import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS

from cgnet_mm.utils import CheckError
from cgnet_mm.tools.convert import convert_original, main, map_key
from tests.helpers import CONFIGS, randomize, shared_or_skip
from tests.models.original_cgnet import ContextGuidedNetwork


@pytest.fixture(scope='module')
def original():
    return randomize(ContextGuidedNetwork(classes=19), seed=3)


def build_ours():
    cfg = Config.fromfile(osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py'))
    cfg.model.backbone.norm_cfg = dict(type='BN', eps=1e-3)
    cfg.model.decode_head.norm_cfg = dict(type='BN', eps=1e-3)
    return MODELS.build(cfg.model).eval()


def logits(model, x):
    metas = [dict(img_shape=x.shape[2:], ori_shape=x.shape[2:],
                  pad_shape=x.shape[2:])] * x.shape[0]
    with torch.no_grad():
        return model.encode_decode(x, metas)


def test_reference_matches_authors_key_names_and_shapes(original):
    path = shared_or_skip('reference',
                          'original_cgnet_m3n21_state_dict_shapes.json')
    with open(path) as f:
        reference = json.load(f)
    ours = {k: list(v.shape) for k, v in original.state_dict().items()}
    assert ours == reference


def test_every_key_mapped_and_logits_equal_authors(original):
    source = {'model': {f'module.{k}': v
                        for k, v in original.state_dict().items()}}
    converted = convert_original(source)
    model = build_ours()
    assert set(converted) == set(model.state_dict())
    model.load_state_dict(converted, strict=True)
    assert torch.count_nonzero(converted['decode_head.conv_seg.bias']) == 0
    x = torch.rand(2, 3, 97, 131) * 255
    theirs = original(x)
    with torch.no_grad():
        assert (logits(model, x) - theirs).abs().max() <= 1e-4


def test_cli_writes_mmengine_checkpoint(original, tmp_path):
    src, dst = tmp_path / 'cgnet.pth', tmp_path / 'out' / 'converted.pth'
    torch.save(original.state_dict(), src)  # a bare state dict
    main(['--from', 'original', str(src), str(dst)])
    model = build_ours()
    load_checkpoint(model, str(dst), strict=True)
    x = torch.rand(1, 3, 64, 96) * 255
    assert (logits(model, x) - original(x)).abs().max() <= 1e-4


def test_unmapped_key_is_named(original):
    state = dict(original.state_dict())
    state['level2.0.extra.weight'] = torch.zeros(1)
    with pytest.raises(CheckError, match=r'no conversion rule .*'
                       r'level2\.0\.extra\.weight'):
        convert_original(state)


def test_missing_key_is_named(original):
    state = dict(original.state_dict())
    del state['level3.4.F_sur.conv.weight']
    with pytest.raises(CheckError, match=r'lacks .*backbone\.level2\.5\.'
                       r'f_sur\.weight'):
        convert_original(state)


def test_cli_missing_source(tmp_path, capsys):
    with pytest.raises(SystemExit, match=r"error: checkpoint .*nope\.pth' "
                       'does not exist'):
        main(['--from', 'original', str(tmp_path / 'nope.pth'),
              str(tmp_path / 'x.pth')])


@pytest.mark.parametrize('key, new', [
    ('level1_0.act.weight', 'backbone.stem.0.activate.weight'),
    ('b1.bn.running_var', 'backbone.norm_prelu_0.0.running_var'),
    ('level2_0.reduce.conv.weight', 'backbone.level1.0.bottleneck.weight'),
    ('level3.19.bn_prelu.act.weight', 'backbone.level2.20.activate.weight'),
    ('level3.0.F_glo.fc.2.bias', 'backbone.level2.1.f_glo.fc.2.bias'),
    ('bn_prelu_3.act.weight', 'backbone.norm_prelu_2.1.weight'),
    ('classifier.1.conv.weight', 'decode_head.conv_seg.weight'),
    ('level2.0.F_glo.fc.1.weight', None),
])
def test_map_key(key, new):
    assert map_key(key) == new
