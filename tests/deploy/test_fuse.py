import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from cgnet_mm.deploy import ExportableSegmentor
from cgnet_mm.deploy.fuse import (fold_batchnorm, fold_bgr_to_rgb,
                                  pools_as_convs)
from tests.helpers import CONFIGS, randomize


def _model():
    cfg = Config.fromfile(f'{CONFIGS}/cgnet_512x1024_60k_cityscapes.py')
    return randomize(revert_sync_batchnorm(MODELS.build(cfg.model)), seed=5)


def _max_diff(model, other) -> float:
    x = torch.rand(1, 3, 97, 131) * 255  # odd sizes: pools pad unevenly
    metas = [dict(img_shape=(97, 131), ori_shape=(97, 131),
                  pad_shape=(97, 131))]
    with torch.no_grad():
        return float((model.encode_decode(x, metas) -
                      other.encode_decode(x, metas)).abs().max())


def test_folded_model_keeps_logits_and_drops_conv_bns():
    model = _model()
    fused = fold_batchnorm(model)
    bns = [m for m in fused.backbone.modules()
           if isinstance(m, _BatchNorm)]
    assert len(bns) == 3  # only the BNs after the stage concatenations
    assert _max_diff(fused, model) <= 1e-4
    # the original model is untouched
    assert sum(isinstance(m, _BatchNorm)
               for m in model.backbone.modules()) > 3


def test_injection_pools_as_convs_keep_logits():
    model = _model()
    rewritten = pools_as_convs(model)
    convs = list(rewritten.backbone.inject_4x.pool)
    assert [type(m) for m in convs] == [nn.Conv2d] * 2
    assert convs[0].groups == 3 and convs[0].stride == (2, 2)
    assert not any(isinstance(m, nn.AvgPool2d) for m in rewritten.modules())
    assert _max_diff(rewritten, model) <= 1e-5
    assert isinstance(model.backbone.inject_2x.pool[0], nn.AvgPool2d)


def test_bgr_to_rgb_folded_into_weights_keeps_logits():
    model = ExportableSegmentor(_model())
    folded = fold_bgr_to_rgb(model)
    assert model.swap_rb and not folded.swap_rb
    x = torch.rand(1, 3, 97, 131) * 255
    with torch.no_grad():
        assert float((folded(x) - model(x)).abs().max()) <= 1e-5
    # the original keeps its flip and weights
    assert torch.equal(model.mean, ExportableSegmentor(_model()).mean)
    stem = model.backbone.stem[0].conv.weight
    assert not torch.equal(stem, folded.backbone.stem[0].conv.weight)
    assert torch.equal(stem[:, [2, 1, 0]],
                       folded.backbone.stem[0].conv.weight)


def test_bgr_to_rgb_kept_where_it_cannot_be_folded():
    model = ExportableSegmentor(_model())
    model.backbone.norm_prelu_1[0] = nn.GroupNorm(1, 131)
    assert fold_bgr_to_rgb(model).swap_rb
    model = ExportableSegmentor(_model())
    model.decode_head.in_index = [1, 2]  # a head that reads stage 1 too
    assert fold_bgr_to_rgb(model).swap_rb
