"""CGNet backbone (Wu et al., "CGNet: A Light-weight Context Guided Network
for Semantic Segmentation", TIP 2020, https://arxiv.org/abs/1811.08201).

Architecture as in the authors' code (wutianyiRosun/CGNet) and
MMSegmentation 1.2.2's ``CGNet``, whose parameter names it keeps so that
mmseg's published checkpoints load unchanged. Differences from mmseg: no
mutable default configs, argument validation, and ``act_cfg`` honoured in
every CG block.
"""
import numbers
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmseg.utils import OptConfigType, OptMultiConfig

from cgnet_mm.models.layers import (ContextGuidedBlock, InputInjection,
                                    NormEvalBackbone, act_cfg_for,
                                    default_norm_cfg, norm_act)
from cgnet_mm.registry import MODELS
from cgnet_mm.utils.errors import BadValueError


def _check_len(name: str, value: Sequence[int], default: tuple) -> tuple:
    """``value`` as a tuple of positive ints as long as ``default``; anything
    else (a string from ``--cfg-options``, floats, zeros) is refused with
    the argument's name and an example."""
    if isinstance(value, (str, bytes)) or not hasattr(value, '__len__') or \
            len(value) != len(default) or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool)
                and v >= 1 for v in value):
        example = ','.join(str(v) for v in default)
        raise BadValueError(
            f'CGNet {name} must hold {len(default)} positive integers, got '
            f'{value!r}; e.g. --cfg-options model.backbone.{name}={example}')
    return tuple(int(v) for v in value)


@MODELS.register_module()
class CGNet(NormEvalBackbone):
    """Context Guided Network backbone (M3N21 by default: 491,442 params).

    Stage 0 is a 3-conv stem at 1/2 resolution, stages 1 and 2 stack CG
    blocks at 1/4 and 1/8; the image is re-injected (average-pooled) into
    stages 0 and 1. Outputs, for M3N21: 35 channels @ 1/2, 131 @ 1/4,
    256 @ 1/8.

    Args:
        in_channels (int): Image channels. Default: 3.
        num_channels (Sequence[int]): Channels of stages 0, 1, 2.
            Default: (32, 64, 128).
        num_blocks (Sequence[int]): CG blocks in stages 1 and 2 (the paper's
            M and N). Default: (3, 21).
        dilations (Sequence[int]): Surrounding-context dilation in stages 1
            and 2. Default: (2, 4).
        reductions (Sequence[int]): ``f_glo`` squeeze ratios in stages 1 and
            2. Default: (8, 16).
        conv_cfg (dict, optional): Conv layer config. Default: None.
        norm_cfg (dict, optional): Norm config. Default: None (BN; the
            paper's configs use eps=1e-3).
        act_cfg (dict, optional): Activation config. Default: None (PReLU).
        norm_eval (bool): Keep norm layers in eval mode while training.
            Default: False.
        with_cp (bool): Gradient checkpointing in CG blocks. Default: False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Default: None (Kaiming convs/linears, BN weight 1, PReLU 0, as
            mmseg).
    """

    def __init__(self,
                 in_channels: int = 3,
                 num_channels: Sequence[int] = (32, 64, 128),
                 num_blocks: Sequence[int] = (3, 21),
                 dilations: Sequence[int] = (2, 4),
                 reductions: Sequence[int] = (8, 16),
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: OptConfigType = None,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg: OptMultiConfig = None):
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer=['Conv2d', 'Linear']),
                dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
                dict(type='Constant', val=0, layer='PReLU')
            ]
        super().__init__(init_cfg)
        c0, c1, c2 = _check_len('num_channels', num_channels, (32, 64, 128))
        m, n = _check_len('num_blocks', num_blocks, (3, 21))
        dilations = _check_len('dilations', dilations, (2, 4))
        reductions = _check_len('reductions', reductions, (8, 16))
        norm_cfg = default_norm_cfg(norm_cfg)
        self.norm_eval = norm_eval
        block = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
                     with_cp=with_cp)

        # stage 0: three 3x3 convs, the first with stride 2 -> 1/2
        self.stem = nn.ModuleList(
            ConvModule(in_channels if i == 0 else c0, c0, 3,
                       stride=2 if i == 0 else 1, padding=1,
                       conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                       act_cfg=act_cfg_for(act_cfg, c0)) for i in range(3))
        self.inject_2x = InputInjection(1)
        self.inject_4x = InputInjection(2)
        self.norm_prelu_0 = norm_act(norm_cfg, act_cfg, c0 + in_channels)

        # stage 1: down-sampling CG block, then M-1 residual ones -> 1/4
        self.level1 = nn.ModuleList(
            ContextGuidedBlock(
                c0 + in_channels if i == 0 else c1, c1, dilations[0],
                reductions[0], downsample=i == 0, **block) for i in range(m))
        self.norm_prelu_1 = norm_act(norm_cfg, act_cfg, 2 * c1 + in_channels)

        # stage 2: down-sampling CG block, then N-1 residual ones -> 1/8
        self.level2 = nn.ModuleList(
            ContextGuidedBlock(
                2 * c1 + in_channels if i == 0 else c2, c2, dilations[1],
                reductions[1], downsample=i == 0, **block) for i in range(n))
        self.norm_prelu_2 = norm_act(norm_cfg, act_cfg, 2 * c2)

    @staticmethod
    def _run_stage(blocks: nn.ModuleList, x: torch.Tensor):
        """Runs a stage; returns its output and its first block's output."""
        first = x = blocks[0](x)
        for blk in blocks[1:]:
            x = blk(x)
        return x, first

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        inp_2x, inp_4x = self.inject_2x(x), self.inject_4x(x)
        for conv in self.stem:
            x = conv(x)
        out0 = self.norm_prelu_0(torch.cat([x, inp_2x], 1))  # c0+3 @ 1/2

        x, down1 = self._run_stage(self.level1, out0)
        out1 = self.norm_prelu_1(torch.cat([x, down1, inp_4x], 1))  # @ 1/4

        x, down2 = self._run_stage(self.level2, out1)
        out2 = self.norm_prelu_2(torch.cat([down2, x], 1))  # 2*c2 @ 1/8
        return [out0, out1, out2]
