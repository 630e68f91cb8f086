"""Fast CPU paths: agreement with eager fp32 (fused fp32 <= 1e-4; int8 on
the argmax of a real photo), the one-option API, the .pt2 export, and the
errors bad options give."""
import json

import cv2
import pytest
import torch
from mmengine.config import Config
from mmseg.datasets import CityscapesDataset

from cgnet_mm.apis import (DEMO_IMAGE, build_segmentor, init_segmentor,
                           read_bgr, segment, shipped_checkpoint)
from cgnet_mm.deploy import (ExportableSegmentor, ExportError, FastPathError,
                             FastSegmentor)
from cgnet_mm.deploy.fast import calibration_images
from cgnet_mm.deploy.onnx_export import real_looking_input
from cgnet_mm.deploy.verify import check_figures
from cgnet_mm.tools.demo import main as demo_cli
from cgnet_mm.tools.export import main as export_cli
from tests.helpers import CONFIGS, save_segmentor_checkpoint

CITYSCAPES_CONFIG = f'{CONFIGS}/cgnet_512x1024_60k_cityscapes.py'
CITYSCAPES_CLASSES = list(CityscapesDataset.METAINFO['classes'])


@pytest.fixture(scope='module')
def shipped():
    config, ckpt = shipped_checkpoint()
    return build_segmentor(Config.fromfile(config), ckpt)


@pytest.fixture(scope='module')
def int8():
    pytest.importorskip('torchao', reason='torchao not installed (deploy '
                        'extra): the int8 path needs it')
    return init_segmentor(fast='int8')


@pytest.mark.slow
def test_fast_fp32_equals_eager(shipped):
    fast = FastSegmentor(shipped, 'fp32')
    image = real_looking_input((64, 96))
    with torch.no_grad():
        ref = ExportableSegmentor(shipped)(image)
    out = fast(image)
    assert out.shape == ref.shape == (1, 11, 64, 96)
    assert (out - ref).abs().max() <= 1e-4


@pytest.mark.slow
def test_int8_argmax_agreement_on_fixed_input(shipped, int8):
    image = real_looking_input((360, 480))  # the bundled photo, resized
    with torch.no_grad():
        ref = ExportableSegmentor(shipped)(image)
    out = int8(image)
    agreement = (out.argmax(1) == ref.argmax(1)).float().mean()
    assert agreement >= 0.97
    # really quantized: int8 ops in the graph, logits not bit-equal
    ops = {str(node.target) for node in int8.module.graph.nodes}
    assert any('quantize_per_tensor' in op for op in ops)
    assert (out - ref).abs().max() > 1e-3


@pytest.mark.slow
def test_api_and_segment_with_int8(int8):
    assert int8.dataset_meta['classes'][0] == 'Sky'
    assert int8.smallest_side == 9  # CGNet's deepest stride is 8
    label = segment(int8, DEMO_IMAGE)  # resized to 360x480 as the config
    reference = segment(init_segmentor(), DEMO_IMAGE)
    assert label.shape == reference.shape == (180, 240)
    assert (label == reference).mean() >= 0.97


@pytest.mark.slow
def test_export_int8_package(tmp_path, capsys, shipped):
    pytest.importorskip('torchao', reason='torchao not installed')
    config, ckpt = shipped_checkpoint()
    out = tmp_path / 'cgnet_int8.pt2'
    export_cli([config, ckpt, '--out', str(out), '--fast', 'int8',
                '--shape', '180', '240', '--dynamic'])  # the photo's size
    printed = capsys.readouterr().out
    assert 'argmax agreement' in printed and 'int8 package' in printed
    package = torch._inductor.aoti_load_package(str(out))
    assert package.get_metadata()['fast'] == 'int8'
    assert 'BGR' in package.get_metadata()['preprocessing']
    image = real_looking_input((200, 264))  # a size it was not checked at
    with torch.no_grad():
        ref = ExportableSegmentor(shipped)(image)
        logits = package(image)
    assert logits.shape == (1, 11, 200, 264)
    assert (logits.argmax(1) == ref.argmax(1)).float().mean() >= 0.95


