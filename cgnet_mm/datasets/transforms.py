"""Data pipeline transforms of cgnet_mm."""
import copy
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform, Compose

from cgnet_mm.registry import TRANSFORMS

LOADING = ('LoadImageFromFile', 'LoadAnnotations')


@TRANSFORMS.register_module()
class CachedLoading(BaseTransform):
    """Runs a pipeline's loading transforms once per sample and serves later
    epochs from memory.

    Decoding a 360x480 CamVid PNG pair costs ~5 ms, a third of the loader's
    CPU time per image, and on a 2-core machine every loader millisecond is
    taken from the training step. The augmentation that follows still runs
    every time, on a copy, so the samples are the same as without the cache.

    Each data loader worker keeps its own cache (they are separate
    processes): CamVid train+val takes ~320 MB per worker. Past
    ``max_bytes`` nothing more is stored, so a large dataset (Cityscapes:
    ~8 MB a sample) costs at most that much and decodes the rest as usual.

    Args:
        transforms (list[dict]): The loading transforms to run once, e.g.
            ``LoadImageFromFile`` and ``LoadAnnotations``.
        max_bytes (int): Cache size limit per process. Default: 2 GiB.
    """

    def __init__(self, transforms: List[dict], max_bytes: int = 2 << 30):
        self.transforms = Compose(transforms)
        self.max_bytes = max_bytes
        self.cached_bytes = 0
        self._cache = {}

    def transform(self, results: dict) -> dict:
        key = (results.get('img_path'), results.get('seg_map_path'))
        loaded = self._cache.get(key)
        if loaded is None:
            before = copy.deepcopy(results)  # metadata only, small
            results = self.transforms(results)
            if results is None:
                return None
            loaded = {k: v for k, v in results.items()
                      if k not in before or not _same(v, before[k])}
            size = sum(v.nbytes for v in loaded.values()
                       if isinstance(v, np.ndarray))
            if self.cached_bytes + size <= self.max_bytes:
                self._cache[key] = copy.deepcopy(loaded)
                self.cached_bytes += size
            return results
        results.update(copy.deepcopy(loaded))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'max_bytes={self.max_bytes})')


def _same(value, old) -> bool:
    """Whether a loading transform left ``value`` as it was (in-place
    changes, such as ``seg_fields.append``, count as changes)."""
    if isinstance(value, np.ndarray) or type(value) is not type(old):
        return False
    try:
        return bool(value == old)
    except (TypeError, ValueError):
        return False


def cache_loading(pipeline: List[dict]) -> List[dict]:
    """``pipeline`` with its leading loading transforms wrapped in
    :class:`CachedLoading` (unchanged when it has none or is wrapped)."""
    n = 0
    while n < len(pipeline) and str(pipeline[n].get('type')).split(
            '.')[-1] in LOADING:
        n += 1
    if n == 0:
        return list(pipeline)
    return [dict(type='cgnet_mm.CachedLoading',
                 transforms=list(pipeline[:n]))] + list(pipeline[n:])
