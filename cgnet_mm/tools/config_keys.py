"""Config keys checked against what reads them, before a run starts.

mmengine turns a misspelt key into a failure far from its cause: an unknown
``CheckpointHook`` argument is kept in its ``**kwargs`` and breaks the first
checkpoint save (thousands of iterations in), a misspelt top-level key is
never read, and a misspelt model argument is a raw ``TypeError`` from deep
inside the registry. Here hook, loop and model sub-configs are checked
against the ``__init__`` signatures of their registered classes, following
``**kwargs`` up the class hierarchy where ``__init__`` hands them to
``super().__init__`` (mmseg's heads do), and top-level keys against what
mmengine's ``Runner`` and cgnet_mm's tools read.
"""
import ast
import difflib
import inspect
import os
import os.path as osp
import re
from functools import lru_cache
from typing import FrozenSet, Iterator, Optional, Tuple

from mmengine.config import Config, ConfigDict
from mmengine.hooks import CheckpointHook
from mmseg.registry import HOOKS, LOOPS, MODELS
from torch import nn

from cgnet_mm.utils import UserError

# Read with ``cfg.get`` by mmengine's Runner besides its ``__init__``
# arguments (wrap_model, _maybe_compile, ...), by mmengine's Config
# (custom_imports), by ``cgnet-mm test --tta`` (tta_*) and by ``cgnet-mm
# train`` (fast_train).
EXTRA_READ_KEYS = ('model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
                   'activation_checkpointing', 'efficient_conv_bn_eval',
                   'compile', 'custom_imports', 'tta_model', 'tta_pipeline',
                   'fast_train')
# Classes whose ``**kwargs`` reach a call that takes nothing more:
# CheckpointHook hands them to Runner.save_checkpoint, every argument of
# which it already passes itself, so any extra key fails at the first save.
CLOSED_KWARGS = (CheckpointHook, )
# A file key this close to a read key is taken for a misspelling of it.
TYPO_CUTOFF = 0.86
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
                with open(osp.join(folder, name)) as f:
                    tree = ast.parse(f.read())
                names.update(target.id for node in tree.body
                             if isinstance(node, ast.Assign)
                             for target in node.targets
                             if isinstance(target, ast.Name))
    return frozenset(names)


def _show(value) -> str:
    if isinstance(value, ConfigDict):
        value = value.to_dict()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _did_you_mean(key: str, known, cutoff: float = 0.6) -> Optional[str]:
    found = difflib.get_close_matches(key, sorted(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def check_top_level(cfg: Config, cfg_options: Optional[dict] = None) -> None:
    """No ``--cfg-options`` key that nothing reads (setting a config
    variable there changes nothing: its value is already copied where the
    config uses it), and no file key that looks like a misspelt read key."""
    read = read_keys()
    for option, value in (cfg_options or {}).items():
        key = option.split('.')[0]
        if key in read:
            continue
        if key in project_keys():
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


def check_args(cfg: dict, registry, path: str) -> None:
    """The keys of one ``type=...`` sub-config are arguments its class
    takes."""
    cls = _registered(cfg, registry)
    accepted = None if cls is None else accepted_args(cls)
    if accepted is None:
        return
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


def check_config_keys(cfg: Config, cfg_options: Optional[dict] = None) -> None:
    """Top-level keys, hooks, loops and the model, in that order."""
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
