"""Bad inputs of ``cgnet-mm demo``: each is one error line, exit status 2,
before the model runs (docs/bad_inputs.md)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from cgnet_mm.apis import DEMO_IMAGE
from cgnet_mm.tools.demo import main
from cgnet_mm.utils.zoo import sha256_of
from tests.helpers import (CONFIGS, record_bad_input, save_evil_checkpoint,
                           save_segmentor_checkpoint)

CAMVID = osp.join(CONFIGS, 'cgnet_360x360_4k_camvid_cpu.py')
CITYSCAPES = osp.join(CONFIGS, 'cgnet_512x1024_60k_cityscapes.py')


def test_zero_byte_jpg(bad_input, tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    bad_input('demo: a zero-byte .jpg', main,
              [tmp_path / 'empty.jpg', '--out', tmp_path / 'o.png'],
              r"error: image '.*empty\.jpg' is empty \(0 bytes\)")


def test_truncated_jpg(bad_input, tmp_path):
    data = open(DEMO_IMAGE, 'rb').read()
    (tmp_path / 'cut.jpg').write_bytes(data[:len(data) // 2])
    bad_input('demo: a truncated .jpg', main,
              [tmp_path / 'cut.jpg', '--out', tmp_path / 'o.png'],
              r"error: image '.*cut\.jpg' is truncated \(no JPEG end marker")


def test_out_without_extension(bad_input, tmp_path):
    bad_input('demo: --out without an extension', main,
              ['--out', tmp_path / 'result'],
              r"error: --out '.*result' has no image extension cv2 can "
              r"write; use e.g. .*result\.png")
    assert os.listdir(tmp_path) == []


def test_out_in_unwritable_folder(bad_input, tmp_path):
    (tmp_path / 'file').write_text('')
    bad_input('demo: --out inside a file (unwritable folder)', main,
              ['--out', tmp_path / 'file' / 'o.png'],
              r"error: cannot write to '.*file': '.*file' is a file, not a "
              "folder; choose another place for 'o.png'")


def test_config_without_checkpoint(bad_input):
    bad_input('demo: --config without --checkpoint', main,
              ['--config', CAMVID],
              'error: --config and --checkpoint go together')


def test_model_with_config(bad_input, tmp_path):
    ckpt = save_segmentor_checkpoint(CAMVID, tmp_path / 'camvid.pth')
    bad_input('demo: --model together with --config/--checkpoint', main,
              ['--model', 'cgnet_360x360_4k_camvid_cpu', '--config', CAMVID,
               '--checkpoint', ckpt, '--out', tmp_path / 'o.png'],
              'error: --model and --config/--checkpoint exclude each other; '
              'give one')


def test_unknown_model_name(bad_input, tmp_path):
    bad_input('demo: an unknown --model name', main,
              ['--model', 'cgnet_camvid', '--out', tmp_path / 'o.png'],
              r"error: no model called 'cgnet_camvid' in the cgnet_mm zoo; "
              r'known: .*cgnet_360x360_4k_camvid_cpu')
    assert not osp.exists(tmp_path / 'o.png')


def test_checkpoint_of_other_class_count(bad_input, tmp_path):
    ckpt = save_segmentor_checkpoint(CITYSCAPES, tmp_path / 'city19.pth')
    bad_input('demo: a 19-class checkpoint with an 11-class config', main,
              ['--config', CAMVID, '--checkpoint', ckpt,
               '--out', tmp_path / 'o.png'],
              r"error: checkpoint '.*city19\.pth' predicts 19 classes but "
              r'the config sets model\.decode_head\.num_classes=11; use the '
              'config the checkpoint was trained with')
    assert not osp.exists(tmp_path / 'o.png')


def test_refused_url_leaves_no_cached_file(bad_input, http_folder,
                                           tmp_path, monkeypatch):
    root, base = http_folder
    marker = 'cgnet_mm_code_ran'  # relative: the file's hash stays fixed
    evil = save_evil_checkpoint(root / 'tmp.pth', marker)
    name = f'evil-{sha256_of(evil)[:8]}.pth'
    os.rename(evil, root / name)
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    bad_input('demo: a code-carrying checkpoint from a URL', main,
              ['--config', CAMVID, '--checkpoint', f'{base}/{name}',
               '--out', tmp_path / 'o.png'],
              r"error: refused to load checkpoint '.*evil-\w{8}\.pth': its "
              r"pickle asks for '(posix|os)\.makedirs'")
    assert not osp.exists(marker)
    assert os.listdir(tmp_path / 'hub' / 'checkpoints') == []


@pytest.mark.bad_input
def test_16_bit_png_is_scaled(tmp_path, capsys):
    image = cv2.imread(DEMO_IMAGE).astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / 'deep.png'), image)
    main([str(tmp_path / 'deep.png'), '--out', str(tmp_path / 'o.png')])
    main([DEMO_IMAGE, '--out', str(tmp_path / 'o8.png')])
    assert np.array_equal(cv2.imread(str(tmp_path / 'o.png')),
                          cv2.imread(str(tmp_path / 'o8.png')))
    out = [line for line in capsys.readouterr().out.splitlines()
           if line.startswith('wrote')][0]
    record_bad_input('demo: a 16-bit PNG (scaled to 8 bit, no error)',
                     f'cgnet-mm demo {tmp_path}/deep.png --out {tmp_path}/'
                     'o.png', out, tmp_path)


def test_too_thin_image(bad_input, tmp_path):
    cv2.imwrite(str(tmp_path / 'thin.png'), np.zeros((2, 6000, 3), np.uint8))
    bad_input('demo: a 6000x2 image', main,
              [tmp_path / 'thin.png', '--out', tmp_path / 'o.png'],
              r"error: the image is 6000x2: the model's test resize to fit "
              r'480x360 would leave it 0 pixels on its short side, which '
              'needs at least 7 pixels; crop or pad it')
    assert os.listdir(tmp_path) == ['thin.png']


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is available')
def test_cuda_device_without_cuda(bad_input, tmp_path):
    bad_input('demo: --device cuda on a machine without CUDA', main,
              ['--device', 'cuda', '--out', tmp_path / 'o.png'],
              r"error: device 'cuda' cannot be used here \(.*\); use "
              '--device cpu, or cuda / cuda:N on a machine with a CUDA GPU')
