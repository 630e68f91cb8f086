"""A checkpoint that does not fit the config's model is refused on every
path with one message saying what differs and what it looks like; partial
loading is an explicit opt-in; a checked file is unpickled once."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor, init_segmentor, shipped_checkpoint
from cgnet_mm.tools.test import main as run_test_cli
from cgnet_mm.utils import CheckError
from cgnet_mm.utils import checkpoint as ckpt_utils
from cgnet_mm.utils import config as config_utils
from cgnet_mm.utils.config import check_checkpoint, describe_checkpoint
from tests.helpers import CONFIGS

CGNET = osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py')
SGCPNET_NAME = 'sgcpnet_360x360_4k_camvid_cpu'
MISFIT = (r"checkpoint '.*sgcpnet_360x360_4k_camvid_cpu-\w+\.pth' does not "
          r"fit the config's model \(CGNet\): \d+ missing \(backbone\.stem"
          r"\.0\.conv\.weight, .*\d+ unexpected \(backbone\.stem\.conv\."
          r'weight, .*It looks like an SGCPNet checkpoint\. Use the config '
          r'it was trained with, or set load_partial=True')


@pytest.fixture(scope='module')
def sgcpnet_weights():
    return shipped_checkpoint(SGCPNET_NAME)[1]


def test_init_segmentor_refuses_another_architecture(sgcpnet_weights):
    with pytest.raises(CheckError, match=MISFIT):
        init_segmentor(CGNET, sgcpnet_weights)


def test_build_segmentor_refuses_another_architecture(sgcpnet_weights):
    with pytest.raises(CheckError, match=MISFIT):
        build_segmentor(Config.fromfile(CGNET), sgcpnet_weights)


def test_zoo_name_with_a_misfit_checkpoint_is_refused(sgcpnet_weights):
    with pytest.raises(CheckError, match=MISFIT):
        init_segmentor('cgnet_360x360_4k_camvid_cpu', sgcpnet_weights)


def test_test_cli_refuses_before_testing(sgcpnet_weights, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_test_cli([CGNET, sgcpnet_weights, '--work-dir', str(tmp_path)])
    assert exit_info.value.code == 2
    (line, ) = [l for l in capsys.readouterr().err.splitlines()
                if l.startswith('error:')]
    assert 'looks like an SGCPNet checkpoint' in line


def test_partial_loading_is_an_opt_in_that_logs(sgcpnet_weights,
                                                monkeypatch):
    logged = []
    monkeypatch.setattr(config_utils, 'print_log',
                        lambda message, **kwargs: logged.append(message))
    check_checkpoint(Config.fromfile(CGNET), sgcpnet_weights, partial=True)
    (message, ) = logged
    assert re.match(r"load_partial: from '.*' these weights do not load and "
                    r'keep their initialisation: \d+ missing \(backbone\.',
                    message)
    # the check handed its read to the next load of the same file
    assert len(ckpt_utils._PRELOADED) == 1


def test_shape_mismatch_is_named(tmp_path):
    state = torch.load(shipped_checkpoint('cgnet_360x360_4k_camvid_cpu')[1])
    weight = 'backbone.stem.0.conv.weight'
    state['state_dict'][weight] = torch.zeros(1, 1, 1, 1)
    torch.save(state, tmp_path / 'bad.pth')
    with pytest.raises(CheckError, match=r'1 of another shape \(backbone\.'
                       r'stem\.0\.conv\.weight \(1, 1, 1, 1\) vs \(32, 3, 3, '
                       r'3\)\).*looks like a CGNet checkpoint'):
        check_checkpoint(Config.fromfile(CGNET), str(tmp_path / 'bad.pth'))


@pytest.mark.parametrize('checkpoint, looks_like', [
    ({'segmenter': {}, 'epoch_start': 3}, "SGCPNet authors' own checkpoint"),
    ({'state_dict': {'backbone.network.0.0.mlp.fc1.weight': 0}},
     "CGRSeg authors' checkpoint"),
    ({'state_dict': {'module.backbone.patch_embed1.proj.weight': 0}},
     'an FRM (VAN) checkpoint'),
    ({'w': 0}, 'a checkpoint of another model'),
])
def test_describe_checkpoint(checkpoint, looks_like):
    assert looks_like in describe_checkpoint(checkpoint)


def test_checked_checkpoint_is_unpickled_once(monkeypatch):
    loads = []
    real = torch.load
    monkeypatch.setattr(torch, 'load',
                        lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    init_segmentor(CGNET, shipped_checkpoint('cgnet_360x360_4k_camvid_cpu')[1])
    assert len(loads) == 1, loads
