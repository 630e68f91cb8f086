"""Reading image files with a clear answer for every way they can be bad:
a folder, a missing or empty file, bytes no decoder takes, a truncated
file; and turning any readable image into the 3-channel BGR uint8 array
the models take (:func:`read_bgr`). The lowest layer that reads images:
:mod:`cgnet_mm.apis` and :mod:`cgnet_mm.deploy` both build on it."""
import os.path as osp
from typing import Union

import cv2
import numpy as np

from .errors import UserError
from .zoo import PACKAGE_DIR

JPEG_SUFFIXES = ('.jpg', '.jpeg')
JPEG_END = b'\xff\xd9'
# a CamVid street scene shipped in the package: the demo's default image,
# int8's default calibration image, the image exports are checked on
DEMO_IMAGE = osp.join(PACKAGE_DIR, 'assets', 'camvid_demo.jpg')

Image = Union[str, np.ndarray]


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


def to_uint8(image: np.ndarray, name: str = 'the image') -> np.ndarray:
    """8-bit pixels: 16-bit images are scaled to 0-255 (65535 -> 255, as
    image viewers show them), other depths are refused."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    raise ImageError(f'{name} has {image.dtype} pixels; give an 8- or '
                     '16-bit image (convert it to 8-bit PNG or JPEG)')


def read_bgr(image: Image) -> np.ndarray:
    """3-channel BGR uint8 from a path or an array (gray, BGR or BGRA;
    8- or 16-bit)."""
    name = 'the image array'
    if isinstance(image, str):
        name, image = f'image {image!r}', read_image(image)
    image = np.asarray(image)
    if image.ndim not in (2, 3) or image.size == 0 or \
            (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ImageError(f'{name} has shape {image.shape}; expected (H, W), '
                         '(H, W, 3) or (H, W, 4)')
    image = to_uint8(image, name)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]),
                            cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image
