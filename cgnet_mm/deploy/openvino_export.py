"""OpenVINO IR export that checks its own output, and the compiled OpenVINO
model as an image -> logits callable (for the benchmark and the check).

The IR is the whole segmentor (preprocessing included, the ONNX export's
input and output), converted from the ONNX graph :func:`onnx_graph` writes
by OpenVINO's ONNX frontend, with two changes that OpenVINO rewards
(:func:`deploy_graph`): a CGNet's BGR->RGB flip folded into the weights
(exact), and optionally (``resize=False``) no final resize: the IR then
outputs logits at the head's resolution, which
:class:`OpenVINOSegmentor` resizes (:func:`resize_logits`). Measured on
2 cores at 1024x2048, OpenVINO spends ~22-26 ms in that bilinear
``Interpolate`` and ~14-17 ms reordering its output to NCHW, OpenCV
~7-8 ms in all (docs/deployment.md). We go through ONNX rather than
``openvino.convert_model`` on the torch module because that ONNX graph is
the one every family's parity test already holds to 1e-4 against torch,
and a file format decouples OpenVINO from the torch version: OpenVINO's
PyTorch frontend traces the module with TorchScript, whose support trails
new torch releases.

``int8``: NNCF's post-training quantization (``nncf.quantize``, default
preset) calibrated on images, the flow a deployment engineer would use.
Before anything is written the IR is saved, read back, compiled for CPU in
fp32 precision and compared with torch on a real-looking image, with the
limits of the other exports (:mod:`.verify`): fp32 within 1e-4 and
>= 99.9% argmax agreement, int8 >= 97% argmax agreement. The .xml and .bin
then replace the old pair together
(:func:`~cgnet_mm.utils.atomic.atomic_paths`: a kill at any instant leaves
the old pair or the new one, which :func:`load_ir` finds).
"""
import copy
import json
import logging
import os.path as osp
import tempfile
from importlib.util import find_spec
from typing import Dict, List, Optional, Sequence
from xml.etree import ElementTree

import cv2
import numpy as np
import torch

from cgnet_mm.utils.atomic import check_writable, current_paths

from .fast import Calibration, calibration_images
from .fuse import fold_bgr_to_rgb
from .onnx_export import as_exportable, onnx_graph
from .verify import (PREPROCESSING, ExportError, real_looking_input,
                     worst_figures, write_verified)
from .wrapper import ExportableSegmentor, agreement, as_input, resize_logits

# what the IR needs: openvino itself, nncf for int8, and the ONNX
# exporter the IR is converted from
OPENVINO_PACKAGES = ('openvino', 'nncf', 'onnx', 'onnxscript')
RT_INFO_SECTION = 'cgnet_mm'
HINTS = ('LATENCY', 'THROUGHPUT')


def missing_packages() -> List[str]:
    """Those of :data:`OPENVINO_PACKAGES` that are not installed."""
    return [name for name in OPENVINO_PACKAGES if find_spec(name) is None]


def _import_openvino():
    missing = missing_packages()
    if missing:
        raise ExportError(
            f'the OpenVINO export needs {", ".join(OPENVINO_PACKAGES)} '
            f'({", ".join(missing)} missing): pip install '
            "'cgnet_mm[openvino]'")
    import openvino
    return openvino


def deploy_graph(segmentor: torch.nn.Module,
                 resize: bool = True) -> ExportableSegmentor:
    """What the IR holds: ``segmentor`` as an image -> logits module with
    the BGR->RGB flip folded (:func:`fold_bgr_to_rgb`), and with
    ``resize=False`` without the final resize."""
    model = fold_bgr_to_rgb(as_exportable(segmentor))
    model.resize = resize
    return model


def convert(model: ExportableSegmentor, shape: Sequence[int], dynamic: bool,
            folder: str, image: Optional[str] = None):
    """``model`` as an ``openvino.Model`` (static at ``shape``, or any
    height and width when ``dynamic``), via an ONNX file in ``folder``."""
    ov = _import_openvino()
    path = osp.join(folder, 'model.onnx')
    onnx_graph(model, real_looking_input(tuple(shape), image), dynamic, path)
    try:
        return ov.convert_model(path)
    except Exception as err:  # the frontend raises its own error types
        raise ExportError(f'OpenVINO could not convert the ONNX graph, '
                          f'nothing was written: {type(err).__name__}: '
                          f'{err}') from err


