"""Key maps onto :class:`EfficientFormerV2` (timm's parameter names) from
the two layouts its weights come in: Snap Research's ImageNet release
(``patch_embed.*``, ``network.*``), which the backbone loads as its
``init_cfg`` pretrained weights, and the CGRSeg authors' MMSegmentation 0.x
checkpoints (the same backbone with ``_seg`` attention tables), which
``cgnet-mm convert --from cgrseg`` maps with :func:`map_backbone_key`.
"""
import re
from typing import Dict, List, Optional, Tuple

import torch

from cgnet_mm.utils import CheckError

BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
CONV = r'(weight|bias)'
_SNAP_DROPPED = re.compile(r'.*\.attention_bias_idxs|(norm|head|dist_head)'
                           r'\.(weight|bias|running_mean|running_var|'
                           r'num_batches_tracked)')

# inside an attention layer (Attention4D / Attention4DDownsample)
_ATTN_RULES = [
    (rf'(q|k|v|v_local|stride_conv)\.0\.{CONV}', r'\1.conv.\2'),
    (rf'(q|k|v|v_local|stride_conv)\.1\.{BN}', r'\1.bn.\2'),
    (rf'q\.local\.0\.{CONV}', r'q.local.\1'),
    (rf'q\.proj\.0\.{CONV}', r'q.proj.conv.\1'),
    (rf'q\.proj\.1\.{BN}', r'q.proj.bn.\1'),
    (rf'(talking_head[12])\.{CONV}', r'\1.\2'),
    (rf'proj\.1\.{CONV}', r'proj.conv.\1'),
    (rf'proj\.2\.{BN}', r'proj.bn.\1'),
]
# the table the forward reads: ``attention_biases_seg`` in the CGRSeg
# authors' checkpoints, ``attention_biases`` in Snap's ImageNet release
_TABLE = {True: r'attention_biases_seg', False: r'attention_biases'}
# inside a backbone block (FFN / AttnFFN)
_BLOCK_RULES = [
    (rf'mlp\.(fc1|mid|fc2)\.{CONV}', r'mlp.\1.conv.\2'),
    (rf'mlp\.norm1\.{BN}', r'mlp.fc1.bn.\1'),
    (rf'mlp\.mid_norm\.{BN}', r'mlp.mid.bn.\1'),
    (rf'mlp\.norm2\.{BN}', r'mlp.fc2.bn.\1'),
    (r'layer_scale_([12])', r'ls\1.gamma'),
]
# inside a downsampling Embedding (conv, or attention + conv)
_EMBED_RULES = [
    (rf'(?:proj|conv)\.{CONV}', r'conv.conv.\1'),
    (rf'(?:norm|bn)\.{BN}', r'conv.bn.\1'),
]
_STEM = re.compile(r'patch_embed\.([0134])\.(\w+)')
_STEM_LAYERS = {'0': 'conv1.conv', '1': 'conv1.bn', '3': 'conv2.conv',
                '4': 'conv2.bn'}
_NETWORK = re.compile(r'network\.(\d+)\.(.+)')
_BLOCK = re.compile(r'(\d+)\.(.+)')

def apply_rules(rules: List[Tuple[str, str]], suffix: str) -> Optional[str]:
    for pattern, repl in rules:
        if re.fullmatch(pattern, suffix):
            return re.sub(pattern, repl, suffix)
    return None


def _map_attention(suffix: str, seg: bool) -> Optional[str]:
    if suffix == _TABLE[seg]:
        return 'attention_biases'
    return apply_rules(_ATTN_RULES, suffix)


def map_backbone_key(key: str, seg: bool = True) -> Optional[str]:
    stem = _STEM.fullmatch(key)
    if stem:
        return f'stem.{_STEM_LAYERS[stem.group(1)]}.{stem.group(2)}'
    network = _NETWORK.fullmatch(key)
    if not network:
        return None
    index, suffix = int(network.group(1)), network.group(2)
    stage = (index + 1) // 2
    if index % 2:  # an Embedding: stage <stage>'s downsampling
        if suffix.startswith('attn.'):
            inner = _map_attention(suffix[len('attn.'):], seg)
            return inner and f'stages.{stage}.downsample.attn.{inner}'
        inner = apply_rules(_EMBED_RULES, suffix)
        return inner and f'stages.{stage}.downsample.{inner}'
    block = _BLOCK.fullmatch(suffix)
    if not block:
        return None
    rest = block.group(2)
    if rest.startswith('token_mixer.'):
        inner = _map_attention(rest[len('token_mixer.'):], seg)
        inner = inner and f'token_mixer.{inner}'
    else:
        inner = apply_rules(_BLOCK_RULES, rest)
    return inner and f'stages.{stage}.blocks.{block.group(1)}.{inner}'


def convert_snap_backbone(source: Dict[str, torch.Tensor]
                          ) -> Dict[str, torch.Tensor]:
    """Snap Research's ImageNet EfficientFormerV2 release (the authors'
    starting point: ``patch_embed.*``, ``network.*``) in our (timm's)
    layout; the classifier (``norm``, ``head``, ``dist_head``) and the
    index buffers are dropped. Raises CheckError naming unmapped keys."""
    converted, unmapped = {}, []
    for key, value in source.items():
        new = map_backbone_key(key, seg=False)
        if new is not None:
            converted[new] = value.flatten() if new.endswith(
                ('ls1.gamma', 'ls2.gamma')) else value
        elif not _SNAP_DROPPED.fullmatch(key):
            unmapped.append(key)
    if unmapped:
        raise CheckError('no conversion rule for these keys of the ImageNet '
                         f'checkpoint: {", ".join(unmapped)}')
    return converted


