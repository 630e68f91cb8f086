from .ade20k import ADE20KDataset
from .camvid import CamVidDataset
from .cityscapes import CityscapesDataset
from .file_check import DatasetFileError, MissingDataError, check_data
from .label_check import LabelCheckMixin
from .transforms import CachedLoading, cache_loading

__all__ = [
    'ADE20KDataset', 'CachedLoading', 'CamVidDataset', 'CityscapesDataset',
    'DatasetFileError', 'LabelCheckMixin', 'MissingDataError',
    'cache_loading', 'check_data'
]
