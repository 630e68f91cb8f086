"""What every export is held to before it is written: the input contract,
the parity figures against torch on a real-looking image, their limits,
and :func:`write_verified`, which refuses a model that misses them and
otherwise moves its file(s) into place atomically (together, for an
OpenVINO ``.xml`` and ``.bin``).

Limits: an fp32 export must stay within 1e-4 max abs logit difference and
agree on the argmax of >= 99.9% of pixels; an int8 one must agree on
>= 97% (its CamVid val mIoU is within 0.3 of fp32, docs/deployment.md).
"""
import shutil
from typing import Callable, Dict, Optional, Tuple

import cv2
import torch

from cgnet_mm.utils.atomic import atomic_paths
from cgnet_mm.utils.errors import UserError
from cgnet_mm.utils.images import DEMO_IMAGE, read_bgr

from .wrapper import as_input

MAX_ABS_DIFF = 1e-4
MIN_AGREEMENT = 0.999
MIN_INT8_AGREEMENT = 0.97
PREPROCESSING = ('input "image": float32 NCHW, BGR channel order, values '
                 '0-255 (cv2.imread, transposed); the graph converts to RGB '
                 'if bgr_to_rgb, subtracts mean and divides by std. Output '
                 '"logits": (N, classes, H, W) at the input size.')


class ExportError(UserError, RuntimeError):
    """The exported model disagrees with torch, or the export failed."""


def real_looking_input(shape: Tuple[int, int],
                       image: Optional[str] = None) -> torch.Tensor:
    """A photo (the bundled CamVid scene unless ``image`` is given),
    resized to ``shape``, as the graph's input (1, 3, H, W)."""
    bgr = read_bgr(image or DEMO_IMAGE)
    return as_input(cv2.resize(bgr, (shape[1], shape[0]),
                               interpolation=cv2.INTER_AREA))


def worst_figures(figures: Callable[[torch.Tensor], Dict[str, float]],
                  shape: Tuple[int, int], dynamic: bool,
                  image: Optional[str] = None) -> Dict[str, float]:
    """The worst of ``figures(input)`` over the photo at ``shape`` and, for
    a dynamic graph, at a second (odd) size."""
    h, w = shape
    sizes = [(h, w)] + ([(h // 2 + 3, w // 2 + 5)] if dynamic else [])
    results = [figures(real_looking_input(s, image)) for s in sizes]
    return dict(
        max_abs_diff=max(r['max_abs_diff'] for r in results),
        argmax_agreement=min(r['argmax_agreement'] for r in results))


def check_figures(worst: Dict[str, float], mode: str, out: str,
                  what: Optional[str] = None,
                  against: str = 'the eager model') -> None:
    """Raises :class:`ExportError` when the exported model (``what``,
    default: the ``mode`` package) misses the limits of ``mode`` (fp32 or
    int8) in its comparison ``against`` the reference."""
    limit = MIN_INT8_AGREEMENT if mode == 'int8' else MIN_AGREEMENT
    if (mode == 'fp32' and worst['max_abs_diff'] > MAX_ABS_DIFF) or \
            worst['argmax_agreement'] < limit:
        raise ExportError(
            f'{what or f"the {mode} package"} disagrees with {against}: max '
            f'abs logit difference {worst["max_abs_diff"]:.3g}'
            f'{f" (limit {MAX_ABS_DIFF})" if mode == "fp32" else ""}, '
            f'argmax agreement {100 * worst["argmax_agreement"]:.3f}% '
            f'(limit {100 * limit:g}%); {out!r} was not written')


def write_verified(files: Dict[str, str], worst: Dict[str, float],
                   mode: str, what: Optional[str] = None,
                   against: str = 'the eager model') -> None:
    """Checks ``worst`` (:func:`check_figures`; the refusal names the first
    destination) and only when it passes moves each written file of
    ``files`` (written file -> destination) to its destination, all of
    them in one atomic switch."""
    sources, destinations = list(files), list(files.values())
    check_figures(worst, mode, destinations[0], what, against)
    with atomic_paths(*destinations) as temps:
        for source, temp in zip(sources, temps):
            shutil.move(source, temp)
