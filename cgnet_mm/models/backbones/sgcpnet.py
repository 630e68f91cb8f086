"""SGCPNet (Hao et al., "Real-time Semantic Segmentation via Spatial-detail
Guided Context Propagation", IEEE TNNLS 2022,
https://arxiv.org/abs/2005.11034).

A MobileNetV3-Small-like encoder runs down to 1/32; its 1/8, 1/16 and 1/32
features, projected to 40/112/320 channels, feed the spatial-detail guided
context propagation (SGCP) module, which carries the low-resolution global
context back up to 1/8 under the guidance of the shallow layers' spatial
details; a 1x1 classifier predicts at 1/8.

Layer table, channels and fusion rule are facts read from the authors' code
(github.com/zhouyuan888888/SGCPNet, no licence: read, not copied):

* encoder: 3x3 stride-2 stem (16 channels, h-swish) and 11 bottlenecks;
  unlike MobileNetV3 the squeeze-excitation re-weights the *projected*
  output (after its BN), and a stride-1 block that changes width has a
  1x1 conv + BN shortcut;
* SGCP module: one top-down + bottom-up pass over P3-P7 (P6, P7 max-pooled
  from P5), then a top-down-only pass, both at 64 channels. Every node is a
  fast normalised fusion (ReLU weights divided by their sum + 1e-4, as in
  EfficientDet's BiFPN), swish, and a separable 3x3 conv with BN
  (momentum 0.01, eps 1e-3).

Deviations, none changing the parameter count (607,826 for 19 classes):
the separable convs carry their bias on the depthwise conv (mmcv's
``DepthwiseSeparableConvModule``) instead of the pointwise one; both sit
before BN, which absorbs either. Init: the authors start the encoder from
ImageNet MobileNetV3-Small weights, which are not available here; it is
Kaiming-initialised (``init_cfg`` can load a checkpoint).
"""
from copy import deepcopy
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig

from cgnet_mm.models.layers import NormEvalBackbone, default_norm_cfg
from cgnet_mm.registry import MODELS


