"""The latency benchmark runs end to end (tiny size; not a timing test),
OpenVINO rows and the throughput table included."""
import json
import re
import runpy
import sys

import pytest


@pytest.mark.slow
def test_cpu_latency_writes_json_and_table(tmp_path, monkeypatch):
    out = tmp_path / 'lat.json'
    monkeypatch.setattr(sys, 'argv', [
        'cpu_latency.py', '--sizes', '48x64', '--warmup', '1', '--repeat',
        '2', '--paths', 'cgnet_mm_bn_folded_fp32', 'cgnet_mm_fast_fp32',
        '--camvid', str(tmp_path / 'no_camvid'), '--out', str(out)])
    runpy.run_module('benchmarks.cpu_latency', run_name='__main__')
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


def run_script(tmp_path, monkeypatch, *args) -> dict:
    out = tmp_path / 'lat.json'
    monkeypatch.setattr(sys, 'argv', [
        'cpu_latency.py', '--sizes', '48x64', '--warmup', '1', '--repeat',
        '1', '--camvid', str(tmp_path / 'no_camvid'), '--out', str(out),
        *args])
    runpy.run_module('benchmarks.cpu_latency', run_name='__main__')
    return json.loads(out.read_text())


def test_openvino_rows_skipped_with_reason(tmp_path, monkeypatch):
    from cgnet_mm.deploy import openvino_export
    monkeypatch.setattr(openvino_export, 'missing_packages',
                        lambda: ['openvino', 'nncf'])
    report = run_script(tmp_path, monkeypatch, '--paths', 'openvino_fp32',
                        'openvino_nncf_int8', 'cgnet_mm_openvino_int8')
    reason = "openvino, nncf not installed: pip install 'cgnet_mm[openvino]'"
    assert report['skipped'] == dict(openvino_fp32=reason,
                                     openvino_nncf_int8=reason,
                                     cgnet_mm_openvino_int8=reason)
    assert report['results'][0]['fastest_cgnet_mm'] is None
    assert list(report['results'][0]['paths']) == ['mmseg_eager_fp32',
                                                   'cgnet_mm_eager_fp32']
    assert 'throughput' not in (tmp_path / 'lat.md').read_text().lower()
    assert f'openvino_fp32 skipped: {reason}.' in \
        (tmp_path / 'lat.md').read_text()


@pytest.mark.slow
def test_openvino_rows_and_throughput(tmp_path, monkeypatch):
    pytest.importorskip('openvino', reason='openvino not installed '
                        '(openvino extra)')
    pytest.importorskip('nncf', reason='nncf not installed (openvino extra)')
    readme = tmp_path / 'README.md'
    readme.write_text('a\n<!-- cpu-latency:start -->\nold\n'
                      '<!-- cpu-latency:end -->\nb\n'
                      '<!-- cpu-throughput:start -->\nold\n'
                      '<!-- cpu-throughput:end -->\n')
    report = run_script(tmp_path, monkeypatch, '--paths', 'openvino_fp32',
                        'openvino_nncf_int8', 'cgnet_mm_openvino_int8',
                        '--stream', '2', '--update-readme', str(readme))
    assert report['skipped'] == {}
    row = report['results'][0]
    fp32, int8, ours = (row['paths'][name] for name in (
        'openvino_fp32', 'openvino_nncf_int8', 'cgnet_mm_openvino_int8'))
    assert fp32['max_abs_diff'] <= 1e-4 and fp32['ms'] > 0
    assert int8['max_abs_diff'] > 1e-3 and int8['ms'] > 0  # quantized
    assert ours['max_abs_diff'] > 1e-3 and ours['argmax_agreement'] >= 0.9
    fastest = row['fastest_cgnet_mm']
    assert fastest['path'] in ('cgnet_mm_eager_fp32', 'cgnet_mm_openvino_int8')
    for name in ('openvino_nncf_int8', 'cgnet_mm_openvino_int8'):
        stream = row['throughput'][name]
        assert stream['images_per_s'] > 0 and stream['requests'] >= 1
    text = readme.read_text()
    latency = text.split('cpu-latency:end')[0]
    assert '| cgnet_mm_openvino_int8 |' in latency
    assert re.search(r'Fastest cgnet_mm path against openvino_nncf_int8 '
                     r'\(its time / ours\): 48x64 cgnet_mm_\w+ [\d.]+x\.',
                     latency)
    assert re.search(r'\| openvino_nncf_int8 \| [\d.]+ \| THROUGHPUT hint, '
                     r'\d+ parallel requests in \d+ streams \|', text)
    assert re.search(r'\| cgnet_mm_openvino_int8 \| [\d.]+ \| THROUGHPUT '
                     r'hint, .* streams, resize by OpenVINOSegmentor \|', text)
    assert 'old' not in text
