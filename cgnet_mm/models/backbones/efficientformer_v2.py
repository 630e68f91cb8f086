"""EfficientFormerV2 (Li et al., "Rethinking Vision Transformers for
MobileNet Size and Speed", ICCV 2023, https://arxiv.org/abs/2212.08059),
CGRSeg's backbone, for any input size.

Why not timm's modules: timm needs torchvision, and the only torchvision
for torch 2.13 that this stack's package indexes offer is PyPI's CUDA build,
whose compiled ops cannot load beside the CPU torch ("operator
torchvision::nms does not exist"); with timm installed, even mmseg's own
``timm_backbone.py`` breaks, as it only guards against ImportError. So this
file is our own implementation, written from the facts of the authors'
CGRSeg backbone (github.com/nizhenliang/CGRSeg, ``mmseg/models/backbones/
efficientformer_v2.py``, Apache-2.0) and of timm 1.0.31's
``efficientformer_v2.py`` (Apache-2.0), neither copied. Its parameter names
are timm's, so timm's ImageNet weights
(``efficientformerv2_{s1,s2,l}.snap_dist_in1k``) load as they are; the
Snap Research release the CGRSeg authors start from goes through
``convert_snap_backbone`` in ``efficientformer_v2_keys.py`` beside this
file. On a stack with a CPU torchvision, timm's own ``Attention2d`` classes could replace the
two attention classes below except for their forward: timm ties them to the
token count of its ``img_size``.

Facts from the authors' code:

* attention bias tables for 512x512 inputs (``img_size=512``): 16x16 tokens
  in the stage-3 and stage-4 attention blocks (stage 3 attends at 1/32
  through a stride-2 depth-wise conv), 32x32 keys in the attention
  downsampling into stage 4; at every call the (queries x keys) bias matrix
  is resized bicubically, as an image, to the current counts;
* the ImageNet tables (built for 224) are not used: the authors' loader puts
  them in buffers their forward never reads and their tables start at zero.
  :meth:`EfficientFormerV2.load_imagenet` does the same;
* BN trains (their ``train()`` freezes plain BN only, but their constructor
  has turned it into SyncBN once pretrained weights are given);
* from scratch, the MLPs' first and last 1x1 convs start from a truncated
  normal (std 0.02, zero bias), other layers from PyTorch's defaults.

Inferred where their code stops: an odd-sized 1/16 map makes their strided
attention crash (they pad test images to a multiple of 32); here strided
maps have ``ceil`` sizes and the attention output is resized back
(bilinear) to the block's input size, which for even sizes is their 2x
upsampling.
"""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model.weight_init import trunc_normal_
from mmengine.runner.checkpoint import CheckpointLoader
from mmseg.utils import OptMultiConfig

from cgnet_mm.models.layers import NormEvalBackbone
from cgnet_mm.registry import MODELS

from .efficientformer_v2_keys import convert_snap_backbone

TIMM_URL = ('https://huggingface.co/timm/efficientformerv2_{arch}.'
            'snap_dist_in1k/resolve/main/pytorch_model.bin')


def resample_bias(bias: torch.Tensor, queries: int,
                  keys: int) -> torch.Tensor:
    """The authors' rule: the (heads, queries, keys) bias matrix resized as
    an image, bicubic, to the current counts (a copy at the built size)."""
    return F.interpolate(bias.unsqueeze(0), size=(queries, keys),
                         mode='bicubic', align_corners=False).squeeze(0)


class ConvNorm(nn.Sequential):
    """Conv (with bias) then BN, named ``conv`` and ``bn`` as timm's."""

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int = 1, stride: int = 1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                              kernel_size // 2, groups=groups)
        self.bn = nn.BatchNorm2d(out_channels)


