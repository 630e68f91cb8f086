"""Train a segmentor from an mmengine config (``mim train cgnet_mm ...``).

Arguments follow MMSegmentation's ``tools/train.py``; bad configs, data
roots and checkpoints are reported before anything starts. ``--launcher
pytorch|slurm|mpi`` also runs without CUDA (gloo; see
:mod:`cgnet_mm.tools.dist`).
"""
import argparse
import os.path as osp
import sys
from typing import Optional, Sequence

from cgnet_mm.tools.args import add_runner_args, check_amp, runner_config
from cgnet_mm.utils import cli


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='cgnet-mm train', description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--resume', action='store_true',
                        help='continue from the last checkpoint in work-dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision')
    parser.add_argument(
        '--fast', action='store_true',
        help='channels-last + torch.compile, and mixed precision on CUDA '
        '(same as --cfg-options fast_train=True)')
    add_runner_args(parser)
    return parser.parse_args(argv)


def build_train_config(args: argparse.Namespace):
    """The checked config the runner will train with."""
    # imported on use (torch, mmengine, mmseg): keeps `--help` fast
    from cgnet_mm.datasets import check_data
    from cgnet_mm.engine import enable_fast_training, flush_denormals
    from cgnet_mm.utils.config import check_checkpoint
    cfg = runner_config(args)
    if args.amp:
        check_amp()
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.fast:
        cfg.fast_train = True
    if cfg.get('fast_train'):
        flush_denormals()  # before torch's thread pool starts: all threads
        for change in enable_fast_training(cfg):
            print(f'fast_train: {change}', file=sys.stderr)
    cfg.resume = args.resume
    check_data(cfg, ('train_dataloader', 'val_dataloader'))
    resume_from = cfg.get('load_from') or (
        args.resume and last_checkpoint(cfg.work_dir))
    if resume_from:
        check_checkpoint(cfg, resume_from, cfg.get('load_partial', False))
    return cfg


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` continues from when the config sets no
    ``load_from``: the one the work dir's ``last_checkpoint`` file names
    (mmengine's runner would load it leniently, so it is checked here)."""
    try:
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


@cli
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from cgnet_mm.tools.dist import build_runner
    from cgnet_mm.utils.lock import hold_work_dir
    cfg = build_train_config(args)
    with hold_work_dir(cfg.work_dir):
        build_runner(cfg).train()


if __name__ == '__main__':
    main()
