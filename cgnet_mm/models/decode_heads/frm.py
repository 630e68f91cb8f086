"""FRM network (Wang, Guo, Wang, Zheng and Qi, "A feature refinement module
for light-weight semantic segmentation network", ICIP 2024,
https://arxiv.org/abs/2412.08670): the first public implementation.

What the paper states (abstract) and what secondary summaries of its full
text state (the full text itself could not be read here):

* a light-weight VAN backbone with four stages F1-F4;
* the feature refinement module (FRM): F1-F3 pooled to the size of F4
  (1/32) and concatenated with it, ``Fc = cat(pool(F1), pool(F2),
  pool(F3), F4)``, then a disentangled non-local (DNL) block, the
  "transformer block" of the abstract, captures non-local context;
* an FPN decoder;
* cross-entropy plus a contrastive loss on pixel embeddings;
* 80.4% mIoU on the Cityscapes test set at 214.82 GFLOPs.

Inferred here (the paper's choices were not available), each named in the
code where it applies:

* the pooling is average pooling with kernel = stride = the scale ratio
  (ceil mode, so any input size works); summaries call it "polyphase
  pooling";
* the concatenation is reduced to ``channels`` (256) by a 1x1 conv + BN +
  ReLU before the DNL block, which is mmseg's ``DisentangledNonLocal2d``
  with DNLNet's defaults (reduction 2, scaled embedded Gaussian,
  temperature 0.05) and no feed-forward layer after it;
* the refined 1/32 feature re-enters the decoder in place of F4 as the top
  input of mmseg's ``FPN`` (256 channels), and the decoder is Semantic FPN
  (as mmseg's ``FPNHead``: 128 channels, every level brought to 1/4 and
  summed), the segmentation decoder of the VAN paper;
* the DNL block's output BN starts from small random weights, not zeros
  (see ``FeatureRefinementModule.init_weights``);
* the contrastive loss (``PixelContrastLoss``) acts on a 2-layer 1x1
  projection (256-d) of the summed 1/4 decoder feature, training only;
* the VAN variant, B0 (the smallest, "light-weight"), and the input size
  of the GFLOPs figure, 1024x2048 (a full Cityscapes image): with the
  choices above, mmengine's counter (one multiply-add = one FLOP) gives
  205.52 G (eval mode), 4.3% under the paper's 214.82; B1 gives 276.20 G
  and B2 380.72 G. 8,280,948 parameters for 19 classes, 49,664 of them in the
  training-only projection (the paper's count was not available).
"""
from copy import deepcopy
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.decode_heads.dnl_head import DisentangledNonLocal2d
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.necks import FPN
from mmseg.utils import ConfigType, OptConfigType, SampleList

from cgnet_mm.models.layers import default_norm_cfg
from cgnet_mm.registry import MODELS


