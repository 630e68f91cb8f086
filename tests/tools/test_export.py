"""Bad outputs and options of ``cgnet-mm export`` are refused before the
export runs (docs/bad_inputs.md); they need none of the deploy or openvino
extras."""
import os
import os.path as osp

from cgnet_mm.tools.export import main
from tests.helpers import CONFIGS

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


def test_unknown_format(bad_input, tmp_path):
    bad_input('export: unknown --format', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'tflite', '--out',
               tmp_path / 'm.tflite'],
              r"error: --format 'tflite' is not an export format; choose one "
              r'of onnx, openvino \(or --fast for an AOTInductor \.pt2 '
              r'package\)$')


def test_openvino_out_without_xml_suffix(bad_input, tmp_path):
    bad_input('export --format openvino: --out without .xml', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'openvino', '--out',
               tmp_path / 'model.onnx'],
              r"error: --out '.*model\.onnx': the name must end in \.xml \(an "
              r'OpenVINO IR; its weights go in a \.bin beside it\), e\.g\. '
              r'.*model\.xml$')


def test_fast_with_a_format(bad_input, tmp_path):
    bad_input('export: --fast with --format', main,
              [CONFIG, tmp_path / 'c.pth', '--fast', 'int8', '--format',
               'openvino', '--out', tmp_path / 'm.xml'],
              r'error: --fast int8 exports an AOTInductor \.pt2 package, not '
              r'--format openvino; drop one of them$')


def test_int8_with_onnx(bad_input, tmp_path):
    bad_input('export: --int8 with --format onnx', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'onnx', '--int8',
               '--calibration', tmp_path, '--out', tmp_path / 'm.onnx'],
              r'error: --int8 quantizes an OpenVINO IR \(--format openvino '
              r'--int8\); there is no int8 onnx export \(--fast int8 writes '
              r'an int8 \.pt2 package\)$')


def test_int8_with_fast(bad_input, tmp_path):
    bad_input('export: --int8 with --fast', main,
              [CONFIG, tmp_path / 'c.pth', '--fast', 'fp32', '--int8',
               '--out', tmp_path / 'm.pt2'],
              r'error: --int8 quantizes an OpenVINO IR .*; there is no int8 '
              r'pt2 export; a fast-path package takes --fast int8$')


def test_no_resize_with_onnx(bad_input, tmp_path):
    bad_input('export: --no-resize without --format openvino', main,
              [CONFIG, tmp_path / 'c.pth', '--no-resize', '--out',
               tmp_path / 'm.onnx'],
              r'error: --no-resize shapes an OpenVINO IR \(--format openvino '
              r'--no-resize\); the onnx export always ends with the resize$')


def test_int8_without_calibration(bad_input, tmp_path):
    bad_input('export --format openvino --int8 without --calibration', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'openvino', '--int8',
               '--out', tmp_path / 'm.xml'],
              r'error: --int8 needs --calibration DIR: a folder of images '
              r'like the ones the model will see \(16 spread over it are '
              r'used\)$')


def test_int8_calibration_folder_missing(bad_input, tmp_path):
    bad_input('export --int8: --calibration folder missing', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'openvino', '--int8',
               '--calibration', tmp_path / 'none', '--out',
               tmp_path / 'm.xml'],
              r"error: calibration folder '.*none' does not exist; give a "
              r'folder of images like the ones the model will see$')
    assert not osp.exists(tmp_path / 'm.xml')


def test_int8_calibration_folder_without_images(bad_input, tmp_path):
    (tmp_path / 'cal').mkdir()
    (tmp_path / 'cal' / 'notes.txt').write_text('no images here')
    bad_input('export --int8: --calibration folder without images', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'openvino', '--int8',
               '--calibration', tmp_path / 'cal', '--out',
               tmp_path / 'm.xml'],
              r"error: calibration folder '.*cal' holds no images "
              r'\(\.jpg, \.jpeg, \.png, \.bmp, \.tif, \.tiff\)$')


def test_calibration_without_int8(bad_input, tmp_path):
    bad_input('export: --calibration without int8', main,
              [CONFIG, tmp_path / 'c.pth', '--format', 'openvino',
               '--calibration', tmp_path, '--out', tmp_path / 'm.xml'],
              r'error: --calibration is read only by an int8 export '
              r'\(--format openvino --int8, or --fast int8\)$')
