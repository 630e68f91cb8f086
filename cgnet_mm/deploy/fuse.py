"""Inference-time rewrites that keep a segmentor's outputs (<= 1e-4).

``fold_batchnorm`` folds every BatchNorm that directly follows a
convolution into that convolution: in any model, every ``ConvModule``
(conv -> norm -> act), e.g. SGCPNet's bottlenecks, SE layers and separable
convs; in CGNet also the joint-feature BN of each CG block, whose halves
belong to ``f_loc`` and ``f_sur`` respectively. CGNet's BNs after the stage
concatenations (which also see the injected image) stay, as cheap affine
maps in eval mode.

``pools_as_convs`` turns the average pools of CGNet's input injection into
the depthwise convolutions they equal, for compiled paths (see there); it
leaves models without a CGNet backbone unchanged.

``fold_bgr_to_rgb`` moves the BGR->RGB flip of a CGNet's image into the
weights that read the image, for the OpenVINO export (see there).
"""
import copy

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule

from cgnet_mm.models.backbones import CGNet
from cgnet_mm.models.layers import ContextGuidedBlock

from .wrapper import ExportableSegmentor


def _scale_shift(bn: nn.modules.batchnorm._BatchNorm):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


def _folded(conv: nn.Conv2d, scale: torch.Tensor,
            shift: torch.Tensor) -> nn.Conv2d:
    """A copy of ``conv`` followed by the per-channel affine map."""
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                      conv.stride, conv.padding, conv.dilation, conv.groups,
                      bias=True, padding_mode=conv.padding_mode)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(shift)
    fused.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    fused.bias.copy_(bias * scale + shift)
    return fused


@torch.no_grad()
def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An eval-mode copy of ``model`` with conv->BN pairs folded."""
    model = copy.deepcopy(model).eval()
    for module in model.modules():
        if isinstance(module, ConvModule) and module.with_norm and \
                module.order == ('conv', 'norm', 'act'):
            bn = module.norm
            if isinstance(bn, nn.modules.batchnorm._BatchNorm):
                module.conv = _folded(module.conv, *_scale_shift(bn))
                setattr(module, module.norm_name, nn.Identity())
        if isinstance(module, ContextGuidedBlock) and \
                isinstance(module.bn, nn.modules.batchnorm._BatchNorm):
            scale, shift = _scale_shift(module.bn)
            half = module.f_loc.out_channels
            module.f_loc = _folded(module.f_loc, scale[:half], shift[:half])
            module.f_sur = _folded(module.f_sur, scale[half:], shift[half:])
            module.bn = nn.Identity()
    return model


def _pool_as_conv(pool: nn.AvgPool2d, channels: int) -> nn.Conv2d:
    """The depthwise conv equal to ``pool`` (zero padding counted in the
    mean, as ``nn.AvgPool2d`` does by default)."""
    conv = nn.Conv2d(channels, channels, pool.kernel_size, pool.stride,
                     pool.padding, groups=channels, bias=False)
    conv.weight.fill_(1 / conv.weight[0].numel())
    return conv


@torch.no_grad()
def pools_as_convs(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose CGNet input-injection pools are depthwise
    convolutions computing the same averages.

    Why: inductor gives a convolution's output a fixed channels-last
    layout, but a pool's a free one, and then lays out the concatenation of
    the pooled image with the stage features channels-first, transposing
    it twice (~25 ms of 170 at 1024x2048 on 2 cores for the int8 path).
    """
    model = copy.deepcopy(model)
    for backbone in model.modules():
        if isinstance(backbone, CGNet):
            channels = backbone.stem[0].conv.in_channels  # the image's
            for inject in (backbone.inject_2x, backbone.inject_4x):
                inject.pool = nn.ModuleList(
                    _pool_as_conv(pool, channels) for pool in inject.pool)
    return model


def _reverse_last(channels: int, image_channels: int) -> list:
    """Channel order with the last ``image_channels`` reversed."""
    first = channels - image_channels
    return list(range(first)) + list(range(channels - 1, first - 1, -1))


@torch.no_grad()
def fold_bgr_to_rgb(model: ExportableSegmentor) -> ExportableSegmentor:
    """A copy of ``model`` (BGR in) whose graph has no channel flip: the
    normalised image stays in BGR order and every weight that sees it
    reads its channels reversed instead. Exact (a permutation).

    Why: OpenVINO runs the flip as a reference-kernel ``Slice`` over the
    full image (~4 ms of ~250 at 1024x2048, ~10% at 360x480 on 2 cores).
    In CGNet the image reaches the first stem conv and, average-pooled,
    the stage concatenations, i.e. the last ``in_channels`` of
    ``norm_prelu_0`` / ``norm_prelu_1`` and of the input of each next
    stage's first conv. Other backbones, CGNets whose stage norms are not
    BN (a permutation would change group statistics) and heads that read
    those two stage outputs (they would see the channels reversed) keep
    the flip.
    """
    model = copy.deepcopy(model)
    backbone = model.backbone
    in_index = getattr(model.decode_head, 'in_index', -1)
    reads = in_index if isinstance(in_index, (list, tuple)) else [in_index]
    if not (model.swap_rb and isinstance(backbone, CGNet) and all(
            isinstance(norm_act[0], nn.modules.batchnorm._BatchNorm)
            for norm_act in (backbone.norm_prelu_0, backbone.norm_prelu_1))
            and all(index in (2, -1) for index in reads)):
        return model
    stem = backbone.stem[0].conv
    image_channels = stem.in_channels
    flip = list(range(image_channels - 1, -1, -1))
    stem.weight.copy_(stem.weight[:, flip])
    for name in ('mean', 'std'):
        getattr(model, name).copy_(getattr(model, name)[:, flip])
    for norm_act, stage in ((backbone.norm_prelu_0, backbone.level1),
                            (backbone.norm_prelu_1, backbone.level2)):
        bn, act = norm_act
        order = _reverse_last(bn.num_features, image_channels)
        for tensor in (bn.weight, bn.bias, bn.running_mean, bn.running_var):
            if tensor is not None:
                tensor.copy_(tensor[order])
        if isinstance(act, nn.PReLU) and act.weight.numel() > 1:
            act.weight.copy_(act.weight[order])
        conv = stage[0].conv1x1.conv
        conv.weight.copy_(conv.weight[:, order])
    model.swap_rb = False
    return model
