"""VAN (Guo et al., "Visual Attention Network", CVMJ 2023,
https://arxiv.org/abs/2202.09741), the backbone of the FRM network.

Four stages of overlapping patch embeddings (7x7 stride 4, then 3x3
stride 2, each with BN) and VAN blocks, each stage closed by a LayerNorm;
features F1-F4 at 1/4, 1/8, 1/16 and 1/32. A VAN block is SegNeXt's MSCAN
block with large kernel attention (LKA: 5x5 depthwise, 7x7 depthwise with
dilation 3, 1x1) in place of the multi-scale strip convolutions, so it is
built from MMSegmentation 1.2.2's ``MSCABlock``, ``OverlapPatchEmbed`` and
``Mlp``. VAN itself is only in mmseg's ``projects/van``, which is not
pip-installed; timm has no VAN (no ``timm/models/van.py`` in its
repository); mmpretrain has one, but would be a whole extra toolbox for one
backbone that mmseg's parts already build.
Parameter names are those of mmseg's ``projects/van`` (``patch_embed1``,
``block1.0.attn.spatial_gating_unit.conv_spatial``, ``norm1``, ...), so
its converted ImageNet checkpoints load with ``init_cfg``.

Variants (widths, depths and MLP ratios from the VAN paper's Table 2):
3,848,800 (B0), 13,348,800 (B1), 26,065,472 (B2) and 44,252,608 (B3)
parameters; with the paper's 1000-class classifier added, 4.11, 13.86, 26.58
and 44.77 M, the paper's 4.1, 13.9, 26.6 and 44.8 M.
"""
from copy import deepcopy
from typing import List, Sequence

import torch
import torch.nn as nn
from mmseg.models.backbones.mscan import MSCABlock, OverlapPatchEmbed
from mmseg.utils import OptConfigType, OptMultiConfig

from cgnet_mm.models.layers import NormEvalBackbone, default_norm_cfg
from cgnet_mm.registry import MODELS


class LargeKernelAttention(nn.Module):
    """LKA (VAN paper, Sec. 3.2): a 21x21 receptive field from a 5x5
    depthwise conv, a 7x7 depthwise conv with dilation 3 and a 1x1 conv;
    the result re-weights the input element-wise.

    Args:
        channels (int): Channels of the input and output.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 5, padding=2,
                               groups=channels)
        self.conv_spatial = nn.Conv2d(channels, channels, 7, padding=9,
                                      dilation=3, groups=channels)
        self.conv1 = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv1(self.conv_spatial(self.conv0(x)))


class VANBlock(MSCABlock):
    """mmseg's MSCAN block (BN, attention, layer scale 1e-2, drop path; BN,
    MLP with a 3x3 depthwise conv) whose gating unit is LKA.

    Args:
        channels (int): Block width.
        mlp_ratio (float): MLP hidden width over ``channels``.
        drop_path (float): Stochastic depth rate.
        act_cfg (dict): Activation of the attention and MLP.
        norm_cfg (dict): Norm of the two pre-norms.
    """

    def __init__(self, channels: int, mlp_ratio: float, drop_path: float,
                 act_cfg: dict, norm_cfg: dict):
        super().__init__(channels, mlp_ratio=mlp_ratio,
                         drop_path=drop_path, act_cfg=deepcopy(act_cfg),
                         norm_cfg=deepcopy(norm_cfg))
        self.attn.spatial_gating_unit = LargeKernelAttention(channels)


@MODELS.register_module()
class VAN(NormEvalBackbone):
    """Visual Attention Network backbone; outputs F1-F4 (1/4 to 1/32).

    Args:
        arch (str): 'b0', 'b1', 'b2' or 'b3' (the VAN paper's variants).
            Default: 'b0' (the FRM network's).
        in_channels (int): Image channels. Default: 3.
        drop_path_rate (float): Stochastic depth rate of the last block,
            rising linearly from 0. Default: 0.1.
        act_cfg (dict, optional): Activation. Default: None (GELU).
        norm_cfg (dict, optional): Norm of the patch embeddings and blocks.
            Default: None (BN).
        norm_eval (bool): Keep norm layers in eval mode while training.
            Default: False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Default: None (Kaiming fan-out convs, norms weight 1 and bias
            0, as VAN before it loads ImageNet weights).
    """

    arch_settings = {
        'b0': dict(embed_dims=(32, 64, 160, 256), depths=(3, 3, 5, 2),
                   mlp_ratios=(8, 8, 4, 4)),
        'b1': dict(embed_dims=(64, 128, 320, 512), depths=(2, 2, 4, 2),
                   mlp_ratios=(8, 8, 4, 4)),
        'b2': dict(embed_dims=(64, 128, 320, 512), depths=(3, 3, 12, 3),
                   mlp_ratios=(8, 8, 4, 4)),
        'b3': dict(embed_dims=(64, 128, 320, 512), depths=(3, 5, 27, 3),
                   mlp_ratios=(8, 8, 4, 4)),
    }

    def __init__(self,
                 arch: str = 'b0',
                 in_channels: int = 3,
                 drop_path_rate: float = 0.1,
                 act_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 norm_eval: bool = False,
                 init_cfg: OptMultiConfig = None):
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', mode='fan_out', layer='Conv2d',
                     distribution='normal'),
                dict(type='Constant', val=1, bias=0,
                     layer=['_BatchNorm', 'LayerNorm'])
            ]
        super().__init__(init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'arch must be one of '
                             f'{sorted(self.arch_settings)}, got {arch!r}')
        setting = self.arch_settings[arch]
        self.embed_dims: Sequence[int] = setting['embed_dims']
        self.norm_eval = norm_eval
        norm_cfg = default_norm_cfg(norm_cfg)
        act_cfg = deepcopy(act_cfg) if act_cfg is not None else dict(
            type='GELU')
        depths = setting['depths']
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        width = in_channels
        for i, (dim, depth, ratio) in enumerate(
                zip(self.embed_dims, depths, setting['mlp_ratios'])):
            setattr(self, f'patch_embed{i + 1}', OverlapPatchEmbed(
                patch_size=7 if i == 0 else 3, stride=4 if i == 0 else 2,
                in_channels=width, embed_dim=dim,
                norm_cfg=deepcopy(norm_cfg)))
            first = sum(depths[:i])
            setattr(self, f'block{i + 1}', nn.ModuleList(
                VANBlock(dim, ratio, rates[first + j], act_cfg, norm_cfg)
                for j in range(depth)))
            setattr(self, f'norm{i + 1}', nn.LayerNorm(dim))
            width = dim

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        outs = []
        for i in range(1, len(self.embed_dims) + 1):
            x, h, w = getattr(self, f'patch_embed{i}')(x)
            for block in getattr(self, f'block{i}'):
                x = block(x, h, w)
            x = getattr(self, f'norm{i}')(x)
            x = x.transpose(1, 2).reshape(x.shape[0], -1, h, w)
            outs.append(x)
        return outs
