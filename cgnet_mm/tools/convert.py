"""Convert authors' checkpoints to cgnet_mm: CGNet's (wutianyiRosun/CGNet,
``--from original``), CGRSeg's (nizhenliang/CGRSeg, ``--from cgrseg``,
see :mod:`cgnet_mm.tools.convert_cgrseg`) and SGCPNet's
(zhouyuan888888/SGCPNet, ``--from sgcpnet``, see
:mod:`cgnet_mm.tools.convert_sgcpnet`).

Every source key is mapped by an explicit rule; a key no rule maps, or a
parameter the model needs that the source lacks, stops the conversion with
its name. The CGNet authors' classifier has no bias, so a zero bias is
added.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Dict, Optional, Sequence

from cgnet_mm.utils import CheckError, cli
from cgnet_mm.utils.atomic import atomic_path, check_writable

if TYPE_CHECKING:  # torch and the models are imported on use: fast `--help`
    import torch

# Inside a CG block: authors' suffix -> ours (mmseg 1.2.2's names).
_BLOCK_RULES = [
    (r'conv1x1\.conv\.weight', 'conv1x1.conv.weight'),
    (r'conv1x1\.bn\.(\w+)', r'conv1x1.bn.\1'),
    (r'conv1x1\.act\.weight', 'conv1x1.activate.weight'),
    (r'F_loc\.conv\.weight', 'f_loc.weight'),
    (r'F_sur\.conv\.weight', 'f_sur.weight'),
    (r'(?:bn_prelu\.)?bn\.(\w+)', r'bn.\1'),
    (r'(?:bn_prelu\.)?act\.weight', 'activate.weight'),
    (r'reduce\.conv\.weight', 'bottleneck.weight'),
    (r'F_glo\.fc\.([02])\.(weight|bias)', r'f_glo.fc.\1.\2'),
]
# Outside the blocks: authors' key -> ours.
_TOP_RULES = [
    (r'level1_([012])\.conv\.weight', r'stem.\1.conv.weight'),
    (r'level1_([012])\.bn\.(\w+)', r'stem.\1.bn.\2'),
    (r'level1_([012])\.act\.weight', r'stem.\1.activate.weight'),
    (r'b1\.bn\.(\w+)', r'norm_prelu_0.0.\1'),
    (r'b1\.act\.weight', 'norm_prelu_0.1.weight'),
    (r'bn_prelu_2\.bn\.(\w+)', r'norm_prelu_1.0.\1'),
    (r'bn_prelu_2\.act\.weight', 'norm_prelu_1.1.weight'),
    (r'bn_prelu_3\.bn\.(\w+)', r'norm_prelu_2.0.\1'),
    (r'bn_prelu_3\.act\.weight', 'norm_prelu_2.1.weight'),
]
# Authors' stage N is our stage N-1; block 0 is stored apart from the rest.
_STAGE = re.compile(r'level([23])(?:_0|\.(\d+))\.(.+)')
_CLASSIFIER = re.compile(r'classifier\.\d+\.conv\.weight')


def _map_block_key(suffix: str) -> Optional[str]:
    for pattern, repl in _BLOCK_RULES:
        if re.fullmatch(pattern, suffix):
            return re.sub(pattern, repl, suffix)
    return None


def map_key(key: str) -> Optional[str]:
    """Our name for one of the authors' keys, or None if no rule maps it."""
    if _CLASSIFIER.fullmatch(key):
        return 'decode_head.conv_seg.weight'
    for pattern, repl in _TOP_RULES:
        if re.fullmatch(pattern, key):
            return 'backbone.' + re.sub(pattern, repl, key)
    stage = _STAGE.fullmatch(key)
    if stage:
        level, idx, suffix = stage.groups()
        block = 0 if idx is None else int(idx) + 1
        inner = _map_block_key(suffix)
        if inner is not None:
            return f'backbone.level{int(level) - 1}.{block}.{inner}'
    return None


def unwrap(checkpoint) -> Dict[str, 'torch.Tensor']:
    """The state dict inside ``{'model': ...}``/``{'state_dict': ...}`` or a
    bare one, without DataParallel's ``module.`` prefixes."""
    if not isinstance(checkpoint, dict):
        raise CheckError(f'expected a state dict or {{"model": state_dict}}, '
                         f'got {type(checkpoint).__name__}')
    for field in ('model', 'state_dict'):
        if isinstance(checkpoint.get(field), dict):
            checkpoint = checkpoint[field]
            break
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in checkpoint.items())


