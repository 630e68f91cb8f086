"""cached_download in a two-process gloo run (forked from the test, so no
second torch import): rank 0 fetches, then meets the others at the
barrier; they fetch nothing while rank 0's file is in their cache."""
import hashlib
import json
import multiprocessing
import time

import pytest
import torch

from cgnet_mm.utils import zoo
from cgnet_mm.utils.zoo import cache_path, cached_download

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available()
    or 'fork' not in multiprocessing.get_all_start_methods(),
    reason='needs torch.distributed and fork()')

CONTENT = b'the one file rank 0 downloads\n' * 1000
SHA = hashlib.sha256(CONTENT).hexdigest()


def _rank(rank: int, url: str, cache: str, init: str, out: str) -> None:
    """One rank, in its own process: downloads ``url`` into ``cache`` with
    the fetch and the barrier timed, and writes what happened to ``out``."""
    torch.distributed.init_process_group('gloo', init_method=init, rank=rank,
                                         world_size=2)
    events = []

    def timed(name, call):

        def wrapper(*args, **kwargs):
            events.append((f'{name} start', time.monotonic()))
            call(*args, **kwargs)
            events.append((f'{name} end', time.monotonic()))

        return wrapper

    # replaced in this process only; the test's process keeps the originals
    zoo._fetch = timed('fetch', zoo._fetch)
    torch.distributed.barrier = timed('barrier', torch.distributed.barrier)
    try:
        path = cached_download(url, cache)
    finally:
        torch.distributed.destroy_process_group()
    with open(path, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(out, 'w') as f:
        json.dump(dict(events=events, path=path, sha=sha), f)


def _run_two_ranks(tmp_path, url, caches):
    """Runs ranks 0 and 1 and returns what each wrote."""
    fork = multiprocessing.get_context('fork')
    procs = [fork.Process(target=_rank, args=(
        rank, url, caches[rank], f'file://{tmp_path}/init',
        str(tmp_path / f'rank{rank}.json'))) for rank in (0, 1)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join()
    assert [proc.exitcode for proc in procs] == [0, 0], \
        'a rank failed or hung; its traceback is in the captured stderr'
    return [json.loads((tmp_path / f'rank{rank}.json').read_text())
            for rank in (0, 1)]


def _names(record):
    return [name for name, _ in record['events']]


def _time(record, name):
    return dict(record['events'])[name]


@pytest.fixture
def url(http_folder):
    """A served file whose name carries its hash prefix, so every rank
    verifies the file it ends up with."""
    folder, base = http_folder
    name = f'm-{SHA[:8]}.pth'
    (folder / name).write_bytes(CONTENT)
    return f'{base}/{name}'


def test_only_rank_0_downloads_into_a_shared_cache(url, tmp_path):
    cache = str(tmp_path / 'cache')
    first, second = _run_two_ranks(tmp_path, url, [cache, cache])
    assert _names(first) == ['fetch start', 'fetch end', 'barrier start',
                             'barrier end']
    assert _names(second) == ['barrier start', 'barrier end']
    # rank 1 left the barrier only once rank 0's download had finished
    assert _time(second, 'barrier end') >= _time(first, 'fetch end')
    assert first['path'] == second['path'] == cache_path(url, cache)
    assert first['sha'] == second['sha'] == SHA


def test_rank_without_rank_0_file_downloads_after_the_barrier(url, tmp_path):
    """A rank on another machine (its own cache) fetches its own copy once
    rank 0 is done."""
    caches = [str(tmp_path / 'cache0'), str(tmp_path / 'cache1')]
    first, second = _run_two_ranks(tmp_path, url, caches)
    assert _names(first) == ['fetch start', 'fetch end', 'barrier start',
                             'barrier end']
    assert _names(second) == ['barrier start', 'barrier end', 'fetch start',
                              'fetch end']
    assert _time(second, 'fetch start') >= _time(first, 'fetch end')
    assert second['path'] == cache_path(url, caches[1])
    assert first['sha'] == second['sha'] == SHA
