"""Config keys checked against what reads them, before a run starts.

mmengine turns a misspelt key into a failure far from its cause: an unknown
``CheckpointHook`` argument is kept in its ``**kwargs`` and breaks the first
checkpoint save (thousands of iterations in), a misspelt top-level key is
never read, and a misspelt model argument is a raw ``TypeError`` from deep
inside the registry. Here hook, loop and model sub-configs are checked
against the ``__init__`` signatures of their registered classes, following
``**kwargs`` up the class hierarchy where ``__init__`` hands them to
``super().__init__`` (mmseg's heads do), as are optimizer, scheduler and
dataset configs; top-level keys against what mmengine's ``Runner`` and
cgnet_mm's tools read (MMSegmentation 0.x keys named with their 1.x
replacements); values the runner needs as numbers by type; and a
``data_root`` that no dataset received.
"""
import ast
import difflib
import inspect
import os
import os.path as osp
import re
from functools import lru_cache
from typing import FrozenSet, Iterator, List, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.hooks import CheckpointHook
from mmseg.registry import (DATASETS, HOOKS, LOOPS, MODELS, OPTIMIZERS,
                            PARAM_SCHEDULERS)
from torch import nn

from .errors import UserError

# Read with ``cfg.get`` by mmengine's Runner besides its ``__init__``
# arguments (wrap_model, _maybe_compile, ...), by mmengine's Config
# (custom_imports), by ``cgnet-mm test --tta`` (tta_*) and by ``cgnet-mm
# train`` (fast_train, load_partial).
EXTRA_READ_KEYS = ('model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
                   'activation_checkpointing', 'efficient_conv_bn_eval',
                   'compile', 'custom_imports', 'tta_model', 'tta_pipeline',
                   'fast_train', 'load_partial')
# Classes whose ``**kwargs`` reach a call that takes nothing more:
# CheckpointHook hands them to Runner.save_checkpoint, every argument of
# which it already passes itself, so any extra key fails at the first save.
CLOSED_KWARGS = (CheckpointHook, )
# A file key this close to a read key is taken for a misspelling of it.
TYPO_CUTOFF = 0.86
# MMSegmentation 0.x top-level keys that 1.x never reads -> what replaced
# them, and the 1.x key where a config variable of that name is fine if
# its value is copied there (the shipped schedules' ``optimizer``).
LEGACY_KEYS = {
    'optimizer': ('optim_wrapper.optimizer: optim_wrapper = dict('
                  "type='OptimWrapper', optimizer=dict(...))",
                  'optim_wrapper.optimizer'),
    'optimizer_config': ("optim_wrapper: optim_wrapper = dict(type="
                         "'OptimWrapper', optimizer=..., clip_grad=...)",
                         None),
    'runner': ("train_cfg: train_cfg = dict(type='IterBasedTrainLoop', "
               'max_iters=...)', None),
    'lr_config': ("param_scheduler: param_scheduler = [dict(type='PolyLR', "
                  'power=..., eta_min=..., by_epoch=False)]', None),
    'checkpoint_config': ('default_hooks.checkpoint: default_hooks = dict('
                          "checkpoint=dict(type='CheckpointHook', "
                          'interval=...))', None),
    'log_config': ('default_hooks.logger: default_hooks = dict(logger='
                   "dict(type='LoggerHook', interval=...))", None),
    'evaluation': ('val_evaluator (the metric) and train_cfg.val_interval '
                   '(how often)', None),
    'workflow': ('train_cfg and val_cfg: train_cfg = dict(type='
                 "'IterBasedTrainLoop', max_iters=..., val_interval=...), "
                 "val_cfg = dict(type='ValLoop')", None),
    'data': ('train_dataloader, val_dataloader and test_dataloader: each '
             'dict(batch_size=..., num_workers=..., dataset=dict(...))', None),
    'seed': ('randomness.seed: randomness = dict(seed=...)',
             'randomness.seed'),
    'max_iters': ('train_cfg.max_iters', 'train_cfg.max_iters'),
}
_INT, _NUMBER, _NUMBER_OR_NONE = 'an int', 'a number', 'a number or None'
# Values the runner, loaders, optimizer, schedulers and hooks compute with:
# where they sit (lists are looked through) -> the type each needs.
NUMERIC_KEYS = {
    'train_cfg': dict(max_iters=_INT, max_epochs=_INT, val_interval=_INT,
                      val_begin=_INT),
    'optim_wrapper': dict(accumulative_counts=_INT),
    'optim_wrapper.optimizer': dict(lr=_NUMBER, weight_decay=_NUMBER,
                                    momentum=_NUMBER, eps=_NUMBER),
    'param_scheduler': dict(power=_NUMBER, eta_min=_NUMBER_OR_NONE,
                            begin=_INT, end=_INT, start_factor=_NUMBER,
                            end_factor=_NUMBER, factor=_NUMBER,
                            gamma=_NUMBER),
    'model.decode_head': dict(num_classes=_INT),
    'model.auxiliary_head': dict(num_classes=_INT),
    'default_hooks.checkpoint': dict(interval=_INT, max_keep_ckpts=_INT),
    'default_hooks.logger': dict(interval=_INT),
    'train_dataloader': dict(batch_size=_INT, num_workers=_INT),
    'val_dataloader': dict(batch_size=_INT, num_workers=_INT),
    'test_dataloader': dict(batch_size=_INT, num_workers=_INT),
}
# Scheduler keys mmengine's builder takes out before the class sees them.
SCHEDULER_BUILD_KEYS = frozenset({'convert_to_iter_based'})
SHIPPED_CONFIGS = osp.join(osp.dirname(osp.dirname(__file__)), '.mim',
                           'configs')


