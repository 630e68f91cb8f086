"""Dataset file checks. ``check_data``: before a run, every folder a config's
loaders read exists and holds files of the dataset's suffix.
``check_files``: one pass over a dataset's files when it is built, so that a bad file stops
the run with its name before training or testing starts, instead of an
``IndexError`` mid-training or a silently lower mIoU.

Each sample's label must exist, decode, be single-channel, hold only the
allowed values and have its image's size; the image must decode and not
be truncated. Files are read on a few threads (cv2 releases the GIL), with
a progress bar on stderr for large sets; a sample that passed is not read
again in the same process while its files are unchanged (val and test
loaders often share a set). Cost: ~1.5 s for CamVid train (367 pairs,
360x480, 2 busy cores; ``tests/datasets/test_file_check.py``); Cityscapes
train (2975 pairs of 2048x1024 PNGs) reads about 40x the pixels.
"""
import inspect
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Optional, Set, Tuple

import numpy as np
from mmengine.config import Config
from mmseg.registry import DATASETS
from rich.console import Console
from rich.progress import track

from cgnet_mm.utils import CheckError, UserError
from cgnet_mm.utils.config import leaf_datasets
from cgnet_mm.utils.files import file_stamp
from cgnet_mm.utils.images import read_image

# the layout named in folder errors for Cityscapes-type datasets
CITYSCAPES_TREE = """\
  <data_root>/
  ├── leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
  └── gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
  (labelTrainIds files come from `mim run mmseg cityscapes <data_root>`)"""
PROGRESS_FROM = 200  # samples; smaller sets are checked without a bar
_PASSED: Set[tuple] = set()


class MissingDataError(UserError, FileNotFoundError):
    """A dataset folder or file that is not there."""


class DatasetFileError(UserError, ValueError):
    """An image or label file of a dataset is missing or bad; the message
    names the file, what is wrong and the fix."""


def _describe(values: np.ndarray, counts: np.ndarray) -> str:
    shown = ', '.join(f'{v} ({c} px)' for v, c in
                      zip(values[:5].tolist(), counts[:5].tolist()))
    return shown + (f' and {len(values) - 5} more' if len(values) > 5 else '')


def check_sample(img_path: str, seg_path: str, allowed: np.ndarray,
                 dataset: str, expected: str, fix: str) -> Optional[str]:
    """What is wrong with one sample, or None. ``allowed`` is a boolean
    table over label values; ``expected`` says in words what it allows."""
    if not osp.isfile(seg_path):
        return (f'{dataset} image {img_path!r} has no label {seg_path!r}; '
                'add it or remove the image')
    key = (file_stamp(img_path) if osp.isfile(img_path) else img_path,
           file_stamp(seg_path), allowed.tobytes())
    if key in _PASSED:
        return None
    try:
        label = read_image(seg_path, f'{dataset} label')
        image = read_image(img_path, f'{dataset} image')
    except UserError as err:
        return str(err)
    if label.ndim != 2:
        return (f'{dataset} label {seg_path!r} has {label.shape[2]} '
                f'channels; labels are single-channel class ids. {fix}')
    if label.shape != image.shape[:2]:
        return (f'{dataset} label {seg_path!r} is {label.shape[1]}x'
                f'{label.shape[0]} but its image {img_path!r} is '
                f'{image.shape[1]}x{image.shape[0]}; a label must have its '
                f'image\'s size. {fix}')
    counts = np.bincount(label.ravel(), minlength=len(allowed))
    bad = np.flatnonzero(counts[:len(allowed)] * ~allowed)
    if len(counts) > len(allowed):
        bad = np.concatenate(
            [bad, len(allowed) + np.flatnonzero(counts[len(allowed):])])
    if bad.size:
        return (f'{dataset} label {seg_path!r} holds value '
                f'{_describe(bad, counts[bad])}; expected {expected}. {fix}')
    _PASSED.add(key)
    return None


def check_files(samples: Iterable[Tuple[str, str]], allowed_values,
                dataset: str, expected: str, fix: str) -> None:
    """Checks every (image, label) pair; raises :class:`DatasetFileError`
    for the first bad one in file order.

    Args:
        samples: (image path, label path) pairs.
        allowed_values: the label values a file may hold (raw, before the
            dataset's label map), e.g. ``range(19)`` and 255.
        dataset: the dataset's name, for the message.
        expected: the allowed values in words, for the message.
        fix: what to do about a bad label, for the message.
    """
    samples = list(samples)
    fix += ' (check_labels=False in the dataset config skips this check)'
    allowed = np.zeros(max(allowed_values) + 1, dtype=bool)
    allowed[list(allowed_values)] = True
    pool = ThreadPoolExecutor(min(4, os.cpu_count() or 1))
    try:
        problems = pool.map(
            lambda s: check_sample(s[0], s[1], allowed, dataset, expected,
                                   fix), samples)
        if len(samples) >= PROGRESS_FROM:
            problems = track(problems, total=len(samples), transient=True,
                             description=f'checking {len(samples)} '
                             f'{dataset} labels and images',
                             console=Console(stderr=True))
        for problem in problems:
            if problem:
                raise DatasetFileError(problem)
    finally:
        pool.shutdown(cancel_futures=True)


def check_data(cfg: Config, loaders=('train_dataloader', 'val_dataloader',
                                     'test_dataloader')) -> None:
    """Every dataset folder the given dataloaders read must exist and hold
    files with the dataset's suffix."""
    for loader in loaders:
        if cfg.get(loader) is None:
            continue
        for ds in leaf_datasets(cfg[loader]):
            _check_dataset(ds)


def _check_dataset(ds: dict) -> None:
    root = ds.get('data_root', '') or ''
    tree = CITYSCAPES_TREE if 'Cityscapes' in str(ds.get('type')) else ''
    hint = f'\nexpected layout:\n{tree}' if tree else ''
    if root and not osp.isdir(root):
        raise CheckError(
            f'data root {root!r} ({ds.get("type")}) does not exist; set '
            f'data_root in the config or with --cfg-options.{hint}')
    for key, suffix_key in (('img_path', 'img_suffix'),
                            ('seg_map_path', 'seg_map_suffix')):
        sub = (ds.get('data_prefix') or {}).get(key)
        if sub is None:
            continue
        folder = osp.join(root, sub)
        if not osp.isdir(folder):
            raise CheckError(
                f'{ds.get("type")} folder {folder!r} is missing under data '
                f'root {root!r}.{hint}')
        suffix = ds.get(suffix_key) or _default_suffix(ds.get('type'), key)
        if suffix and not _has_file(folder, suffix):
            raise CheckError(
                f'no *{suffix} file under {folder!r}; is {root!r} the right '
                f'data root?{hint}')


def _default_suffix(ds_type, key) -> Optional[str]:
    cls = DATASETS.get(ds_type) if isinstance(ds_type, str) else ds_type
    if cls is None:
        return None
    param = inspect.signature(cls.__init__).parameters.get(
        'img_suffix' if key == 'img_path' else 'seg_map_suffix')
    return None if param is None else param.default


def _has_file(folder: str, suffix: str) -> bool:
    for _, _, files in os.walk(folder, followlinks=True):
        if any(f.endswith(suffix) for f in files):
            return True
    return False