def quantize(ov_model, images: Sequence[np.ndarray],
             shape: Optional[Sequence[int]] = None):
    """``ov_model`` with NNCF's post-training int8 quantization, calibrated
    on BGR uint8 ``images`` (resized to ``shape`` for a static model, else
    at their own sizes)."""
    _import_openvino()
    import nncf
    from nncf.common.logging.logger import set_log_level
    samples = [as_input(image if shape is None else cv2.resize(
        image, (int(shape[1]), int(shape[0])),
        interpolation=cv2.INTER_AREA)).numpy() for image in images]
    set_log_level(logging.ERROR)  # one info line per quantization step
    return nncf.quantize(ov_model, nncf.Dataset(samples),
                         subset_size=len(samples))


def compile_model(ov_model, threads: Optional[int] = None,
                  hint: str = 'LATENCY', perf_count: bool = False):
    """``ov_model`` compiled for CPU in fp32 precision
    (``INFERENCE_PRECISION_HINT=f32``: a CPU with bf16 support would
    otherwise run the non-int8 layers in bf16) with the ``hint``
    performance mode, on ``threads`` threads (default: all cores); with
    ``perf_count``, its requests record per-node times."""
    ov = _import_openvino()
    if hint not in HINTS:
        raise ValueError(f'hint={hint!r}; choose one of {", ".join(HINTS)}')
    config = {'INFERENCE_PRECISION_HINT': 'f32', 'PERFORMANCE_HINT': hint}
    if threads:
        config['INFERENCE_NUM_THREADS'] = str(threads)
    if perf_count:
        config['PERF_COUNT'] = 'YES'
    return ov.Core().compile_model(ov_model, 'CPU', config)


class OpenVINOSegmentor:
    """A compiled OpenVINO model called like :class:`ExportableSegmentor`:
    BGR float image (1, 3, H, W), 0-255 -> logits at the input size (an IR
    exported with ``resize=False`` has them resized here by
    :func:`resize_logits`, with ``align_corners``: the IR's metadata holds
    both; :func:`load_ir` reads it)."""

    def __init__(self, compiled, align_corners: bool = False):
        self.compiled = compiled
        self.align_corners = align_corners

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        logits = torch.from_numpy(self.compiled(image.numpy())[0])
        return resize_logits(logits, image.shape[2:], self.align_corners)


def annotate(ov_model, model: ExportableSegmentor, precision: str,
             metadata: Optional[dict] = None, resize: bool = True) -> None:
    """Writes the input contract and the preprocessing the graph does into
    the IR's runtime info, section ``cgnet_mm`` (strings; lists as
    JSON): ``model``'s contract, with logits at the input size or (not
    ``resize``) at the head's resolution."""
    preprocessing = PREPROCESSING if resize else PREPROCESSING.replace(
        'at the input size', "at the head's resolution: resize them "
        'bilinearly to the input size, with align_corners')
    info = dict(preprocessing=preprocessing, precision=precision,
                mean=model.mean.flatten().tolist(),
                std=model.std.flatten().tolist(), bgr_to_rgb=model.swap_rb,
                resize=resize, align_corners=model.align_corners,
                **(metadata or {}))
    for key, value in info.items():
        ov_model.set_rt_info(
            value if isinstance(value, str) else json.dumps(value),
            [RT_INFO_SECTION, key])


def read_metadata(ov_model) -> Dict[str, str]:
    """The ``cgnet_mm`` section of an IR's runtime info, as strings."""
    section = ov_model.get_rt_info()[RT_INFO_SECTION]
    return {key: value.astype(str) for key, value in section.items()}