class SqueezeExcitation(BaseModule):
    """Channel re-weighting with BN in both 1x1 layers (ReLU, h-sigmoid), as
    the authors' encoder; mmseg's ``SELayer`` has no BN and rounds the
    hidden width to a multiple of 8, which changes the parameter count.

    Args:
        channels (int): Channels re-weighted.
        ratio (int): Squeeze ratio. Default: 4.
        norm_cfg (dict, optional): Norm config. Default: None (BN).
    """

    def __init__(self, channels: int, ratio: int = 4,
                 norm_cfg: OptConfigType = None):
        super().__init__()
        hidden = channels // ratio
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.squeeze = ConvModule(channels, hidden, 1, bias=False,
                                  norm_cfg=default_norm_cfg(norm_cfg),
                                  act_cfg=dict(type='ReLU'))
        # h-sigmoid applied in forward: mmcv's HSigmoid computes (x + 3) / 6
        # as a conv-then-scalar-add, which torchao's int8 quantizer rejects
        self.excite = ConvModule(hidden, channels, 1, bias=False,
                                 norm_cfg=default_norm_cfg(norm_cfg),
                                 act_cfg=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * F.hardsigmoid(self.excite(self.squeeze(self.pool(x))))


class Bottleneck(BaseModule):
    """MobileNetV3 bottleneck as in SGCPNet's encoder: 1x1 expansion,
    kxk depthwise conv (carrying the stride), linear 1x1 projection, SE on
    the projection's output, and a residual at stride 1 (identity, or
    1x1 conv + BN when the width changes); no residual at stride 2.

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Expanded channels.
        out_channels (int): Output channels.
        kernel_size (int): Depthwise kernel size.
        stride (int): Depthwise stride, 1 or 2.
        with_se (bool): Squeeze-excitation on the output.
        act_cfg (dict): Activation of the expansion and depthwise convs.
        conv_cfg (dict, optional): Conv config. Default: None.
        norm_cfg (dict, optional): Norm config. Default: None (BN).
    """

    def __init__(self, in_channels: int, mid_channels: int,
                 out_channels: int, kernel_size: int, stride: int,
                 with_se: bool, act_cfg: ConfigType,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        conv = dict(conv_cfg=conv_cfg, norm_cfg=default_norm_cfg(norm_cfg))
        self.expand_conv = ConvModule(in_channels, mid_channels, 1,
                                      act_cfg=deepcopy(act_cfg), **conv)
        self.depthwise_conv = ConvModule(
            mid_channels, mid_channels, kernel_size, stride=stride,
            padding=kernel_size // 2, groups=mid_channels,
            act_cfg=deepcopy(act_cfg), **conv)
        self.linear_conv = ConvModule(mid_channels, out_channels, 1,
                                      act_cfg=None, **conv)
        self.se = SqueezeExcitation(out_channels, norm_cfg=norm_cfg) \
            if with_se else nn.Identity()
        self.with_residual = stride == 1
        if self.with_residual and in_channels != out_channels:
            self.shortcut = ConvModule(in_channels, out_channels, 1,
                                       act_cfg=None, **conv)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.linear_conv(self.depthwise_conv(self.expand_conv(x)))
        out = self.se(out)
        return out + self.shortcut(x) if self.with_residual else out


class WeightedFusion(BaseModule):
    """A node of the SGCP module: fast normalised fusion of same-sized
    inputs, ``sum_i relu(w_i) x_i / (sum_j relu(w_j) + eps)``, with one
    learned weight per input (initialised to 1), then the activation and a
    separable 3x3 conv with BN.

    Args:
        num_inputs (int): Inputs fused.
        channels (int): Channels of every input and of the output.
        eps (float): Keeps the normalisation finite (the authors': 1e-4).
        norm_cfg (dict): Norm of the separable conv.
        act_cfg (dict): Activation applied to the fused sum.
    """

    def __init__(self, num_inputs: int, channels: int, eps: float,
                 norm_cfg: ConfigType, act_cfg: ConfigType):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_inputs))
        self.act = MODELS.build(deepcopy(act_cfg))
        self.conv = DepthwiseSeparableConvModule(
            channels, channels, 3, padding=1, norm_cfg=deepcopy(norm_cfg),
            act_cfg=None, dw_norm_cfg=None, dw_act_cfg=None)

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        weight = F.relu(self.weight)
        weight = weight / (weight.sum() + self.eps)
        fused = sum(w * x for w, x in zip(weight, inputs))
        return self.conv(self.act(fused))


def _upsample_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[2:], mode='nearest')


class TopDownPath(BaseModule):
    """Top-down context propagation over P3-P7: each level fuses its own
    feature with the (nearest-upsampled) result of the level above.

    Returns ``[P3_td, P4_td, P5_td, P6_td, P7]`` (P7 passes unchanged).
    """

    def __init__(self, channels: int, eps: float, norm_cfg: ConfigType,
                 act_cfg: ConfigType, num_levels: int = 5):
        super().__init__()
        # fusions[i] produces level i (P3 = 0), top (P6) first when run
        self.fusions = nn.ModuleList(
            WeightedFusion(2, channels, eps, norm_cfg, act_cfg)
            for _ in range(num_levels - 1))

    def forward(self, feats: List[torch.Tensor]) -> List[torch.Tensor]:
        outs = [feats[-1]]
        for level in range(len(feats) - 2, -1, -1):
            above = _upsample_to(outs[0], feats[level])
            outs.insert(0, self.fusions[level]([feats[level], above]))
        return outs


