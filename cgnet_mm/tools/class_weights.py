"""Class weights for a class-weighted loss: w_c = 1 / ln(c + p_c), where
p_c is class c's share of the labelled (non-ignored) training pixels.

This is ENet's weighting, which CGNet's training code uses with c = 1.10
(its ``normVal``); the authors never published their weight files. Rare
classes get weights up to 1/ln(c); a class covering everything, 1/ln(1 + c).
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from rich.console import Console
from rich.progress import track

from cgnet_mm.utils import CheckError, cli

PAPER_C = 1.10


def label_histogram(dataset, num_classes: int,
                    ignore_index: int = 255) -> np.ndarray:
    """Pixel count per class over ``dataset``'s annotations, after its
    label map (ignored pixels not counted)."""
    # mmseg and the config helpers (torch) are imported on use: fast `--help`
    from mmseg.datasets.transforms import LoadAnnotations
    load = LoadAnnotations()
    counts = np.zeros(num_classes, dtype=np.int64)
    for i in track(range(len(dataset)), description='counting labels',
                   console=Console(stderr=True)):
        info = dataset.get_data_info(i)
        label = load(dict(info, seg_fields=[]))['gt_seg_map']
        label = label[label != ignore_index]
        if label.size and label.max() >= num_classes:
            raise CheckError(f'{info["seg_map_path"]!r} holds label '
                             f'{int(label.max())} >= {num_classes} classes')
        counts += np.bincount(label.ravel(), minlength=num_classes)
    return counts


def enet_weights(counts: Sequence[int], c: float = PAPER_C) -> List[float]:
    """1 / ln(c + p) for each class's pixel share p."""
    if c <= 1:
        raise CheckError(f'c must be > 1 (weights would be infinite or '
                         f'negative), got {c}')
    counts = np.asarray(counts, dtype=np.float64)
    if counts.sum() == 0:
        raise CheckError('no labelled pixel found')
    return (1.0 / np.log(c + counts / counts.sum())).tolist()


def dataset_from(source: str, split: str) -> Config:
    """The dataset config of ``source`` (a config's train or test split, or
    a CamVid data root)."""
    from cgnet_mm.utils.config import leaf_datasets, load_config
    if osp.isdir(source):
        prefix = dict(img_path=split, seg_map_path=f'{split}annot')
        return dict(type='cgnet_mm.CamVidDataset', data_root=source,
                    data_prefix=prefix, pipeline=[])
    cfg = load_config(source)
    loader = cfg.get(f'{split}_dataloader')
    if loader is None:
        raise CheckError(f'{source} has no {split}_dataloader')
    leaves = [dict(d, pipeline=[]) for d in leaf_datasets(loader)]
    return leaves[0] if len(leaves) == 1 else dict(type='ConcatDataset',
                                                   datasets=leaves)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm class-weights', description=__doc__.splitlines()[0])
    parser.add_argument('source', metavar='CONFIG_OR_DATA_ROOT',
                        help='a config (its training set) or a CamVid root')
    parser.add_argument('--split', default='train',
                        help="config: 'train', 'val' or 'test' dataloader; "
                        "data root: a split folder such as 'train'")
    parser.add_argument('--c', type=float, default=PAPER_C,
                        help=f'the constant c (default {PAPER_C}, as '
                        "CGNet's code; ENet's paper used 1.02)")
    return parser.parse_args(argv)


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    dataset = DATASETS.build(dataset_from(args.source, args.split))
    classes = dataset.metainfo['classes']
    counts = label_histogram(dataset, len(classes))
    weights = enet_weights(counts, args.c)
    share = counts / counts.sum()
    for name, p, w in zip(classes, share, weights):
        print(f'{name:>14s}  {100 * p:6.2f}%  {w:.4f}')
    print('class_weight=[' + ', '.join(f'{w:.4f}' for w in weights) + ']')


if __name__ == '__main__':
    main()
