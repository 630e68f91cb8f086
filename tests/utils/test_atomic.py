"""Atomic writes: the utility itself, and every kind of writer killed with
SIGKILL half-way through, which must leave the previous file whole."""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import stat
import subprocess
import sys
import threading

import pytest
import torch

from cgnet_mm.apis import shipped_checkpoint
from cgnet_mm.utils.atomic import (UnwritableError, atomic_path,
                                   atomic_paths, check_writable,
                                   current_paths, write_text)
from tests.helpers import REPO, randomize
from tests.models.original_cgnet import ContextGuidedNetwork
from tests.utils.slow_writer import killed_after_renames


def temps(path) -> list:
    name = osp.basename(str(path))
    return glob.glob(osp.join(osp.dirname(str(path)), f'.{name}.*.part*'))


def test_replaces_whole_and_keeps_permissions(tmp_path):
    target = tmp_path / 'out.json'
    target.write_text('old')
    os.chmod(target, 0o640)
    with atomic_path(str(target)) as temp:
        assert osp.dirname(temp) == str(tmp_path) and temp.endswith('.json')
        with open(temp, 'w') as f:
            f.write('new')
        assert target.read_text() == 'old'
    assert target.read_text() == 'new'
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert temps(target) == []


def test_new_file_gets_umask_permissions(tmp_path):
    umask = os.umask(0o027)
    try:
        write_text(str(tmp_path / 'a.md'), 'x')
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / 'a.md').st_mode) == 0o640


@pytest.mark.parametrize('error', [RuntimeError, KeyboardInterrupt])
def test_failure_keeps_old_file_and_removes_temp(tmp_path, error):
    target = tmp_path / 'out.png'
    target.write_bytes(b'old')
    with pytest.raises(error):
        with atomic_path(str(target)) as temp:
            with open(temp, 'wb') as f:
                f.write(b'ne')
            raise error()
    assert target.read_bytes() == b'old'
    assert temps(target) == []


def test_writer_that_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="writer of '.*x.png' left"):
        with atomic_path(str(tmp_path / 'x.png')) as temp:
            os.remove(temp)
    assert not osp.exists(tmp_path / 'x.png')


def test_stale_temp_of_dead_process_removed(tmp_path):
    target = tmp_path / 'r.json'
    proc = subprocess.run(
        [sys.executable, '-c', 'import os; print(os.getpid())'],
        capture_output=True, text=True, check=True)
    dead = tmp_path / f'.r.json.{proc.stdout.strip()}-abc123.part.json'
    alive = tmp_path / f'.r.json.{os.getpid()}-def456.part.json'
    dead.write_text('half')
    alive.write_text('being written')
    write_text(str(target), '{}')
    assert not dead.exists() and alive.exists()


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    with pytest.raises(UnwritableError, match=r"cannot write to '.*file/sub'"
                       r": '.*file' is a file, not a folder; choose another "
                       "place for 'x.pt2'"):
        check_writable(str(blocker / 'sub' / 'x.pt2'))
    with pytest.raises(UnwritableError, match='is a folder'):
        check_writable(str(tmp_path))


# ---- files written together -------------------------------------------------

OLD = (b'old xml', b'old bin' * 3)
NEW = (b'new xml' * 5, b'new bin' * 7)


def write_pair(paths, contents) -> None:
    with atomic_paths(*map(str, paths)) as parts:
        for part, data in zip(parts, contents):
            with open(part, 'wb') as f:
                f.write(data)


def read_pair(paths) -> tuple:
    return tuple(open(p, 'rb').read() for p in paths)


# a switch renames three times: the journal (the commit), the .xml, the .bin
@pytest.mark.parametrize('renames', [0, 1, 2, 3, 4])
def test_pair_killed_at_each_rename_is_old_or_new(tmp_path, renames):
    pair = (tmp_path / 'm.xml', tmp_path / 'm.bin')
    write_pair(pair, OLD)
    killed = killed_after_renames(renames, lambda: write_pair(pair, NEW))
    assert killed == (renames < 4)
    assert read_pair(current_paths(*map(str, pair))) == \
        (OLD if renames == 0 else NEW)
    if renames == 2:  # the files themselves are mixed until the next write
        assert read_pair(pair) == (NEW[0], OLD[1])
    later = (b'later xml', b'later bin')
    write_pair(pair, later)
    assert read_pair(pair) == later
    assert sorted(os.listdir(tmp_path)) == ['m.bin', 'm.xml']


def test_pair_write_killed_while_finishing_a_killed_one(tmp_path):
    pair = (tmp_path / 'm.xml', tmp_path / 'm.bin')
    write_pair(pair, OLD)
    assert killed_after_renames(2, lambda: write_pair(pair, NEW))
    # the next writer first renames the .bin the killed one left; killed
    # right after that, it leaves the journal and the new pair
    assert killed_after_renames(1, lambda: write_pair(pair, OLD))
    assert read_pair(pair) == NEW
    assert read_pair(current_paths(*map(str, pair))) == NEW
    write_pair(pair, OLD)
    assert sorted(os.listdir(tmp_path)) == ['m.bin', 'm.xml']