class ConvNormAct(ConvNorm):
    """:class:`ConvNorm` then GELU."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.act = nn.GELU()


class BiasTable(nn.Module):
    """A learned bias per head and relative offset (|dy|, |dx|) between a
    query on a ``step``-strided grid and a key on a ``resolution`` grid."""

    def __init__(self, num_heads: int, resolution: int, step: int = 1):
        super().__init__()
        self.attention_biases = nn.Parameter(
            torch.zeros(num_heads, resolution * resolution))
        keys = torch.stack(torch.meshgrid(
            torch.arange(resolution), torch.arange(resolution),
            indexing='ij')).flatten(1)
        queries = keys.view(2, resolution, resolution)[:, ::step, ::step]
        offsets = (queries.flatten(1)[:, :, None] - keys[:, None, :]).abs()
        self.register_buffer('attention_bias_idxs',
                             offsets[0] * resolution + offsets[1],
                             persistent=False)

    def bias(self, queries: int, keys: int) -> torch.Tensor:
        table = self.attention_biases[:, self.attention_bias_idxs]
        return resample_bias(table, queries, keys)


class Attention2d(BiasTable):
    """Multi-head attention over a feature map: 8 heads of 32-d keys and
    128-d values, talking heads around the softmax, a depth-wise 3x3 local
    branch on the values, GELU and a 1x1 projection; with ``stride`` 2 it
    attends on a depth-wise strided map and upsamples back."""

    def __init__(self, dim: int, resolution: int,
                 stride: Optional[int] = None, key_dim: int = 32,
                 num_heads: int = 8, attn_ratio: int = 4):
        if stride is not None:
            resolution = math.ceil(resolution / stride)
        super().__init__(num_heads, resolution)
        self.num_heads = num_heads
        self.scale = key_dim**-0.5
        self.dh = attn_ratio * key_dim * num_heads
        self.stride_conv = None if stride is None else ConvNorm(
            dim, dim, 3, stride, groups=dim)
        self.q = ConvNorm(dim, key_dim * num_heads)
        self.k = ConvNorm(dim, key_dim * num_heads)
        self.v = ConvNorm(dim, self.dh)
        self.v_local = ConvNorm(self.dh, self.dh, 3, groups=self.dh)
        self.talking_head1 = nn.Conv2d(num_heads, num_heads, 1)
        self.talking_head2 = nn.Conv2d(num_heads, num_heads, 1)
        self.act = nn.GELU()
        self.proj = ConvNorm(self.dh, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        if self.stride_conv is not None:
            x = self.stride_conv(x)
        batch, _, height, width = x.shape
        tokens = height * width
        q = self.q(x).reshape(batch, self.num_heads, -1, tokens)
        k = self.k(x).reshape(batch, self.num_heads, -1, tokens)
        v = self.v(x)
        v_local = self.v_local(v)
        v = v.reshape(batch, self.num_heads, -1, tokens)
        attn = (q.transpose(2, 3) @ k) * self.scale + self.bias(
            tokens, tokens)
        attn = self.talking_head2(self.talking_head1(attn).softmax(dim=-1))
        x = (attn @ v.transpose(2, 3)).transpose(2, 3)
        x = x.reshape(batch, self.dh, height, width) + v_local
        if self.stride_conv is not None:
            x = F.interpolate(x, size=size, mode='bilinear',
                              align_corners=False)
        return self.proj(self.act(x))


class LocalGlobalQuery(nn.Module):
    """Stride-2 queries: a depth-wise 3x3 conv plus 1x1 subsampling,
    projected (1x1 conv + BN)."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.pool = nn.AvgPool2d(1, 2, 0)
        self.local = nn.Conv2d(in_dim, in_dim, 3, 2, 1, groups=in_dim)
        self.proj = ConvNorm(in_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.local(x) + self.pool(x))


