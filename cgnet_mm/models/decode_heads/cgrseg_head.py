"""CGRSeg (Ni et al., "Context-Guided Spatial Feature Reconstruction for
Efficient Semantic Segmentation", ECCV 2024, https://arxiv.org/abs/2405.06228)
decode head.

The 1/8, 1/16 and 1/32 backbone maps are average-pooled to 1/64 and
concatenated (pyramid pooling aggregation); Rectangular Self-Calibration
Modules (RCM) extract the pyramid context from them. From the top level
down, each level's map (plus the level above, upsampled and projected) goes
through an RCM (spatial feature reconstruction) and a fuse block gates it
with its share of the pyramid context. The Dynamic Prototype Guided (DPG)
head turns a first prediction at 1/8 into class prototypes and re-weights
the channels of the 1/8 features before the final classifier.

Layer order, widths and initialisation are facts read from the authors'
code (github.com/nizhenliang/CGRSeg, ``mmseg/models/decode_heads/
{cgr_head,rcm,dpg_head}.py``, Apache-2.0; read, not copied). Deviations:
every norm follows ``norm_cfg`` (the authors hard-code plain BN in RCM and
RCA, which only differs under multi-GPU training); the options their
variants never change are fixed (depth-wise strip convs, ``ratio=1``;
depth-wise ``linear_fuse``, ``is_dw=True``; RCA as the token mixer).
"""
from copy import deepcopy
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.utils import ConfigType, OptConfigType

from cgnet_mm.models.layers import default_norm_cfg
from cgnet_mm.registry import MODELS


