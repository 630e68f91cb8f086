"""One training process per rank and work dir.

A job killed at its launcher can leave ranks running (orphans) that still
write logs and checkpoints into the work dir. A ``--resume`` started beside
them reads their half-advanced state, and in the case reported it exited 0
having trained nothing. Each training process therefore holds an advisory
lock (``flock``) on ``<work dir>/.cgnet_mm_rank<N>.lock``, holding its PID,
while it trains; the kernel releases it when the process ends, however it
ends, so a lock never outlives its holder. Ranks of one job lock
different files; the same rank of a second job finds the first one's lock
and stops, naming the PID. On platforms without ``fcntl`` (Windows) there
is no lock.
"""
import os
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, Mapping, Optional

from .errors import UserError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

RANK_VARIABLES = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK')


class WorkDirBusyError(UserError, RuntimeError):
    """Another live process trains the same rank in the same work dir."""


def launcher_rank(environ: Mapping[str, str] = os.environ) -> int:
    """This process's rank as the launchers set it (torchrun, slurm, mpi);
    0 for a single process."""
    for name in RANK_VARIABLES:
        if environ.get(name, '').isdigit():
            return int(environ[name])
    return 0


@contextmanager
def hold_work_dir(work_dir: str, rank: Optional[int] = None) -> Iterator:
    """Holds this process's lock in ``work_dir`` (created if needed) for
    the ``with`` block; without ``fcntl`` it holds nothing.

    Raises:
        WorkDirBusyError: a live process holds the lock of the same rank.
    """
    if fcntl is None:
        yield
        return
    rank = launcher_rank() if rank is None else rank
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, f'.cgnet_mm_rank{rank}.lock')
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors='replace').strip()
            raise WorkDirBusyError(
                f'work dir {work_dir!r} is in use: training process '
                f'{holder or "(PID unknown)"} (rank {rank}) still runs in '
                'it, perhaps left behind by a killed job; wait for it to end '
                f'or stop it (kill {holder or "<PID>"}), or give another '
                '--work-dir') from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
