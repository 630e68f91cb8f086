"""The latency benchmark runs end to end (tiny size; not a timing test)."""
import json
import runpy
import sys

from tests.conftest import REPO


def test_cpu_latency_writes_json_and_table(tmp_path, monkeypatch):
    out = tmp_path / 'lat.json'
    monkeypatch.setattr(sys, 'argv', [
        'cpu_latency.py', '--sizes', '48x64', '--warmup', '1', '--repeat',
        '2', '--paths', 'cgnet_mm_bn_folded_fp32', 'cgnet_mm_fast_fp32',
        '--camvid', str(tmp_path / 'no_camvid'), '--out', str(out)])
    runpy.run_path(f'{REPO}/benchmarks/cpu_latency.py', run_name='__main__')
    report = json.loads(out.read_text())
    paths = report['results'][0]['paths']
    assert list(paths) == ['mmseg_eager_fp32', 'cgnet_mm_eager_fp32',
                           'cgnet_mm_bn_folded_fp32', 'cgnet_mm_fast_fp32']
    assert paths['mmseg_eager_fp32']['speedup_vs_mmseg'] == 1.0
    # mmseg's CGNet and ours compute the same logits from the same weights
    assert paths['mmseg_eager_fp32']['max_abs_diff'] <= 1e-4
    for name in ('cgnet_mm_bn_folded_fp32', 'cgnet_mm_fast_fp32'):
        assert paths[name]['max_abs_diff'] <= 1e-4
        assert paths[name]['argmax_agreement'] >= 0.999
    assert report['machine']['threads'] == 2 and report['malloc'] == 'pinned'
    table = (tmp_path / 'lat.md').read_text()
    assert '| cgnet_mm_fast_fp32 |' in table and '48x64 ms' in table
