import pytest
import torch

from cgnet_mm.models.layers import (ContextGuidedBlock,
                                    GlobalContextExtractor, InputInjection)
from cgnet_mm.registry import MODELS


def test_block_geometry():
    blk = ContextGuidedBlock(64, 64, dilation=4, reduction=8)
    assert blk.conv1x1.conv.kernel_size == (1, 1)
    assert blk.conv1x1.conv.stride == (1, 1)
    assert blk.conv1x1.conv.out_channels == 32  # half: f_joi doubles it
    assert blk.f_loc.kernel_size == (3, 3) and blk.f_loc.padding == (1, 1)
    assert blk.f_loc.groups == 32 and blk.f_loc.dilation == (1, 1)
    assert blk.f_sur.kernel_size == (3, 3) and blk.f_sur.padding == (4, 4)
    assert blk.f_sur.groups == 32 and blk.f_sur.dilation == (4, 4)
    assert blk.bn.num_features == 64
    assert blk.activate.num_parameters == 64
    assert isinstance(blk.bottleneck, torch.nn.Identity)
    assert blk.f_glo.fc[0].out_features == 8
    assert blk.skip_connect


def test_downsample_block_geometry():
    blk = ContextGuidedBlock(35, 64, dilation=2, reduction=8, downsample=True)
    conv = blk.conv1x1.conv
    assert conv.kernel_size == (3, 3) and conv.stride == (2, 2)
    assert conv.padding == (1, 1) and conv.out_channels == 64
    assert blk.f_loc.groups == 64 and blk.f_sur.dilation == (2, 2)
    assert blk.bottleneck.kernel_size == (1, 1)
    assert blk.bottleneck.in_channels == 128
    assert blk.bottleneck.out_channels == 64
    assert not blk.skip_connect
    out = blk(torch.rand(2, 35, 17, 33))
    assert out.shape == (2, 64, 9, 17)


def test_block_residual_is_added():
    blk = ContextGuidedBlock(16, 16, reduction=4).eval()
    x = torch.rand(1, 16, 8, 8)
    with torch.no_grad():
        assert torch.allclose(blk(x) - x, blk.f_glo(blk.f_joi(
            blk.f_loc(blk.conv1x1(x)), blk.f_sur(blk.conv1x1(x)))), atol=1e-6)


def test_block_registered_and_checkpointing_matches():
    blk = MODELS.build(
        dict(type='cgnet_mm.ContextGuidedBlock', in_channels=8, out_channels=8,
             reduction=2, with_cp=True))
    x = torch.rand(2, 8, 6, 6, requires_grad=True)
    out = blk(x)
    out.sum().backward()
    blk.with_cp = False
    assert torch.allclose(out, blk(x))
    assert x.grad is not None


def test_block_rejects_bad_residual():
    with pytest.raises(ValueError, match='in_channels == out_channels'):
        ContextGuidedBlock(32, 64)


def test_global_context_rejects_bad_reduction():
    with pytest.raises(ValueError, match=r'reduction must lie in \[1, '
                       r'channels=8\], got 16'):
        GlobalContextExtractor(8, 16)


def test_global_context_reweights_channels():
    glo = GlobalContextExtractor(8, 2)
    x = torch.rand(3, 8, 5, 5)
    w = glo(x) / x
    # one weight in (0, 1) per image and channel, constant over space
    assert torch.allclose(w, w[..., :1, :1].expand_as(w), atol=1e-6)
    assert ((w > 0) & (w < 1)).all()


def test_input_injection_shapes():
    x = torch.rand(1, 3, 97, 131)
    assert InputInjection(1)(x).shape == (1, 3, 49, 66)
    assert InputInjection(2)(x).shape == (1, 3, 25, 33)


def test_act_cfg_not_mutated():
    act = dict(type='PReLU')
    ContextGuidedBlock(16, 16, reduction=4, act_cfg=act)
    assert act == dict(type='PReLU')