class ConfigKeyError(UserError, ValueError):
    """A config key nothing reads; the message names it and the fix."""


@lru_cache(maxsize=None)
def read_keys() -> FrozenSet[str]:
    """Top-level keys that something reads."""
    from mmengine.runner import Runner
    params = inspect.signature(Runner.__init__).parameters
    return frozenset(params) - {'self', 'cfg'} | set(EXTRA_READ_KEYS)


@lru_cache(maxsize=None)
def project_keys(root: str = SHIPPED_CONFIGS) -> FrozenSet[str]:
    """Names the shipped configs assign at top level (``crop_size``,
    ``train_pipeline``, ...): config variables, never taken for typos."""
    names = set()
    for folder, _, files in os.walk(root, followlinks=True):
        for name in files:
            if name.endswith('.py'):
                names.update(assigned_names(osp.join(folder, name)))
    return frozenset(names)


def assigned_names(path: str) -> FrozenSet[str]:
    """Names one config file assigns at top level."""
    with open(path) as f:
        tree = ast.parse(f.read())
    return frozenset(target.id for node in tree.body
                     if isinstance(node, ast.Assign)
                     for target in node.targets
                     if isinstance(target, ast.Name))


def _show(value) -> str:
    if isinstance(value, ConfigDict):
        value = value.to_dict()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _did_you_mean(key: str, known, cutoff: float = 0.6) -> Optional[str]:
    found = difflib.get_close_matches(key, sorted(known), n=1, cutoff=cutoff)
    return found[0] if found else None


_MISSING = object()


def _value_at(cfg, path: str):
    """The value at a dotted ``path``, or ``_MISSING``."""
    for part in path.split('.'):
        if not isinstance(cfg, (dict, Config)) or part not in cfg:
            return _MISSING
        cfg = cfg[part]
    return cfg


