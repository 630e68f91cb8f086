"""Helpers and constants the tests share (fixtures and hooks stay in
conftest.py): paths, synthetic datasets, tiny configs, model set-up, a
local HTTP server, and the record of bad-input cases."""
import contextlib
import functools
import http.server
import os
import os.path as osp
import re
import threading
from typing import Dict, List

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from cgnet_mm.utils.atomic import write_text
from cgnet_mm.utils.zoo import PACKAGE_DIR, load_index

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = osp.join(osp.dirname(REPO), 'shared')
CONFIGS = osp.join(REPO, 'configs')

# CGRSeg's DPG head starts its last conv at zero (as the authors'): on the
# first step nothing before it gets a gradient
NO_GRAD_AT_INIT = {
    'cgnet_mm.CGRSegHead': (
        'decode_head.dpg.channel_mul_conv.0.bias',
        'decode_head.dpg.channel_mul_conv.0.weight',
        'decode_head.dpg.channel_mul_conv.1.bias',
        'decode_head.dpg.channel_mul_conv.1.weight',
        'decode_head.dpg.conv_mask.bias', 'decode_head.dpg.conv_mask.weight',
        'decode_head.linear_fuse.bn.bias', 'decode_head.linear_fuse.bn.weight',
        'decode_head.linear_fuse.conv.weight'),
}


def shared_or_skip(*parts: str) -> str:
    path = osp.join(SHARED, *parts)
    if not osp.exists(path):
        pytest.skip(f'{path} not found: ../shared is only beside the '
                    'project\'s own checkout')
    return path


def shipped_zoo_names() -> List[str]:
    """Zoo entries whose weights ship inside the package (the file is
    there), sorted."""
    return sorted(
        name for name, entry in load_index().items()
        if '://' not in entry.get('Weights', '://')
        and osp.isfile(osp.join(PACKAGE_DIR, entry['Weights'])))


# --- models --------------------------------------------------------------

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


def seeded_model(cfg, seed: int = 0) -> torch.nn.Module:
    """The config's model with its own (seeded) initialisation, BN instead
    of SyncBN, in eval mode: predictions vary over the image, so views of
    TTA can disagree."""
    torch.manual_seed(seed)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    model.init_weights()
    return model.eval()


def params_without_grad(model: torch.nn.Module, num_classes: int,
                        size=(64, 64)) -> list:
    """One training loss on two random images (labels with an ignored
    band), backpropagated; the names of trainable parameters that got no
    (or an all-zero) gradient. The loss must be finite."""
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


def save_segmentor_checkpoint(config: str, path) -> str:
    """A checkpoint of ``config``'s model with random weights."""
    model = MODELS.build(Config.fromfile(config).model)
    torch.save({'state_dict': model.state_dict()}, str(path))
    return str(path)


class RunsCode:
    """Pickles as a call of ``os.makedirs(marker)``: a checkpoint carrying
    it would create ``marker`` if it were ever unpickled unsafely."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.makedirs, (self.marker, ))


def save_evil_checkpoint(path, marker) -> str:
    torch.save(dict(state_dict={'w': torch.ones(1)},
                    payload=RunsCode(marker)), str(path))
    return str(path)


# --- synthetic datasets and tiny configs -----------------------------------

def make_cityscapes(root: str, cities=('aachen', ), per_split: int = 2,
                    size=(64, 128), seed: int = 0) -> str:
    """A tiny synthetic dataset in the Cityscapes layout: random images and
    19-class labels with an ignored (255) border."""
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


def tiny_train_config(base: str, root: str, crop, scale, batch: int = 2,
                      workers: int = 0) -> str:
    """Config text: a child of ``base`` training on the tiny set at ``root``
    (random resize around ``scale`` (W, H), ``crop`` crops, flip),
    ``batch`` images a step, ``workers`` loader processes."""
    return f"""
