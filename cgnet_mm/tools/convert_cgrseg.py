"""Convert the CGRSeg authors' checkpoints (nizhenliang/CGRSeg, MMSegmentation
0.x key layout: ``backbone.*``, ``decode_head.*``) to cgnet_mm's
EfficientFormerV2 (timm's parameter names) + CGRSegHead.

Every source key is mapped by an explicit rule or explicitly dropped: the
backbone's ImageNet bias tables and index buffers, which the authors'
forward never reads (``attention_biases``, ``attention_bias_idxs``), and
the segmentation index tables (``attention_bias_idxs_seg``), which our
layers compute and which are checked equal to ours. A key no rule covers,
a parameter our model lacks or one of another shape stops the conversion.
The variant (T/B/L) and head sizes are read from the weights. The same
backbone rules map Snap Research's ImageNet release (the authors' starting
point) onto our backbone
(:mod:`cgnet_mm.models.backbones.efficientformer_v2_keys`).
"""
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from cgnet_mm.models import CGRSegHead, EfficientFormerV2
from cgnet_mm.models.backbones.efficientformer_v2_keys import (
    BN, CONV, apply_rules, map_backbone_key)
from cgnet_mm.utils import CheckError

_DROPPED = re.compile(r'.*\.attention_bias(es|_idxs)')
_IDXS = re.compile(r'.*\.attention_bias_idxs_seg')


# inside an RCM of the head
_RCM_RULES = [
    (rf'token_mixer\.dwconv_hw\.{CONV}', r'token_mixer.dwconv_hw.\1'),
    (rf'token_mixer\.excite\.([03])\.{CONV}', r'token_mixer.excite.\1.\2'),
    (rf'token_mixer\.excite\.1\.{BN}', r'token_mixer.excite.1.\1'),
    (rf'norm\.{BN}', r'norm.\1'),
    (rf'mlp\.fc1\.{CONV}', r'mlp.0.\1'),
    (rf'mlp\.fc2\.{CONV}', r'mlp.2.\1'),
    (r'gamma', 'gamma'),
]
_HEAD_RULES = [
    (r'linear_fuse\.conv\.weight', 'linear_fuse.conv.weight'),
    (rf'linear_fuse\.bn\.{BN}', r'linear_fuse.bn.\1'),
    (r'SIM\.(\d+)\.fuse1\.conv\.weight',
     r'fuse_blocks.\1.local_embedding.conv.weight'),
    (rf'SIM\.(\d+)\.fuse1\.bn\.{BN}',
     r'fuse_blocks.\1.local_embedding.bn.\2'),
    (r'SIM\.(\d+)\.fuse2\.conv\.weight',
     r'fuse_blocks.\1.global_embedding.conv.weight'),
    (rf'SIM\.(\d+)\.fuse2\.bn\.{BN}',
     r'fuse_blocks.\1.global_embedding.bn.\2'),
    (rf'conv\.(\d+)\.{CONV}', r'skip_projs.\1.\2'),
    (rf'lgc\.conv_mask\.{CONV}', r'dpg.conv_mask.\1'),
    (rf'lgc\.channel_mul_conv\.([013])\.{CONV}',
     r'dpg.channel_mul_conv.\1.\2'),
    (rf'conv_seg\.{CONV}', r'conv_seg.\1'),
]
_RCMS = re.compile(r'(?:trans\.transformer_blocks|meta)\.(\d+)\.(.+)')


def _map_head(key: str) -> Optional[str]:
    rcm = _RCMS.fullmatch(key)
    if rcm:
        inner = apply_rules(_RCM_RULES, rcm.group(2))
        where = 'spatial_rcms' if key.startswith('meta') else 'context_rcms'
        return inner and f'{where}.{rcm.group(1)}.{inner}'
    return apply_rules(_HEAD_RULES, key)


def map_cgrseg_key(key: str) -> Optional[str]:
    """Our name for one of the authors' keys; None if no rule maps it (a
    dropped buffer is not mapped either: see :func:`convert_cgrseg`)."""
    if key.startswith('backbone.'):
        new = map_backbone_key(key[len('backbone.'):])
        return new and f'backbone.{new}'
    if key.startswith('decode_head.'):
        new = _map_head(key[len('decode_head.'):])
        return new and f'decode_head.{new}'
    return None


