import math

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor
from cgnet_mm.models import (VAN, FeatureRefinementModule, FRMHead,
                             MultiStageAggregation, PixelContrastLoss,
                             pixel_contrast_loss)
from tests.helpers import CONFIGS
from tests.models.base import ModelTester

CONFIG = f'{CONFIGS}/frm_van-b0_1024x1024_160k_cityscapes.py'
CAMVID = f'{CONFIGS}/frm_van-b0_360x360_4k_camvid_cpu.py'


class TestFRMModel(ModelTester):
    config = 'frm_van-b0_1024x1024_160k_cityscapes.py'
    collection = 'FRM'
    num_params = 8280948
    shipped_max_mib = 40e6 / 2**20  # none set by issue 16; CGRSeg's 40 MB
    output_stride = 4


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('arch, paper_millions', [('b0', 4.1), ('b1', 13.9),
                                                  ('b2', 26.6),
                                                  ('b3', 44.8)])
def test_van_parameters_equal_the_van_paper(arch, paper_millions):
    """The VAN paper's counts include the ImageNet classifier (LayerNorm-free
    linear layer on the last width): the backbone is that much smaller."""
    model = VAN(arch=arch)
    width = model.embed_dims[-1]
    classifier = width * 1000 + 1000
    total = (_params(model) + classifier) / 1e6
    assert abs(total - paper_millions) <= 0.05 + 0.005 * paper_millions


def test_van_geometry_and_stage_shapes():
    model = VAN(arch='b0').eval()
    assert [len(getattr(model, f'block{i}')) for i in range(1, 5)] == \
        [3, 3, 5, 2]
    assert model.patch_embed1.proj.kernel_size == (7, 7)
    assert model.patch_embed1.proj.stride == (4, 4)
    assert model.patch_embed2.proj.stride == (2, 2)
    lka = model.block3[0].attn.spatial_gating_unit
    assert (lka.conv0.kernel_size, lka.conv0.groups) == ((5, 5), 160)
    assert (lka.conv_spatial.kernel_size, lka.conv_spatial.dilation,
            lka.conv_spatial.padding) == ((7, 7), (3, 3), (9, 9))
    # MLP ratios 8, 8, 4, 4
    assert [getattr(model, f'block{i}')[0].mlp.fc1.out_channels
            for i in range(1, 5)] == [256, 512, 640, 1024]
    with torch.no_grad():
        outs = model(torch.rand(2, 3, 65, 97))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 17, 25),
                                               (2, 64, 9, 13),
                                               (2, 160, 5, 7),
                                               (2, 256, 3, 4)]


def test_van_rejects_unknown_arch_and_keeps_cfgs():
    norm = dict(type='BN', requires_grad=True)
    VAN(arch='b0', norm_cfg=norm)
    assert norm == dict(type='BN', requires_grad=True)
    with pytest.raises(ValueError, match=r"arch must be one of \['b0', "
                       r"'b1', 'b2', 'b3'\], got 'b9'"):
        VAN(arch='b9')


def test_aggregation_pools_to_the_last_stage_and_concatenates():
    agg = MultiStageAggregation((4, 8, 16, 32))
    assert agg.ratios == (8, 4, 2, 1)
    # 1/4 .. 1/32 of a 72x40 image: 18x10, 9x5, 5x3, 3x2
    feats = [torch.rand(1, c, h, w) for c, h, w in
             ((2, 18, 10), (3, 9, 5), (4, 5, 3), (5, 3, 2))]
    out = agg(feats)
    assert out.shape == (1, 14, 3, 2)
    assert torch.equal(out[:, 9:], feats[3])
    # the border window of F1 (rows 16-17, columns 8-9) averages 4 pixels
    assert torch.allclose(out[0, :2, 2, 1],
                          feats[0][0, :, 16:, 8:].mean(dim=(1, 2)))
    assert torch.allclose(out[0, :2, 0, 0],
                          feats[0][0, :, :8, :8].mean(dim=(1, 2)))


def test_aggregation_rejects_bad_strides_and_inputs():
    with pytest.raises(ValueError, match=r'every stride must divide the '
                       r'last one, got \(4, 6, 32\)'):
        MultiStageAggregation((4, 6, 32))
    with pytest.raises(ValueError, match='expected 4 stages, got 3'):
        MultiStageAggregation((4, 8, 16, 32))([torch.rand(1, 1, 4, 4)] * 3)


