from .camvid import CamVidDataset
from .cityscapes import CityscapesDataset
from .file_check import DatasetFileError, MissingDataError
from .transforms import CachedLoading, cache_loading

__all__ = [
    'CachedLoading', 'CamVidDataset', 'CityscapesDataset',
    'DatasetFileError', 'MissingDataError', 'cache_loading'
]
