"""Segment images with a few lines of Python, by default with the CamVid
weights that ship inside the package (no download).

    >>> from cgnet_mm.apis import (init_segmentor, segment, draw_overlay,
    ...                            draw_legend)
    >>> model = init_segmentor()               # shipped CamVid CGNet
    >>> label = segment(model, 'street.jpg')   # (H, W) class indices
    >>> cv2.imwrite('out.png', draw_overlay('street.jpg', label, model))
    >>> cv2.imwrite('legend.png', draw_legend(model, label))

``init_segmentor(fast='int8')`` (or ``'fp32'``) gives the same functions a
CPU-optimised model (:mod:`cgnet_mm.deploy.fast`).
"""
import math
import os.path as osp
from typing import Optional

import cv2
import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.model import revert_sync_batchnorm
from mmengine.runner import load_checkpoint
from mmseg.apis import inference_model
from mmseg.registry import DATASETS, MODELS
from mmseg.utils import register_all_modules

from cgnet_mm.deploy.fast import FastSegmentor, check_mode
from cgnet_mm.utils.config import (check_checkpoint, leaf_datasets,
                                   load_config)
from cgnet_mm.utils.errors import BadValueError
from cgnet_mm.utils.images import Image, ImageError, read_bgr
from cgnet_mm.utils.zoo import (PACKAGE_DIR, MIM_DIR, cached_download,
                                find_model, verify)

DEFAULT_MODEL = 'cgnet_360x360_4k_camvid_cpu'


def shipped_checkpoint(name: str = DEFAULT_MODEL) -> tuple:
    """(config path, verified checkpoint path) of the zoo entry ``name``:
    weights that ship inside the package are hash-checked in place, those
    behind a URL are downloaded once into torch's hub cache and checked."""
    entry = find_model(name)
    weights = entry['Weights']
    if '://' in weights:
        path = cached_download(weights)
    else:
        path = osp.join(PACKAGE_DIR, weights)
        verify(path, entry.get('SHA256'), f'the zoo entry {name!r}')
    return osp.join(MIM_DIR, entry['Config']), path


def build_segmentor(cfg: Config,
                    checkpoint: Optional[str] = None) -> torch.nn.Module:
    """The config's model on CPU in eval mode (SyncBN as BN), with
    ``checkpoint``'s weights (strictly) when given. Like mmseg's
    ``init_model`` it sets ``model.cfg`` and ``model.dataset_meta``
    (classes and palette: the checkpoint's, else the config's test
    dataset's), which ``segment()``, the exporters and the fast paths read.
    """
    register_all_modules(init_default_scope=True)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    meta = {}
    if checkpoint:
        check_checkpoint(cfg, checkpoint)
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu',
                               strict=True)
        meta = ckpt.get('meta', {}).get('dataset_meta') or {}
    model.cfg = cfg
    model.dataset_meta = meta or config_dataset_meta(cfg)
    return model.eval()


def config_dataset_meta(cfg: Config) -> dict:
    """Classes and palette of the config's test dataset class (its
    ``METAINFO``), or {} when the config names none."""
    loader = cfg.get('test_dataloader') or {}
    for dataset in leaf_datasets(loader):
        kind = dataset.get('type')
        cls = DATASETS.get(kind) if isinstance(kind, str) else kind
        if cls is not None:
            info = getattr(cls, 'METAINFO', {})
            return {key: list(info[key]) for key in ('classes', 'palette')
                    if key in info}
    return {}


def check_device(device: str) -> None:
    """``device`` is one torch can allocate on here."""
    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as err:  # CPU-only torch asserts
        raise BadValueError(
            f'device {device!r} cannot be used here '
            f'({str(err).splitlines()[0]}); use --device cpu, or cuda / '
            'cuda:N on a machine with a CUDA GPU') from None


def check_resizable(model, image: np.ndarray) -> None:
    """An aspect-ratio-keeping test ``Resize`` must leave both sides at
    least one pixel; a very thin image would round one to 0 and fail
    inside cv2. mmcv scales by min(long max / long side, short max / short
    side), so the short side needs long side / (2 * long max) pixels."""
    height, width = image.shape[:2]
    for step in model.cfg.test_pipeline:
        if step['type'] == 'Resize' and step.get('keep_ratio'):
            if min(mmcv.rescale_size((width, height), step['scale'])) < 1:
                need = math.ceil(max(height, width) / (2 * max(step['scale'])))
                raise ImageError(
                    f'the image is {width}x{height}: the model\'s test '
                    f'resize to fit {step["scale"][0]}x{step["scale"][1]} '
                    f'would leave it 0 pixels on its short side, which needs '
                    f'at least {need} pixels; crop or pad it')


