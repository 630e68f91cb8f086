import contextlib
import functools
import http.server
import os
import os.path as osp
import threading

import numpy as np
import pytest
import torch
from mmseg.utils import register_all_modules

import cgnet_mm  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO), 'shared')
CONFIGS = osp.join(REPO, 'configs')

# configs name mmseg's modules without a scope, as `mim train` resolves them
register_all_modules(init_default_scope=True)


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights *and* BN statistics, so parity tests see every
    parameter and buffer, then eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.rand(tensor.shape, generator=gen)
                if name.endswith('running_var'):
                    tensor.copy_(0.5 + values)
                else:
                    tensor.copy_((values - 0.5) * 0.5)
    model.eval()
    return model


def make_cityscapes(root: str, cities=('aachen', ), per_split: int = 2,
                    size=(64, 128), seed: int = 0) -> str:
    """A tiny synthetic dataset in the Cityscapes layout: random images and
    19-class labels with an ignored (255) border."""
    import cv2
    rng = np.random.default_rng(seed)
    h, w = size
    for split in ('train', 'val'):
        for city in cities:
            img_dir = osp.join(root, 'leftImg8bit', split, city)
            ann_dir = osp.join(root, 'gtFine', split, city)
            os.makedirs(img_dir, exist_ok=True)
            os.makedirs(ann_dir, exist_ok=True)
            for i in range(per_split):
                stem = f'{city}_{i:06d}_000019'
                label = np.repeat(
                    rng.integers(0, 19, size=(h // 8, w // 8)), 8, axis=0)
                label = np.repeat(label, 8, axis=1).astype(np.uint8)
                label[:4] = 255
                img = (label[..., None] * 12 + rng.integers(
                    0, 30, size=(h, w, 3))).astype(np.uint8)
                cv2.imwrite(osp.join(img_dir, f'{stem}_leftImg8bit.png'), img)
                cv2.imwrite(
                    osp.join(ann_dir, f'{stem}_gtFine_labelTrainIds.png'),
                    label)
    return root


def make_camvid(root: str, splits=('train', 'val'), per_split: int = 3,
                size=(36, 48), ext: str = '.png', seed: int = 0) -> str:
    """A tiny synthetic CamVid in the SegNet layout: classes 0-10 and void
    (11) in every label map."""
    import cv2
    rng = np.random.default_rng(seed)
    for split in splits:
        os.makedirs(osp.join(root, split), exist_ok=True)
        os.makedirs(osp.join(root, split + 'annot'), exist_ok=True)
        for i in range(per_split):
            label = rng.integers(0, 12, size=size).astype(np.uint8)
            img = rng.integers(0, 255, size=(*size, 3)).astype(np.uint8)
            cv2.imwrite(osp.join(root, split, f'seq_{i:04d}{ext}'), img)
            cv2.imwrite(osp.join(root, split + 'annot', f'seq_{i:04d}.png'),
                        label)
    return root


@pytest.fixture
def camvid(tmp_path):
    return make_camvid(str(tmp_path / 'camvid'))


@pytest.fixture
def cityscapes(tmp_path):
    return make_cityscapes(str(tmp_path / 'cityscapes'))


def shared_or_skip(*parts: str) -> str:
    path = osp.join(SHARED, *parts)
    if not osp.exists(path):
        pytest.skip(f'{path} not found: ../shared is only beside the '
                    'project\'s own checkout')
    return path


@contextlib.contextmanager
def serve_directory(root: str):
    """An HTTP server on 127.0.0.1 (a free port) serving ``root``; yields
    its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}'
    finally:
        server.shutdown()
        server.server_close()


def params_without_grad(model: torch.nn.Module, num_classes: int,
                        size=(64, 64)) -> list:
    """One training loss on two random images (labels with an ignored
    band), backpropagated; the names of trainable parameters that got no
    (or an all-zero) gradient. The loss must be finite."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model.train()
    samples = []
    for _ in range(2):
        label = torch.randint(0, num_classes, (1, *size))
        label[:, :5] = 255
        sample = SegDataSample(gt_sem_seg=PixelData(data=label))
        sample.set_metainfo(dict(img_shape=size, ori_shape=size,
                                 pad_shape=size))
        samples.append(sample)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, *size), dtype=torch.uint8)
                     for _ in samples],
             data_samples=samples), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    return [n for n, p in model.named_parameters()
            if p.requires_grad and (p.grad is None or
                                    not torch.any(p.grad != 0))]
