"""Bad inputs of ``cgnet-mm test`` (and so ``mim test``) found when the
runner builds the test set: before any image is evaluated
(docs/bad_inputs.md)."""
import os.path as osp

import cv2
import pytest

from cgnet_mm.tools.test import main
from tests.helpers import (child_config, make_cityscapes,
                           save_segmentor_checkpoint)

BASE = 'cgnet_512x1024_60k_cityscapes.py'


def test_val_label_value_out_of_range(bad_input, tmp_path):
    root = make_cityscapes(str(tmp_path / 'cityscapes'))
    config = child_config(tmp_path, BASE, root)
    ckpt = save_segmentor_checkpoint(config, tmp_path / 'city19.pth')
    path = osp.join(root, 'gtFine', 'val', 'aachen',
                    'aachen_000001_000019_gtFine_labelTrainIds.png')
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[20:22, 30:40] = 77
    cv2.imwrite(path, label)
    bad_input('test (Cityscapes): a val label value 77', main,
              [config, ckpt, '--work-dir', tmp_path / 'work'],
              r"error: Cityscapes label '.*val/aachen/aachen_000001_000019_"
              r"gtFine_labelTrainIds\.png' holds value 77 \(20 px\); "
              r'expected train ids 0-18 or 255')


def test_checkpoint_where_the_config_goes(bad_input, tmp_path):
    root = make_cityscapes(str(tmp_path / 'cityscapes'))
    ckpt = save_segmentor_checkpoint(child_config(tmp_path, BASE, root),
                                     tmp_path / 'city19.pth')
    bad_input('test: the checkpoint given as the config too', main,
              [ckpt, ckpt],
              r"error: config file '.*city19\.pth' is a checkpoint, not a "
              r'config \(\.py, \.json, \.yaml or \.yml\); pass the config')


@pytest.mark.parametrize('option', ['--out', '--show-dir'])
def test_output_folder_under_a_file(bad_input, tmp_path, option):
    root = make_cityscapes(str(tmp_path / 'cityscapes'))
    config = child_config(tmp_path, BASE, root)
    (tmp_path / 'notes.txt').write_text('')
    bad_input(f'test: {option} under a regular file', main,
              [config, tmp_path / 'never_read.pth', option,
               tmp_path / 'notes.txt' / 'preds'],
              f"error: {option} '.*notes\\.txt/preds' cannot be a folder: "
              f"'.*notes\\.txt' is a file; give {option} a folder path")
