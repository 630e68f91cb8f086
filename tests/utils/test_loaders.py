"""cgnet_mm's checkpoint loaders: installed for every mmengine scheme,
removable, one cache file per URL, one hash per load, and the zoo index
read once."""
import os
import os.path as osp
import socket
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import checkpoint as ckpt_utils
from mmengine.runner.checkpoint import CheckpointLoader

from cgnet_mm.apis import build_segmentor, init_segmentor
from cgnet_mm.utils import checkpoint, zoo
from cgnet_mm.utils.checkpoint import UnsafeCheckpointError
from cgnet_mm.utils.zoo import ZooError, cache_path, cached_download
from tests.helpers import CONFIGS, REPO, save_evil_checkpoint, \
    serve_directory

NAMED = ['torchvision://tiny', 'modelzoo://tiny', 'open-mmlab://tiny',
         'openmmlab://tiny', 'mmcls://tiny']


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Two servable checkpoints with the same file name in two folders, an
    evil one, and mmengine's name tables pointing at them."""
    root = tmp_path / 'www'
    for sub, value in (('a', 1.0), ('b', 2.0)):
        (root / sub).mkdir(parents=True)
        torch.save({'state_dict': {'backbone.w': torch.full((3, ), value)}},
                   root / sub / 'pytorch_model.bin')
    save_evil_checkpoint(str(root / 'evil.pth'), str(tmp_path / 'ran'))
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    with serve_directory(root) as base:
        table = {'tiny': f'{base}/a/pytorch_model.bin',
                 'evil': f'{base}/evil.pth'}
        for getter in ('get_torchvision_models', 'get_external_models',
                       'get_mmcls_models'):
            monkeypatch.setattr(ckpt_utils, getter, lambda: table)
        yield base


def test_install_and_restore_swap_every_scheme():
    assert all(CheckpointLoader._schemes[p] is loader
               for p, loader in checkpoint.SCHEMES.items())
    checkpoint.restore()
    try:
        assert CheckpointLoader._schemes[''] is ckpt_utils.load_from_local
        assert CheckpointLoader._schemes['mmcls://'] is \
            ckpt_utils.load_from_mmcls
    finally:
        checkpoint.install()
    assert CheckpointLoader._schemes['mmcls://'] is \
        checkpoint.load_from_model_name


def test_environment_opts_out():
    code = ('import cgnet_mm.registry; from mmengine.runner import '
            'checkpoint as c; print(c.CheckpointLoader._schemes[""] is '
            'c.load_from_local)')
    env = dict(os.environ, CGNET_MM_SAFE_LOADERS='0')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, env=env,
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == 'True'


@pytest.mark.parametrize('name', NAMED)
def test_model_names_load_through_the_safe_loader(served, name):
    ckpt = CheckpointLoader.load_checkpoint(name, map_location='cpu')
    state = ckpt['state_dict']
    # mmcls:// keeps the backbone without its prefix, as mmengine does
    key = 'w' if name.startswith('mmcls') else 'backbone.w'
    assert torch.equal(state[key], torch.ones(3))


@pytest.mark.parametrize('scheme', ['torchvision', 'open-mmlab', 'mmcls'])
def test_model_names_refuse_code_carrying_pickles(served, tmp_path, scheme):
    with pytest.raises(UnsafeCheckpointError, match=r"refused to load "
                       r"checkpoint '.*evil\.pth': its pickle asks for"):
        CheckpointLoader.load_checkpoint(f'{scheme}://evil')
    assert not (tmp_path / 'ran').exists()


def test_unknown_model_name_is_one_clear_error(served):
    with pytest.raises(checkpoint.MissingCheckpointError,
                       match=r"mmengine knows no torchvision:// model "
                       r"'nope'; check the name"):
        CheckpointLoader.load_checkpoint('torchvision://nope')


def test_open_mmlab_local_entry_is_loaded_safely(tmp_path, monkeypatch):
    home = tmp_path / 'mmengine_home'
    home.mkdir()
    torch.save({'w': torch.zeros(2)}, home / 'local.pth')
    monkeypatch.setattr(ckpt_utils, 'get_external_models',
                        lambda: {'local': 'local.pth'})
    monkeypatch.setattr(ckpt_utils, '_get_mmengine_home', lambda: str(home))
    assert torch.equal(CheckpointLoader.load_checkpoint(
        'open-mmlab://local')['w'], torch.zeros(2))


