"""ONNX export that checks its own output.

The exported graph is the whole segmentor (preprocessing included, see
:class:`ExportableSegmentor`). Before the file is written, ``onnx.checker``
validates it and onnxruntime's logits are compared with torch's on a
real-looking image: a model whose max abs logit difference exceeds 1e-4 or
whose argmax agrees on fewer than 99.9% of pixels is refused.
"""
import json
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict, Optional, Sequence, Tuple

import cv2
import torch

from cgnet_mm.utils.atomic import atomic_path
from cgnet_mm.utils.errors import UserError
from cgnet_mm.utils.images import DEMO_IMAGE, read_bgr

from .wrapper import ExportableSegmentor, agreement, as_input

MAX_ABS_DIFF = 1e-4
MIN_AGREEMENT = 0.999
PREPROCESSING = ('input "image": float32 NCHW, BGR channel order, values '
                 '0-255 (cv2.imread, transposed); the graph converts to RGB '
                 'if bgr_to_rgb, subtracts mean and divides by std. Output '
                 '"logits": (N, classes, H, W) at the input size.')


class ExportError(UserError, RuntimeError):
    """The exported model disagrees with torch, or the export failed."""


def real_looking_input(shape: Tuple[int, int],
                       image: Optional[str] = None) -> torch.Tensor:
    """A photo (the bundled CamVid scene unless ``image`` is given),
    resized to ``shape``, as the graph's input (1, 3, H, W)."""
    bgr = read_bgr(image or DEMO_IMAGE)
    return as_input(cv2.resize(bgr, (shape[1], shape[0]),
                               interpolation=cv2.INTER_AREA))


def compare(session, model: torch.nn.Module,
            image: torch.Tensor) -> Dict[str, float]:
    """Max abs logit difference and argmax agreement, onnxruntime vs torch."""
    ort_logits = session.run(None, {'image': image.numpy()})[0]
    with torch.no_grad():
        return agreement(torch.from_numpy(ort_logits), model(image))


def worst_figures(figures: Callable[[torch.Tensor], Dict[str, float]],
                  shape: Tuple[int, int], dynamic: bool,
                  image: Optional[str] = None) -> Dict[str, float]:
    """The worst of ``figures(input)`` over the photo at ``shape`` and, for
    a dynamic graph, at a second (odd) size."""
    h, w = shape
    sizes = [(h, w)] + ([(h // 2 + 3, w // 2 + 5)] if dynamic else [])
    results = [figures(real_looking_input(s, image)) for s in sizes]
    return dict(
        max_abs_diff=max(r['max_abs_diff'] for r in results),
        argmax_agreement=min(r['argmax_agreement'] for r in results))


def onnx_graph(model: ExportableSegmentor, sample: torch.Tensor,
               dynamic: bool, path: str):
    """Exports ``model`` to ONNX at ``path`` (traced on ``sample``; any
    height and width when ``dynamic``) and returns the proto once
    ``onnx.checker`` has passed it. The OpenVINO export starts from it."""
    import onnx
    dims = torch.export.Dim.DYNAMIC
    try:
        torch.onnx.export(
            model, (sample, ), path, input_names=['image'],
            output_names=['logits'], dynamo=True, external_data=False,
            dynamic_shapes={'image': {2: dims, 3: dims}} if dynamic else None)
        proto = onnx.load(path)
        onnx.checker.check_model(proto, full_check=True)
    except Exception as err:  # exporter and checker raise many types
        raise ExportError(f'ONNX export failed, nothing was written: '
                          f'{type(err).__name__}: {err}') from err
    return proto


def as_exportable(segmentor: torch.nn.Module) -> ExportableSegmentor:
    """``segmentor`` as the image -> logits module every export takes."""
    return segmentor if isinstance(segmentor, ExportableSegmentor) \
        else ExportableSegmentor(segmentor)


def export_onnx(segmentor: torch.nn.Module, out: str,
                shape: Sequence[int] = (512, 1024), dynamic: bool = False,
                image: Optional[str] = None,
                metadata: Optional[dict] = None) -> Dict[str, float]:
    """Exports, verifies and only then writes ``out``. Returns the worst
    figures over the checked input sizes (two sizes when ``dynamic``)."""
    import onnx
    import onnxruntime as ort
    model = as_exportable(segmentor)
    h, w = (int(v) for v in shape)
    sample = real_looking_input((h, w), image)
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'model.onnx')
        proto = onnx_graph(model, sample, dynamic, path)
        meta = dict(preprocessing=PREPROCESSING, **(metadata or {}))
        for key, value in meta.items():
            proto.metadata_props.add(
                key=key,
                value=value if isinstance(value, str) else json.dumps(value))
        onnx.save(proto, path)
        session = ort.InferenceSession(path,
                                       providers=['CPUExecutionProvider'])
        worst = worst_figures(lambda x: compare(session, model, x), (h, w),
                              dynamic, image)
        if worst['max_abs_diff'] > MAX_ABS_DIFF or \
                worst['argmax_agreement'] < MIN_AGREEMENT:
            raise ExportError(
                f'onnxruntime disagrees with torch: max abs logit difference '
                f'{worst["max_abs_diff"]:.3g} (limit {MAX_ABS_DIFF}), argmax '
                f'agreement {100 * worst["argmax_agreement"]:.3f}% (limit '
                f'{100 * MIN_AGREEMENT}%); {out!r} was not written')
        with atomic_path(out) as final:
            shutil.move(path, final)
    return worst
