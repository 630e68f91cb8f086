"""The OpenVINO IR export on the shipped CamVid CGNet: fp32 and NNCF int8
held to the ONNX export's limits, the metadata in the IR, a refused export
writing nothing, and the CLI. Every family's parity runs in the shared
model tester (tests/models/base.py)."""
import json
import os
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor, shipped_checkpoint
from cgnet_mm.deploy import ExportableSegmentor, ExportError
from cgnet_mm.utils.images import DEMO_IMAGE

ov = pytest.importorskip('openvino', reason='openvino not installed '
                         '(openvino extra)')
pytest.importorskip('nncf', reason='nncf not installed (openvino extra)')

from cgnet_mm.deploy.openvino_export import (  # noqa: E402
    RT_INFO_SECTION, OpenVINOSegmentor, bin_path, compile_model,
    export_openvino, load_ir, read_metadata)
from cgnet_mm.deploy.verify import (real_looking_input,  # noqa: E402
                                    write_verified)
from cgnet_mm.tools.export import main as export_cli  # noqa: E402
from tests.utils.slow_writer import killed_after_renames  # noqa: E402


@pytest.fixture(scope='module')
def shipped():
    config, ckpt = shipped_checkpoint()
    return config, ckpt, build_segmentor(Config.fromfile(config), ckpt)


def ops(xml) -> set:
    return {op.get_type_name() for op in ov.Core().read_model(
        str(xml)).get_ops()}


@pytest.mark.slow
def test_fp32_dynamic_ir_equals_torch_and_carries_metadata(shipped,
                                                           tmp_path):
    _, _, model = shipped
    out = tmp_path / 'cgnet.xml'
    figures = export_openvino(model, str(out), (72, 96), dynamic=True,
                              metadata=dict(classes=['Sky', 'Building']))
    assert figures['max_abs_diff'] <= 1e-4
    assert figures['argmax_agreement'] >= 0.999
    assert sorted(os.listdir(tmp_path)) == ['cgnet.bin', 'cgnet.xml']
    assert 'FakeQuantize' not in ops(out)
    ir = ov.Core().read_model(str(out))
    meta = read_metadata(ir)
    assert 'BGR' in meta['preprocessing'] and meta['precision'] == 'fp32'
    assert json.loads(meta['classes']) == ['Sky', 'Building']
    wrapper = ExportableSegmentor(model)
    assert json.loads(meta['mean']) == pytest.approx(
        wrapper.mean.flatten().tolist())
    assert json.loads(meta['std']) == pytest.approx(
        wrapper.std.flatten().tolist())
    assert meta['bgr_to_rgb'] == json.dumps(wrapper.swap_rb)
    # any size, as the ONNX export with --dynamic
    image = real_looking_input((97, 131))
    logits = OpenVINOSegmentor(compile_model(ir, threads=2))(image)
    with torch.no_grad():
        assert (logits - wrapper(image)).abs().max() <= 1e-4


@pytest.mark.slow
def test_ir_without_resize_and_flip(shipped, tmp_path, capsys):
    config, ckpt, model = shipped
    out = tmp_path / 'lowres.xml'
    export_cli([config, ckpt, '--format', 'openvino', '--no-resize',
                '--shape', '72', '96', '--out', str(out)])
    assert 'argmax agreement 100.000%' in capsys.readouterr().out
    # the flip is folded into the weights, the resize left out
    assert not {'Slice', 'StridedSlice', 'Interpolate'} & ops(out)
    ir = ov.Core().read_model(str(out))
    meta = read_metadata(ir)
    assert meta['resize'] == 'false' and meta['align_corners'] == 'false'
    assert "at the head's resolution" in meta['preprocessing']
    assert meta['bgr_to_rgb'] == 'true'  # the input is still BGR
    image = real_looking_input((72, 96))
    compiled = compile_model(ir, threads=2)
    assert tuple(compiled(image.numpy())[0].shape) == (1, 11, 9, 12)
    with torch.no_grad():
        ref = ExportableSegmentor(model)(image)
    for segment in (OpenVINOSegmentor(compiled), load_ir(str(out), 2)):
        logits = segment(image)
        assert logits.shape == ref.shape
        assert (logits - ref).abs().max() <= 1e-4


@pytest.mark.slow
def test_wrapper_without_resize_is_checked_at_the_input_size(shipped,
                                                             tmp_path):
    _, _, model = shipped
    out = tmp_path / 'm.xml'
    figures = export_openvino(ExportableSegmentor(model, resize=False),
                              str(out), (40, 48), resize=False)
    assert figures['max_abs_diff'] <= 1e-4
    assert read_metadata(ov.Core().read_model(str(out)))['resize'] == 'false'


def test_load_ir_refuses_missing_and_foreign_irs(tmp_path):
    with pytest.raises(ExportError, match=r"'.*none\.xml': no OpenVINO IR "
                       r'there .*cgnet-mm export --format openvino'):
        load_ir(str(tmp_path / 'none.xml'))
    param = ov.opset13.parameter([1, 3, 8, 8], ov.Type.f32)
    foreign = tmp_path / 'foreign.xml'
    ov.save_model(ov.Model([ov.opset13.relu(param)], [param]), str(foreign))
    with pytest.raises(ExportError, match=r"'.*foreign\.xml' carries no "
                       r'cgnet_mm metadata'):
        load_ir(str(foreign))