class RCA(BaseModule):
    """Rectangular self-calibration attention (Sec. 3.2): horizontal and
    vertical average pooling, summed, give an axial global context; a
    1xk then kx1 depth-wise strip conv pair (BN + ReLU between, sigmoid
    after) calibrates its shape into an attention map that gates a
    depth-wise square conv of the input.

    Args:
        channels (int): Input and output channels.
        band_kernel_size (int): Strip conv length k.
        square_kernel_size (int): Local depth-wise conv size. Default: 3.
        norm_cfg (dict, optional): Norm between the strip convs.
            Default: None (BN).
    """

    def __init__(self, channels: int, band_kernel_size: int,
                 square_kernel_size: int = 3,
                 norm_cfg: OptConfigType = None):
        super().__init__()
        self.dwconv_hw = nn.Conv2d(channels, channels, square_kernel_size,
                                   padding=square_kernel_size // 2,
                                   groups=channels)
        band = band_kernel_size
        self.excite = nn.Sequential(
            nn.Conv2d(channels, channels, (1, band), padding=(0, band // 2),
                      groups=channels),
            build_norm_layer(default_norm_cfg(norm_cfg), channels)[1],
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, (band, 1), padding=(band // 2, 0),
                      groups=channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        axial = x.mean(dim=3, keepdim=True) + x.mean(dim=2, keepdim=True)
        return torch.sigmoid(self.excite(axial)) * self.dwconv_hw(x)


class RCM(BaseModule):
    """Rectangular Self-Calibration Module (Sec. 3.2), a MetaNeXt block:
    RCA, norm, a 1x1 MLP (GELU), a layer scale and the residual.

    Args:
        channels (int): Input and output channels.
        band_kernel_size (int): RCA strip conv length.
        square_kernel_size (int): RCA local conv size. Default: 3.
        mlp_ratio (float): MLP hidden width / channels. Default: 2.
        layer_scale (float): Initial layer scale. Default: 1e-6.
        norm_cfg (dict, optional): Norm config. Default: None (BN).
        act_cfg (dict, optional): MLP activation. Default: None (GELU).
    """

    def __init__(self, channels: int, band_kernel_size: int,
                 square_kernel_size: int = 3, mlp_ratio: float = 2.,
                 layer_scale: float = 1e-6, norm_cfg: OptConfigType = None,
                 act_cfg: OptConfigType = None):
        super().__init__()
        hidden = int(mlp_ratio * channels)
        self.token_mixer = RCA(channels, band_kernel_size,
                               square_kernel_size, norm_cfg)
        self.norm = build_norm_layer(default_norm_cfg(norm_cfg), channels)[1]
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            build_activation_layer(
                deepcopy(act_cfg) if act_cfg else dict(type='GELU')),
            nn.Conv2d(hidden, channels, 1))
        self.gamma = nn.Parameter(torch.full((channels, ), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.mlp(self.norm(self.token_mixer(x)))
        return x + out * self.gamma.view(1, -1, 1, 1)


def adaptive_avg_pool(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """``F.adaptive_avg_pool2d`` (bins from floor(i * L / n) to
    ceil((i + 1) * L / n)) as two products with averaging matrices built
    from the input's shape: one graph for every input size, where
    torch.export fixes the ATen op's bins to the traced shapes (the exported
    ONNX graph then indexes out of range). A cumulative-sum form of the same
    bins crashed inductor's channels-last backward (heap corruption in the
    fused index_add, torch 2.13 CPU); a matmul's backward is a matmul."""
    for dim, bins in ((2, size[0]), (3, size[1])):
        length = x.shape[dim]
        index = torch.arange(bins, device=x.device).unsqueeze(1)
        start = index * length // bins
        end = ((index + 1) * length + bins - 1) // bins
        position = torch.arange(length, device=x.device)
        inside = (position >= start) & (position < end)
        weight = inside.to(x.dtype) / (end - start).to(x.dtype)
        x = weight @ x if dim == 2 else x @ weight.t()
    return x


class PyramidPoolAgg(nn.Module):
    """Average-pools every input to the size of the last one divided by
    ``stride`` (rounded up) and concatenates them on channels."""

    def __init__(self, stride: int = 2):
        super().__init__()
        self.stride = stride

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        height, width = inputs[-1].shape[2:]
        size = ((height - 1) // self.stride + 1,
                (width - 1) // self.stride + 1)
        return torch.cat([adaptive_avg_pool(x, size) for x in inputs], dim=1)


class FuseBlock(BaseModule):
    """Gates a level's reconstructed map (1x1 conv + BN) with its share of
    the pyramid context (1x1 conv + BN, h-sigmoid, bilinear upsampling).

    Args:
        in_channels (int): Channels of the level and of its context share.
        channels (int): Output channels.
        norm_cfg (dict): Norm config.
    """

    def __init__(self, in_channels: int, channels: int,
                 norm_cfg: ConfigType):
        super().__init__()
        self.local_embedding = ConvModule(in_channels, channels, 1,
                                          norm_cfg=deepcopy(norm_cfg),
                                          act_cfg=None)
        self.global_embedding = ConvModule(in_channels, channels, 1,
                                           norm_cfg=deepcopy(norm_cfg),
                                           act_cfg=None)

    def forward(self, local: torch.Tensor,
                context: torch.Tensor) -> torch.Tensor:
        gate = F.hardsigmoid(self.global_embedding(context))
        gate = F.interpolate(gate, size=local.shape[2:], mode='bilinear',
                             align_corners=False)
        return self.local_embedding(local) * gate


def class_prototypes(feats: torch.Tensor,
                     logits: torch.Tensor) -> torch.Tensor:
    """One prototype per class: the features averaged under that class's
    softmax over pixels. (B, C, H, W), (B, K, H, W) -> (B, C, K, 1)."""
    weights = logits.flatten(2).softmax(dim=2)
    prototypes = weights @ feats.flatten(2).transpose(1, 2)
    return prototypes.transpose(1, 2).unsqueeze(3)


class DPGHead(BaseModule):
    """Dynamic Prototype Guided head (Sec. 3.3): attention over the class
    prototypes (1x1 conv, softmax over classes) mixes them into one
    descriptor, which a 1x1 conv - LayerNorm - ReLU - 1x1 conv - sigmoid
    turns into channel weights for the features. The last conv starts at
    zero (weights 0.5) and the mask conv from Kaiming normal, as the
    authors'.

    Args:
        channels (int): Feature and prototype channels.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv_mask = nn.Conv2d(channels, 1, 1)
        self.channel_mul_conv = nn.Sequential(
            nn.Conv2d(channels, channels, 1),
            nn.LayerNorm([channels, 1, 1]), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 1))
        nn.init.kaiming_normal_(self.conv_mask.weight, mode='fan_in',
                                nonlinearity='relu')
        nn.init.zeros_(self.conv_mask.bias)
        nn.init.zeros_(self.channel_mul_conv[-1].weight)
        nn.init.zeros_(self.channel_mul_conv[-1].bias)

    def forward(self, x: torch.Tensor,
                prototypes: torch.Tensor) -> torch.Tensor:
        weights = self.conv_mask(prototypes).softmax(dim=2)
        descriptor = (prototypes * weights).sum(dim=2, keepdim=True)
        return x * torch.sigmoid(self.channel_mul_conv(descriptor))


@MODELS.register_module()
class CGRSegHead(BaseDecodeHead):
    """CGRSeg's decode head; predicts at the stride of its first input
    (1/8). The authors' variants (backbone, channels, blocks, strip
    length): T (S1, 128, 5, 11), B (S2, 256, 6, 11), L (L, 256, 5, 9).

    Args:
        band_kernel_size (int): RCA strip length in the per-level RCMs
            (the authors' ``dw_size``). Default: 11.
        context_band_kernel_size (int): RCA strip length in the pyramid
            context RCMs (``neck_size``). Default: 11.
        num_context_blocks (int): Pyramid context RCMs (``next_repeat``).
            Default: 5.
        square_kernel_size (int): RCA local conv size. Default: 3.
        mlp_ratio (float): RCM MLP ratio (``mr``). Default: 2.
        pool_stride (int): Pyramid pooling size: the last input's divided by
            this. Default: 2.
        **kwargs: :class:`BaseDecodeHead` arguments; ``in_channels`` and
            ``in_index`` sequences (1/8 first), ``act_cfg`` is the
            activation of ``linear_fuse`` (ReLU).
    """

    def __init__(self,
                 band_kernel_size: int = 11,
                 context_band_kernel_size: int = 11,
                 num_context_blocks: int = 5,
                 square_kernel_size: int = 3,
                 mlp_ratio: float = 2.,
                 pool_stride: int = 2,
                 **kwargs):
        super().__init__(input_transform='multiple_select', **kwargs)
        if len(self.in_channels) < 2:
            raise ValueError('CGRSegHead takes at least 2 inputs, got '
                             f'in_channels={self.in_channels!r}')
        norm_cfg = default_norm_cfg(self.norm_cfg)
        in_channels = list(self.in_channels)
        self.pyramid_pool = PyramidPoolAgg(pool_stride)
        self.context_rcms = nn.Sequential(*(
            RCM(sum(in_channels), context_band_kernel_size,
                square_kernel_size, mlp_ratio, norm_cfg=norm_cfg)
            for _ in range(num_context_blocks)))
        self.spatial_rcms = nn.ModuleList(
            RCM(c, band_kernel_size, square_kernel_size, mlp_ratio,
                norm_cfg=norm_cfg) for c in in_channels)
        self.fuse_blocks = nn.ModuleList(
            FuseBlock(c, self.channels, norm_cfg) for c in in_channels)
        self.skip_projs = nn.ModuleList(
            nn.Conv2d(self.channels, c, 1) for c in in_channels[:-1])
        self.linear_fuse = ConvModule(
            self.channels, self.channels, 1, groups=self.channels,
            norm_cfg=deepcopy(norm_cfg), act_cfg=deepcopy(self.act_cfg))
        self.dpg = DPGHead(self.channels)

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        feats = self._transform_inputs(inputs)
        context = self.context_rcms(self.pyramid_pool(feats))
        shares = context.split(list(self.in_channels), dim=1)
        x = None
        for level in reversed(range(len(feats))):
            local = feats[level]
            if x is not None:
                local = local + self.skip_projs[level](F.interpolate(
                    x, size=local.shape[2:], mode='bilinear',
                    align_corners=False))
            x = self.fuse_blocks[level](self.spatial_rcms[level](local),
                                        shares[level])
        # the classifier predicts twice (shared weights, as the authors');
        # the first call is functional so that the int8 quantizer sees two
        # single-output convs instead of one module with two outputs
        fused = self.linear_fuse(x)
        if self.dropout is not None:
            fused = self.dropout(fused)
        coarse = F.conv2d(fused, self.conv_seg.weight, self.conv_seg.bias)
        guided = self.dpg(x, class_prototypes(x, coarse))
        return self.cls_seg(guided + x)
