import os
import os.path as osp
import re
import shutil

import pytest
import torch
from mmengine.config import Config

from cgnet_mm.datasets import check_data
from cgnet_mm.utils import CheckError
from cgnet_mm.utils.config import check_checkpoint
from cgnet_mm.tools.test import main as run_test_cli
from cgnet_mm.tools.train import main as run_train_cli
from tests.helpers import CONFIGS

CONFIG = osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')


def cfg_with_root(root):
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    return cfg


def test_good_cityscapes_layout_passes(cityscapes):
    check_data(cfg_with_root(cityscapes))


def test_missing_data_root(tmp_path):
    with pytest.raises(CheckError, match=r"(?s)data root '.*nowhere' "
                       r'\(cgnet_mm\.CityscapesDataset\) does not exist'
                       r'.*leftImg8bit/'):
        check_data(cfg_with_root(str(tmp_path / 'nowhere')))


def test_missing_split_folder_named(cityscapes):
    shutil.rmtree(osp.join(cityscapes, 'gtFine', 'val'))
    with pytest.raises(CheckError, match=r"(?s)folder '.*gtFine/val' is missing"
                       r'.*expected layout'):
        check_data(cfg_with_root(cityscapes))


def test_missing_label_files_named(cityscapes):
    folder = osp.join(cityscapes, 'gtFine', 'train', 'aachen')
    for name in os.listdir(folder):
        os.rename(osp.join(folder, name),
                  osp.join(folder, name.replace('labelTrainIds', 'labelIds')))
    with pytest.raises(CheckError, match=r'no \*_gtFine_labelTrainIds\.png '
                       r"file under '.*gtFine/train'"):
        check_data(cfg_with_root(cityscapes))


def test_config_path_missing(capsys):
    with pytest.raises(SystemExit, match='^error: config file') as exit_:
        run_train_cli(['nope.py'])
    assert exit_.value.code == 2
    assert re.fullmatch(r"error: config file 'nope\.py' does not exist.*\n",
                        capsys.readouterr().err)


def test_checkpoint_classes_mismatch(tmp_path):
    path = str(tmp_path / 'camvid.pth')
    torch.save({'state_dict': {'decode_head.conv_seg.weight':
                               torch.zeros(11, 256, 1, 1)}}, path)
    with pytest.raises(CheckError, match=r'predicts 11 classes but the '
                       r'config sets model\.decode_head\.num_classes=19'):
        check_checkpoint(Config.fromfile(CONFIG), path)


def test_test_cli_missing_checkpoint(tmp_path, capsys):
    with pytest.raises(SystemExit, match='^error: checkpoint') as exit_:
        run_test_cli([CONFIG, str(tmp_path / 'none.pth')])
    assert exit_.value.code == 2
    assert re.fullmatch(r"error: checkpoint '.*none\.pth' does not exist\n",
                        capsys.readouterr().err)

