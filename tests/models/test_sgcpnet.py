import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor
from cgnet_mm.models import SGCPHead, SGCPNet
from tests.helpers import CONFIGS, randomize
from tests.models.base import ModelTester

CONFIG = f'{CONFIGS}/sgcpnet_1024x1024_29k_cityscapes.py'


class TestSGCPNetModel(ModelTester):
    config = 'sgcpnet_1024x1024_29k_cityscapes.py'
    collection = 'SGCPNet'
    num_params = 607826
    int8_smallest_side = 129  # P7 at 1/128 keeps 2 px
    shipped_max_mib = 4.0  # issue 14


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_parameters_equal_the_authors_model():
    """The authors' code counts 0.6078 M for 19 classes: encoder 0.431 M,
    SGCP module 0.138 M, stage projections 0.0375 M."""
    model = build_segmentor(Config.fromfile(CONFIG))
    total = _params(model)
    assert abs(total - 607_800) <= 0.005 * 607_800
    assert _params(model.backbone) - _params(model.backbone.projections) \
        == 431_180
    assert _params(model.backbone.projections) == 37_528
    head = model.decode_head
    assert _params(head) - _params(head.conv_seg) == 137_883
    assert _params(head.conv_seg) == 64 * 19 + 19


def test_flops_by_mmengine():
    """mmengine counts one multiply-add as one FLOP for convolutions (no
    bias), one per element for BN, and nothing for activations, additions
    and max pooling: 3.438 G at 1024x2048 (1.934 G at 768x1536). The
    authors' counter (thop) gives 3.53 G (1.99 G): it adds conv bias
    (0.013 G), h-swish (2 per element, 0.064 G) and swish (3 per element,
    0.019 G) and skips the nearest upsampling (0.006 G)."""
    model = build_segmentor(Config.fromfile(CONFIG))
    info = get_model_complexity_info(model, input_shape=(3, 1024, 2048),
                                     show_table=False, show_arch=False)
    assert info['params'] == 607_826
    assert abs(info['flops'] - 3.4378e9) <= 0.005 * 3.4378e9
    # the authors' figure, less what only their counter counts
    authors_only = (0.0133 + 0.0644 + 0.0188 - 0.0056) * 1e9
    assert abs(info['flops'] + authors_only - 3.53e9) <= 0.005 * 3.53e9


def test_encoder_geometry_and_tap_shapes():
    model = SGCPNet().eval()
    assert model.stem.conv.stride == (2, 2)
    blocks = [b for stage in model.stages for b in stage]
    assert len(blocks) == 11
    assert [b.depthwise_conv.conv.kernel_size[0] for b in blocks] == \
        [3] * 3 + [5] * 8
    assert [b.depthwise_conv.conv.stride[0] for b in blocks] == \
        [2, 2, 1, 2, 1, 1, 1, 1, 2, 1, 1]
    assert [b.linear_conv.conv.out_channels for b in blocks] == \
        [16, 24, 24, 40, 40, 40, 48, 48, 96, 96, 96]
    assert [isinstance(b.se, torch.nn.Identity) for b in blocks] == \
        [False, True, True] + [False] * 8
    # SE squeezes by 4 without rounding (16 -> 4, 40 -> 10)
    assert blocks[0].se.squeeze.conv.out_channels == 4
    assert blocks[3].se.squeeze.conv.out_channels == 10
    # only the width-changing stride-1 block has a conv shortcut
    assert [not isinstance(b.shortcut, torch.nn.Identity)
            for b in blocks].index(True) == 6
    with torch.no_grad():
        outs = model(torch.rand(2, 3, 64, 128))
    assert [tuple(o.shape) for o in outs] == [(2, 40, 8, 16), (2, 112, 4, 8),
                                               (2, 320, 2, 4)]


def _head(**kwargs) -> SGCPHead:
    args = dict(in_channels=(40, 112, 320), in_index=(0, 1, 2), channels=64,
                num_classes=19, dropout_ratio=0)
    return SGCPHead(**{**args, **kwargs})


