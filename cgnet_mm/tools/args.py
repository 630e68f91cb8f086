"""Command-line arguments the tools share, and the checks that only a
command line needs (the config and dataset checks live in
``cgnet_mm.utils.config`` and ``cgnet_mm.datasets``)."""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction  # imports no torch

from cgnet_mm.deploy.modes import FAST_MODES
from cgnet_mm.utils import CheckError
from cgnet_mm.utils.atomic import UnwritableError, existing_ancestor


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by the train and test CLIs (as mmseg's tools)."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. a.b=1')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_fast_args(parser: argparse.ArgumentParser, fast_help: str) -> None:
    """``--fast`` and ``--calibration`` for a command-line tool."""
    parser.add_argument('--fast', choices=FAST_MODES, help=fast_help)
    parser.add_argument('--calibration', metavar='DIR',
                        help='images to calibrate int8 on (default: the '
                        'bundled scene)')


def runner_config(args: argparse.Namespace) -> Config:
    """The config with overrides, launcher and work_dir (default
    ``./work_dirs/<config name>``) set, its keys checked."""
    # imported on use (these import torch and mmseg): keeps `--help` fast
    from cgnet_mm.tools.dist import check_launcher_env
    from cgnet_mm.utils.config import load_config
    from cgnet_mm.utils.config_keys import check_config_keys
    check_launcher_env(args.launcher, os.environ)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = load_config(args.config, args.cfg_options)
    check_config_keys(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    check_out_dir('--work-dir' if args.work_dir else "the config's work_dir",
                  cfg.work_dir)
    return cfg


def check_out_dir(option: str, folder: str) -> None:
    """``folder`` (the value of ``option``) is a folder or can be made one:
    a path under a regular file fails here rather than in mmengine's
    ``makedirs`` once the model is built."""
    ancestor = existing_ancestor(folder)
    if not osp.isdir(ancestor):
        raise UnwritableError(
            f'{option} {folder!r} cannot be a folder: {ancestor!r} is a '
            f'file; give {option} a folder path')


def check_amp() -> None:
    """mmengine's AmpOptimWrapper asserts CUDA."""
    import torch
    if not torch.cuda.is_available():
        raise CheckError('--amp (mixed precision) needs a CUDA GPU and this '
                         'machine has none; train without --amp')
