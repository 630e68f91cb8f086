"""The demo frames/s benchmark runs end to end (one size, eager, one
round; not a timing test)."""
import json
import runpy
import sys

import pytest


@pytest.mark.slow
def test_demo_fps_writes_json_and_table(tmp_path, monkeypatch):
    out = tmp_path / 'demo_fps.json'
    monkeypatch.setattr(sys, 'argv', [
        'demo_fps.py', '--sizes', '360x480', '--modes', 'eager', '--frames',
        '2', '--rounds', '1', '--out', str(out)])
    runpy.run_module('benchmarks.demo_fps', run_name='__main__')
    report = json.loads(out.read_text())
    assert set(report['models']) == {'CGNet (M3N21)', 'SGCPNet'}
    for row in report['models'].values():
        assert row['360x480']['eager'] > 0
    table = (tmp_path / 'demo_fps.md').read_text()
    assert '| model | 360x480 fps eager / int8 |' in table
    assert '| SGCPNet | ' in table and ' / - |' in table
