import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmseg.registry import MODELS

from tests.helpers import CONFIGS

onnx = pytest.importorskip('onnx', reason='onnx not installed (deploy extra)')
ort = pytest.importorskip('onnxruntime',
                          reason='onnxruntime not installed (deploy extra)')

from cgnet_mm.deploy import (ExportableSegmentor, ExportError,  # noqa: E402
                             export_onnx)
from cgnet_mm.tools.export import main as export_cli  # noqa: E402

CONFIG = osp.join(CONFIGS, 'cgnet_360x360_37k_camvid.py')


@pytest.fixture(scope='module')
def segmentor():
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(Config.fromfile(CONFIG).model))
    model.init_weights()
    return model.eval()


def test_wrapper_equals_segmentor(segmentor):
    wrapper = ExportableSegmentor(segmentor)
    image = torch.rand(1, 3, 61, 83) * 255
    batch = segmentor.data_preprocessor(
        dict(inputs=[image[0].flip(0)], data_samples=None))  # RGB -> BGR in
    metas = [dict(img_shape=(61, 83), ori_shape=(61, 83),
                  pad_shape=(61, 83))]
    with torch.no_grad():
        ref = segmentor.encode_decode(batch['inputs'], metas)
        assert (wrapper(image.flip(1)) - ref).abs().max() < 1e-5


def test_wrapper_cannot_enter_training_mode(segmentor):
    wrapper = ExportableSegmentor(segmentor)
    with pytest.raises(RuntimeError, match='inference-only'):
        wrapper.train()
    assert not any(m.training for m in wrapper.modules())


@pytest.mark.slow
def test_dynamic_export_verified_and_annotated(segmentor, tmp_path):
    out = tmp_path / 'cgnet.onnx'
    result = export_onnx(segmentor, str(out), (72, 96), dynamic=True,
                         metadata=dict(classes=['a', 'b']))
    assert result['max_abs_diff'] <= 1e-4
    assert result['argmax_agreement'] >= 0.999
    proto = onnx.load(str(out))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert 'BGR' in meta['preprocessing'] and meta['classes'] == '["a", "b"]'
    session = ort.InferenceSession(str(out),
                                   providers=['CPUExecutionProvider'])
    logits = session.run(None, {'image': np.random.rand(
        1, 3, 97, 131).astype(np.float32) * 255})[0]
    assert logits.shape == (1, 11, 97, 131)


class _Drifting(ExportableSegmentor):
    """Adds a call counter: the graph freezes its traced value while torch
    keeps counting, so the export silently disagrees."""
    calls = 0

    def forward(self, image):
        type(self).calls += 1
        return super().forward(image) + float(type(self).calls)


@pytest.mark.slow
def test_disagreeing_export_is_refused(segmentor, tmp_path):
    out = tmp_path / 'bad.onnx'
    with pytest.raises(ExportError, match=r'max abs logit difference .* '
                       r'\(limit 0\.0001\), argmax agreement .*%.*'
                       r"bad\.onnx' was not written"):
        export_onnx(_Drifting(segmentor), str(out), (40, 48))
    assert not out.exists()


def test_cli_missing_checkpoint(tmp_path):
    with pytest.raises(SystemExit, match=r"error: checkpoint '.*none\.pth' "
                       'does not exist'):
        export_cli([CONFIG, str(tmp_path / 'none.pth'), '--out',
                    str(tmp_path / 'x.onnx')])


def test_cli_bad_shape(segmentor, tmp_path):
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': segmentor.state_dict()}, ckpt)
    with pytest.raises(SystemExit, match=r'--shape 0 360: height and width '
                       r'must lie in 8\.\.8192'):
        export_cli([CONFIG, str(ckpt), '--out', str(tmp_path / 'x.onnx'),
                    '--shape', '0', '360'])


@pytest.mark.slow
def test_cli_exports(segmentor, tmp_path, capsys):
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': segmentor.state_dict()}, ckpt)
    out = tmp_path / 'm.onnx'
    export_cli([CONFIG, str(ckpt), '--out', str(out), '--shape', '64', '80'])
    assert out.exists()
    found = re.search(r'max abs logit difference (\S+), argmax agreement '
                      r'(\S+)%', capsys.readouterr().out)
    assert float(found.group(1)) <= 1e-4 and float(found.group(2)) >= 99.9
