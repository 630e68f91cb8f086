"""Convert the SGCPNet authors' Cityscapes checkpoint (zhouyuan888888/SGCPNet,
released on Google Drive) to cgnet_mm's SGCPNet + SGCPHead.

Their file is ``{'segmenter': state_dict, 'epoch_start': N, ...}``, the
state dict saved from ``nn.DataParallel`` (``module.`` prefixes). Every key
of their model is listed in :func:`key_table`, written from their module
layout (read for facts only: their code has no licence), and popped from
the checkpoint one by one; a key the table lists that the checkpoint lacks,
a key left over, or a tensor of another shape stops the conversion with
its name.

The one change beyond renaming: their 12 separable convs (the fusion nodes
of the SGCP module) carry their bias ``b`` on the pointwise conv ``P``, ours
(mmcv's ``DepthwiseSeparableConvModule``) carry it as ``c`` on the depthwise
conv ``D``; a BN follows both. Theirs computes ``BN(P D x + b)``, ours
``BN(P D x + P c)``: moving ``b`` to ``c`` would mean solving ``P c = b``,
which needs ``P`` invertible and is inexact in floating point. The bias goes
into the BN instead. With running mean ``m``, variance ``v``,
``BN(z + b) = g (z + b - m) / sqrt(v + eps) + beta``, which is ``BN(z)``
with running mean ``m - b``; so ``c = 0`` and ``m' = m - b`` give their
output exactly (one rounding of ``m - b``, done in float64). In training
mode BN subtracts the batch mean, which removes any per-channel constant,
and the running mean then tracks ``mean(P D x) = mean(P D x + b) - b``,
matching ``m'``: fine-tuning continues from the same statistics.
"""
import warnings
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

from cgnet_mm.models import SGCPHead, SGCPNet
from cgnet_mm.utils import CheckError

_BN = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
# widths of their 1x1 projections (conv3, conv4, conv5) and of the SGCP module
_PROJECTED = (40, 112, 320)
_WIDTH = 64
_GUIDED, _TOP_DOWN = 'sgcp.td_bu.unit.0', 'sgcp.td'
# their lateral projections (registration order) -> ours
_LATERALS = (
    ('p5_down_channel', 'lateral_convs.2'),
    ('p4_down_channel', 'lateral_convs.1'),
    ('p3_down_channel', 'lateral_convs.0'),
    ('p5_to_p6', 'p6_conv'),
    ('p4_down_channel_2', 'bottom_up_laterals.0'),
    ('p5_down_channel_2', 'bottom_up_laterals.1'),
)

Pairs = List[Tuple[str, str]]


def _conv_bn(conv: str, bn: str, ours: str,
             conv_params: Tuple[str, ...] = ('weight', )) -> Pairs:
    return [(f'{conv}.{p}', f'{ours}.conv.{p}') for p in conv_params] + \
        [(f'{bn}.{p}', f'{ours}.bn.{p}') for p in _BN]


def _block(theirs: str, ours: str, with_se: bool, shortcut: bool) -> Pairs:
    """One bottleneck; theirs registers the SE module before the convs."""
    pairs = []
    if with_se:
        pairs += _conv_bn(f'{theirs}.se.se.1', f'{theirs}.se.se.2',
                          f'{ours}.se.squeeze')
        pairs += _conv_bn(f'{theirs}.se.se.4', f'{theirs}.se.se.5',
                          f'{ours}.se.excite')
    for i, name in enumerate(('expand_conv', 'depthwise_conv', 'linear_conv'),
                             start=1):
        pairs += _conv_bn(f'{theirs}.conv{i}', f'{theirs}.bn{i}',
                          f'{ours}.{name}')
    if shortcut:
        pairs += _conv_bn(f'{theirs}.shortcut.0', f'{theirs}.shortcut.1',
                          f'{ours}.shortcut')
    return pairs


def _encoder() -> Pairs:
    pairs = _conv_bn('l1.0', 'l1.1', 'backbone.stem')
    starts = (0, ) + SGCPNet.stage_ends[:-1]
    width = SGCPNet.stem_channels
    for stage, (start, end) in enumerate(zip(starts, SGCPNet.stage_ends)):
        for j, (_, _, out, _, with_se, stride) in enumerate(
                SGCPNet.arch[start:end]):
            # their l2 is the bare first block, l3-l5 are Sequentials
            theirs = 'l2' if stage == 0 else f'l{stage + 2}.{j}'
            pairs += _block(theirs, f'backbone.stages.{stage}.{j}', with_se,
                            stride == 1 and width != out)
            width = out
    for i in range(3):
        pairs += [(f'conv{i + 3}.{p}', f'backbone.projections.{i}.conv.{p}')
                  for p in ('weight', 'bias')]
    return pairs


def _fusion_nodes() -> List[Tuple[str, str, str]]:
    """(their separable conv, their fusion weight, our fusion node) for
    the 12 nodes: guided top-down, guided bottom-up, top-down."""
    guided_up = [(f'{_GUIDED}.conv{n}_up', f'{_GUIDED}.p{n}_w1',
                  f'decode_head.guided_top_down.fusions.{n - 3}')
                 for n in range(3, 7)]
    guided_down = [(f'{_GUIDED}.conv{n}_down', f'{_GUIDED}.p{n}_w2',
                    f'decode_head.guided_bottom_up.fusions.{n - 4}')
                   for n in range(4, 8)]
    top_down = [(f'{_TOP_DOWN}.conv{n}_up', f'{_TOP_DOWN}.p{n}_w1',
                 f'decode_head.top_down.fusions.{n - 3}') for n in range(3, 7)]
    return guided_up + guided_down + top_down


