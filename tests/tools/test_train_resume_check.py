"""``--resume`` continues from the checkpoint the work dir's
``last_checkpoint`` names; mmengine loads it leniently, so it is checked
against the config first, like ``load_from``."""
import os.path as osp

from cgnet_mm.tools.train import last_checkpoint, main
from tests.helpers import (CONFIGS, make_camvid, save_segmentor_checkpoint,
                           tiny_camvid_config)


def test_resume_from_a_checkpoint_of_another_model(bad_input, tmp_path):
    root = make_camvid(str(tmp_path / 'camvid'))
    config = tmp_path / 'tiny.py'
    config.write_text(tiny_camvid_config(
        osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py'), root))
    work_dir = tmp_path / 'wd'
    work_dir.mkdir()
    other = save_segmentor_checkpoint(
        osp.join(CONFIGS, 'sgcpnet_360x360_4k_camvid_cpu.py'),
        work_dir / 'iter_100.pth')
    (work_dir / 'last_checkpoint').write_text(other)
    bad_input('train: --resume when the work dir\'s last checkpoint is of '
              'another model', main,
              [config, '--work-dir', work_dir, '--resume'],
              r"error: checkpoint '.*iter_100\.pth' does not fit")


def test_last_checkpoint_reads_the_work_dir(tmp_path):
    assert last_checkpoint(str(tmp_path)) is None
    (tmp_path / 'last_checkpoint').write_text('/runs/iter_8.pth\n')
    assert last_checkpoint(str(tmp_path)) == '/runs/iter_8.pth'
