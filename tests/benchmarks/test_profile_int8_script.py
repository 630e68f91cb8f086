"""The int8 profile runs end to end (tiny size; not a timing test): both
paths' per-kind tables, the oneDNN convolutions named with their shapes."""
import json
import runpy
import sys

from cgnet_mm.deploy.openvino_export import missing_packages
from tests.conftest import REPO


def test_profile_int8_writes_json_and_tables(tmp_path, monkeypatch):
    out = tmp_path / 'profile.json'
    monkeypatch.setattr(sys, 'argv', [
        'profile_int8.py', '--size', '64x128', '--repeat', '1',
        '--top', '1000', '--calibration', str(tmp_path / 'no_images'),
        '--out', str(out)])
    runpy.run_path(f'{REPO}/benchmarks/profile_int8.py', run_name='__main__')
    report = json.loads(out.read_text())
    assert report['size'] == [64, 128]
    assert report['calibration'] == 'bundled scene'
    ours = report['paths']['cgnet_mm_fast_int8']
    assert ours['total_ms'] > 0
    assert any(name.startswith('onednn::qconv_pointwise [1, 32, 32, 64]')
               for name, _, _ in ours['top'])
    table = (tmp_path / 'profile.md').read_text()
    assert 'cgnet_mm_fast_int8:' in table and '64x128' in table
    if missing_packages():
        assert 'not installed' in report['skipped']['openvino_nncf_int8']
    else:
        assert report['paths']['openvino_nncf_int8']['total_ms'] > 0
        assert 'openvino_nncf_int8:' in table