def load_ir(xml: str, threads: Optional[int] = None,
            hint: str = 'LATENCY') -> OpenVINOSegmentor:
    """An IR written by :func:`export_openvino`, compiled for CPU
    (:func:`compile_model`), resizing its logits as its metadata says. An
    export killed while replacing the pair is read as it left it: the old
    pair, or the new one (:func:`~cgnet_mm.utils.atomic.current_paths`)."""
    ov = _import_openvino()
    xml_now, bin_now = current_paths(xml, bin_path(xml))
    if not osp.isfile(xml_now) or not osp.isfile(bin_now):
        raise ExportError(f'{xml!r}: no OpenVINO IR there (an .xml with its '
                          '.bin beside it); write one with cgnet-mm export '
                          '--format openvino')
    if _root_tag(xml_now) != 'net':
        raise ExportError(f'{xml!r} is not an OpenVINO IR (an XML file whose '
                          'root is <net>); give the .xml that cgnet-mm '
                          'export --format openvino wrote')
    try:
        model = ov.Core().read_model(xml_now, bin_now)
    except RuntimeError as err:
        reason = str(err).strip().splitlines()[-1]
        raise ExportError(
            f'OpenVINO cannot read the IR {xml!r} with its weights '
            f'{bin_path(xml)!r} ({osp.getsize(bin_now)} bytes): {reason}; '
            'the pair is damaged (a truncated .bin, or an .xml and .bin of '
            'different exports): export it again') from None
    if not model.has_rt_info([RT_INFO_SECTION]):
        raise ExportError(f'{xml!r} carries no {RT_INFO_SECTION} metadata, so '
                          'its output size is unknown; export it with '
                          'cgnet-mm export --format openvino')
    align = read_metadata(model).get('align_corners', 'false')
    return OpenVINOSegmentor(compile_model(model, threads, hint),
                             json.loads(align))


def _root_tag(xml: str) -> Optional[str]:
    """The root element's tag, None when the file is not XML; only the
    start of the file is parsed."""
    with open(xml, 'rb') as f:
        try:
            _, root = next(ElementTree.iterparse(f, events=('start', )))
        except ElementTree.ParseError:
            return None
    return root.tag


def bin_path(xml: str) -> str:
    """The weights file OpenVINO reads beside ``xml``."""
    return osp.splitext(xml)[0] + '.bin'


def export_openvino(segmentor: torch.nn.Module, out: str,
                    shape: Sequence[int] = (512, 1024),
                    dynamic: bool = False, int8: bool = False,
                    calibration: Calibration = None,
                    image: Optional[str] = None,
                    metadata: Optional[dict] = None,
                    resize: bool = True) -> Dict[str, float]:
    """Converts (and with ``int8`` quantizes, calibrating on
    ``calibration``: a folder, a list of images, or None for the bundled
    scene), verifies, and only then writes ``out`` (.xml) and its .bin.
    With ``resize=False`` the IR's logits are at the head's resolution
    (checked after :class:`OpenVINOSegmentor` resizes them). Returns the
    worst figures over the checked input sizes."""
    ov = _import_openvino()
    if not out.endswith('.xml'):
        raise ExportError(f'--out {out!r}: an OpenVINO IR is an .xml file '
                          'with its weights in a .bin beside it; name it '
                          f'{osp.splitext(out)[0]}.xml')
    check_writable(out)
    mode = 'int8' if int8 else 'fp32'
    images = calibration_images(calibration) if int8 else None
    model = as_exportable(segmentor)
    if not model.resize:  # the IR is checked at the input size
        model = copy.copy(model)
        model.resize = True
    h, w = (int(v) for v in shape)
    with tempfile.TemporaryDirectory() as tmp:
        ov_model = convert(deploy_graph(model, resize), (h, w), dynamic, tmp,
                           image)
        if int8:
            ov_model = quantize(ov_model, images, None if dynamic else (h, w))
        annotate(ov_model, model, mode, metadata, resize)
        xml = osp.join(tmp, 'model.xml')
        ov.save_model(ov_model, xml, compress_to_fp16=False)
        ir = OpenVINOSegmentor(compile_model(ov.Core().read_model(xml)),
                               model.align_corners)
        with torch.no_grad():
            worst = worst_figures(lambda x: agreement(ir(x), model(x)),
                                  (h, w), dynamic, image)
        write_verified({xml: out, bin_path(xml): bin_path(out)}, worst, mode,
                       what=f'the OpenVINO {mode} IR')
    return worst
