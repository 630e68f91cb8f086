"""Reading configs and checking a checkpoint against one, before anything
is built: the checks turn common mistakes into one clear message instead
of a traceback deep inside a runner."""
import logging
import os.path as osp
from typing import Dict, Iterator, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from .checkpoint import preload, safe_load
from .errors import CheckError
from .zoo import verify

CONFIG_SUFFIXES = ('.py', '.json', '.yaml', '.yml')  # what mmengine reads


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config file, applying ``--cfg-options`` overrides."""
    if not osp.isfile(path):
        raise CheckError(
            f'config file {path!r} does not exist; pass a path such as '
            'configs/cgnet_512x1024_60k_cityscapes.py')
    if not path.endswith(CONFIG_SUFFIXES):
        kind = 'a checkpoint, not a config' if path.endswith(
            ('.pth', '.pt')) else 'not a config'
        raise CheckError(
            f'config file {path!r} is {kind} (.py, .json, .yaml or .yml); '
            'pass the config that builds the model, e.g. '
            'configs/cgnet_512x1024_60k_cityscapes.py, where the config '
            'goes and a checkpoint only where one is asked for')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # anything the config's own code raised
        problem = _config_code_error(path, err)
        if problem is None:
            raise
        raise problem from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _config_code_error(path: str, err: Exception) -> Optional[CheckError]:
    """A CheckError naming the file and line where reading ``path`` failed
    in a config's own code (a syntax error, an undefined name...); None
    when the error came from elsewhere. mmengine parses configs with
    ``ast.parse``, whose SyntaxError names no file: the file is the one
    mmengine was reading, the innermost frame holding a ``filename`` that
    names a config."""
    where = None
    tb = err.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        name = frame.f_locals.get('filename')
        if frame.f_code.co_name == '<module>':
            where = (frame.f_code.co_filename, tb.tb_lineno)
        elif isinstance(err, SyntaxError) and isinstance(name, str) and \
                name.endswith(CONFIG_SUFFIXES):
            where = (name, err.lineno)
        tb = tb.tb_next
    if isinstance(err, SyntaxError) and err.filename not in (None,
                                                             '<unknown>'):
        where = (err.filename, err.lineno)
    if where is None:
        return None
    place = f'config file {path!r}'
    if osp.abspath(where[0]) != osp.abspath(path):
        place += f' reads {where[0]!r}'
    reason = err.msg if isinstance(err, SyntaxError) else str(err)
    return CheckError(f'{place}, line {where[1]}: {type(err).__name__}: '
                      f'{reason}; fix that line')


def leaf_datasets(cfg) -> Iterator[dict]:
    """Leaf dataset configs, looking through wrappers (Concat, Repeat)."""
    if 'datasets' in cfg:
        for sub in cfg['datasets']:
            yield from leaf_datasets(sub)
    elif 'dataset' in cfg:
        yield from leaf_datasets(cfg['dataset'])
    else:
        yield cfg


# a key only one family's checkpoints hold -> what the checkpoint is
_FAMILY_KEYS = (
    ('backbone.stem.conv1.conv.weight', 'a CGRSeg (EfficientFormerV2)'),
    ('backbone.patch_embed1.proj.weight', 'an FRM (VAN)'),
    ('backbone.stem.conv.weight', 'an SGCPNet'),
    ('backbone.stem.0.conv.weight', 'a CGNet'),
)
_FIRST = 5  # keys named in a mismatch message


def state_of(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The weights of a loaded checkpoint, without DataParallel's
    ``module.`` prefix (as mmengine's ``load_checkpoint`` strips it)."""
    state = checkpoint.get('state_dict', checkpoint)
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()}


def describe_checkpoint(checkpoint: dict) -> str:
    """What a checkpoint looks like, for mismatch messages."""
    if 'segmenter' in checkpoint:
        return ("the SGCPNet authors' own checkpoint; convert it first with "
                '`cgnet-mm convert --from sgcpnet IN OUT`')
    state = state_of(checkpoint)
    if any(k.startswith('backbone.network.') for k in state):
        return ("a CGRSeg authors' checkpoint; convert it first with "
                '`cgnet-mm convert --from cgrseg IN OUT`')
    for key, family in _FAMILY_KEYS:
        if key in state:
            return f'{family} checkpoint'
    return 'a checkpoint of another model'


def checkpoint_num_classes(state: Dict[str, torch.Tensor]) -> Optional[int]:
    """Rows of the classifier in a state dict, or None if it has none."""
    for key, value in state.items():
        if key.endswith('decode_head.conv_seg.weight'):
            return int(value.shape[0])
    return None


def check_checkpoint(cfg: Config, path: str, partial: bool = False) -> None:
    """The checkpoint exists and fits the config's model: same classifier
    size, and (unless ``partial``, for fine-tuning) the same parameter
    names and shapes, so that no loader later keeps random weights without
    a word. With ``partial`` the keys that will not load are logged.
    The file is read once: the loaded checkpoint is handed to the next
    local load of the same file (:func:`cgnet_mm.utils.checkpoint.preload`).
    """
    if '://' in path:
        return
    if not osp.isfile(path):
        raise CheckError(f'checkpoint {path!r} does not exist')
    verify(path)
    checkpoint = safe_load(path, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise CheckError(f'checkpoint {path!r} holds a '
                         f'{type(checkpoint).__name__}, not a dict of weights')
    state = state_of(checkpoint)
    found = checkpoint_num_classes(state)
    expected = cfg.model.decode_head.num_classes
    if found is not None and found != expected:
        raise CheckError(
            f'checkpoint {path!r} predicts {found} classes but the config '
            f'sets model.decode_head.num_classes={expected}; use the config '
            'the checkpoint was trained with, or pass --cfg-options '
            f'model.decode_head.num_classes={found} with a matching dataset')
    problems = _mismatch(cfg, state)
    if problems and not partial:
        raise CheckError(
            f'checkpoint {path!r} does not fit the config\'s model '
            f'({_model_name(cfg)}): {problems}. It looks like '
            f'{describe_checkpoint(checkpoint)}. Use the config it was '
            'trained with, or set load_partial=True (--cfg-options '
            'load_partial=True) to load only the matching weights for '
            'fine-tuning')
    if problems:
        print_log(f'load_partial: from {path!r} these weights do not load '
                  f'and keep their initialisation: {problems}',
                  logger='current', level=logging.WARNING)
    preload(path, checkpoint)


def _model_name(cfg: Config) -> str:
    backbone = cfg.model.get('backbone', {}).get('type', '?')
    return str(backbone).split('.')[-1]


def _mismatch(cfg: Config, state: Dict[str, torch.Tensor]) -> str:
    """How ``state`` differs from the model the config builds ('' when it
    fits): counts and the first few names of missing, unexpected and
    misshapen parameters."""
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmseg')):
        expected = MODELS.build(cfg.model).state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}'
              for k, v in expected.items()
              if k in state and state[k].shape != v.shape]
    parts = []
    for label, keys in (('missing', missing), ('unexpected', unexpected),
                        ('of another shape', shapes)):
        if keys:
            more = f', ... ({len(keys) - _FIRST} more)' \
                if len(keys) > _FIRST else ''
            parts.append(f'{len(keys)} {label} ({", ".join(keys[:_FIRST])}'
                         f'{more})')
    return '; '.join(parts)