_base_ = [{base!r}]
data_root = {root!r}
crop_size = {tuple(crop)!r}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale={tuple(scale)!r}, ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size={batch}, num_workers={workers}, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
"""


def tiny_camvid_config(base: str, root: str) -> str:
    """Config text: a child of the CamVid config ``base`` training on
    make_camvid's images at ``root``: 32x32 crops, batch 2, no workers, no
    validation."""
    return tiny_train_config(base, root, (32, 32), (64, 48)) + (
        'val_dataloader = None\nval_cfg = None\nval_evaluator = None\n')


# config text testing make_cityscapes' images at their own size in the main
# process (the config sets data_root)
TINY_CITYSCAPES_TEST = """
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root=data_root,
                                    pipeline=test_pipeline))
"""

# a child of a config reading ``root`` in the main process
LOADER_CHILD = """_base_ = [{base!r}]
data_root = {root!r}
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
"""


def child_config(tmp_path, base: str, root: str) -> str:
    """A config of ``base`` (a name in configs/) reading ``root``, in the
    main process."""
    path = tmp_path / f'{osp.splitext(base)[0]}_tiny.py'
    path.write_text(LOADER_CHILD.format(base=osp.join(CONFIGS, base),
                                        root=root))
    return str(path)


# --- a local HTTP server -----------------------------------------------------

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


# --- bad inputs: each case's test records its command and message here,
# and the session writes them to docs/bad_inputs.md (conftest.py) ----------

BAD_INPUTS_DOC = osp.join(REPO, 'docs', 'bad_inputs.md')
BAD_INPUTS_HEAD = """\
# Bad inputs and what the tools answer

Generated by the tests that check each case (the `bad_input` fixture in
`tests/conftest.py`); do not edit by hand: `pytest -m bad_input tests`
runs them all and rewrites this file. Each tool prints exactly one `error:`
line (a few add the expected layout below it) and exits with status 2;
under `mim` the same line comes first, then mim's `CalledProcessError`.
`<tmp>` is the test's temporary folder, `<repo>` the checkout.

| Case | Command | Answer |
| --- | --- | --- |
"""
RECORDED: Dict[str, tuple] = {}


def _cell(text: str, code: bool = False) -> str:
    text = text.replace('|', '\\|').replace('\n', '<br>')
    return text if code else text.replace('*', '\\*')


def _normalise(text: str, tmp: str) -> str:
    text = re.sub(r'127\.0\.0\.1:\d+', '127.0.0.1:<port>', text)
    return text.replace(tmp, '<tmp>').replace(REPO, '<repo>')


def _read_rows(path: str) -> dict:
    rows = {}
    if osp.isfile(path):
        with open(path) as f:
            for line in f:
                if line.startswith('| ') and not line.startswith(
                        ('| Case ', '| --- ')):
                    rows[line.split(' | ')[0][2:]] = line
    return rows


def record_bad_input(case: str, command: str, answer: str, tmp) -> None:
    """Adds a row to docs/bad_inputs.md (``tmp`` is replaced by <tmp>); a
    test calling this without the ``bad_input`` fixture carries the
    ``bad_input`` mark."""
    tmp = str(tmp)
    RECORDED[case] = (_normalise(command, tmp), _normalise(answer, tmp))


def write_bad_inputs_doc(complete: bool) -> None:
    """Writes the recorded cases into docs/bad_inputs.md: only them when
    ``complete`` (every case ran and passed), else merged into the rows
    there."""
    rows = {} if complete else _read_rows(BAD_INPUTS_DOC)
    for case, (command, answer) in RECORDED.items():
        rows[_cell(case)] = (f'| {_cell(case)} | '
                             f'`{_cell(command, code=True)}` | '
                             f'{_cell(answer)} |\n')
    text = BAD_INPUTS_HEAD + ''.join(rows[k] for k in sorted(rows))
    old = open(BAD_INPUTS_DOC).read() if osp.isfile(BAD_INPUTS_DOC) else ''
    if text != old:
        write_text(BAD_INPUTS_DOC, text)


def tool_name(main) -> str:
    """``demo`` for cgnet_mm.tools.demo.main; '' for the dispatcher."""
    name = main.__module__.rsplit('.', 1)[1].replace('_', '-')
    return '' if name == 'cli' else name