def _dicts_at(cfg, path: str) -> List[Tuple[dict, str]]:
    """The dicts at a dotted ``path`` with their paths, looking through
    lists on the way (shown as ``key[i]``)."""
    found = [(cfg, '')]
    for part in path.split('.'):
        step = []
        for node, at in found:
            value = node.get(part) if isinstance(node, (dict, Config)) \
                else None
            at = f'{at}.{part}' if at else part
            if isinstance(value, (list, tuple)):
                step.extend((item, f'{at}[{i}]')
                            for i, item in enumerate(value))
            else:
                step.append((value, at))
        found = [(node, at) for node, at in step if isinstance(node, dict)]
    return found


def _legacy(key: str) -> str:
    replacement = LEGACY_KEYS[key][0]
    return (f"'{key}' is an MMSegmentation 0.x key that 1.x never reads; "
            f'use {replacement}')


def _copied_to_place(cfg: Config, key: str, cfg_options: dict) -> bool:
    """Whether a 0.x-named key is a config variable copied to its 1.x
    place: equal to it, or left by a shipped base (whose children may
    override the place, e.g. the learning rate) rather than set by the
    config file itself, or not comparable where ``--cfg-options`` has
    changed that place."""
    place = LEGACY_KEYS[key][1]
    if place is None:
        return False
    if any(place.startswith(option) or option.startswith(place)
           for option in cfg_options):
        return True
    if _value_at(cfg, place) == cfg[key]:
        return True
    return key in project_keys() and bool(cfg.filename) and \
        osp.isfile(cfg.filename) and key not in assigned_names(cfg.filename)


def check_top_level(cfg: Config, cfg_options: Optional[dict] = None) -> None:
    """No ``--cfg-options`` key that nothing reads (setting a config
    variable there changes nothing: its value is already copied where the
    config uses it), no MMSegmentation 0.x key (unless a config variable
    copied to its 1.x place), and no file key that looks like a misspelt
    read key."""
    read = read_keys()
    for option, value in (cfg_options or {}).items():
        key = option.split('.')[0]
        if key in read:
            continue
        if key in LEGACY_KEYS and LEGACY_KEYS[key][1]:
            why = (f"'{key}' is an MMSegmentation 0.x key that 1.x never "
                   f'reads; did you mean {LEGACY_KEYS[key][1]}'
                   f'{option[len(key):]}={_show(value)}?')
        elif key in LEGACY_KEYS:
            why = _legacy(key)
        elif key in project_keys():
            why = (f"'{key}' is a config variable, already copied where the "
                   'config uses it; set the keys that use it instead')
        else:
            match = _did_you_mean(key, read, 0.7)
            fix = (f'did you mean {match}{option[len(key):]}={_show(value)}?'
                   if match else 'check the spelling')
            why = ("mmengine's Runner and cgnet_mm never read a top-level "
                   f"'{key}'; {fix}")
        raise ConfigKeyError(
            f'--cfg-options {option}={_show(value)}: {why}')
    for key in cfg:
        if key in LEGACY_KEYS:
            if not _copied_to_place(cfg, key, cfg_options or {}):
                raise ConfigKeyError(f'{key}={_show(cfg[key])}: '
                                     f'{_legacy(key)}')
            continue
        if key in read or key in project_keys():
            continue
        match = _did_you_mean(key, read, TYPO_CUTOFF)
        if match:
            raise ConfigKeyError(
                f'{key}={_show(cfg[key])}: nothing reads a top-level '
                f"'{key}'; did you mean {match}? (rename it in the config)")


def _forwards_to_super(init, kwargs_name: str) -> bool:
    """Whether ``init`` passes its ``**kwargs`` on to ``super().__init__``
    untouched (not popped or read first)."""
    try:
        source = inspect.getsource(init)
    except (OSError, TypeError):
        return False
    if re.search(rf'\b{kwargs_name}\s*(\.\s*(pop|get|setdefault)\b|\[)',
                 source):
        return False
    for start in re.finditer(r'super\([^)]*\)\s*\.\s*__init__\s*\(', source):
        depth, end = 1, start.end()
        while depth and end < len(source):
            depth += {'(': 1, ')': -1}.get(source[end], 0)
            end += 1
        if re.search(rf'\*\*\s*{kwargs_name}\b', source[start.end():end]):
            return True
    return False


