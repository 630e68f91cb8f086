"""Train a segmentor from an mmengine config (``mim train cgnet_mm ...``).

Arguments follow MMSegmentation's ``tools/train.py``; bad configs, data
roots, checkpoints and launchers are reported before anything starts.
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from mmengine.config import DictAction

from cgnet_mm.tools.checks import (CheckError, check_checkpoint, check_data,
                                   check_launcher, load_config)
from cgnet_mm.utils import UnsafeCheckpointError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--resume', action='store_true',
                        help='continue from the last checkpoint in work-dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. a.b=1')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def build_train_config(args: argparse.Namespace):
    """The checked config the runner will train with."""
    check_launcher(args.launcher)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    check_data(cfg, ('train_dataloader', 'val_dataloader'))
    if cfg.get('load_from'):
        check_checkpoint(cfg, cfg.load_from)
    return cfg


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        cfg = build_train_config(args)
    except (CheckError, UnsafeCheckpointError) as err:
        sys.exit(f'error: {err}')
    from mmengine.runner import Runner
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
