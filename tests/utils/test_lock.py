"""One training process per rank and work dir (cgnet_mm.utils.lock): a
second one stops with the holder's PID; ranks of one job, and a process
after its holder died, go ahead."""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest

from cgnet_mm.tools.train import main
from cgnet_mm.utils.lock import WorkDirBusyError, hold_work_dir, launcher_rank
from tests.helpers import CONFIGS, make_camvid, tiny_camvid_config

pytestmark = pytest.mark.skipif(sys.platform == 'win32',
                                reason='no fcntl locks on Windows')

HOLDER = ('import sys, time\n'
          'from cgnet_mm.utils.lock import hold_work_dir\n'
          'with hold_work_dir(sys.argv[1], int(sys.argv[2])):\n'
          '    print("held", flush=True)\n'
          '    time.sleep(600)\n')


@pytest.fixture
def holder():
    """Starts a process holding a rank's lock of a work dir, as a live
    orphaned rank would; kills it (SIGKILL) at the end."""
    procs = []

    def start(work_dir, rank: int = 0) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, '-c', HOLDER, str(work_dir), str(rank)],
            stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline() == 'held\n'
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_second_process_of_a_rank_is_refused(holder, tmp_path):
    proc = holder(tmp_path)
    with pytest.raises(WorkDirBusyError,
                       match=rf'training process {proc.pid} \(rank 0\) '
                       r'still runs in it.*kill ' + str(proc.pid)):
        with hold_work_dir(str(tmp_path), 0):
            pass


def test_other_ranks_and_dead_holders_go_ahead(holder, tmp_path):
    proc = holder(tmp_path, rank=0)
    with hold_work_dir(str(tmp_path), 1):  # rank 1 of the same job
        pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with hold_work_dir(str(tmp_path), 0):  # the kernel released it
        with open(osp.join(tmp_path, '.cgnet_mm_rank0.lock')) as f:
            assert f.read() == str(os.getpid())


def test_the_lock_is_released_after_the_block(tmp_path):
    with hold_work_dir(str(tmp_path), 0):
        pass
    with hold_work_dir(str(tmp_path), 0):
        pass


@pytest.mark.parametrize('environ,rank', [
    ({}, 0), ({'RANK': '3'}, 3), ({'SLURM_PROCID': '2'}, 2),
    ({'OMPI_COMM_WORLD_RANK': '1'}, 1), ({'RANK': ''}, 0)])
def test_launcher_rank(environ, rank):
    assert launcher_rank(environ) == rank


def test_train_beside_a_live_rank_stops(bad_input, holder, tmp_path):
    root = make_camvid(str(tmp_path / 'camvid'))
    config = tmp_path / 'tiny.py'
    config.write_text(tiny_camvid_config(
        osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py'), root))
    proc = holder(tmp_path / 'wd')
    bad_input('train: --resume while a rank of a killed job still runs in '
              'the work dir', main,
              [config, '--work-dir', tmp_path / 'wd', '--resume'],
              rf"error: work dir '.*wd' is in use: training process "
              rf'{proc.pid} \(rank 0\) still runs in it')