_ARCHS = {48: 's1', 64: 's2', 80: 'l'}


def infer_model_args(state: Dict[str, torch.Tensor]) -> dict:
    """Backbone ``arch`` and head sizes of a converted state dict."""
    try:
        arch = _ARCHS[state[
            'backbone.stages.1.blocks.0.mlp.fc2.conv.weight'].shape[0]]
        channels = state['decode_head.linear_fuse.conv.weight'].shape[0]
        return dict(
            arch=arch,
            channels=channels,
            num_classes=state['decode_head.conv_seg.weight'].shape[0],
            band_kernel_size=state['decode_head.spatial_rcms.0.token_mixer.'
                                   'excite.0.weight'].shape[-1],
            context_band_kernel_size=state[
                'decode_head.context_rcms.0.token_mixer.excite.0.weight'].
            shape[-1],
            num_context_blocks=1 + max(
                int(k.split('.')[2]) for k in state
                if k.startswith('decode_head.context_rcms.')))
    except (KeyError, ValueError) as error:
        raise CheckError('not a CGRSeg checkpoint with an EfficientFormerV2 '
                         f'S1/S2/L backbone (no {error})') from None


def build_target(args: dict) -> torch.nn.Module:
    """Our backbone and head for the sizes ``args`` names."""
    backbone = EfficientFormerV2(arch=args['arch'])
    head = CGRSegHead(
        in_channels=tuple(backbone.out_channels), in_index=(0, 1, 2),
        channels=args['channels'], num_classes=args['num_classes'],
        band_kernel_size=args['band_kernel_size'],
        context_band_kernel_size=args['context_band_kernel_size'],
        num_context_blocks=args['num_context_blocks'])
    return torch.nn.ModuleDict(dict(backbone=backbone, decode_head=head))


def convert_cgrseg(source: Dict[str, torch.Tensor]
                   ) -> Tuple['OrderedDict', dict]:
    """Maps the authors' state dict to ours; returns it and the model
    arguments read from it. Raises CheckError naming every unmapped source
    key, every missing or misshapen target parameter, and any index table
    that differs from timm's."""
    converted, unmapped, index_tables = OrderedDict(), [], {}
    for key, value in source.items():
        new = map_cgrseg_key(key)
        if new is not None:
            if new.endswith(('ls1.gamma', 'ls2.gamma')):
                value = value.flatten()
            converted[new] = value
        elif _IDXS.fullmatch(key):
            index_tables[key] = value
        elif not _DROPPED.fullmatch(key):
            unmapped.append(key)
    if unmapped:
        raise CheckError('no conversion rule for these keys of the source '
                         f'checkpoint: {", ".join(unmapped)}')
    args = infer_model_args(converted)
    target = build_target(args)
    expected = target.state_dict()
    missing = sorted(set(expected) - set(converted))
    extra = sorted(set(converted) - set(expected))
    if missing or extra:
        raise CheckError(
            f'the checkpoint does not fit CGRSeg ({args["arch"]}): missing '
            f'{", ".join(missing) or "none"}; unexpected '
            f'{", ".join(extra) or "none"}')
    wrong = [f'{k} {tuple(v.shape)} != {tuple(expected[k].shape)}'
             for k, v in converted.items() if v.shape != expected[k].shape]
    if wrong:
        raise CheckError(f'parameter shapes differ: {", ".join(wrong)}')
    buffers = dict(target.named_buffers())
    for key, table in index_tables.items():
        ours = buffers.get(map_cgrseg_key(key.replace(
            'attention_bias_idxs_seg', 'attention_biases_seg')).replace(
                'attention_biases', 'attention_bias_idxs'))
        if ours is None or not torch.equal(table, ours):
            raise CheckError(f'{key} differs from the index table of our '
                             'attention layer: biases would land on the '
                             'wrong offsets')
    return converted, args
