"""Fast CPU inference for cgnet_mm segmentors (CGNet, SGCPNet), selected by
one option. The CGNet-specific rewrites below (injection pools, their fp32
exemption in int8) are skipped for models without them.

``fast='fp32'``: BN folded into the convolutions, the input-injection
pools as depthwise convolutions (which keeps the stage concatenations
channels-last), channels-last memory and torch.compile (inductor with
freezing: weights prepacked for oneDNN, elementwise ops such as PReLU, the
residual add and the context re-weighting fused into generated kernels).
Logits stay within 1e-4 of eager.

``fast='int8'``: the same graph with static int8 quantization (torchao's
PT2E flow with the x86 inductor quantizer: per-channel int8 weights,
uint8 activations calibrated on real images) compiled the same way, so
the convolutions run as oneDNN int8 kernels (AVX512-VNNI/AMX where the
CPU has them). The convolutions that see the normalized image (the first
one and the injection pools) and the context FC layers stay fp32: they
cost little time and carried most of the quantization error.

bf16 and onnxruntime were measured too and kept out (docs/deployment.md).
"""
import logging
import os
import os.path as osp
from typing import List, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from cgnet_mm.utils.errors import UserError
from cgnet_mm.utils.images import DEMO_IMAGE, read_bgr

from .fuse import fold_batchnorm, pools_as_convs
from .modes import FAST_MODES
from .wrapper import ExportableSegmentor, as_input

CALIBRATION_IMAGES = 16
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')

Calibration = Union[None, str, Sequence[Union[str, np.ndarray]]]


class FastPathError(UserError, ValueError):
    """A fast path was asked for with an unusable option or input."""


def check_mode(mode: str, device: str = 'cpu') -> str:
    """``mode`` if it names a fast path usable on ``device``."""
    if mode not in FAST_MODES:
        raise FastPathError(f'fast={mode!r} is not a fast CPU path; choose '
                            f'one of {", ".join(FAST_MODES)}')
    if not str(device).startswith('cpu'):
        raise FastPathError(f'fast={mode!r} is a CPU path but device is '
                            f'{device!r}; use device="cpu" or leave fast '
                            'unset on a GPU')
    return mode


def _import_pt2e():
    """torchao's PT2E quantization API. Importing torchao on a CPU-only
    torch logs that its CUDA kernels cannot load; those warnings are muted
    here since only its CPU quantization flow is used."""
    loggers = [logging.getLogger(name)
               for name in ('torchao', 'torch.utils._pytree')]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.ERROR)
    try:
        from torchao.quantization.pt2e.quantize_pt2e import (convert_pt2e,
                                                             prepare_pt2e)
        from torchao.quantization.pt2e.quantizer import \
            x86_inductor_quantizer as x86
    except ImportError as err:
        raise FastPathError(
            f"fast='int8' needs torchao ({err}): pip install "
            "'cgnet_mm[deploy]' (scripts/setup.sh installs it)") from err
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)
    return prepare_pt2e, convert_pt2e, x86