def init_segmentor(config: Optional[str] = None,
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   fast: Optional[str] = None,
                   calibration=None):
    """What mmseg's ``init_model`` returns, with cgnet_mm's shipped
    CamVid model as the default, the checkpoint loaded strictly, and class
    names from the config when the checkpoint has none (``init_model``
    fails on a checkpoint without ``meta``). ``config`` may also name a zoo entry
    (``init_segmentor('sgcpnet_360x360_4k_camvid_cpu')``, names as in
    ``mim search cgnet_mm``), whose verified weights are used unless
    ``checkpoint`` is given; or pass a config file and checkpoint.

    ``fast='fp32'`` or ``'int8'`` returns a :class:`FastSegmentor` for CPU
    instead; int8 calibrates on ``calibration`` (a folder or list of
    images; default: the bundled CamVid scene). A checkpoint whose class
    count, parameter names or shapes differ from the config's model is
    refused (CheckError), whether named by path or by zoo entry.
    """
    if fast is not None:
        check_mode(fast, device)
    check_device(device)
    if config is None or (isinstance(config, str)
                          and not config.endswith('.py')
                          and not osp.exists(config)):
        config, zoo_ckpt = shipped_checkpoint(config or DEFAULT_MODEL)
        checkpoint = checkpoint or zoo_ckpt
    model = build_segmentor(config if isinstance(config, Config) else
                            load_config(config), checkpoint).to(device)
    if fast is None:
        return model
    return FastSegmentor(revert_sync_batchnorm(model), fast, calibration)


def segment(model, image: Image) -> np.ndarray:
    """Per-pixel class indices (H, W) at the image's own size, from an
    mmseg model or a :class:`FastSegmentor`."""
    image = read_bgr(image)
    check_resizable(model, image)
    if isinstance(model, torch.nn.Module):
        result = inference_model(model, image)
        return result.pred_sem_seg.data[0].cpu().numpy().astype(np.uint8)
    # the config's test transforms (e.g. Resize) as inference_model applies
    # them, then logits back at the image's size as mmseg's postprocessing
    steps = [dict(t, type='LoadImageFromNDArray') if i == 0 else t
             for i, t in enumerate(model.cfg.test_pipeline)
             if t['type'] != 'LoadAnnotations']
    inputs = Compose(steps)(dict(img=image))['inputs']
    logits = model(inputs.float()[None])
    logits = F.interpolate(logits, size=image.shape[:2], mode='bilinear',
                           align_corners=model.align_corners)
    return logits.argmax(1)[0].numpy().astype(np.uint8)


def draw_overlay(image: Image, label: np.ndarray, model: torch.nn.Module,
                 alpha: float = 0.5) -> np.ndarray:
    """The image (as BGR) blended with its class colours, same size."""
    image = read_bgr(image)
    palette = np.array(model.dataset_meta['palette'], dtype=np.uint8)
    colour = palette[np.clip(label, 0, len(palette) - 1)][..., ::-1]
    return cv2.addWeighted(image, 1 - alpha, colour, alpha, 0)


def draw_legend(model: torch.nn.Module,
                label: Optional[np.ndarray] = None) -> np.ndarray:
    """Colour swatches with class names (BGR); only the classes present in
    ``label`` when it is given."""
    classes = model.dataset_meta['classes']
    palette = model.dataset_meta['palette']
    shown = [c for c in range(len(classes))
             if label is None or (label == c).any()]
    row = 22
    legend = np.full((row * len(shown) + 8, 170, 3), 255, np.uint8)
    for i, c in enumerate(shown):
        y = 4 + i * row
        bgr = tuple(int(v) for v in palette[c][::-1])
        cv2.rectangle(legend, (6, y), (26, y + row - 6), bgr, -1)
        cv2.putText(legend, classes[c], (32, y + row - 9),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return legend
