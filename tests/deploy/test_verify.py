"""write_verified: the check comes before any write, and a passed model's
files are moved into place whole."""
import os

import pytest

from cgnet_mm.deploy.verify import ExportError, write_verified

PASSED = dict(max_abs_diff=5e-5, argmax_agreement=0.9995)


def written(folder, name: str, data: bytes) -> str:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return str(path)


def test_refused_model_writes_nothing(tmp_path):
    out = tmp_path / 'm.onnx'
    out.write_bytes(b'old')
    source = written(tmp_path / 'export', 'model.onnx', b'new')
    with pytest.raises(ExportError, match=(
            r"^onnxruntime disagrees with torch: max abs logit difference "
            r"0\.002 \(limit 0\.0001\), argmax agreement 99\.950% \(limit "
            r"99\.9%\); '.*m\.onnx' was not written$")):
        write_verified({source: str(out)},
                       dict(max_abs_diff=2e-3, argmax_agreement=0.9995),
                       'fp32', what='onnxruntime', against='torch')
    assert out.read_bytes() == b'old'
    assert os.path.isfile(source)
    assert sorted(os.listdir(tmp_path)) == ['export', 'm.onnx']


def test_int8_held_to_agreement_only(tmp_path):
    source = written(tmp_path / 'export', 'model.pt2', b'int8')
    write_verified({source: str(tmp_path / 'm.pt2')},
                   dict(max_abs_diff=0.5, argmax_agreement=0.98), 'int8')
    assert (tmp_path / 'm.pt2').read_bytes() == b'int8'
    assert not os.path.exists(source)


def test_pair_written_together(tmp_path):
    out = tmp_path / 'ir'
    xml = written(tmp_path / 'export', 'model.xml', b'xml')
    weights = written(tmp_path / 'export', 'model.bin', b'bin')
    write_verified({xml: str(out / 'm.xml'), weights: str(out / 'm.bin')},
                   PASSED, 'fp32', what='the OpenVINO fp32 IR')
    assert (out / 'm.xml').read_bytes() == b'xml'
    assert (out / 'm.bin').read_bytes() == b'bin'
    assert sorted(os.listdir(out)) == ['m.bin', 'm.xml']
    assert os.listdir(tmp_path / 'export') == []