@MODELS.register_module()
class MultiStageAggregation(nn.Module):
    """``Fc = cat(pool(F1), ..., pool(F_{n-1}), F_n)``: every stage average
    pooled to the last one's size, then concatenated (FRM paper, Sec. 2).

    Inferred: kernel = stride = the stage's scale ratio to the last stage,
    with ceil mode, so a partial window at the border averages the pixels it
    covers and the pooled size always equals the last stage's size.

    Args:
        strides (Sequence[int]): Output strides of the stages, e.g.
            (4, 8, 16, 32); each divides the last.
    """

    def __init__(self, strides: Sequence[int]):
        super().__init__()
        if any(strides[-1] % s for s in strides):
            raise ValueError('every stride must divide the last one, got '
                             f'{tuple(strides)}')
        self.ratios = tuple(strides[-1] // s for s in strides)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(feats) != len(self.ratios):
            raise ValueError(f'expected {len(self.ratios)} stages, got '
                             f'{len(feats)}')
        pooled = [
            F.avg_pool2d(x, r, r, ceil_mode=True) if r > 1 else x
            for x, r in zip(feats, self.ratios)
        ]
        return torch.cat(pooled, dim=1)


@MODELS.register_module()
class FeatureRefinementModule(BaseModule):
    """FRM: multi-stage aggregation, a 1x1 reduction and a disentangled
    non-local block (mmseg's, from DNLNet, Yin et al. ECCV 2020), giving a
    refined 1/32 feature with ``channels`` channels.

    Args:
        in_channels (Sequence[int]): Widths of F1-F4.
        strides (Sequence[int]): Their output strides.
            Default: (4, 8, 16, 32).
        channels (int): Width of the refined feature. Default: 256.
        reduction (int): DNL's embedding reduction. Default: 2.
        temperature (float): DNL's softmax temperature. Default: 0.05.
        conv_cfg (dict, optional): Conv config. Default: None.
        norm_cfg (dict, optional): Norm config. Default: None (BN).
        act_cfg (dict, optional): Activation of the reduction.
            Default: None (ReLU).
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 strides: Sequence[int] = (4, 8, 16, 32),
                 channels: int = 256,
                 reduction: int = 2,
                 temperature: float = 0.05,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: OptConfigType = None,
                 init_cfg=None):
        super().__init__(init_cfg)
        if len(in_channels) != len(strides):
            raise ValueError(f'in_channels {tuple(in_channels)} and strides '
                             f'{tuple(strides)} differ in length')
        self.aggregation = MultiStageAggregation(strides)
        self.reduce = ConvModule(
            sum(in_channels), channels, 1, conv_cfg=conv_cfg,
            norm_cfg=default_norm_cfg(norm_cfg),
            act_cfg=deepcopy(act_cfg) if act_cfg is not None else dict(
                type='ReLU'))
        self.dnl = DisentangledNonLocal2d(
            in_channels=channels, reduction=reduction, use_scale=True,
            conv_cfg=conv_cfg, norm_cfg=default_norm_cfg(norm_cfg),
            mode='embedded_gaussian', temperature=temperature)

    def init_weights(self):
        """As DNLNet, but the DNL block's output BN starts from N(0, 0.01)
        weights (mmcv's ``zeros_init=False``) instead of zeros: with zeros
        its convolutions get no gradient until that BN has moved."""
        super().init_weights()
        self.dnl.init_weights(zeros_init=False)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        return self.dnl(self.reduce(self.aggregation(feats)))


@MODELS.register_module()
class FRMHead(BaseDecodeHead):
    """The FRM network's decoder: FRM on F1-F4, mmseg's ``FPN`` on
    ``[F1, F2, F3, FRM]`` and a Semantic FPN head predicting at 1/4; in
    training, cross-entropy (``loss_decode``) plus the contrastive term
    (``loss_contrast``) on a projection of the summed 1/4 feature.

    The Semantic FPN head is mmseg's ``FPNHead`` (level i: max(1, i) 3x3
    conv + BN + ReLU, each followed by a 2x bilinear upsampling for i > 0;
    the levels summed at 1/4) except that each upsampling goes to the size
    of the next finer FPN level instead of a scale factor of 2: equal where
    sizes halve exactly, and it keeps odd sizes aligned and the exported
    graphs free of size guards.

    Args:
        in_channels (Sequence[int]): Widths of the four backbone stages.
        channels (int): Width of the Semantic FPN head.
        feature_strides (Sequence[int]): Strides of the stages.
            Default: (4, 8, 16, 32).
        frm_channels (int): Width of the refined feature. Default: 256.
        fpn_channels (int): FPN width. Default: 256.
        dnl_reduction (int): DNL reduction. Default: 2.
        dnl_temperature (float): DNL temperature. Default: 0.05.
        proj_channels (int): Embedding width of the contrastive projection.
            Default: 256.
        loss_contrast (dict, optional): The contrastive loss; None trains
            with ``loss_decode`` alone and builds no projection.
            Default: None.
        **kwargs: other :class:`BaseDecodeHead` arguments (``num_classes``,
            ``norm_cfg``, ``loss_decode``, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 feature_strides: Sequence[int] = (4, 8, 16, 32),
                 frm_channels: int = 256,
                 fpn_channels: int = 256,
                 dnl_reduction: int = 2,
                 dnl_temperature: float = 0.05,
                 proj_channels: int = 256,
                 loss_contrast: OptConfigType = None,
                 **kwargs):
        if len(in_channels) != 4 or len(feature_strides) != 4:
            raise ValueError('FRMHead takes the 4 backbone stages F1-F4, got '
                             f'in_channels={tuple(in_channels)}')
        kwargs.setdefault('in_index', (0, 1, 2, 3))
        super().__init__(list(in_channels), channels,
                         input_transform='multiple_select', **kwargs)
        self.frm = FeatureRefinementModule(
            in_channels, feature_strides, frm_channels, dnl_reduction,
            dnl_temperature, self.conv_cfg, self.norm_cfg, self.act_cfg)
        self.fpn = FPN([*in_channels[:3], frm_channels], fpn_channels, 4)
        conv = dict(kernel_size=3, padding=1, conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg, act_cfg=self.act_cfg)
        self.scale_heads = nn.ModuleList(
            nn.ModuleList(
                ConvModule(fpn_channels if k == 0 else channels, channels,
                           **conv) for k in range(max(1, level)))
            for level in range(4))
        if loss_contrast is None:
            self.loss_contrast = None
            self.projector = None
        else:
            self.loss_contrast = MODELS.build(
                deepcopy(loss_contrast),
                default_args=dict(ignore_index=self.ignore_index))
            self.projector = nn.Sequential(
                ConvModule(channels, channels, 1, norm_cfg=self.norm_cfg,
                           act_cfg=self.act_cfg),
                nn.Conv2d(channels, proj_channels, 1))

    def decode(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """The summed 1/4 feature of the Semantic FPN head."""
        stages = self._transform_inputs(inputs)
        feats = self.fpn([*stages[:3], self.frm(stages)])
        out = 0
        for level, (convs, x) in enumerate(zip(self.scale_heads, feats)):
            for k, conv in enumerate(convs):
                x = conv(x)
                if level:
                    x = F.interpolate(x, size=feats[level - k - 1].shape[2:],
                                      mode='bilinear',
                                      align_corners=self.align_corners)
            out = out + x
        return out

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        return self.cls_seg(self.decode(inputs))

    def loss(self, inputs: List[torch.Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        fused = self.decode(inputs)
        losses = self.loss_by_feat(self.cls_seg(fused), batch_data_samples)
        if self.loss_contrast is not None:
            labels = self._stack_batch_gt(batch_data_samples).squeeze(1)
            losses[self.loss_contrast.loss_name] = self.loss_contrast(
                self.projector(fused), labels)
        return losses