def test_urls_with_the_same_file_name_never_share_a_cache_file(
        served, tmp_path):
    a = cached_download(f'{served}/a/pytorch_model.bin', str(tmp_path / 'c'))
    b = cached_download(f'{served}/b/pytorch_model.bin', str(tmp_path / 'c'))
    assert a != b and osp.basename(a) == osp.basename(b)
    assert torch.load(b)['state_dict']['backbone.w'][0] == 2.0
    assert torch.load(a)['state_dict']['backbone.w'][0] == 1.0
    assert cache_path(f'{served}/a/pytorch_model.bin', str(tmp_path / 'c')) \
        == a


def test_failed_download_leaves_no_folder(tmp_path):
    cache = tmp_path / 'cache'
    with pytest.raises(ZooError, match='cannot download'):
        cached_download('http://127.0.0.1:9/x-12345678.pth', str(cache))
    assert not cache.exists() or os.listdir(cache) == []


def test_index_is_read_once(monkeypatch):
    zoo.load_index()
    opened = []
    real_open = open
    monkeypatch.setattr('builtins.open',
                        lambda *a, **k: opened.append(a[0]) or real_open(
                            *a, **k))
    first, second = zoo.load_index(), zoo.load_index()
    assert first == second and first is not second
    assert not [p for p in opened if str(p).endswith(('.yml', '.yaml'))]


def test_zoo_model_is_hashed_once_per_load(monkeypatch):
    calls = []
    real = zoo._hash_file
    monkeypatch.setattr(zoo, '_hash_file',
                        lambda path: calls.append(path) or real(path))
    monkeypatch.setattr(zoo, '_HASHED', {})
    init_segmentor()
    assert len(calls) == 1, calls


def test_build_segmentor_sets_cfg_and_dataset_meta():
    """A Cityscapes config without a checkpoint: classes and palette come
    from the config's dataset, as mmseg's init_model would give them."""
    cfg = Config.fromfile(osp.join(CONFIGS, 'cgnet_512x1024_60k_'
                                   'cityscapes.py'))
    model = build_segmentor(cfg)
    assert model.cfg is cfg
    assert model.dataset_meta['classes'][:2] == ['road', 'sidewalk']
    assert len(model.dataset_meta['classes']) == 19
    assert len(model.dataset_meta['palette']) == 19


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(4)
    try:
        yield f'http://127.0.0.1:{sock.getsockname()[1]}'
    finally:
        sock.close()


def test_silent_server_times_out(silent_server, tmp_path, monkeypatch):
    monkeypatch.setenv(zoo.TIMEOUT_ENV, '1')
    start = time.monotonic()
    with pytest.raises(ZooError, match=r'cannot download http://127\.0\.0\.1'
                       r':\d+/m-12345678\.pth: no (data|answer) for 1 s'):
        cached_download(f'{silent_server}/m-12345678.pth',
                        str(tmp_path / 'c'))
    assert time.monotonic() - start < 30
    assert not (tmp_path / 'c').exists() or os.listdir(tmp_path / 'c') == []


def test_bad_timeout_value_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv(zoo.TIMEOUT_ENV, 'soon')
    with pytest.raises(ZooError, match=r"CGNET_MM_DOWNLOAD_TIMEOUT='soon' is "
                       r'not a positive number of seconds'):
        cached_download('http://127.0.0.1:9/x.pth', str(tmp_path))


def test_dead_torch_partials_are_removed(served, tmp_path, monkeypatch):
    cache = tmp_path / 'c'
    cache.mkdir()
    dead = cache / f'x.pth.{"a" * 32}.partial'
    live = cache / f'y.pth.{"b" * 32}.partial'
    dead.write_bytes(b'0' * 10)
    live.write_bytes(b'0' * 10)
    old = time.time() - 2 * zoo.DEFAULT_TIMEOUT
    os.utime(dead, (old, old))
    cached_download(f'{served}/a/pytorch_model.bin', str(cache))
    assert not dead.exists() and live.exists()
