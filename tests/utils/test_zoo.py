"""Verified downloads against a local HTTP server (127.0.0.1 only)."""
import glob
import hashlib
import os
import os.path as osp

import pytest
import torch
import yaml
from mmengine.runner.checkpoint import CheckpointLoader

import cgnet_mm.utils.checkpoint  # noqa: F401  (installs the loaders)
from cgnet_mm.apis.inference import DEFAULT_MODEL
from cgnet_mm.tools.download import download_model
from cgnet_mm.tools.download import main as download_cli
from cgnet_mm.utils.atomic import UnwritableError
from cgnet_mm.utils.zoo import ZooError, cached_download, load_index
from tests.helpers import CONFIGS, serve_directory, shipped_zoo_names


@pytest.fixture
def served(tmp_path):
    """A server on 127.0.0.1 holding a good checkpoint named with its hash
    prefix, a corrupted and a truncated copy under the same kind of name."""
    root = tmp_path / 'www'
    root.mkdir()
    good = root / 'tmp.pth'
    torch.save({'state_dict': {'w': torch.arange(1000.)}}, good)
    data = good.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    names = dict(good=f'good-{sha[:8]}.pth', corrupt=f'corrupt-{sha[:8]}.pth',
                 truncated=f'truncated-{sha[:8]}.pth')
    good.rename(root / names['good'])
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0xFF
    (root / names['corrupt']).write_bytes(bytes(bad))
    (root / names['truncated']).write_bytes(data[:len(data) // 3])
    with serve_directory(root) as base:
        yield {k: f'{base}/{v}' for k, v in names.items()}, sha, base


def test_good_file_downloads_and_loads(served, tmp_path, monkeypatch):
    urls, sha, _ = served
    path = cached_download(urls['good'], str(tmp_path / 'cache'))
    assert osp.isfile(path)
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    ckpt = CheckpointLoader.load_checkpoint(urls['good'], map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.arange(1000.))


@pytest.mark.parametrize('kind', ['corrupt', 'truncated'])
def test_bad_file_refused_and_discarded(served, tmp_path, kind):
    urls, sha, _ = served
    cache = tmp_path / 'cache'
    with pytest.raises(ZooError, match=rf"(?s){kind}-{sha[:8]}\.pth' is "
                       rf'corrupted or incomplete: its sha256 is [0-9a-f]{{64}}'
                       rf', expected {sha[:8]} \(from the hash in its file '
                       r'name\)'):
        cached_download(urls[kind], str(cache))
    assert not cache.exists() or not os.listdir(cache)


def test_load_from_url_in_config_checks_hash(served, tmp_path, monkeypatch):
    urls, _, _ = served
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    with pytest.raises(ZooError, match='corrupted or incomplete'):
        CheckpointLoader.load_checkpoint(urls['corrupt'])


def test_corrupted_local_zoo_file_refused(served, tmp_path):
    """A file saved under a zoo entry's name (as `mim download` does, which
    checks nothing) is verified when cgnet_mm loads it."""
    urls, _, _ = served
    good = cached_download(urls['good'], str(tmp_path / 'cache'))
    name = 'cgnet_512x1024_60k_cityscapes_20201101_110254-124ea03b.pth'
    path = tmp_path / name
    path.write_bytes(open(good, 'rb').read())
    with pytest.raises(ZooError, match=rf"{name}' is corrupted or incomplete"
                       r'.*expected 124ea03b \(from the hash in its file '
                       r'name\)'):
        CheckpointLoader.load_checkpoint(str(path))


def test_local_names_that_only_look_hashed_load(tmp_path):
    path = tmp_path / 'run-20261123.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}}, path)
    assert CheckpointLoader.load_checkpoint(str(path))['state_dict']['w'] == 1


def test_download_shipped_weights(tmp_path):
    ckpt, config = download_model(DEFAULT_MODEL, str(tmp_path))
    assert osp.isfile(ckpt) and osp.isfile(config)


def test_download_model_by_name_full_sha(served, tmp_path):
    urls, sha, _ = served
    index = {'tiny': dict(Name='tiny', Weights=urls['good'], SHA256=sha,
                          Config='configs/cgnet_512x1024_60k_cityscapes.py')}
    ckpt, config = download_model('tiny', str(tmp_path / 'dest'), index)
    assert osp.isfile(ckpt) and osp.isfile(config)
    index['tiny']['SHA256'] = '0' * 64
    os.remove(ckpt)
    with pytest.raises(ZooError, match=rf"expected {'0' * 64} \(from the zoo "
                       r"entry 'tiny'\)"):
        download_model('tiny', str(tmp_path / 'dest'), index)


def test_unknown_name_lists_known(capsys):
    with pytest.raises(SystemExit, match=r"no model called 'cgnet_nope' .*"
                       r'known: cgnet_360x360_4k_camvid_cpu, '
                       r'cgnet_512x1024_60k_cityscapes, '
                       r'cgnet_680x680_60k_cityscapes'):
        download_cli(['cgnet_nope'])


def test_no_network_is_one_clear_line(tmp_path):
    # nothing listens on this port: the same failure as having no network
    with pytest.raises(ZooError, match=r'cannot download http://127\.0\.0\.1'
                       r':9/x-12345678\.pth: .*Check the network'):
        cached_download('http://127.0.0.1:9/x-12345678.pth', str(tmp_path))


def test_unwritable_destination(served, tmp_path):
    urls, _, _ = served
    blocker = tmp_path / 'file'
    blocker.write_text('')
    with pytest.raises(UnwritableError, match=r"cannot write to '.*file/sub/[0-9a-f]{16}'"
                       r": '.*file' is a file, not a folder; choose"):
        cached_download(urls['good'], str(blocker / 'sub'))


def test_index_holds_every_metafile_model():
    """The index imports every family's metafile in configs/; the default
    model's weights ship in the package."""
    index = load_index()
    models = [entry['Name'] for path in glob.glob(
        osp.join(CONFIGS, '*', 'metafile.yaml'))
        for entry in yaml.safe_load(open(path))['Models']]
    assert sorted(index) == sorted(models)
    assert DEFAULT_MODEL in shipped_zoo_names()
    assert index[DEFAULT_MODEL]['Metadata']['Parameters'] == 494269
    for name in ('cgnet_512x1024_60k_cityscapes',
                 'cgnet_680x680_60k_cityscapes'):
        entry = index[name]
        assert entry['Config'] == f'configs/{name}.py'
        assert entry['Weights'].startswith(
            'https://download.openmmlab.com/mmsegmentation/v0.5/cgnet/')
        assert entry['Metadata']['Parameters'] == 496325