def test_head_fusion_weights_and_defaults():
    head = _head()
    bn = head.guided_top_down.fusions[0].conv.pointwise_conv.bn
    assert (bn.momentum, bn.eps) == (0.01, 1e-3)
    weights = [f.weight for path in (head.guided_top_down,
                                     head.guided_bottom_up, head.top_down)
               for f in path.fusions]
    # top-down nodes fuse 2 inputs, bottom-up 3 (2 at the top, P7)
    assert [w.numel() for w in weights] == [2] * 4 + [3, 3, 3, 2] + [2] * 4
    assert all(torch.equal(w, torch.ones_like(w)) for w in weights)


def test_fusion_weights_are_relu_normalised():
    """A negative weight switches its input off: the node then passes the
    other input alone (the sum of the normalised weights is ~1)."""
    fusion = _head().top_down.fusions[0].eval()
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 1, 64, 8, 8, generator=gen)
    with torch.no_grad():
        fusion.weight.copy_(torch.tensor([-1.0, 2.0]))
        expected = fusion.conv(fusion.act(b * 2 / (2 + fusion.eps)))
        assert torch.allclose(fusion([a, b]), expected, atol=1e-6)


def test_no_mutable_defaults_and_bad_arguments():
    norm = dict(type='BN', requires_grad=True)
    SGCPNet(norm_cfg=norm)
    _head(norm_cfg=norm)
    assert norm == dict(type='BN', requires_grad=True)
    with pytest.raises(ValueError, match=r'out_channels must hold 3 '
                       r'positive integers, got \(40, 112\)'):
        SGCPNet(out_channels=(40, 112))
    with pytest.raises(ValueError, match=r'SGCPHead takes 3 inputs'):
        _head(in_channels=(40, 112), in_index=(0, 1))


def test_norm_eval_freezes_bn():
    model = SGCPNet(norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)


def test_every_bn_folds_for_the_fast_paths():
    """fold_batchnorm reaches every BN of SGCPNet (all in ConvModules) and
    pools_as_convs, CGNet-only, leaves it unchanged."""
    from torch.nn.modules.batchnorm import _BatchNorm

    from cgnet_mm.deploy.fuse import fold_batchnorm, pools_as_convs
    model = randomize(build_segmentor(Config.fromfile(CONFIG)), seed=2)
    fused = pools_as_convs(fold_batchnorm(model))
    assert not any(isinstance(m, _BatchNorm) for m in fused.modules())
    x = torch.rand(1, 3, 97, 131) * 255
    metas = [dict(img_shape=(97, 131), ori_shape=(97, 131),
                  pad_shape=(97, 131))]
    with torch.no_grad():
        diff = (fused.encode_decode(x, metas) -
                model.encode_decode(x, metas)).abs().max()
    assert diff <= 1e-4


def test_authors_recipe_in_the_configs():
    cfg = Config.fromfile(CONFIG)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == \
        ('SGD', 0.3, 0.9, 1e-5)
    sched = cfg.param_scheduler[0]
    assert (sched.type, sched.power, sched.eta_min) == ('PolyLR', 0.9, 0.0)
    assert cfg.num_gpus * cfg.train_dataloader.batch_size == 36
    # 350 epochs of the 2975 training images at batch 36
    assert round(cfg.train_cfg.max_iters * 36 / 2975) == 351
    resize = cfg.train_dataloader.dataset.pipeline[2]
    assert resize.ratio_range == (0.5, 2.0)
    loss = cfg.model.decode_head.loss_decode
    assert loss.type == 'CrossEntropyLoss' and 'class_weight' not in loss
    assert cfg.model.decode_head.dropout_ratio == 0
    camvid = Config.fromfile(f'{CONFIGS}/sgcpnet_360x360_16k_camvid.py')
    cgnet = Config.fromfile(f'{CONFIGS}/cgnet_360x360_37k_camvid.py')
    assert camvid.model.decode_head.loss_decode.class_weight == \
        cgnet.model.decode_head.loss_decode.class_weight
    assert camvid.train_dataloader.dataset.pipeline == \
        cgnet.train_dataloader.dataset.pipeline
    assert camvid.optim_wrapper.optimizer.lr == pytest.approx(0.3 * 8 / 36)
