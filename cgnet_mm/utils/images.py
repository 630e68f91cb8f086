"""Reading image files with a clear answer for every way they can be bad:
a folder, a missing or empty file, bytes no decoder takes, a truncated
file."""
import os.path as osp

import cv2
import numpy as np

from .errors import UserError

JPEG_SUFFIXES = ('.jpg', '.jpeg')
JPEG_END = b'\xff\xd9'


class ImageError(UserError, ValueError):
    """An image that cannot be read, or of a kind the model cannot take."""


def _jpeg_is_complete(path: str) -> bool:
    """A JPEG ends with its end-of-image marker (some cameras pad a few
    bytes after it). cv2 decodes a truncated JPEG without an error, filling
    the missing rows with grey."""
    with open(path, 'rb') as f:
        f.seek(max(0, osp.getsize(path) - 64))
        return JPEG_END in f.read()


def read_image(path: str, what: str = 'image') -> np.ndarray:
    """The file's pixels as stored (any depth and channel count).

    Raises:
        ImageError: ``path`` is a folder, missing, empty, undecodable or a
            truncated JPEG; the message names the file and ``what`` it is.
    """
    name = f'{what} {path!r}'
    if osp.isdir(path):
        raise ImageError(f'{name} is a folder; give an image file')
    if not osp.isfile(path):
        raise ImageError(f'{name} does not exist')
    if osp.getsize(path) == 0:
        raise ImageError(f'{name} is empty (0 bytes); copy or download it '
                         'again')
    pixels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise ImageError(f'{name} cannot be decoded: it is truncated or not '
                         'an image (PNG, JPEG, BMP, TIFF...); copy or '
                         'download it again')
    if path.lower().endswith(JPEG_SUFFIXES) and not _jpeg_is_complete(path):
        raise ImageError(f'{name} is truncated (no JPEG end marker); copy or '
                         'download it again')
    return pixels