class BottomUpPath(BaseModule):
    """Bottom-up pass of the guided layer over P4-P7: each level fuses its
    own input, its top-down result (not for P7, the top) and the max-pooled
    (3x3, stride 2) output of the level below, so the 1/8 spatial details
    steer the coarse levels.

    Returns ``[P3_td, P4_out, ..., P7_out]``.
    """

    def __init__(self, channels: int, eps: float, norm_cfg: ConfigType,
                 act_cfg: ConfigType, num_levels: int = 5):
        super().__init__()
        self.downsample = nn.MaxPool2d(3, stride=2, padding=1)
        # fusions[i] produces level i + 1 (P4 = 0); the top one has no
        # top-down input
        self.fusions = nn.ModuleList(
            WeightedFusion(3 if i < num_levels - 2 else 2, channels, eps,
                           norm_cfg, act_cfg) for i in range(num_levels - 1))

    def forward(self, inputs: List[torch.Tensor],
                top_down: List[torch.Tensor]) -> List[torch.Tensor]:
        outs = [top_down[0]]
        for level in range(1, len(inputs)):
            # a 3x3/2 pool with padding 1 gives ceil(H/2): the size of the
            # level above, as the encoder's stride-2 convs do
            below = self.downsample(outs[-1])
            middle = [top_down[level]] if level < len(inputs) - 1 else []
            outs.append(self.fusions[level - 1](
                [inputs[level], *middle, below]))
        return outs


@MODELS.register_module()
class SGCPNet(NormEvalBackbone):
    """SGCPNet encoder: MobileNetV3-Small-like stages down to 1/32 and the
    1x1 projections of the 1/8, 1/16 and 1/32 taps (431,180 + 37,528
    parameters).

    Outputs: 40 channels @ 1/8, 112 @ 1/16, 320 @ 1/32.

    Args:
        in_channels (int): Image channels. Default: 3.
        out_channels (Sequence[int]): Widths of the three projected taps.
            Default: (40, 112, 320).
        conv_cfg (dict, optional): Conv config. Default: None.
        norm_cfg (dict, optional): Norm config. Default: None (BN).
        norm_eval (bool): Keep norm layers in eval mode while training.
            Default: False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Default: None (Kaiming fan-out convs, BN weight 1, as the
            authors' encoder before it loads ImageNet weights).
    """

    # kernel, expanded, out channels, activation, SE, stride; stages end
    # at 1/4, 1/8, 1/16 and 1/32 after blocks 0, 2, 7 and 10
    arch = (
        (3, 16, 16, 'ReLU', True, 2),
        (3, 72, 24, 'ReLU', False, 2),
        (3, 88, 24, 'ReLU', False, 1),
        (5, 96, 40, 'HSwish', True, 2),
        (5, 240, 40, 'HSwish', True, 1),
        (5, 240, 40, 'HSwish', True, 1),
        (5, 120, 48, 'HSwish', True, 1),
        (5, 144, 48, 'HSwish', True, 1),
        (5, 288, 96, 'HSwish', True, 2),
        (5, 576, 96, 'HSwish', True, 1),
        (5, 576, 96, 'HSwish', True, 1),
    )
    stage_ends = (1, 3, 8, 11)
    stem_channels = 16

    def __init__(self,
                 in_channels: int = 3,
                 out_channels: Sequence[int] = (40, 112, 320),
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 norm_eval: bool = False,
                 init_cfg: OptMultiConfig = None):
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', mode='fan_out', layer='Conv2d'),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])
            ]
        super().__init__(init_cfg)
        if len(out_channels) != 3 or any(int(c) < 1 for c in out_channels):
            raise ValueError('out_channels must hold 3 positive integers, '
                             f'got {out_channels!r}')
        norm_cfg = default_norm_cfg(norm_cfg)
        self.norm_eval = norm_eval
        self.stem = ConvModule(in_channels, self.stem_channels, 3, stride=2,
                               padding=1, conv_cfg=conv_cfg,
                               norm_cfg=deepcopy(norm_cfg),
                               act_cfg=dict(type='HSwish'))
        blocks, width = [], self.stem_channels
        for kernel, mid, out, act, with_se, stride in self.arch:
            blocks.append(Bottleneck(width, mid, out, kernel, stride, with_se,
                                     dict(type=act), conv_cfg, norm_cfg))
            width = out
        starts = (0, ) + self.stage_ends[:-1]
        self.stages = nn.ModuleList(
            nn.Sequential(*blocks[a:b])
            for a, b in zip(starts, self.stage_ends))
        taps = [self.arch[end - 1][2] for end in self.stage_ends[1:]]
        self.projections = nn.ModuleList(
            ConvModule(tap, int(out), 1, conv_cfg=conv_cfg, act_cfg=None)
            for tap, out in zip(taps, out_channels))

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = self.stages[0](self.stem(x))  # 16 @ 1/4
        outs = []
        for stage, project in zip(self.stages[1:], self.projections):
            x = stage(x)
            outs.append(project(x))
        return outs


