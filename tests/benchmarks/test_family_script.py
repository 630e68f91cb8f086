"""The family benchmark runs end to end (small size, eager only; not a
timing test)."""
import json
import runpy
import sys

import pytest


@pytest.mark.slow
def test_family_writes_json_and_table(tmp_path, monkeypatch):
    out = tmp_path / 'family.json'
    monkeypatch.setattr(sys, 'argv', [
        'family.py', '--sizes', '136x160', '--modes', 'eager', '--warmup',
        '1', '--repeat', '2', '--camvid', str(tmp_path / 'no_camvid'),
        '--out', str(out)])
    runpy.run_module('benchmarks.family', run_name='__main__')
    report = json.loads(out.read_text())
    models = report['models']
    assert set(models) >= {'CGNet (M3N21)', 'SGCPNet'}
    # the Cityscapes (19-class) counts pinned by the models' own tests
    assert models['SGCPNet']['params'] == 607826
    assert abs(models['SGCPNet']['flops_1024x2048'] - 3.4378e9) < 0.01e9
    for row in models.values():
        assert row['ms']['136x160']['eager'] > 0
        assert row['camvid_val_miou'] is None  # no CamVid given
    table = (tmp_path / 'family.md').read_text()
    assert '| SGCPNet | 0.608 M | 3.44 |' in table
    assert "the paper's figures" in table
