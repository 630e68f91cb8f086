"""Multi-process training and testing on machines without CUDA.

mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` for every
launcher, and its Runner wraps the model in ``MMDistributedDataParallel``
with ``device_ids=[LOCAL_RANK]``; both stop a CPU-only run. Here the
process group is initialised with gloo first, from the environment variables
the launcher set (the same ones mmengine reads), so the Runner finds it
initialised (``is_distributed()``) and skips its own ``init_dist``. On CUDA
nothing changes and the config's backend (nccl) is used.
"""
import datetime
import os
import subprocess
from typing import Dict, List, Mapping

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from cgnet_mm.utils import CheckError

SYNC_BN_TYPES = ('SyncBN', 'MMSyncBN')
# what each launcher's processes find set, and read (here and in mmengine's
# _init_dist_*), by the program that starts them
LAUNCHER_VARS = {
    'pytorch': ('torchrun', ('RANK', 'WORLD_SIZE', 'MASTER_ADDR',
                             'MASTER_PORT')),
    'slurm': ('srun', ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')),
    'mpi': ('mpirun', ('OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE',
                       'OMPI_COMM_WORLD_LOCAL_RANK', 'MASTER_ADDR')),
}


def check_launcher_env(launcher: str, environ: Mapping[str, str]) -> None:
    """The variables ``launcher`` reads are set: a ``--launcher`` given to a
    command started by hand fails here, not in a KeyError or a rendezvous
    error once the config and data were checked."""
    if launcher not in LAUNCHER_VARS:  # 'none': a single process
        return
    starter, names = LAUNCHER_VARS[launcher]
    missing = [name for name in names if name not in environ]
    if missing:
        raise CheckError(
            f'--launcher {launcher}: not set in the environment: '
            f'{", ".join(missing)} ({starter} sets these); start the command '
            f'with {starter} as in docs/training.md, or leave --launcher out '
            'to run one process')


def launcher_env(launcher: str, environ: Mapping[str, str],
                 port=None) -> Dict[str, str]:
    """The ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``MASTER_*`` variables
    gloo's ``env://`` rendezvous reads, derived as mmengine's
    ``_init_dist_{pytorch,slurm,mpi}`` derive them."""
    if launcher == 'pytorch':  # torchrun / torch.distributed.launch set all
        return {}
    if launcher == 'slurm':
        env = dict(RANK=environ['SLURM_PROCID'],
                   WORLD_SIZE=environ['SLURM_NTASKS'],
                   LOCAL_RANK=environ.get('SLURM_LOCALID', '0'),
                   MASTER_PORT=str(port or environ.get('MASTER_PORT',
                                                       '29500')))
        if 'MASTER_ADDR' not in environ:
            env['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {environ["SLURM_NODELIST"]} '
                '| head -n1')
        return env
    if launcher == 'mpi':
        return dict(RANK=environ['OMPI_COMM_WORLD_RANK'],
                    WORLD_SIZE=environ['OMPI_COMM_WORLD_SIZE'],
                    LOCAL_RANK=environ['OMPI_COMM_WORLD_LOCAL_RANK'],
                    MASTER_PORT=environ.get('MASTER_PORT', '29500'))
    raise ValueError(f'unknown launcher {launcher!r}')


def _sync_bn_to_bn(node) -> int:
    """Renames every SyncBN norm config under ``node`` to BN; the count."""
    count = 0
    if isinstance(node, dict):
        if node.get('type') in SYNC_BN_TYPES:
            node['type'] = 'BN'
            count += 1
        for value in node.values():
            count += _sync_bn_to_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += _sync_bn_to_bn(value)
    return count


def adapt_to_cpu(cfg: Config) -> List[str]:
    """Makes a distributed config run on CPU: gloo backend, DDP without
    ``device_ids``, SyncBN as BN. Returns what was changed and why, for the
    run's log; nothing when the launcher is 'none' or CUDA is available."""
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return []
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    notes = ['no CUDA: torch.distributed uses the gloo backend and '
             'MMDistributedDataParallel runs without device_ids']
    renamed = _sync_bn_to_bn(cfg.model)
    if cfg.pop('sync_bn', None) or renamed:
        notes.append(
            f'no CUDA: SyncBN converted to BN ({renamed} norm configs): '
            "torch's SyncBatchNorm only synchronises CUDA/XPU/HPU tensors "
            "and mmcv's needs CUDA ops, so each process normalises with its "
            'own batch statistics')
    return notes


def init_cpu_process_group(cfg: Config) -> None:
    """Joins the process group with gloo, as ``mmengine.dist.init_dist``
    would but without ``torch.cuda.set_device``; for configs that
    :func:`adapt_to_cpu` changed."""
    dist_cfg = dict(cfg.env_cfg.dist_cfg)
    backend = dist_cfg.pop('backend')
    port = dist_cfg.pop('port', None)
    if dist_cfg.get('timeout') is not None:
        dist_cfg['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    os.environ.update(launcher_env(cfg.launcher, os.environ, port))
    torch_dist.init_process_group(backend=backend, **dist_cfg)


def build_runner(cfg: Config):
    """``Runner.from_cfg``, with the CPU process group set up first where
    the config needs one; the changes are logged with their reasons."""
    from mmengine.runner import Runner
    notes = adapt_to_cpu(cfg)
    if notes:
        init_cpu_process_group(cfg)
    runner = Runner.from_cfg(cfg)
    for note in notes:
        runner.logger.warning(note)
    return runner