def calibration_images(source: Calibration = None,
                       count: int = CALIBRATION_IMAGES) -> List[np.ndarray]:
    """BGR uint8 images to calibrate int8 activations on: ``count`` files
    spread evenly over a folder, a list of paths or arrays, or (None) the
    bundled CamVid scene and its mirror image."""
    if source is None:
        image = read_bgr(DEMO_IMAGE)
        return [image, np.ascontiguousarray(image[:, ::-1])]
    if isinstance(source, str):
        if not osp.isdir(source):
            raise FastPathError(f'calibration folder {source!r} does not '
                                'exist; give a folder of images like the '
                                'ones the model will see')
        files = sorted(f for f in os.listdir(source)
                       if f.lower().endswith(IMAGE_EXTENSIONS))
        if not files:
            raise FastPathError(f'calibration folder {source!r} holds no '
                                f'images ({", ".join(IMAGE_EXTENSIONS)})')
        step = max(1, len(files) // count)
        source = [osp.join(source, f) for f in files[::step][:count]]
    if len(source) == 0:
        raise FastPathError('calibration is an empty list; give images, a '
                            'folder, or None for the bundled scene')
    return [read_bgr(item) for item in source]


def dynamic_hw() -> dict:
    """torch.export's dynamic_shapes for any image height and width."""
    dim = torch.export.Dim.DYNAMIC
    return {'image': {2: dim, 3: dim}}


@torch.no_grad()
def smallest_side(model: nn.Module, sample: torch.Tensor) -> int:
    """The smallest image side a graph captured with dynamic height and
    width on ``sample`` runs: torch.export specialises a feature map side of
    1 px, so every (non-global) feature map must keep >= 2 px, i.e. sides
    must exceed the deepest stride (128 for SGCPNet's P7, 8 for CGNet).
    The stride is measured on ``sample`` and rounded up to a power of two."""
    ratios = []

    def record(module, inputs, output):
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            ratios.extend(size / side for size, side in
                          zip(sample.shape[2:], output.shape[2:]) if side > 1)

    hooks = [m.register_forward_hook(record) for m in model.modules()]
    try:
        model(sample)
    finally:
        for hook in hooks:
            hook.remove()
    return 2**int(np.ceil(np.log2(max(ratios)))) + 1


@torch.no_grad()
def quantize_int8(model: ExportableSegmentor,
                  images: Sequence[np.ndarray]) -> nn.Module:
    """``model`` with static int8 quantization, calibrated on ``images``
    (any sizes: the graph is captured with dynamic height and width)."""
    prepare_pt2e, convert_pt2e, x86 = _import_pt2e()
    samples = [as_input(image) for image in images]
    graph = torch.export.export(model, (samples[0], ),
                                dynamic_shapes=dynamic_hw()).module()
    quantizer = x86.X86InductorQuantizer()
    quantizer.set_global(x86.get_default_x86_inductor_quantization_config())
    quantizer.set_module_type_qconfig(nn.Linear, None)
    convs = [name for name, module in model.named_modules()
             if isinstance(module, nn.Conv2d)]
    for name in convs[:1] + [n for n in convs if '.inject_' in n]:
        quantizer.set_module_name_qconfig(name, None)  # they see the image
    prepared = prepare_pt2e(graph, quantizer)
    for sample in samples:
        prepared(sample)
    quantized = convert_pt2e(prepared)
    quantized.smallest_side = smallest_side(model, samples[0])
    return quantized


def fast_module(segmentor: nn.Module, mode: str,
                calibration: Calibration = None) -> nn.Module:
    """The uncompiled graph of a fast path: image (BGR, 0-255, NCHW) ->
    logits, channels-last. Compile it (:class:`FastSegmentor`) or export
    it (:func:`cgnet_mm.deploy.export_pt2`)."""
    check_mode(mode)
    model = ExportableSegmentor(pools_as_convs(fold_batchnorm(segmentor)))
    if mode == 'int8':
        model = quantize_int8(model, calibration_images(calibration))
    return model.to(memory_format=torch.channels_last)


class FastSegmentor:
    """A segmentor compiled for CPU inference; call it like
    :class:`ExportableSegmentor` (BGR float image (N, 3, H, W), 0-255 ->
    logits at the input size). Each new input size compiles once (~10-30 s
    on 2 cores; inductor caches kernels on disk between runs).

    Keeps ``cfg`` and ``dataset_meta`` so :mod:`cgnet_mm.apis` can use it
    where it takes a model.
    """

    def __init__(self, segmentor: nn.Module, mode: str,
                 calibration: Calibration = None):
        self.module = fast_module(segmentor, mode, calibration)
        self.mode = mode
        self.cfg = getattr(segmentor, 'cfg', None)
        self.dataset_meta = getattr(segmentor, 'dataset_meta', {})
        self.align_corners = segmentor.decode_head.align_corners
        self.smallest_side = getattr(self.module, 'smallest_side', 1)
        self._compiled = torch.compile(self.module, dynamic=False)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if min(image.shape[2:]) < self.smallest_side:
            raise FastPathError(
                f'fast={self.mode!r} runs images whose sides are at least '
                f'{self.smallest_side} px for this model; this one is '
                f'{image.shape[2]}x{image.shape[3]}. Resize it up, or use '
                "fast='fp32', which takes any size")
        # freezing is read when a new size compiles; as a torch.compile
        # option it comes too late for the int8 weight prepacking. Imported
        # here: inductor costs seconds to import and only this path needs it
        from torch._inductor import config as inductor_config
        with torch.no_grad(), inductor_config.patch(freezing=True):
            return self._compiled(
                image.contiguous(memory_format=torch.channels_last))

    def __repr__(self) -> str:
        return f'FastSegmentor(mode={self.mode!r})'