def test_pair_writer_failure_keeps_old_pair(tmp_path):
    pair = (tmp_path / 'm.xml', tmp_path / 'm.bin')
    write_pair(pair, OLD)
    with pytest.raises(KeyboardInterrupt):
        with atomic_paths(*map(str, pair)) as parts:
            with open(parts[0], 'wb') as f:
                f.write(b'new')
            raise KeyboardInterrupt()
    assert read_pair(pair) == OLD
    assert sorted(os.listdir(tmp_path)) == ['m.bin', 'm.xml']


def test_pair_in_two_folders_refused(tmp_path):
    with pytest.raises(ValueError, match='must be different files in one '
                       'folder'):
        with atomic_paths(str(tmp_path / 'm.xml'),
                          str(tmp_path / 'sub' / 'm.bin')):
            pass
    assert os.listdir(tmp_path) == []


# ---- every kind of writer, killed half-way ---------------------------------

def _scalars(work_dir):
    path = work_dir / '20260101_000000' / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(dict(loss=1.0, step=1)) + '\n')
    return str(work_dir)


def _prepare(kind, tmp_path):
    """(target, source) with a previous good target in place."""
    if kind == 'demo':
        target = tmp_path / 'overlay.png'
        shutil.copyfile(osp.join(REPO, 'docs', 'camvid_cpu_curve.png'),
                        target)
        return target, ''
    if kind == 'convert':
        source = tmp_path / 'authors.pth'
        torch.save(randomize(ContextGuidedNetwork(classes=19)).state_dict(),
                   source)
        target = tmp_path / 'converted.pth'
        torch.save({'state_dict': {}}, target)
        return target, str(source)
    if kind == 'copy':
        shipped = shipped_checkpoint()[1]
        target = tmp_path / osp.basename(shipped)
        shutil.copyfile(shipped, target)
        return target, 'cgnet_360x360_4k_camvid_cpu'
    if kind == 'download':
        source = tmp_path / 'served.pth'
        source.write_bytes(os.urandom(1 << 16))
        target = tmp_path / 'dl' / 'weights.pth'
        target.parent.mkdir()
        target.write_bytes(b'previous weights')
        return target, f'file://{source}'
    if kind == 'export':
        target = tmp_path / 'model.onnx'
        target.write_bytes(b'previous export')
        config, checkpoint = shipped_checkpoint()
        return target, json.dumps([config, checkpoint])
    if kind == 'publish':
        source = tmp_path / 'iter_1.pth'
        torch.save({'state_dict': {'w': torch.arange(10000.)}}, source)
        from cgnet_mm.tools.publish import publish
        final, _ = publish(str(source), str(tmp_path / 'zoo' / 'm'))
        return final, str(source)
    if kind == 'benchmark':
        target = tmp_path / 'results.json'
        target.write_text('{"results": ["previous"]}')
        return target, json.dumps(dict(results=['new'] * 1000))
    if kind == 'readme':
        target = tmp_path / 'README.md'
        target.write_text('intro\n<!-- benchmark:start -->\nold table\n'
                          '<!-- benchmark:end -->\n' + 'more text\n' * 500)
        return target, ''
    if kind == 'plot':
        target = tmp_path / 'curve.png'
        target.write_bytes(b'previous curve')
        return target, _scalars(tmp_path / 'work')
    raise ValueError(kind)


# the export writer exports the shipped model to ONNX first (seconds)
KINDS = ['demo', 'convert', 'copy', 'download',
         pytest.param('export', marks=pytest.mark.slow), 'publish',
         'benchmark', 'readme', 'plot']


def kill_group(server: subprocess.Popen) -> None:
    """Kills the server and the writers it forked (they hold its stdout
    open: killing the server alone would not end the reads)."""
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope='module')
def writer_server():
    """tests/utils/slow_writer.py: imports the tools once, forks a writer
    per job; its own process group, so that one kill ends all of them."""
    server = subprocess.Popen(
        [sys.executable, '-m', 'tests.utils.slow_writer'], cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=REPO), start_new_session=True)
    yield server
    kill_group(server)
    server.wait()


@pytest.mark.parametrize('kind', KINDS)
def test_sigkill_mid_write_keeps_previous_file(kind, writer_server,
                                               tmp_path):
    target, source = _prepare(kind, tmp_path)
    before = open(target, 'rb').read()
    # a stuck writer ends the server, so the reads below see EOF, not hang
    watchdog = threading.Timer(180, kill_group, [writer_server])
    watchdog.start()
    try:
        writer_server.stdin.write(json.dumps([kind, str(target), source]) +
                                  '\n')
        writer_server.stdin.flush()
        line = writer_server.stdout.readline()
        while not line.startswith('PID '):
            assert line, 'the writer server ended'
            line = writer_server.stdout.readline()
        pid = int(line.split()[1])
        for line in writer_server.stdout:  # tools print progress before it
            if line.strip() == 'HALF' or line.startswith('ENDED'):
                break
        os.kill(pid, signal.SIGKILL)
        assert line.strip() == 'HALF', f'{kind} writer ended early'
        while not line.startswith('ENDED'):  # reaped: its pid is free
            line = writer_server.stdout.readline()
            assert line, 'the writer server ended'
    finally:
        watchdog.cancel()
    assert open(target, 'rb').read() == before
    skip = len(osp.basename(str(target))) + 2
    assert [osp.basename(t)[skip:].split('-')[0] for t in temps(target)] == \
        [str(pid)], 'the half-written bytes went to a temp file'
    write_text(str(target), 'a later good write')
    assert temps(target) == []