def expected_keys(backbone_state: Dict[str, 'torch.Tensor']) -> set:
    """State-dict keys of the segmentor around ``backbone_state``."""
    keys = {f'backbone.{k}' for k in backbone_state}
    return keys | {'decode_head.conv_seg.weight', 'decode_head.conv_seg.bias'}


def convert_original(source: Dict[str, 'torch.Tensor']) -> 'OrderedDict':
    """Maps the authors' state dict to cgnet_mm's; raises CheckError naming
    every unmapped source key and every missing target key."""
    from cgnet_mm.models import CGNet
    source = unwrap(source)
    converted, unmapped = OrderedDict(), []
    for key in list(source):
        new = map_key(key)
        if new is None:
            unmapped.append(key)
        else:
            converted[new] = source.pop(key)
    if unmapped:
        raise CheckError('no conversion rule for these keys of the source '
                         f'checkpoint: {", ".join(unmapped)}')
    if 'decode_head.conv_seg.weight' not in converted:
        raise CheckError('the source checkpoint has no classifier '
                         '(classifier.<i>.conv.weight)')
    classifier = converted['decode_head.conv_seg.weight']
    converted['decode_head.conv_seg.bias'] = classifier.new_zeros(
        classifier.shape[0])
    num_blocks = tuple(1 + max((
        int(k.split('.')[2]) for k in converted
        if k.startswith(f'backbone.level{s}.')), default=-1) for s in (1, 2))
    if min(num_blocks) < 1:
        raise CheckError('the source checkpoint has no CG blocks '
                         '(level2_0.*, level3_0.*): is it a CGNet checkpoint?')
    expected = CGNet(num_blocks=num_blocks).state_dict()
    missing = sorted(expected_keys(expected) - set(converted))
    if missing:
        raise CheckError('the source checkpoint lacks parameters the model '
                         f'needs: {", ".join(missing)}')
    wrong = [f'{k} {tuple(v.shape)} != {tuple(expected[k].shape)}'
             for k, v in converted.items()
             if k.startswith('backbone.') and
             v.shape != expected[k[len('backbone.'):]].shape]
    if wrong:
        raise CheckError(f'parameter shapes differ from CGNet M{num_blocks[0]}'
                         f'N{num_blocks[1]}: {", ".join(wrong)}')
    return converted


def convert_file(
        src: str, dst: str,
        source_format: str = 'original') -> Dict[str, 'torch.Tensor']:
    """Reads ``src`` safely, converts it from ``source_format`` ('original':
    CGNet, 'cgrseg', 'sgcpnet') and writes an mmengine checkpoint
    (atomically: an existing ``dst`` stays whole until the new one is); a
    CGRSeg or SGCPNet one records what was read from the source (model
    arguments, the authors' epoch) in its meta."""
    import torch

    from cgnet_mm.tools.convert_cgrseg import convert_cgrseg
    from cgnet_mm.tools.convert_sgcpnet import convert_sgcpnet
    from cgnet_mm.utils.checkpoint import safe_load
    check_writable(dst)
    source = safe_load(src, map_location='cpu')
    meta = dict(source=osp.basename(src))
    if source_format == 'cgrseg':
        state, args = convert_cgrseg(unwrap(source))
        meta.update(converted_from='nizhenliang/CGRSeg', cgrseg=args)
    elif source_format == 'sgcpnet':
        state, info = convert_sgcpnet(source)
        meta.update(converted_from='zhouyuan888888/SGCPNet', sgcpnet=info)
    else:
        state = convert_original(source)
        meta.update(converted_from='wutianyiRosun/CGNet')
    with atomic_path(dst) as temp:
        torch.save(dict(state_dict=state, meta=meta), temp)
    return state


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm convert', description=__doc__.splitlines()[0])
    parser.add_argument('--from', dest='source_format', required=True,
                        choices=['original', 'cgrseg', 'sgcpnet'],
                        help="'original': the authors' CGNet checkpoints; "
                        "'cgrseg': the CGRSeg authors' (mmseg 0.x layout); "
                        "'sgcpnet': the SGCPNet authors' Cityscapes "
                        "checkpoint ({'segmenter': ...})")
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    state = convert_file(args.src, args.dst, args.source_format)
    print(f'converted {len(state)} tensors: {args.src} -> {args.dst}')


if __name__ == '__main__':
    main()
