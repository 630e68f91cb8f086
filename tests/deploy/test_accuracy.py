"""The int8 path on real data: CamVid val mIoU within 0.3 of fp32 with the
shipped weights (needs ../shared/data/camvid)."""
import pytest
from mmengine.config import Config

from cgnet_mm.apis import build_segmentor, shipped_checkpoint
from cgnet_mm.deploy import ExportableSegmentor, FastSegmentor
from cgnet_mm.deploy.accuracy import camvid_miou
from tests.helpers import shared_or_skip


@pytest.mark.slow
def test_int8_val_miou_within_0_3_of_fp32():
    root = shared_or_skip('data', 'camvid')
    pytest.importorskip('torchao', reason='torchao not installed')
    config, ckpt = shipped_checkpoint()
    model = build_segmentor(Config.fromfile(config), ckpt)
    fp32 = camvid_miou(ExportableSegmentor(model), root)
    int8 = camvid_miou(FastSegmentor(model, 'int8', f'{root}/train'), root)
    assert fp32 == pytest.approx(66.80, abs=0.01)  # the shipped figure
    assert fp32 - int8 <= 0.3, (fp32, int8)


def test_camvid_miou_missing_split(tmp_path):
    (tmp_path / 'val').mkdir()
    (tmp_path / 'valannot').mkdir()
    with pytest.raises(FileNotFoundError, match=r'no \.png/\.jpg image in'):
        camvid_miou(lambda image: image, str(tmp_path))