@MODELS.register_module()
class SGCPHead(BaseDecodeHead):
    """Spatial-detail guided context propagation module and classifier.

    The three encoder taps are projected to ``channels`` (twice for P4 and
    P5: once for the top-down and once for the bottom-up pass), P6 and P7
    are max-pooled (3x3, stride 2) from a projection of P5. A guided layer
    runs top-down then bottom-up over P3-P7; a top-down-only pass brings
    the result to P3 (1/8), where ``conv_seg`` (1x1) classifies. All
    lateral projections are 1x1 conv (with bias, as the authors') + BN.
    137,883 parameters before the classifier (1,235 for 19 classes).

    Args:
        eps (float): Fusion-weight normalisation epsilon. Default: 1e-4.
        **kwargs: :class:`BaseDecodeHead` arguments; ``in_channels`` a
            sequence of 3 (with ``in_index`` of the same length), ``norm_cfg``
            None means BN with momentum 0.01 and eps 1e-3, ``act_cfg`` is the
            fusion activation (None: swish).
    """

    num_levels = 5

    def __init__(self, eps: float = 1e-4, **kwargs):
        norm_cfg = kwargs.pop('norm_cfg', None)
        act_cfg = kwargs.pop('act_cfg', None)
        super().__init__(
            input_transform='multiple_select',
            norm_cfg=deepcopy(norm_cfg) if norm_cfg is not None else dict(
                type='BN', momentum=0.01, eps=1e-3, requires_grad=True),
            act_cfg=deepcopy(act_cfg) if act_cfg is not None else dict(
                type='Swish'),
            **kwargs)
        if len(self.in_channels) != 3:
            raise ValueError('SGCPHead takes 3 inputs (1/8, 1/16, 1/32), got '
                             f'in_channels={self.in_channels!r}')
        c3, c4, c5 = self.in_channels
        lateral = dict(kernel_size=1, bias=True, conv_cfg=self.conv_cfg,
                       norm_cfg=self.norm_cfg, act_cfg=None)
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, self.channels, **lateral) for c in (c3, c4, c5))
        self.p6_conv = ConvModule(c5, self.channels, **lateral)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.bottom_up_laterals = nn.ModuleList(
            ConvModule(c, self.channels, **lateral) for c in (c4, c5))
        path = dict(channels=self.channels, eps=eps, norm_cfg=self.norm_cfg,
                    act_cfg=self.act_cfg, num_levels=self.num_levels)
        self.guided_top_down = TopDownPath(**path)
        self.guided_bottom_up = BottomUpPath(**path)
        self.top_down = TopDownPath(**path)

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        c3, c4, c5 = self._transform_inputs(inputs)
        p6 = self.pool(self.p6_conv(c5))
        p7 = self.pool(p6)
        laterals = [conv(c) for conv, c in zip(self.lateral_convs,
                                               (c3, c4, c5))] + [p6, p7]
        top_down = self.guided_top_down(laterals)
        bottom_up_in = [laterals[0]] + [
            conv(c) for conv, c in zip(self.bottom_up_laterals, (c4, c5))
        ] + [p6, p7]
        guided = self.guided_bottom_up(bottom_up_in, top_down)
        return self.cls_seg(self.top_down(guided)[0])
