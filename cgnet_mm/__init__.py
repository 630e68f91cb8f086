"""cgnet_mm: context-guided semantic segmentation for MMSegmentation 1.x.

Importing the package registers its models in the ``cgnet_mm`` registry
scope and makes mmengine load checkpoints safely on torch >= 2.6.
"""
from . import datasets  # noqa: F401
from . import engine  # noqa: F401
from . import models  # noqa: F401
from . import utils  # noqa: F401
from .version import __version__

__all__ = ['__version__']
