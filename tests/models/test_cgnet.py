import pytest
import torch
from mmseg.models.backbones import CGNet as MMSegCGNet
from mmseg.registry import MODELS as MMSEG_MODELS

from cgnet_mm.models import CGNet
from tests.helpers import randomize
from tests.models.base import ModelTester


def test_m3n21_parameters_and_stage_shapes():
    model = CGNet().eval()
    assert sum(p.numel() for p in model.parameters()) == 491442
    outs = model(torch.rand(2, 3, 64, 128))
    assert [tuple(o.shape) for o in outs] == [(2, 35, 32, 64),
                                               (2, 131, 16, 32),
                                               (2, 256, 8, 16)]


def test_stage_geometry():
    model = CGNet()
    assert len(model.stem) == 3
    assert [c.conv.stride for c in model.stem] == [(2, 2), (1, 1), (1, 1)]
    assert len(model.level1) == 3 and len(model.level2) == 21
    assert model.level1[0].downsample and model.level2[0].downsample
    assert not any(b.downsample for b in model.level1[1:])
    assert {b.f_sur.dilation for b in model.level1} == {(2, 2)}
    assert {b.f_sur.dilation for b in model.level2} == {(4, 4)}
    assert {b.f_glo.fc[0].out_features for b in model.level1} == {8}  # 64/8
    assert {b.f_glo.fc[0].out_features for b in model.level2} == {8}  # 128/16


def test_state_dict_keys_equal_mmseg():
    ours = CGNet().state_dict()
    theirs = MMSegCGNet().state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)


@pytest.mark.parametrize('size', [(97, 131), (64, 64)])
def test_outputs_equal_mmseg(size):
    norm = dict(type='BN', eps=1e-3, requires_grad=True)
    theirs = randomize(MMSegCGNet(norm_cfg=dict(norm)))
    ours = CGNet(norm_cfg=norm).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        for a, b in zip(ours(x), theirs(x)):
            assert a.shape == b.shape
            assert (a - b).abs().max() <= 1e-5


def test_registry_scope_keeps_mmseg_cgnet():
    ours = MMSEG_MODELS.build(dict(type='cgnet_mm.CGNet', num_blocks=(2, 2)))
    theirs = MMSEG_MODELS.build(dict(type='CGNet', num_blocks=(2, 2)))
    assert type(ours) is CGNet
    assert type(theirs) is MMSegCGNet


def test_no_mutable_defaults():
    act = dict(type='PReLU')
    norm = dict(type='BN', requires_grad=True)
    CGNet(num_blocks=(2, 2), act_cfg=act, norm_cfg=norm)
    assert act == dict(type='PReLU')
    assert norm == dict(type='BN', requires_grad=True)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_channels=(32, 64)), r'num_channels must hold 3 positive'),
    (dict(num_blocks=(3, 0)), r'num_blocks must hold 2 positive .*\(3, 0\)'),
    (dict(dilations=(2, )), r'dilations must hold 2'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CGNet(**kwargs)


def test_norm_eval_freezes_bn():
    model = CGNet(num_blocks=(2, 2), norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)


class TestCGNetModel(ModelTester):
    config = 'cgnet_512x1024_60k_cityscapes.py'
    collection = 'CGNet'
    num_params = 496325
    fast_paths_checked_by = 'tests/deploy/test_fast.py'
    shipped_max_mib = 2.5  # issue 11
