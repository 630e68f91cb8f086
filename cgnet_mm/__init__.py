"""cgnet_mm: context-guided semantic segmentation for MMSegmentation 1.x.

Importing the package is cheap (no torch): its models, datasets,
transforms and hooks join the ``cgnet_mm`` registry scope when first
looked up. A config's ``type='cgnet_mm.CGNet'`` makes mmengine import
:mod:`cgnet_mm.registry`, whose registries import their modules on first
use; the same import installs cgnet_mm's safe checkpoint loaders
(:mod:`cgnet_mm.utils.checkpoint`).
"""
from .version import __version__

__all__ = ['__version__']