def test_package_limits():
    good = dict(max_abs_diff=0.5, argmax_agreement=0.99)
    check_figures(good, 'int8', 'x.pt2')
    with pytest.raises(ExportError, match=r'max abs logit difference 0.5 '
                       r'\(limit 0.0001\).*x.pt2.*not written'):
        check_figures(good, 'fp32', 'x.pt2')
    with pytest.raises(ExportError, match=r'argmax agreement 90.000% '
                       r'\(limit 97%\)'):
        check_figures(dict(max_abs_diff=0.5, argmax_agreement=0.9), 'int8',
                      'x.pt2')


def test_bad_fast_options(tmp_path):
    with pytest.raises(FastPathError, match="fast='fp16' is not a fast CPU "
                       'path; choose one of fp32, int8'):
        init_segmentor(fast='fp16')
    with pytest.raises(FastPathError, match="device is 'cuda:0'"):
        init_segmentor(fast='int8', device='cuda:0')
    with pytest.raises(FastPathError, match='does not exist'):
        calibration_images(str(tmp_path / 'missing'))
    with pytest.raises(FastPathError, match='holds no images'):
        calibration_images(str(tmp_path))
    with pytest.raises(SystemExit, match='2'):
        demo_cli(['--fast', 'fp16'])


def test_export_fast_wants_pt2_name(tmp_path):
    config, ckpt = shipped_checkpoint()
    with pytest.raises(SystemExit, match=r'must end in\s+\.pt2'):
        export_cli([config, ckpt, '--out', str(tmp_path / 'm.onnx'),
                    '--fast', 'fp32'])
    assert not (tmp_path / 'm.onnx').exists()
    with pytest.raises(SystemExit, match='does not exist'):
        export_cli([config, str(tmp_path / 'none.pth'), '--out',
                    str(tmp_path / 'm.pt2'), '--fast', 'fp32'])


@pytest.fixture(scope='module')
def cityscapes_checkpoint(tmp_path_factory):
    """A Cityscapes CGNet checkpoint with random weights and, like a
    converted or trained one, no class names in it."""
    path = tmp_path_factory.mktemp('cityscapes') / 'cgnet.pth'
    return save_segmentor_checkpoint(CITYSCAPES_CONFIG, path)


@pytest.mark.slow
def test_segment_with_fast_cityscapes_model(cityscapes_checkpoint):
    """A fast model built as the exporters build theirs has the config's
    classes and test pipeline, so segment() runs on it (build_segmentor
    once set neither and a Cityscapes model had classes=[])."""
    cfg = Config.fromfile(CITYSCAPES_CONFIG)
    resize = next(t for t in cfg.test_pipeline if t['type'] == 'Resize')
    resize['scale'] = (512, 256)  # a quarter of the test size: a fast test
    eager = build_segmentor(cfg, cityscapes_checkpoint)
    fast = FastSegmentor(eager, 'fp32')
    assert fast.dataset_meta['classes'] == CITYSCAPES_CLASSES
    assert len(fast.dataset_meta['palette']) == 19
    image = cv2.resize(read_bgr(DEMO_IMAGE), (256, 128))
    label = segment(fast, image)
    assert label.shape == image.shape[:2]
    assert label.max() < 19
    assert (label == segment(eager, image)).mean() >= 0.99


@pytest.mark.slow
def test_cityscapes_export_lists_its_classes(cityscapes_checkpoint,
                                             tmp_path):
    onnx = pytest.importorskip('onnx', reason='onnx not installed (deploy '
                               'extra)')
    out = tmp_path / 'cityscapes.onnx'
    export_cli([CITYSCAPES_CONFIG, cityscapes_checkpoint, '--out', str(out),
                '--shape', '64', '128'])
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(meta['classes']) == CITYSCAPES_CLASSES