def key_table() -> Tuple[Pairs, Pairs]:
    """(their key, our key) for every tensor renamed, and (their pointwise
    bias, our separable conv) for the 12 biases folded into BN."""
    pairs = _encoder()
    for theirs, ours in _LATERALS:
        pairs += _conv_bn(f'{_GUIDED}.{theirs}.0.conv',
                          f'{_GUIDED}.{theirs}.1', f'decode_head.{ours}',
                          ('weight', 'bias'))
    folds = []
    for conv, weight, node in _fusion_nodes():
        pairs += [
            (f'{conv}.depthwise_conv.conv.weight',
             f'{node}.conv.depthwise_conv.conv.weight'),
            (f'{conv}.pointwise_conv.conv.weight',
             f'{node}.conv.pointwise_conv.conv.weight'),
            *[(f'{conv}.bn.{p}', f'{node}.conv.pointwise_conv.bn.{p}')
              for p in _BN],
            (weight, f'{node}.weight'),
        ]
        folds.append((f'{conv}.pointwise_conv.conv.bias', f'{node}.conv'))
    pairs += [(f'classifier.{p}', f'decode_head.conv_seg.{p}')
              for p in ('weight', 'bias')]
    return pairs, folds


def unwrap_segmenter(checkpoint) -> Tuple[Dict[str, torch.Tensor], dict]:
    """Their state dict (``checkpoint['segmenter']``, or a bare state dict)
    without DataParallel's ``module.`` prefixes, and their training epoch
    (``{'epoch_start': N}``, empty when absent)."""
    state, info = checkpoint, {}
    if isinstance(checkpoint, dict) and 'segmenter' in checkpoint:
        state = checkpoint['segmenter']
        if 'epoch_start' in checkpoint:
            info['epoch_start'] = int(checkpoint['epoch_start'])
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckError("expected the SGCPNet authors' checkpoint "
                         "{'segmenter': state_dict, 'epoch_start': N} or a "
                         'bare state dict of tensors')
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items()), info


def build_target(num_classes: int) -> torch.nn.Module:
    """Our backbone and head, laid out as the authors' model; built only for
    its parameter names and shapes, so mmseg's and mmcv's construction
    warnings (the loss defaults, the biased lateral convs) are not shown."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        return torch.nn.ModuleDict(
            dict(backbone=SGCPNet(out_channels=_PROJECTED),
                 decode_head=SGCPHead(
                     in_channels=_PROJECTED, in_index=(0, 1, 2),
                     channels=_WIDTH, num_classes=num_classes)))


def _pop(source: Dict[str, torch.Tensor],
         pairs: Pairs) -> Tuple['OrderedDict', List[str]]:
    """Moves each listed tensor out of ``source`` under our name; returns
    them and the listed keys ``source`` lacks."""
    popped, missing = OrderedDict(), []
    for theirs, ours in pairs:
        if theirs in source:
            popped[ours] = source.pop(theirs)
        else:
            missing.append(theirs)
    return popped, missing


def convert_sgcpnet(checkpoint) -> Tuple['OrderedDict', dict]:
    """Maps the authors' checkpoint to our state dict (pointwise biases
    folded into BN, see the module docstring); returns it and what the
    conversion read (``num_classes``, ``epoch_start``). Raises CheckError
    naming every key left over, every key missing and every tensor of
    another shape, in the authors' names."""
    source, info = unwrap_segmenter(checkpoint)
    pairs, folds = key_table()
    converted, missing = _pop(source, pairs)
    biases, missing_biases = _pop(source, folds)
    missing += missing_biases
    if source:
        raise CheckError('no conversion rule for these keys of the source '
                         f'checkpoint: {", ".join(source)}')
    if missing:
        raise CheckError('the source checkpoint lacks parameters SGCPNet '
                         f'needs: {", ".join(missing)}')
    num_classes = converted['decode_head.conv_seg.weight'].shape[0]
    expected = build_target(num_classes).state_dict()
    shapes = [(t, converted[o].shape, expected[o].shape) for t, o in pairs]
    shapes += [(t, biases[o].shape,
                expected[f'{o}.pointwise_conv.bn.running_mean'].shape)
               for t, o in folds]
    wrong = [f'{key} {tuple(have)} != {tuple(want)}'
             for key, have, want in shapes if have != want]
    if wrong:
        raise CheckError('parameter shapes differ from SGCPNet with '
                         f'{num_classes} classes: {", ".join(wrong)}')
    for node, bias in biases.items():
        mean = f'{node}.pointwise_conv.bn.running_mean'
        converted[mean] = (converted[mean].double() -
                           bias.double()).to(converted[mean].dtype)
        converted[f'{node}.depthwise_conv.conv.bias'] = bias.new_zeros(
            expected[f'{node}.depthwise_conv.conv.bias'].shape)
    info['num_classes'] = num_classes
    return OrderedDict((k, converted[k]) for k in expected), info
