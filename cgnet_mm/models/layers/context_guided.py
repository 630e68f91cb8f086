"""Building blocks of CGNet (Wu et al., "CGNet: A Light-weight Context Guided
Network for Semantic Segmentation", TIP 2020, https://arxiv.org/abs/1811.08201).

Parameter names follow MMSegmentation 1.2.2's CGNet so its checkpoints load
unchanged; the parts of the Context Guided block carry the paper's names
(``f_loc``, ``f_sur``, ``f_joi``, ``f_glo``).
"""
from copy import deepcopy

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import (ConvModule, build_activation_layer, build_conv_layer,
                      build_norm_layer)
from mmengine.model import BaseModule
from mmseg.utils import ConfigType, OptConfigType

from cgnet_mm.registry import MODELS


def default_norm_cfg(norm_cfg: OptConfigType) -> ConfigType:
    """A private copy of ``norm_cfg``; BN when None."""
    return deepcopy(norm_cfg) if norm_cfg is not None else dict(
        type='BN', requires_grad=True)


def act_cfg_for(act_cfg: OptConfigType, channels: int) -> ConfigType:
    """A private copy of ``act_cfg`` (PReLU when None) sized for ``channels``.

    PReLU learns one slope per channel, so its ``num_parameters`` depends on
    where it is used; every other activation is returned as given.
    """
    cfg = deepcopy(act_cfg) if act_cfg is not None else dict(type='PReLU')
    if cfg.get('type') == 'PReLU':
        cfg['num_parameters'] = channels
    return cfg


def norm_act(norm_cfg: OptConfigType, act_cfg: OptConfigType,
             channels: int) -> nn.Sequential:
    """BN followed by its activation (keys ``0.*`` and ``1.*``)."""
    return nn.Sequential(
        build_norm_layer(default_norm_cfg(norm_cfg), channels)[1],
        build_activation_layer(act_cfg_for(act_cfg, channels)))


class GlobalContextExtractor(nn.Module):
    """``f_glo``: re-weights channels by the feature's global context (SE).

    Args:
        channels (int): Channels of the joint feature.
        reduction (int): Squeeze ratio of the hidden layer. Default: 16.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        if not 1 <= reduction <= channels:
            raise ValueError(f'reduction must lie in [1, channels={channels}],'
                             f' got {reduction}')
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction), nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[:2]
        weight = self.fc(self.avg_pool(x).view(n, c)).view(n, c, 1, 1)
        return x * weight


@MODELS.register_module()
class ContextGuidedBlock(BaseModule):
    """Context Guided block: local feature, surrounding context, joint
    feature and global context re-weighting, with a residual connection.

    The down-sampling variant replaces the 1x1 projection by a stride-2 3x3
    convolution, fuses the joint feature back to ``out_channels`` with a 1x1
    ``bottleneck`` and has no residual.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        dilation (int): Dilation of the surrounding-context conv. Default: 2.
        reduction (int): Squeeze ratio of ``f_glo``. Default: 16.
        skip_connect (bool): Add the input to the output (the paper's local
            residual); ignored when down-sampling. Default: True.
        downsample (bool): Halve the resolution. Default: False.
        conv_cfg (dict, optional): Conv layer config. Default: None (Conv2d).
        norm_cfg (dict, optional): Norm layer config. Default: None (BN).
        act_cfg (dict, optional): Activation config. Default: None (PReLU).
        with_cp (bool): Gradient checkpointing to save memory. Default: False.
        init_cfg (dict, optional): Initialisation config. Default: None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 dilation: int = 2,
                 reduction: int = 16,
                 skip_connect: bool = True,
                 downsample: bool = False,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: OptConfigType = None,
                 with_cp: bool = False,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
        self.downsample = downsample
        self.skip_connect = skip_connect and not downsample
        if self.skip_connect and in_channels != out_channels:
            raise ValueError(
                'a residual CG block needs in_channels == out_channels, got '
                f'{in_channels} and {out_channels}; set skip_connect=False or'
                ' downsample=True')
        self.with_cp = with_cp
        norm_cfg = default_norm_cfg(norm_cfg)
        channels = out_channels if downsample else out_channels // 2

        kernel = 3 if downsample else 1
        self.conv1x1 = ConvModule(
            in_channels, channels, kernel, stride=2 if downsample else 1,
            padding=kernel // 2, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
            act_cfg=act_cfg_for(act_cfg, channels))
        self.f_loc = build_conv_layer(
            conv_cfg, channels, channels, kernel_size=3, padding=1,
            groups=channels, bias=False)
        self.f_sur = build_conv_layer(
            conv_cfg, channels, channels, kernel_size=3, padding=dilation,
            dilation=dilation, groups=channels, bias=False)
        self.bn = build_norm_layer(norm_cfg, 2 * channels)[1]
        self.activate = build_activation_layer(
            act_cfg_for(act_cfg, 2 * channels))
        self.bottleneck = build_conv_layer(
            conv_cfg, 2 * channels, out_channels, kernel_size=1,
            bias=False) if downsample else nn.Identity()
        self.f_glo = GlobalContextExtractor(out_channels, reduction)

    def f_joi(self, loc: torch.Tensor, sur: torch.Tensor) -> torch.Tensor:
        """Joint feature: both contexts concatenated, then BN + PReLU."""
        return self.activate(self.bn(torch.cat([loc, sur], dim=1)))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv1x1(x)
        joint = self.bottleneck(self.f_joi(self.f_loc(feat), self.f_sur(feat)))
        out = self.f_glo(joint)
        return x + out if self.skip_connect else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)


class InputInjection(nn.Module):
    """Down-samples the image ``num_downsampling`` times by 3x3 average
    pooling with stride 2, to be concatenated with a deeper stage."""

    def __init__(self, num_downsampling: int):
        super().__init__()
        self.pool = nn.ModuleList(
            nn.AvgPool2d(3, stride=2, padding=1)
            for _ in range(num_downsampling))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for pool in self.pool:
            x = pool(x)
        return x
