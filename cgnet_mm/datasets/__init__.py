from .camvid import CamVidDataset
from .cityscapes import CityscapesDataset
from .file_check import DatasetFileError, MissingDataError

__all__ = [
    'CamVidDataset', 'CityscapesDataset', 'DatasetFileError',
    'MissingDataError'
]