def test_frm_refines_at_one_thirty_second():
    frm = FeatureRefinementModule((8, 16, 24, 32), channels=64).eval()
    assert frm.reduce.conv.in_channels == 80
    assert (frm.dnl.temperature, frm.dnl.use_scale, frm.dnl.inter_channels) \
        == (0.05, True, 32)
    feats = [torch.rand(2, c, 32 // s, 48 // s)
             for c, s in ((8, 1), (16, 2), (24, 4), (32, 8))]
    with torch.no_grad():
        out = frm(feats)
    assert out.shape == (2, 64, 4, 6)


def _head(**kwargs) -> FRMHead:
    args = dict(in_channels=(8, 16, 24, 32), channels=16, frm_channels=32,
                fpn_channels=16, proj_channels=8, num_classes=5,
                dropout_ratio=0, norm_cfg=dict(type='BN'),
                loss_contrast=dict(type='cgnet_mm.PixelContrastLoss'))
    return FRMHead(**{**args, **kwargs})


def _samples(n, size, num_classes):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(n):
        sample = SegDataSample(gt_sem_seg=PixelData(
            data=torch.randint(0, num_classes, (1, *size))))
        sample.set_metainfo(dict(img_shape=size))
        samples.append(sample)
    return samples


def test_head_losses_and_fpn_entry():
    head = _head().train()
    assert head.in_channels == [8, 16, 24, 32]
    # the FPN's top input is the refined feature, not F4
    assert [c.conv.in_channels for c in head.fpn.lateral_convs] == \
        [8, 16, 24, 32]
    assert head.loss_contrast.ignore_index == head.ignore_index == 255
    feats = [torch.rand(2, c, 32 // s, 32 // s)
             for c, s in ((8, 4), (16, 8), (24, 16), (32, 32))]
    losses = head.loss(feats, _samples(2, (32, 32), 5), dict())
    assert set(losses) == {'loss_ce', 'acc_seg', 'loss_contrast'}
    assert losses['loss_contrast'] > 0
    plain = _head(loss_contrast=None)
    assert plain.projector is None
    assert set(plain.loss(feats, _samples(2, (32, 32), 5), dict())) == \
        {'loss_ce', 'acc_seg'}
    with pytest.raises(ValueError, match=r'FRMHead takes the 4 backbone '
                       r'stages F1-F4, got in_channels=\(8, 16, 24\)'):
        _head(in_channels=(8, 16, 24))


def test_pixel_contrast_loss_value():
    """Two classes, two pixels each; same-class embeddings equal, the other
    class orthogonal: every anchor's positive has cosine 1, its two
    negatives 0, so the loss is log(1 + 2 exp(-1/t))."""
    emb = torch.tensor([[1., 0.], [1., 0.], [0., 1.], [0., 1.]])
    emb = emb.t().reshape(1, 2, 2, 2)
    labels = torch.tensor([[[0, 0], [1, 1]]])
    t = 0.5
    loss = pixel_contrast_loss(emb * 3, labels, temperature=t)
    assert loss.item() == pytest.approx(math.log(1 + 2 * math.exp(-1 / t)))


def test_pixel_contrast_loss_ignores_and_samples():
    emb = torch.rand(2, 4, 8, 8, requires_grad=True)
    labels = torch.full((2, 16, 16), 255)
    zero = pixel_contrast_loss(emb, labels)
    assert zero.item() == 0 and zero.requires_grad
    labels[0, :8] = 1
    labels[1, :8] = 2
    gen = torch.Generator().manual_seed(0)
    loss = pixel_contrast_loss(emb, labels, max_samples=16, generator=gen)
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    # labels downsampled to 8x8: only the top half carries gradient
    assert emb.grad[:, :, 4:].abs().sum() == 0
    assert emb.grad[:, :, :4].abs().sum() > 0
    module = PixelContrastLoss(loss_weight=0.5)
    assert module.loss_name == 'loss_contrast'
    with pytest.raises(ValueError, match='temperature must be positive, '
                       'got 0'):
        PixelContrastLoss(temperature=0)
    with pytest.raises(ValueError, match='max_samples must be at least 2, '
                       'got 1'):
        PixelContrastLoss(max_samples=1)


@pytest.mark.slow
def test_flops_at_the_paper_input_size():
    """The paper's 214.82 GFLOPs (input size not stated; Cityscapes'
    1024x2048 inferred) against mmengine's count (one multiply-add = one
    FLOP) of VAN-B0 + FRM + FPN decoder for 19 classes."""
    model = build_segmentor(Config.fromfile(CONFIG))
    info = get_model_complexity_info(model, input_shape=(3, 1024, 2048),
                                     show_table=False, show_arch=False)
    assert info['params'] == TestFRMModel.num_params
    assert abs(info['flops'] - 214.82e9) <= 0.05 * 214.82e9
    assert abs(info['flops'] - 205.52e9) <= 0.005 * 205.52e9


def test_inferred_recipe_in_the_configs():
    cfg = Config.fromfile(CONFIG)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.weight_decay) == ('AdamW', 6e-5, 0.01)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.decode_head.lr_mult \
        == 10
    poly, warmup = cfg.param_scheduler
    assert (poly.type, poly.power, poly.begin, poly.end) == \
        ('PolyLR', 1.0, 1500, 160000)
    assert (warmup.type, warmup.end) == ('LinearLR', 1500)
    assert cfg.num_gpus * cfg.train_dataloader.batch_size == 8
    assert cfg.model.backbone.arch == 'b0'
    head = cfg.model.decode_head
    assert head.loss_contrast.loss_weight == 0.1
    camvid = Config.fromfile(CAMVID)
    cgnet = Config.fromfile(f'{CONFIGS}/cgnet_360x360_37k_camvid.py')
    assert camvid.train_dataloader.dataset.pipeline == \
        cgnet.train_dataloader.dataset.pipeline
    assert camvid.model.decode_head.loss_decode.class_weight == \
        cgnet.model.decode_head.loss_decode.class_weight
    assert camvid.model.decode_head.loss_contrast.type == \
        'cgnet_mm.PixelContrastLoss'
    assert camvid.optim_wrapper.optimizer.lr == 1e-3
    assert 'decode_head' not in camvid.optim_wrapper.paramwise_cfg.custom_keys
