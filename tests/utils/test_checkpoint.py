"""Safe loading: mmengine checkpoints load on torch 2.13, code never runs."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from cgnet_mm.tools.test import main as run_test_cli
from cgnet_mm.utils.checkpoint import (CorruptCheckpointError,
                                       MissingCheckpointError,
                                       UnsafeCheckpointError, safe_load)
from tests.helpers import CONFIGS

CONFIG = os.path.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')


def test_runner_style_checkpoint_loads(tmp_path):
    hub = MessageHub.get_instance('cgnet_mm_test')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    hub.update_info('iter', 7)
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(3))])
    ckpt = dict(meta=dict(iter=7, seed=np.int64(3), dataset_meta=dict(
        classes=('a', 'b'), palette=[[0, 0, 0], [1, 2, 3]])),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict(), optimizer=opt.state_dict(),
        param_schedulers=[dict(last_step=7, base_values=[1e-3])])
    path = tmp_path / 'iter_7.pth'
    torch.save(ckpt, path)
    with pytest.raises(pickle.UnpicklingError):  # what mmengine alone does
        torch.load(path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == 0.5
    assert loaded['meta']['seed'] == 3


def test_mmseg_published_style_checkpoint_loads(tmp_path):
    """mmseg 0.x zoo files: meta with CLASSES/PALETTE, config text."""
    path = tmp_path / 'cgnet_512x1024_60k_cityscapes_20201101_110254-x.pth'
    torch.save(dict(meta=dict(CLASSES=('road', 'sidewalk'),
                              PALETTE=[[128, 64, 128], [244, 35, 232]],
                              config='model = dict()', mmcv_version='1.1.5'),
                    state_dict={'backbone.stem.0.conv.weight':
                                torch.rand(32, 3, 3, 3)}), path)
    loaded = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert loaded['meta']['CLASSES'] == ('road', 'sidewalk')


class _RunsCode:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker, ))


def test_code_carrying_pickle_refused_and_never_run(tmp_path):
    marker = str(tmp_path / 'code_ran')
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)},
                    payload=_RunsCode(marker)), path)
    with pytest.raises(UnsafeCheckpointError,
                       match=r"evil\.pth'.*asks for '?(posix|os)\.makedirs"
                       r".*nothing from it was executed"):
        _load_checkpoint(str(path), map_location='cpu')
    assert not os.path.exists(marker)


class _GetAttr:

    def __reduce__(self):
        return (getattr, ('', 'join'))


def test_getattr_beyond_history_buffer_refused(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _GetAttr()}, path)
    with pytest.raises(UnsafeCheckpointError, match=r"asks for "
                       r"'builtins\.getattr'"):
        safe_load(str(path))


def test_missing_file():
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_load('nope.pth')


NOT_CHECKPOINTS = {
    'a text file': (b'weights will be uploaded soon\n',
                    'it is a text file, not a torch checkpoint'),
    'a saved HTML error page': (b'<!DOCTYPE html><html><body>404 Not Found',
                                r'it is an HTML/XML page \(a saved web page '
                                r'or HTTP error page\?\)'),
    'JSON': (b'{"error": "rate limited"}', 'it is JSON text'),
    'random bytes': (bytes(range(7, 256)) * 4, 'it is not a torch checkpoint '
                     r'\(no zip or pickle header\)'),
    'an empty file': (b'', r'it is empty \(0 bytes\)'),
}


@pytest.mark.parametrize('kind', sorted(NOT_CHECKPOINTS))
def test_not_a_checkpoint_named_pth(bad_input, tmp_path, kind):
    data, said = NOT_CHECKPOINTS[kind]
    (tmp_path / 'model.pth').write_bytes(data)
    bad_input(f'test: {kind} named .pth as the checkpoint', run_test_cli,
              [CONFIG, tmp_path / 'model.pth'],
              rf"error: cannot read checkpoint '.*model\.pth': {said}.*"
              'Download or save it again')


def test_damaged_pickle_is_corrupt_not_unsafe(tmp_path):
    path = tmp_path / 'old.pth'
    path.write_bytes(b'\x80\x02}q\x00(X\x01')  # a pickle cut short
    with pytest.raises(CorruptCheckpointError, match='cannot read checkpoint'):
        safe_load(str(path))


def test_folder_as_checkpoint(tmp_path):
    with pytest.raises(MissingCheckpointError, match='is a folder'):
        safe_load(str(tmp_path))
