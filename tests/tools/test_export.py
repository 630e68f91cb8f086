"""Bad outputs of ``cgnet-mm export`` are refused before the export runs
(docs/bad_inputs.md); they need none of the deploy extras."""
import os
import os.path as osp

from cgnet_mm.tools.export import main
from tests.conftest import CONFIGS

CONFIG = osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py')


def test_out_without_onnx_suffix(bad_input, tmp_path):
    bad_input('export: --out without .onnx', main,
              [CONFIG, tmp_path / 'c.pth', '--out', tmp_path / 'model'],
              r"error: --out '.*model': the name must end in \.onnx, e\.g\. "
              r'.*model\.onnx')


def test_fast_out_without_pt2_suffix(bad_input, tmp_path):
    bad_input('export --fast: --out without .pt2', main,
              [CONFIG, tmp_path / 'c.pth', '--fast', 'fp32', '--out',
               tmp_path / 'model.onnx'],
              r"error: --out '.*model\.onnx': the name must end in \.pt2 "
              r'\(a fast-path export is an AOTInductor package')


def test_unwritable_folder_before_export(bad_input, tmp_path):
    (tmp_path / 'file').write_text('')
    bad_input('export: --out in an unwritable folder', main,
              [CONFIG, tmp_path / 'c.pth', '--out',
               tmp_path / 'file' / 'm.onnx'],
              r"error: cannot write to '.*file': '.*file' is a file, not a "
              "folder; choose another place for 'm.onnx'")
    assert os.listdir(tmp_path) == ['file']