def accepted_args(cls) -> Optional[FrozenSet[str]]:
    """The keyword arguments ``cls(...)`` accepts, or None where its
    ``**kwargs`` go somewhere this cannot follow."""
    names = set()
    for klass in cls.__mro__:
        if klass in (object, nn.Module):
            break
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names.update(p.name for p in params
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        var_kw = [p.name for p in params if p.kind is p.VAR_KEYWORD]
        if not var_kw or klass in CLOSED_KWARGS:
            break
        if not _forwards_to_super(init, var_kw[0]):
            return None
    return frozenset(names - {'self'})


def _registered(cfg: dict, registry):
    """The class a ``type=...`` config names, or None if it names none
    (an unregistered type is left to the registry's own error)."""
    cls = cfg.get('type')
    if isinstance(cls, str):
        cls = registry.get(cls)
    return cls if inspect.isclass(cls) else None


def check_args(cfg: dict, registry, path: str,
               extra: FrozenSet[str] = frozenset()) -> None:
    """The keys of one ``type=...`` sub-config are arguments its class
    takes, or ``extra`` keys its builder takes out first."""
    cls = _registered(cfg, registry)
    accepted = None if cls is None else accepted_args(cls)
    if accepted is None:
        return
    accepted = accepted | extra
    for key, value in cfg.items():
        if key == 'type' or key in accepted:
            continue
        match = _did_you_mean(key, accepted)
        fix = (f'did you mean {path}.{match}={_show(value)}?' if match else
               f"it takes {', '.join(sorted(accepted)) or 'no arguments'}")
        raise ConfigKeyError(
            f'{path}.{key}={_show(value)}: {cls.__name__} has no argument '
            f"'{key}'; {fix}")


def _sub_configs(cfg: dict, path: str) -> Iterator[Tuple[dict, str]]:
    """``type=...`` sub-configs under ``cfg``, except ``*_cfg`` ones
    (norm/act/conv/init configs go through builders with keys of their own,
    e.g. ``requires_grad``)."""
    for key, value in cfg.items():
        if key.endswith('_cfg'):
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        for i, item in enumerate(items):
            if isinstance(item, dict) and 'type' in item:
                yield item, (f'{path}.{key}' if item is value else
                             f'{path}.{key}[{i}]')


def check_model(cfg: dict, path: str = 'model') -> None:
    """The model config and its model sub-configs (backbone, heads, losses,
    data preprocessor), recursively."""
    if _registered(cfg, MODELS) is None:
        return
    check_args(cfg, MODELS, path)
    for sub, sub_path in _sub_configs(cfg, path):
        check_model(sub, sub_path)


def _datasets(cfg: dict, path: str) -> Iterator[Tuple[dict, str]]:
    """A dataset config and those it wraps (ConcatDataset's ``datasets``,
    RepeatDataset's ``dataset``), with their paths."""
    yield cfg, path
    if isinstance(cfg.get('datasets'), (list, tuple)):
        for i, sub in enumerate(cfg['datasets']):
            if isinstance(sub, dict):
                yield from _datasets(sub, f'{path}.datasets[{i}]')
    elif isinstance(cfg.get('dataset'), dict):
        yield from _datasets(cfg['dataset'], f'{path}.dataset')


def _loader_datasets(cfg: Config) -> Iterator[Tuple[dict, str]]:
    """Every dataset config of the train, val and test dataloaders."""
    for loader, at in _dicts_at(cfg, 'train_dataloader') + _dicts_at(
            cfg, 'val_dataloader') + _dicts_at(cfg, 'test_dataloader'):
        if isinstance(loader.get('dataset'), dict):
            yield from _datasets(loader['dataset'], f'{at}.dataset')


def check_components(cfg: Config) -> None:
    """The optimizer's, schedulers' and datasets' keys are arguments of
    their classes."""
    optimizer = _value_at(cfg, 'optim_wrapper.optimizer')
    if isinstance(optimizer, dict):
        check_args(optimizer, OPTIMIZERS, 'optim_wrapper.optimizer')
    for scheduler, at in _dicts_at(cfg, 'param_scheduler'):
        check_args(scheduler, PARAM_SCHEDULERS, at, SCHEDULER_BUILD_KEYS)
    for dataset, at in _loader_datasets(cfg):
        check_args(dataset, DATASETS, at)


def _fits(value, expected: str) -> bool:
    if value is None:
        return expected == _NUMBER_OR_NONE
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (expected != _INT and
                                      isinstance(value, float))


def _as_written(value, expected: str) -> Optional[str]:
    """``value`` as the number it spells (``'6'`` -> ``6``), or None."""
    text = value.strip() if isinstance(value, str) else repr(value)
    try:
        number = float(text)
    except ValueError:
        return None
    if expected != _INT:
        return text
    return str(int(number)) if number.is_integer() else None


def check_numbers(cfg: Config) -> None:
    """The values in ``NUMERIC_KEYS`` have the types they need (a quoted
    ``'6'`` fails only deep inside the loop, or at the first checkpoint)."""
    for where, keys in NUMERIC_KEYS.items():
        for node, at in _dicts_at(cfg, where):
            for key, expected in keys.items():
                if key not in node or _fits(node[key], expected):
                    continue
                value = node[key]
                written = _as_written(value, expected)
                fix = f': write {at}.{key}={written}' if written else ''
                raise ConfigKeyError(
                    f'{at}.{key}={_show(value)} is a {type(value).__name__}'
                    f'; it must be {expected}{fix}')


def _option_path(path: str) -> str:
    """``a.datasets[0]`` as ``--cfg-options`` spells it, ``a.datasets.0``."""
    return re.sub(r'\[(\d+)\]', r'.\1', path)


def check_data_root(cfg: Config) -> None:
    """A top-level ``data_root`` reaches a dataset: a child config that
    sets it after its base built the datasets changes nothing."""
    root = cfg.get('data_root')
    if not isinstance(root, str):
        return
    leaves = [(dataset['data_root'], at)
              for dataset, at in _loader_datasets(cfg)
              if 'dataset' not in dataset and 'datasets' not in dataset
              and isinstance(dataset.get('data_root'), str)]
    if not leaves or any(osp.normpath(used) == osp.normpath(root)
                         for used, _ in leaves):
        return
    options = ' '.join(f'{_option_path(at)}.data_root={root}'
                       for _, at in leaves)
    raise ConfigKeyError(
        f'data_root={root!r} reaches no dataset: the base config built '
        f'its datasets with data_root={leaves[0][0]!r} before this config '
        'set it (a config variable is copied where it is used); pass '
        f'--cfg-options {options}, or set data_root in each dataloader\'s '
        'dataset in this config')


def check_config_keys(cfg: Config, cfg_options: Optional[dict] = None) -> None:
    """Top-level keys, hooks, loops, the model, the optimizer, schedulers
    and datasets, numeric values and ``data_root``, in that order."""
    check_top_level(cfg, cfg_options)
    for name, hook in (cfg.get('default_hooks') or {}).items():
        if hook:  # None disables a default hook
            check_args(hook, HOOKS, f'default_hooks.{name}')
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        check_args(hook, HOOKS, f'custom_hooks[{i}]')
    for loop in ('train_cfg', 'val_cfg', 'test_cfg'):
        if cfg.get(loop):
            check_args(cfg[loop], LOOPS, loop)
    if cfg.get('model'):
        check_model(cfg.model)
    check_components(cfg)
    check_numbers(cfg)
    check_data_root(cfg)
