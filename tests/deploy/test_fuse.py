import torch
from torch.nn.modules.batchnorm import _BatchNorm
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from cgnet_mm.deploy.fuse import fold_batchnorm
from tests.conftest import CONFIGS, randomize


def test_folded_model_keeps_logits_and_drops_conv_bns():
    cfg = Config.fromfile(f'{CONFIGS}/cgnet_512x1024_60k_cityscapes.py')
    model = randomize(revert_sync_batchnorm(MODELS.build(cfg.model)), seed=5)
    fused = fold_batchnorm(model)
    bns = [m for m in fused.backbone.modules()
           if isinstance(m, _BatchNorm)]
    assert len(bns) == 3  # only the BNs after the stage concatenations
    x = torch.rand(1, 3, 97, 131) * 255
    metas = [dict(img_shape=(97, 131), ori_shape=(97, 131),
                  pad_shape=(97, 131))]
    with torch.no_grad():
        diff = (fused.encode_decode(x, metas) -
                model.encode_decode(x, metas)).abs().max()
    assert diff <= 1e-4
    # the original model is untouched
    assert sum(isinstance(m, _BatchNorm)
               for m in model.backbone.modules()) > 3