def test_load_ir_refuses_non_ir_xml_and_truncated_bin(tmp_path):
    svg = tmp_path / 'drawing.xml'
    svg.write_text('<?xml version="1.0"?><svg><rect/></svg>')
    (tmp_path / 'drawing.bin').write_bytes(b'')
    with pytest.raises(ExportError, match=r"'.*drawing\.xml' is not an "
                       r'OpenVINO IR \(an XML file whose root is <net>\)'):
        load_ir(str(svg))
    xml = tiny_ir(tmp_path / 'ir', 2, 3)
    weights = bin_path(xml)
    with open(weights, 'rb') as f:
        data = f.read()
    with open(weights, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ExportError, match=r"OpenVINO cannot read the IR "
                       r"'.*m\.xml' with its weights '.*m\.bin' \(12 bytes\)"
                       r'.*the pair is damaged \(a truncated \.bin'):
        load_ir(xml)


@pytest.mark.slow
def test_int8_cli_with_calibration_folder(shipped, tmp_path, capsys):
    config, ckpt, _ = shipped
    folder = tmp_path / 'calibration'
    folder.mkdir()
    image = cv2.imread(DEMO_IMAGE)
    cv2.imwrite(str(folder / 'a.png'), image)
    cv2.imwrite(str(folder / 'b.png'), np.ascontiguousarray(image[:, ::-1]))
    out = tmp_path / 'ir' / 'cgnet_int8.xml'
    export_cli([config, ckpt, '--format', 'openvino', '--int8',
                '--calibration', str(folder), '--out', str(out)])
    found = re.search(r'wrote .*cgnet_int8\.xml: OpenVINO int8 IR vs torch '
                      r'max abs logit difference (\S+), argmax agreement '
                      r'(\S+)%', capsys.readouterr().out)
    assert found and float(found.group(2)) >= 97.0
    assert float(found.group(1)) > 1e-3  # really quantized
    assert sorted(os.listdir(out.parent)) == ['cgnet_int8.bin',
                                              'cgnet_int8.xml']
    assert 'FakeQuantize' in ops(out)
    meta = read_metadata(ov.Core().read_model(str(out)))
    assert meta['precision'] == 'int8'
    assert meta['config'] == 'cgnet_360x360_4k_camvid_cpu.py'
    assert json.loads(meta['classes'])[0] == 'Sky'


class _Drifting(ExportableSegmentor):
    """Adds a call counter: the graph freezes its traced value while torch
    keeps counting, so the IR silently disagrees."""
    calls = 0

    def forward(self, image):
        type(self).calls += 1
        return super().forward(image) + float(type(self).calls)


@pytest.mark.slow
def test_disagreeing_ir_is_refused_and_old_files_kept(shipped, tmp_path):
    _, _, model = shipped
    out = tmp_path / 'bad.xml'
    out.write_text('old xml')
    (tmp_path / 'bad.bin').write_text('old bin')
    with pytest.raises(ExportError, match=r'the OpenVINO fp32 IR disagrees '
                       r'with the eager model: max abs logit difference .* '
                       r'\(limit 0\.0001\), argmax agreement .*%.*'
                       r"bad\.xml' was not written"):
        export_openvino(_Drifting(model), str(out), (40, 48))
    assert out.read_text() == 'old xml'
    assert (tmp_path / 'bad.bin').read_text() == 'old bin'
    assert sorted(os.listdir(tmp_path)) == ['bad.bin', 'bad.xml']


def tiny_ir(folder, scale: float, shift: float) -> str:
    """An IR computing ``image * scale + shift`` (one constant for an old
    IR, two for a new one, so an old .xml reading a new .bin gives neither
    result), with the metadata :func:`load_ir` needs; returns its .xml."""
    image = ov.opset13.parameter([1, 3, 4, 4], ov.Type.f32)
    consts = [ov.opset13.constant(np.full((1, 3, 1, 1), v, np.float32))
              for v in (scale, shift) if v]
    node = image
    for const, op in zip(consts, (ov.opset13.multiply, ov.opset13.add)
                         if scale else (ov.opset13.add, )):
        node = op(node, const)
    model = ov.Model([node], [image])
    model.set_rt_info('false', [RT_INFO_SECTION, 'align_corners'])
    folder.mkdir()
    xml = str(folder / 'm.xml')
    ov.save_model(model, xml, compress_to_fp16=False)
    return xml


@pytest.mark.parametrize('renames', [0, 1, 2, 3])
def test_ir_replaced_by_an_export_killed_at_each_rename(tmp_path, renames):
    out = str(tmp_path / 'out' / 'm.xml')
    passed = dict(max_abs_diff=0.0, argmax_agreement=1.0)

    def write(xml):
        write_verified({xml: out, bin_path(xml): bin_path(out)}, passed,
                       'fp32')

    write(tiny_ir(tmp_path / 'old', 0, 1))
    assert killed_after_renames(
        renames, lambda: write(tiny_ir(tmp_path / 'new', 2, 3)))
    image = real_looking_input((4, 4))
    expected = image + 1 if renames == 0 else image * 2 + 3
    assert torch.equal(load_ir(out)(image), expected)
    write(tiny_ir(tmp_path / 'later', 0, 5))
    assert torch.equal(load_ir(out)(image), image + 5)
    assert sorted(os.listdir(tmp_path / 'out')) == ['m.bin', 'm.xml']
