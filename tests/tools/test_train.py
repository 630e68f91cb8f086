"""Bad inputs that ``cgnet-mm train`` (and so ``mim train``) meets only
once the runner builds the datasets or the model, or resumes: each is one
error line and exit status 2 before the first iteration
(docs/bad_inputs.md)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from cgnet_mm.tools.train import main
from tests.helpers import (child_config, make_camvid, make_cityscapes,
                           save_evil_checkpoint, save_segmentor_checkpoint)


def cityscapes_config(tmp_path):
    root = make_cityscapes(str(tmp_path / 'cityscapes'))
    return child_config(tmp_path, 'cgnet_512x1024_60k_cityscapes.py',
                        root), root


def train_label(root, i=0):
    return osp.join(root, 'gtFine', 'train', 'aachen',
                    f'aachen_{i:06d}_000019_gtFine_labelTrainIds.png')


def train_image(root, i=0):
    return osp.join(root, 'leftImg8bit', 'train', 'aachen',
                    f'aachen_{i:06d}_000019_leftImg8bit.png')


def test_cityscapes_label_value_out_of_range(bad_input, tmp_path):
    config, root = cityscapes_config(tmp_path)
    label = cv2.imread(train_label(root, 1), cv2.IMREAD_UNCHANGED)
    label[10, :3] = 77
    cv2.imwrite(train_label(root, 1), label)
    bad_input('train (Cityscapes): a label value 77', main,
              [config, '--work-dir', tmp_path / 'work'],
              r"error: Cityscapes label '.*aachen_000001_000019_gtFine_"
              r"labelTrainIds\.png' holds value 77 \(3 px\); expected train "
              r'ids 0-18 or 255 \(ignored\)\. Labels must be the '
              r'\*_gtFine_labelTrainIds\.png files')


def test_cityscapes_label_of_another_size(bad_input, tmp_path):
    config, root = cityscapes_config(tmp_path)
    label = cv2.imread(train_label(root), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(train_label(root), cv2.resize(label, (64, 32),
                                              interpolation=cv2.INTER_NEAREST))
    bad_input('train (Cityscapes): a label of half the image size', main,
              [config, '--work-dir', tmp_path / 'work'],
              r"error: Cityscapes label '.*_gtFine_labelTrainIds\.png' is "
              r"64x32 but its image '.*_leftImg8bit\.png' is 128x64; a label "
              "must have its image's size")


def test_cityscapes_image_without_label(bad_input, tmp_path):
    config, root = cityscapes_config(tmp_path)
    os.remove(train_label(root))
    bad_input('train (Cityscapes): an image without its label', main,
              [config, '--work-dir', tmp_path / 'work'],
              r"error: Cityscapes image '.*aachen_000000_000019_leftImg8bit"
              r"\.png' has no label '.*aachen_000000_000019_gtFine_"
              r"labelTrainIds\.png'; add it or remove the image")


def test_cityscapes_truncated_image(bad_input, tmp_path):
    config, root = cityscapes_config(tmp_path)
    data = open(train_image(root), 'rb').read()
    open(train_image(root), 'wb').write(data[:len(data) // 2])
    bad_input('train (Cityscapes): a truncated PNG image', main,
              [config, '--work-dir', tmp_path / 'work'],
              r"error: Cityscapes image '.*aachen_000000_000019_leftImg8bit"
              r"\.png' cannot be decoded: it is truncated or not an image")


def camvid_config(tmp_path):
    root = make_camvid(str(tmp_path / 'camvid'))
    return child_config(tmp_path, 'cgnet_360x360_4k_camvid_cpu.py',
                        root), root


def test_camvid_label_12(bad_input, tmp_path):
    config, root = camvid_config(tmp_path)
    path = osp.join(root, 'trainannot', 'seq_0001.png')
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[:] = np.minimum(label, 11)
    label[0, 0] = 12
    cv2.imwrite(path, label)
    bad_input('train (CamVid): a label value 12', main,
              [config, '--work-dir', tmp_path / 'work'],
              r"error: CamVid label '.*trainannot/seq_0001\.png' holds value "
              r'12 \(1 px\); expected 0-10 and 11 \(void\)')


def test_camvid_image_without_annotation(bad_input, tmp_path):
    config, root = camvid_config(tmp_path)
    os.remove(osp.join(root, 'trainannot', 'seq_0002.png'))
    bad_input('train (CamVid): an image without annotation', main,
              [config, '--work-dir', tmp_path / 'work'],
              r"error: CamVid image '.*train/seq_0002\.png' has no annotation "
              r"'.*trainannot/seq_0002\.png'; add it or remove the image")


def test_num_blocks_not_numbers(bad_input, tmp_path):
    config, _ = camvid_config(tmp_path)
    bad_input('train: --cfg-options model.backbone.num_blocks=abc', main,
              [config, '--work-dir', tmp_path / 'work', '--cfg-options',
               'model.backbone.num_blocks=abc'],
              r"error: CGNet num_blocks must hold 2 positive integers, got "
              r"'abc'; e\.g\. --cfg-options model\.backbone\.num_blocks=3,21")


def test_resume_from_code_carrying_checkpoint(bad_input, tmp_path):
    config, _ = camvid_config(tmp_path)
    work = tmp_path / 'work'
    work.mkdir()
    marker = tmp_path / 'code_ran'
    evil = save_evil_checkpoint(work / 'iter_100.pth', marker)
    (work / 'last_checkpoint').write_text(evil)
    bad_input('train --resume: a code-carrying last checkpoint', main,
              [config, '--work-dir', work, '--resume'],
              r"error: refused to load checkpoint '.*iter_100\.pth': its "
              r"pickle asks for '(posix|os)\.makedirs'.*nothing from it was "
              'executed')
    assert not marker.exists()


def test_config_with_syntax_error(bad_input, tmp_path):
    (tmp_path / 'broken.py').write_text("model = dict(\n    type='X',\n")
    bad_input('train: a config with a Python syntax error', main,
              [tmp_path / 'broken.py'],
              r"error: config file '.*broken\.py', line 1: SyntaxError: "
              r"'\(' was never closed; fix that line")


def test_base_config_with_undefined_name(bad_input, tmp_path):
    (tmp_path / 'base.py').write_text('crop_size = (360, 360)\n'
                                      'model = dict(type=EncoderDecoder)\n')
    (tmp_path / 'child.py').write_text("_base_ = ['base.py']\n")
    bad_input('train: a base config using an undefined name', main,
              [tmp_path / 'child.py'],
              r"error: config file '.*child\.py' reads '.*base\.py', line 2: "
              r"NameError: name 'EncoderDecoder' is not defined; fix that "
              'line')


def test_checkpoint_as_config(bad_input, tmp_path):
    config, _ = camvid_config(tmp_path)
    ckpt = save_segmentor_checkpoint(config, tmp_path / 'camvid.pth')
    bad_input('train: a .pth checkpoint where the config goes', main,
              [ckpt],
              r"error: config file '.*camvid\.pth' is a checkpoint, not a "
              r'config \(\.py, \.json, \.yaml or \.yml\); pass the config')


@pytest.mark.parametrize('launcher, missing', [
    ('slurm', 'SLURM_PROCID, SLURM_NTASKS, SLURM_NODELIST \\(srun'),
    ('pytorch', 'RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT \\(torchrun')])
def test_launcher_outside_its_environment(bad_input, tmp_path, monkeypatch,
                                          launcher, missing):
    for name in list(os.environ):
        if name.startswith(('SLURM_', 'RANK', 'WORLD_SIZE', 'MASTER_')):
            monkeypatch.delenv(name)
    config, _ = camvid_config(tmp_path)
    bad_input(f'train: --launcher {launcher} started by hand', main,
              [config, '--launcher', launcher],
              f'error: --launcher {launcher}: not set in the environment: '
              f'{missing} sets these\\); start the command with')


def test_work_dir_under_a_file(bad_input, tmp_path):
    config, _ = camvid_config(tmp_path)
    (tmp_path / 'notes.txt').write_text('')
    bad_input('train: --work-dir under a regular file', main,
              [config, '--work-dir', tmp_path / 'notes.txt' / 'run'],
              r"error: --work-dir '.*notes\.txt/run' cannot be a folder: "
              r"'.*notes\.txt' is a file; give --work-dir a folder path")
    assert (tmp_path / 'notes.txt').read_text() == ''
