"""Up-front checks that turn common mistakes into one clear message instead
of a traceback deep inside a runner."""
import argparse
import inspect
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, DictAction
from mmseg.registry import DATASETS

from cgnet_mm.tools.config_keys import check_config_keys
from cgnet_mm.utils import UserError, safe_load
from cgnet_mm.utils.config import leaf_datasets
from cgnet_mm.utils.zoo import verify

CITYSCAPES_TREE = """\
  <data_root>/
  ├── leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
  └── gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
  (labelTrainIds files come from `mim run mmseg cityscapes <data_root>`)"""


class CheckError(UserError, ValueError):
    """Bad user input; the message says what is wrong and how to fix it."""


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config file, applying ``--cfg-options`` overrides."""
    if not osp.isfile(path):
        raise CheckError(
            f'config file {path!r} does not exist; pass a path such as '
            'configs/cgnet_512x1024_60k_cityscapes.py')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by the train and test CLIs (as mmseg's tools)."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. a.b=1')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def runner_config(args: argparse.Namespace) -> Config:
    """The config with overrides, launcher and work_dir (default
    ``./work_dirs/<config name>``) set, its keys checked."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = load_config(args.config, args.cfg_options)
    check_config_keys(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def check_amp() -> None:
    """mmengine's AmpOptimWrapper asserts CUDA."""
    if not torch.cuda.is_available():
        raise CheckError('--amp (mixed precision) needs a CUDA GPU and this '
                         'machine has none; train without --amp')


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


def checkpoint_num_classes(path: str) -> Optional[int]:
    """Rows of the classifier in a checkpoint, or None if it has none."""
    ckpt = safe_load(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    for key, value in state.items():
        if key.endswith('decode_head.conv_seg.weight'):
            return int(value.shape[0])
    return None


def check_checkpoint(cfg: Config, path: str) -> None:
    """The checkpoint exists and its classifier matches the config's."""
    if '://' in path:
        return
    if not osp.isfile(path):
        raise CheckError(f'checkpoint {path!r} does not exist')
    verify(path)
    found = checkpoint_num_classes(path)
    expected = cfg.model.decode_head.num_classes
    if found is not None and found != expected:
        raise CheckError(
            f'checkpoint {path!r} predicts {found} classes but the config '
            f'sets model.decode_head.num_classes={expected}; use the config '
            'the checkpoint was trained with, or pass --cfg-options '
            f'model.decode_head.num_classes={found} with a matching dataset')
