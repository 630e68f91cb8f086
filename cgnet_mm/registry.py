"""Registries of the ``cgnet_mm`` scope.

Each one is a child of MMSegmentation's, so a config written in the ``mmseg``
scope reaches ours as ``type='cgnet_mm.CGNet'`` while mmseg's own ``CGNet``
stays reachable, unchanged, as ``type='CGNet'``. Lookups that miss here fall
back to mmseg (e.g. ``FCNHead``).

mmengine imports this module for any ``cgnet_mm.``-prefixed type, and each
registry imports its ``locations`` on first use, so configs need no more
than ``custom_imports=['cgnet_mm']``. Importing it also installs the safe
checkpoint loaders, before any cgnet_mm model can load weights.
"""
from mmengine.registry import Registry
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS

from cgnet_mm.utils import checkpoint  # noqa: F401  (installs the loaders)

MODELS = Registry(
    'model', parent=MMSEG_MODELS, scope='cgnet_mm',
    locations=['cgnet_mm.models'])
DATASETS = Registry(
    'dataset', parent=MMSEG_DATASETS, scope='cgnet_mm',
    locations=['cgnet_mm.datasets'])
HOOKS = Registry(
    'hook', parent=MMSEG_HOOKS, scope='cgnet_mm',
    locations=['cgnet_mm.engine'])
TRANSFORMS = Registry(
    'transform', parent=MMSEG_TRANSFORMS, scope='cgnet_mm',
    locations=['cgnet_mm.datasets'])