class Attention2dDownsample(BiasTable):
    """Attention that halves the map: stride-2 queries against all keys
    (8 heads of 16-d keys, 64-d values), a stride-2 depth-wise local branch
    on the values, GELU and a 1x1 projection to ``out_dim``."""

    def __init__(self, dim: int, out_dim: int, resolution: int,
                 key_dim: int = 16, num_heads: int = 8, attn_ratio: int = 4):
        super().__init__(num_heads, resolution, step=2)
        self.num_heads = num_heads
        self.scale = key_dim**-0.5
        self.dh = attn_ratio * key_dim * num_heads
        self.q = LocalGlobalQuery(dim, key_dim * num_heads)
        self.k = ConvNorm(dim, key_dim * num_heads)
        self.v = ConvNorm(dim, self.dh)
        self.v_local = ConvNorm(self.dh, self.dh, 3, 2, groups=self.dh)
        self.act = nn.GELU()
        self.proj = ConvNorm(self.dh, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        q = self.q(x)
        out_size = q.shape[2:]
        queries, keys = out_size[0] * out_size[1], height * width
        q = q.reshape(batch, self.num_heads, -1, queries)
        k = self.k(x).reshape(batch, self.num_heads, -1, keys)
        v = self.v(x)
        v_local = self.v_local(v)
        v = v.reshape(batch, self.num_heads, -1, keys)
        attn = (q.transpose(2, 3) @ k) * self.scale + self.bias(
            queries, keys)
        x = (attn.softmax(dim=-1) @ v.transpose(2, 3)).transpose(2, 3)
        x = x.reshape(batch, self.dh, *out_size) + v_local
        return self.proj(self.act(x))


class Downsample(nn.Module):
    """Stride-2 3x3 conv + BN between stages, plus attention downsampling
    into the last stage."""

    def __init__(self, in_channels: int, out_channels: int,
                 resolution: Optional[int] = None):
        super().__init__()
        self.conv = ConvNorm(in_channels, out_channels, 3, 2)
        self.attn = None if resolution is None else Attention2dDownsample(
            in_channels, out_channels, resolution)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out if self.attn is None else out + self.attn(x)


class Mlp(nn.Module):
    """1x1 expansion, depth-wise 3x3, 1x1 projection, each with BN (GELU
    after the first two)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = ConvNormAct(dim, hidden)
        self.mid = ConvNormAct(hidden, hidden, 3, groups=hidden)
        self.fc2 = ConvNorm(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.mid(self.fc1(x)))


class LayerScale(nn.Module):

    def __init__(self, dim: int, value: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim, ), value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma.view(1, -1, 1, 1)


class DropPath(nn.Module):
    """Stochastic depth: drops the residual branch per sample."""

    def __init__(self, rate: float):
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = x.new_empty(x.shape[0], 1, 1, 1).bernoulli_(1 - self.rate)
        return x * keep / (1 - self.rate)


class Block(nn.Module):
    """Residual (optional) attention then residual MLP, each layer-scaled
    (1e-5) and drop-pathed."""

    def __init__(self, dim: int, mlp_ratio: float, drop_path: float,
                 resolution: Optional[int] = None,
                 stride: Optional[int] = None):
        super().__init__()
        if resolution is not None:
            self.token_mixer = Attention2d(dim, resolution, stride)
            self.ls1 = LayerScale(dim)
        else:
            self.token_mixer = self.ls1 = None
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.ls2 = LayerScale(dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else \
            nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.token_mixer is not None:
            x = x + self.drop_path(self.ls1(self.token_mixer(x)))
        return x + self.drop_path(self.ls2(self.mlp(x)))


class Stage(nn.Module):

    def __init__(self, downsample: nn.Module, blocks: List[Block]):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


@MODELS.register_module()
class EfficientFormerV2(NormEvalBackbone):
    """EfficientFormerV2 S1/S2/L for any input size; returns the stages in
    ``out_indices`` (default: 1/8, 1/16 and 1/32, e.g. 48/120/224 channels
    for S1), as CGRSeg-T/B/L use them.

    Args:
        arch (str): 's1', 's2' or 'l'. Default: 's1'.
        img_size (int): Input side the attention biases are tabulated for
            (the authors': 512; timm's ImageNet weights: 224); other sizes
            resample them. Default: 512.
        out_indices (Sequence[int]): Stages returned (0: 1/4 ... 3: 1/32).
            Default: (1, 2, 3).
        drop_path_rate (float, optional): Stochastic depth of the last
            block, linear from 0 over the blocks; None: the variant's (0,
            0.02, 0.1, as the authors' and timm's). Default: None.
        norm_eval (bool): Keep BN in eval mode while training.
            Default: False.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=...)`` loads ImageNet weights: ``'timm'`` downloads
            timm's ``snap_dist_in1k`` ones (Hugging Face hub); a path or URL
            may hold timm's layout or the Snap Research release's. See
            :meth:`load_imagenet`. Default: None (from scratch).
    """

    # widths, depths, attention blocks at the end of stages 3-4, drop path,
    # MLP ratios per block (the authors' and timm's tables)
    arch_settings = {
        's1': ((32, 48, 120, 224), (3, 3, 9, 6), 2, 0.,
               ((4, ) * 3, (4, ) * 3, (4, 4, 3, 3, 3, 3, 4, 4, 4),
                (4, 4, 3, 3, 4, 4))),
        's2': ((32, 64, 144, 288), (4, 4, 12, 8), 4, 0.02,
               ((4, ) * 4, (4, ) * 4, (4, 4, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4),
                (4, 4, 3, 3, 3, 3, 4, 4))),
        'l': ((40, 80, 192, 384), (5, 5, 15, 10), 6, 0.1,
              ((4, ) * 5, (4, ) * 5,
               (4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4),
               (4, 4, 4, 3, 3, 3, 3, 4, 4, 4))),
    }

    def __init__(self,
                 arch: str = 's1',
                 img_size: int = 512,
                 out_indices: Sequence[int] = (1, 2, 3),
                 drop_path_rate: Optional[float] = None,
                 norm_eval: bool = False,
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg)
        if arch not in self.arch_settings:
            raise ValueError(f'arch must be one of '
                             f'{sorted(self.arch_settings)}, got {arch!r}')
        if not out_indices or any(i not in range(4) for i in out_indices):
            raise ValueError('out_indices must be stage indices in 0-3, got '
                             f'{out_indices!r}')
        widths, depths, num_attn, rate, ratios = self.arch_settings[arch]
        if drop_path_rate is not None:
            rate = drop_path_rate
        self.arch = arch
        self.widths = widths
        self.out_indices = tuple(out_indices)
        self.norm_eval = norm_eval
        self.stem = nn.Sequential()
        self.stem.add_module('conv1', ConvNormAct(3, widths[0] // 2, 3, 2))
        self.stem.add_module('conv2', ConvNormAct(widths[0] // 2, widths[0],
                                                  3, 2))
        rates = torch.linspace(0, rate, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        for i in range(max(self.out_indices) + 1):
            # token grid side at this stage's input, for img_size
            side = math.ceil(img_size / 2**(i + 1))
            downsample = nn.Identity() if i == 0 else Downsample(
                widths[i - 1], widths[i], side if i == 3 else None)
            side = math.ceil(side / 2) if i else math.ceil(img_size / 4)
            blocks = []
            for j in range(depths[i]):
                attn = i >= 2 and j >= depths[i] - num_attn
                blocks.append(Block(
                    widths[i], ratios[i][j], rates[sum(depths[:i]) + j],
                    resolution=side if attn else None,
                    stride=2 if i == 2 else None))
            self.stages.append(Stage(downsample, blocks))

    @property
    def out_channels(self) -> List[int]:
        return [self.widths[i] for i in self.out_indices]

    def init_weights(self):
        """ImageNet weights when ``init_cfg`` asks for them, otherwise the
        authors' from-scratch initialisation of the MLPs."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            source = cfg['checkpoint']
            if source == 'timm':
                source = TIMM_URL.format(arch=self.arch)
            state = CheckpointLoader.load_checkpoint(source,
                                                     map_location='cpu')
            for field in ('state_dict', 'model'):
                state = state.get(field, state)
            self.load_imagenet(state, source)
            self._is_init = True
            return
        for module in self.modules():
            if isinstance(module, Mlp):
                for conv in (module.fc1.conv, module.fc2.conv):
                    trunc_normal_(conv.weight, std=.02)
                    nn.init.zeros_(conv.bias)
        super().init_weights()

    def load_imagenet(self, state: Dict[str, torch.Tensor],
                      source: str = 'state dict') -> List[str]:
        """Loads ImageNet weights in timm's layout or in the Snap Research
        release's (``patch_embed.*``, ``network.*``), dropping the
        classifier. Attention tables of another size stay zero, as the
        authors'; returns their names. Raises ValueError naming any other
        key that does not fit."""
        if any(k.startswith('patch_embed.') for k in state):
            state = convert_snap_backbone(state)
        ours = self.state_dict()
        state = {
            k: v for k, v in state.items()
            if not k.startswith(('norm.', 'head.', 'head_dist.')) and not (
                k.startswith('stages.')
                and int(k.split('.')[1]) >= len(self.stages))
        }
        resized = sorted(
            k for k, v in state.items() if k.endswith('attention_biases')
            and k in ours and v.shape != ours[k].shape)
        for key in resized:
            del state[key]
        missing, unexpected = self.load_state_dict(state, strict=False)
        missing = sorted(set(missing) - set(resized))
        if missing or unexpected:
            raise ValueError(f'{source} does not fit EfficientFormerV2-'
                             f'{self.arch.upper()}: missing {missing}, '
                             f'unexpected {sorted(unexpected)}')
        print_log(f'loaded {source}; {len(resized)} attention bias tables of '
                  'another input size start at zero', logger='current')
        return resized

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index in self.out_indices:
                outs.append(x)
        return outs
