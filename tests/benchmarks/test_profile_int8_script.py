"""The int8 profile runs end to end (tiny size; not a timing test): every
path's per-kind table, the oneDNN convolutions named with their shapes,
the resize of our OpenVINO IR."""
import json
import runpy
import sys

import pytest

from cgnet_mm.deploy.openvino_export import missing_packages


@pytest.mark.slow
def test_profile_int8_writes_json_and_tables(tmp_path, monkeypatch):
    out = tmp_path / 'profile.json'
    monkeypatch.setattr(sys, 'argv', [
        'profile_int8.py', '--size', '64x128', '--repeat', '1',
        '--top', '1000', '--calibration', str(tmp_path / 'no_images'),
        '--out', str(out)])
    runpy.run_module('benchmarks.profile_int8', run_name='__main__')
    report = json.loads(out.read_text())
    assert report['size'] == [64, 128]
    assert report['calibration'] == 'bundled scene'
    ours = report['paths']['cgnet_mm_fast_int8']
    assert ours['total_ms'] > 0
    assert any(name.startswith('onednn::qconv_pointwise [1, 32, 32, 64]')
               for name, _, _ in ours['top'])
    table = (tmp_path / 'profile.md').read_text()
    assert 'cgnet_mm_fast_int8:' in table and '64x128' in table
    for path in ('openvino_nncf_int8', 'cgnet_mm_openvino_int8'):
        if missing_packages():
            assert 'not installed' in report['skipped'][path]
        else:
            assert report['paths'][path]['total_ms'] > 0
            assert f'{path}:' in table
    if not missing_packages():  # ours resizes outside the IR, the peer not
        resize = 'resize_logits (OpenVINOSegmentor)'
        kinds = {path: [kind for kind, _ in report['paths'][path]['by_kind']]
                 for path in ('openvino_nncf_int8', 'cgnet_mm_openvino_int8')}
        assert 'resize_logits' in kinds['cgnet_mm_openvino_int8']
        assert 'resize_logits' not in kinds['openvino_nncf_int8']
        assert any(name == resize for name, _, _ in
                   report['paths']['cgnet_mm_openvino_int8']['top'])
